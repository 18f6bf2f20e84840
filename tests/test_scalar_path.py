"""The lean scalar path: compiled steps, the graph walk, the cached order, big graphs.

Oracles: central finite differences, closed forms, and a plain reference
depth-first search written here.
"""

from __future__ import annotations

import gc
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphgrad import Value, no_grad
from graphgrad import value as value_module
from graphgrad.graph import topological_order
from graphgrad.ops import OPS, Op, power
from graphgrad.value import _apply1, _compile_step, _order_below_and_reset

# Inputs where every elementwise op is smooth (no kink at 0, positive base for **).
SAFE = st.floats(0.2, 2.0) | st.floats(-2.0, -0.2)
POSITIVE = st.floats(0.2, 2.0)


def central(f: Any, *xs: float, h: float = 1e-6) -> list[float]:
    out = []
    for i in range(len(xs)):
        up = list(xs)
        down = list(xs)
        up[i] += h
        down[i] -= h
        out.append((f(*up) - f(*down)) / (2 * h))
    return out


def call(name: str, *args: Any) -> Any:
    x = args[0]
    table = {
        "add": lambda: x + args[1],
        "sub": lambda: x - args[1],
        "mul": lambda: x * args[1],
        "div": lambda: x / args[1],
        "pow": lambda: x**2.5,
        "vpow": lambda: x ** args[1],
        "neg": lambda: -x,
    }
    return table[name]() if name in table else getattr(x, name)()


ELEMENTWISE = sorted(n for n, op in OPS.items() if op.elementwise)


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(a=SAFE, b=SAFE, weight=st.floats(-3.0, 3.0))
def test_every_compiled_step_matches_finite_differences(
    name: str, a: float, b: float, weight: float
) -> None:
    if name in ("log", "pow", "vpow"):
        a = abs(a)
    arity = OPS[name].arity
    xs = [Value(a), Value(b)][:arity]
    out = call(name, *xs) * weight
    out.backward()

    def f(*values: float) -> float:
        return float(call(name, *(Value(v) for v in values)).data) * weight

    expected_grads = central(f, a, b) if arity == 2 else central(f, a)
    for x, expected in zip(xs, expected_grads, strict=True):
        assert type(x.grad) is float
        assert math.isclose(x.grad, expected, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(a=SAFE, b=SAFE, g=st.floats(-3.0, 3.0))
def test_compiled_steps_reproduce_the_table_exactly(
    name: str, a: float, b: float, g: float
) -> None:
    # The step is generated from the table's rules; on floats it must give the
    # very same numbers as evaluating those rules, to the last bit.
    op = OPS[name]
    if name in ("log", "pow", "vpow"):
        a = abs(a)
    node = call(name, *[Value(a), Value(b)][: op.arity])
    xs = node.inputs
    node.grad = g
    for x in xs:
        x.grad = 0.0
    op.step(node)
    inputs = tuple(x.data for x in xs)
    for i, x in enumerate(xs):
        if op.partials[i] is None:
            assert x.grad == 0.0
        else:
            assert x.grad == 0.0 + g * op.local_derivative(i, inputs, node.data)


def test_a_rule_that_cannot_be_traced_is_called() -> None:
    # A rule that branches on its input's value cannot become a formula.
    op = Op("kinked", "kinked", lambda x: 2.0 * x if x > 0 else 3.0 * x,
            (lambda x, out: 2.0 if x > 0 else 3.0,))  # fmt: skip
    step = _compile_step(op)
    assert "partial0(xd, out)" in (step.__doc__ or "")
    for data, expected in ((1.0, 2.0), (-1.0, 3.0)):
        x = Value(data)
        node = _apply1(op, x)
        node.grad = 0.5
        step(node)
        assert x.grad == 0.5 * expected


def test_a_rule_whose_trace_differs_on_numbers_is_called() -> None:
    # power() refuses a complex result only on numbers; its trace on symbols is
    # a bare **, which gives a complex number for -1 ** 0.5.  The sample check
    # sees the difference and keeps the call.
    op = Op("root", "root", lambda x: power(x, 0.5), (lambda x, out: power(x, -0.5) / 2.0,))
    assert "partial0(xd, out)" in (_compile_step(op).__doc__ or "")


ANY_FLOAT = st.floats(-800.0, 800.0) | st.sampled_from([0.0, -0.0, 1e-300, 710.0, -1.0])


def _outcome(f: Any, *args: Any) -> tuple[str, Any]:
    try:
        out = f(*args)
    except (ArithmeticError, ValueError) as exc:
        return (type(exc).__name__, str(exc))
    return ("ok", (repr(out.data), out.op, tuple(map(id, out.inputs))))


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(a=ANY_FLOAT, b=ANY_FLOAT)
def test_compiled_apply_equals_the_general_path(name: str, a: float, b: float) -> None:
    # The compiled float path must give the very same node, or the same error,
    # as the general _apply1/_apply2 (which also serves arrays).
    op = OPS[name]
    compiled = getattr(value_module, f"_{name}")
    general = value_module._apply1 if op.arity == 1 else value_module._apply2
    xs = [Value(a, label="a"), Value(b, label="b")][: op.arity]
    assert _outcome(compiled, *xs) == _outcome(general, op, *xs)
    with no_grad():
        assert _outcome(compiled, *xs) == _outcome(general, op, *xs)


def test_an_input_used_twice_gets_both_contributions() -> None:
    x = Value(3.0)
    J = x * x + x / x - x - x
    J.backward()
    assert J.data == 9.0 + 1.0 - 6.0
    assert math.isclose(x.grad, 2 * 3.0 + 0.0 - 2.0)  # d(x/x)/dx = 1/3 - 1/3, to rounding


# --- the graph walk -------------------------------------------------------------------------


def reference_order(root: Value) -> list[Value]:
    """Depth-first, inputs first, last input explored first: the documented order."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node.inputs if id(child) not in seen)
    return order


@st.composite
def random_graphs(draw: st.DrawFn) -> Value:
    """Random DAGs with shared subexpressions, leaves used many times, unary and binary ops."""
    nodes = [Value(draw(POSITIVE), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 25))):
        a = draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["add", "mul", "sub", "tanh", "sigmoid"]))
        if kind in ("tanh", "sigmoid"):
            nodes.append(getattr(a, kind)())
        else:
            nodes.append(call(kind, a, draw(st.sampled_from(nodes))))
    return nodes[-1]


@given(random_graphs())
def test_topological_order_is_the_reference_depth_first_order(root: Value) -> None:
    order = topological_order(root)
    assert [id(n) for n in order] == [id(n) for n in reference_order(root)]
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)  # each node once
    for node in order:
        assert all(position[id(x)] < position[id(node)] for x in node.inputs)


@given(random_graphs())
def test_backwards_own_walk_is_the_same_order_and_resets_grads(root: Value) -> None:
    for node in topological_order(root):
        node.grad = 7.0
    below = _order_below_and_reset(root)
    assert [id(n) for n in below] == [id(n) for n in topological_order(root)[:-1]]
    assert all(n.grad == 0.0 for n in [*below, root])


@given(random_graphs())
def test_leftover_marks_of_an_interrupted_walk_change_nothing(root: Value) -> None:
    leaves = [n for n in topological_order(root) if not n.inputs]
    root.backward()
    expected = [x.grad for x in leaves]
    root._order = None  # forget the order, so that the walk runs again
    for node in topological_order(root):
        node.grad = object()  # as if a walk had been stopped half-way
    root.backward()
    assert [x.grad for x in leaves] == expected


@given(random_graphs())
def test_backward_twice_reuses_the_order_and_gives_the_same_gradients(root: Value) -> None:
    leaves = [n for n in topological_order(root) if not n.inputs]
    root.backward()
    first = [x.grad for x in leaves]
    root.backward()
    assert [x.grad for x in leaves] == first
    root.zero_grad()
    assert all(n.grad == 0.0 for n in topological_order(root))


@given(random_graphs())
def test_random_graphs_match_finite_differences(root: Value) -> None:
    leaves = [n for n in topological_order(root) if not n.inputs]
    root.backward()
    for leaf in leaves:
        original = leaf.data
        h = 1e-6
        # Rebuilding is not possible from outside, so nudge the leaf and re-run the ops.
        leaf.data = original + h
        up = _recompute(root)
        leaf.data = original - h
        down = _recompute(root)
        leaf.data = original
        assert math.isclose(leaf.grad, (up - down) / (2 * h), rel_tol=1e-4, abs_tol=1e-5)


def _recompute(root: Value) -> float:
    """Forward pass over an existing graph, applying each node's op to its inputs' data."""
    values: dict[int, float] = {}
    for node in topological_order(root):
        if not node.inputs:
            values[id(node)] = float(node.data)
        else:
            args = [values[id(x)] for x in node.inputs]
            values[id(node)] = float(OPS[node.op].forward(*args))
    return values[id(root)]


def test_backward_leaves_no_reference_cycles() -> None:
    # The cached order must not make the root refer to itself: graphs are freed
    # by reference counting, with nothing left for the garbage collector.
    gc.collect()
    gc.disable()
    try:
        a, b = Value(2.0), Value(3.0)
        J = (a * b + a).tanh() * 3
        J.backward()
        J.backward()
        del J
        assert gc.collect() == 0
    finally:
        gc.enable()


# --- big graphs -----------------------------------------------------------------------------


def test_a_deep_chain_needs_no_recursion() -> None:
    n = 100_000
    x = Value(0.5, label="x")
    v = x
    for _ in range(n):
        v = v * 1.0 + 0.0
    J = v * 2.0
    J.backward()  # a recursive walk would fail at about 1,000
    assert x.grad == 2.0
    assert len(topological_order(J)) == 4 * n + 3


def test_a_wide_graph() -> None:
    xs = [Value(float(i)) for i in range(20_000)]
    J = Value(0.0)
    for x in xs:
        J = J + x * x
    J.backward()
    assert all(x.grad == 2.0 * x.data for x in xs)


def test_float_gradient_overflow_names_the_leaf() -> None:
    x = Value(1e-300, label="x")
    J = x.log() * 1e300
    with pytest.raises(OverflowError, match=r"backward through 'x'.*failed: .*too large"):
        J.backward()


def test_constant_scalar_leaf_keeps_a_zero_gradient() -> None:
    c = Value(4.0, label="c", requires_grad=False)
    x = Value(2.0, label="x")
    J = c * x + c
    J.backward()
    assert (c.grad, x.grad) == (0.0, 4.0)


def test_create_graph_still_gives_second_derivatives() -> None:
    x = Value(2.0)
    J = x**3.0
    J.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value) and first.data == 12.0
    first.backward()
    assert x.grad == 12.0  # d2(x^3)/dx2 = 6x
