"""numeric_grad and gradcheck, against closed-form derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgrad import GradcheckError, Value, gradcheck, numeric_grad


def test_numeric_grad_estimates_each_partial_derivative() -> None:
    da, db, dc = numeric_grad(lambda a, b, c: 3 * (a + b * c), 5.0, 3.0, 2.0)
    assert da == pytest.approx(3.0, abs=1e-6)
    assert db == pytest.approx(6.0, abs=1e-6)
    assert dc == pytest.approx(9.0, abs=1e-6)


def test_central_differences_beat_the_notes_one_sided_nudge() -> None:
    f = math.exp
    x, exact = 1.0, math.exp(1.0)
    one_sided = (f(x + 0.001) - f(x)) / 0.001
    (central,) = numeric_grad(lambda v: v.exp(), x, h=0.001)
    assert abs(central - exact) < abs(one_sided - exact) / 100


def test_numeric_grad_on_an_array_input() -> None:
    w = np.array([0.5, -1.0, 2.0])
    (g,) = numeric_grad(lambda v: (v * v).sum(), w)
    assert g.shape == w.shape
    np.testing.assert_allclose(g, 2 * w, atol=1e-6)


def test_gradcheck_passes_on_correct_gradients() -> None:
    assert gradcheck(lambda x, y: (x * y).sigmoid() + (x / y).log(), 0.7, 1.3)
    assert gradcheck(lambda w: (w.tanh() * w).sum(), np.array([0.1, -0.4, 2.0]))


def test_gradcheck_names_the_input_with_the_worst_mismatch() -> None:
    # Freezing x's data as a constant hides one path from backward():
    # d/dx [x * const(x)] is x for backward() but 2x for finite differences.
    def f(a: Value, x: Value) -> Value:
        return a + x * Value(x.data)

    with pytest.raises(GradcheckError, match=r"input 1 \(x=3.0\).*backward\(\) gave 3.0.*6.0"):
        gradcheck(f, 1.0, 3.0)


@pytest.mark.parametrize("h", [0.0, -1e-3, math.nan, "0.1"])
def test_numeric_grad_rejects_a_bad_step(h: object) -> None:
    with pytest.raises(ValueError, match="h must be"):
        numeric_grad(lambda v: v, 1.0, h=h)  # type: ignore[arg-type]


def test_checked_function_must_return_a_scalar() -> None:
    with pytest.raises(ValueError, match="scalar"):
        numeric_grad(lambda v: "nope", 1.0)
    with pytest.raises(TypeError, match="callable"):
        gradcheck(42, 1.0)  # type: ignore[arg-type]


def test_an_empty_input_has_nothing_to_check() -> None:
    empty = np.zeros(0)
    assert gradcheck(lambda x: x.sum(), empty)
    assert gradcheck(lambda x: (x * x).sum(), np.zeros((3, 0)))

    # The other inputs are still checked: backward() misses a path through y.
    def f(x: Value, y: Value) -> Value:
        return x.sum() + y * Value(y.data)

    with pytest.raises(GradcheckError, match=r"input 1 \(x=3.0\)"):
        gradcheck(f, empty, 3.0)
