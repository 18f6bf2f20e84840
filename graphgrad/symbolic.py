"""One symbolic stand-in: a rule of the op table run on symbols gives its formula.

``Sym`` is an :class:`~graphgrad.ops.Operand`: an op called with a symbol
among its arguments returns a new symbol recording the call, so running a rule
such as ``lambda x, out: out * (1.0 - out)`` on symbols gives the tree of ops
it computes.  That tree is read two ways:

* :func:`to_text` writes it as a short formula for people, simplified
  (``1·x`` → ``x``, numbers folded) and written as the notes write it
  (``b·c``, ``σ(z)``);
* graphgrad.codegen writes it as exact Python source over floats, from which
  the engine compiles each op's backward step (``g * (out * (1.0 - out))``).

A rule that inspects its input's value (compares it, branches on it) cannot be
run on symbols: a symbol refuses ``bool()`` and comparisons with TypeError.

Imports only the op table (and what it is made of).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from graphgrad import ops
from graphgrad.kernels import format_index
from graphgrad.op import Op, Operand

DEFAULT_DIGITS = 4

# Binding strength of written text, to decide where parentheses go.
_ADD, _MUL, _UNARY, _POW, _ATOM = 10, 20, 30, 40, 50

# How infix ops are written for people (the op's symbol is Python's operator).
_INFIX_TEXT = {"+": " + ", "-": " - ", "*": "·", "/": "/", "**": "**", "@": " @ "}


def format_number(x: float, digits: int = DEFAULT_DIGITS) -> str:
    """A number with at most ``digits`` significant digits, no trailing zeros.

    >>> format_number(33.0), format_number(2 / 3), format_number(-0.0), format_number(1e-9)
    ('33', '0.6667', '0', '1e-09')
    """
    x = float(x)
    if x == 0.0:
        return "0"  # also for -0.0, which only confuses a reader
    return f"{x:.{digits}g}"


class Sym(Operand):
    """A symbol: a named variable, a number, or an op applied to symbols.

    ``data`` is the real data of the node a variable stands for (None if
    unknown), so that a rule asking for a shape (``ones_like``, ``size``) gets
    a true answer.
    """

    __slots__ = ("args", "const", "data", "name", "op")
    __array_ufunc__ = None  # numpy hands `array * sym` to Sym.__rmul__

    def __init__(
        self,
        name: str | None = None,
        *,
        const: float | None = None,
        op: Op | None = None,
        args: tuple[Sym, ...] = (),
        data: Any = None,
    ) -> None:
        self.name = name
        self.const = const
        self.op = op
        self.args = args
        self.data = data

    @classmethod
    def number(cls, x: float) -> Sym:
        return cls(const=float(x))

    @classmethod
    def apply_op(cls, op: Op, args: tuple[Any, ...], params: Mapping[str, Any]) -> Sym:
        if len(args) != op.arity:
            raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(args)}")
        return cls(op=op.bind(params), args=tuple(as_symbol(a) for a in args))

    def __repr__(self) -> str:
        return f"Sym({to_text(self)!r})"

    def __str__(self) -> str:
        return to_text(self)

    def _refuse(self, *args: object) -> Any:
        raise TypeError("a rule that inspects its input's value cannot be run on symbols")

    __bool__ = __float__ = __index__ = __int__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = None  # type: ignore[assignment]


def as_symbol(x: object) -> Sym:
    """x as a symbol: itself, or a number (an all-equal array as its one value)."""
    if isinstance(x, Sym):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("a formula takes numbers, not bools")
    if isinstance(x, (int, float, np.integer, np.floating)):
        f = float(x)
        if not math.isfinite(f):
            raise TypeError("a formula takes finite numbers")
        return Sym.number(f)
    if isinstance(x, np.ndarray) and x.size and bool(np.all(x == x.flat[0])):
        # An array a rule built from shapes (ones_like): for people, its one value.
        return Sym.number(float(x.flat[0]))
    raise TypeError(f"cannot use {type(x).__name__} in a formula")


def _operator(op: Op, reflected: bool) -> Callable[..., Sym]:
    if op.arity == 1:
        return lambda self: op(self)
    if reflected:
        return lambda self, other: op(other, self)
    return lambda self, other: op(self, other)


def _method(op: Op) -> Callable[..., Sym]:
    # As on a Value: the other inputs first, then the parameters in order
    # (``z.sum(1)``, ``z[0]``), or the parameters by name.
    others = op.arity - 1

    def method(self: Sym, *args: Any, **params: Any) -> Sym:
        named = dict(zip(op.param_names, args[others:], strict=False))
        return op(self, *args[:others], **named, **params)  # type: ignore[no-any-return]

    return method


def _install_operators() -> None:
    """Give Sym the operators and methods of the table's ops, as Value has them."""
    for op in ops.OPS.values():
        for i, dunder in enumerate(op.operators):
            setattr(Sym, dunder, _operator(op, reflected=i == 1))
        if op.method == "T":
            setattr(Sym, "T", property(_operator(op, reflected=False)))  # noqa: B010
        elif op.method is not None:
            setattr(Sym, op.method, _method(op))


_install_operators()


def _param_text(name: str, value: Any) -> str:
    if name == "index":
        return f"[{format_index(value)}]"
    return repr(value)


# --- Text, for people --------------------------------------------------------------------------


def to_text(sym: Sym, digits: int = DEFAULT_DIGITS) -> str:
    """The formula of ``sym`` as the notes write it, with trivial parts simplified."""
    return _written(simplified(sym), digits)[0]


def _const(sym: Sym) -> float | None:
    return sym.const if sym.op is None and sym.name is None else None


def simplified(sym: Sym) -> Sym:
    """``sym`` with numbers folded and 1·x, x + 0, x**1 (and the like) reduced."""
    if sym.op is None:
        return sym
    op = sym.op
    if op.shown is not None:
        try:
            return simplified(as_symbol(op.shown(*sym.args)))
        except (TypeError, ValueError, ArithmeticError):
            pass
    args = tuple(simplified(a) for a in sym.args)
    consts = [_const(a) for a in args]
    if op.elementwise and not op.params and all(c is not None for c in consts):
        try:
            value = op.evaluate(*consts)
        except (ArithmeticError, ValueError, TypeError):
            value = None
        if isinstance(value, float) and math.isfinite(value):
            return Sym.number(value)
    entry = op.entry
    if entry is ops.add:
        a, b = args
        if consts[0] == 0.0:
            return b
        if consts[1] == 0.0:
            return a
        if consts[1] is not None and consts[1] < 0:
            return Sym(op=ops.sub, args=(a, Sym.number(-consts[1])))
    elif entry is ops.sub:
        a, b = args
        if consts[1] == 0.0:
            return a
        if consts[0] == 0.0:
            return simplified(Sym(op=ops.neg, args=(b,)))
    elif entry is ops.mul:
        a, b = args
        if consts[0] == 0.0 or consts[1] == 0.0:
            return Sym.number(0.0)
        if consts[0] == 1.0:
            return b
        if consts[1] == 1.0:
            return a
        if consts[0] == -1.0:
            return simplified(Sym(op=ops.neg, args=(b,)))
        if consts[1] == -1.0:
            return simplified(Sym(op=ops.neg, args=(a,)))
        if consts[1] is not None and consts[0] is None:
            return Sym(op=op, args=(b, a))  # numbers first: 2·x, not x·2
    elif entry is ops.div:
        if consts[1] == 1.0:
            return args[0]
    elif entry is ops.pow:
        if consts[1] == 1.0:
            return args[0]
        if consts[1] == 0.0:
            return Sym.number(1.0)
    elif entry is ops.neg:
        (a,) = args
        if a.op is not None and a.op.entry is ops.neg:
            return a.args[0]
    return Sym(name=sym.name, const=sym.const, op=op, args=args, data=sym.data)


def _written(sym: Sym, digits: int) -> tuple[str, int]:
    """The text of a simplified symbol and how strongly it binds."""
    if sym.op is None:
        if sym.name is not None:
            return sym.name, _ATOM
        assert sym.const is not None
        return format_number(sym.const, digits), _ATOM if sym.const >= 0 else _UNARY
    op = sym.op
    parts = [_written(a, digits) for a in sym.args]
    if op.notation == "infix":
        (left, lp), (right, rp) = parts
        prec = op.precedence
        # pow groups to the right, the others to the left.
        left_needs, right_needs = (prec + 1, prec) if op.symbol == "**" else (prec, prec + 1)
        if op.symbol in ("+", "*"):
            right_needs = prec  # associative: a + (b + c) needs no parentheses
        left = left if lp >= left_needs else f"({left})"
        right = right if rp >= right_needs else f"({right})"
        text = _INFIX_TEXT.get(op.symbol, f" {op.symbol} ")
        return f"{left}{text}{right}", prec
    if op.notation == "prefix":
        ((inner, ip),) = parts
        return f"{op.symbol}{inner if ip > _UNARY else f'({inner})'}", _UNARY
    if op.notation == "postfix":
        ((inner, ip),) = parts
        return f"{inner if ip >= _ATOM else f'({inner})'}{op.symbol}", _ATOM
    if op.notation == "index":
        ((inner, ip),) = parts
        index = format_index(op.params["index"]) if "index" in op.params else "…"
        return f"{inner if ip >= _ATOM else f'({inner})'}[{index}]", _ATOM
    arguments = [text for text, _ in parts]
    arguments += [f"{key}={_param_text(key, value)}" for key, value in op.params.items()]
    return f"{op.symbol}({', '.join(arguments)})", _ATOM


# --- Traced: a symbol that also carries its value, for staging out whole programs ----------


class DataDependent(TypeError):
    """A derivative rule read the values of its inputs (not only their shapes), so
    what it computes cannot be written down once for every call."""


class Watched(np.ndarray):
    """The data of a traced variable as a derivative rule sees it: its shape, size
    and dtype can be asked (and ``ones_like`` made from them), its values not.

    A rule that computes something from the numbers themselves (the position of a
    max, say) raises DataDependent here; the program then calls the rule at
    every run instead of writing its formula down once.
    """

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise DataDependent(f"a rule computed {ufunc.__name__} of its input's values")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in _SHAPE_ONLY:
            return func(*(plain(a) for a in args), **kwargs)
        raise DataDependent(f"a rule called {func.__name__} on its input's values")

    def _values(self, *args: object) -> Any:
        raise DataDependent("a rule read its input's values")

    __getitem__ = __float__ = __bool__ = __int__ = __index__ = tolist = item = _values


def plain(x: Any) -> Any:
    """x without the Watched wrapper (its shape is all that is asked of it)."""
    return x.view(np.ndarray) if isinstance(x, Watched) else x


# numpy functions that read an array's shape and dtype only.
_SHAPE_ONLY = frozenset({np.ones_like, np.zeros_like, np.empty_like, np.shape, np.ndim, np.size})


class Traced(Sym):
    """A symbol that carries its value (``raw``: a float or an array), so that the
    shapes of everything a rule computes from it are known.

    Ops on Traced symbols record the call (as Sym does) and compute the value;
    rules see ``data`` as :class:`Watched` (shapes, never values).  ``call``
    marks a step that is a function call at run time (``(function, arguments)``),
    for what cannot be written as ops.
    """

    __slots__ = ("call", "raw")

    def __init__(
        self,
        name: str | None = None,
        *,
        raw: Any,
        const: Any = None,
        op: Op | None = None,
        args: tuple[Sym, ...] = (),
        call: tuple[Any, tuple[Any, ...]] | None = None,
    ) -> None:
        # The slots set here rather than through Sym.__init__: a program of a
        # scalar graph makes a few of these per node.
        self.name = name
        self.const = const
        self.op = op
        self.args = args
        self.data = raw.view(Watched) if type(raw) is np.ndarray else raw
        self.raw = raw
        self.call = call

    @classmethod
    def variable(cls, name: str, raw: Any) -> Traced:
        return cls(name, raw=raw)

    @classmethod
    def constant(cls, raw: Any) -> Traced:
        return cls(raw=raw, const=raw)

    @classmethod
    def apply_op(cls, op: Op, args: tuple[Any, ...], params: Mapping[str, Any]) -> Traced:
        if len(args) != op.arity:
            raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(args)}")
        traced = tuple(traced_of(a) for a in args)
        raw = op.evaluate(*(a.raw for a in traced), **params)
        for a in traced:
            if a.op is not None or a.name is not None or a.call is not None:
                break
        else:
            return cls.constant(raw)  # made of constants only: folded
        if op.entry is ops.mul:
            # x·1 is x, exactly, where it keeps x's shape and type: no line for it.
            for mine, other in ((traced[0], traced[1]), (traced[1], traced[0])):
                if (
                    _is_one(other)
                    and type(mine.raw) is type(raw)
                    and np.shape(mine.raw) == np.shape(raw)
                ):
                    return mine
        return cls(raw=raw, op=op.bind(params), args=traced)

    @classmethod
    def sum_to(cls, x: Any, shape: tuple[int, ...]) -> Traced:
        """The un-broadcast of a gradient, as the one call the engine makes for it."""
        from graphgrad.kernels import sum_to

        traced = traced_of(x)
        return cls(raw=sum_to(traced.raw, shape), call=(sum_to, (traced, shape)))


def _is_one(x: Traced) -> bool:
    """A constant that is exactly 1 everywhere."""
    if x.op is not None or x.name is not None or x.call is not None:
        return False
    c = x.raw
    return bool(c == 1.0) if type(c) is float else bool(np.all(c == 1.0))


def instantiate(template: Traced, placeholders: dict[int, Traced]) -> Traced:
    """``template`` with each placeholder (by id) replaced by the symbol it stands
    for; the parts without a placeholder are shared, not copied."""
    found = placeholders.get(id(template))
    if found is not None:
        return found
    call = getattr(template, "call", None)
    if call is not None:
        function, arguments = call
        new = tuple(
            instantiate(a, placeholders) if isinstance(a, Traced) else a for a in arguments
        )
        if all(n is o for n, o in zip(new, arguments, strict=True)):
            return template
        return Traced(raw=template.raw, call=(function, new))
    if template.op is None:
        return template
    args = tuple(instantiate(a, placeholders) for a in template.args)  # type: ignore[arg-type]
    if all(n is o for n, o in zip(args, template.args, strict=True)):
        return template
    return Traced(raw=template.raw, op=template.op, args=args)


def traced_of(x: object) -> Traced:
    """x as a Traced symbol: itself, or a constant (a number or an array)."""
    if isinstance(x, Traced):
        return x
    if isinstance(x, Watched):
        raise DataDependent("a rule used its input's values as a constant")
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("a program takes numbers, not bools")
    if isinstance(x, (int, float, np.integer, np.floating)):
        return Traced.constant(float(x))
    if isinstance(x, np.ndarray):
        return Traced.constant(x)
    raise TypeError(f"cannot use {type(x).__name__} in a program")
