"""Formula text for pictures and traces, read from the op table.

Nothing here knows a derivative.  A formula such as ``∂u/∂b = c`` is obtained
by running the op table's own rule on symbols (``graphgrad.symbolic``, the
same stand-in the engine compiles its steps from).  The numbers next to a
formula come from the same rule run on the node's data
(``Op.local_derivative``), so the text and the number can never disagree with
what ``backward()`` computes.

Also here: the short summary that stands for an array-valued node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphgrad.graph import is_constant
from graphgrad.op import OPS
from graphgrad.symbolic import DEFAULT_DIGITS, Sym, format_number, to_text
from graphgrad.value import Value

__all__ = [
    "DEFAULT_DIGITS",
    "Formulas",
    "check_digits",
    "format_number",
    "is_constant",
    "summarize",
    "summary_lines",
    "wants_gradient",
]


def check_digits(digits: object) -> int:
    """``digits`` if it is a sensible count of significant digits, else ValueError."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an integer from 1 to 17, got {digits!r}")
    return digits


def summarize(data: Any, digits: int = DEFAULT_DIGITS) -> str:
    """A number as text; an array as its shape and a few statistics.

    >>> summarize(2.5)
    '2.5'
    >>> summarize(np.array([1.0, 2.0, 3.0]))
    '[1, 2, 3]'
    >>> summarize(np.arange(200.0))
    'shape (200,): mean 99.5, min 0, max 199'
    >>> summarize(np.array([0.1, 0.2, -0.3, 0.3, -0.2, -0.1]))  # the mean is 1e-17 in floats
    'shape (6,): mean 0, min -0.3, max 0.3'
    """
    return ": ".join(summary_lines(data, digits))


def summary_lines(data: Any, digits: int = DEFAULT_DIGITS) -> tuple[str, ...]:
    """:func:`summarize` in parts: one for a number or a short vector, else the
    shape and the statistics (pictures put them on separate lines)."""
    if isinstance(data, Value):  # a gradient from backward(create_graph=True)
        data = data.data
    if not isinstance(data, np.ndarray):
        return (format_number(data, digits),)
    if data.size <= 4 and data.ndim == 1:
        return ("[" + ", ".join(format_number(x, digits) for x in data) + "]",)
    shape = f"shape {data.shape}"
    if data.size == 0:
        return (shape, "empty")
    low, high = float(np.min(data)), float(np.max(data))
    if low == high:
        return (shape, f"all {format_number(low, digits)}")
    mean = float(np.mean(data))
    # A mean that is zero at the digits shown for the array's largest element is
    # printed as 0: 8.4e-15 beside elements of about 1 is rounding noise, not data.
    if abs(mean) < _shown_unit(max(abs(low), abs(high)), digits) / 2:
        mean = 0.0
    return (
        shape,
        f"mean {format_number(mean, digits)}, "
        f"min {format_number(low, digits)}, max {format_number(high, digits)}",
    )


def _shown_unit(scale: float, digits: int) -> float:
    """The value of the last digit shown when ``scale`` is written with ``digits`` digits."""
    if not math.isfinite(scale) or scale == 0.0:
        return 0.0
    return 10.0 ** (math.floor(math.log10(scale)) - digits + 1)


def wants_gradient(node: Value) -> bool:
    """False for a constant (``requires_grad=False``, such as the data X), which
    backward() gives no gradient, so pictures and traces show none."""
    return node.requires_grad


# Rules that meet something a symbol cannot stand for raise one of these; the
# picture then shows the number without a formula rather than failing.
_FORMULA_ERRORS = (TypeError, AttributeError, ValueError, ArithmeticError)


class Formulas:
    """Formula text and numbers for the nodes of one graph.

    ``names`` maps each node to its display name (from ``graph.display_names``).
    Every formula is the op table's own rule run on symbols; every number is the
    same rule run on the data.
    """

    def __init__(self, names: Mapping[Value, str], digits: int = DEFAULT_DIGITS) -> None:
        self.names = names
        self.digits = check_digits(digits)

    def name(self, node: Value) -> str:
        """How a node appears inside formulas: its name, or its number for a constant."""
        if is_constant(node):
            return format_number(node.data, self.digits)  # type: ignore[arg-type]
        return self.names[node]

    def grad_name(self, node: Value) -> str:
        """The notes' name for dJ/d(node): ``da`` for a node named ``a``."""
        return "d" + self.names[node]

    def _sym(self, node: Value) -> Sym:
        if is_constant(node):
            return Sym.number(node.data)  # type: ignore[arg-type]
        return Sym(self.names[node], data=node.data)

    def _text(self, result: object) -> str | None:
        if isinstance(result, Sym):
            return to_text(result, self.digits)
        if isinstance(result, (int, float)) and not isinstance(result, bool):
            return format_number(result, self.digits)
        return None

    def forward(self, node: Value) -> str | None:
        """The formula that made ``node`` from its inputs, e.g. ``b·c``; None for a leaf."""
        op = node.operation
        if op is None:
            return None
        try:
            return self._text(op(*(self._sym(x) for x in node.inputs)))
        except _FORMULA_ERRORS:
            return op.symbol

    def local(self, node: Value, index: int) -> str | None:
        """d(node)/d(input index) as a formula, e.g. ``c``; None where there is none.

        For an op that is not elementwise, the formula of the gradient it hands
        to that input, in terms of ``d<node>``: e.g. ``dJ/200`` for a mean of
        200 numbers.
        """
        op = node.operation
        if op is None or not op.takes_gradient(index):
            return None
        args = tuple(self._sym(x) for x in node.inputs)
        try:
            if op.elementwise:
                result = op.local_derivative(index, args, self._sym(node))
            else:
                g = Sym(self.grad_name(node), data=_data(node.grad))
                result = op.vjp(index, g, args, self._sym(node))
        except _FORMULA_ERRORS:
            return None
        return self._text(result)

    def local_value(self, node: Value, index: int) -> Any:
        """d(node)/d(input index) as a number (or array), evaluated by the op table.

        None if the op is not elementwise, the input gets no gradient, or the
        derivative is undefined at this point (0 ** -0.5, say).
        """
        op = node.operation
        if op is None or not op.elementwise or not op.takes_gradient(index):
            return None
        datas = tuple(x.data for x in node.inputs)
        try:
            with np.errstate(all="raise"):
                result = op.local_derivative(index, datas, node.data)
        except (ArithmeticError, ValueError, FloatingPointError):
            return None
        return result

    def contribution(self, node: Value, index: int) -> Any:
        """The gradient that ``node`` hands to input ``index`` in backward(), or None."""
        op = node.operation
        if op is None or not op.takes_gradient(index):
            return None
        try:
            with np.errstate(all="raise"):
                return op.vjp(index, _data(node.grad), [x.data for x in node.inputs], node.data)
        except (ArithmeticError, ValueError, FloatingPointError):
            return None


def _data(grad: Any) -> Any:
    return grad.data if isinstance(grad, Value) else grad


def _rule_text(formula: object) -> str:
    """A rule's result as text: a formula, or a number."""
    if isinstance(formula, Sym):
        return to_text(formula)
    if isinstance(formula, (int, float)):
        return format_number(formula)
    raise TypeError(f"a rule gave {type(formula).__name__}, not a formula or a number")


def op_table() -> list[tuple[str, str, str, str]]:
    """Each op of the table as (name, how it is written, how to call it, its
    local derivatives): the rows of the op table in the docs (docs/ops.md)."""
    rows = []
    for op in OPS.values():
        if not op.builtin:
            continue
        symbols = [Sym(name) for name in op.inputs]
        written = to_text(op(*symbols))
        if op.operators:
            call = written.replace("·", " * ")
        elif op.method == "T":
            call = f"{op.inputs[0]}.T"
        elif op.method == "__getitem__":
            call = f"{op.inputs[0]}[index]"
        elif op.method is not None:
            others = ", ".join(op.inputs[1:] + tuple(f"{p}=..." for p in op.param_names))
            call = f"{op.inputs[0]}.{op.method}({others})"
        else:
            call = f"{op.name}({', '.join(op.inputs)})"
        if op.elementwise:
            out = Sym("out")
            parts = []
            for index, name in enumerate(op.inputs):
                if not op.takes_gradient(index):
                    parts.append(f"none: no gradient passes to {name}")
                    continue
                text = _rule_text(op.local_derivative(index, tuple(symbols), out))
                parts.append(f"∂out/∂{name} = {text}")
            derivatives = "; ".join(parts)
        else:
            derivatives = "a vector-Jacobian rule per input (gradient g in, share out)"
        rows.append((op.name, written, call, derivatives))
    return rows
