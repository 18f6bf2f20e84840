"""Numbers and arrays used as operands are constants; derivatives at the edges of
their domain follow PyTorch where PyTorch's answer is finite, and fail with a
clear message in the op's own terms where no derivative exists.

Oracles: closed forms (d/dx x**c = c·x**(c-1), with 0 for c = 0) and the
values PyTorch gives, written out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgrad import Value, grad, hessian
from graphgrad.graph import topological_order

# --- constants ----------------------------------------------------------------------------


def test_numbers_and_arrays_in_an_expression_take_no_gradient() -> None:
    x = Value(np.array([1.0, 2.0]), label="x")
    J = (x * np.array([3.0, 4.0]) + 2.0).sum()
    J.backward()
    constants = [n for n in topological_order(J) if not n.inputs and n is not x]
    assert len(constants) == 2
    for c in constants:
        assert c.requires_grad is False
        assert type(c.grad) is float and c.grad == 0.0  # never computed nor stored
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_dividing_by_a_tiny_number_is_differentiable() -> None:
    # torch: x.grad = 1e160.  The constant's own derivative (-x / c²) would
    # overflow; nobody can read it, so it is never computed.
    x = Value(2.0, label="x")
    (x / 1e-160).backward()
    assert x.grad == pytest.approx(1e160, rel=1e-15)


def test_a_number_to_a_very_negative_power() -> None:
    # (0.1 ** x)' = 0.1**x · log 0.1, finite at x = -307; d/d(0.1) would overflow.
    x = Value(-307.0, label="x")
    y = 0.1**x
    y.backward()
    assert x.grad == pytest.approx(0.1**-307.0 * math.log(0.1), rel=1e-12)


def test_constant_data_costs_nothing_in_backward() -> None:
    # The data X is never given a gradient: after backward it is untouched.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    y = (rng.random(50) < 0.5).astype(float)
    w = Value(np.zeros(4), label="w")
    z = X @ w
    J = (z.softplus() - y * z).mean()
    J.backward()
    data = z.inputs[0]
    assert data.requires_grad is False and data.grad == 0.0
    np.testing.assert_allclose(w.grad, X.T @ (0.5 - y) / 50, rtol=1e-12)  # the notes' dw


def test_what_is_made_from_constants_alone_takes_no_gradient_and_no_graph() -> None:
    c = Value(2.0, requires_grad=False)
    d = (c * 3.0).exp()
    assert d.requires_grad is False and d.inputs == () and d.operation is None
    x = Value(1.0)
    J = d * x
    J.backward()
    assert x.grad == math.exp(6.0) and d.grad == 0.0


# --- x ** c at x = 0, every order (PyTorch gives 0 wherever the closed form is 0) ---------


@pytest.mark.parametrize("c", [0, 0.0, 1, 2, 3])
def test_derivatives_of_a_constant_power_at_zero(c: float) -> None:
    # k-th derivative of x**c at 0: c(c-1)...(c-k+1) · 0**(c-k), which is 0
    # unless c = k (then c!), and never 0**negative when the product has a 0.
    f = lambda x: x**c  # noqa: E731
    derivative = f
    for k in range(1, 5):
        derivative = grad(derivative)
        expected = math.factorial(int(c)) if k == c else 0.0
        assert derivative(0.0) == expected, (c, k)


def test_the_issues_edge_cases_give_zero_not_zero_division() -> None:
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
    assert hessian(lambda t: t**1)(0.0) == 0.0
    assert grad(grad(grad(lambda t: t**2)))(0.0) == 0.0


def test_zero_to_the_power_zero_differentiates_in_both_inputs() -> None:
    # torch: d/da 0**b at b = 0 is 0, and d/db at a = 0 with b = 0 is 0 (masked).
    a, b = Value(0.0, label="a"), Value(2.0, label="b")
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)  # 2·0**1 and 0**2·log 0 → 0 (0·log 0 = 0)


def test_powers_of_zero_in_arrays() -> None:
    x = Value(np.array([0.0, 1.0, 2.0]))
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    x = Value(np.array([0.0, 1.0, 2.0]))
    (x ** np.array([0.0, 1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 4.0])


# --- where no derivative exists: an error in the op's own terms ------------------------


def test_a_negative_base_with_a_differentiated_exponent_says_why() -> None:
    a, b = Value(-2.0, label="a"), Value(2.0, label="b")
    y = a**b
    assert y.data == 4.0
    with pytest.raises(ValueError, match=r"d/db of a\*\*b needs a > 0") as info:
        y.backward()
    assert "math domain error" not in str(info.value)
    assert "a = -2.0" in str(info.value)


def test_zero_to_a_power_near_zero_says_why() -> None:
    a, b = Value(0.0, label="a"), Value(0.5, label="b")
    with pytest.raises(ZeroDivisionError, match=r"d/da of a\*\*b needs a ≠ 0 when 0 < b < 1"):
        (a**b).backward()


def test_zero_to_a_negative_power_fails_forward_naming_it() -> None:
    with pytest.raises(ZeroDivisionError, match="zero cannot be raised to a negative power"):
        Value(0.0, label="z") ** -1
    with pytest.raises(ValueError, match="negative number cannot be raised to a fractional"):
        Value(-8.0, label="z") ** 0.5


def test_no_nan_ever_reaches_a_gradient() -> None:
    # inf - inf inside a gradient sum: an error naming the leaf, not a NaN.
    x = Value(1e-300, label="x")
    J = x.log() * 1e300 - x.log() * 1e300
    with pytest.raises((OverflowError, ValueError), match=r"backward through 'x'"):
        J.backward()
