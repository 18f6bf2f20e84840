"""LogisticRegression against the notes' closed forms and an independent numpy version."""

from __future__ import annotations

import io
import json
import math
import os
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graphgrad import Value
from graphgrad.graph import topological_order
from graphgrad.nn import LogisticRegression, MLPClassifier, Neuron, NotFittedError, _progress

Array = Any


def noisy_data(m: int, nx: int, seed: int) -> tuple[Array, Array]:
    """Overlapping classes, so the optimum is finite and a stays away from 0 and 1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, nx))
    true_w = rng.normal(size=nx)
    y = (X @ true_w + 0.5 + rng.normal(scale=1.5, size=m) > 0).astype(np.int64)
    return X, y


def sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_gradient_descent(
    X: Array, y: Array, lr: float, epochs: int
) -> tuple[Array, float, list[float]]:
    """The notes' vectorized logistic regression, written directly in numpy.

    Z = wᵀX + b, A = σ(Z), dZ = A - Y, dw = X dZᵀ / m, db = Σ dZ / m, with X
    transposed to the notes' (nx, m) columns.
    """
    Xc = X.T  # (nx, m): one column per example, as the notes
    nx, m = Xc.shape
    w = np.zeros(nx)
    b = 0.0
    costs = []
    for _ in range(epochs):
        A = sigmoid(w @ Xc + b)
        costs.append(float(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A))))
        dZ = A - y
        w = w - lr * (Xc @ dZ) / m
        b = b - lr * float(np.sum(dZ)) / m
    return w, b, costs


@pytest.mark.parametrize("seed", range(5))
def test_vectorized_gradients_equal_the_notes_closed_forms(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, nx = int(rng.integers(1, 40)), int(rng.integers(1, 6))
    X = rng.normal(scale=2.0, size=(m, nx))
    y = rng.integers(0, 2, size=m).astype(float)
    w = Value(rng.normal(size=nx), label="w")
    b = Value(float(rng.normal()), label="b")
    J = LogisticRegression().cost_graph(Value(X, label="X"), Value(y, label="y"), w, b)
    J.backward()

    dz = sigmoid(X @ w.data + b.data) - y  # dz = a - y
    np.testing.assert_allclose(w.grad, [np.mean(X[:, j] * dz) for j in range(nx)], atol=1e-14)
    assert b.grad == pytest.approx(np.mean(dz), abs=1e-14)
    a = sigmoid(X @ w.data + b.data)
    assert J.data == pytest.approx(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_scalar_graph_gradients_equal_the_notes_closed_forms(seed: int) -> None:
    rng = np.random.default_rng(10 + seed)
    m, nx = 7, 3
    X = rng.normal(size=(m, nx))
    y = rng.integers(0, 2, size=m).astype(float)
    neuron = Neuron(nx, weights=list(rng.normal(size=nx)), bias=float(rng.normal()))
    J = LogisticRegression().scalar_cost_graph(neuron, X, y)
    J.backward()
    w = np.array([p.data for p in neuron.w])
    dz = sigmoid(X @ w + neuron.b.data) - y
    for j in range(nx):
        assert neuron.w[j].grad == pytest.approx(np.mean(X[:, j] * dz), abs=1e-14)
    assert neuron.b.grad == pytest.approx(np.mean(dz), abs=1e-14)


@given(
    st.integers(1, 8).flatmap(
        lambda m: st.tuples(
            arrays(np.float64, (m, 3), elements=st.floats(-5, 5)),
            arrays(np.int64, m, elements=st.integers(0, 1)),
            arrays(np.float64, 3, elements=st.floats(-3, 3)),
            st.floats(-3, 3),
        )
    )
)
def test_vectorized_and_scalar_graphs_give_the_same_gradients(
    case: tuple[Array, Array, Array, float],
) -> None:
    X, y, w0, b0 = case
    model = LogisticRegression()
    w, b = Value(w0), Value(b0)
    J = model.cost_graph(Value(X), Value(y.astype(float)), w, b)
    J.backward()
    neuron = Neuron(3, weights=list(w0), bias=b0)
    J_scalar = model.scalar_cost_graph(neuron, X, y.astype(float))
    J_scalar.backward()
    assert J.data == pytest.approx(J_scalar.data, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(w.grad, [p.grad for p in neuron.w], rtol=1e-9, atol=1e-12)
    assert b.grad == pytest.approx(neuron.b.grad, rel=1e-9, abs=1e-12)


def test_the_vectorized_graph_is_a_handful_of_nodes_whatever_m() -> None:
    sizes = []
    for m in (5, 500):
        X, y = noisy_data(m, 4, seed=0)
        w, b = Value(np.zeros(4)), Value(0.0)
        data = Value(X, requires_grad=False), Value(y, requires_grad=False)  # as fit makes them
        J = LogisticRegression().cost_graph(*data, w, b)
        sizes.append(len(topological_order(J)))
    assert sizes[0] == sizes[1] <= 12


@pytest.mark.parametrize(("m", "nx", "lr", "epochs"), [(40, 3, 0.3, 300), (200, 6, 1.0, 150)])
def test_fit_equals_an_independent_numpy_gradient_descent(
    m: int, nx: int, lr: float, epochs: int
) -> None:
    X, y = noisy_data(m, nx, seed=m)
    model = LogisticRegression(lr=lr, epochs=epochs).fit(X, y, progress=False)
    w, b, costs = numpy_gradient_descent(X, y, lr, epochs)
    np.testing.assert_allclose(model.coef_, w, rtol=0, atol=1e-9)
    assert model.intercept_ == pytest.approx(b, abs=1e-9)
    np.testing.assert_allclose(model.history_, costs, rtol=0, atol=1e-9)
    assert model.coef_.shape == (nx,) and isinstance(model.intercept_, float)
    assert len(model.history_) == epochs


def test_vectorized_fit_equals_the_scalar_path_to_rounding() -> None:
    X, y = noisy_data(25, 3, seed=3)
    fast = LogisticRegression(lr=0.5, epochs=60).fit(X, y, progress=False)
    slow = LogisticRegression(lr=0.5, epochs=60, vectorized=False).fit(X, y, progress=False)
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-12, atol=1e-14)
    assert fast.intercept_ == pytest.approx(slow.intercept_, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(fast.history_, slow.history_, rtol=1e-12)


def test_cost_decreases_and_fit_arguments_override_the_constructor() -> None:
    X, y = noisy_data(60, 2, seed=4)
    model = LogisticRegression(lr=0.01, epochs=3)
    model.fit(X, y, lr=0.5, epochs=40, progress=False)
    assert len(model.history_) == 40
    assert model.history_[0] == pytest.approx(math.log(2))  # w = 0, b = 0: a = 1/2
    assert all(b <= a for a, b in zip(model.history_, model.history_[1:], strict=False))
    assert (model.lr, model.epochs) == (0.01, 3)  # fit's arguments are for that call only


def test_linearly_separable_data_is_learned_perfectly() -> None:
    rng = np.random.default_rng(7)
    X = rng.uniform(-3, 3, size=(120, 2))
    margin = X @ np.array([1.5, -1.0]) + 0.3
    keep = np.abs(margin) > 0.2  # a clear gap between the classes
    X, y = X[keep], (margin[keep] > 0).astype(int)
    model = LogisticRegression(lr=1.0, epochs=2000).fit(X, y, progress=False)
    assert model.score(X, y) == 1.0
    np.testing.assert_array_equal(model.predict(X), y)


def test_predictions_have_scikit_learn_shapes() -> None:
    X, y = noisy_data(30, 2, seed=5)
    model = LogisticRegression(lr=0.5, epochs=100).fit(X, y, progress=False)
    proba = model.predict_proba(X)
    assert proba.shape == (30, 2)
    a = sigmoid(X @ model.coef_ + model.intercept_)
    np.testing.assert_allclose(proba[:, 1], a, rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    prediction = model.predict(X)
    assert prediction.shape == (30,) and set(prediction) <= {0, 1}
    np.testing.assert_array_equal(prediction, (a > 0.5).astype(int))
    assert model.score(X, y) == pytest.approx(np.mean(prediction == y))
    np.testing.assert_allclose(model.decision_function(X), X @ model.coef_ + model.intercept_)


def test_labels_may_be_ints_floats_or_bools() -> None:
    X, y = noisy_data(30, 2, seed=6)
    fits = [
        LogisticRegression(epochs=50).fit(X, labels, progress=False).coef_
        for labels in (y, y.astype(float), y.astype(bool), list(map(int, y)))
    ]
    for coef in fits[1:]:
        np.testing.assert_array_equal(coef, fits[0])


def test_string_labels_are_classes_and_predict_returns_them(tmp_path: Path) -> None:
    X, y = noisy_data(30, 2, seed=6)
    named = np.where(y == 1, "spam", "ham")
    model = LogisticRegression(epochs=50).fit(X, named, progress=False)
    numbered = LogisticRegression(epochs=50).fit(X, y, progress=False)
    assert model.classes_.tolist() == ["ham", "spam"]  # sorted: "spam" is class 1
    np.testing.assert_array_equal(model.coef_, numbered.coef_)
    np.testing.assert_array_equal(
        model.predict(X), np.where(numbered.predict(X) == 1, "spam", "ham")
    )
    assert model.score(X, named) == numbered.score(X, y)
    assert numbered.classes_.tolist() == [0, 1] and numbered.predict(X).dtype == np.int64
    L = model.example_loss(X[0], named[0])
    assert L.data == pytest.approx(numbered.example_loss(X[0], y[0]).data, rel=1e-15)
    with pytest.raises(ValueError, match=r"y must be one of the classes \['ham', 'spam'\]"):
        model.example_loss(X[0], "eggs")
    model.save(tmp_path / "named.json")
    loaded = LogisticRegression.load(tmp_path / "named.json")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    numbered.save(tmp_path / "numbered.json")
    assert "classes" not in json.loads((tmp_path / "numbered.json").read_text())
    assert LogisticRegression.load(tmp_path / "numbered.json").predict(X).tolist() == (
        numbered.predict(X).tolist()
    )


def test_x_in_the_notes_layout_is_named_in_the_error() -> None:
    X_notes = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 0.0]])  # (nx, m) = (2, 4)
    with pytest.raises(
        ValueError,
        match=r"^y has 4 entries but X has 2 examples \(X is \(m, nx\) here; for the notes' "
        r"\(nx, m\) layout pass X.T\)$",
    ):
        LogisticRegression().fit(X_notes, [0, 0, 1, 1], progress=False)
    with pytest.raises(ValueError, match=r"y has 4 labels but X has 2 examples \(X is \(m, nx\)"):
        MLPClassifier().fit(X_notes, [0, 0, 1, 1], progress=False)
    with pytest.raises(ValueError, match=r"^y has 3 entries but X has 2 examples$"):  # no hint
        LogisticRegression().fit(X_notes, [0, 0, 1], progress=False)


def test_example_loss_is_the_scalar_graph_of_one_example() -> None:
    X, y = noisy_data(30, 2, seed=8)
    model = LogisticRegression(lr=0.5, epochs=50).fit(X, y, progress=False)
    L = model.example_loss(X[0], y[0])
    labels = {node.label for node in topological_order(L)}
    assert {"x1", "x2", "w1", "w2", "b", "z", "y", "L"} <= labels
    a = sigmoid(X[0] @ model.coef_ + model.intercept_)
    assert L.data == pytest.approx(-(y[0] * np.log(a) + (1 - y[0]) * np.log(1 - a)))
    L.backward()
    z = next(node for node in topological_order(L) if node.label == "z")
    assert z.grad == pytest.approx(a - y[0])
    with pytest.raises(ValueError, match="one example"):
        model.example_loss(X[:2], 1)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        model.example_loss(X[0], 2)


def test_progress_bar_follows_the_progress_argument(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = noisy_data(20, 2, seed=9)
    LogisticRegression(epochs=20).fit(X, y)  # stderr is captured: not a terminal
    LogisticRegression(epochs=20).fit(X, y, progress=False)
    assert capsys.readouterr().err == ""
    LogisticRegression(epochs=20).fit(X, y, progress=True)
    err = capsys.readouterr().err
    assert "LogisticRegression" in err and "20/20" in err and "cost=" in err


def test_progress_bar_shows_by_default_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    X, y = noisy_data(20, 2, seed=9)
    LogisticRegression(epochs=5).fit(X, y)
    assert "5/5" in capsys.readouterr().err


def simulate_jupyter_kernel(monkeypatch: pytest.MonkeyPatch, shell: str) -> None:
    """What a Jupyter kernel leaves for tqdm.autonotebook to find: ipykernel's shell module
    loaded and IPython.get_ipython() returning the shell."""
    kernel_shell = type(shell, (), {})()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: kernel_shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    for name in os.environ:
        if name == "QT_API" or name.startswith("SPYDER"):
            monkeypatch.delenv(name)


def test_notebooks_are_told_apart_from_terminals_and_consoles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "ipykernel.zmqshell", raising=False)
    assert not _progress.in_notebook()  # plain Python, or IPython in a terminal
    simulate_jupyter_kernel(monkeypatch, "ZMQInteractiveShell")
    assert _progress.in_notebook()
    monkeypatch.setenv("QT_API", "pyqt5")  # Jupyter's Qt console shows text like a terminal
    assert not _progress.in_notebook()


def test_notebooks_get_the_notebook_bar_terminals_text_and_pipes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen: list[bool] = []

    class Bar:
        def __init__(self, **options: Any) -> None:
            self.total = options["total"]

        def set_postfix(self, **options: Any) -> None:
            pass

        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            pass

    def bar_class(notebook: bool) -> type[Bar]:
        chosen.append(notebook)
        return Bar

    monkeypatch.setattr(_progress, "_bar_class", bar_class)
    X, y = noisy_data(20, 2, seed=9)
    monkeypatch.delitem(sys.modules, "ipykernel.zmqshell", raising=False)
    LogisticRegression(epochs=5).fit(X, y)  # stderr is captured: not a terminal
    assert chosen == []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    LogisticRegression(epochs=5).fit(X, y)
    assert chosen == [False]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    simulate_jupyter_kernel(monkeypatch, "ZMQInteractiveShell")
    LogisticRegression(epochs=5).fit(X, y)  # a notebook's stderr is no terminal either
    assert chosen == [False, True]
    LogisticRegression(epochs=5).fit(X, y, progress=False)
    assert chosen == [False, True]


def test_the_notebook_bar_is_tqdms_notebook_aware_one() -> None:
    import tqdm
    import tqdm.auto

    assert _progress._bar_class(True) is tqdm.auto.tqdm
    assert _progress._bar_class(False) is tqdm.tqdm


def test_predicting_before_fit_is_a_clear_error() -> None:
    model = LogisticRegression()
    for call in (
        lambda: model.predict(np.zeros((1, 2))),
        lambda: model.predict_proba(np.zeros((1, 2))),
        lambda: model.score(np.zeros((1, 2)), [0]),
        lambda: model.save("never-written.json"),
        lambda: model.example_loss([0.0], 0),
    ):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()


GOOD_X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
GOOD_Y = np.array([0, 1, 1])


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (np.zeros(3), GOOD_Y, ValueError, "X must be 2-D.*reshape"),
        (np.zeros((3, 2, 1)), GOOD_Y, ValueError, "X must be 2-D"),
        (np.zeros((0, 2)), np.zeros(0), ValueError, "X is empty"),
        (np.zeros((3, 0)), GOOD_Y, ValueError, "X has no features"),
        (np.array([[0.0, np.nan], [1, 1], [2, 2]]), GOOD_Y, ValueError, r"X\[0, 1\] is nan"),
        (np.array([[0.0, 1], [np.inf, 1], [2, 2]]), GOOD_Y, ValueError, r"X\[1, 0\] is inf"),
        ([[0, 1], [1]], GOOD_Y, ValueError, "X must be a rectangular"),
        (np.array([["a", "b"]] * 3), GOOD_Y, TypeError, "X must hold real numbers"),
        ("abc", GOOD_Y, TypeError, "X must be an array"),
        (GOOD_X, np.array([0, 1]), ValueError, "y has 2 entries but X has 3"),
        (GOOD_X, GOOD_Y.reshape(-1, 1), ValueError, r"y must be 1-D.*ravel"),
        (GOOD_X, np.array([0, 1, 2]), ValueError, r"labels 0 and 1 only; y\[2\] is 2"),
        (GOOD_X, np.array([0, 0.5, 1]), ValueError, r"y\[1\] is 0.5"),
        (GOOD_X, np.array([0, -1, 1]), ValueError, "labels 0 and 1"),
        (GOOD_X, np.array([0, np.nan, 1]), ValueError, r"y must hold finite.*y\[1\]"),
        (
            GOOD_X,
            np.array(["a", "b", "c"]),
            ValueError,
            r"y has 3 classes \('a', 'b', 'c'\): LogisticRegression takes two",
        ),
        (GOOD_X, None, TypeError, "y must hold real numbers"),
    ],
)
def test_fit_rejects_bad_data(X: object, y: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        LogisticRegression(epochs=2).fit(X, y, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lr": 0}, ValueError, "lr must be a positive"),
        ({"lr": -0.5}, ValueError, "lr must be a positive"),
        ({"lr": math.inf}, ValueError, "lr"),
        ({"lr": math.nan}, ValueError, "lr"),
        ({"lr": "0.1"}, TypeError, "lr must be a positive number"),
        ({"lr": True}, TypeError, "lr"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int"),
        ({"epochs": -3}, ValueError, "epochs"),
        ({"epochs": 2.0}, TypeError, "epochs must be a positive int"),
        ({"epochs": True}, TypeError, "epochs"),
        ({"progress": "yes"}, TypeError, "progress must be"),
        ({"solver": "lbfgs"}, ValueError, r"solver must be one of \('gd', 'newton'\)"),
        ({"solver": None}, None, None),  # None: the constructor's solver
    ],
)
def test_fit_rejects_bad_settings(
    kwargs: dict[str, Any], error: type[Exception] | None, match: str | None
) -> None:
    model = LogisticRegression(epochs=2)
    if error is None:
        model.fit(GOOD_X, GOOD_Y, progress=False, **kwargs)
        return
    with pytest.raises(error, match=match):
        model.fit(GOOD_X, GOOD_Y, **{"progress": False, **kwargs})
    if "progress" not in kwargs:
        with pytest.raises(error, match=match):
            LogisticRegression(**kwargs)


def test_constructor_rejects_bad_vectorized_flag() -> None:
    with pytest.raises(TypeError, match="vectorized"):
        LogisticRegression(vectorized=1)  # type: ignore[arg-type]


def test_predict_checks_its_input_against_the_fitted_model() -> None:
    model = LogisticRegression(epochs=5).fit(GOOD_X, GOOD_Y, progress=False)
    with pytest.raises(ValueError, match="X has 3 features but the model was fitted with 2"):
        model.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="X must be 2-D"):
        model.predict_proba(np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        model.predict(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="y has 2 entries"):
        model.score(GOOD_X, [0, 1])


def test_a_failed_fit_leaves_the_fitted_model_unchanged() -> None:
    model = LogisticRegression(epochs=5).fit(GOOD_X, GOOD_Y, progress=False)
    before = (model.coef_.copy(), model.intercept_, list(model.history_))
    with pytest.raises(ValueError):
        model.fit(GOOD_X, [0, 1, 3], progress=False)
    huge = np.array([[1e300, -1e300], [-1e300, 1e300], [1e300, 1e300]])
    with pytest.raises(OverflowError, match="epoch"):
        model.fit(huge, GOOD_Y, lr=1e10, epochs=3, progress=False)
    np.testing.assert_array_equal(model.coef_, before[0])
    assert (model.intercept_, model.history_) == before[1:]


def test_repr_shows_the_settings() -> None:
    assert repr(LogisticRegression(lr=0.5, epochs=7)) == (
        "LogisticRegression(lr=0.5, epochs=7, solver='gd', vectorized=True)"
    )


def test_no_bar_when_stderr_is_missing_or_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = noisy_data(10, 2, seed=11)
    monkeypatch.setattr(sys, "stderr", None)  # pythonw and some embedded interpreters
    assert len(LogisticRegression(epochs=3).fit(X, y).history_) == 3
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    assert len(LogisticRegression(epochs=3).fit(X, y).history_) == 3


def test_the_epoch_hook_sees_every_epoch_cost_and_the_parameters() -> None:
    X, y = noisy_data(30, 2, seed=0)
    seen: list[tuple[int, float, list[float]]] = []

    def record(epoch: int, cost: float, parameters: list[Value]) -> None:
        seen.append((epoch, cost, [float(np.sum(p.data)) for p in parameters]))

    model = LogisticRegression(lr=0.5, epochs=5)._fit(X, y, progress=False, on_epoch=record)
    assert [epoch for epoch, _, _ in seen] == [1, 2, 3, 4, 5]
    assert [cost for _, cost, _ in seen] == model.history_
    # The parameters after the last epoch are the fitted ones.
    assert seen[-1][2] == pytest.approx([float(np.sum(model.coef_)), model.intercept_])
