"""The functional API: grad, value_and_grad and hessian.

Oracles: derivatives worked out by hand, and numpy closed forms from the notes
(the logistic cost's gradient X^T (a - y) / m and Hessian X^T diag(a(1-a)) X / m).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphgrad
from graphgrad import Value, grad, hessian, no_grad, value_and_grad


def test_the_issue_example() -> None:
    result = graphgrad.grad(lambda a, b, c: 3 * (a + b * c), argnums=(0, 1, 2))(5.0, 3.0, 2.0)
    assert result == (3.0, 6.0, 9.0)


def test_one_argnum_gives_a_float_and_a_tuple_gives_a_tuple() -> None:
    f = lambda x, y: x * x * y  # noqa: E731
    dx = grad(f)(3.0, 2.0)
    assert type(dx) is float and dx == 12.0  # 2xy
    assert grad(f, argnums=1)(3.0, 2.0) == 9.0  # x²
    assert grad(f, argnums=(1,))(3.0, 2.0) == (9.0,)
    assert grad(f, argnums=(1, 0))(3.0, 2.0) == (9.0, 12.0)
    assert grad(f, argnums=[0, 1])(3.0, 2.0) == (12.0, 9.0)


def test_ints_are_accepted_as_arguments() -> None:
    assert grad(lambda x: x**3)(2) == 12.0


def test_value_and_grad() -> None:
    value, gradient = value_and_grad(lambda x, y: (x * y).exp(), argnums=(0, 1))(0.5, 2.0)
    assert value == pytest.approx(math.e)
    assert gradient == pytest.approx((2.0 * math.e, 0.5 * math.e))
    assert value_and_grad(lambda x: x**3)(2.0) == (8.0, 12.0)


def test_other_arguments_and_keywords_pass_through_untouched() -> None:
    def f(w: Value, label: str, scale: float = 1.0) -> Value:
        assert label == "not a number"
        return scale * w * w

    assert grad(f)(3.0, "not a number", scale=10.0) == 60.0


def test_a_constant_function_has_zero_gradient() -> None:
    assert grad(lambda x: 3.0)(2.0) == 0.0
    assert grad(lambda x, y: y * y, argnums=0)(2.0, Value(1.0)).data == 0.0
    np.testing.assert_array_equal(grad(lambda x, y: y.sum())(np.ones(3), np.ones(2)), np.zeros(3))


def test_grad_works_inside_no_grad() -> None:
    with no_grad():
        assert grad(lambda x: x**3)(2.0) == 12.0
        assert hessian(lambda x: x**3)(2.0) == 12.0


def test_the_wrapper_keeps_the_function_name() -> None:
    def cost(w: Value) -> Value:
        return w * w

    assert grad(cost).__name__ == "cost"


# --- nesting -------------------------------------------------------------------------


def test_nested_grad_gives_higher_derivatives() -> None:
    f = lambda x: x.exp() * x  # noqa: E731  f^(n) = e^x (x + n)
    x0 = 0.7
    for n, g in enumerate([f, grad(f), grad(grad(f)), grad(grad(grad(f)))]):
        if n:
            assert g(x0) == pytest.approx(math.exp(x0) * (x0 + n), rel=1e-12)


def test_nested_grad_of_different_arguments_gives_mixed_partials() -> None:
    f = lambda x, y: x**2 * y**3  # noqa: E731
    d_dy = grad(f, argnums=1)  # 3 x² y²
    assert grad(d_dy, argnums=0)(1.5, -2.0) == pytest.approx(6 * 1.5 * 4.0)  # 6 x y²
    assert grad(d_dy, argnums=1)(1.5, -2.0) == pytest.approx(6 * 1.5**2 * -2.0)  # 6 x² y


def test_inner_grad_differentiates_its_own_argument_only() -> None:
    # d/dx [x * d/dy (x * y) at y = x] = d/dx [x * x] = 2x; a tangle of the two
    # variables would give d/dx [x * 2x] = 4x instead.
    def f(x: Value) -> Value:
        return x * grad(lambda y: x * y)(x)

    assert grad(f)(3.0) == 6.0


def test_inner_grad_called_with_a_number_still_depends_on_outer_values() -> None:
    # The inner function closes over x, so its gradient (= x) is a Value.
    def f(x: Value) -> Value:
        return x * grad(lambda y: x * y)(1.0)

    assert grad(f)(3.0) == 6.0


def test_grad_with_values_returns_differentiable_values() -> None:
    x = Value(2.0, label="x")
    dx = grad(lambda v: v**3)(x)
    assert isinstance(dx, Value) and dx.data == 12.0
    dx.backward()
    assert x.grad == 12.0  # 6x
    value, dv = value_and_grad(lambda v: v**3)(x)
    assert isinstance(value, Value) and value.data == 8.0 and dv.data == 12.0


def test_nested_grad_on_arrays() -> None:
    # f(w) = sum(w^3) has gradient 3w²; the gradient of sum(3w²) is 6w.
    w0 = np.array([0.5, -1.0, 2.0])
    outer = grad(lambda w: grad(lambda v: (v * v * v).sum())(w).sum())
    np.testing.assert_allclose(outer(w0), 6 * w0)


# --- arrays and the logistic cost --------------------------------------------------


def _logistic_data(m: int = 40, nx: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(m, nx))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=m) > 0).astype(float)
    return X, y


def _logistic_cost(w: Value, b: Value, X: np.ndarray, y: np.ndarray) -> Value:
    """The notes' J = -mean(y log a + (1 - y) log(1 - a)), a = sigmoid(X w + b)."""
    a = (Value(X) @ w + b).sigmoid()
    return -(y * a.log() + (1.0 - y) * (1.0 - a).log()).mean()


def test_gradient_of_the_logistic_cost_matches_the_closed_form() -> None:
    X, y = _logistic_data()
    w0, b0 = np.array([0.2, -0.1, 0.4]), 0.1
    dw, db = grad(_logistic_cost, argnums=(0, 1))(w0, b0, X, y)
    a = 1 / (1 + np.exp(-(X @ w0 + b0)))
    np.testing.assert_allclose(dw, X.T @ (a - y) / len(y), rtol=1e-10)
    assert db == pytest.approx(np.mean(a - y), rel=1e-10)


def test_hessian_of_the_logistic_cost_matches_x_t_diag_x() -> None:
    X, y = _logistic_data()
    m = len(y)
    w0, b0 = np.array([0.2, -0.1, 0.4]), 0.1
    (Hww, Hwb), (Hbw, Hbb) = hessian(_logistic_cost, argnums=(0, 1))(w0, b0, X, y)
    a = 1 / (1 + np.exp(-(X @ w0 + b0)))
    s = a * (1 - a)
    np.testing.assert_allclose(Hww, X.T @ np.diag(s) @ X / m, rtol=1e-10)
    np.testing.assert_allclose(Hwb, X.T @ s / m, rtol=1e-10)
    np.testing.assert_allclose(Hbw, X.T @ s / m, rtol=1e-10)
    assert Hbb == pytest.approx(np.sum(s) / m, rel=1e-10)
    assert np.shape(Hww) == (3, 3) and np.shape(Hwb) == (3,) and type(Hbb) is float


def test_hessian_in_the_notes_layout_with_column_weights() -> None:
    # The notes stack examples as columns: X is (nx, m), w is (nx, 1), z = w^T X + b.
    X, y = _logistic_data()
    Xn, yn = X.T, y.reshape(1, -1)
    w0 = np.array([[0.2], [-0.1], [0.4]])

    def J(w: Value) -> Value:
        a = (w.T @ Value(Xn) + 0.1).sigmoid()
        return -(yn * a.log() + (1.0 - yn) * (1.0 - a).log()).mean()

    H = hessian(J)(w0)
    assert H.shape == (3, 1, 3, 1)
    a = 1 / (1 + np.exp(-(w0.T @ Xn + 0.1)))
    expected = Xn @ np.diag((a * (1 - a)).ravel()) @ Xn.T / Xn.shape[1]
    np.testing.assert_allclose(H.reshape(3, 3), expected, rtol=1e-10)


def test_hessian_of_a_quadratic_form() -> None:
    rng = np.random.default_rng(2)
    A = rng.normal(size=(4, 4))
    H = hessian(lambda x: x @ (Value(A) @ x))(rng.normal(size=4))
    np.testing.assert_allclose(H, A + A.T, rtol=1e-12)


def test_hessian_of_scalars() -> None:
    assert hessian(lambda x: x**3)(2.0) == 12.0
    H = hessian(lambda x, y: x.exp() * y**2, argnums=(0, 1))(0.0, 3.0)
    assert H == ((9.0, 6.0), (6.0, 2.0))  # (e^x y², 2 e^x y), (2 e^x y, 2 e^x)


def test_hessian_of_a_function_that_ignores_an_argument() -> None:
    H = hessian(lambda x, y: x * x, argnums=(0, 1))(3.0, np.ones(2))
    assert H[0][0] == 2.0
    np.testing.assert_array_equal(H[0][1], np.zeros(2))
    np.testing.assert_array_equal(H[1][1], np.zeros((2, 2)))


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("transform", [grad, value_and_grad, hessian])
def test_a_non_callable_is_a_type_error(transform: object) -> None:
    with pytest.raises(TypeError, match="needs a function to differentiate, got int 3"):
        transform(3)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("argnums", "error", "match"),
    [
        (True, TypeError, "got a bool"),
        ("0", TypeError, "got str '0'"),
        (1.0, TypeError, "got float"),
        ((0, "1"), TypeError, "must hold ints"),
        (-1, ValueError, "non-negative"),
        ((0, 0), ValueError, "argument 0 twice"),
        ((), ValueError, "empty"),
    ],
)
def test_bad_argnums(argnums: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        grad(lambda x: x, argnums=argnums)  # type: ignore[arg-type]


def test_argnums_beyond_the_arguments() -> None:
    with pytest.raises(ValueError, match=r"argnums=2 asks for argument 2.*2 positional"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match=r"^hessian\(\): argnums=\(0, 3\)"):
        hessian(lambda x, y: x * y, argnums=(0, 3))(1.0, 2.0)


def test_non_scalar_outputs_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"grad\(\).*Value of shape \(2,\).*\.sum\(\)"):
        grad(lambda x: x * np.ones(2))(1.0)
    with pytest.raises(ValueError, match=r"array of shape \(2,\)"):
        grad(lambda x: np.ones(2))(1.0)
    with pytest.raises(TypeError, match="must return a Value or a number, got str"):
        value_and_grad(lambda x: "x")(1.0)
    with pytest.raises(ValueError, match=r"^hessian\(\).*shape \(3,\)"):
        hessian(lambda x: x * 2.0)(np.ones(3))


def test_bad_differentiated_arguments_name_their_position() -> None:
    with pytest.raises(TypeError, match=r"argument 1 is differentiated.*str 'a'"):
        grad(lambda x, y: x * y, argnums=1)(1.0, "a")
    with pytest.raises(ValueError, match=r"argument 0 is differentiated.*finite"):
        grad(lambda x: x)(float("nan"))
    with pytest.raises(TypeError, match="argument 0 is differentiated"):
        grad(lambda x: x)([1.0, 2.0])


def test_hessian_refuses_values_and_nesting() -> None:
    with pytest.raises(TypeError, match=r"nest grad\(grad\(f\)\)"):
        hessian(lambda x: x**3)(Value(2.0))
    with pytest.raises(TypeError, match="cannot take Values or run inside grad"):
        grad(lambda x: hessian(lambda y: y**3)(x) * x)(2.0)


def test_errors_inside_the_function_keep_their_type_and_message() -> None:
    with pytest.raises(ValueError, match="log needs a positive input"):
        grad(lambda x: x.log())(-1.0)


# --- float() inside a transform --------------------------------------------------------


def test_float_of_a_traced_value_is_refused_not_silently_zero() -> None:
    import math

    with pytest.raises(TypeError, match=r"float\(\).*inside grad\(\).*t\.exp\(\)"):
        grad(lambda t: math.exp(t))(1.0)
    with pytest.raises(TypeError, match=r"inside grad\(\)"):
        grad(lambda t: float(t) ** 2)(3.0)
    with pytest.raises(TypeError, match=r"inside value_and_grad\(\)"):
        value_and_grad(lambda t: Value(float(t * 2)))(3.0)
    with pytest.raises(TypeError, match=r"inside hessian\(\)"):
        hessian(lambda t: Value(math.sin(t)))(0.5)


def test_float_of_values_the_inputs_do_not_reach_still_works_inside() -> None:
    import math

    w = Value(2.0)  # a Value of the caller's, not an input of the transform

    def f(t: Value) -> Value:
        return t * math.exp(float(w))

    assert grad(f)(1.0) == math.exp(2.0)


def test_float_outside_any_transform_keeps_working() -> None:
    t = Value(3.0)
    assert float(t * t) == 9.0
    inner = grad(lambda x: x**2)(3.0)  # a transform that has ended
    assert float(Value(inner)) == 6.0
