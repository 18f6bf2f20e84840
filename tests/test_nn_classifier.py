"""MLPClassifier: training against the notes' propagation written out in numpy,
the defaults on two data sets, labels, mini-batches, errors, saving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphgrad.datasets import make_flower, make_moons, make_spiral
from graphgrad.nn import MLP, LogisticRegression, MLPClassifier, NotFittedError

Array = Any


def sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_training(
    X: Array, labels: Array, k: int, hidden: tuple[int, ...], lr: float, epochs: int,
    seed: int, alpha: float = 0.0, batch_size: int | None = None,
) -> tuple[list[Array], list[float]]:  # fmt: skip
    """Forward and backward propagation of the notes, tanh hidden layers, gradient descent.

    The output is σ(z) with dZ = A - Y for two classes, softmax(z) with dZ = P - onehot
    for more; dW[l] = A[l-1]ᵀ dZ[l] / m (+ α/m W[l]), db[l] = Σ dZ[l] / m,
    dZ[l-1] = dZ[l] W[l]ᵀ · (1 - A[l-1]²).  The initial weights are drawn as the
    classifier documents: MLP(nx, sizes, seed=rng), then rng shuffles each epoch.
    """
    rng = np.random.default_rng(seed)
    sizes = [*hidden, 1 if k == 2 else k]
    mlp = MLP(X.shape[1], sizes, activation="tanh", seed=rng)
    params = [p.data.copy() for p in mlp.parameters()]
    history = []
    m_all = len(labels)
    for _ in range(epochs):
        if batch_size is None:
            batches = [np.arange(m_all)]
        else:
            order = rng.permutation(m_all)
            batches = [order[i : i + batch_size] for i in range(0, m_all, batch_size)]
        total = 0.0
        for rows in batches:
            x, y, m = X[rows], labels[rows], len(rows)
            activations = [x]
            for i in range(0, len(params), 2):
                z = activations[-1] @ params[i] + params[i + 1]
                activations.append(np.tanh(z) if i + 2 < len(params) else z)
            z = activations.pop()
            if k == 2:
                a = sigmoid(z[:, 0])
                cost = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
                dz = (a - y)[:, None] / m
            else:
                p = np.exp(z - z.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                cost = -np.mean(np.log(p[np.arange(m), y]))
                dz = (p - np.eye(k)[y]) / m
            weights = params[::2]
            cost += alpha / (2 * m) * sum(float(np.sum(w * w)) for w in weights)
            total += cost * m
            grads: list[Array] = [None] * len(params)  # type: ignore[list-item]
            for i in range(len(params) - 2, -1, -2):
                a_prev = activations[i // 2]
                grads[i] = a_prev.T @ dz + alpha / m * params[i]
                grads[i + 1] = dz.sum(axis=0)
                if i:
                    dz = (dz @ params[i].T) * (1 - a_prev**2)
            params = [p - lr * g for p, g in zip(params, grads, strict=True)]
        history.append(total / m_all)
    return params, history


def assert_trained_like(model: MLPClassifier, params: list[Array], history: list[float]) -> None:
    fitted = [a for pair in zip(model.coefs_, model.intercepts_, strict=True) for a in pair]
    for got, expected in zip(fitted, params, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.history_, history, rtol=1e-10)


@pytest.mark.parametrize("k", [2, 3])
def test_training_is_the_notes_propagation_and_gradient_descent(k: int) -> None:
    X, y = make_spiral(12, classes=k, seed=3)
    model = MLPClassifier((5, 4), solver="sgd", lr=0.5, epochs=6, seed=4)
    model.fit(X, y, progress=False)
    params, history = numpy_training(X, y, k, (5, 4), 0.5, 6, seed=4)
    assert_trained_like(model, params, history)


def test_alpha_adds_the_l2_penalty_of_the_notes() -> None:
    X, y = make_moons(30, seed=2)
    model = MLPClassifier((6,), solver="sgd", lr=0.3, epochs=5, alpha=0.7, seed=1)
    model.fit(X, y, progress=False)
    params, history = numpy_training(X, y, 2, (6,), 0.3, 5, seed=1, alpha=0.7)
    assert_trained_like(model, params, history)


def test_mini_batches_are_reshuffled_every_epoch_with_the_seed() -> None:
    X, y = make_spiral(10, classes=3, seed=0)  # 30 examples: batches of 8, 8, 8 and 6
    model = MLPClassifier((4,), solver="sgd", lr=0.2, epochs=4, batch_size=8, seed=9)
    model.fit(X, y, progress=False)
    params, history = numpy_training(X, y, 3, (4,), 0.2, 4, seed=9, batch_size=8)
    assert_trained_like(model, params, history)
    again = MLPClassifier((4,), solver="sgd", lr=0.2, epochs=4, batch_size=8, seed=9)
    assert again.fit(X, y, progress=False).history_ == model.history_
    other = MLPClassifier((4,), solver="sgd", lr=0.2, epochs=4, batch_size=8, seed=10)
    assert other.fit(X, y, progress=False).history_ != model.history_


def test_the_defaults_fit_two_moons_and_a_three_arm_spiral() -> None:
    X, y = make_moons(200, noise=0.1, seed=0)
    moons = MLPClassifier(seed=0).fit(X, y, progress=False)
    assert moons.score(X, y) >= 0.99
    X, y = make_spiral(100, classes=3, seed=0)
    spiral = MLPClassifier(seed=0).fit(X, y, progress=False)
    assert spiral.score(X, y) >= 0.98
    assert spiral.predict_proba(X).shape == (300, 3)
    assert spiral.history_[-1] < 0.1 < spiral.history_[0]


def test_one_hidden_layer_fits_the_flower_that_logistic_regression_cannot() -> None:
    X, y = make_flower(400, seed=0)
    network = MLPClassifier((4,), epochs=400, lr=0.05, seed=0).fit(X, y, progress=False)
    linear = LogisticRegression(epochs=200, lr=0.5).fit(X, y, progress=False)
    assert network.score(X, y) >= 0.85
    assert linear.score(X, y) < 0.7  # the notes: about 47 %, a straight line cannot


@pytest.mark.parametrize(
    ("labels", "classes"),
    [
        (["cat", "dog", "cat", "bird"], ["bird", "cat", "dog"]),
        ([7, 3, 7, 11], [3, 7, 11]),
        ([True, False, True, True], [False, True]),
        ([0.5, 2.0, 0.5, 2.0], [0.5, 2.0]),
    ],
)
def test_any_labels_come_back_from_predict(labels: list[Any], classes: list[Any]) -> None:
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.2, 0.1], [2.0, -1.0]])
    model = MLPClassifier((8,), epochs=300, lr=0.05, seed=0).fit(X, labels, progress=False)
    assert model.classes_.tolist() == classes
    assert model.predict(X).tolist() == labels
    proba = model.predict_proba(X)
    assert proba.shape == (4, len(classes))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert model.score(X, labels) == 1.0


def test_predictions_are_the_table_forward_rules_and_stable_for_far_points() -> None:
    X, y = make_spiral(20, classes=3, seed=1)
    model = MLPClassifier((6,), activation="relu", epochs=50, seed=2).fit(X, y, progress=False)
    z = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0.0) @ model.coefs_[1]
    z = z + model.intercepts_[1]
    np.testing.assert_allclose(model.decision_function(X), z, rtol=1e-13)
    far = model.predict_proba(X * 1e6)  # logits in the millions: no overflow, no NaN
    assert np.isfinite(far).all()
    np.testing.assert_allclose(far.sum(axis=1), 1.0)


def test_the_epoch_hook_sees_every_epoch_cost_and_the_live_parameters() -> None:
    X, y = make_moons(40, seed=0)
    seen: list[tuple[int, float, int]] = []

    def record(epoch: int, cost: float, parameters: list[Any]) -> None:
        seen.append((epoch, cost, len(parameters)))

    model = MLPClassifier((3,), epochs=7, seed=0)._fit(X, y, progress=False, on_epoch=record)
    assert [e for e, _, _ in seen] == list(range(1, 8))
    assert [c for _, c, _ in seen] == model.history_
    assert {n for _, _, n in seen} == {4}  # W[1], b[1], W[2], b[2]


def test_a_failed_fit_leaves_the_model_as_it_was() -> None:
    X, y = make_moons(30, seed=0)
    model = MLPClassifier((3,), epochs=20, seed=0).fit(X, y, progress=False)
    before = ([w.copy() for w in model.coefs_], list(model.history_), model.classes_.copy())
    with pytest.raises(ValueError, match=r"X must hold finite numbers; X\[0, 1\] is nan"):
        model.fit(np.array([[0.0, np.nan], [1.0, 1.0]]), [0, 1], progress=False)
    diverging = MLPClassifier((3,), solver="sgd", lr=1e306, epochs=20, seed=0)
    diverging.coefs_ = before[0]  # as if fitted before
    with pytest.raises(OverflowError, match=r"MLPClassifier.fit stopped at epoch \d+ of 20"):
        diverging.fit(X * 1e3, y, progress=False)
    assert diverging.coefs_ is before[0]
    for w, w0 in zip(model.coefs_, before[0], strict=True):
        np.testing.assert_array_equal(w, w0)
    assert model.history_ == before[1]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: MLPClassifier(hidden_layer_sizes=(16, 0)), ValueError,
         r"hidden_layer_sizes\[1\] must be a positive int"),
        (lambda: MLPClassifier(hidden_layer_sizes=()), ValueError, "at least one layer width"),
        (lambda: MLPClassifier(hidden_layer_sizes="16"), TypeError, "hidden_layer_sizes must be"),
        (lambda: MLPClassifier(activation="softmax"), ValueError, "activation must be one of"),
        (lambda: MLPClassifier(solver="lbfgs"), ValueError, "solver must be one of"),
        (lambda: MLPClassifier(lr=0), ValueError, "lr must be a positive"),
        (lambda: MLPClassifier(epochs=2.5), TypeError, "epochs must be a positive int"),
        (lambda: MLPClassifier(batch_size=0), ValueError, "batch_size must be a positive int or"),
        (lambda: MLPClassifier(alpha=-1.0), ValueError, "alpha must be a finite number >= 0"),
        (lambda: MLPClassifier(seed=-3), ValueError, "seed must be None or an int >= 0"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_argument(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (np.zeros((3, 2)), [0, 0, 0], ValueError, r"y has a single class \(0\)"),
        (np.zeros((3, 2)), [0, 1], ValueError, "y has 2 labels but X has 3 examples"),
        (np.zeros((3, 2)), [[0], [1], [0]], ValueError, r"y must be 1-D.*use y.ravel"),
        (np.zeros((3, 2)), [0.0, np.nan, 1.0], ValueError, r"y\[1\] is nan"),
        (np.zeros((3, 2)), "abc", TypeError, "y must be an array of labels"),
        (np.zeros((3, 2)), [1, "a", None], TypeError, "y must hold ints, strings"),
        (np.zeros(3), [0, 1, 0], ValueError, r"X must be 2-D"),
    ],
)
def test_bad_data_names_the_argument(X: Array, y: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        MLPClassifier(epochs=1).fit(X, y, progress=False)


def test_using_a_model_before_fit_says_so() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MLPClassifier().predict(np.zeros((1, 2)))


def test_round_trip_is_exact_and_the_file_is_plain_json(tmp_path: Path) -> None:
    X, y = make_spiral(15, classes=3, seed=0)
    labels = np.array(["red", "green", "blue"])[y]
    model = MLPClassifier((5,), epochs=30, batch_size=16, alpha=0.1, seed=3)
    model.fit(X, labels, progress=False)
    path = tmp_path / "mlp.json"
    model.save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["model"] == "MLPClassifier" and document["classes"] == ["blue", "green", "red"]
    loaded = MLPClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.predict(X).tolist() == model.predict(X).tolist()
    assert repr(loaded) == repr(model) and loaded.history_ == model.history_
    loaded.save(tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == path.read_text()
    for labels_kind in ([0, 1], [False, True]):
        two = MLPClassifier((2,), epochs=2, seed=0)
        two.fit(np.array([[0.0, 1.0], [1.0, 0.0]]), labels_kind, progress=False)
        two.save(tmp_path / "two.json")
        back = MLPClassifier.load(tmp_path / "two.json").classes_
        assert back.tolist() == labels_kind and back.dtype == np.array(labels_kind).dtype


def saved_document(tmp_path: Path) -> dict[str, Any]:
    model = MLPClassifier((3,), epochs=2, seed=0)
    model.fit(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), [0, 1, 2], progress=False)
    model.save(tmp_path / "ok.json")
    document: dict[str, Any] = json.loads((tmp_path / "ok.json").read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"classes": [0, 1, 1]}, "'classes' must be distinct and sorted"),
        ({"classes": [0, "a", 2]}, "labels of one kind"),
        ({"classes": [0]}, "'classes' must be an array of 2 to"),
        ({"hidden_layer_sizes": [3, 0]}, r"'hidden_layer_sizes\[1\]' must be an int from 1"),
        ({"coefs": [[[0.0, 0.0, 0.0]], [[0.0] * 3] * 3]}, r"'coefs\[0\]' must be an array of 2"),
        ({"intercepts": [[0.0, 0.0], [0.0] * 3]}, r"'intercepts\[0\]' must hold 3 numbers"),
        ({"coefs": [[[0.0, 0.0, "x"]] * 2, [[0.0] * 3] * 3]}, r"'coefs\[0\]\[0\]\[2\]' must be"),
        ({"batch_size": 0}, "'batch_size' must be an int from 1"),
        ({"seed": -1}, "'seed' must be an int from 0"),
        ({"alpha": -0.5}, "'alpha' must be >= 0"),
        ({"activation": "softmax"}, "invalid setting: activation must be one of"),
        ({"extra": 1}, "unknown field"),
        ({"model": "LogisticRegression"}, "holds a 'LogisticRegression' model, not an MLPClass"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_naming_the_field(
    tmp_path: Path, change: dict[str, Any], match: str
) -> None:
    document = saved_document(tmp_path)
    document.update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=match):
        MLPClassifier.load(path)


def test_a_classifier_file_is_not_a_logistic_regression(tmp_path: Path) -> None:
    saved_document(tmp_path)
    with pytest.raises(ValueError, match="holds an 'MLPClassifier' model, not a LogisticRegressi"):
        LogisticRegression.load(tmp_path / "ok.json")
