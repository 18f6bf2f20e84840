"""Bad input gets a clear error that names the node or argument at fault."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgrad import Value
from graphgrad.numerics import DomainError


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("abc", "str"), (None, "NoneType"), ([1, 2], "list"), (True, "bool"), (1 + 2j, "complex")],
)
def test_value_rejects_data_that_is_not_a_real_number(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)  # type: ignore[arg-type]


def test_value_rejects_a_label_that_is_not_text() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_at_the_door(bad: float) -> None:
    with pytest.raises(ValueError, match=r"'w'.*finite"):
        Value(bad, label="w")
    with pytest.raises(ValueError, match="finite"):
        Value(1.0) + bad
    with pytest.raises(ValueError, match=r"'X'.*NaN or infinity"):
        Value(np.array([1.0, bad]), label="X")


def test_operators_with_unsupported_types_raise_type_error() -> None:
    a = Value(1.0, label="a")
    with pytest.raises(TypeError, match=r"Value.*str"):
        a + "x"  # type: ignore[operator]
    with pytest.raises(TypeError):
        [1, 2] * a  # type: ignore[operator]


def test_sigmoid_and_tanh_saturate_with_finite_gradients() -> None:
    for x, expected in [(1000.0, 1.0), (-1000.0, 0.0)]:
        v = Value(x)
        s = v.sigmoid()
        assert s.data == expected
        s.backward()
        assert v.grad == 0.0
        t = Value(x).tanh()
        assert t.data == math.copysign(1.0, x)
        t.backward()
        assert t.inputs[0].grad == 0.0


def test_exp_overflow_names_the_op_and_the_node() -> None:
    with pytest.raises(OverflowError, match=r"exp of 'x' \(data=1000.0\)"):
        Value(1000.0, label="x").exp()


def test_arithmetic_overflow_is_an_error_not_infinity() -> None:
    big = Value(1e200, label="big")
    with pytest.raises(OverflowError, match=r"mul of 'big'.*too large"):
        big * big


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_a_non_positive_number(x: float) -> None:
    with pytest.raises(ValueError, match=r"log of 'p'.*positive"):
        Value(x, label="p").log()


def test_zero_to_a_negative_power_and_division_by_zero() -> None:
    with pytest.raises(ZeroDivisionError, match=r"pow of 'z'.*negative power"):
        Value(0.0, label="z") ** -1
    with pytest.raises(ZeroDivisionError, match=r"div of 'n'.*division by zero"):
        Value(1.0, label="n") / Value(0.0, label="d")
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1 / Value(0.0, label="d")


def test_negative_number_to_a_fractional_power() -> None:
    with pytest.raises(ValueError, match=r"pow of 'n'.*fractional"):
        Value(-8.0, label="n") ** 0.5


def test_gradient_with_respect_to_an_exponent_needs_a_positive_base() -> None:
    x, y = Value(-2.0, label="x"), Value(2.0, label="y")
    out = x**y  # defined, but d/dy x^y = x^y log x is not
    assert out.data == 4.0
    with pytest.raises(
        ValueError, match=r"backward through the pow node .*d/db of a\*\*b needs a > 0"
    ):
        out.backward()
    # The same power with a constant exponent needs no d/db: it differentiates fine.
    x = Value(-2.0, label="x")
    (x**2.0).backward()
    assert x.grad == -4.0


def test_errors_inside_no_grad_name_the_node_too() -> None:
    from graphgrad import no_grad

    with no_grad(), pytest.raises(OverflowError, match="'t'"):
        Value(800.0, label="t").exp()


def test_unlabelled_nodes_are_described_by_op_and_data() -> None:
    x = Value(3.0)
    with pytest.raises(ValueError, match=r"log of the sub node \(data=-1.0\)"):
        (x - 4).log()


def test_data_assigned_by_hand_must_stay_a_float() -> None:
    w = Value(1.0, label="w")
    w.data = 5  # type: ignore[assignment]  # an int, as in `w.data = 5`
    with pytest.raises(TypeError, match=r"data of 'w' \(data=5\) is int 5.*5\.0"):
        w * w
    with pytest.raises(TypeError, match=r"data of 'w'"):
        w.exp()


def test_integers_too_large_for_a_float_are_named() -> None:
    with pytest.raises(OverflowError, match=r"Value 'big' got 1000.*too large"):
        Value(10**400, label="big")
    with pytest.raises(OverflowError, match="too large"):
        Value(1.0) * 10**400


def test_a_constant_exponent_leaf_gets_no_gradient_and_needs_no_log() -> None:
    x = Value(-2.0, label="x")
    y = x ** Value(3.0, requires_grad=False)  # d/dy would need log(-2)
    y.backward()
    assert y.op == "pow"
    assert x.grad == 12.0  # 3 x^2


def test_an_overflowing_xlogy_says_it_overflowed_not_that_log_needs_a_positive_input() -> None:
    with pytest.raises(OverflowError, match="too large for a 64-bit float"):
        Value(1.797e308, label="x").xlogy(Value(1.797e308, label="y"))
    with pytest.raises(OverflowError, match="too large for a 64-bit float"):
        Value(np.array([1.797e308])).xlogy(np.array([1.797e308]))
    with pytest.raises(ValueError, match="log needs a positive input"):
        Value(1.0).xlogy(-1.0)


@pytest.mark.parametrize("as_array", [False, True])
def test_one_failure_is_one_exception_type_for_numbers_and_arrays(as_array: bool) -> None:
    # d(a**b)/db = a**b·log a at 0**0 has no value: the same error on both paths.
    data = np.array([0.0]) if as_array else 0.0
    a, b = Value(data, label="a"), Value(data, label="b")
    out = a**b
    with pytest.raises(DomainError, match=r"d/db of a\*\*b needs a > 0"):
        (out.sum() if as_array else out).backward()
    with pytest.raises(DomainError, match="log needs a positive input"):
        Value(data).log()
