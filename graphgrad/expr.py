"""A small, safe parser for expressions such as ``3*(a+b*c)`` or ``sigmoid(w*x+b)``.

Python's ``ast`` reads the text; only a whitelist of node types is accepted and
turned into a tree of our own, which is then evaluated with Value operators.
Nothing is ever passed to ``eval``/``exec``/``compile``, and anything outside
the grammar is refused with a one-line :class:`ExpressionError`:

    expression := number | name | expression (+ - * / **) expression
                | -expression | +expression | (expression)
                | function(expression)
    function   := a one-input function of the op table: exp | log | sigmoid
                | tanh | relu | softplus | step (``FUNCTIONS``)

Names are ASCII letters, digits and underscores; names starting with ``__``
are refused.  Input is limited in length and nesting depth; a chain such as
``a + b + c + ...`` is not nesting, however long.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphgrad.ops import OPS, Op
from graphgrad.value import Value

MAX_LENGTH = 2000
MAX_DEPTH = 200
#: The functions an expression may call: the op table's built-in functions of
#: one number, by name.
FUNCTIONS: dict[str, Op] = {
    op.name: op
    for op in OPS.values()
    if op.builtin and op.elementwise and op.arity == 1 and op.notation == "function"
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_variable_name(name: str) -> bool:
    """An ASCII identifier not starting with '__': what may name a variable."""
    return bool(_NAME.match(name)) and not name.startswith("__")


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

# How refused syntax is named in messages.
_KINDS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: ":=",
    ast.Starred: "*arguments",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}
_CONSTANT_KINDS: dict[type, str] = {
    str: "strings",
    bytes: "strings",
    bool: "True/False",
    type(None): "None",
    complex: "complex numbers",
    type(...): "...",
}


class ExpressionError(ValueError):
    """The text is not an expression graphgrad accepts; the message is one line."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    symbol: str  # + - * / **
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    argument: Node


Node = Number | Name | Negate | Binary | Call


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its tree and its variables in order of first appearance."""

    text: str
    tree: Node
    variables: tuple[str, ...]


def parse(text: str, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH) -> Expression:
    """Parse ``text`` into an :class:`Expression`, or raise ExpressionError.

    >>> parse("3*(a + b*c)").variables
    ('a', 'b', 'c')
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    graphgrad.expr.ExpressionError: calling '__import__' is not allowed: the functions are ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if len(text) > max_length:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; the limit is {max_length:,}"
        )
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if not text.isascii():
        bad = next(ch for ch in text if not ch.isascii())
        raise ExpressionError(f"only ASCII characters are allowed, found {bad!r}")
    if not text.isprintable() and any(ch not in " \t\n" and not ch.isprintable() for ch in text):
        raise ExpressionError("control characters are not allowed")
    if "#" in text:
        raise ExpressionError("comments (#) are not allowed")
    source = text.strip()
    try:
        module = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        hint = _missing_times(source)
        if hint is not None:
            raise ExpressionError(hint) from None
        where = f" (column {exc.offset})" if exc.offset else ""
        raise ExpressionError(f"syntax error: {exc.msg}{where}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply") from None
    variables: dict[str, None] = {}  # ordered set
    tree = _convert(module.body, 1, max_depth, variables, source)
    return Expression(text, tree, tuple(variables))


# A number written against a name (2a, 1.5x, 1e3a), or a closing bracket against a
# name or a number ((a+b)c, (a)2): Python refuses both as syntax errors.
_NUMBER_THEN_NAME = re.compile(
    r"(?<![\w.])(\d(?:_?\d)*\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*([A-Za-z_]\w*)"
)
_BRACKET_THEN_OPERAND = re.compile(r"\)\s*([A-Za-z_]\w*|\.?\d[\w.]*)")


def _missing_times(source: str) -> str | None:
    """The advice for a product written without ``*`` that Python cannot parse, or None."""
    for match in _NUMBER_THEN_NAME.finditer(source):
        number, name = match.groups()
        if keyword.iskeyword(name) or (number == "0" and name[0] in "xXoObB"):
            continue  # 2 if ..., or a hexadecimal, octal or binary literal
        return _advice(number, "a number", name)
    for match in _BRACKET_THEN_OPERAND.finditer(source):
        operand = match.group(1)
        start = _opening_bracket(source, match.start())
        if keyword.iskeyword(operand) or start is None:
            continue
        return _advice(source[start : match.start() + 1], "a bracket", operand)
    return None


def _advice(left: str, left_kind: str, right: str) -> str:
    """``write left*right: <left_kind> times <right's kind> needs *``, on one line."""
    if right in FUNCTIONS:
        right, right_kind = f"{right}(...)", "a function"
    elif right[0].isalpha() or right[0] == "_":
        right_kind = "a variable"
    elif right.startswith("("):
        right_kind = "a bracket"
    else:
        right_kind = "a number"
    written = " ".join(f"{_clip(left)}*{_clip(right)}".split())  # a bracket may span lines
    return f"write {written}: {left_kind} times {right_kind} needs *"


def _clip(text: str, limit: int = 40) -> str:
    """``text``, its middle left out when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


def _opening_bracket(source: str, closing: int) -> int | None:
    """Where the bracket that closes at ``closing`` opens, or None when it does not."""
    depth = 0
    for i in range(closing, -1, -1):
        if source[i] == ")":
            depth += 1
        elif source[i] == "(":
            depth -= 1
            if depth == 0:
                return i
    return None


def _offset(source: str, line: int, column: int) -> int:
    """The index in ``source`` of ast's (line, column) position; the text is ASCII."""
    lines = source.split("\n")
    return sum(len(text) + 1 for text in lines[: line - 1]) + column


def _times_bracket(node: ast.Call, source: str) -> str | None:
    """``3(a+b)`` and ``(a)(b)`` parse as calls: the advice to write the ``*``, or None
    when the call is a name's (``open(x)``), which is refused as a call."""
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    start = _offset(source, node.lineno, node.col_offset)
    end = _offset(source, node.end_lineno, node.end_col_offset)
    callee_end = _offset(source, node.func.end_lineno or 0, node.func.end_col_offset or 0)
    first = node.args[0] if node.args else node.keywords[0] if node.keywords else None
    stop = _offset(source, first.lineno, first.col_offset) if first else end
    opening = source.rfind("(", callee_end, stop)
    if opening < 0:
        return None
    callee = source[start:opening].rstrip()
    argument = source[opening:end]
    if callee.endswith(")"):
        return _advice(callee, "a bracket", argument)
    if isinstance(node.func, ast.Constant) and isinstance(node.func.value, (int, float)):
        return _advice(callee, "a number", argument)
    return None


def _convert(
    node: ast.AST, depth: int, max_depth: int, variables: dict[str, None], source: str
) -> Node:
    if depth > max_depth:
        raise ExpressionError(f"the expression is nested more than {max_depth} levels deep")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = _CONSTANT_KINDS.get(type(value), repr(value))
            raise ExpressionError(f"{kind} not allowed: only real numbers")
        try:
            number = float(value)
        except OverflowError:
            raise ExpressionError("a number in the expression is too large") from None
        if not math.isfinite(number):
            raise ExpressionError("a number in the expression is too large")
        return Number(number)
    if isinstance(node, ast.Name):
        name = node.id
        if name.startswith("__"):
            raise ExpressionError(f"names starting with '__' are not allowed: {name!r}")
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function: write {name}(...)")
        if not _NAME.match(name):
            raise ExpressionError(f"not a valid variable name: {name!r}")
        variables[name] = None
        return Name(name)
    if isinstance(node, ast.UnaryOp):
        operand = _convert(node.operand, depth + 1, max_depth, variables, source)
        if isinstance(node.op, ast.USub):
            return Negate(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        raise ExpressionError(f"the operator {_op_text(node.op)} is not allowed")
    if isinstance(node, ast.BinOp):
        # a + b + c + ... reaches us as BinOps nested down their left side, one
        # level per term.  That is a sequence, not nesting: the left side is
        # walked in a loop, so a flat sum of any length is one level deep and
        # costs no recursion; only right operands (a**b**c, a-(b-c)) nest.
        chain: list[tuple[str, ast.AST]] = []
        left: ast.AST = node
        while isinstance(left, ast.BinOp):
            symbol = _BINARY.get(type(left.op))
            if symbol is None:
                raise ExpressionError(
                    f"the operator {_op_text(left.op)} is not allowed: use + - * / **"
                )
            chain.append((symbol, left.right))
            left = left.left
        tree = _convert(left, depth + 1, max_depth, variables, source)
        for symbol, right in reversed(chain):  # left to right, as written
            tree = Binary(symbol, tree, _convert(right, depth + 1, max_depth, variables, source))
        return tree
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            raise ExpressionError("attribute access not allowed in an expression")
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            advice = _times_bracket(node, source)
            if advice is not None:
                raise ExpressionError(advice)
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = (
                f"calling {node.func.id!r}" if isinstance(node.func, ast.Name) else "calling this"
            )
            raise ExpressionError(
                f"{what} is not allowed: the functions are {', '.join(FUNCTIONS)}"
            )
        name = node.func.id
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{name} takes exactly one argument, e.g. {name}(x)")
        return Call(name, _convert(node.args[0], depth + 1, max_depth, variables, source))
    kind = _KINDS.get(type(node), type(node).__name__)
    raise ExpressionError(f"{kind} not allowed in an expression")


def _op_text(op: ast.AST) -> str:
    texts = {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitOr: "|",
        ast.BitAnd: "&",
        ast.BitXor: "^",
        ast.Invert: "~",
        ast.Not: "not",
    }
    return texts.get(type(op), type(op).__name__)


#: Names the output takes, the first that no variable has.
OUTPUT_NAMES = ("J", "out", "f", "g", "result")


def output_name(variables: tuple[str, ...] | list[str]) -> str:
    """A name for the output that no variable has: J, else out, f, g, result, out2, ...

    >>> output_name(("a", "b")), output_name(("J", "x"))
    ('J', 'out')
    """
    for name in OUTPUT_NAMES:
        if name not in variables:
            return name
    number = 2
    while f"out{number}" in variables:
        number += 1
    return f"out{number}"


def evaluate(
    expression: Expression, values: Mapping[str, float], output_label: str | None = "J"
) -> Value:
    """Build the graph of ``expression`` with a labelled leaf per variable.

    ``values`` must give every variable and nothing else (ExpressionError
    names the variable otherwise).  Errors of the math itself (log of a
    negative number, division by zero) are the engine's ValueError or
    ArithmeticError, naming the op.
    """
    missing = [name for name in expression.variables if name not in values]
    unused = [name for name in values if name not in expression.variables]
    if missing:
        raise ExpressionError(_no_value(missing, unused, values))
    if unused:
        plural = "s" if len(unused) > 1 else ""
        raise ExpressionError(
            f"variable{plural} {', '.join(unused)} not used in the expression {expression.text!r}"
        )
    leaves = {name: Value(values[name], label=name) for name in expression.variables}
    result = _evaluate(expression.tree, leaves)
    if not isinstance(result, Value):
        result = Value(result)
    if result.label is None and output_label is not None:
        result.label = output_label
    return result


def _no_value(missing: list[str], unused: list[str], values: Mapping[str, float]) -> str:
    """The message for variables without a value, naming any given in their place."""
    plural = "s" if len(missing) > 1 else ""
    meant = _meant(missing, unused)
    parts = []
    others = [name for name in missing if name not in meant]
    if others:
        parts.append(f"give {', '.join(f'{m}=NUMBER' for m in others)}")
    if meant:
        given = _and([f"{u}={_number(values[u])}" for u in meant.values()])
        verb = "is" if len(meant) == 1 else "are"
        wanted = " ".join(f"{m}={_number(values[u])}" for m, u in meant.items())
        if all(m.lower() == u.lower() for m, u in meant.items()):
            parts.append(f"{given} {verb} given, but names are case-sensitive: write {wanted}")
        else:
            parts.append(f"{given} {verb} given but not used: did you mean {wanted}?")
    rest = [u for u in unused if u not in meant.values()]
    if rest:
        verb = "is" if len(rest) == 1 else "are"
        parts.append(f"{_and(rest)} {verb} given but not used")
    return f"no value for variable{plural} {', '.join(missing)} ({'; '.join(parts)})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _meant(missing: list[str], unused: list[str]) -> dict[str, str]:
    """For each missing variable, the unused one given in its place (C for c, or a
    close spelling), if any: {missing: given}."""
    meant: dict[str, str] = {}
    left = list(unused)
    for name in missing:
        same = [u for u in left if u.lower() == name.lower()]
        close = same or difflib.get_close_matches(name, left, n=1, cutoff=0.75)
        if close:
            meant[name] = close[0]
            left.remove(close[0])
    return meant


def _number(x: float) -> str:
    """A value as the command line gives it: 2 rather than 2.0."""
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def _evaluate(node: Node, leaves: Mapping[str, Value]) -> Value | float:
    # Numbers stay floats until an operator meets a Value, so the exponent of
    # x**2 is a constant (op 'pow', no gradient) as when written in Python.
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return leaves[node.name]
    if isinstance(node, Negate):
        operand = _evaluate(node.operand, leaves)
        return -operand
    if isinstance(node, Call):
        argument = _evaluate(node.argument, leaves)
        made: Value = FUNCTIONS[node.function](_as_value(argument))
        return made
    # The left side of a chain (a + b + c + ...) in a loop, as parse built it.
    chain: list[Binary] = []
    left_node: Node = node
    while isinstance(left_node, Binary):
        chain.append(left_node)
        left_node = left_node.left
    result = _evaluate(left_node, leaves)
    for binary in reversed(chain):
        result = _apply(binary.symbol, result, _evaluate(binary.right, leaves))
    return result


def _apply(symbol: str, left: Value | float, right: Value | float) -> Value | float:
    if not isinstance(left, Value) and not isinstance(right, Value):
        # Both numbers: compute through the engine's checks, then keep only the
        # number, so that a constant such as the exponent in x**(1+1) stays a
        # constant (a number exponent, not a Value one that wants d/dexponent).
        folded: float = _combine(symbol, Value(left), right).data  # type: ignore[assignment]
        return folded
    return _combine(symbol, left, right)


def _combine(symbol: str, left: Any, right: Any) -> Value:
    """left (symbol) right, for the symbols of Binary; at least one side is a Value."""
    result: Value
    if symbol == "+":
        result = left + right
    elif symbol == "-":
        result = left - right
    elif symbol == "*":
        result = left * right
    elif symbol == "/":
        result = left / right
    else:
        result = left**right
    return result


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)
