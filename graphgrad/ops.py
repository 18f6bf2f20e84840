"""The op table: the one place where graphgrad's math is written down.

Each entry holds an op's name, its display symbol, its forward rule and, for
every input, its local derivative.  Backward passes, pictures, traces and
gradient checks all read these entries; none of them restates a derivative.

The rules are duck-typed on purpose.  The same rule runs on a Python float
(the scalar path), on a numpy array (values vectorized over m examples), on a
``Value`` (gradients that can be differentiated again) and on any object that
implements the same operators and methods (for instance a symbolic stand-in
that prints the formula).  That is why the functions below dispatch on the type
of their argument instead of calling ``math`` or ``numpy`` directly.

This module imports nothing from the rest of graphgrad.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Data of a node: a Python float or a float64 numpy array.  Rules also receive
# Values or symbolic stand-ins, so they are typed loosely.
Data = Any

# A local derivative: a constant, None (this input is a constant and receives
# no gradient), or a rule called with the input data and the output data.
Partial = float | Callable[..., Any] | None


# --- Elementwise functions shared by forward rules and derivative rules ---------
# Float first (the hot path), then numpy arrays, then anything with the method of
# the same name (Values, symbolic stand-ins).


def exp(x: Data) -> Data:
    if type(x) is float:
        return math.exp(x)
    if isinstance(x, np.ndarray):
        return np.exp(x)
    return x.exp()


def log(x: Data) -> Data:
    if type(x) is float:
        return math.log(x)  # raises ValueError for x <= 0
    if isinstance(x, np.ndarray):
        if not (x > 0.0).all():
            raise ValueError("math domain error")
        return np.log(x)
    return x.log()


def sigmoid(x: Data) -> Data:
    # Two algebraically equal forms, each used where exp() cannot overflow.
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    if isinstance(x, np.ndarray):
        # The same two forms, element by element, in fewer passes: e^-|x| is
        # computed in place, and one division serves both numerators (1 or e^-|x|).
        en = np.abs(x)
        np.negative(en, out=en)
        np.exp(en, out=en)
        result = np.where(x >= 0.0, 1.0, en)
        np.divide(result, en + 1.0, out=result)
        return result
    return x.sigmoid()


def tanh(x: Data) -> Data:
    if type(x) is float:
        return math.tanh(x)
    if isinstance(x, np.ndarray):
        return np.tanh(x)
    return x.tanh()


def relu(x: Data) -> Data:
    if type(x) is float:
        return x if x > 0.0 else 0.0
    if isinstance(x, np.ndarray):
        return np.maximum(x, 0.0)
    return x.relu()


def softplus(x: Data) -> Data:
    # log(1 + e^x) without overflow: max(x, 0) + log(1 + e^-|x|).
    if type(x) is float:
        return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))
    if isinstance(x, np.ndarray):
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return x.softplus()


def step(x: Data) -> Data:
    """Heaviside step (1 where x > 0, else 0): the derivative of relu."""
    if type(x) is float:
        return 1.0 if x > 0.0 else 0.0
    if isinstance(x, np.ndarray):
        return (x > 0.0).astype(np.float64)
    return x.step()


def power(x: Data, y: Data) -> Data:
    result = x**y
    if type(result) is complex:  # a negative float to a fractional power
        raise ValueError("a negative number cannot be raised to a fractional power")
    return result


def total(x: Data) -> Data:
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray):
        return float(np.sum(x))
    return x.sum()


def mean(x: Data) -> Data:
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray):
        if x.size == 0:
            raise ValueError("mean of an empty array")
        return float(np.mean(x))
    return x.mean()


def matmul(x: Data, y: Data) -> Data:
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
        if x.ndim == 0 or y.ndim == 0 or x.ndim > 2 or y.ndim > 2:
            raise ValueError(f"matmul needs 1-D or 2-D arrays, got shapes {x.shape} and {y.shape}")
        result = np.matmul(x, y)
        return float(result) if result.ndim == 0 else result
    if type(x) is float or type(y) is float:
        raise ValueError("matmul needs arrays; use * to multiply by a number")
    return x @ y


def outer(x: Data, y: Data) -> Data:
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
        # np.outer would flatten a 2-D input, and its gradient would lose the shape.
        if x.ndim != 1 or y.ndim != 1:
            raise ValueError(f"outer needs 1-D arrays, got shapes {x.shape} and {y.shape}")
        return np.outer(x, y)
    if type(x) is float or type(y) is float:
        raise ValueError("outer needs 1-D arrays; use * to multiply by a number")
    return x.outer(y)


def transpose(x: Data) -> Data:
    return x if type(x) is float else x.T  # a number is its own transpose


def payload(x: Data) -> Data:
    """The number or array a rule's argument holds (a Value's data, else itself)."""
    # Not getattr(x, "data", x): numpy arrays have a .data attribute of their own.
    return x if isinstance(x, (float, np.ndarray)) else getattr(x, "data", x)


def ones_like(x: Data) -> Data:
    """1 in the shape of x's data: a float for a scalar, an array otherwise."""
    d = payload(x)
    return np.ones_like(d) if isinstance(d, np.ndarray) else 1.0


def size(x: Data) -> int:
    d = payload(x)
    return int(d.size) if isinstance(d, np.ndarray) else 1


# --- Derivative rules of the linear-algebra ops ----------------------------------
# matmul is not elementwise, so its table entry gives each input's gradient
# contribution (g times the local Jacobian) instead of a local derivative.


def _ndims(x: Data, y: Data) -> tuple[int, int]:
    return int(np.ndim(payload(x))), int(np.ndim(payload(y)))


def _matmul_vjp_left(g: Data, x: Data, y: Data, out: Data) -> Data:
    xn, yn = _ndims(x, y)
    if xn == 1 and yn == 1:
        return g * y
    if xn == 2 and yn == 1:
        return outer(g, y)
    if xn == 1:
        return y @ g
    return g @ transpose(y)


def _matmul_vjp_right(g: Data, x: Data, y: Data, out: Data) -> Data:
    xn, yn = _ndims(x, y)
    if xn == 1 and yn == 1:
        return g * x
    if xn == 2 and yn == 1:
        return g @ x
    if xn == 1:
        return outer(x, g)
    return transpose(x) @ g


# --- The table -----------------------------------------------------------------------


@dataclass(eq=False)
class Op:
    """One entry of the op table.

    ``partials[i]`` is the local derivative d(out)/d(input i) of an elementwise
    op, called as ``rule(*inputs, out)``; a float is a constant derivative and
    None marks an input that is a constant (it receives no gradient).

    Ops that are not elementwise (reductions, matmul) set ``elementwise=False``;
    their ``partials[i]`` is called as ``rule(g, *inputs, out)`` and returns the
    gradient contribution for input i given the output's gradient g.
    """

    name: str
    symbol: str
    forward: Callable[..., Any]
    partials: tuple[Partial, ...]
    infix: bool = False
    elementwise: bool = True
    # Set once by the engine (value.py): the backward step compiled from partials,
    # so the hot path never interprets the table node by node.
    step: Callable[[Any], None] = field(init=False, repr=False)

    @property
    def arity(self) -> int:
        return len(self.partials)

    def local_derivative(self, index: int, inputs: tuple[Any, ...], out: Any) -> Any:
        """d(out)/d(input index) of an elementwise op, evaluated on ``inputs``."""
        rule = self.partials[index]
        if rule is None or not self.elementwise:
            raise ValueError(f"{self.name} has no elementwise local derivative for input {index}")
        return rule(*inputs, out) if callable(rule) else rule

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.symbol!r})"


def _binary(name: str, symbol: str, forward: Callable[..., Any], *partials: Partial) -> Op:
    return Op(name, symbol, forward, tuple(partials), infix=True)


def _unary(name: str, forward: Callable[..., Any], partial: Partial) -> Op:
    return Op(name, name, forward, (partial,))


ADD = _binary("add", "+", lambda x, y: x + y, 1.0, 1.0)
SUB = _binary("sub", "-", lambda x, y: x - y, 1.0, -1.0)
MUL = _binary("mul", "*", lambda x, y: x * y, lambda x, y, out: y, lambda x, y, out: x)
DIV = _binary("div", "/", lambda x, y: x / y, lambda x, y, out: 1.0 / y, lambda x, y, out: -out / y)
# x ** c with c a plain number: the exponent is a constant and gets no gradient.
POW = _binary("pow", "**", power, lambda x, c, out: c * x ** (c - 1.0), None)
# x ** y with y a Value: differentiable in both, so x must be positive for d/dy.
VPOW = _binary(
    "vpow", "**", power, lambda x, y, out: y * x ** (y - 1.0), lambda x, y, out: out * log(x)
)
NEG = Op("neg", "-", lambda x: -x, (-1.0,))
EXP = _unary("exp", exp, lambda x, out: out)
LOG = _unary("log", log, lambda x, out: 1.0 / x)
SIGMOID = _unary("sigmoid", sigmoid, lambda x, out: out * (1.0 - out))
TANH = _unary("tanh", tanh, lambda x, out: 1.0 - out * out)
RELU = _unary("relu", relu, lambda x, out: step(x))
SOFTPLUS = _unary("softplus", softplus, lambda x, out: sigmoid(x))
STEP = _unary("step", step, 0.0)

SUM = Op("sum", "Σ", total, (lambda g, x, out: g * ones_like(x),), elementwise=False)
# g / size first: one pass over the array instead of two, and the same numbers.
MEAN = Op("mean", "mean", mean, (lambda g, x, out: g / size(x) * ones_like(x),), elementwise=False)
MATMUL = Op(
    "matmul", "@", matmul, (_matmul_vjp_left, _matmul_vjp_right), infix=True, elementwise=False
)
OUTER = Op(
    "outer",
    "outer",
    outer,
    (lambda g, x, y, out: g @ y, lambda g, x, y, out: x @ g),
    elementwise=False,
)
TRANSPOSE = Op("transpose", "ᵀ", transpose, (lambda g, x, out: transpose(g),), elementwise=False)

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        ADD, SUB, MUL, DIV, POW, VPOW, NEG, EXP, LOG, SIGMOID, TANH, RELU, SOFTPLUS, STEP,
        SUM, MEAN, MATMUL, OUTER, TRANSPOSE,
    )
}  # fmt: skip
