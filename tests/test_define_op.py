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


# --- what a rule may read, and when it changes (the scalar and array paths agree) ----------


def test_a_rule_reading_a_global_number_follows_its_changes() -> None:
    # The compiled scalar step must not freeze T as it was at the first backward.
    namespace: dict[str, Any] = {"np": np, "graphgrad": graphgrad, "T": 1.0}
    exec(
        "soft_t = graphgrad.define_op('soft_t', lambda x: np.logaddexp(0.0, x / T) * T,"
        " lambda x, out: graphgrad.ops.sigmoid(x / T))",
        namespace,
    )
    soft_t = namespace["soft_t"]
    for T in (1.0, 4.0, 0.5):
        namespace["T"] = T
        x = Value(1.0)
        soft_t(x).backward()
        xa = Value(np.array([1.0]))
        soft_t(xa).sum().backward()
        expected = 1.0 / (1.0 + math.exp(-1.0 / T))  # sigmoid(x / T), by hand
        assert x.grad == pytest.approx(expected, rel=1e-15), T
        assert xa.grad[0] == pytest.approx(expected, rel=1e-15), T


def test_a_rule_reading_a_closure_number_follows_its_changes() -> None:
    scale = 2.0

    def rule(x: Any, out: Any) -> Any:
        return scale * graphgrad.ops.exp(x)

    scaled_exp = define_op("scaled_exp", lambda x: scale * np.exp(x), rule)
    for scale in (2.0, 3.0):  # the rule reads the rebound cell
        x = Value(0.0)
        scaled_exp(x).backward()
        assert x.grad == scale


def test_after_a_redefinition_every_step_calls_the_new_op() -> None:
    # A notebook cell run again: mysin's rule names mycos, which is redefined.
    namespace: dict[str, Any] = {"np": np, "graphgrad": graphgrad}
    exec("mysin = graphgrad.define_op('mysin', np.sin, lambda x, out: mycos(x))", namespace)
    cell = (
        "mycos = graphgrad.define_op('mycos', lambda x: {k} * np.cos(x), "
        "lambda x, out: -{k} * mysin(x), replace=True)\n"
    )
    exec(cell.format(k=2.0), namespace)
    x = Value(0.5)
    namespace["mysin"](x).backward()
    assert x.grad == pytest.approx(2.0 * math.cos(0.5), rel=1e-15)
    exec(cell.format(k=1.0), namespace)  # run again with the cosine corrected
    x = Value(0.5)
    namespace["mysin"](x).backward()
    xa = Value(np.array([0.5]))
    namespace["mysin"](xa).sum().backward()
    assert x.grad == pytest.approx(math.cos(0.5), rel=1e-15)
    assert xa.grad[0] == pytest.approx(math.cos(0.5), rel=1e-15)


def test_a_rule_written_with_math_cannot_give_a_silent_zero_second_derivative() -> None:
    msin = define_op("msin", np.sin, lambda x, out: math.cos(x))
    x = Value(2.0)
    msin(x).backward()
    assert x.grad == math.cos(2.0)  # first order: the rule runs on numbers
    with pytest.raises(TypeError, match=r"float\(\) of .* would drop the graph"):
        hessian(msin)(2.0)
    y = Value(2.0)
    with pytest.raises(TypeError, match=r"float\(\) of .* would drop the graph"):
        msin(y).backward(create_graph=True)
    with pytest.raises(TypeError, match=r"float\(\) of .* would drop the graph"):
        grad(grad(msin))(2.0)


def test_a_forward_rule_that_changes_shape_is_refused_at_forward_time() -> None:
    tile2 = define_op("tile2", lambda x: np.tile(x, 2), lambda x, out: 1.0)
    with pytest.raises(ValueError, match=r"tile2 gave shape \(4,\) for .*broadcast shape \(2,\)"):
        tile2(Value(np.ones(2), label="p"))
    with pytest.raises(ValueError, match=r"tile2 gave shape \(2,\) for the number 2.0"):
        tile2(Value(2.0))
    flat = define_op("flat", np.ravel, lambda x, out: 1.0)
    with pytest.raises(ValueError, match=r"flat gave shape \(2,\) .*broadcast shape \(2, 1\)"):
        flat(Value(np.ones((2, 1))))


def test_a_symbol_with_control_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="symbol must be printable text"):
        define_op("clear", np.sin, lambda x, out: cosine(x), symbol="t\x1b[2J\nINJECTED LINE")
    assert "clear" not in OPS
