"""graphgrad.define_op: a user's op gets everything a table op has.

Oracles: math and numpy's own functions and their closed-form derivatives,
and central finite differences.  Each test defines ops under names of its own
(a name can be defined once per process).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import graphgrad
from graphgrad import Value, define_op, draw, grad, gradcheck, gradgradcheck, hessian, trace
from graphgrad.codegen import rule_fallbacks
from graphgrad.ops import OPS

sine = define_op("sine", np.sin, lambda x, out: cosine(x))
cosine = define_op("cosine", np.cos, lambda x, out: -sine(x))
hypot = define_op("hypotenuse", np.hypot, lambda a, b, out: a / out, lambda a, b, out: b / out)


def test_a_float_in_gives_a_float_an_array_an_array_a_value_a_node() -> None:
    assert type(sine(0.5)) is float and sine(0.5) == math.sin(0.5)
    assert sine(1) == math.sin(1.0)
    values = sine(np.array([0.0, 1.0]))
    assert isinstance(values, np.ndarray)
    np.testing.assert_array_equal(values, np.sin([0.0, 1.0]))
    node = sine(Value(0.5))
    assert isinstance(node, Value) and node.op == "sine" and node.data == math.sin(0.5)
    assert sine.op is OPS["sine"]  # type: ignore[attr-defined]


def test_backward_uses_the_rule() -> None:
    x = Value(0.3)
    (sine(x) * cosine(x)).backward()
    assert x.grad == pytest.approx(math.cos(0.6), rel=1e-14)  # d(sin·cos) = cos 2x


def test_rules_naming_ops_defined_later_are_compiled_not_called() -> None:
    assert rule_fallbacks(OPS["sine"]) == () and rule_fallbacks(OPS["cosine"]) == ()
    x = Value(0.1)
    sine(x).backward()  # compiles sine's step on first use
    source = OPS["sine"].step.__doc__ or ""
    assert "x.grad += (g * float(" in source and "_cosine(xd)" in source
    assert "vjp0" not in source


def test_higher_orders_cycle_through_the_rules() -> None:
    f: Any = sine
    expected = [math.cos, lambda t: -math.sin(t), lambda t: -math.cos(t), math.sin]
    for closed_form in expected:
        f = grad(f)
        assert f(0.7) == pytest.approx(closed_form(0.7), rel=1e-14)


def test_gradient_checks_pass() -> None:
    assert gradcheck(lambda a, b: hypot(a, b) * sine(a), 0.4, 1.3)
    assert gradgradcheck(lambda a, b: hypot(a, b) * sine(a), 0.4, 1.3)


def test_arrays_and_broadcasting() -> None:
    a = Value(np.array([[3.0], [5.0]]), label="a")
    b = Value(np.array([4.0, 12.0]), label="b")
    h = hypot(a, b)
    assert h.shape == (2, 2)
    h.sum().backward()
    A, B = np.broadcast_arrays(a.data, b.data)
    np.testing.assert_allclose(a.grad, (A / np.hypot(A, B)).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(b.grad, (B / np.hypot(A, B)).sum(axis=0))
    H = hessian(lambda t: sine(t).sum())(np.array([0.2, 0.4]))
    np.testing.assert_allclose(H, np.diag(-np.sin([0.2, 0.4])))


def test_a_number_operand_is_a_constant() -> None:
    a = Value(3.0)
    h = hypot(a, 4.0)
    h.backward()
    assert a.grad == 0.6 and h.inputs[1].requires_grad is False


def test_formulas_in_traces_and_pictures() -> None:
    x = Value(0.5, label="x")
    J = sine(x)
    J.label = "J"
    text = trace(J)
    assert "J = sine(x) = 0.4794" in text
    assert "dx = dJ · ∂J/∂x = dJ · cosine(x) = 1 · 0.8776 = 0.8776" in " ".join(text.split("  "))
    assert "∂J/∂x = cosine(x)" in draw(J).source


def test_a_symbol_for_pictures() -> None:
    arcsin = define_op("arcsine", np.arcsin, lambda x, out: (1 - x * x) ** -0.5, symbol="asin")
    J = arcsin(Value(0.5, label="x"))
    J.label = "J"
    assert "J = asin(x)" in trace(J, backward=False)
    J.backward()
    assert J.inputs[0].grad == pytest.approx(1 / math.sqrt(0.75), rel=1e-14)


def test_its_nodes_are_made_by_the_tables_compiled_float_path() -> None:
    op = OPS["sine"]
    sine(Value(0.1)) + 0.0  # the op's own apply compiles on first use
    op.apply(Value(0.1))
    source = op.apply.__doc__ or ""
    assert source.startswith("def apply_sine(x):")
    assert "data = float(" in source and "_sine(xd))" in source


def test_a_rule_written_with_numpy_works_once_and_says_why_not_twice() -> None:
    tangent = define_op("tangent", np.tan, lambda x, out: 1 / np.cos(x) ** 2)
    x = Value(0.3)
    tangent(x).backward()
    assert x.grad == pytest.approx(1 / math.cos(0.3) ** 2, rel=1e-14)
    with pytest.raises(TypeError, match=r"derivative rule of tangent .*cannot run on Values"):
        grad(grad(tangent))(0.3)


def test_a_forward_that_takes_no_arrays_is_named() -> None:
    floor_ish = define_op("math_only", math.sin, lambda x, out: cosine(x))
    assert floor_ish(0.5) == math.sin(0.5)
    with pytest.raises(TypeError, match=r"forward rule of math_only failed"):
        floor_ish(Value(np.array([0.1, 0.2])))


def test_a_forward_that_gives_infinity_is_refused_naming_the_op() -> None:
    blow = define_op("blow_up", lambda x: x / (x - x), lambda x, out: 0.0)
    with pytest.raises((ZeroDivisionError, ValueError, OverflowError), match="blow_up of"):
        blow(Value(1.0))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("exp", np.exp, lambda x, out: out), ValueError, "built in"),
        (("sine", np.sin, lambda x, out: 1.0), ValueError, "already defined.*replace=True"),
        (("two_in", np.add, lambda a, b, out: 1.0), ValueError, "takes 2 input.*1 local"),
        (("no_rule", np.sin), ValueError, "one local derivative per input"),
        (("bad_rule", np.sin, "cos"), TypeError, "must be a rule"),
        (("bad_args", np.sin, lambda x: 1.0), TypeError, r"must take \(x, out\)"),
        (("not callable", np.sin, 1.0), ValueError, "Python identifier"),
        (("ok_name", 3.0, 1.0), TypeError, "forward must be a function"),
        (("inf_rule", np.sin, math.inf), ValueError, "must be finite"),
    ],
)
def test_bad_definitions_are_refused_when_defined(
    args: tuple[Any, ...], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        define_op(*args)


def test_a_name_cannot_inject_code() -> None:
    with pytest.raises(ValueError, match="identifier"):
        define_op("x):\n import os #", np.sin, 1.0)


def test_replace_redefines_a_users_op_for_notebooks() -> None:
    first = define_op("twice", lambda x: 2 * x, 2.0)
    second = define_op("twice", lambda x: 3 * x, 3.0, replace=True)
    assert first(1.0) == 2.0 and second(1.0) == 3.0
    with pytest.raises(ValueError, match="built in"):
        define_op("tanh", np.tanh, 1.0, replace=True)


def test_the_package_exports_it() -> None:
    assert graphgrad.define_op is define_op
