"""Formula text for pictures and traces, read from the op table.

Nothing here knows a derivative.  A formula such as ``∂u/∂b = c`` is obtained
by running the op table's own rule on :class:`Sym`, a stand-in that implements
the operators and methods the rules use and records what was done to it as
text.  The numbers next to a formula come from the same rule run on the
node's data (``Op.local_derivative``), so the text and the number can never
disagree with what ``backward()`` computes.

Also here: compact number formatting and the short summary that stands for an
array-valued node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from graphgrad.value import Value

DEFAULT_DIGITS = 4

# Binding strength of the text a Sym prints, to decide where parentheses go.
_ADD, _MUL, _UNARY, _POW, _ATOM = 10, 20, 30, 40, 50

_FUNCTION_NAMES = {"sigmoid": "σ"}


def check_digits(digits: object) -> int:
    """``digits`` if it is a sensible count of significant digits, else ValueError."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an integer from 1 to 17, got {digits!r}")
    return digits


def format_number(x: float, digits: int = DEFAULT_DIGITS) -> str:
    """A number with at most ``digits`` significant digits, no trailing zeros.

    >>> format_number(33.0), format_number(2 / 3), format_number(-0.0), format_number(1e-9)
    ('33', '0.6667', '0', '1e-09')
    """
    x = float(x)
    if x == 0.0:
        return "0"  # also for -0.0, which only confuses a reader
    return f"{x:.{digits}g}"


def summarize(data: Any, digits: int = DEFAULT_DIGITS) -> str:
    """A number as text; an array as its shape and a few statistics.

    >>> summarize(2.5)
    '2.5'
    >>> summarize(np.array([1.0, 2.0, 3.0]))
    '[1, 2, 3]'
    >>> summarize(np.arange(200.0))
    'shape (200,): mean 99.5, min 0, max 199'
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
    return (
        shape,
        f"mean {format_number(float(np.mean(data)), digits)}, "
        f"min {format_number(low, digits)}, max {format_number(high, digits)}",
    )


def is_constant(node: Value) -> bool:
    """An unlabelled scalar leaf: a number written into an expression, like the 3 in 3*v.

    Pictures and traces show it as its number and give it no gradient line,
    as the notes do.
    """
    return node._op is None and node.label is None and type(node.data) is float


def wants_gradient(node: Value) -> bool:
    """False for a constant leaf made with ``requires_grad=False`` (such as the data X),
    which backward() gives no gradient, so pictures and traces show none."""
    return node.requires_grad


class Sym:
    """A symbolic stand-in for a node: runs the op table's rules and prints them.

    Arithmetic with trivial simplifications (1·x → x, x + 0 → x, x**1 → x and
    arithmetic on plain numbers) keeps the printed formulas short.  ``data``
    is the real data of the node it stands for (None for derived formulas), so
    rules that ask for a shape (``ones_like``, ``size``) get a true answer.
    """

    __slots__ = ("const", "data", "digits", "prec", "text")
    __array_ufunc__ = None  # numpy hands `array * sym` to Sym.__rmul__

    def __init__(
        self,
        text: str,
        prec: int = _ATOM,
        const: float | None = None,
        data: Any = None,
        digits: int = DEFAULT_DIGITS,
    ) -> None:
        self.text = text
        self.prec = prec
        self.const = const
        self.data = data
        self.digits = digits

    @classmethod
    def number(cls, x: float, digits: int = DEFAULT_DIGITS) -> Sym:
        x = float(x)
        return cls(format_number(x, digits), _ATOM if x >= 0 else _UNARY, const=x, digits=digits)

    def __repr__(self) -> str:
        return f"Sym({self.text!r})"

    def __str__(self) -> str:
        return self.text

    # --- helpers -------------------------------------------------------------------

    def _lift(self, other: object) -> Sym:
        if isinstance(other, Sym):
            return other
        if isinstance(other, np.ndarray):
            # An array a rule built from shapes (ones_like): print it as its value
            # when all elements agree, which is the case for every rule in the table.
            if other.size and bool(np.all(other == other.flat[0])):
                return Sym.number(float(other.flat[0]), self.digits)
            return Sym("array", digits=self.digits)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Sym.number(float(other), self.digits)
        raise TypeError(f"cannot use {type(other).__name__} in a formula")

    def _wrap(self, operand: Sym, below: int) -> str:
        return f"({operand.text})" if operand.prec < below else operand.text

    def _binary(self, other: Sym, symbol: str, prec: int, strict_right: bool) -> Sym:
        left = self._wrap(self, prec)
        right = self._wrap(other, prec + 1 if strict_right else prec)
        return Sym(f"{left}{symbol}{right}", prec, digits=self.digits)

    def _folded(self, other: Sym, fn: Callable[[float, float], float]) -> Sym | None:
        if self.const is None or other.const is None:
            return None
        try:
            value = fn(self.const, other.const)
        except (ArithmeticError, ValueError):
            return None
        if isinstance(value, complex) or not math.isfinite(value):
            return None
        return Sym.number(value, self.digits)

    # --- arithmetic -------------------------------------------------------------------

    def _add(self, a: Sym, b: Sym) -> Sym:
        folded = a._folded(b, lambda x, y: x + y)
        if folded is not None:
            return folded
        if a.const == 0.0:
            return b
        if b.const == 0.0:
            return a
        if b.const is not None and b.const < 0:
            return a._binary(Sym.number(-b.const, self.digits), " - ", _ADD, True)
        return a._binary(b, " + ", _ADD, False)

    def _sub(self, a: Sym, b: Sym) -> Sym:
        folded = a._folded(b, lambda x, y: x - y)
        if folded is not None:
            return folded
        if b.const == 0.0:
            return a
        if a.const == 0.0:
            return -b
        return a._binary(b, " - ", _ADD, True)

    def _mul(self, a: Sym, b: Sym) -> Sym:
        folded = a._folded(b, lambda x, y: x * y)
        if folded is not None:
            return folded
        if a.const == 0.0 or b.const == 0.0:
            return Sym.number(0.0, self.digits)
        if a.const == 1.0:
            return b
        if b.const == 1.0:
            return a
        if a.const == -1.0:
            return -b
        if b.const == -1.0:
            return -a
        if b.const is not None and a.const is None:
            a, b = b, a  # numbers first: 2·x, not x·2
        return a._binary(b, "·", _MUL, False)

    def _div(self, a: Sym, b: Sym) -> Sym:
        folded = a._folded(b, lambda x, y: x / y)
        if folded is not None:
            return folded
        if b.const == 1.0:
            return a
        return a._binary(b, "/", _MUL, True)

    def _pow(self, a: Sym, b: Sym) -> Sym:
        folded = a._folded(b, lambda x, y: x**y)
        if folded is not None:
            return folded
        if b.const == 1.0:
            return a
        if b.const == 0.0:
            return Sym.number(1.0, self.digits)
        left = a.text if a.prec > _POW else f"({a.text})"
        right = b.text if b.prec >= _POW else f"({b.text})"
        return Sym(f"{left}**{right}", _POW, digits=self.digits)

    def __add__(self, other: object) -> Sym:
        return self._add(self, self._lift(other))

    def __radd__(self, other: object) -> Sym:
        return self._add(self._lift(other), self)

    def __sub__(self, other: object) -> Sym:
        return self._sub(self, self._lift(other))

    def __rsub__(self, other: object) -> Sym:
        return self._sub(self._lift(other), self)

    def __mul__(self, other: object) -> Sym:
        return self._mul(self, self._lift(other))

    def __rmul__(self, other: object) -> Sym:
        return self._mul(self._lift(other), self)

    def __truediv__(self, other: object) -> Sym:
        return self._div(self, self._lift(other))

    def __rtruediv__(self, other: object) -> Sym:
        return self._div(self._lift(other), self)

    def __pow__(self, other: object) -> Sym:
        return self._pow(self, self._lift(other))

    def __rpow__(self, other: object) -> Sym:
        return self._pow(self._lift(other), self)

    def __neg__(self) -> Sym:
        if self.const is not None:
            return Sym.number(-self.const, self.digits)
        return Sym(f"-{self._wrap(self, _UNARY)}", _UNARY, digits=self.digits)

    def __matmul__(self, other: object) -> Sym:
        return self._binary(self._lift(other), " @ ", _MUL, True)

    def __rmatmul__(self, other: object) -> Sym:
        return self._lift(other)._binary(self, " @ ", _MUL, True)

    # --- the methods the rules call ------------------------------------------------------

    def _call(self, name: str, *args: Sym) -> Sym:
        shown = _FUNCTION_NAMES.get(name, name)
        inner = ", ".join(a.text for a in (self, *args))
        return Sym(f"{shown}({inner})", digits=self.digits)

    def exp(self) -> Sym:
        return self._call("exp")

    def log(self) -> Sym:
        return self._call("log")

    def sigmoid(self) -> Sym:
        return self._call("sigmoid")

    def tanh(self) -> Sym:
        return self._call("tanh")

    def relu(self) -> Sym:
        return self._call("relu")

    def softplus(self) -> Sym:
        return self._call("softplus")

    def step(self) -> Sym:
        return self._call("step")

    def sum(self) -> Sym:
        return self._call("sum")

    def mean(self) -> Sym:
        return self._call("mean")

    def outer(self, other: object) -> Sym:
        return self._call("outer", self._lift(other))

    @property
    def T(self) -> Sym:
        return Sym(f"{self._wrap(self, _ATOM)}ᵀ", _ATOM, digits=self.digits)


# Rules that meet something a Sym cannot stand for raise one of these; the
# picture then shows the number without a formula rather than failing.
_FORMULA_ERRORS = (TypeError, AttributeError, ValueError, ArithmeticError)


class Formulas:
    """Formula text and numbers for the nodes of one graph.

    ``names`` maps each node to its display name (from ``graph.display_names``).
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
            return Sym.number(node.data, self.digits)  # type: ignore[arg-type]
        return Sym(self.names[node], data=node.data, digits=self.digits)

    def _rule_args(self, node: Value) -> list[Any]:
        # As in backward(create_graph=True): an input that gets no gradient (the
        # constant exponent of pow) enters as plain data, so 2·x**1 folds to 2·x.
        assert node._op is not None
        return [
            x.data if partial is None else self._sym(x)
            for x, partial in zip(node.inputs, node._op.partials, strict=True)
        ]

    def forward(self, node: Value) -> str | None:
        """The formula that made ``node`` from its inputs, e.g. ``b·c``; None for a leaf."""
        op = node._op
        if op is None:
            return None
        try:
            return str(op.forward(*(self._sym(x) for x in node.inputs)))
        except _FORMULA_ERRORS:
            return op.symbol

    def local(self, node: Value, index: int) -> str | None:
        """d(node)/d(input index) as a formula, e.g. ``c``; None where there is none.

        For an op that is not elementwise, the formula of the gradient it hands
        to that input, in terms of ``d<node>``: e.g. ``dJ/200`` for a mean of
        200 numbers.
        """
        op = node._op
        if op is None or op.partials[index] is None:
            return None
        try:
            if op.elementwise:
                result = op.local_derivative(index, tuple(self._rule_args(node)), self._sym(node))
            else:
                rule = op.partials[index]
                assert callable(rule)
                g = Sym(self.grad_name(node), data=node.grad, digits=self.digits)
                result = rule(g, *self._rule_args(node), self._sym(node))
        except _FORMULA_ERRORS:
            return None
        if isinstance(result, Sym):
            return result.text
        if isinstance(result, (int, float)):
            return format_number(result, self.digits)
        return None

    def local_value(self, node: Value, index: int) -> Any:
        """d(node)/d(input index) as a number (or array), evaluated by the op table.

        None if the op is not elementwise, the input gets no gradient, or the
        derivative is undefined at this point (0 ** -0.5, say).
        """
        op = node._op
        if op is None or not op.elementwise or op.partials[index] is None:
            return None
        datas = tuple(x.data for x in node.inputs)
        try:
            with np.errstate(all="raise"):
                result = op.local_derivative(index, datas, node.data)
        except (ArithmeticError, ValueError, FloatingPointError):
            return None
        if isinstance(result, complex):  # a negative number to a fractional power
            return None
        return result

    def contribution(self, node: Value, index: int) -> Any:
        """The gradient that ``node`` hands to input ``index`` in backward(), or None."""
        op = node._op
        if op is None or op.partials[index] is None:
            return None
        g = node.grad.data if isinstance(node.grad, Value) else node.grad
        try:
            with np.errstate(all="raise"):
                if op.elementwise:
                    local = self.local_value(node, index)
                    return None if local is None else g * local
                rule = op.partials[index]
                assert callable(rule)
                return rule(g, *(x.data for x in node.inputs), node.data)
        except (ArithmeticError, ValueError, FloatingPointError):
            return None
