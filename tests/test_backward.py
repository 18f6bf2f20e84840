"""The backward pass: path sums, repeated calls, no_grad, deep graphs."""

from __future__ import annotations

import math
import sys

import pytest

import graphgrad
from graphgrad import Value, no_grad


def test_a_node_used_twice_gets_the_sum_over_its_paths() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0

    c = a * a  # d(a^2)/da = 2a
    c.backward()
    assert a.grad == 6.0


def test_shared_subexpression_diamond() -> None:
    x = Value(1.5, label="x")
    s = x.sigmoid()
    out = s * s + s.exp()  # both paths go through s
    out.backward()
    sig = 1 / (1 + math.exp(-1.5))
    expected = (2 * sig + math.exp(sig)) * sig * (1 - sig)
    assert x.grad == pytest.approx(expected, rel=1e-12)


def test_backward_twice_gives_the_same_gradients_not_doubled() -> None:
    a, b, c = Value(5.0), Value(3.0), Value(2.0)
    J = 3 * (a + b * c)
    J.backward()
    first = (a.grad, b.grad, c.grad)
    J.backward()
    assert (a.grad, b.grad, c.grad) == first == (3.0, 6.0, 9.0)


def test_gradients_before_backward_are_zero_and_zero_grad_resets_them() -> None:
    a, b = Value(2.0), Value(4.0)
    out = a * b
    assert (a.grad, b.grad, out.grad) == (0.0, 0.0, 0.0)
    out.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)
    out.zero_grad()
    assert (a.grad, b.grad, out.grad) == (0.0, 0.0, 0.0)


def test_leaf_and_op_attributes() -> None:
    a = Value(2, label="a")
    assert isinstance(a.data, float) and a.data == 2.0
    assert a.op == "" and a.inputs == () and a.label == "a"
    out = a * 3
    assert out.op == "mul" and out.inputs[0] is a and out.inputs[1].data == 3.0
    assert repr(a) == "Value(label='a', data=2.0, grad=0.0)"
    assert repr(out) == "Value(data=6.0, grad=0.0)"


def test_no_grad_records_no_graph() -> None:
    a = Value(2.0)
    with no_grad():
        assert not graphgrad.is_grad_enabled()
        b = a * 3 + 1
    assert graphgrad.is_grad_enabled()
    assert b.data == 7.0 and b.op == "" and b.inputs == ()
    b.backward()
    assert a.grad == 0.0  # b does not depend on a in any recorded graph
    c = a * 3
    assert c.inputs[0] is a  # recording is back on after the block


def test_no_grad_restores_state_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert graphgrad.is_grad_enabled()


def test_a_long_chain_backpropagates_without_recursion() -> None:
    # 100 times Python's default recursion limit proves the walk is iterative;
    # chains of a million ops are timed by the benchmark (bench/run.py, W3).
    n = 100_000
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 1.000001 + 0.0  # two ops per step: 200,000 nodes in all
    assert n > sys.getrecursionlimit()
    y.backward()
    assert x.grad == pytest.approx(1.000001**n, rel=1e-9)
    assert y.data == pytest.approx(1.000001**n, rel=1e-9)


def test_a_wide_graph_sums_many_inputs() -> None:
    xs = [Value(float(i)) for i in range(10_000)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x
    total.backward()
    assert xs[0].grad == 1.0
    assert all(x.grad == 2.0 * x.data for x in xs[1:])


def test_backward_needs_a_scalar_output() -> None:
    import numpy as np

    v = Value(np.array([1.0, 2.0]), label="z")
    with pytest.raises(ValueError, match=r"'z'.*shape \(2,\).*sum\(\)"):
        v.backward()
