"""Every op's derivative against central finite differences.

The oracle evaluates each op with Python's math module, independently of the op
table's forward rules, and differentiates it numerically.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from graphgrad import Value, ops
from graphgrad.ops import OPS

H = 1e-6


def central(f: Callable[[float], float], x: float) -> float:
    return (f(x + H) - f(x - H)) / (2 * H)


def close(analytic: float, numeric: float) -> bool:
    return abs(analytic - numeric) <= 1e-5 + 1e-5 * abs(numeric)


def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# name -> (Value computation, independent float oracle, input domain)
UNARY: dict[
    str, tuple[Callable[[Value], Value], Callable[[float], float], st.SearchStrategy[float]]
] = {
    "neg": (lambda v: -v, lambda x: -x, reals(-100, 100)),
    "exp": (Value.exp, math.exp, reals(-30, 30)),
    "log": (Value.log, math.log, reals(1e-3, 1e3)),
    "sigmoid": (Value.sigmoid, _sigmoid, reals(-30, 30)),
    "tanh": (Value.tanh, math.tanh, reals(-10, 10)),
    "relu": (Value.relu, lambda x: max(x, 0.0), reals(-100, 100).filter(lambda x: abs(x) > 1e-3)),
    "softplus": (Value.softplus, lambda x: math.log1p(math.exp(x)), reals(-30, 30)),
    "step": (
        Value.step,
        lambda x: 1.0 if x > 0 else 0.0,
        reals(-100, 100).filter(lambda x: abs(x) > 1e-3),
    ),
    # The identity, through which no gradient passes: x.grad stays 0 (see below).
    "stop_gradient": (Value.stop_gradient, lambda x: x, reals(-100, 100)),
    "sum": (Value.sum, lambda x: x, reals(-100, 100)),
    "mean": (Value.mean, lambda x: x, reals(-100, 100)),
    # A number is its own max and its own log(e^x).
    "max": (Value.max, lambda x: x, reals(-100, 100)),
    "logsumexp": (Value.logsumexp, lambda x: x, reals(-100, 100)),
}

BINARY: dict[
    str,
    tuple[
        Callable[[Value, Value], Value],
        Callable[[float, float], float],
        st.SearchStrategy[float],
        st.SearchStrategy[float],
    ],
] = {
    "add": (lambda a, b: a + b, lambda x, y: x + y, reals(-100, 100), reals(-100, 100)),
    "sub": (lambda a, b: a - b, lambda x, y: x - y, reals(-100, 100), reals(-100, 100)),
    "mul": (lambda a, b: a * b, lambda x, y: x * y, reals(-100, 100), reals(-100, 100)),
    "div": (
        lambda a, b: a / b,
        lambda x, y: x / y,
        reals(-100, 100),
        reals(-100, 100).filter(lambda y: abs(y) > 0.1),
    ),
    "pow": (lambda a, b: a**b, lambda x, y: x**y, reals(0.1, 5), reals(-3, 3)),
    "xlogy": (ops.xlogy, lambda x, y: x * math.log(y), reals(-5, 5), reals(0.1, 5)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradient_matches_finite_differences(name: str) -> None:
    build, oracle, domain = UNARY[name]

    @given(domain)
    def check(x: float) -> None:
        v = Value(x)
        out = build(v)
        assert out.op == name
        assert out.data == pytest.approx(oracle(x), rel=1e-12, abs=1e-300)
        out.backward()
        if not OPS[name].takes_gradient(0):  # by design, not a derivative: none passes
            assert v.grad == 0.0
            return
        assert close(v.grad, central(oracle, x)), (x, v.grad, central(oracle, x))

    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_gradient_matches_finite_differences(name: str) -> None:
    build, oracle, left, right = BINARY[name]

    @given(left, right)
    def check(x: float, y: float) -> None:
        a, b = Value(x), Value(y)
        out = build(a, b)
        assert out.op == name
        assert out.data == pytest.approx(oracle(x, y), rel=1e-12, abs=1e-300)
        out.backward()
        assert close(a.grad, central(lambda t: oracle(t, y), x))
        assert close(b.grad, central(lambda t: oracle(x, t), y))

    check()


@given(reals(-5, 5).filter(lambda x: abs(x) > 1e-2), st.integers(-4, 4))
def test_pow_with_a_number_exponent(x: float, n: int) -> None:
    assume(n >= 0 or abs(x) > 0.05)
    v = Value(x)
    out = v**n
    assert out.op == "pow"
    out.backward()
    assert close(v.grad, central(lambda t: t**n, x))
    assert out.inputs[1].grad == 0.0  # a number exponent is a constant
    assert out.inputs[1].requires_grad is False


@given(reals(-3, 3), reals(0.1, 4))
def test_number_to_the_power_of_a_value(x: float, base: float) -> None:
    v = Value(x)
    out = base**v
    out.backward()
    assert close(v.grad, central(lambda t: base**t, x))


def test_every_op_in_the_table_is_covered_here() -> None:
    on_arrays = {"matmul", "affine", "outer", "transpose", "reshape", "getitem", "scatter"}
    covered = set(UNARY) | set(BINARY) | {"scaled_pow"} | on_arrays
    # scaled_pow has three inputs; the ops in on_arrays need arrays:
    # tests/test_arrays.py checks them (and every op over arrays).
    builtin = {name for name, op in OPS.items() if op.builtin}
    assert builtin <= covered, builtin - covered


@given(reals(-5, 5), reals(-5, 5))
def test_reflected_operators_with_plain_numbers(x: float, k: float) -> None:
    assume(abs(x) > 0.1)
    for build, oracle in [
        (lambda v: k + v, lambda t: k + t),
        (lambda v: k - v, lambda t: k - t),
        (lambda v: k * v, lambda t: k * t),
        (lambda v: k / v, lambda t: k / t),
        (lambda v: v - k, lambda t: t - k),
        (lambda v: v / (k if abs(k) > 0.1 else 1.0), lambda t: t / (k if abs(k) > 0.1 else 1.0)),
    ]:
        v = Value(x)
        out = build(v)
        assert out.data == pytest.approx(oracle(x), rel=1e-12, abs=1e-12)
        out.backward()
        assert close(v.grad, central(oracle, x))
