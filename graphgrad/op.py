"""What an op is: :class:`Op`, the registry of ops, and the one reader of a derivative rule.

An :class:`Op` is one entry of the op table (``graphgrad.ops``): its name,
how it is written, its forward rule and, for every input, its local
derivative.  Creating an Op registers it under its name (:data:`OPS`), so
an entry that is written is an entry that exists.

A derivative is written in one of two forms, chosen by ``elementwise``:

- an elementwise op (add, exp, sigmoid, a user's ``define_op``) gives, per
  input, a constant or a rule ``rule(*inputs, out)`` for d(out)/d(input);
- any other op (sum, matmul, indexing) gives a vector-Jacobian rule
  ``rule(g, *inputs, out, **params)``: input i's share of the gradient g.

Only this module decodes that convention.  :meth:`Op.vjp` is the gradient
an input receives, in its own shape, for every backward pass, formula and
picture; :meth:`Op.local_derivative` is the elementwise d(out)/d(input) that
pictures and traces show beside an edge.  Both run on numbers, arrays,
Values and symbols alike.

Imports graphgrad.numerics and graphgrad.kernels only.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from graphgrad.kernels import Data, shape_of, sum_to
from graphgrad.numerics import describe_data, error_like, is_raising, not_finite, raising, reason

# A local derivative of an elementwise op: a constant, or a rule called as
# rule(*inputs, out).  For other ops, a vector-Jacobian rule called as
# rule(g, *inputs, out, **params) that returns input i's share of the gradient.
# None marks an input that never takes a gradient.
Partial = float | Callable[..., Any] | None

NOTATIONS = ("infix", "prefix", "function", "postfix", "index")

#: Bound copies of an op (an op with parameters, such as ``sum`` over axis 1)
#: kept per op for reuse, at most this many: beyond it, the oldest are
#: forgotten, so a loop that indexes with ever new indices keeps memory flat.
BOUND_CACHE_SIZE = 256


class Operand:
    """Base of the objects ops build graphs from: ``Value`` and the symbol of
    ``graphgrad.symbolic``.  Calling an op with one of them among its arguments
    hands the call to the op's compiled ``apply`` (for the engine's nodes, which
    set ``is_node``) or to ``type(arg).apply_op``."""

    __slots__ = ()
    is_node = False

    @classmethod
    def apply_op(cls, op: Op, args: tuple[Any, ...], params: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    @classmethod
    def sum_to(cls, x: Any, shape: tuple[int, ...]) -> Any:
        """x summed back over the axes numpy broadcast, to ``shape`` (kernels.sum_to;
        a stand-in that stages programs out records it as one call)."""
        return sum_to(x, shape)


def input_names(arity: int) -> tuple[str, ...]:
    """How an op's inputs are called in its formula, messages and generated code,
    unless its entry says otherwise: x for one input, a and b for two, ..."""
    if arity == 1:
        return ("x",)
    return tuple("abcdef"[:arity]) if arity <= 6 else tuple(f"x{i}" for i in range(arity))


class Op:
    """One entry of the op table.

    - ``name``: how the op is known (``node.op``, the command line, errors).
    - ``symbol`` and ``notation``: how it is written.  ``"infix"`` (``a + b``;
      the symbol is the Python operator), ``"prefix"`` (``-x``), ``"function"``
      (``σ(z)``; the symbol is the name shown), ``"postfix"`` (``xᵀ``) or
      ``"index"`` (``z[:, 0]``, its ``index`` parameter in brackets).
      ``shown`` may replace the notation with a formula over the inputs
      (``k·x**e``), written with ops like a rule.
    - ``forward``: computes the op on floats and float64 arrays.
      ``float_forward``, if given, is a faster version for floats; ops
      without one and with infix or prefix notation are inlined as operators.
    - ``partials``: one local derivative per input (see ``Partial``; read
      them through :meth:`vjp` and :meth:`local_derivative`).
    - ``elementwise``: False for reductions, reshapes and linear algebra, whose
      ``partials`` are vector-Jacobian rules and which may take ``params``
      (static keyword arguments such as ``axis``).
    - ``operators`` and ``method``: the ``Value`` operators and method that
      apply the op; every op is also callable as a function.
    - ``explain`` says in the op's terms why ``forward`` failed on its inputs;
      ``needs[i]`` says what the derivative for input i needs, for errors in
      backward (``"a > 0"``).
    - ``builtin``: an entry of graphgrad's own table (never replaced), or
      False for a user's op from ``graphgrad.define_op``.

    Creating an Op registers it (``replace`` as for :func:`register`).
    ``apply`` (make a node of this op) and ``step`` (a node's backward step on
    numbers) are written by graphgrad.codegen, the one module that writes code.
    """

    __slots__ = (
        "_bound",
        "apply",
        "builtin",
        "elementwise",
        "entry",
        "explain",
        "float_forward",
        "forward",
        "inputs",
        "method",
        "name",
        "needs",
        "notation",
        "operators",
        "param_names",
        "params",
        "partials",
        "precedence",
        "shown",
        "step",
        "superseded",
        "symbol",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        partials: tuple[Partial, ...],
        *,
        symbol: str | None = None,
        notation: str = "function",
        inputs: tuple[str, ...] | None = None,
        float_forward: Callable[..., Any] | None = None,
        elementwise: bool = True,
        precedence: int = 0,
        operators: tuple[str, ...] = (),
        method: str | None = None,
        shown: Callable[..., Any] | None = None,
        explain: Callable[..., str] | None = None,
        needs: tuple[str | None, ...] = (),
        param_names: tuple[str, ...] = (),
        builtin: bool = True,
        replace: bool = False,
    ) -> None:
        if notation not in NOTATIONS:
            raise ValueError(f"notation must be one of {NOTATIONS}, got {notation!r}")
        self.name = name
        self.forward = forward
        self.partials = partials
        self.symbol = name if symbol is None else symbol
        self.notation = notation
        self.inputs = input_names(len(partials)) if inputs is None else inputs
        self.float_forward = float_forward
        self.elementwise = elementwise
        self.precedence = precedence
        self.operators = operators
        self.method = method
        self.shown = shown
        self.explain = explain
        self.needs = needs or (None,) * len(partials)
        self.builtin = builtin
        self.param_names = param_names
        self.params: Mapping[str, Any] = MappingProxyType({})
        self.entry = self  # a bound op (see bind) points at the entry it came from
        self._bound: dict[Any, Op] = {}
        self.apply: Callable[..., Any] = _not_installed
        self.step: Callable[[Any], Any] = _not_installed
        #: True once another op took this one's name (``define_op(..., replace=True)``).
        self.superseded = False
        register(self, replace)

    @property
    def arity(self) -> int:
        return len(self.partials)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Op({self.name!r}{params})"

    # --- the one reader of a derivative rule -------------------------------------------

    def rule(self, index: int) -> Partial:
        """What the entry writes for input ``index``: a constant, a rule, or None.
        Only to inspect it (graphgrad.codegen checks what a rule reads); to use
        it, call :meth:`vjp` or :meth:`local_derivative`."""
        return self.partials[index]

    def takes_gradient(self, index: int) -> bool:
        """False for an input that never receives a gradient from this op."""
        return self.partials[index] is not None

    def local_derivative(self, index: int, inputs: tuple[Any, ...], out: Any) -> Any:
        """d(out)/d(input ``index``) of an elementwise op, evaluated on ``inputs``
        (numbers, arrays, Values or symbols) and the op's output ``out``.

        ValueError for an op that is not elementwise (it has a vector-Jacobian
        rule instead, see :meth:`vjp`) or an input without a derivative.
        """
        partial = self.partials[index]
        if partial is None or not self.elementwise:
            raise ValueError(f"{self.name} has no elementwise local derivative for input {index}")
        return partial(*inputs, out) if callable(partial) else partial

    def vjp(self, index: int, g: Any, inputs: tuple[Any, ...] | list[Any], out: Any) -> Any:
        """The gradient input ``index`` receives from a node of this op whose own
        gradient is ``g``: g times the local derivative (elementwise), or the
        op's vector-Jacobian rule, summed back over the axes numpy broadcast so
        that it has the input's shape.

        ``inputs``, ``out`` and ``g`` are numbers, arrays, Values or symbols;
        every backward pass, formula and picture computes a gradient with this.
        ValueError for an input that takes no gradient.
        """
        partial = self.partials[index]
        if partial is None:
            raise ValueError(f"{self.name} gives no gradient to its input {self.inputs[index]}")
        if not callable(partial):
            # g itself for 1 (g·1 is g, exactly): no array is made for a sum's inputs.
            contribution = g if partial == 1.0 else g * partial
        elif self.elementwise:
            contribution = g * partial(*inputs, out)
        else:
            contribution = partial(g, *inputs, out, **self.params)
        x = inputs[index]
        shape = x.shape if type(x) is np.ndarray else () if type(x) is float else shape_of(x)
        have = (
            contribution.shape
            if type(contribution) is np.ndarray
            else () if type(contribution) is float else shape_of(contribution)
        )
        if have == shape:
            return contribution
        if isinstance(contribution, Operand):
            return type(contribution).sum_to(contribution, shape)
        return sum_to(contribution, shape)

    # --- the forward rule ------------------------------------------------------------------

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Apply the op: to floats and arrays (a float or an array), or to Values
        (a node) or symbols (a formula) if any argument is one."""
        numbers_as_ints = arrays = False
        for arg in args:
            kind = type(arg)
            if kind is np.ndarray:
                arrays = True  # the common case, inside rules: data
                continue
            if kind is float:
                continue
            if kind is int:
                numbers_as_ints = True
                continue
            if isinstance(arg, Operand):
                if not arg.is_node:
                    return type(arg).apply_op(self, args, params)
                if len(args) == len(self.partials):
                    node = self.apply(*args, **params) if params else self.apply(*args)
                    if node is not NotImplemented:
                        return node
                return type(arg).apply_op(self, args, params)  # says what is wrong
        if len(args) != len(self.partials):
            raise TypeError(f"{self.name} takes {self.arity} input(s), got {len(args)}")
        if arrays and not numbers_as_ints and is_raising():
            # Inside the engine (a rule run by a backward pass over arrays): numpy
            # raises already, and the caller says what failed.  The fast path.
            result = self.forward(*args, **params)
            if type(result) is np.ndarray:
                return result if result.ndim else float(result)
            return float(result) if isinstance(result, (float, int, np.floating)) else result
        datas = tuple(float(a) if type(a) is int else a for a in args) if numbers_as_ints else args
        try:
            if is_raising():  # inside a backward pass over arrays: numpy raises already
                result = self.evaluate(*datas, **params)
            else:
                with raising():
                    result = self.evaluate(*datas, **params)
            if type(result) is float and result - result != 0.0:
                raise not_finite(result)
        except (ArithmeticError, ValueError) as exc:
            values = " and ".join(describe_data(d) for d in datas)
            raise error_like(exc, f"{self.name} of {values}: {self.why(exc, datas)}") from None
        return result

    def why(self, exc: BaseException, datas: tuple[Any, ...]) -> str:
        """Why the forward rule failed on ``datas``, in the op's own terms."""
        if isinstance(exc, (ArithmeticError, ValueError)) and self.explain is not None:
            try:
                return self.explain(*datas)
            except Exception:  # an explanation that fails itself: the plain reason below
                pass
        return reason(exc)

    def evaluate(self, *datas: Data, **params: Any) -> Data:
        """The forward rule on floats and arrays; a float wherever the result is one number."""
        if self.float_forward is not None:
            for d in datas:
                if type(d) is not float:
                    break
            else:
                return self.float_forward(*datas)
        result = self.forward(*datas, **params)
        if type(result) is np.ndarray:
            return result if result.ndim else float(result)
        return float(result) if isinstance(result, (float, int, np.floating)) else result

    def bind(self, params: Mapping[str, Any]) -> Op:
        """This op with static parameters fixed (``sum`` with ``axis=1``), for a node to keep.

        Copies are reused for equal hashable parameters, up to
        ``BOUND_CACHE_SIZE`` per op (the oldest forgotten first).
        """
        if not params:
            return self
        unknown = sorted(set(params) - set(self.param_names))
        if unknown:
            raise TypeError(f"{self.name} takes no parameter {', '.join(unknown)}")
        try:
            key = tuple(sorted(params.items()))
            hash(key)
        except TypeError:
            key = None  # unhashable parameters (an index array): one op per node
        cache = self._bound
        if key is not None:
            found = cache.get(key)
            if found is not None:
                return found
        bound = Op.__new__(Op)
        for slot in Op.__slots__:
            setattr(bound, slot, getattr(self, slot))
        bound.params = MappingProxyType(dict(params))
        bound.entry = self
        bound._bound = {}
        if key is not None:
            if len(cache) >= BOUND_CACHE_SIZE:
                # Dicts keep insertion order: the first key is the oldest.  Another
                # thread may have emptied or changed it first: nothing to forget then.
                with contextlib.suppress(StopIteration, KeyError, RuntimeError):
                    del cache[next(iter(cache))]
            cache[key] = bound
        return bound

    def bound_copies(self) -> int:
        """How many bound copies of this op are kept for reuse (see :meth:`bind`)."""
        return len(self._bound)


def _not_installed(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the engine has not installed this op: import graphgrad first")


# --- The registry ------------------------------------------------------------------------
# One name, one op, in this process: the table's entries (graphgrad.ops) and a
# user's (graphgrad.define_op).

_registry: dict[str, Op] = {}
_registry_lock = threading.Lock()
OPS: Mapping[str, Op] = MappingProxyType(_registry)


def register(op: Op, replace: bool = False) -> Op:
    """Add ``op`` to the table under its name (done by ``Op(...)`` itself).

    ValueError if the name is taken, unless ``replace`` is set and the op it
    replaces was defined by a user (a built-in op is never replaced).
    """
    with _registry_lock:
        existing = _registry.get(op.name)
        if existing is not None:
            if existing.builtin:
                raise ValueError(f"an op named {op.name!r} is built in: choose another name")
            if not replace:
                raise ValueError(
                    f"an op named {op.name!r} is already defined: choose another name, or "
                    "pass replace=True to redefine it (as when a notebook cell runs again)"
                )
        if existing is not None:
            existing.superseded = True
        _registry[op.name] = op
    return op
