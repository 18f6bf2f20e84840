"""The op table: the one place where graphgrad's math is written down.

Each entry (an :class:`Op`) holds an op's name, how it is written (its symbol
and notation), its forward rule and, for every input, its local derivative.
Everything else reads the entries: ``Value``'s operators and methods, the
compiled forward and backward steps, the formulas on pictures and in traces,
the command line's functions, the gradient checks and the tests' op lists.

An entry is also a function.  ``exp(2.0)`` is a float, ``exp(array)`` an
array, ``exp(value)`` a new node of the graph, and ``exp(symbol)`` a formula.
The derivative rules are written with these functions and with operators, so
one rule serves every case: it runs on floats in ``backward()``, on arrays
over m examples, on Values for second derivatives (``create_graph=True``) and
on symbols to print its formula or to compile it.

This module imports nothing from the rest of graphgrad.  The engine
(``graphgrad.value``) installs each entry's compiled ``apply`` and ``step``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

# Data of a node: a Python float or a float64 numpy array.  Rules also receive
# Values or symbols, so they are typed loosely.
Data = Any

# A local derivative of an elementwise op: a constant, or a rule called as
# rule(*inputs, out).  For other ops, a vector-Jacobian rule called as
# rule(g, *inputs, out, **params) that returns input i's share of the gradient.
# None marks an input that never takes a gradient.
Partial = float | Callable[..., Any] | None

NOTATIONS = ("infix", "prefix", "function", "postfix", "index")


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


class DomainError(ValueError):
    """An op was applied where it is not defined (log of a negative number, ...)."""


class BadIndexError(DomainError, IndexError):
    """An index outside a node's shape (``z[5]`` of 3 elements).

    Also an IndexError, so that iterating over a Value stops at its end, as
    iterating over a numpy array does.
    """


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
    - ``partials``: one local derivative per input (see ``Partial``).
    - ``elementwise``: False for reductions, reshapes and linear algebra, whose
      ``partials`` are vector-Jacobian rules and which may take ``params``
      (static keyword arguments such as ``axis``).
    - ``operators`` and ``method``: the ``Value`` operators and method that
      apply the op; every op is also callable as a function.
    - ``explain`` says in the op's terms why ``forward`` failed on its inputs;
      ``needs[i]`` says what the derivative for input i needs, for errors in
      backward (``"a > 0"``).
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
        # Installed by the engine (graphgrad.value): the function that makes a
        # node of this op, and the backward step of such a node.
        self.apply: Callable[..., Any] = _engine_missing
        self.step: Callable[[Any], Any] = _engine_missing

    @property
    def arity(self) -> int:
        return len(self.partials)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Op({self.name!r}{params})"

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
            values = " and ".join(_describe_data(d) for d in datas)
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
        """This op with static parameters fixed (``sum`` with ``axis=1``), for a node to keep."""
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
        if key is not None:
            found = self._bound.get(key)
            if found is not None:
                return found
        bound = Op.__new__(Op)
        for slot in Op.__slots__:
            setattr(bound, slot, getattr(self, slot))
        bound.params = MappingProxyType(dict(params))
        bound.entry = self
        bound._bound = {}
        if key is not None:
            self._bound[key] = bound
        return bound

    def local_derivative(self, index: int, inputs: tuple[Any, ...], out: Any) -> Any:
        """d(out)/d(input index) of an elementwise op, evaluated on ``inputs``."""
        rule = self.partials[index]
        if rule is None or not self.elementwise:
            raise ValueError(f"{self.name} has no elementwise local derivative for input {index}")
        return rule(*inputs, out) if callable(rule) else rule


# numpy raises instead of warning on overflow, division by zero and NaN, so an
# array computation fails as a float one does; underflow to 0 is fine.
RAISE = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}

try:  # numpy >= 2: the error state is a context variable holding an "extobj"
    from numpy._core._ufunc_config import (  # type: ignore[attr-defined]
        _extobj_contextvar as _numpy_errors,
    )
    from numpy._core._ufunc_config import (  # type: ignore[attr-defined]
        _make_extobj as _make_numpy_errors,
    )
except ImportError:  # older numpy: np.errstate itself, about 1 µs slower per use
    _numpy_errors = None


def _numpy_errors_work() -> bool:
    """numpy's private error-state variable does what enter_raising expects of it
    (it is not numpy's public API, so it is checked once rather than trusted)."""
    if _numpy_errors is None:
        return False
    try:
        token = _numpy_errors.set(_make_numpy_errors(**RAISE))
        try:
            return bool(np.geterr() == RAISE)
        finally:
            _numpy_errors.reset(token)
    except Exception:  # a numpy whose internals differ: fall back to np.errstate
        return False


if not _numpy_errors_work():
    _numpy_errors = None

# The raising state made from each state a thread was in (numpy's buffer size
# and error callback kept), so that entering it is one context-variable set.
_raising_from: dict[Any, Any] = {}
_raising_states: set[Any] = set()


def is_raising() -> bool:
    """True inside ``raising()`` (in this thread): ops need not enter it again."""
    return _numpy_errors is not None and _numpy_errors.get() in _raising_states


def enter_raising() -> Any:
    """Switch numpy to raising (``RAISE``) in this thread; returns what
    :func:`leave_raising` needs to switch back.  As ``np.errstate(**RAISE)``,
    but it reuses the state made from the one in force (numpy's buffer size
    and error callback kept) instead of making it anew each time, which cost
    about 1 µs for every array node of a graph, forward and backward."""
    if _numpy_errors is None:
        errstate = np.errstate(**RAISE)  # type: ignore[arg-type]
        errstate.__enter__()
        return errstate
    current = _numpy_errors.get()
    state = _raising_from.get(current)
    if state is None:
        if len(_raising_from) > 64:  # states a program set and left: forget them
            _raising_from.clear()
            _raising_states.clear()
        token = _numpy_errors.set(current)
        try:
            state = _make_numpy_errors(**RAISE)
        finally:
            _numpy_errors.reset(token)
        _raising_from[current] = state
        _raising_states.add(state)
    return _numpy_errors.set(state)


def leave_raising(token: Any) -> None:
    """Undo :func:`enter_raising`."""
    if _numpy_errors is None:
        token.__exit__(None, None, None)
    else:
        _numpy_errors.reset(token)


class raising:
    """``with raising():`` is ``with np.errstate(**RAISE):``, made cheap (see
    :func:`enter_raising`)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = enter_raising()

    def __exit__(self, *exc_info: Any) -> None:
        leave_raising(self._token)


def not_finite(x: float) -> ArithmeticError | ValueError:
    """The error for a result that is infinite or NaN."""
    if x != x:
        return DomainError("the result is not a number (NaN)")
    return OverflowError("the result is too large for a 64-bit float")


def reason(exc: BaseException) -> str:
    """A failure of float or numpy arithmetic, said in words (never numpy's own)."""
    text = str(exc)
    if isinstance(exc, FloatingPointError):
        if "overflow" in text:
            return "the result is too large for a 64-bit float"
        if "divide" in text:
            return "division by zero"
        return "the result is not a number"
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "the result is too large for a 64-bit float"
    if text == "math domain error":
        return "the input is outside the function's domain"
    return text


def error_like(exc: BaseException, message: str) -> BaseException:
    """An error of exc's kind (numpy's FloatingPointError as the float one) with ``message``."""
    if isinstance(exc, FloatingPointError):
        text = str(exc)
        if "overflow" in text:
            return OverflowError(message)
        if "divide" in text:
            return ZeroDivisionError(message)
        return DomainError(message)
    kind = type(exc)
    try:
        return kind(message)
    except Exception:  # an exception type that takes other arguments
        return ValueError(message)


def _describe_data(d: Any) -> str:
    if isinstance(d, np.ndarray):
        return f"an array of shape {d.shape}"
    return f"the number {d!r}"


def input_names(arity: int) -> tuple[str, ...]:
    """How an op's inputs are called in its formula and messages, unless its entry
    says otherwise: x for one input, a and b for two, ..."""
    if arity == 1:
        return ("x",)
    return tuple("abcdefgh"[:arity]) if arity <= 8 else tuple(f"x{i}" for i in range(arity))


def _engine_missing(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the engine has not installed this op: import graphgrad first")


# --- The registry ------------------------------------------------------------------------
# One name, one op, in this process.  The table's own entries are listed below;
# graphgrad.define_op adds a user's.

_registry: dict[str, Op] = {}
_registry_lock = threading.Lock()
OPS: Mapping[str, Op] = MappingProxyType(_registry)


def register(op: Op, replace: bool = False) -> Op:
    """Add ``op`` to the table under its name.

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
        _registry[op.name] = op
    return op


# --- Helpers the rules use ----------------------------------------------------------------


def payload(x: Data) -> Data:
    """The number or array a rule's argument holds (a Value's or symbol's data, else itself)."""
    # Not getattr(x, "data", x): numpy arrays have a .data attribute of their own.
    return x if isinstance(x, (float, np.ndarray)) else getattr(x, "data", x)


def shape_of(x: Data) -> tuple[int, ...]:
    d = payload(x)
    return tuple(d.shape) if isinstance(d, np.ndarray) else ()


def size(x: Data) -> int:
    d = payload(x)
    return int(d.size) if isinstance(d, np.ndarray) else 1


def ones_like(x: Data) -> Data:
    """1 in the shape of x's data: a float for a scalar, an array otherwise."""
    d = payload(x)
    return np.ones_like(d) if isinstance(d, np.ndarray) else 1.0


def _axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (all of them for None)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
    normalized = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {int(a)} is out of range for {ndim} dimension(s)")
        normalized.append(int(a) % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return tuple(sorted(normalized))


def kept_shape(x: Data, axis: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """x's shape with the summed axes kept as 1 (what keepdims=True gives)."""
    dims = shape_of(x)
    axes = _axes(axis, len(dims))
    return tuple(1 if i in axes else n for i, n in enumerate(dims))


# --- Forward rules on floats and arrays -----------------------------------------------------


def _sigmoid_float(x: float) -> float:
    # Two algebraically equal forms, each used where exp() cannot overflow.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x: Data) -> Data:
    # The same two forms, element by element, in few passes: e^-|x| in place,
    # and one division serves both numerators (1 or e^-|x|).
    en = np.abs(x)
    np.negative(en, out=en)
    np.exp(en, out=en)
    result = np.where(x >= 0.0, 1.0, en)
    np.divide(result, en + 1.0, out=result)
    return result


def _softplus_float(x: float) -> float:
    # log(1 + e^x) without overflow: max(x, 0) + log(1 + e^-|x|).
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def _softplus_array(x: Data) -> Data:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _pow_float(a: float, b: float) -> float:
    result = a**b
    if type(result) is complex:  # a negative number to a fractional power
        raise DomainError("a negative number cannot be raised to a fractional power")
    return result  # type: ignore[no-any-return]


def _pow_array(a: Data, b: Data) -> Data:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.power(a, b)  # invalid/divide raise under the engine's error state
    return _pow_float(a, b)


def _explain_pow(a: Data, b: Data) -> str:
    a_arr, b_arr = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if np.any((a_arr == 0.0) & (b_arr < 0.0)):
        return "zero cannot be raised to a negative power"
    if np.any((a_arr < 0.0) & (b_arr != np.round(b_arr))):
        return "a negative number cannot be raised to a fractional power"
    return "the result is too large for a 64-bit float"


def _scaled_pow_float(x: float, k: float, e: float) -> float:
    # k·x**e, and exactly 0 where k is 0: the derivative of x**0 is 0 even at
    # x = 0, where x**-1 does not exist (PyTorch's convention).
    return 0.0 if k == 0.0 else k * _pow_float(x, e)


def _scaled_pow_array(x: Data, k: Data, e: Data) -> Data:
    if not any(isinstance(d, np.ndarray) for d in (x, k, e)):
        return _scaled_pow_float(x, k, e)
    x, k, e = np.broadcast_arrays(*(np.asarray(d, dtype=np.float64) for d in (x, k, e)))
    out = np.zeros(x.shape)
    live = k != 0.0
    out[live] = k[live] * np.power(x[live], e[live])
    return out


def _xlogy_float(x: float, y: float) -> float:
    # x·log(y), and exactly 0 where x is 0 (so 0·log 0 is 0, as in SciPy and PyTorch).
    return 0.0 if x == 0.0 else x * math.log(y)


def _xlogy_array(x: Data, y: Data) -> Data:
    if not isinstance(x, np.ndarray) and not isinstance(y, np.ndarray):
        return _xlogy_float(x, y)
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    out = np.zeros(x.shape)
    live = x != 0.0
    out[live] = x[live] * np.log(y[live])
    return out


def _log_float(x: float) -> float:
    return math.log(x)  # ValueError for x <= 0


def _log_array(x: Data) -> Data:
    if not (x > 0.0).all():
        raise DomainError("log needs a positive input")
    return np.log(x)


def _relu_float(x: float) -> float:
    return x if x > 0.0 else 0.0


def _step_float(x: float) -> float:
    """Heaviside step (1 where x > 0, else 0): the derivative of relu."""
    return 1.0 if x > 0.0 else 0.0


def _step_array(x: Data) -> Data:
    return (x > 0.0).astype(np.float64)


def _sum(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    if not isinstance(x, np.ndarray):
        if axis not in (None, (), 0, -1) or keepdims:
            raise ValueError("a number has no axes to sum over")
        return x
    # The ufunc itself: np.sum's own Python layer costs more than the sum of a small array.
    axes = None if axis is None else _axes(axis, x.ndim)
    return np.add.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]


def _mean(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    if not isinstance(x, np.ndarray):
        if axis not in (None, (), 0, -1) or keepdims:
            raise ValueError("a number has no axes to average over")
        return x
    axes = _axes(axis, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    if count == 0:
        raise ValueError("mean of an empty array")
    # What np.mean computes (the sum, then one division), without its Python layer.
    return np.add.reduce(x, axis=axes, keepdims=keepdims) / count  # type: ignore[call-overload]


def _spread(g: Data, x: Data, axis: Any, keepdims: bool) -> Data:
    """g, the gradient of a reduction of x, spread back over x's shape."""
    if not keepdims and axis is not None and shape_of(x):
        g = reshape(g, shape=kept_shape(x, axis))
    return g * ones_like(x)


def _count(x: Data, axis: Any) -> int:
    dims = shape_of(x)
    return math.prod(dims[a] for a in _axes(axis, len(dims))) if dims else 1


def _matmul(x: Data, y: Data) -> Data:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DomainError("matmul needs arrays; use * to multiply by a number")
    if x.ndim > 2 or y.ndim > 2:
        raise DomainError(f"matmul needs 1-D or 2-D arrays, got shapes {x.shape} and {y.shape}")
    return np.matmul(x, y)


def _affine(x: Data, w: Data, b: Data) -> Data:
    out = _matmul(x, w)
    if type(out) is not np.ndarray:  # a 1-D x and w: a number
        return out + b
    if np.shape(b) == out.shape[-1:] or np.shape(b) == ():
        out += b  # the product is new: add b in place, one array fewer
        return out
    return out + b  # b broadcasts to a larger shape than x @ w: numpy decides


def _outer(x: Data, y: Data) -> Data:
    # np.outer would flatten a 2-D input, and its gradient would lose the shape.
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DomainError("outer needs 1-D arrays; use * to multiply by a number")
    if x.ndim != 1 or y.ndim != 1:
        raise DomainError(f"outer needs 1-D arrays, got shapes {x.shape} and {y.shape}")
    return np.outer(x, y)


def _transpose(x: Data) -> Data:
    return x.T if isinstance(x, np.ndarray) else x  # a number is its own transpose


def _reshape(x: Data, *, shape: tuple[int, ...]) -> Data:
    target = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return np.reshape(x, target)


def _reduced(x: Data, axis: Any, what: str) -> tuple[int, ...]:
    """The axes a reduction of x runs over; ValueError for an empty one."""
    axes = _axes(axis, x.ndim)
    if x.size == 0 or any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{what} of an empty array")
    return axes


def _number_reduced(x: float, axis: Any, keepdims: bool, what: str) -> float:
    # A number reduces to itself, over no axis (or the one axis 0/-1 numpy allows).
    if axis not in (None, (), 0, -1) or keepdims:
        raise ValueError(f"a number has no axes to take the {what} over")
    return x


def _max(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    if not isinstance(x, np.ndarray):
        return _number_reduced(x, axis, keepdims, "max")
    return np.max(x, axis=_reduced(x, axis, "max"), keepdims=keepdims)


def _logsumexp(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    # log Σ e^x = top + log Σ e^(x - top) with top = max x: no term exceeds e^0,
    # so logits of any size give a finite result (terms far below top underflow to 0).
    if not isinstance(x, np.ndarray):
        return _number_reduced(x, axis, keepdims, "logsumexp")
    axes = _reduced(x, axis, "logsumexp")
    top = np.max(x, axis=axes, keepdims=True)
    shifted = np.subtract(x, top)
    np.exp(shifted, out=shifted)
    result = np.sum(shifted, axis=axes, keepdims=True)
    np.log(result, out=result)
    result += top
    return result if keepdims else np.squeeze(result, axis=axes)


def _softmax(x: Data, axis: Any) -> Data:
    """e^x / Σ e^x over ``axis``, written with ops so that it can be differentiated.

    Each e^x is taken relative to the max, a constant of the data: e^(x - max)
    never overflows, and x - max is exact where it matters, so the result is
    correctly rounded even for logits near ±1000 (e^(x - logsumexp) would lose
    the digits that logsumexp's size takes).  The constant cancels in the ratio,
    so no derivative is lost with it.
    """
    xd = payload(x)
    if not isinstance(xd, np.ndarray):
        return ones_like(x)
    e = exp(x - np.max(xd, axis=_axes(axis, xd.ndim), keepdims=True))
    return e / total(e, axis=axis, keepdims=True)


def _max_share(x: Data, out: Data, axis: Any, keepdims: bool) -> Data:
    """Which elements of x are the max, each as its share of the gradient: 1 for the
    one max, 1/k each for k tied ones (as PyTorch's amax).  A constant of the data."""
    xd = payload(x)
    if not isinstance(xd, np.ndarray):
        return 1.0
    top = np.reshape(payload(out), kept_shape(xd, axis))
    hit = (xd == top).astype(np.float64)
    return hit / np.sum(hit, axis=_axes(axis, xd.ndim), keepdims=True)


# --- indexing ---------------------------------------------------------------------------------

# What an index may hold, element by element (numpy's basic and integer-array indexing).
_INDEX_HELP = "an index is made of ints, slices, None, ..., and arrays or lists of ints or bools"


def check_index(index: Any) -> Any:
    """``index`` in the form a node keeps: lists become read-only integer or bool arrays
    (copies, so later edits to the caller's list change nothing).  TypeError for
    anything that is not an index (a float, a Value, a string)."""
    if type(index) is int or type(index) is slice:
        return _check_part(index)
    if type(index) is tuple:
        return tuple(_check_part(part) for part in index)
    return _check_part(index)


def _check_part(part: Any) -> Any:
    if part is None or part is Ellipsis:
        return part
    if isinstance(part, slice):
        for end in (part.start, part.stop, part.step):
            if end is not None and (
                isinstance(end, (bool, np.bool_)) or not isinstance(end, (int, np.integer))
            ):
                raise TypeError(f"slice bounds must be ints or None, got {end!r}")
        return slice(*(None if e is None else int(e) for e in (part.start, part.stop, part.step)))
    if isinstance(part, (bool, np.bool_)):
        raise TypeError(f"a bool is not an index ({_INDEX_HELP})")
    if isinstance(part, (int, np.integer)):
        return int(part)
    if isinstance(part, (list, np.ndarray)):
        array = np.array(part)
        if array.dtype.kind == "b" or (array.size == 0 and array.dtype.kind == "f"):
            array = array.astype(np.bool_ if array.dtype.kind == "b" else np.intp)
        elif array.dtype.kind in "iu":
            array = array.astype(np.intp)
        else:
            raise TypeError(f"an index array must hold ints or bools, got dtype {array.dtype}")
        array.flags.writeable = False
        return array
    raise TypeError(f"cannot index with {type(part).__name__} {part!r:.40}: {_INDEX_HELP}")


def _is_basic(index: Any) -> bool:
    """True for an index without arrays, which can never pick an element twice."""
    parts = index if type(index) is tuple else (index,)
    return not any(isinstance(p, np.ndarray) for p in parts)


def format_index(index: Any) -> str:
    """An index as Python writes it between brackets: ``:, 0`` for ``(slice(None), 0)``."""
    parts = index if type(index) is tuple else (index,)
    return ", ".join(_format_part(p) for p in parts)


def _format_part(part: Any) -> str:
    if part is None:
        return "None"
    if part is Ellipsis:
        return "..."
    if isinstance(part, slice):
        text = ":".join("" if e is None else str(e) for e in (part.start, part.stop))
        return text if part.step is None else f"{text}:{part.step}"
    if isinstance(part, np.ndarray):
        return f"[{', '.join(map(str, part.tolist()))}]" if part.size <= 4 else "[…]"
    return str(part)


def _index_error(exc: IndexError) -> BadIndexError:
    return BadIndexError(str(exc).replace("index", "the index", 1))


def _getitem(x: Data, *, index: Any) -> Data:
    if not isinstance(x, np.ndarray):
        raise TypeError("a number cannot be indexed")
    try:
        result = x[check_index(index)]
    except IndexError as exc:
        raise _index_error(exc) from None
    # A copy, not a view: the node owns its data, as every other node does.
    return result.copy() if isinstance(result, np.ndarray) else result


def _scatter(x: Data, *, shape: tuple[int, ...], index: Any) -> Data:
    """Zeros of ``shape`` with x added at ``index``: the gradient of indexing."""
    out = np.zeros(shape)
    index = check_index(index)
    try:
        if _is_basic(index):
            out[index] = x
        else:
            np.add.at(out, index, x)  # an element picked twice gets both shares
    except IndexError as exc:
        raise _index_error(exc) from None
    return out


# --- Vector-Jacobian rules of the ops that are not elementwise --------------------------------


def _ndims(x: Data, y: Data) -> tuple[int, int]:
    if type(x) is np.ndarray and type(y) is np.ndarray:
        return x.ndim, y.ndim
    return len(shape_of(x)), len(shape_of(y))


# ``.T`` is the transpose op on Values and symbols, and a view on arrays.


def _matmul_vjp_left(g: Data, x: Data, y: Data, out: Data) -> Data:
    xn, yn = _ndims(x, y)
    if xn == 1 and yn == 1:
        return g * y
    if xn == 2 and yn == 1:
        return outer(g, y)
    if xn == 1:
        return matmul(y, g)
    return matmul(g, y.T)


def _matmul_vjp_right(g: Data, x: Data, y: Data, out: Data) -> Data:
    xn, yn = _ndims(x, y)
    if xn == 1 and yn == 1:
        return g * x
    if xn == 2 and yn == 1:
        return matmul(g, x)
    if xn == 1:
        return outer(x, g)
    return matmul(x.T, g)


# --- The table -------------------------------------------------------------------------------
# The rules call entries as functions, by these names (bound at the end).
add: Op
sub: Op
mul: Op
div: Op
neg: Op
power: Op
exp: Op
log: Op
sigmoid: Op
tanh: Op
relu: Op
softplus: Op
step: Op
scaled_pow: Op
xlogy: Op
total: Op
mean: Op
matmul: Op
outer: Op
transpose: Op
reshape: Op
affine: Op
amax: Op
logsumexp: Op
getitem: Op
scatter: Op

# Arithmetic first; then the functions of the notes; then the helpers that the
# derivatives of pow need; then reductions and linear algebra.  Each rule is
# written with ops, so that it can be differentiated again.

ADD = Op(
    "add",
    lambda a, b: a + b,
    (1.0, 1.0),
    symbol="+",
    notation="infix",
    precedence=10,
    operators=("__add__", "__radd__"),
)
SUB = Op(
    "sub",
    lambda a, b: a - b,
    (1.0, -1.0),
    symbol="-",
    notation="infix",
    precedence=10,
    operators=("__sub__", "__rsub__"),
)
MUL = Op(
    "mul",
    lambda a, b: a * b,
    (lambda a, b, out: b, lambda a, b, out: a),
    symbol="*",
    notation="infix",
    precedence=20,
    operators=("__mul__", "__rmul__"),
)
DIV = Op(
    "div",
    lambda a, b: a / b,
    (lambda a, b, out: 1.0 / b, lambda a, b, out: -out / b),
    symbol="/",
    notation="infix",
    precedence=20,
    operators=("__truediv__", "__rtruediv__"),
)
NEG = Op(
    "neg",
    lambda x: -x,
    (-1.0,),
    symbol="-",
    notation="prefix",
    precedence=30,
    operators=("__neg__",),
)


def _d_pow_base(a: Data, b: Data, out: Data) -> Data:
    return scaled_pow(a, b, b - 1.0)  # b·a**(b-1), and 0 where b = 0


def _d_pow_exponent(a: Data, b: Data, out: Data) -> Data:
    return xlogy(out, a)  # a**b · log a, and 0 where a = 0 < b


POW = Op(
    "pow",
    _pow_array,
    (_d_pow_base, _d_pow_exponent),
    symbol="**",
    notation="infix",
    precedence=40,
    float_forward=_pow_float,
    operators=("__pow__", "__rpow__"),
    explain=_explain_pow,
    needs=("a ≠ 0 when 0 < b < 1", "a > 0 (or a = 0 with b > 0)"),
)
EXP = Op("exp", np.exp, (lambda x, out: out,), float_forward=math.exp, method="exp")
LOG = Op(
    "log",
    _log_array,
    (lambda x, out: 1.0 / x,),
    float_forward=_log_float,
    method="log",
    explain=lambda x: "log needs a positive input",
)
SIGMOID = Op(
    "sigmoid",
    _sigmoid_array,
    (lambda x, out: out * (1.0 - out),),
    symbol="σ",
    float_forward=_sigmoid_float,
    method="sigmoid",
)
TANH = Op(
    "tanh", np.tanh, (lambda x, out: 1.0 - out * out,), float_forward=math.tanh, method="tanh"
)
RELU = Op(
    "relu",
    lambda x: np.maximum(x, 0.0),
    (lambda x, out: step(x),),
    float_forward=_relu_float,
    method="relu",
)
SOFTPLUS = Op(
    "softplus",
    _softplus_array,
    (lambda x, out: sigmoid(x),),
    float_forward=_softplus_float,
    method="softplus",
)
STEP = Op("step", _step_array, (0.0,), float_forward=_step_float, method="step")

# The derivatives of pow, and of themselves, at every order.
SCALED_POW = Op(
    "scaled_pow",
    _scaled_pow_array,
    (
        lambda x, k, e, out: scaled_pow(x, k * e, e - 1.0),
        lambda x, k, e, out: scaled_pow(x, 1.0, e),
        lambda x, k, e, out: xlogy(out, x),
    ),
    inputs=("x", "k", "e"),
    float_forward=_scaled_pow_float,
    method="scaled_pow",
    shown=lambda x, k, e: k * x**e,
    explain=lambda x, k, e: _explain_pow(x, e),
    needs=("x ≠ 0 when 0 < e < 1", None, "x > 0 (or x = 0 with k·x**e = 0)"),
)
XLOGY = Op(
    "xlogy",
    _xlogy_array,
    (lambda x, y, out: log(y), lambda x, y, out: x / y),
    inputs=("x", "y"),
    float_forward=_xlogy_float,
    method="xlogy",
    shown=lambda x, y: x * log(y),
    explain=lambda x, y: "log needs a positive input",
    needs=("y > 0", "y > 0"),
)

SUM = Op(
    "sum",
    _sum,
    (lambda g, x, out, axis=None, keepdims=False: _spread(g, x, axis, keepdims),),
    symbol="Σ",
    elementwise=False,
    method="sum",
    param_names=("axis", "keepdims"),
)
MEAN = Op(
    "mean",
    _mean,
    # g / count first: one pass over the array instead of two, and the same numbers.
    (lambda g, x, out, axis=None, keepdims=False: _spread(g / _count(x, axis), x, axis, keepdims),),
    elementwise=False,
    method="mean",
    param_names=("axis", "keepdims"),
)
MATMUL = Op(
    "matmul",
    _matmul,
    (_matmul_vjp_left, _matmul_vjp_right),
    symbol="@",
    notation="infix",
    precedence=20,
    elementwise=False,
    operators=("__matmul__", "__rmatmul__"),
)
OUTER = Op(
    "outer",
    _outer,
    (lambda g, x, y, out: matmul(g, y), lambda g, x, y, out: matmul(x, g)),
    elementwise=False,
    method="outer",
)
TRANSPOSE = Op(
    "transpose",
    _transpose,
    (lambda g, x, out: transpose(g),),
    symbol="ᵀ",
    notation="postfix",
    elementwise=False,
    method="T",
)
RESHAPE = Op(
    "reshape",
    _reshape,
    (lambda g, x, out, shape: reshape(g, shape=shape_of(x)),),
    elementwise=False,
    method="reshape",
    param_names=("shape",),
)

AFFINE = Op(
    "affine",
    _affine,
    # x @ w's two rules, and b's share is g itself (summed over the rows it broadcast to).
    (
        lambda g, x, w, b, out: _matmul_vjp_left(g, x, w, out),
        lambda g, x, w, b, out: _matmul_vjp_right(g, x, w, out),
        lambda g, x, w, b, out: g,
    ),
    inputs=("x", "w", "b"),
    elementwise=False,
    method="affine",
    shown=lambda x, w, b: x @ w + b,
)
MAX = Op(
    "max",
    _max,
    (
        lambda g, x, out, axis=None, keepdims=False: (
            _spread(g, x, axis, keepdims) * _max_share(x, out, axis, keepdims)
        ),
    ),
    elementwise=False,
    method="max",
    param_names=("axis", "keepdims"),
)
LOGSUMEXP = Op(
    "logsumexp",
    _logsumexp,
    # d/dx log Σ e^x = e^x / Σ e^x: the softmax.
    (
        lambda g, x, out, axis=None, keepdims=False: (
            _spread(g, x, axis, keepdims) * _softmax(x, axis)
        ),
    ),
    elementwise=False,
    method="logsumexp",
    param_names=("axis", "keepdims"),
)
GETITEM = Op(
    "getitem",
    _getitem,
    (lambda g, x, out, index: scatter(g, shape=shape_of(x), index=index),),
    symbol="[]",
    notation="index",
    elementwise=False,
    method="__getitem__",
    param_names=("index",),
)
SCATTER = Op(
    "scatter",
    _scatter,
    (lambda g, x, out, shape, index: getitem(g, index=index),),
    elementwise=False,
    method="scatter",
    param_names=("shape", "index"),
)

for _op in (
    ADD,
    SUB,
    MUL,
    DIV,
    NEG,
    POW,
    EXP,
    LOG,
    SIGMOID,
    TANH,
    RELU,
    SOFTPLUS,
    STEP,
    SCALED_POW,
    XLOGY,
    SUM,
    MEAN,
    MATMUL,
    OUTER,
    TRANSPOSE,
    RESHAPE,
    AFFINE,
    MAX,
    LOGSUMEXP,
    GETITEM,
    SCATTER,
):
    register(_op)

# The entries as functions, under the names the rules above use.
add, sub, mul, div, neg, power = ADD, SUB, MUL, DIV, NEG, POW
exp, log, sigmoid, tanh, relu, softplus, step = EXP, LOG, SIGMOID, TANH, RELU, SOFTPLUS, STEP
scaled_pow, xlogy = SCALED_POW, XLOGY
total, mean, matmul, outer, transpose, reshape = SUM, MEAN, MATMUL, OUTER, TRANSPOSE, RESHAPE
affine, amax, logsumexp, getitem, scatter = AFFINE, MAX, LOGSUMEXP, GETITEM, SCATTER
