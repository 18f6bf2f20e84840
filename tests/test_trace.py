"""The step-by-step trace: the notes' hand computation, checked against the notes
and against finite differences written here."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from graphgrad import Value, trace
from graphgrad.draw import GraphTooLargeError


def notes_graph() -> tuple[Value, ...]:
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    return a, b, c, u, v, J


def squash(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_notes_example_forward_and_backward_as_the_notes_write_them() -> None:
    *_, J = notes_graph()
    lines = squash(trace(J))
    forward = lines[: lines.index("")]
    backward = lines[lines.index("") + 1 :]
    assert forward[0] == "Forward pass"
    # In the notes' reading order: the expression left to right, each value
    # after what it is made from.
    assert forward[1:] == [
        "a = 5",
        "b = 3",
        "c = 2",
        "u = b·c = 6",
        "v = a + u = 11",
        "J = 3·v = 33",
    ]
    assert backward[0] == "Backward pass (dx is dJ/dx, by the chain rule)"
    # As the notes derive them: from J back, each node's inputs left to right.
    assert backward[1:] == [
        "dJ = 1",
        "dv = dJ · ∂J/∂v = 1 · 3 = 3",
        "da = dv · ∂v/∂a = 3 · 1 = 3",
        "du = dv · ∂v/∂u = 3 · 1 = 3",
        "db = du · ∂u/∂b = du · c = 3 · 2 = 6",
        "dc = du · ∂u/∂c = du · b = 3 · 3 = 9",
    ]


def test_the_logistic_neuron_is_numbered_and_listed_left_to_right() -> None:
    named = ((0.1, "w1"), (1.0, "x1"), (0.2, "w2"), (2.0, "x2"), (0.3, "b"))
    w1, x1, w2, x2, b = (Value(v, label=n) for v, n in named)
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    lines = squash(trace(z, backward=False))
    assert lines[1:] == [
        "w1 = 0.1",
        "x1 = 1",
        "v1 = w1·x1 = 0.1",
        "w2 = 0.2",
        "x2 = 2",
        "v2 = w2·x2 = 0.4",
        "v3 = v1 + v2 = 0.5",
        "b = 0.3",
        "z = v3 + b = 0.8",
    ]


def test_backward_lines_come_in_the_order_backward_computes_them() -> None:
    *_, J = notes_graph()
    lines = squash(trace(J))
    order = [line.split(" = ")[0] for line in lines[lines.index("") + 2 :]]
    # Each gradient is written only after every gradient it is made from.
    position = {name: i for i, name in enumerate(order)}
    assert position["dJ"] < position["dv"] < min(position["da"], position["du"])
    assert position["du"] < min(position["db"], position["dc"])


def central_difference(f: object, xs: list[float], i: int, h: float = 1e-6) -> float:
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)  # type: ignore[operator]


def test_fan_out_is_a_sum_of_chain_rule_terms() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    w = a * b
    w.label = "w"
    J = w + a.exp()
    J.label = "J"
    lines = squash(trace(J, digits=6))
    da = next(line for line in lines if line.startswith("da ="))
    # Both consumers of a, by name, by formula (exp's derivative is its output), by numbers.
    assert da.startswith("da = dw · ∂w/∂a + dv1 · ∂v1/∂a = dw · b + dv1 · v1 = ")
    expected = central_difference(lambda x, y: x * y + math.exp(x), [2.0, 3.0], 0)
    assert float(da.rsplit(" = ", 1)[1]) == pytest.approx(expected, rel=1e-5)
    # The terms, by numbers: dw · b + dv · exp(a) with dw = dv = 1.
    assert f"1 · 3 + 1 · {math.exp(2.0):.6g}" in da


def test_logistic_loss_gradients_match_the_notes_closed_forms() -> None:
    x1, x2, y = Value(1.0, label="x1"), Value(2.0, label="x2"), Value(0.0, label="y")
    w1, w2, b = Value(0.3, label="w1"), Value(-0.1, label="w2"), Value(0.2, label="b")
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.label = "L"
    lines = squash(trace(L, digits=8))
    zz = 0.3 * 1.0 - 0.1 * 2.0 + 0.2
    aa = 1 / (1 + math.exp(-zz))

    def value_of(prefix: str) -> float:
        line = next(line for line in lines if line.startswith(prefix + " = "))
        return float(line.rsplit(" = ", 1)[1])

    assert value_of("a") == pytest.approx(aa, rel=1e-7)
    assert value_of("L") == pytest.approx(-math.log(1 - aa), rel=1e-7)
    # The notes: dz = a - y, dw1 = x1·dz, dw2 = x2·dz, db = dz.
    assert value_of("dz") == pytest.approx(aa - 0.0, rel=1e-7)
    assert value_of("dw1") == pytest.approx(1.0 * (aa - 0.0), rel=1e-7)
    assert value_of("dw2") == pytest.approx(2.0 * (aa - 0.0), rel=1e-7)
    assert value_of("db") == pytest.approx(aa - 0.0, rel=1e-7)
    assert any(line.startswith("a = σ(z) = ") for line in lines)
    assert any(line.startswith("dz = da · ∂a/∂z = da · (a·(1 - a)) = ") for line in lines)


def test_array_nodes_are_summarized_and_mean_shows_its_gradient_rule() -> None:
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    x = Value(data, label="x")
    s = x * x
    s.label = "s"
    J = s.mean()
    J.label = "J"
    lines = squash(trace(J))
    assert f"s = x·x = shape (5,): mean {np.mean(data**2):.4g}, min 1, max 25" in lines
    assert f"J = mean(s) = {np.mean(data**2):.4g}" in lines
    assert f"ds = dJ/5 = shape (5,): all {1 / 5:.4g}" in lines
    dx = 2 * data / 5  # d/dx mean(x²)
    dx_line = next(line for line in lines if line.startswith("dx = "))
    summary = re.search(r"mean (\S+), min (\S+), max (\S+)", dx_line)
    assert summary is not None
    stats = [float(v) for v in summary.groups()]
    assert stats == pytest.approx([dx.mean(), dx.min(), dx.max()], rel=1e-3)


def test_array_output_gets_the_forward_pass_only() -> None:
    x = Value(np.array([1.0, 2.0]), label="x")
    y = x * 2.0
    y.label = "y"
    text = trace(y)
    assert "y = 2·x = [2, 4]" in squash(text)
    assert "No backward pass: y has shape (2,), not one number." in text


def test_backward_false_prints_the_forward_pass_and_leaves_gradients_alone() -> None:
    a, *_, J = notes_graph()
    text = trace(J, backward=False)
    assert "Backward" not in text and "J = 3·v = 33" in squash(text)
    assert a.grad == 0.0 and J.grad == 0.0


def test_digits_and_limits() -> None:
    x = Value(2.0, label="x")
    y = x / 3.0
    y.label = "y"
    assert "y = x/3 = 0.667" in squash(trace(y, digits=3))
    for bad in [0, 18, 2.5, True]:
        with pytest.raises(ValueError, match="digits"):
            trace(y, digits=bad)  # type: ignore[arg-type]
    z = x
    for _ in range(30):
        z = z + 1.0
    with pytest.raises(GraphTooLargeError, match=r"61 nodes.*max_nodes=10"):
        trace(z, max_nodes=10)
    with pytest.raises(TypeError):
        trace(2.0)  # type: ignore[arg-type]


def test_undefined_local_derivative_is_reported_not_raised() -> None:
    x = Value(0.0, label="x")
    y = x**0.5
    y.label = "y"
    # backward() itself refuses (the slope is infinite); trace reports the engine's error.
    with pytest.raises(ZeroDivisionError, match=r"d/da of a\*\*b needs a ≠ 0 when 0 < b < 1"):
        trace(y)
    assert "y = x**0.5 = 0" in squash(trace(y, backward=False))


def test_labels_are_shown_in_the_trace_not_obeyed() -> None:
    x = Value(2.0, label="x\n\x1b[2Jy")
    text = trace(x * x)
    assert "\x1b" not in text
    assert r"x\n\x1b[2Jy = 2" in text
    # Every line of the table is one of ours: the label's newline did not split one.
    assert all(
        line == "" or line.startswith(("  ", "Forward", "Backward")) for line in text.splitlines()
    )
