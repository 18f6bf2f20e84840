"""Saving and loading models: exact round trips, strict rejection of bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphgrad.nn import LogisticRegression, ReLURegressor, serialization


def fitted() -> tuple[LogisticRegression, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X @ np.array([1.0, -1.0, 0.5]) + rng.normal(size=40) > 0).astype(int)
    return LogisticRegression(lr=0.3, epochs=50).fit(X, y, progress=False), X


def test_round_trip_is_exact(tmp_path: Path) -> None:
    model, X = fitted()
    path = tmp_path / "model.json"
    model.save(path)
    loaded = LogisticRegression.load(path)
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    assert loaded.intercept_ == model.intercept_
    assert loaded.history_ == model.history_
    assert loaded.n_features_in_ == 3
    assert (loaded.lr, loaded.epochs, loaded.solver, loaded.vectorized) == (0.3, 50, "gd", True)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    loaded.save(tmp_path / "again.json")  # saving what was loaded gives the same file
    assert (tmp_path / "again.json").read_text() == path.read_text()


def test_the_file_is_plain_json_with_the_documented_fields(tmp_path: Path) -> None:
    model, _ = fitted()
    model.save(str(tmp_path / "m.json"))  # a str path works too
    document = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert list(document) == list(serialization.FIELDS)
    assert document["format"] == "graphgrad.nn" and document["version"] == 1
    assert document["model"] == "LogisticRegression"
    assert document["coef"] == [float(c) for c in model.coef_]


def test_relu_regressor_round_trips_and_kinds_are_not_confused(tmp_path: Path) -> None:
    X = np.array([[1.0], [2.0], [3.0]])
    model = ReLURegressor(epochs=20).fit(X, [1.0, 2.0, 3.5], progress=False)
    model.save(tmp_path / "relu.json")
    np.testing.assert_array_equal(
        ReLURegressor.load(tmp_path / "relu.json").predict(X), model.predict(X)
    )
    with pytest.raises(ValueError, match="holds a 'ReLURegressor' model, not a LogisticRegression"):
        LogisticRegression.load(tmp_path / "relu.json")


def valid_document() -> dict[str, Any]:
    return {
        "format": "graphgrad.nn",
        "version": 1,
        "model": "LogisticRegression",
        "n_features": 2,
        "coef": [0.5, -1.0],
        "intercept": 0.25,
        "lr": 0.1,
        "epochs": 3,
        "solver": "gd",
        "vectorized": True,
        "history": [0.69, 0.6, 0.5],
    }


def test_the_valid_document_used_below_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(valid_document()))
    model = LogisticRegression.load(path)
    np.testing.assert_array_equal(model.coef_, [0.5, -1.0])


def changed(**fields: Any) -> dict[str, Any]:
    document = valid_document()
    for key, value in fields.items():
        if value is DELETE:
            del document[key]
        else:
            document[key] = value
    return document


DELETE = object()

BAD_DOCUMENTS = [
    (changed(format="pickle"), "not a graphgrad model file"),
    (changed(format=DELETE), "not a graphgrad model file"),
    (changed(version=2), "unsupported model file version 2"),
    (changed(version="1"), "unsupported model file version '1'"),
    (changed(version=True), "unsupported model file version True"),
    (changed(coef=DELETE), "lacks the field"),
    (changed(extra=1), "unknown field"),
    (changed(model="MLP"), "holds an 'MLP' model"),
    (changed(n_features=0), "n_features"),
    (changed(n_features=2.0), "n_features"),
    (changed(n_features=10**9), "n_features"),
    (changed(coef=[0.5]), "'coef' must hold n_features = 2"),
    (changed(coef="0.5,-1"), "'coef' must be an array"),
    (changed(coef=[0.5, "x"]), r"'coef\[1\]' must be a number"),
    (changed(coef=[0.5, None]), r"'coef\[1\]' must be a number, got null"),
    (changed(coef=[0.5, True]), r"'coef\[1\]' must be a number"),
    (changed(coef=[0.5, [1.0]]), r"'coef\[1\]' must be a number"),
    (changed(coef=[0.5, 10**400]), "too large"),
    (changed(intercept={"a": 1}), "'intercept' must be a number"),
    (changed(lr=0), "'lr' must be positive"),
    (changed(lr=-1.0), "'lr' must be positive"),
    (changed(epochs=0), "'epochs'"),
    (changed(epochs=1.5), "'epochs'"),
    (changed(solver="x" * 100), "'solver' must be a short string"),
    (changed(solver="newton?"), "bad.json': invalid setting: solver must be one of"),
    (changed(vectorized="yes"), "'vectorized' must be true or false"),
    (changed(history={}), "'history' must be an array"),
    (changed(history=[1.0, "nan"]), r"'history\[1\]'"),
]


@pytest.mark.parametrize(("document", "match"), BAD_DOCUMENTS)
def test_bad_documents_are_rejected(tmp_path: Path, document: dict[str, Any], match: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=match) as caught:
        LogisticRegression.load(path)
    assert str(caught.value).startswith(f"cannot load {str(path)!r}: ")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "not a valid model file"),
        ('{"format": "graphgrad.nn", "version": 1, "model"', "not a valid model file"),
        ("[1, 2, 3]", "must hold a JSON object, got an array"),
        ('"just a string"', "got a string"),
        ("null", "got null"),
        ('{"format": "graphgrad.nn", "format": "graphgrad.nn"}', "appears twice"),
        ('{"x": NaN}', "not a finite number"),
        ('{"x": -Infinity}', "not a finite number"),
        ('{"x": 1e999}', "too large for a 64-bit float"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply|not a valid"),
        ('{"x": "\\ud800"} \x00', "not a valid model file"),
    ],
)
def test_malformed_json_is_a_value_error(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        LogisticRegression.load(path)


def test_every_truncation_of_a_saved_file_is_rejected(tmp_path: Path) -> None:
    model, _ = fitted()
    path = tmp_path / "model.json"
    model.save(path)
    data = path.read_bytes()
    cut = tmp_path / "cut.json"
    for length in range(0, len(data) - 2, max(1, len(data) // 200)):
        cut.write_bytes(data[:length])
        with pytest.raises(ValueError):
            LogisticRegression.load(cut)


def test_binary_and_oversized_files_are_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(ValueError, match="not UTF-8"):
        LogisticRegression.load(path)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", 100)
    path.write_text(json.dumps(valid_document()))
    with pytest.raises(ValueError, match="larger than 100 bytes"):
        LogisticRegression.load(path)


def test_a_failed_load_changes_nothing(tmp_path: Path) -> None:
    model, X = fitted()
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()
    proba = model.predict_proba(X)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(changed(coef=[1.0])))
    with pytest.raises(ValueError):
        model = LogisticRegression.load(bad)
    np.testing.assert_array_equal(model.predict_proba(X), proba)
    assert path.read_bytes() == before


def test_a_failed_save_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = fitted()
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    model.intercept_ = 123.0
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temp file left


def test_any_file_name_open_accepts_can_be_saved_to(tmp_path: Path) -> None:
    model, _ = fitted()
    path = tmp_path / ("m" * 245 + ".json")  # 250 characters; most file systems allow 255
    with open(tmp_path / ("o" * 245 + ".json"), "w", encoding="utf-8") as handle:
        handle.write("{}")  # the name itself is fine
    model.save(path)
    assert LogisticRegression.load(path).intercept_ == model.intercept_
    # The saved file gets the permissions open() gives a new file (the umask's).
    assert path.stat().st_mode == (tmp_path / ("o" * 245 + ".json")).stat().st_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["m" * 245 + ".json", "o" * 245 + ".json"]
    )


def test_paths_must_be_paths(tmp_path: Path) -> None:
    model, _ = fitted()
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
        model.save(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path must be"):
        LogisticRegression.load(None)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        LogisticRegression.load(tmp_path / "missing.json")


def small_classifier(**settings: Any) -> Any:
    from graphgrad.datasets import make_moons
    from graphgrad.nn import MLPClassifier

    X, y = make_moons(10, seed=0)
    labels = settings.pop("labels", y)
    options = {"hidden_layer_sizes": (2,), "epochs": 1, **settings}
    return MLPClassifier(**options).fit(X, labels, progress=False)


@pytest.mark.parametrize(
    ("make", "refused"),
    [
        (
            lambda: small_classifier(seed=2**64),
            r"'seed' must be an int from 0 to 9223372036854775807",
        ),
        (lambda: small_classifier(batch_size=2**64), r"'batch_size' must be an int from 1"),
        (lambda: small_classifier(hidden_layer_sizes=(1,) * 101), r"'hidden_layer_sizes' must be"),
        (
            lambda: small_classifier(labels=np.array(["a" * 201, "b"] * 5)),
            r"'classes' labels must be at most 200 characters",
        ),
        (
            lambda: LogisticRegression(epochs=1).fit(np.eye(2, 1_000_001), [0, 1], progress=False),
            r"'n_features' must be an int from 1 to 1000000",
        ),
    ],
)
def test_save_refuses_what_load_would_refuse_and_writes_nothing(
    make: Any, refused: str, tmp_path: Path
) -> None:
    model = make()
    path = tmp_path / "model.json"
    path.write_text("the old file")
    with pytest.raises(ValueError, match=r"^cannot save to '.*model\.json': " + refused):
        model.save(path)
    assert path.read_text() == "the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temp file left


def test_save_and_load_share_the_file_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = fitted()
    model.save(tmp_path / "fits.json")
    size = (tmp_path / "fits.json").stat().st_size
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ValueError, match=rf"cannot load .*: the file is larger than {size - 1} "):
        LogisticRegression.load(tmp_path / "fits.json")
    with pytest.raises(
        ValueError, match=rf"cannot save to .*: the file is larger than {size - 1} "
    ):
        model.save(tmp_path / "too_big.json")
    assert not (tmp_path / "too_big.json").exists()
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size)
    model.save(tmp_path / "just_fits.json")
    assert LogisticRegression.load(tmp_path / "just_fits.json").intercept_ == model.intercept_


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, -7] * 5, dtype=np.int8),
        np.array([2**64 - 1, 0] * 5, dtype=np.uint64),
        np.array([0.5, 2.25] * 5, dtype=np.float32),
        np.array([True, False] * 5),
        np.array(["yes", "no"] * 5),
    ],
)
def test_labels_come_back_with_their_dtype(labels: Any, tmp_path: Path) -> None:
    from graphgrad.nn import MLPClassifier

    model = small_classifier(labels=labels, seed=0)
    model.save(tmp_path / "model.json")
    loaded = MLPClassifier.load(tmp_path / "model.json")
    assert loaded.classes_.dtype == model.classes_.dtype == labels.dtype
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
