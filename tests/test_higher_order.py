"""Second and higher derivatives: backward(create_graph=True) and gradgradcheck.

Oracles are closed forms worked out by hand (d²(x³)/dx² = 6x, ...) and finite
differences of a reference interpreter written with Python's math module,
never graphgrad's own first derivatives.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from expression_programs import (
    UNARY,
    Limits,
    OutOfDomain,
    Program,
    Step,
    build,
    programs,
    reference,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from graphgrad import GradcheckError, Value, grad, gradgradcheck, hessian
from graphgrad.nn import LogisticRegression
from graphgrad.nn.optim import Newton


def second(f: Callable[[Value], Value], x0: float) -> tuple[float, float]:
    """(f'(x0), f''(x0)) through backward(create_graph=True) then backward()."""
    x = Value(x0, label="x")
    f(x).backward(create_graph=True)
    dx = x.grad
    assert isinstance(dx, Value)
    dx.backward()
    return dx.data, x.grad


# --- create_graph on single ops, against closed forms -------------------------------


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# f, f', f'' written by hand from calculus (not from the op table).
Scalar = Callable[[float], float]
CLOSED_FORMS: dict[str, tuple[Callable[[Value], Value], Scalar, Scalar]] = {
    "cube": (lambda v: v**3, lambda x: 3 * x**2, lambda x: 6 * x),
    "exp": (Value.exp, math.exp, math.exp),
    "log": (Value.log, lambda x: 1 / x, lambda x: -1 / x**2),
    "sigmoid": (
        Value.sigmoid,
        lambda x: _sig(x) * (1 - _sig(x)),
        lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
    ),
    "tanh": (
        Value.tanh,
        lambda x: 1 - math.tanh(x) ** 2,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
    ),
    "softplus": (Value.softplus, _sig, lambda x: _sig(x) * (1 - _sig(x))),
    "reciprocal": (lambda v: 1 / v, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "x_to_the_x": (
        lambda v: v**v,
        lambda x: x**x * (math.log(x) + 1),
        lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x),
    ),
    "two_to_the_x": (
        lambda v: 2.0**v,
        lambda x: math.log(2) * 2**x,
        lambda x: math.log(2) ** 2 * 2**x,
    ),
    "sqrt": (lambda v: v**0.5, lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5),
    "relu_squared": (lambda v: v.relu() * v, lambda x: 2 * x, lambda x: 2.0),
    "quotient": (
        lambda v: (v + 1) / (v * v + 1),
        lambda x: (1 - 2 * x - x * x) / (x * x + 1) ** 2,
        lambda x: (2 * x**3 + 6 * x**2 - 6 * x - 2) / (x * x + 1) ** 3,
    ),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@pytest.mark.parametrize("x0", [0.3, 0.7, 1.9])
def test_second_derivative_of_each_op_matches_its_closed_form(name: str, x0: float) -> None:
    f, df, d2f = CLOSED_FORMS[name]
    first, second_derivative = second(f, x0)
    assert first == pytest.approx(df(x0), rel=1e-12, abs=1e-12)
    assert second_derivative == pytest.approx(d2f(x0), rel=1e-12, abs=1e-12)


def test_derivatives_of_x_cubed_at_2_are_12_12_6_0() -> None:
    x = Value(2.0, label="x")
    y = x**3
    found = []
    root = y
    for _ in range(4):
        root.backward(create_graph=True)
        root = x.grad
        assert isinstance(root, Value)
        found.append(root.data)
    assert found == [12.0, 12.0, 6.0, 0.0]


def test_mixed_partials_of_a_product_of_three() -> None:
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(5.0, label="c")
    (a * b * c).backward(create_graph=True)
    da, db = a.grad, b.grad
    assert (da.data, db.data, c.grad.data) == (15.0, 10.0, 6.0)  # bc, ac, ab
    da.backward()  # d(bc)/d(a, b, c) = (0, c, b)
    assert (a.grad, b.grad, c.grad) == (0.0, 5.0, 3.0)
    db.backward()  # d(ac)/d(a, b, c) = (c, 0, a)
    assert (a.grad, b.grad, c.grad) == (5.0, 0.0, 2.0)


def test_a_gradient_that_does_not_depend_on_x_leaves_zero_not_a_stale_value() -> None:
    x, y = Value(3.0), Value(4.0)
    (x * y).backward(create_graph=True)
    dx = x.grad  # = y, which does not depend on x
    dx.backward()
    assert x.grad == 0.0
    assert y.grad == 1.0


def test_an_unrelated_backward_leaves_a_create_graph_graph_alone() -> None:
    x, y = Value(3.0), Value(4.0)
    (x * y).backward(create_graph=True)
    dx, dy = x.grad, y.grad
    assert isinstance(dx, Value) and isinstance(dy, Value)
    other = Value(5.0)
    (other * 2.0).backward()  # shares nothing with x * y
    assert x.grad is dx and y.grad is dy
    (x * 3.0).backward()  # a graph with x but not y: y keeps what it holds
    assert (x.grad, y.grad) == (3.0, dy)


def test_a_create_graph_graph_lives_only_as_long_as_it_is_held() -> None:
    import gc
    import weakref

    class Probe:
        pass

    x, y = Value(3.0), Value(4.0)
    (x * y).backward(create_graph=True)
    dx = x.grad
    assert isinstance(dx, Value)
    holder = Probe()
    alive = weakref.ref(holder)
    dx.label = "dx"
    # Tie a weakly referenced object to the gradient graph through a leaf's grad:
    # once the user drops x, y and dx, nothing else (no module) keeps it.
    watched = Value(1.0)
    watched.grad = holder  # type: ignore[assignment]
    keep = dx * watched
    del holder, keep, dx, x, y, watched
    gc.collect()
    assert alive() is None


def test_third_mixed_derivative() -> None:
    # f = x^2 y^3: d³f / dx dy² = 2x * 6y = 12 x y
    x, y = Value(1.5), Value(-2.0)
    (x**2 * y**3).backward(create_graph=True)
    dx = x.grad
    dx.backward(create_graph=True)
    dxy = y.grad
    dxy.backward()
    assert y.grad == pytest.approx(12 * 1.5 * -2.0)


def test_create_graph_gradients_equal_plain_backward_ones() -> None:
    def f(a: Value, b: Value) -> Value:
        return (a * b).tanh() + (a / b).exp() - a.softplus() * b**2

    a, b = Value(0.4), Value(1.3)
    f(a, b).backward()
    plain = (a.grad, b.grad)
    f(a, b).backward(create_graph=True)
    assert (a.grad.data, b.grad.data) == plain


def test_default_backward_builds_no_graph() -> None:
    x = Value(2.0)
    (x**3).backward()
    assert type(x.grad) is float


def test_create_graph_works_inside_no_grad() -> None:
    from graphgrad import no_grad

    x = Value(2.0)
    y = x**3
    with no_grad():
        y.backward(create_graph=True)
    dx = x.grad
    dx.backward()
    assert x.grad == 12.0


# --- arrays and broadcasting ------------------------------------------------------------

SHAPES = [(3, 4), (4,), (1, 4), (3, 1), (1, 1), (1,), ()]


def _broadcastable(s: tuple[int, ...], t: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(s, t)
    except ValueError:
        return False
    return True


PAIRS = [(s, t) for s in SHAPES for t in SHAPES if _broadcastable(s, t)]


@pytest.mark.parametrize(("shape_a", "shape_b"), PAIRS)
def test_second_derivatives_through_broadcasting(
    shape_a: tuple[int, ...], shape_b: tuple[int, ...]
) -> None:
    """d/db of sum(dJ/da) for J = sum(tanh(a b) + a / b), against numpy formulas.

    With u = a b broadcast: dJ/da = sum over broadcast axes of (1 - tanh²u) b + 1/b,
    and d/db of its sum is, elementwise before reducing to b's shape,
    (1 - tanh²u) - 2 tanh u (1 - tanh²u) a b - 1/b².
    """
    rng = np.random.default_rng(len(shape_a) * 10 + len(shape_b))
    a0 = rng.uniform(0.5, 1.5, shape_a) if shape_a else 0.8
    b0 = rng.uniform(0.5, 1.5, shape_b) if shape_b else 1.2
    a, b = Value(a0), Value(b0)
    J = ((a * b).tanh() + a / b).sum()
    J.backward(create_graph=True)
    da = a.grad
    assert da.shape == np.shape(a0)
    da.sum().backward()

    A, B = np.broadcast_arrays(np.asarray(a0), np.asarray(b0))
    t = np.tanh(A * B)
    full = (1 - t**2) - 2 * t * (1 - t**2) * A * B - 1 / B**2
    expected = _reduce_to(full, np.shape(b0))
    assert np.shape(b.grad) == np.shape(b0)
    np.testing.assert_allclose(b.grad, expected, rtol=1e-12, atol=1e-12)


def _reduce_to(full: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    extra = full.ndim - len(shape)
    out = full.sum(axis=tuple(range(extra))) if extra else full
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and out.shape[i] != 1)
    return out.sum(axis=axes, keepdims=True) if axes else out


def test_create_graph_undoes_broadcasting_in_any_number_of_dimensions() -> None:
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1))
    a, b = Value(A), Value(B)
    ((a * b) ** 2).sum().backward(create_graph=True)
    assert a.grad.shape == (2, 3, 4) and b.grad.shape == (3, 1)
    np.testing.assert_allclose(a.grad.data, 2 * A * B**2)
    np.testing.assert_allclose(b.grad.data, (2 * A**2 * B).sum(axis=(0, 2)).reshape(3, 1))
    b.grad.sum().backward()  # d/db of sum(2·A²·b) = 2·ΣA², shaped like b
    np.testing.assert_allclose(b.grad, (2 * A**2).sum(axis=(0, 2)).reshape(3, 1))


def test_hessian_through_a_constant_array_broadcast_over_three_dimensions() -> None:
    # The case: a constant array operand takes no gradient, so nothing
    # needs to be un-broadcast for it.
    c = np.full((2, 2), 0.5)
    H = hessian(lambda x: (x * c).tanh().sum())(np.ones((2, 2, 2)))
    t = np.tanh(0.5)
    expected = np.zeros((2, 2, 2) * 2)
    for index in np.ndindex(2, 2, 2):
        expected[index + index] = 0.25 * (-2 * t * (1 - t**2))
    np.testing.assert_allclose(H, expected, rtol=1e-12)


def test_matmul_hessian_of_a_quadratic_form_is_the_symmetrised_matrix() -> None:
    rng = np.random.default_rng(3)
    M = rng.normal(size=(3, 3))
    x = Value(rng.normal(size=3))
    (x @ (Value(M) @ x)).backward(create_graph=True)
    gradient = x.grad
    rows = []
    for k in range(3):
        e = np.zeros(3)
        e[k] = 1.0
        (gradient * e).sum().backward()
        rows.append(np.array(x.grad))
    np.testing.assert_allclose(np.array(rows), M + M.T, rtol=1e-12)


# --- random expressions against finite differences of a reference interpreter -------


# The ops of tests/expression_programs.py that are twice differentiable everywhere.
SMOOTH_OPS = sorted(set(UNARY) - {"relu"})
# Kept well inside each op's domain: second differences amplify rounding.
LIMITS = Limits(log_above=0.5, divisor_above=0.5, exp_below=5, magnitude=100)


def value_at(inputs: list[float], steps: list[Step]) -> float:
    return reference(inputs, steps, LIMITS)[0]


def second_order_programs(max_inputs: int = 3) -> st.SearchStrategy[Program]:
    return programs(SMOOTH_OPS, max_inputs=max_inputs, max_steps=8)


def finite_difference_hessian(inputs: list[float], steps: list[Step], h: float) -> np.ndarray:
    """Central differences of the reference, Richardson-extrapolated: error O(h⁴).

    Plain central differences (error O(h²)) are too coarse for programs such
    as ((x³)³)³, whose fourth derivative is in the hundreds of thousands.
    """
    return (4 * _central_hessian(inputs, steps, h / 2) - _central_hessian(inputs, steps, h)) / 3


def _central_hessian(inputs: list[float], steps: list[Step], h: float) -> np.ndarray:
    """Central differences of the reference for every (i, j): error O(h²)."""
    n = len(inputs)
    H = np.empty((n, n))

    def at(di: int, si: float, dj: int, sj: float) -> float:
        moved = list(inputs)
        moved[di] += si * h
        moved[dj] += sj * h
        return value_at(moved, steps)

    for i in range(n):
        for j in range(n):
            H[i, j] = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (
                4 * h * h
            )
    return H


def _usable(program: Program) -> None:
    """Skip programs near a domain edge, where finite differences mislead."""
    inputs, steps = program
    try:
        value_at(inputs, steps)
        for i in range(len(inputs)):
            for d in (-0.01, 0.01):
                moved = list(inputs)
                moved[i] += d
                value_at(moved, steps)
    except (OutOfDomain, OverflowError, ValueError, ZeroDivisionError):
        assume(False)


@given(second_order_programs())
def test_hessian_of_random_expressions_matches_finite_differences(program: Program) -> None:
    _usable(program)
    inputs, steps = program
    f = build(steps)
    blocks = hessian(f, argnums=tuple(range(len(inputs))))(*inputs)
    analytic = np.array(blocks, dtype=float)
    numeric = finite_difference_hessian(inputs, steps, h=2e-3)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-4)


@given(second_order_programs(max_inputs=1))
def test_nested_grad_of_random_expressions_matches_finite_differences(program: Program) -> None:
    _usable(program)
    inputs, steps = program
    analytic = grad(grad(build(steps)))(inputs[0])
    numeric = finite_difference_hessian(inputs, steps, h=2e-3)[0, 0]
    assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-4)


@given(second_order_programs())
def test_gradgradcheck_accepts_random_expressions(program: Program) -> None:
    _usable(program)
    inputs, steps = program
    assert gradgradcheck(build(steps), *inputs)


# --- gradgradcheck --------------------------------------------------------------------


def test_gradgradcheck_on_arrays() -> None:
    X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]])

    def f(w: Value, b: Value) -> Value:
        return ((Value(X) @ w + b).sigmoid() * (w * w).sum()).mean()

    assert gradgradcheck(f, np.array([0.3, -0.7]), 0.2)


def test_gradgradcheck_names_the_worst_pair_and_both_numbers() -> None:
    # x² enters times a copy of y's data, so backward(create_graph=True) sees
    # d²f/dx dy = 0, while finite differences of df/dx = 2x·y (y nudged) see 2x = 3.
    def f(x: Value, y: Value) -> Value:
        return x * x * Value(y.data) + y

    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, 1.5, 2.0)
    message = str(info.value)
    assert "d²f/(dx0 dx1)" in message
    assert "x0=1.5" in message and "x1=2.0" in message
    assert "backward(create_graph=True) gave 0.0" in message
    numeric = float(message.split("first derivatives gave ")[1].split(" ")[0])
    assert numeric == pytest.approx(3.0, rel=1e-6)


def test_gradgradcheck_names_array_elements() -> None:
    def f(w: Value) -> Value:
        frozen = Value(np.array(w.data))  # the second derivative through here is lost
        return (w * frozen * np.array([0.0, 1.0])).sum()

    with pytest.raises(GradcheckError, match=r"dx0\[1\] dx0\[1\]"):
        gradgradcheck(f, np.array([1.0, 2.0]))


def test_gradgradcheck_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="callable"):
        gradgradcheck("x**2", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one input"):
        gradgradcheck(lambda: Value(1.0))
    with pytest.raises(ValueError, match="h must be"):
        gradgradcheck(lambda x: x * x, 1.0, h=0.0)
    with pytest.raises(ValueError, match="scalar"):
        gradgradcheck(lambda x: x * np.ones(2), 1.0)


# --- Newton's method for logistic regression ------------------------------------------


def _classification_data(m: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping classes (label noise), so the cost has a finite minimum."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.5 + rng.logistic(size=m) > 0).astype(int)
    return X, y


def _numpy_gradient_and_hessian(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float
) -> tuple[np.ndarray, np.ndarray]:
    """The notes' closed forms over theta = (w, b): X~^T (a - y) / m, X~^T diag(a(1-a)) X~ / m."""
    Xt = np.column_stack([X, np.ones(len(y))])
    a = 1.0 / (1.0 + np.exp(-(Xt @ np.append(w, b))))
    return Xt.T @ (a - y) / len(y), Xt.T @ np.diag(a * (1 - a)) @ Xt / len(y)


def test_the_first_newton_step_is_the_closed_form_newton_step() -> None:
    X, y = _classification_data()
    model = LogisticRegression(solver="newton", epochs=1).fit(X, y, progress=False)
    g, H = _numpy_gradient_and_hessian(X, y, np.zeros(3), 0.0)
    expected = -np.linalg.solve(H, g)  # from w = 0, b = 0
    np.testing.assert_allclose(np.append(model.coef_, model.intercept_), expected, rtol=1e-10)


def test_newton_converges_to_the_same_coefficients_as_long_gradient_descent() -> None:
    X, y = _classification_data()
    newton = LogisticRegression(solver="newton", epochs=8).fit(X, y, progress=False)
    gd = LogisticRegression(lr=2.0, epochs=2000).fit(X, y, progress=False)
    np.testing.assert_allclose(newton.coef_, gd.coef_, rtol=1e-9, atol=1e-9)
    assert newton.intercept_ == pytest.approx(gd.intercept_, rel=1e-9, abs=1e-9)
    # ... and that point is the minimum: the closed-form gradient vanishes there.
    g, _ = _numpy_gradient_and_hessian(X, y, newton.coef_, newton.intercept_)
    np.testing.assert_allclose(g, 0.0, atol=1e-12)
    # Newton's convergence is quadratic: the last steps change the cost by ~nothing.
    assert len(newton.history_) == 8
    assert newton.history_[-2] - newton.history_[-1] < 1e-12


def test_newton_on_the_scalar_graph_equals_the_vectorized_one() -> None:
    X, y = _classification_data(m=40)
    fast = LogisticRegression(solver="newton", epochs=4).fit(X, y, progress=False)
    slow = LogisticRegression(solver="newton", epochs=4, vectorized=False).fit(X, y, progress=False)
    np.testing.assert_allclose(slow.coef_, fast.coef_, rtol=1e-10)
    np.testing.assert_allclose(slow.history_, fast.history_, rtol=1e-10)


def test_newton_is_chosen_in_fit_and_saved_with_the_model(tmp_path: Path) -> None:
    X, y = _classification_data(m=50)
    chosen_in_fit = LogisticRegression(epochs=1).fit(X, y, solver="newton", progress=False)
    g, H = _numpy_gradient_and_hessian(X, y, np.zeros(3), 0.0)
    expected = -np.linalg.solve(H, g)
    np.testing.assert_allclose(chosen_in_fit.coef_, expected[:3], rtol=1e-10)
    model = LogisticRegression(solver="newton", epochs=3).fit(X, y, progress=False)
    model.save(tmp_path / "model.json")
    loaded = LogisticRegression.load(tmp_path / "model.json")
    assert loaded.solver == "newton"
    np.testing.assert_array_equal(loaded.coef_, model.coef_)


def test_newton_on_separable_data_stops_with_a_clear_error() -> None:
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])  # a threshold separates them: the cost has no minimum
    model = LogisticRegression(solver="newton", epochs=100)
    with pytest.raises(ArithmeticError, match=r"epoch \d+ of 100.*Hessian.*singular"):
        model.fit(X, y, progress=False)
    assert not hasattr(model, "coef_")  # a failed fit leaves the model as it was


def test_newton_on_a_constant_feature_stops_with_a_clear_error() -> None:
    X = np.column_stack([np.linspace(-1, 1, 6), np.ones(6)])  # the bias, twice
    y = np.array([0, 1, 0, 1, 1, 0])
    with pytest.raises(ArithmeticError, match=r"epoch 1 of 5.*constant or duplicated"):
        LogisticRegression(solver="newton", epochs=5).fit(X, y, progress=False)


def test_newton_does_not_mistake_features_of_different_scales_for_a_singular_hessian() -> None:
    # Measuring a feature in other units only rescales its weight: w_j * s_j is
    # the same at the minimum (unregularized logistic regression is equivariant).
    X, y = _classification_data()
    units = np.array([1e3, 1e-3, 1.0])
    plain = LogisticRegression(solver="newton", epochs=8).fit(X, y, progress=False)
    scaled = LogisticRegression(solver="newton", epochs=8).fit(X * units, y, progress=False)
    np.testing.assert_allclose(scaled.coef_ * units, plain.coef_, rtol=1e-9)
    assert scaled.intercept_ == pytest.approx(plain.intercept_, rel=1e-9)
    g, _ = _numpy_gradient_and_hessian(X * units, y, scaled.coef_, scaled.intercept_)
    np.testing.assert_allclose(g / np.append(units, 1.0), 0.0, atol=1e-12)


def test_newton_still_refuses_a_feature_duplicated_in_other_units() -> None:
    X = np.linspace(-1, 1, 6).reshape(-1, 1)
    X = np.column_stack([X, 1000.0 * X])  # the same feature in millimetres and metres
    y = np.array([0, 1, 0, 1, 1, 0])
    with pytest.raises(ArithmeticError, match=r"epoch 1 of 5.*constant or duplicated"):
        LogisticRegression(solver="newton", epochs=5).fit(X, y, progress=False)


def test_newton_step_on_a_quadratic_whose_curvatures_are_far_apart() -> None:
    # J = 1e8 (w1 - 1)^2 + 1e-8 (w2 - 2)^2: cond(H) = 1e16, yet one step lands on (1, 2).
    w = Value(np.zeros(2))
    d = w - np.array([1.0, 2.0])
    J = (Value(np.array([1e8, 1e-8])) * d * d).sum()
    Newton([w]).step(J)
    np.testing.assert_allclose(w.data, [1.0, 2.0], rtol=1e-12)


def test_newton_optimizer_checks_its_parameters() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Newton([])
    with pytest.raises(TypeError, match=r"parameters\[0\] must be a Value"):
        Newton([1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="updates leaves only"):
        Newton([Value(1.0) + 1.0])


def test_newton_optimizer_minimizes_a_quadratic_in_one_step() -> None:
    # J = (w - c)^T A (w - c) / 2 + (b - 1)^2 with A positive definite: minimum at (c, 1).
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    c = np.array([0.5, -1.5])
    w, b = Value(np.zeros(2)), Value(4.0)
    d = w - c
    J = 0.5 * (d @ (Value(A) @ d)) + (b - 1.0) ** 2
    Newton([w, b]).step(J)
    np.testing.assert_allclose(w.data, c, rtol=1e-12)
    assert b.data == pytest.approx(1.0)


def test_newton_vs_gradient_descent_demo(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parent.parent / "demos" / "newton_vs_gd.py"
    result = subprocess.run(
        [sys.executable, str(demo), "--quick", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "newton_vs_gd.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = (tmp_path / "newton_training.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Newton's steps" in result.stdout
    lines = result.stdout.splitlines()
    assert "  step  1: cost J = 0.6931471806" in lines  # w = 0, b = 0: J = log 2
    newton_costs = [float(line.split("=")[1]) for line in lines if line.startswith("  step")]
    gd_costs = [float(line.split("=")[1].split()[0]) for line in lines if "epoch" in line]
    assert len(newton_costs) == 10 and len(gd_costs) == 3  # epochs 1, 10, 100 of 200
    assert newton_costs[-1] < gd_costs[-1]
    assert abs(newton_costs[-1] - newton_costs[-2]) < 1e-8


def test_create_graph_gives_no_gradient_to_leaves_that_ask_for_none() -> None:
    X = Value(np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]), requires_grad=False)
    w = Value(np.array([0.2, -0.4]))
    (X @ w).sigmoid().mean().backward(create_graph=True)
    assert X.grad == 0.0  # no (m, nx) gradient graph was built for the data
    assert isinstance(w.grad, Value)
    # The Hessian of mean(sigmoid(X w)) in w is unaffected: X^T diag(a(1-a)(1-2a)) X / m.
    a = 1 / (1 + np.exp(-(X.data @ w.data)))
    s = a * (1 - a) * (1 - 2 * a)  # d/dz of a(1-a)
    H = hessian(lambda v: (X @ v).sigmoid().mean())(w.data)
    np.testing.assert_allclose(H, X.data.T @ np.diag(s) @ X.data / 3, rtol=1e-12)


def test_gradgradcheck_skips_an_empty_input() -> None:
    # d²/dy² y³ = 6y; the empty array has no second derivative to compare.
    assert gradgradcheck(lambda x, y: (x * x).sum() + y**3, np.zeros(0), 2.0)
