"""Random expression programs for property tests, and a reference interpreter.

A program is a list of steps; each applies an op to earlier results (inputs
first), so sub-expressions are shared and an input may feed several paths.
The reference interpreter evaluates it with Python's math module, independently
of graphgrad's op table: its finite differences are the tests' oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

from hypothesis import strategies as st

from graphgrad import Value


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# op -> (what graphgrad computes, the float oracle); binary ops take two results.
UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[float], float]]] = {
    "neg": (lambda v: -v, lambda x: -x),
    "exp": (Value.exp, math.exp),
    "log": (Value.log, math.log),
    "sigmoid": (Value.sigmoid, _sigmoid),
    "tanh": (Value.tanh, math.tanh),
    "relu": (Value.relu, lambda x: max(x, 0.0)),
    "softplus": (Value.softplus, lambda x: math.log1p(math.exp(x))),
    "square": (lambda v: v**2, lambda x: x**2),
    "cube": (lambda v: v**3, lambda x: x**3),
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


Program = tuple[list[float], list[Step]]


@st.composite
def programs(draw: st.DrawFn, unary: Collection[str], max_inputs: int, max_steps: int) -> Program:
    """Programs over ``unary`` ops and every binary op, inputs drawn from [-2, 2]."""
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = draw(st.lists(st.floats(-2, 2), min_size=n_inputs, max_size=n_inputs))
    steps: list[Step] = []
    for k in range(draw(st.integers(1, max_steps))):
        pick = st.integers(0, n_inputs + k - 1)
        if draw(st.booleans()):
            steps.append(Step(draw(st.sampled_from(sorted(unary))), (draw(pick),)))
        else:
            steps.append(Step(draw(st.sampled_from(sorted(BINARY))), (draw(pick), draw(pick))))
    return inputs, steps


class OutOfDomain(Exception):
    """The program leaves the region where its finite differences can be trusted."""


@dataclass(frozen=True)
class Limits:
    """How far from a domain edge, and how large, a program's values may be."""

    log_above: float  # log's argument must exceed this
    divisor_above: float  # |divisor| must exceed this
    exp_below: float  # exp's argument must stay below this
    magnitude: float  # every result must stay below this in absolute value


def reference(inputs: list[float], steps: list[Step], limits: Limits) -> tuple[float, list[float]]:
    """The program's value with floats, and the arguments of its relu steps (kinks)."""
    values = list(inputs)
    kinks: list[float] = []
    for s in steps:
        args = [values[i] for i in s.args]
        if s.op == "log" and args[0] <= limits.log_above:
            raise OutOfDomain
        if s.op == "div" and abs(args[1]) <= limits.divisor_above:
            raise OutOfDomain
        if s.op == "exp" and args[0] > limits.exp_below:
            raise OutOfDomain
        if s.op == "relu":
            kinks.append(args[0])
        fn = UNARY[s.op][1] if s.op in UNARY else BINARY[s.op][1]
        result = fn(*args)
        if not abs(result) < limits.magnitude:
            raise OutOfDomain
        values.append(result)
    return values[-1], kinks


def build(steps: list[Step]) -> Callable[..., Value]:
    """The program as a function of Values, made of graphgrad ops."""

    def f(*xs: Value) -> Value:
        values: list[Value] = list(xs)
        for s in steps:
            fn = UNARY[s.op][0] if s.op in UNARY else BINARY[s.op][0]
            values.append(fn(*(values[i] for i in s.args)))
        return values[-1]

    return f
