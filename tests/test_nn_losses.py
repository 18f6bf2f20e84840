"""Losses, cost, neuron and optimizer of graphgrad.nn against independent oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphgrad import Value, gradcheck, gradgradcheck
from graphgrad.nn import (
    GradientDescent,
    Neuron,
    binary_cross_entropy,
    cost,
    softmax_cross_entropy,
    squared_error,
)

logits = st.floats(min_value=-700.0, max_value=700.0, allow_nan=False)
labels = st.sampled_from([0, 1])


def textbook_loss(z: float, y: int) -> float:
    """The notes' L(a, y) = -(y log a + (1 - y) log(1 - a)), evaluated in high precision."""
    a = 1.0 / (1.0 + math.exp(-z))
    return -(y * math.log(a) + (1 - y) * math.log(1.0 - a))


@pytest.mark.parametrize("z", [-5.0, -0.3, 0.0, 0.7, 4.0])
@pytest.mark.parametrize("y", [0, 1])
def test_bce_equals_the_notes_formula_where_it_is_computable(z: float, y: int) -> None:
    assert binary_cross_entropy(Value(z), y).data == pytest.approx(textbook_loss(z, y), rel=1e-12)


@given(logits, labels)
def test_bce_gradient_is_a_minus_y_and_never_inf_or_nan(z: float, y: int) -> None:
    node = Value(z, label="z")
    loss = binary_cross_entropy(node, y)
    loss.backward()
    a = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    assert math.isfinite(loss.data) and loss.data >= 0.0
    assert node.grad == pytest.approx(a - y, abs=1e-15)


@pytest.mark.parametrize(("z", "y", "expected"), [(800.0, 0, 800.0), (-800.0, 1, 800.0)])
def test_bce_of_a_saturated_wrong_prediction_is_the_logit_not_inf(
    z: float, y: int, expected: float
) -> None:
    # a rounds to exactly 1 (or 0); the textbook formula would take log(0).
    assert binary_cross_entropy(Value(z), y).data == expected


@given(st.floats(min_value=-30.0, max_value=30.0), labels)
def test_bce_passes_gradcheck(z: float, y: int) -> None:
    gradcheck(lambda v: binary_cross_entropy(v, y), z)


def test_bce_on_arrays_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(scale=3.0, size=50)
    y = rng.integers(0, 2, size=50).astype(float)
    node = Value(z)
    loss = binary_cross_entropy(node, y)
    a = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(loss.data, -(y * np.log(a) + (1 - y) * np.log(1 - a)), rtol=1e-12)
    J = cost(loss)
    J.backward()
    np.testing.assert_allclose(node.grad, (a - y) / 50, rtol=1e-12, atol=1e-17)


def test_bce_accepts_bool_labels_and_labelled_value() -> None:
    assert binary_cross_entropy(Value(0.5), True).data == binary_cross_entropy(Value(0.5), 1).data
    from graphgrad.graph import topological_order

    y = Value(0.0, label="y")
    L = binary_cross_entropy(Value(0.5), y)
    assert L.label == "L"
    assert any(node is y for node in topological_order(L))


@pytest.mark.parametrize("y", [0.5, 2, -1])
def test_bce_rejects_labels_other_than_0_and_1(y: float) -> None:
    with pytest.raises(ValueError, match="labels 0 and 1"):
        binary_cross_entropy(Value(0.0), y)


def test_bce_rejects_bad_inputs() -> None:
    with pytest.raises(TypeError, match="z as a Value"):
        binary_cross_entropy(0.5, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        binary_cross_entropy(Value(np.zeros(3)), np.zeros(4))
    with pytest.raises(TypeError):
        binary_cross_entropy(Value(0.0), "1")  # type: ignore[arg-type]


def test_squared_error_and_its_gradient() -> None:
    y_hat = Value(np.array([1.0, 4.0]))
    J = cost(squared_error(y_hat, np.array([0.0, 2.0])))
    assert J.data == pytest.approx((0.5 * 1 + 0.5 * 4) / 2)
    J.backward()
    np.testing.assert_allclose(y_hat.grad, [0.5, 1.0])  # (ŷ - y) / m
    with pytest.raises(ValueError, match="shape"):
        squared_error(y_hat, 1.0)
    with pytest.raises(TypeError):
        squared_error(1.0, 1.0)  # type: ignore[arg-type]


def test_cost_of_a_list_is_the_mean_and_rejects_bad_lists() -> None:
    losses = [Value(v) for v in (1.0, 2.0, 4.5)]
    J = cost(losses)
    assert J.data == pytest.approx(2.5) and J.label == "J"
    J.backward()
    assert [v.grad for v in losses] == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="at least one"):
        cost([])
    with pytest.raises(TypeError, match=r"losses\[1\]"):
        cost([Value(1.0), 2.0])  # type: ignore[list-item]


def test_neuron_builds_the_notes_graph() -> None:
    neuron = Neuron(2, weights=[0.5, -1.0], bias=0.25)
    a = neuron([2.0, 3.0])
    z = 0.5 * 2 - 1.0 * 3 + 0.25
    assert a.label == "a" and a.data == pytest.approx(1 / (1 + math.exp(-z)))
    a.backward()
    s = a.data * (1 - a.data)
    assert neuron.w[0].grad == pytest.approx(s * 2.0)
    assert neuron.w[1].grad == pytest.approx(s * 3.0)
    assert neuron.b.grad == pytest.approx(s)
    assert [p.label for p in neuron.parameters()] == ["w1", "w2", "b"]
    assert Neuron(1, "relu", weights=[-1.0])([2.0]).data == 0.0
    assert Neuron(1, "linear", weights=[-1.0])([2.0]).data == -2.0
    assert Neuron(1, "tanh", weights=[1.0])([0.5]).data == pytest.approx(math.tanh(0.5))


def test_neuron_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="nx"):
        Neuron(0)
    with pytest.raises(ValueError, match="nx"):
        Neuron(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="activation"):
        Neuron(2, "softmax")
    with pytest.raises(ValueError, match="weights"):
        Neuron(2, weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        Neuron(2, weights=np.zeros((1, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bias"):
        Neuron(1, bias=math.nan)
    with pytest.raises(TypeError, match=r"weights\[0\]"):
        Neuron(1, weights=["1"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="x must hold nx = 2"):
        Neuron(2)([1.0])
    with pytest.raises(ValueError, match=r"x\[1\]"):
        Neuron(2)([1.0, math.inf])


def test_gradient_descent_step_is_w_minus_lr_dw() -> None:
    w = Value(np.array([1.0, -2.0]), label="w")
    b = Value(0.5, label="b")
    optimizer = GradientDescent([w, b], lr=0.25)
    J = (w * w).sum() + 3.0 * b  # dJ/dw = 2w, dJ/db = 3
    J.backward()
    optimizer.step()
    np.testing.assert_array_equal(w.data, [1.0 - 0.25 * 2.0, -2.0 + 0.25 * 4.0])
    assert b.data == 0.5 - 0.25 * 3.0
    assert w.op == "" and w.inputs == ()  # the update recorded no graph
    optimizer.zero_grad()
    assert w.grad is None and b.grad is None  # no gradient until backward() reaches them


def test_gradient_descent_divergence_is_an_error_that_changes_nothing() -> None:
    w = Value(np.array([1.0, 2.0]), label="w")
    b = Value(1.0, label="b")
    optimizer = GradientDescent([b, w], lr=1e10)
    (w * 1e300 + b).sum().backward()  # dJ/dw = 1e300: lr * dw is beyond the floats
    with pytest.raises(OverflowError, match=r"'w'.*smaller learning rate"):
        optimizer.step()
    assert b.data == 1.0  # b was updated first, yet kept: a failed step changes nothing
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_gradient_descent_rejects_bad_arguments() -> None:
    x = Value(1.0)
    with pytest.raises(ValueError, match="at least one"):
        GradientDescent([])
    with pytest.raises(TypeError, match=r"parameters\[0\]"):
        GradientDescent([1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="output of an op"):
        GradientDescent([x * 2])
    for lr in (0, -0.1, math.inf, math.nan):
        with pytest.raises(ValueError, match="lr"):
            GradientDescent([x], lr=lr)
    for lr in ("0.1", None, True):
        with pytest.raises(TypeError, match="lr"):
            GradientDescent([x], lr=lr)  # type: ignore[arg-type]


# --- losses of networks: logits of shape (m, 1) and (m, k) ----------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(("z_shape", "y_shape"), [((6, 1), (6,)), ((6,), (6, 1)), ((6, 1), (6, 1))])
def test_bce_takes_a_network_output_column_with_labels_of_either_shape(
    z_shape: tuple[int, ...], y_shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(scale=2.0, size=z_shape)
    y = rng.integers(0, 2, size=6).astype(float)
    node = Value(z, label="z")
    loss = binary_cross_entropy(node, y.reshape(y_shape))
    assert loss.shape == z_shape  # one loss per example, not an (m, m) broadcast
    J = cost(loss)
    J.backward()
    a = 1.0 / (1.0 + np.exp(-z.ravel()))
    assert J.data == pytest.approx(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)), rel=1e-12)
    np.testing.assert_allclose(node.grad.ravel(), (a - y) / 6, rtol=1e-12)


def test_bce_of_logits_at_plus_minus_1000_is_finite_with_the_exact_gradient() -> None:
    z = Value(np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]]))
    y = np.array([1, 0, 0, 1])
    J = cost(binary_cross_entropy(z, y))
    J.backward()
    assert J.data == 500.0  # two right (loss 0) and two wrong by 1000
    np.testing.assert_array_equal(z.grad.ravel(), np.array([0.0, 0.0, 1.0, -1.0]) / 4)


@given(st.integers(1, 8), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_softmax_cross_entropy_and_its_gradient_are_the_notes(m: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3.0, size=(m, k))
    y = rng.integers(0, k, size=m)
    node = Value(z, label="z")
    J = softmax_cross_entropy(node, y)
    J.backward()
    p = _softmax(z)
    onehot = np.eye(k)[y]
    assert J.data == pytest.approx(-np.mean(np.log(p[np.arange(m), y])), rel=1e-12)
    np.testing.assert_allclose(node.grad, (p - onehot) / m, rtol=1e-13, atol=1e-16)


def test_softmax_cross_entropy_at_plus_minus_1000_does_not_overflow() -> None:
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0]])
    node = Value(z)
    J = softmax_cross_entropy(node, [0, 2, 1])
    J.backward()
    # Row 1 is right (loss ~0), row 2 misses by log(1 + e) - 1 + ..., row 3 ties two classes.
    expected = (0.0 + (1000.0 + np.log1p(np.exp(-1.0)) - 999.0) + np.log(2.0)) / 3
    assert J.data == pytest.approx(expected, rel=1e-14)
    onehot = np.eye(3)[[0, 2, 1]]
    np.testing.assert_allclose(node.grad, (_softmax(z) - onehot) / 3, rtol=1e-14, atol=1e-300)


def test_softmax_cross_entropy_of_two_classes_is_bce_of_the_logit_difference() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 2))
    y = np.array([0, 1, 1, 0, 1])
    J = softmax_cross_entropy(Value(z), y)
    J2 = cost(binary_cross_entropy(Value(z[:, 1] - z[:, 0]), y))
    assert J.data == pytest.approx(J2.data, rel=1e-13)


def test_softmax_cross_entropy_passes_gradcheck_and_gradgradcheck() -> None:
    z = np.random.default_rng(3).normal(size=(3, 4))
    y = [3, 0, 0]
    assert gradcheck(lambda v: softmax_cross_entropy(v, y), z)
    assert gradgradcheck(lambda v: softmax_cross_entropy(v, y), z)


@pytest.mark.parametrize(
    ("logits", "y", "error", "match"),
    [
        (
            np.zeros((2, 3)),
            [0, 3],
            ValueError,
            r"y\[1\] is 3: a class index must be an int from 0 to 2",
        ),
        (np.zeros((2, 3)), [0, -1], ValueError, r"y\[1\] is -1"),
        (np.zeros((2, 3)), [0.5, 1], ValueError, r"y\[0\] is 0\.5"),
        (np.zeros((2, 3)), [0, np.nan], ValueError, r"y\[1\] is nan"),
        (np.zeros((2, 3)), [0, 1, 2], ValueError, r"shape \(2,\); got shape \(3,\)"),
        (np.zeros((2, 3)), ["a", "b"], ValueError, "dtype <U1"),
        (np.zeros((2, 3)), "ab", TypeError, "y must be an array of class indices"),
        (np.zeros(3), [0], ValueError, r"shape \(m examples, k classes\), got shape \(3,\)"),
    ],
)
def test_softmax_cross_entropy_names_what_is_wrong(
    logits: np.ndarray, y: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        softmax_cross_entropy(Value(logits), y)
    with pytest.raises(TypeError, match="needs the logits as a Value"):
        softmax_cross_entropy(logits, [0])  # type: ignore[arg-type]


def test_bce_takes_labels_written_as_a_list() -> None:
    z = np.array([0.5, -1.0, 2.0])
    from_list = binary_cross_entropy(Value(z), [1, 0, 1])
    from_array = binary_cross_entropy(Value(z), np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(from_list.data, from_array.data)
    with pytest.raises(ValueError, match="labels 0 and 1 only"):
        binary_cross_entropy(Value(z), [1, 2, 1])


def test_labels_and_targets_are_constants_that_take_no_gradient() -> None:
    from graphgrad.graph import topological_order

    z = Value(np.array([0.5, -1.0]), label="z")
    for loss in (binary_cross_entropy(z, np.array([1.0, 0.0])), squared_error(z, [2.0, 1.0])):
        (y,) = [node for node in topological_order(loss) if node.label == "y"]
        assert y.requires_grad is False
        loss.sum().backward()
        assert y.grad == 0.0 and z.grad.shape == (2,)


def closed_form_bce(z: float, y: int) -> float:
    """-log a for y = 1, -log(1 - a) for y = 0, a = σ(z): log(1 + e^∓z), written
    with log1p of a number below 1, so that every digit is kept."""
    t = -z if y == 1 else z
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), labels)
def test_bce_keeps_the_relative_precision_of_small_and_large_losses(z: float, y: int) -> None:
    expected = closed_form_bce(z, y)
    got = binary_cross_entropy(Value(z), y).data
    assert got == pytest.approx(expected, rel=1e-14, abs=0.0)


@pytest.mark.parametrize(("z", "y"), [(35.0, 1), (30.0, 1), (-35.0, 0), (-700.0, 0), (20.0, 1)])
def test_bce_of_a_confident_right_prediction_is_its_tiny_loss_not_zero(z: float, y: int) -> None:
    L = binary_cross_entropy(Value(np.array([z])), np.array([y]))
    assert L.data[0] == pytest.approx(math.log1p(math.exp(-abs(z))), rel=1e-14, abs=0.0)


def test_bce_gradients_for_a_label_that_takes_one_are_pytorchs() -> None:
    for z0, y0 in [(0.7, 1.0), (-2.0, 0.0), (40.0, 1.0)]:
        z, y = Value(z0), Value(y0)
        L = binary_cross_entropy(z, y)
        L.backward()
        assert L.data == pytest.approx(closed_form_bce(z0, int(y0)), rel=1e-14)
        a_minus_y = 1.0 / (1.0 + math.exp(-z0)) if y0 == 0 else -1.0 / (1.0 + math.exp(z0))
        assert z.grad == pytest.approx(a_minus_y, rel=1e-12, abs=0.0)
        assert y.grad == pytest.approx(-z0, rel=1e-14)  # d/dy of -(y log a + (1 - y) log(1 - a))


@pytest.mark.parametrize(
    ("row", "label", "expected"),
    [
        ([1e17, 1e17], 0, math.log(2.0)),
        ([1e4, 9970.0], 0, math.log1p(math.exp(-30.0))),
        ([9970.0, 1e4], 0, 30.0 + math.log1p(math.exp(-30.0))),
        ([-1e300, -1e300, -1e300], 2, math.log(3.0)),
        ([5e15 + 1.0, 5e15, 5e15 - 2.0], 0, math.log1p(math.exp(-1.0) + math.exp(-3.0))),
    ],
)
def test_softmax_cross_entropy_keeps_the_digits_of_logits_far_from_zero(
    row: list[float], label: int, expected: float
) -> None:
    z = Value(np.array([row]))
    J = softmax_cross_entropy(z, [label])
    # log Σ e^(z - max) of sums within 1e-13 of 1 keeps about 3 digits: the op's log, not ours.
    assert J.data == pytest.approx(expected, rel=2e-3 if expected < 1e-12 else 1e-12, abs=0.0)
    J.backward()
    shifted = np.exp(np.array(row) - max(row))
    softmax = shifted / shifted.sum()
    np.testing.assert_allclose(z.grad[0], softmax - np.eye(len(row))[label], atol=1e-15)


def test_bce_takes_bool_arrays_as_it_takes_a_bool() -> None:
    z = np.array([0.5, -1.0, 3.0])
    as_bools = binary_cross_entropy(Value(z), np.array([True, False, True]))
    as_numbers = binary_cross_entropy(Value(z), np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(as_bools.data, as_numbers.data)
    column = binary_cross_entropy(Value(z.reshape(-1, 1)), np.array([True, False, True]))
    np.testing.assert_array_equal(column.data.ravel(), as_numbers.data)
