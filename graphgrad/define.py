"""``define_op``: a user's op, as a table entry of their own.

An op defined here is an :class:`~graphgrad.ops.Op` like the table's: it gets
the compiled forward and backward steps, arrays and broadcasting,
``backward(create_graph=True)`` (its rules may call any op, built in or
defined), gradient checks, and its formula on pictures and in traces.
"""

from __future__ import annotations

import inspect
import keyword
import math
import numbers
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from graphgrad.codegen import compile_function, install
from graphgrad.graph import printable
from graphgrad.op import Op, Partial, input_names

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def define_op(
    name: str,
    forward: Callable[..., Any],
    *partials: Callable[..., Any] | float,
    symbol: str | None = None,
    replace: bool = False,
) -> Callable[..., Any]:
    """Define an op: its forward rule and one local derivative per input.

    - ``forward(*inputs)`` computes the op on floats and on numpy arrays
      (numpy's functions do both: ``np.sin``).
    - ``partials[i]`` is d(out)/d(input i), called as ``rule(*inputs, out)``,
      or a constant number.  Write rules with graphgrad's ops and operators
      (and ops you define), so that they run on floats, arrays and Values: then
      second derivatives come free, and the rule is compiled into the backward
      step instead of being called for every node.
    - ``symbol``: the name pictures and formulas show (default: ``name``).
    - ``replace``: redefine an op of yours that has this name, as when a
      notebook cell runs again (a built-in op is never replaced).

    Returns the op's function: a float in gives a float, an array gives an
    array, a Value gives a node of the graph.  Its table entry is its ``op``
    attribute (also ``graphgrad.ops.OPS[name]``).

    >>> import numpy as np
    >>> import graphgrad
    >>> cube = graphgrad.define_op("cube", lambda x: x**3, lambda x, out: 3 * x**2)
    >>> cube(2.0)
    8.0
    >>> x = graphgrad.Value(2.0, label="x")
    >>> y = cube(x)
    >>> y.backward()
    >>> x.grad
    12.0
    """
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        raise ValueError(f"define_op: name must be a Python identifier such as 'sin', got {name!r}")
    if not callable(forward):
        raise TypeError(
            f"define_op({name!r}): forward must be a function, got {type(forward).__name__}"
        )
    if not partials:
        raise ValueError(
            f"define_op({name!r}): give one local derivative per input, "
            "e.g. define_op('sin', np.sin, lambda x, out: cos(x))"
        )
    if symbol is not None and (not isinstance(symbol, str) or not symbol.strip()):
        raise ValueError(f"define_op({name!r}): symbol must be a non-empty str, got {symbol!r}")
    if symbol is not None and printable(symbol) != symbol:
        # Shown in traces, pictures and pages: a control character would act on
        # the terminal or break the layout instead of being shown.
        raise ValueError(
            f"define_op({name!r}): symbol must be printable text, got {printable(symbol)!r:.60} "
            "(it holds control or line-break characters)"
        )
    if not isinstance(replace, bool):
        raise TypeError(f"define_op({name!r}): replace must be True or False, got {replace!r}")
    arity = _arity(forward)
    if arity is not None and arity != len(partials):
        raise ValueError(
            f"define_op({name!r}): forward takes {arity} input(s) but {len(partials)} "
            f"local derivative(s) were given: give one per input"
        )
    checked = tuple(_check_partial(name, i, p, len(partials)) for i, p in enumerate(partials))
    op = Op(name, forward, checked, symbol=symbol, builtin=False, replace=replace)
    install(op)
    return compile_function(op)


def _arity(forward: Callable[..., Any]) -> int | None:
    """How many inputs ``forward`` takes, or None if its signature does not say."""
    if isinstance(forward, np.ufunc):
        return int(forward.nin)
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # a builtin without a signature
        return None
    kinds = [p.kind for p in signature.parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(
        1
        for p in signature.parameters.values()
        if p.kind in positional and p.default is inspect.Parameter.empty
    )


def _check_partial(name: str, index: int, partial: object, arity: int) -> Partial:
    if isinstance(partial, numbers.Real) and not isinstance(partial, (bool, np.bool_)):
        value = float(partial)
        if not math.isfinite(value):
            raise ValueError(
                f"define_op({name!r}): the local derivative for input {index} must be finite, "
                f"got {partial!r}"
            )
        return value
    if not callable(partial):
        raise TypeError(
            f"define_op({name!r}): the local derivative for input {index} must be a rule "
            f"(a function of the inputs and out) or a number, got {type(partial).__name__} "
            f"{partial!r}"[:300]
        )
    try:
        inspect.signature(partial).bind(*range(arity + 1))
    except TypeError:
        wanted = ", ".join([*input_names(arity), "out"])
        raise TypeError(
            f"define_op({name!r}): the local derivative for input {index} must take "
            f"({wanted}): the inputs, then the op's output"
        ) from None
    except ValueError:  # no signature to check (a builtin): it will be called as documented
        pass
    return partial
