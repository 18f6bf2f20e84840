"""Random expression DAGs: backward() against central finite differences.

Hypothesis writes small programs: each step applies an op to earlier results,
so sub-expressions are shared and some inputs feed several paths.  A reference
interpreter written with Python's math module (not the op table) evaluates the
same program on floats; its finite differences are the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphgrad import Value


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# op -> (Value method, float oracle); binary ops take two earlier results.
UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[float], float]]] = {
    "neg": (lambda v: -v, lambda x: -x),
    "exp": (Value.exp, math.exp),
    "log": (Value.log, math.log),
    "sigmoid": (Value.sigmoid, _sigmoid),
    "tanh": (Value.tanh, math.tanh),
    "relu": (Value.relu, lambda x: max(x, 0.0)),
    "softplus": (Value.softplus, lambda x: math.log1p(math.exp(x))),
    "square": (lambda v: v**2, lambda x: x**2),
    "scale": (lambda v: 0.5 * v, lambda x: 0.5 * x),
}
BINARY: dict[str, tuple[Callable[[Value, Value], Value], Callable[[float, float], float]]] = {
    "add": (lambda a, b: a + b, lambda x, y: x + y),
    "sub": (lambda a, b: a - b, lambda x, y: x - y),
    "mul": (lambda a, b: a * b, lambda x, y: x * y),
    "div": (lambda a, b: a / b, lambda x, y: x / y),
}


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[int, ...]  # indices of earlier results (inputs come first)


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[float], list[Step]]:
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2), min_size=n_inputs, max_size=n_inputs))
    steps: list[Step] = []
    for k in range(draw(st.integers(1, 12))):
        available = n_inputs + k
        pick = st.integers(0, available - 1)
        if draw(st.booleans()):
            steps.append(Step(draw(st.sampled_from(sorted(UNARY))), (draw(pick),)))
        else:
            steps.append(Step(draw(st.sampled_from(sorted(BINARY))), (draw(pick), draw(pick))))
    return inputs, steps


class OutOfDomain(Exception):
    pass


def reference(inputs: list[float], steps: list[Step]) -> tuple[float, list[float]]:
    """Evaluate with floats; also return each step's arguments for domain checks."""
    values = list(inputs)
    kinks: list[float] = []
    for s in steps:
        args = [values[i] for i in s.args]
        if s.op == "log" and args[0] <= 1e-3:
            raise OutOfDomain
        if s.op == "div" and abs(args[1]) <= 1e-2:
            raise OutOfDomain
        if s.op == "exp" and args[0] > 20:
            raise OutOfDomain
        if s.op == "relu":
            kinks.append(args[0])
        fn = UNARY[s.op][1] if s.op in UNARY else BINARY[s.op][1]
        result = fn(*args)
        if not abs(result) < 1e6:
            raise OutOfDomain
        values.append(result)
    return values[-1], kinks


def build(inputs: list[Value], steps: list[Step]) -> Value:
    values = list(inputs)
    for s in steps:
        fn = UNARY[s.op][0] if s.op in UNARY else BINARY[s.op][0]
        values.append(fn(*(values[i] for i in s.args)))
    return values[-1]


@settings(max_examples=300)
@given(programs())
def test_random_dag_gradients_match_finite_differences(
    program: tuple[list[float], list[Step]],
) -> None:
    inputs, steps = program
    try:
        expected, kinks = reference(inputs, steps)
    except OutOfDomain:
        assume(False)
        return
    assume(all(abs(k) > 1e-3 for k in kinks))  # finite differences are wrong at a kink

    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    out = build(leaves, steps)
    assert abs(out.data - expected) <= 1e-9 * max(1.0, abs(expected))
    out.backward()

    h = 1e-6
    for i, leaf in enumerate(leaves):
        try:
            plus = reference([x + h * (j == i) for j, x in enumerate(inputs)], steps)[0]
            minus = reference([x - h * (j == i) for j, x in enumerate(inputs)], steps)[0]
        except OutOfDomain:
            assume(False)
            return
        numeric = (plus - minus) / (2 * h)
        tolerance = 1e-4 * max(1.0, abs(numeric))
        assert abs(leaf.grad - numeric) <= tolerance, (i, leaf.grad, numeric, steps)
