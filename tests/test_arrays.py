"""Values vectorized over arrays: every op, broadcasting, reductions, matmul.

Oracles: central finite differences computed here with numpy on the forward
formula, the notes' closed-form gradients of logistic regression, and the
scalar path evaluated element by element.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from graphgrad import Value, gradgradcheck, no_grad, ops
from graphgrad.ops import OPS

Array = np.ndarray[Any, np.dtype[np.float64]]

# --- helpers ----------------------------------------------------------------------------


def finite_differences(f: Callable[..., float], *xs: Any, h: float = 1e-6) -> list[Any]:
    """Central differences of a plain numpy function, one element at a time."""
    grads: list[Any] = []
    for i, x in enumerate(xs):
        if isinstance(x, float):

            def shifted(d: float, i: int = i) -> float:
                moved = list(xs)
                moved[i] = xs[i] + d
                return float(f(*moved))

            grads.append((shifted(h) - shifted(-h)) / (2 * h))
            continue
        grad = np.empty_like(x)
        for index in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[index] += h
            minus[index] -= h
            up = float(f(*xs[:i], plus, *xs[i + 1 :]))
            down = float(f(*xs[:i], minus, *xs[i + 1 :]))
            grad[index] = (up - down) / (2 * h)
        grads.append(grad)
    return grads


def assert_grad(value: Value, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """The gradient has the data's shape and matches ``expected``."""
    assert np.shape(value.grad) == np.shape(value.data)
    assert type(value.grad) is type(value.data)
    np.testing.assert_allclose(value.grad, expected, rtol=rtol, atol=atol)


def arrays(shape: Any, low: float = -2.0, high: float = 2.0) -> st.SearchStrategy[Array]:
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high))


def away_from_zero(x: Array, margin: float = 0.2) -> Array:
    """Move elements out of (-margin, margin): kinks and poles live at 0."""
    return np.where(x >= 0, x + margin, x - margin)


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
pairs_of_shapes = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, max_side=3
)


# Numpy versions of the ops' forward rules: the oracle's forward, written
# independently of graphgrad's table.
NUMPY_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x,
    "exp": np.exp,
    "log": np.log,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "step": lambda x: (x > 0).astype(float),
    "stop_gradient": lambda x: x,
}
NUMPY_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**y,
    "xlogy": lambda x, y: x * np.log(y),
}
NUMPY_TERNARY: dict[str, Callable[[Any, Any, Any], Any]] = {
    "scaled_pow": lambda x, k, e: k * x**e,
}
# The table's own ops (a user's, from define_op, are tested in test_define_op.py).
TABLE = {n: op for n, op in OPS.items() if op.builtin}
UNARY = sorted(n for n, op in TABLE.items() if op.elementwise and op.arity == 1)
BINARY = sorted(n for n, op in TABLE.items() if op.elementwise and op.arity == 2)
TERNARY = sorted(n for n, op in TABLE.items() if op.elementwise and op.arity == 3)


def test_every_elementwise_op_has_a_numpy_oracle() -> None:
    # A new op in the table must be added here, so that it is checked below.
    assert set(UNARY) == set(NUMPY_UNARY)
    assert set(BINARY) == set(NUMPY_BINARY)
    assert set(TERNARY) == set(NUMPY_TERNARY)
    assert all(op.arity <= 3 for op in TABLE.values() if op.elementwise)


def apply_unary(name: str, x: Value) -> Value:
    return -x if name == "neg" else getattr(x, name)()


def apply_binary(name: str, x: Any, y: Any) -> Any:
    operators: dict[str, Callable[[Any, Any], Any]] = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
    }
    return operators[name](x, y) if name in operators else OPS[name](x, y)


# --- elementwise ops on arrays -------------------------------------------------------------


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_ops_on_arrays_match_finite_differences(name: str, data: st.DataObject) -> None:
    shape = data.draw(shapes)
    x = away_from_zero(data.draw(arrays(shape)))
    if name == "log":
        x = np.abs(x)
    weights = data.draw(arrays(shape))  # so that each element's gradient differs
    xv = Value(x, label="x")
    out = apply_unary(name, xv)
    assert out.shape == shape
    np.testing.assert_allclose(out.data, NUMPY_UNARY[name](x), rtol=1e-12, atol=1e-12)
    (out * weights).sum().backward()
    if not OPS[name].takes_gradient(0):  # by design: no gradient passes
        np.testing.assert_array_equal(xv.grad, np.zeros(shape) if shape else 0.0)
        return
    (expected,) = finite_differences(lambda x: np.sum(NUMPY_UNARY[name](x) * weights), x)
    assert_grad(xv, expected)


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_ops_broadcast_and_sum_gradients_back(name: str, data: st.DataObject) -> None:
    (shape_x, shape_y), result_shape = data.draw(pairs_of_shapes)
    x = data.draw(arrays(shape_x)) if shape_x else data.draw(st.floats(-2.0, 2.0))
    y = data.draw(arrays(shape_y)) if shape_y else data.draw(st.floats(-2.0, 2.0))
    if name in ("div", "pow", "xlogy"):
        y = away_from_zero(np.asarray(y)) if shape_y else float(away_from_zero(np.asarray(y)))
    if name == "pow":
        x = np.abs(away_from_zero(np.asarray(x))) if shape_x else abs(x) + 0.2
    if name == "xlogy":
        y = np.abs(y) if shape_y else abs(y)
    weights = data.draw(arrays(result_shape)) if result_shape else 0.7
    xv, yv = Value(x, label="x"), Value(y, label="y")
    out = apply_binary(name, xv, yv)
    assert out.shape == result_shape
    np.testing.assert_allclose(out.data, NUMPY_BINARY[name](x, y), rtol=1e-12)
    (out * weights).sum().backward()

    def oracle(x: Any, y: Any) -> float:
        return float(np.sum(NUMPY_BINARY[name](x, y) * weights))

    dx, dy = finite_differences(oracle, x, y)
    assert_grad(xv, dx, rtol=1e-4, atol=1e-5)
    assert_grad(yv, dy, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", TERNARY)
@given(data=st.data())
def test_three_input_ops_broadcast_and_sum_gradients_back(name: str, data: st.DataObject) -> None:
    shapes_in, result_shape = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=2, max_side=3)
    )
    xs = [
        data.draw(arrays(s, 0.3, 2.0)) if s else data.draw(st.floats(0.3, 2.0)) for s in shapes_in
    ]
    weights = data.draw(arrays(result_shape)) if result_shape else 0.7
    values = [Value(x) for x in xs]
    out = OPS[name](*values)
    assert out.shape == result_shape
    np.testing.assert_allclose(out.data, NUMPY_TERNARY[name](*xs), rtol=1e-12)
    (out * weights).sum().backward()
    expected = finite_differences(lambda *a: np.sum(NUMPY_TERNARY[name](*a) * weights), *xs)
    for v, e in zip(values, expected, strict=True):
        assert_grad(v, e, rtol=1e-4, atol=1e-5)


@given(x=arrays(shapes, 0.2, 2.0), exponent=st.sampled_from([2, 3, -1, 0.5, -1.5, 2.5]))
def test_power_by_a_number_on_arrays(x: Array, exponent: float) -> None:
    xv = Value(x, label="x")
    (xv**exponent).sum().backward()
    assert_grad(xv, exponent * x ** (exponent - 1.0), rtol=1e-12)


@pytest.mark.parametrize(
    ("shape_x", "shape_y"),
    [((), (5,)), ((5,), ()), ((3, 1), (1, 4)), ((1, 4), (3, 1)), ((4,), (3, 4)), ((3, 1), (3, 4))],
)
def test_named_broadcasting_cases(shape_x: tuple[int, ...], shape_y: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape_x) if shape_x else 1.5
    y = rng.normal(size=shape_y) if shape_y else -0.5
    weights = rng.normal(size=np.broadcast_shapes(shape_x, shape_y))
    xv, yv = Value(x), Value(y)
    (xv * yv * weights).sum().backward()
    dx, dy = finite_differences(lambda x, y: np.sum(x * y * weights), x, y)
    assert_grad(xv, dx)
    assert_grad(yv, dy)
    # The closed form: each input's gradient is the product summed over broadcast axes.
    assert np.isclose(np.sum(xv.grad), np.sum(y * weights * np.ones_like(x)))


def test_plain_numbers_and_arrays_mix_as_operands() -> None:
    x = Value(np.array([1.0, 2.0, 3.0]), label="x")
    c = np.array([2.0, 0.5, -1.0])
    J = (c * x + 1 - x / 2 + 3 ** (x / 10)).sum()
    J.backward()
    assert_grad(x, c - 0.5 + math.log(3) / 10 * 3 ** (x.data / 10))


# --- reductions and linear algebra ----------------------------------------------------------


@given(x=arrays(shapes), factor=st.floats(-3.0, 3.0))
def test_sum_and_mean_reduce_to_a_scalar_with_closed_form_gradients(
    x: Array, factor: float
) -> None:
    xv = Value(x)
    total, mean = xv.sum(), xv.mean()
    assert type(total.data) is float and type(mean.data) is float
    assert math.isclose(total.data, float(np.sum(x)), rel_tol=1e-12, abs_tol=1e-12)
    (total * factor + mean).backward()
    assert_grad(xv, np.full(x.shape, factor + 1.0 / x.size), rtol=1e-12)


@given(
    shapes=st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))]),
    data=st.data(),
)
def test_matmul_of_every_rank_matches_finite_differences(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], data: st.DataObject
) -> None:
    x, y = data.draw(arrays(shapes[0])), data.draw(arrays(shapes[1]))
    out_shape = np.matmul(x, y).shape
    weights = data.draw(arrays(out_shape)) if out_shape else 1.3
    xv, yv = Value(x), Value(y)
    out = xv @ yv
    assert out.shape == out_shape
    (out * weights).sum().backward()
    dx, dy = finite_differences(lambda x, y: np.sum((x @ y) * weights), x, y)
    assert_grad(xv, dx)
    assert_grad(yv, dy)


@given(data=st.data())
def test_outer_and_transpose(data: st.DataObject) -> None:
    x, y = data.draw(arrays((3,))), data.draw(arrays((4,)))
    weights = data.draw(arrays((4, 3)))
    xv, yv = Value(x), Value(y)
    out = xv.outer(yv).T
    assert out.shape == (4, 3)
    (out * weights).sum().backward()
    dx, dy = finite_differences(lambda x, y: np.sum(np.outer(x, y).T * weights), x, y)
    assert_grad(xv, dx)
    assert_grad(yv, dy)


def test_transpose_of_a_number_and_of_a_vector_is_itself() -> None:
    a, v = Value(2.0), Value(np.array([1.0, 2.0]))
    (a.T * 3.0 + (v.T * v).sum()).backward()
    assert a.grad == 3.0
    assert_grad(v, 2 * v.data)


# --- every op that is not elementwise, against numpy written out ---------------------------


def _numpy_logsumexp(x: Array, axis: Any, keepdims: bool) -> Any:
    top = np.max(x, axis=axis, keepdims=True)
    result = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return result if keepdims else np.squeeze(result, axis=axis)


def _numpy_scatter(x: Array, shape: tuple[int, ...], index: Any) -> Array:
    out = np.zeros(shape)
    np.add.at(out, index, x)
    return out


# name -> cases of (input shapes, parameters, numpy oracle of the forward rule).
# The oracles are numpy's own functions, written independently of the table.
NOT_ELEMENTWISE: dict[str, list[tuple[list[tuple[int, ...]], dict[str, Any], Callable[..., Any]]]]
NOT_ELEMENTWISE = {
    "sum": [
        ([(3, 4)], {"axis": 1, "keepdims": True}, lambda x: np.sum(x, axis=1, keepdims=True)),
        ([(2, 3, 2)], {"axis": (0, 2)}, lambda x: np.sum(x, axis=(0, 2))),
    ],
    "mean": [([(3, 4)], {"axis": 0}, lambda x: np.mean(x, axis=0))],
    "max": [
        ([(3, 4)], {"axis": 1}, lambda x: np.max(x, axis=1)),
        ([(3, 4)], {"axis": 0, "keepdims": True}, lambda x: np.max(x, axis=0, keepdims=True)),
        ([(2, 3)], {}, np.max),
        ([(2, 2, 3)], {"axis": -1}, lambda x: np.max(x, axis=-1)),
    ],
    "logsumexp": [
        ([(3, 4)], {"axis": 1}, lambda x: _numpy_logsumexp(x, 1, False)),
        ([(3, 4)], {"axis": 0, "keepdims": True}, lambda x: _numpy_logsumexp(x, 0, True)),
        ([(5,)], {}, lambda x: _numpy_logsumexp(x, None, False)),
    ],
    "getitem": [
        ([(3, 2)], {"index": (slice(None), 0)}, lambda x: x[:, 0]),
        ([(3, 2)], {"index": 1}, lambda x: x[1]),
        ([(3, 2)], {"index": (2, -1)}, lambda x: x[2, -1]),
        ([(4, 3)], {"index": (np.arange(4), np.array([0, 2, 1, 2]))},
         lambda x: x[np.arange(4), np.array([0, 2, 1, 2])]),
        ([(5,)], {"index": np.array([0, 0, 3])}, lambda x: x[np.array([0, 0, 3])]),
        ([(5,)], {"index": slice(4, 0, -2)}, lambda x: x[4:0:-2]),
        ([(3, 2)], {"index": np.array([True, False, True])},
         lambda x: x[np.array([True, False, True])]),
        ([(2, 3)], {"index": (Ellipsis, None, 1)}, lambda x: x[..., None, 1]),
    ],
    "scatter": [
        ([(3,)], {"shape": (3, 2), "index": (slice(None), 1)},
         lambda x: _numpy_scatter(x, (3, 2), (slice(None), 1))),
        ([(3,)], {"shape": (4,), "index": np.array([2, 0, 2])},
         lambda x: _numpy_scatter(x, (4,), np.array([2, 0, 2]))),
    ],
    "matmul": [([(2, 3), (3, 4)], {}, np.matmul), ([(3,), (3, 2)], {}, np.matmul)],
    "outer": [([(2,), (3,)], {}, np.outer)],
    "affine": [
        ([(4, 2), (2, 3), (3,)], {}, lambda x, w, b: x @ w + b),
        ([(2,), (2, 3), (3,)], {}, lambda x, w, b: x @ w + b),
        ([(4, 2), (2, 1), (4, 1)], {}, lambda x, w, b: x @ w + b),
    ],
    "transpose": [([(2, 3)], {}, np.transpose)],
    "reshape": [([(2, 3)], {"shape": (3, 2)}, lambda x: np.reshape(x, (3, 2)))],
}  # fmt: skip
NOT_ELEMENTWISE_CASES = [
    (name, i) for name, cases in NOT_ELEMENTWISE.items() for i in range(len(cases))
]


def test_every_op_that_is_not_elementwise_has_a_numpy_oracle() -> None:
    assert set(NOT_ELEMENTWISE) == {n for n, op in OPS.items() if not op.elementwise}


@pytest.mark.parametrize(("name", "case"), NOT_ELEMENTWISE_CASES)
def test_ops_that_are_not_elementwise_match_numpy_and_finite_differences(
    name: str, case: int
) -> None:
    shapes_in, params, oracle = NOT_ELEMENTWISE[name][case]
    rng = np.random.default_rng(case)
    xs = [rng.normal(size=shape) for shape in shapes_in]
    values = [Value(x) for x in xs]
    out = OPS[name](*values, **params)
    expected = oracle(*xs)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    weights = rng.normal(size=out.shape) if out.shape else 1.7
    (out * weights).sum().backward()
    numeric = finite_differences(lambda *a: np.sum(oracle(*a) * weights), *xs)
    for value, grad in zip(values, numeric, strict=True):
        assert_grad(value, grad, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("name", "case"), NOT_ELEMENTWISE_CASES)
def test_ops_that_are_not_elementwise_have_second_derivatives(name: str, case: int) -> None:
    # tanh(x²) before the op and a square after it: no second derivative is
    # trivially 0, so the rules' own derivatives (scatter's, getitem's, the
    # softmax inside logsumexp's) are checked against finite differences.
    shapes_in, params, _ = NOT_ELEMENTWISE[name][case]
    rng = np.random.default_rng(10 + case)
    xs = [rng.normal(size=shape) for shape in shapes_in]

    def f(*values: Value) -> Value:
        out = OPS[name](*((v * v).tanh() for v in values), **params)
        return (out * out).sum()

    assert gradgradcheck(f, *xs)


def test_affine_is_the_three_op_expression_to_the_last_bit() -> None:
    rng = np.random.default_rng(0)
    X, w, b = rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    fused = [Value(X), Value(w), Value(b)]
    plain = [Value(X), Value(w), Value(b)]
    J1 = fused[0].affine(fused[1], fused[2]).tanh().sum()
    J2 = (plain[0] @ plain[1] + plain[2]).tanh().sum()
    assert J1.data == J2.data
    J1.backward()
    J2.backward()
    for a, c in zip(fused, plain, strict=True):
        np.testing.assert_allclose(a.grad, c.grad, rtol=1e-14, atol=1e-15)


def test_max_splits_the_gradient_equally_between_ties_as_pytorchs_amax() -> None:
    x = Value(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0], [5.0, 5.0, 5.0]]), label="x")
    x.max(axis=1).sum().backward()
    assert_grad(x, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    x.max().backward()  # over all elements: three tied fives
    assert_grad(x, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)


@pytest.mark.parametrize("big", [1000.0, -1000.0, 1e300])
def test_logsumexp_is_finite_and_its_gradient_is_the_softmax_at_any_size(big: float) -> None:
    z = np.array([[big, 0.0, -1.0], [big, big, 2.0]])
    zv = Value(z, label="z")
    out = zv.logsumexp(axis=1)
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    softmax = shifted / shifted.sum(axis=1, keepdims=True)
    expected = z.max(axis=1) + np.log(shifted.sum(axis=1))
    np.testing.assert_allclose(out.data, expected, rtol=1e-15)
    out.sum().backward()
    assert_grad(zv, softmax, rtol=1e-15, atol=1e-300)


def test_indexing_the_same_element_twice_adds_both_gradients() -> None:
    x = Value(np.array([1.0, 2.0, 3.0]), label="x")
    picked = x[[0, 0, 2]]
    (picked * np.array([1.0, 10.0, 100.0])).sum().backward()
    assert_grad(x, [11.0, 0.0, 100.0], rtol=0)


def test_an_index_list_is_copied_so_later_edits_change_nothing() -> None:
    rows = [0, 1]
    x = Value(np.array([5.0, 6.0, 7.0]))
    picked = x[rows]
    rows[0] = 2
    picked.sum().backward()
    assert_grad(x, [1.0, 1.0, 0.0], rtol=0)


def test_iterating_over_an_array_node_gives_its_rows_and_stops() -> None:
    x = Value(np.array([[1.0, 2.0], [3.0, 4.0]]), label="x")
    rows = list(x)
    assert [r.shape for r in rows] == [(2,), (2,)]
    (rows[0] * rows[1]).sum().backward()
    assert_grad(x, [[3.0, 4.0], [1.0, 2.0]], rtol=0)


def test_bad_axes_and_indices_name_the_node() -> None:
    z = Value(np.ones((2, 3)), label="z")
    with pytest.raises(ValueError, match=r"max of 'z' \(shape \(2, 3\)\): axis 2 is out of range"):
        z.max(axis=2)
    with pytest.raises(ValueError, match=r"logsumexp of 'z'.*axis -3 is out of range"):
        z.logsumexp(axis=-3)
    with pytest.raises(TypeError, match="axis must be an int"):
        z.max(axis=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"max of .*: max of an empty array"):
        Value(np.ones((2, 0))).max(axis=1)
    with pytest.raises(IndexError, match=r"getitem of 'z' \(shape \(2, 3\)\): the index 3 is out"):
        z[:, 3]
    with pytest.raises(IndexError, match=r"getitem of 'z'.*too many indices"):
        z[0, 0, 0]
    with pytest.raises(TypeError, match=r"cannot index with float 0\.5"):
        z[0.5]
    with pytest.raises(TypeError, match="a bool is not an index"):
        z[True]
    with pytest.raises(TypeError, match="index array must hold ints or bools"):
        z[np.array([0.5])]
    with pytest.raises(TypeError, match="cannot index with Value"):
        z[Value(1.0)]
    with pytest.raises(TypeError, match=r"cannot index 'a' \(data=2.0\): it holds a number"):
        Value(2.0, label="a")[0]


# --- the notes' vectorized logistic regression ---------------------------------------------

problems = st.tuples(st.integers(1, 6), st.integers(1, 8), st.integers(0, 2**32 - 1))


def _problem(nx: int, m: int, seed: int) -> tuple[Array, Array, Array, float]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(nx, m))  # the notes: one column per example
    Y = (rng.random(m) < 0.5).astype(float)
    return X, Y, rng.normal(size=nx), float(rng.normal())


@given(problems)
def test_notes_form_gradients_equal_the_closed_forms(problem: tuple[int, int, int]) -> None:
    X, Y, w0, b0 = _problem(*problem)
    m = X.shape[1]
    w, b = Value(w0, label="w"), Value(b0, label="b")
    Z = w @ X + b  # Z = wᵀX + b, shape (m,)
    A = Z.sigmoid()
    J = (-(Y * A.log() + (1 - Y) * (1 - A).log())).mean()
    J.backward()
    # The notes: dZ = A - Y, dw = X dZᵀ / m, db = mean(dZ)
    A_np = 1.0 / (1.0 + np.exp(-(w0 @ X + b0)))
    dZ = A_np - Y
    assert math.isclose(
        J.data, float(-np.mean(Y * np.log(A_np) + (1 - Y) * np.log(1 - A_np))), rel_tol=1e-9
    )
    assert_grad(w, X @ dZ / m, rtol=1e-9, atol=1e-12)
    assert_grad(b, float(np.mean(dZ)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Z.grad, dZ / m, rtol=1e-9, atol=1e-12)


@given(problems)
def test_scikit_learn_form_with_softplus_equals_the_closed_forms(
    problem: tuple[int, int, int],
) -> None:
    Xt, y, w0, b0 = _problem(*problem)
    X = Xt.T.copy()  # scikit-learn: one row per example
    m = X.shape[0]
    Xv, yv = Value(X, label="X", requires_grad=False), Value(y, label="y", requires_grad=False)
    w, b = Value(w0, label="w"), Value(b0, label="b")
    z = Xv @ w + b
    J = (z.softplus() - yv * z).mean()  # = cross-entropy of sigmoid(z), without overflow
    J.backward()
    dz = 1.0 / (1.0 + np.exp(-(X @ w0 + b0))) - y
    assert_grad(w, X.T @ dz / m, rtol=1e-9, atol=1e-12)
    assert_grad(b, float(np.mean(dz)), rtol=1e-9, atol=1e-12)
    assert Xv.grad == 0.0 and yv.grad == 0.0  # constants receive no gradient


def test_gradient_descent_step_under_no_grad_matches_numpy() -> None:
    X, Y, w0, b0 = _problem(3, 50, 7)
    w, b = Value(w0.copy()), Value(b0)
    wn, bn = w0.copy(), b0
    for _ in range(20):
        J = ((w @ X + b).softplus() - Y * (w @ X + b)).mean()
        J.backward()
        with no_grad():
            w.data = (w - 0.5 * w.grad).data
            b.data = (b - 0.5 * b.grad).data
        dZ = 1.0 / (1.0 + np.exp(-(wn @ X + bn))) - Y
        wn, bn = wn - 0.5 * X @ dZ / 50, bn - 0.5 * float(np.mean(dZ))
    np.testing.assert_allclose(w.data, wn, rtol=1e-12)
    assert math.isclose(b.data, bn, rel_tol=1e-12)


# --- arrays equal the scalar path, element by element ---------------------------------------


def _expression(x: Any, y: Any) -> Any:
    return ((x * y + x / y - y.tanh()).sigmoid() + (x - y).relu() + x.exp().log()) * y.softplus()


@given(x=arrays((5,)), y=arrays((5,)))
def test_array_results_equal_the_scalar_path_per_element(x: Array, y: Array) -> None:
    y = away_from_zero(y)
    assume(np.all(np.abs(x - y) > 1e-3))  # off relu's kink
    xv, yv = Value(x), Value(y)
    out = _expression(xv, yv)
    out.sum().backward()
    for i in range(5):
        xs, ys = Value(float(x[i])), Value(float(y[i]))
        scalar = _expression(xs, ys)
        scalar.backward()
        # numpy's exp/log/tanh may differ from math's in the last bits
        assert math.isclose(out.data[i], scalar.data, rel_tol=1e-13, abs_tol=1e-15)
        assert math.isclose(xv.grad[i], xs.grad, rel_tol=1e-12, abs_tol=1e-14)
        assert math.isclose(yv.grad[i], ys.grad, rel_tol=1e-12, abs_tol=1e-14)


# --- constants ------------------------------------------------------------------------------


def test_constant_leaves_get_no_gradient_and_change_nothing_else() -> None:
    rng = np.random.default_rng(3)
    X, c = rng.normal(size=(4, 3)), rng.normal(size=4)
    w_free, w_fixed = Value(rng.normal(size=3)), None
    w_fixed = Value(w_free.data)
    for constant in (False, True):
        Xv = Value(X, requires_grad=not constant)
        cv = Value(1.5, requires_grad=not constant)
        w = w_fixed if constant else w_free
        assert w is not None
        ((Xv @ w) * c * cv).sum().backward()
        assert Xv.requires_grad is (not constant)
        if constant:
            assert Xv.grad == 0.0 and cv.grad == 0.0
        else:
            assert_grad(Xv, np.outer(c * 1.5, w.data))
            assert math.isclose(cv.grad, float(np.sum((X @ w.data) * c)))
    assert w_fixed is not None
    np.testing.assert_array_equal(w_fixed.grad, w_free.grad)


def test_requires_grad_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        Value(1.0, requires_grad=1)  # type: ignore[arg-type]
    assert Value(1.0).requires_grad is True
    # A constant stays constant: what is made from constants alone takes no gradient.
    assert (Value(1.0, requires_grad=False) * 2).requires_grad is False
    assert (Value(1.0, requires_grad=False) * Value(2.0)).requires_grad is True


# --- errors ---------------------------------------------------------------------------------


def test_shape_mismatch_names_both_nodes() -> None:
    w, X = Value(np.ones(3), label="w"), Value(np.ones(4), label="X")
    with pytest.raises(ValueError, match=r"add of 'w' \(shape \(3,\)\) and 'X' \(shape \(4,\)\)"):
        w + X
    with pytest.raises(ValueError, match=r"matmul of 'w' \(shape \(3,\)\) and 'M'"):
        w @ Value(np.ones((4, 2)), label="M")
    with pytest.raises(ValueError, match=r"matmul of 'w'.*needs arrays"):
        w @ Value(2.0)
    with pytest.raises(ValueError, match=r"outer of 'A'.*1-D arrays"):
        Value(np.ones((2, 2)), label="A").outer(w)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinity_in_arrays_are_rejected(bad: float) -> None:
    data = np.array([1.0, bad, 3.0])
    with pytest.raises(ValueError, match="'x': the array holds NaN or infinity"):
        Value(data, label="x")
    with pytest.raises(ValueError, match="NaN or infinity"):
        Value(np.ones(3)) * data


def test_array_forward_failures_name_the_op_and_nodes() -> None:
    x = Value(np.array([1.0, 800.0]), label="x")
    with pytest.raises(OverflowError, match=r"exp of 'x'.*too large"):
        x.exp()
    with pytest.raises(ValueError, match=r"log of 'x'.*positive"):
        Value(np.array([1.0, -1.0]), label="x").log()
    with pytest.raises(ZeroDivisionError, match=r"div of .* and 'z'.*division by zero"):
        Value(np.ones(2)) / Value(np.array([1.0, 0.0]), label="z")
    with pytest.raises(ValueError, match="mean of an empty array"):
        Value(np.ones(0)).mean()


def test_array_backward_failures_raise_instead_of_warning() -> None:
    # d(x^0.5)/dx at 0 is infinite: an error naming the node, not a RuntimeWarning.
    x = Value(np.array([0.0, 1.0]), label="x")
    J = (x**0.5).sum()
    with pytest.raises(ZeroDivisionError, match="backward through the pow node"):
        J.backward()
    big = Value(np.array([1e-300]), label="tiny")
    J = (big.log() * 1e200).sum()
    with pytest.raises(OverflowError, match="backward through the log node"):
        J.backward()


def test_backward_needs_a_scalar_root() -> None:
    with pytest.raises(ValueError, match=r"scalar output.*shape \(3,\).*\.sum\(\)"):
        (Value(np.ones(3)) * 2).backward()


def test_arrays_are_copied_so_later_edits_change_nothing() -> None:
    data = np.array([1.0, 2.0])
    v = Value(data)
    data[0] = 100.0
    assert v.data[0] == 1.0


def test_a_compiled_step_hands_array_gradients_to_the_general_step() -> None:
    # The compiled float code declines an array gradient (returns True) and
    # changes nothing; the pass then runs the general array step.
    x = Value(np.array([1e-300, 1.0]), label="x")
    node = x.log()
    node.grad = np.array([1e300, 1.0])
    assert node.operation is not None
    assert node.operation.step(node) is True
    assert type(x.grad) is float and x.grad == 0.0


def test_backward_leaves_numpys_error_state_as_it_was() -> None:
    before = np.geterr()
    x = Value(np.array([0.0, 1.0]))
    (x * 2.0).sum().backward()
    assert np.geterr() == before
    with pytest.raises(ZeroDivisionError):
        (x**0.5).sum().backward()
    assert np.geterr() == before
    a = Value(2.0)
    (a * a).backward()  # numbers only: numpy's state is not touched at all
    assert np.geterr() == before and a.grad == 4.0


# --- sums and means over an axis, reshape --------------------------------------------------

AXES = [None, 0, 1, -1, (0, 1), (0, 2)]


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_over_an_axis_match_numpy_and_finite_differences(
    reduction: str, axis: Any, keepdims: bool
) -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 4))
    numpy_f = getattr(np, reduction)
    out_shape = numpy_f(x, axis=axis, keepdims=keepdims).shape
    weights = rng.normal(size=out_shape)
    xv = Value(x, label="x")
    out = getattr(xv, reduction)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, numpy_f(x, axis=axis, keepdims=keepdims), rtol=1e-14)
    (out * weights).sum().backward()
    (expected,) = finite_differences(
        lambda t: np.sum(numpy_f(t, axis=axis, keepdims=keepdims) * weights), x
    )
    assert_grad(xv, expected)


def test_a_bad_axis_names_the_node() -> None:
    with pytest.raises(ValueError, match=r"sum of 'x'.*axis 3 is out of range"):
        Value(np.ones((2, 2)), label="x").sum(axis=3)


@pytest.mark.parametrize("shape", [(6,), (3, 2), (2, 1, 3), (-1, 2)])
def test_reshape_moves_gradients_back_to_the_input_shape(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3))
    weights = rng.normal(size=np.reshape(x, shape).shape)
    xv = Value(x)
    (xv.reshape(shape) * weights).sum().backward()
    assert_grad(xv, np.reshape(weights, (2, 3)))
    with pytest.raises(ValueError, match="reshape of"):
        xv.reshape(4, 2)


def test_axis_reductions_and_reshape_differentiate_twice() -> None:
    from graphgrad import gradgradcheck

    assert gradgradcheck(
        lambda t: ((t * t).sum(axis=0).tanh() * t.mean(axis=1, keepdims=True).reshape(2)).sum(),
        np.array([[0.3, -0.2], [0.5, 0.1]]),
    )


@pytest.mark.parametrize("fast", [True, False])
def test_numpys_error_state_is_raising_inside_and_restored_after(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fast way (numpy's own error-state variable, set once per state) and the
    # fallback (np.errstate) behave alike: numpy raises inside, as before after.
    from graphgrad import numerics

    if not fast:
        monkeypatch.setattr(numerics, "_numpy_errors", None)
    before = np.geterr()
    with numerics.raising():
        assert np.geterr() == numerics.RAISE and numerics.is_raising() is fast
        with pytest.raises(FloatingPointError):
            np.exp(np.array([1000.0]))
    assert np.geterr() == before
    x = Value(np.array([1e-300, 1.0]), label="x")
    with pytest.raises(OverflowError, match="backward through"):
        (x.log() * 1e300).sum().backward()
    assert np.geterr() == before


# --- affine with a bias that broadcasts the output, overflow-free logsumexp ----------------


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "b_shape"),
    [
        ((4,), (4, 3), (1, 3)),
        ((2, 4), (4, 3), (5, 1, 3)),
        ((4,), (4,), (3,)),
        ((2, 4), (4, 3), (3,)),
    ],
)
def test_affine_with_a_bias_that_broadcasts_the_output_matches_the_three_ops(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], b_shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(3)
    data = [rng.normal(size=s) for s in (x_shape, w_shape, b_shape)]
    weights = rng.normal(size=np.broadcast_shapes(np.shape(data[0] @ data[1]), b_shape))
    nodes = [Value(d) for d in data]
    (nodes[0].affine(nodes[1], nodes[2]) * weights).sum().backward()

    # The oracle: J = Σ weights·(x @ w + b) in numpy, linear in each input, so a
    # difference quotient of step 1 is its derivative up to rounding.
    def J(x: Any, w: Any, b: Any) -> float:
        return float(np.sum(weights * (x @ w + b)))

    for k, node in enumerate(nodes):
        expected = np.zeros(data[k].shape)
        for index in np.ndindex(data[k].shape):
            up = [d.copy() for d in data]
            up[k][index] += 1.0
            expected[index] = J(*up) - J(*data)
        assert node.grad.shape == data[k].shape
        np.testing.assert_allclose(node.grad, expected, rtol=1e-9, atol=1e-9)


def test_affine_of_ones_and_a_row_bias_gives_the_three_op_gradient() -> None:
    # torch's x @ w + b for x (4,), w (4, 3), b (1, 3): x.grad = [3, 3, 3, 3].
    x = Value(np.ones(4))
    x.affine(Value(np.ones((4, 3))), Value(np.zeros((1, 3)))).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 3.0, 3.0])


def test_logsumexp_of_numbers_far_apart_does_not_overflow() -> None:
    x = Value(np.array([-1e308, 1e308]))
    out = x.logsumexp()
    assert out.data == 1e308
    out.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
    rows = Value(np.array([[-1e308, 1e308], [1.0, 2.0]]))
    rows.logsumexp(axis=1).sum().backward()
    np.testing.assert_array_equal(rows.grad[0], [0.0, 1.0])
    softmax = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    np.testing.assert_allclose(rows.grad[1], softmax, rtol=1e-15)
    # Kept: the two equal largest share the gradient (torch gives nan here).
    same = Value(np.array([1e308, 1e308]))
    same.logsumexp().backward()
    np.testing.assert_array_equal(same.grad, [0.5, 0.5])


# --- memory and sharing --------------------------------------------------------------------


def test_indexing_with_ever_new_indices_keeps_a_bounded_cache() -> None:
    from graphgrad.op import BOUND_CACHE_SIZE

    a = Value(np.arange(5000.0))
    for i in range(3 * BOUND_CACHE_SIZE):
        a[i].backward()
        assert a.grad[i] == 1.0
    assert ops.getitem.bound_copies() <= BOUND_CACHE_SIZE
    for axis in range(3):
        Value(np.ones((2, 3, 4))).sum(axis=axis)
    assert ops.sum.bound_copies() <= BOUND_CACHE_SIZE


def test_a_plain_array_operand_is_shared_not_copied_and_never_written() -> None:
    X = np.arange(12.0).reshape(4, 3)
    before = X.copy()
    w = Value(np.array([0.5, -1.0, 2.0]))
    z = X @ w
    assert z.inputs[0].data is X  # the constant leaf holds the array itself
    (z * z).sum().backward()
    wrapped = Value(np.array([0.5, -1.0, 2.0]))
    ((Value(X, requires_grad=False) @ wrapped) ** 2).sum().backward()
    np.testing.assert_array_equal(w.grad, wrapped.grad)  # same gradients either way
    np.testing.assert_array_equal(X, before)
    assert Value(X).data is not X  # a Value made by hand keeps a copy, as documented
    with pytest.raises(ValueError, match=r"shape \(2,\) holding NaN or infinity"):
        np.array([1.0, np.nan]) * w[:2]


def test_ops_on_labelled_data_record_what_they_are_computed_from() -> None:
    y = Value(np.array([1.0, 0.0]), label="y", requires_grad=False)
    one_minus_y = 1 - y
    assert one_minus_y.op == "sub" and one_minus_y.inputs[1] is y
    assert not one_minus_y.requires_grad
    twice = one_minus_y * 2.0  # computed from named data: recorded too
    assert twice.op == "mul" and twice.inputs[0] is one_minus_y
    folded = Value(3.0, requires_grad=False) * 2.0  # numbers of the expression fold
    assert folded.op == "" and folded.inputs == () and folded.data == 6.0
    with no_grad():
        assert (1 - y).inputs == ()
