"""Saving fitted models as JSON and reading them back under a strict schema.

JSON, never pickle: loading a file only parses numbers and strings, so a
hostile file cannot run code.  Every field is checked (names, types, shapes,
finite numbers, sizes) before a model is built, and any problem is a
ValueError naming the field.  Writes go to a temporary file that replaces the
target only when complete, so a failed save never leaves a truncated file.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from graphgrad.numerics import clip

FORMAT = "graphgrad.nn"
VERSION = 1
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_FEATURES = 1_000_000
MAX_HISTORY = 1_000_000
MAX_STRING = 64

PathLike = str | os.PathLike[str]

# The fields of a version-1 file: every one is required and no other is allowed.
FIELDS = (
    "format",
    "version",
    "model",
    "n_features",
    "coef",
    "intercept",
    "lr",
    "epochs",
    "solver",
    "vectorized",
    "history",
)


def _path(path: object) -> Path:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path)


def write_json(path: PathLike, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` atomically (complete file or no change).

    The document is first checked as ``load`` checks a file, limits and all,
    so a model is never saved to a file that ``load`` would refuse; the error
    is load's, and nothing is written.
    """
    target = _path(path)
    # json and secrets are imported when a model is saved, not with graphgrad.
    import json
    import secrets

    where = f"cannot save to {str(target)[:200]!r}"
    try:
        validate(document, str(document.get("model")))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    data = (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{where}: {_too_large(len(data))}")
    # A fresh name next to the target (same file system, so os.replace is atomic),
    # short whatever the target's name: any name open() accepts can be saved to.
    # os.open with mode 0o666 lets the umask set the permissions, as open() would
    # (tempfile.mkstemp would make the saved file private to its owner).
    temp = target.with_name(f".graphgrad-{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _too_large(size: int | None = None) -> str:
    """What load and save say of a file over the limit."""
    shown = "" if size is None else f" ({size} bytes)"
    return f"the file is larger than {MAX_FILE_BYTES} bytes{shown}, the most load reads"


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]!r} is too large for a 64-bit float")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"the key {key[:MAX_STRING]!r} appears twice")
        document[key] = value
    return document


def read_json(path: PathLike) -> dict[str, Any]:
    """Parse a saved model file into a dict; ValueError if it is not valid JSON."""
    import json

    source = _path(path)
    with source.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    where = f"cannot load {str(source)[:200]!r}"
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{where}: {_too_large()}")
    try:
        text = raw.decode("utf-8")
        document = json.loads(
            text,
            parse_constant=_reject_constant,  # NaN, Infinity, -Infinity
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError:
        raise ValueError(f"{where}: the file is not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{where}: the JSON is nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{where}: not a valid model file ({str(exc)[:200]})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{where}: the file must hold a JSON object, got {_json_type(document)}")
    return document


def load(path: PathLike, model: str) -> dict[str, Any]:
    """Read and validate a model file; every error names the file."""
    document = read_json(path)
    try:
        return validate(document, model)
    except ValueError as exc:
        raise ValueError(f"cannot load {str(path)[:200]!r}: {exc}") from None


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    for kind, name in names.items():
        if type(value) is kind:
            return name
    return "a number"


def validate(document: dict[str, Any], model: str) -> dict[str, Any]:
    """Check a parsed document against the version-1 schema for ``model``.

    Returns the fields converted to Python types (floats, ints, lists).
    """
    if document.get("format") != FORMAT:
        raise ValueError(f"not a graphgrad model file: 'format' must be {FORMAT!r}")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(
            f"unsupported model file version {clip(repr(version))}: "
            f"this graphgrad reads version {VERSION}"
        )
    if "model" in document and document["model"] != model:
        held = clip(repr(document["model"]))
        raise ValueError(f"the file holds {_article(held)} model, not {_article(model)}")
    if model == "MLPClassifier":
        return _validate_classifier(document)
    _check_fields(document, FIELDS, LOGISTIC_OPTIONAL if model == "LogisticRegression" else ())
    n_features = document["n_features"]
    if type(n_features) is not int or not 1 <= n_features <= MAX_FEATURES:
        raise ValueError(
            f"'n_features' must be an int from 1 to {MAX_FEATURES}, got {clip(repr(n_features))}"
        )
    coef = _float_list(document["coef"], "coef", MAX_FEATURES)
    if len(coef) != n_features:
        raise ValueError(f"'coef' must hold n_features = {n_features} numbers, got {len(coef)}")
    history = _float_list(document["history"], "history", MAX_HISTORY)
    epochs = document["epochs"]
    if type(epochs) is not int or not 1 <= epochs <= MAX_HISTORY:
        raise ValueError(
            f"'epochs' must be an int from 1 to {MAX_HISTORY}, got {clip(repr(epochs))}"
        )
    lr = _float(document["lr"], "lr")
    if lr <= 0.0:
        raise ValueError(f"'lr' must be positive, got {lr}")
    solver = document["solver"]
    if type(solver) is not str or len(solver) > MAX_STRING:
        raise ValueError(f"'solver' must be a short string, got {clip(repr(solver))}")
    vectorized = document["vectorized"]
    if type(vectorized) is not bool:
        raise ValueError(f"'vectorized' must be true or false, got {clip(repr(vectorized))}")
    return {
        "n_features": n_features,
        "classes": _classes(document["classes"], "str", 2) if "classes" in document else None,
        "coef": coef,
        "intercept": _float(document["intercept"], "intercept"),
        "lr": lr,
        "epochs": epochs,
        "solver": solver,
        "vectorized": vectorized,
        "history": history,
    }


def _article(word: str) -> str:
    """``word`` after "a" or "an" as it is read: an 'ReLU...' no, an MLPClassifier yes.

    An initialism (two capitals first) is read letter by letter, so the sound of
    its first letter decides; any other word goes by its first letter.
    """
    letters = word.strip("'\"")
    initialism = letters[:2].isupper() and len(letters) > 1
    vowel_sound = letters[:1] in (("AEFHILMNORSX") if initialism else ("AEIOUaeiou"))
    return f"{'an' if vowel_sound else 'a'} {word}"


def _check_fields(
    document: dict[str, Any], fields: tuple[str, ...], optional: tuple[str, ...] = ()
) -> None:
    keys = set(document)
    missing = [k for k in fields if k not in keys]
    extra = sorted(k[:MAX_STRING] for k in keys - set(fields) - set(optional))
    if missing:
        raise ValueError(f"the model file lacks the field(s) {', '.join(missing)}")
    if extra:
        raise ValueError(f"the model file has unknown field(s) {', '.join(map(repr, extra))}")


#: A LogisticRegression fitted on labels given as strings saves them.
LOGISTIC_OPTIONAL = ("classes",)

# --- MLPClassifier ------------------------------------------------------------------------

# The fields of an MLPClassifier file, version 1: every one is required, no other allowed.
CLASSIFIER_FIELDS = (
    "format",
    "version",
    "model",
    "n_features",
    "classes",
    "hidden_layer_sizes",
    "activation",
    "solver",
    "lr",
    "epochs",
    "batch_size",
    "alpha",
    "seed",
    "coefs",
    "intercepts",
    "history",
)
#: Written since the dtype of the labels is kept; a file without it holds labels of
#: the dtype their JSON values give (int64, float64, bool or str).
CLASSIFIER_OPTIONAL = ("classes_dtype",)
MAX_CLASSES = 100_000
MAX_LABEL = 200  # characters of a class label
MAX_LAYERS = 100
MAX_WIDTH = 100_000
MAX_PARAMETERS = 10_000_000
MAX_INT = 2**63 - 1


def _validate_classifier(document: dict[str, Any]) -> dict[str, Any]:
    _check_fields(document, CLASSIFIER_FIELDS, CLASSIFIER_OPTIONAL)
    n_features = _int(document["n_features"], "n_features", 1, MAX_FEATURES)
    classes = _classes(document["classes"], document.get("classes_dtype"))
    hidden = document["hidden_layer_sizes"]
    if type(hidden) is not list or not 1 <= len(hidden) <= MAX_LAYERS:
        raise ValueError(
            f"'hidden_layer_sizes' must be an array of 1 to {MAX_LAYERS} ints, got "
            f"{_json_type(hidden)}" + (f" of {len(hidden)}" if type(hidden) is list else "")
        )
    widths = [_int(k, f"hidden_layer_sizes[{i}]", 1, MAX_WIDTH) for i, k in enumerate(hidden)]
    sizes = [n_features, *widths, 1 if len(classes) == 2 else len(classes)]
    if sum(a * b + b for a, b in itertools.pairwise(sizes)) > MAX_PARAMETERS:
        raise ValueError(f"the network has more than {MAX_PARAMETERS} parameters")
    coefs = _layers(document["coefs"], "coefs", sizes, matrix=True)
    intercepts = _layers(document["intercepts"], "intercepts", sizes, matrix=False)
    lr = _float(document["lr"], "lr")
    if lr <= 0.0:
        raise ValueError(f"'lr' must be positive, got {lr}")
    alpha = _float(document["alpha"], "alpha")
    if alpha < 0.0:
        raise ValueError(f"'alpha' must be >= 0, got {alpha}")
    batch_size, seed = document["batch_size"], document["seed"]
    return {
        "n_features": n_features,
        "classes": classes,
        "classes_dtype": label_dtype(classes),
        "hidden_layer_sizes": tuple(widths),
        "activation": _short_string(document["activation"], "activation"),
        "solver": _short_string(document["solver"], "solver"),
        "lr": lr,
        "epochs": _int(document["epochs"], "epochs", 1, MAX_HISTORY),
        "batch_size": None if batch_size is None else _int(batch_size, "batch_size", 1, MAX_INT),
        "alpha": alpha,
        "seed": None if seed is None else _int(seed, "seed", 0, MAX_INT),
        "coefs": coefs,
        "intercepts": intercepts,
        "history": _float_list(document["history"], "history", MAX_HISTORY),
    }


def _int(value: object, name: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{name!r} must be an int from {low} to {high}, got {clip(repr(value))}")
    return value


def _short_string(value: object, name: str) -> str:
    if type(value) is not str or len(value) > MAX_STRING:
        raise ValueError(f"{name!r} must be a short string, got {clip(repr(value))}")
    return value


#: The dtypes labels may have in a file ("str": numpy's unicode strings).
LABEL_DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "str",
)  # fmt: skip


def label_dtype(classes: np.ndarray[Any, Any]) -> str:
    """How a file names the dtype of ``classes`` (see LABEL_DTYPES)."""
    return "str" if classes.dtype.kind == "U" else classes.dtype.name


def _classes(value: object, dtype: object, count: int | None = None) -> np.ndarray[Any, Any]:
    """The class labels: ``count`` (or 2 or more) distinct labels of one kind, sorted
    as np.unique sorts them, as an array of ``dtype`` (None: the JSON values' own)."""
    low, high = (count, count) if count is not None else (2, MAX_CLASSES)
    if type(value) is not list or not low <= len(value) <= high:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise ValueError(
            f"'classes' must be an array of {wanted} labels, got {_json_type(value)}"
            + (f" of {len(value)}" if type(value) is list else "")
        )
    if dtype is not None and (type(dtype) is not str or dtype not in LABEL_DTYPES):
        raise ValueError(f"'classes_dtype' must be one of {', '.join(LABEL_DTYPES)}")
    kinds = {"b": bool, "i": int, "u": int, "f": float, "U": str}
    expected = None if dtype is None else kinds[np.dtype(dtype).kind]
    kind = type(value[0])
    if kind not in (str, int, float, bool) or any(type(c) is not kind for c in value):
        raise ValueError(
            "'classes' must hold labels of one kind: all strings, all ints, all floats or "
            "all true/false"
        )
    if expected is not None and kind is not expected and not (expected is float and kind is int):
        raise ValueError(f"'classes' must hold labels of dtype {dtype}")
    if kind is str and any(len(c) > MAX_LABEL for c in value):
        raise ValueError(f"'classes' labels must be at most {MAX_LABEL} characters long")
    if kind is int:
        info = np.iinfo(np.int64 if dtype is None or expected is not int else np.dtype(dtype))
        if any(not int(info.min) <= c <= int(info.max) for c in value):
            raise ValueError(f"'classes' ints must fit in {info.dtype}")
    if expected is float or kind is float:
        value = [_float(c, f"classes[{i}]") for i, c in enumerate(value)]
        if dtype is not None and not np.isfinite(np.array(value, dtype=dtype)).all():
            raise ValueError(f"'classes' must be finite numbers of dtype {dtype}")
    if any(not a < b for a, b in itertools.pairwise(value)):
        raise ValueError("'classes' must be distinct and sorted")
    return np.array(value) if dtype in (None, "str") else np.array(value, dtype=dtype)


def _layers(value: object, name: str, sizes: list[int], matrix: bool) -> list[np.ndarray[Any, Any]]:
    """One weight matrix (n_in, n_out) or bias vector (n_out,) per layer, checked."""
    count = len(sizes) - 1
    if type(value) is not list or len(value) != count:
        raise ValueError(
            f"{name!r} must be an array of {count} layers (one per layer of "
            f"hidden_layer_sizes, then the output), got {_json_type(value)}"
            + (f" of {len(value)}" if type(value) is list else "")
        )
    arrays = []
    for i, (layer, n_in, n_out) in enumerate(zip(value, sizes, sizes[1:], strict=False)):
        where = f"{name}[{i}]"
        if not matrix:
            arrays.append(np.array(_float_list(layer, where, n_out), dtype=np.float64))
            if len(arrays[-1]) != n_out:
                raise ValueError(f"{where!r} must hold {n_out} numbers, got {len(arrays[-1])}")
            continue
        if type(layer) is not list or len(layer) != n_in:
            raise ValueError(f"{where!r} must be an array of {n_in} rows (one per input)")
        rows = [_float_list(row, f"{where}[{j}]", n_out) for j, row in enumerate(layer)]
        for j, row in enumerate(rows):
            if len(row) != n_out:
                raise ValueError(f"'{where}[{j}]' must hold {n_out} numbers, got {len(row)}")
        arrays.append(np.array(rows, dtype=np.float64).reshape(n_in, n_out))
    return arrays


def _float(value: object, name: str) -> float:
    # bool is an int in Python but true/false is not a number in the schema.
    if type(value) not in (int, float):
        raise ValueError(f"{name!r} must be a number, got {_json_type(value)}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{name!r} is too large for a 64-bit float") from None
    if not math.isfinite(number):
        raise ValueError(f"{name!r} must be a finite number")
    return number


def _float_list(value: object, name: str, limit: int) -> list[float]:
    if type(value) is not list:
        raise ValueError(f"{name!r} must be an array of numbers, got {_json_type(value)}")
    if len(value) > limit:
        raise ValueError(f"{name!r} holds more than {limit} numbers")
    return [_float(item, f"{name}[{i}]") for i, item in enumerate(value)]
