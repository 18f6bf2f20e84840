"""Saving fitted models as JSON and reading them back under a strict schema.

JSON, never pickle: loading a file only parses numbers and strings, so a
hostile file cannot run code.  Every field is checked (names, types, shapes,
finite numbers, sizes) before a model is built, and any problem is a
ValueError naming the field.  Writes go to a temporary file that replaces the
target only when complete, so a failed save never leaves a truncated file.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path
from typing import Any

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
    """Write ``document`` to ``path`` atomically (complete file or no change)."""
    target = _path(path)
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    # A fresh name next to the target (same file system, so os.replace is atomic),
    # short whatever the target's name: any name open() accepts can be saved to.
    # os.open with mode 0o666 lets the umask set the permissions, as open() would
    # (tempfile.mkstemp would make the saved file private to its owner).
    temp = target.with_name(f".graphgrad-{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


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
    source = _path(path)
    with source.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    where = f"cannot load {str(source)[:200]!r}"
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{where}: the file is larger than {MAX_FILE_BYTES} bytes")
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
    keys = set(document)
    missing = [k for k in FIELDS if k not in keys]
    extra = sorted(k[:MAX_STRING] for k in keys - set(FIELDS))
    if document.get("format") != FORMAT:
        raise ValueError(f"not a graphgrad model file: 'format' must be {FORMAT!r}")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(
            f"unsupported model file version {_clip(version)}: "
            f"this graphgrad reads version {VERSION}"
        )
    if missing:
        raise ValueError(f"the model file lacks the field(s) {', '.join(missing)}")
    if extra:
        raise ValueError(f"the model file has unknown field(s) {', '.join(map(repr, extra))}")
    if document["model"] != model:
        raise ValueError(f"the file holds a {_clip(document['model'])} model, not a {model}")
    n_features = document["n_features"]
    if type(n_features) is not int or not 1 <= n_features <= MAX_FEATURES:
        raise ValueError(
            f"'n_features' must be an int from 1 to {MAX_FEATURES}, got {_clip(n_features)}"
        )
    coef = _float_list(document["coef"], "coef", MAX_FEATURES)
    if len(coef) != n_features:
        raise ValueError(f"'coef' must hold n_features = {n_features} numbers, got {len(coef)}")
    history = _float_list(document["history"], "history", MAX_HISTORY)
    epochs = document["epochs"]
    if type(epochs) is not int or not 1 <= epochs <= MAX_HISTORY:
        raise ValueError(f"'epochs' must be an int from 1 to {MAX_HISTORY}, got {_clip(epochs)}")
    lr = _float(document["lr"], "lr")
    if lr <= 0.0:
        raise ValueError(f"'lr' must be positive, got {lr}")
    solver = document["solver"]
    if type(solver) is not str or len(solver) > MAX_STRING:
        raise ValueError(f"'solver' must be a short string, got {_clip(solver)}")
    vectorized = document["vectorized"]
    if type(vectorized) is not bool:
        raise ValueError(f"'vectorized' must be true or false, got {_clip(vectorized)}")
    return {
        "n_features": n_features,
        "coef": coef,
        "intercept": _float(document["intercept"], "intercept"),
        "lr": lr,
        "epochs": epochs,
        "solver": solver,
        "vectorized": vectorized,
        "history": history,
    }


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
