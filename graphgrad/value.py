"""Value: a node of a computation graph, and the backward pass over the op table.

Operators dispatch to entries of ``graphgrad.ops``; ``backward`` runs each
node's step, compiled once per op from that op's local-derivative rules.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from graphgrad import ops
from graphgrad.graph import topological_order

Array = npt.NDArray[np.float64]
Data = float | Array
# What an operator accepts besides a Value: a real number or a numpy array.
Operand: TypeAlias = "Value | float | int | Array"

_recording = True  # False inside no_grad(): ops then record no graph
# While backward() runs: True.  Its first array step (if any) sets numpy's
# raising error state and leaves it in _backward_errstate for backward() to
# undo at the end, so a graph of numbers never pays for numpy's set-up (a real
# share of a small graph's backward) and a graph of arrays pays once, not per node.
_in_backward = False
_backward_errstate: Any = None
# numpy raises instead of warning on overflow, division by zero and NaN, so an
# array computation fails like a float one; underflow to 0 is fine.
_RAISE = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}

# How a notebook shows a Value as a picture.  The core imports no renderer, so
# the package (graphgrad/__init__.py) installs a function here that loads the
# drawing code only when a notebook asks; None means "no picture, show text".
svg_display: Callable[[Value], str | None] | None = None


@contextmanager
def no_grad() -> Iterator[None]:
    """A context in which ops compute values but record no graph.

    Use it for evaluation and parameter updates, where no gradient is wanted:
    nodes made inside are leaves, and nothing keeps their inputs alive.
    """
    global _recording
    previous, _recording = _recording, False
    try:
        yield
    finally:
        _recording = previous


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _recording


class Value:
    """A node of a computation graph: a number (or numpy array) and its gradient.

    ``Value(data, label=None, requires_grad=True)``: ``data`` is a real number
    (stored as a float) or a numpy array of real numbers (stored as a float64
    copy); ``label`` names the node in pictures, traces and error messages;
    ``requires_grad=False`` makes a constant leaf, such as the data X, that
    backward() gives no gradient.

    Attributes: ``data``; ``grad``, dJ/d(this node) after ``J.backward()`` (0.0
    before); ``label``; ``op``, the name of the op that made the node ('' for a
    leaf); ``inputs``, the nodes it was made from.

    >>> a = Value(5.0, label="a")
    >>> J = 3 * (a + 1)
    >>> J.backward()
    >>> a
    Value(label='a', data=5.0, grad=3.0)
    """

    __slots__ = ("_op", "_order", "data", "grad", "inputs", "label")
    # Makes numpy hand `array * value` to Value.__rmul__ instead of looping.
    __array_ufunc__ = None

    data: Data
    grad: Any  # float or array after backward(); a Value after backward(create_graph=True)
    label: str | None
    inputs: tuple[Value, ...]

    def __init__(
        self,
        data: float | int | Array | Value,
        label: str | None = None,
        requires_grad: bool = True,
    ) -> None:
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value label must be a str or None, got {type(label).__name__}")
        if type(data) is float and data - data == 0.0:
            self.data = data  # the common case, without the general checks below
        else:
            if isinstance(data, Value):
                data = data.data
            self.data = as_data(data, label)
        self.grad = 0.0
        self.label = label
        self._op: ops.Op | None = None
        self._order: list[Value] | None = None
        self.inputs = ()
        if requires_grad is not True:
            if requires_grad is not False:
                raise TypeError(
                    f"requires_grad must be True or False, got {type(requires_grad).__name__}"
                )
            # Same layout, so this only changes what backward() does with the leaf.
            self.__class__ = _Constant

    @property
    def requires_grad(self) -> bool:
        """False for a constant leaf such as the data X: backward() gives it no gradient."""
        return True

    @property
    def op(self) -> str:
        """The name of the op that made this node, '' for a leaf."""
        return "" if self._op is None else self._op.name

    @property
    def shape(self) -> tuple[int, ...]:
        """() for a number, the array's shape otherwise."""
        return self.data.shape if isinstance(self.data, np.ndarray) else ()

    def __repr__(self) -> str:
        label = "" if self.label is None else f"label={self.label!r}, "
        return f"Value({label}data={_short(self.data)}, grad={_short(self.grad)})"

    def _repr_svg_(self) -> str | None:
        """The drawing of this node's graph, for notebooks (None: show the text repr)."""
        return None if svg_display is None else svg_display(self)

    def __float__(self) -> float:
        if type(self.data) is not float:
            raise TypeError(f"{describe(self)} holds an array of shape {self.shape}, not a number")
        return self.data

    # --- operators: each is an entry of the op table ----------------------------------

    def __add__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _add(self, o)

    def __radd__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _add(o, self)

    def __sub__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _sub(self, o)

    def __rsub__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _sub(o, self)

    def __mul__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _mul(self, o)

    def __rmul__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _mul(o, self)

    def __truediv__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _div(self, o)

    def __rtruediv__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _div(o, self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            # A constant exponent takes pow, whose exponent gets no gradient:
            # d/dy x**y = x**y log x would fail for x <= 0 and is not wanted.
            return _pow(self, other) if type(other) is _Constant else _vpow(self, other)
        o = _lift(other)
        return NotImplemented if o is None else _pow(self, o)

    def __rpow__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _vpow(o, self)

    def __matmul__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _apply2(ops.MATMUL, self, o)

    def __rmatmul__(self, other: Operand) -> Value:
        o = other if isinstance(other, Value) else _lift(other)
        return NotImplemented if o is None else _apply2(ops.MATMUL, o, self)

    def __neg__(self) -> Value:
        return _neg(self)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e to the power of this node; OverflowError above about 709."""
        return _exp(self)

    def log(self) -> Value:
        """The natural logarithm; ValueError unless every element is positive."""
        return _log(self)

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x), computed without overflow; its derivative is σ(1 − σ)."""
        return _sigmoid(self)

    def tanh(self) -> Value:
        """The hyperbolic tangent; its derivative is 1 − tanh²."""
        return _tanh(self)

    def relu(self) -> Value:
        """max(x, 0); its derivative is 1 where x > 0, else 0."""
        return _relu(self)

    def softplus(self) -> Value:
        """log(1 + e^x), computed without overflow; its derivative is sigmoid(x)."""
        return _softplus(self)

    def step(self) -> Value:
        """1 where data > 0, else 0 (the derivative of relu); its own derivative is 0."""
        return _step(self)

    def sum(self) -> Value:
        """The sum of all elements, as a scalar node."""
        return _apply1(ops.SUM, self)

    def mean(self) -> Value:
        """The mean of all elements, as a scalar node."""
        return _apply1(ops.MEAN, self)

    def outer(self, other: Operand) -> Value:
        """The outer product of two 1-D array nodes: shape (n,) and (k,) give (n, k)."""
        o = _lift(other)
        if o is None:
            raise TypeError(f"outer needs a Value or array, got {type(other).__name__}")
        return _apply2(ops.OUTER, self, o)

    @property
    def T(self) -> Value:
        """The transpose of a 2-D array node (1-D and scalar nodes are their own)."""
        return _apply1(ops.TRANSPOSE, self)

    # --- gradients ----------------------------------------------------------------

    def backward(self, create_graph: bool = False) -> None:
        """Set ``v.grad`` = d(self)/dv for every node v that self depends on.

        Gradients are recomputed from zero, so calling backward twice gives the
        same result.  With ``create_graph=True`` each gradient is itself a Value
        with a graph of its own, which can be differentiated again: keep it in a
        variable (``dx = x.grad``), because every later backward() (for instance
        ``dx.backward()``) first resets the gradients of that whole graph to 0.0
        and then writes the new ones, d(dx)/dv, into ``v.grad``.
        """
        if _nodes_with_graph_grads:
            _reset_graph_grads()
        if type(self.data) is not float:
            raise ValueError(
                f"backward() needs a scalar output, but {describe(self)} has shape "
                f"{self.shape}: reduce it first, e.g. with .sum() or .mean()"
            )
        if create_graph:
            order = topological_order(self)
            for node in order:
                node.grad = 0.0
            _backward_with_graph(self, order)
            return
        try:
            below = self._order
        except AttributeError:  # a node made without the constructor
            below = None
        if below is None:
            below = _order_below_and_reset(self)
            self._order = below
        else:
            for node in below:
                node.grad = 0.0
        self.grad = 1.0
        global _in_backward, _backward_errstate
        nested = _in_backward
        _in_backward = True
        node = self
        try:
            op = self._op
            if op is not None:
                op.step(self)
            for node in reversed(below):
                op = node._op
                if op is not None:
                    op.step(node)
                elif type(node) is _Constant:
                    node.grad = 0.0  # the float steps add into every input; undo it here
                else:
                    g = node.grad
                    if (g - g != 0.0) if type(g) is float else not _finite(g):
                        raise OverflowError("the gradient is not a finite number")
        except (ArithmeticError, ValueError) as exc:
            if isinstance(exc, FloatingPointError):
                exc = _numpy_error(exc)
            raise _backward_error(node, exc) from None
        finally:
            _in_backward = nested
            if _backward_errstate is not None and not nested:
                state, _backward_errstate = _backward_errstate, None
                state.__exit__(None, None, None)

    def zero_grad(self) -> None:
        """Set the gradient of this node and of every node it depends on to 0."""
        for node in self._nodes_below():
            node.grad = 0.0
        self.grad = 0.0

    def _nodes_below(self) -> list[Value]:
        """The nodes self depends on, inputs first, without self; computed once.

        A node's inputs are fixed when it is made, so its graph never changes and
        the order can be kept for the next backward().  self is left out so that
        the cached list never refers back to its owner (no reference cycle, so
        the graph is freed by reference counting alone).
        """
        try:
            below = self._order
        except AttributeError:  # a node made without the constructor
            below = None
        if below is None:
            below = topological_order(self)
            below.pop()  # self, which comes last
            self._order = below
        return below


def _order_below_and_reset(root: Value) -> list[Value]:
    """topological_order(root) without root, every grad in it set to 0.

    The same depth-first walk as graph.topological_order, node for node (a test
    checks they agree), for backward() alone: the visited marks live in the
    grad slots it is about to reset anyway, instead of in a dict, which makes
    the walk about a quarter cheaper.  The marks are new objects at every call,
    so marks left by an interrupted walk can never be mistaken for this one's.
    """
    opened, done = object(), object()
    order: list[Value] = []
    stack = [root]
    while stack:
        node = stack.pop()
        mark = node.grad
        if mark is done:
            continue  # a copy pushed before the node was expanded
        if mark is opened:
            node.grad = done  # all of its inputs are in order
            order.append(node)
            continue
        inputs = node.inputs
        if inputs:
            node.grad = opened
            stack.append(node)  # popped again, to be emitted, after its inputs
            for child in inputs:
                mark = child.grad
                if mark is not done and mark is not opened:
                    stack.append(child)
        else:
            node.grad = done
            order.append(node)
    order.pop()  # root, which comes last
    root.grad = 0.0
    for node in order:
        node.grad = 0.0
    return order


class _Constant(Value):
    """A leaf made with ``requires_grad=False``: backward() leaves its grad at 0.

    Only the class differs from Value (same slots), so the hot path tells a
    constant by its type and ordinary nodes pay nothing for the option.
    """

    __slots__ = ()

    @property
    def requires_grad(self) -> bool:
        return False


# --- applying ops ----------------------------------------------------------------------

_new = object.__new__


# _apply1 and _apply2 (and the compiled apply functions below) make the node
# inline rather than through a shared helper: they run once per op, and a
# Python call costs about as much as the rest of the work.


def _apply1(op: ops.Op, x: Value) -> Value:
    xd = x.data
    try:
        if type(xd) is float:
            data = op.forward(xd)
            if data - data != 0.0:
                raise _not_finite(data)
        else:
            _check_data(x)
            data = _array_forward(op, xd)
    except (ArithmeticError, ValueError) as exc:
        raise _op_error(op, (x,), exc) from None
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    out._order = None
    if _recording:
        out._op = op
        out.inputs = (x,)
    else:
        out._op = None
        out.inputs = ()
    return out


def _apply2(op: ops.Op, x: Value, y: Value) -> Value:
    xd = x.data
    yd = y.data
    try:
        if type(xd) is float and type(yd) is float:
            data = op.forward(xd, yd)
            if data - data != 0.0:
                raise _not_finite(data)
        else:
            _check_data(x)
            _check_data(y)
            data = _array_forward(op, xd, yd)
    except (ArithmeticError, ValueError) as exc:
        raise _op_error(op, (x, y), exc) from None
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    out._order = None
    if _recording:
        out._op = op
        out.inputs = (x, y)
    else:
        out._op = None
        out.inputs = ()
    return out


def _check_data(x: Value) -> None:
    """Off the float path: data someone assigned by hand must still be a float or array."""
    if type(x.data) is not float and type(x.data) is not np.ndarray:
        raise TypeError(
            f"the data of {describe(x)} is {type(x.data).__name__} {_clip(repr(x.data))}: "
            "a node holds a float or a float64 numpy array (assign e.g. 5.0, not 5)"
        )


def _array_forward(op: ops.Op, *datas: Data) -> Data:
    try:
        with np.errstate(**_RAISE):  # type: ignore[arg-type]
            data: Data = op.forward(*datas)
    except FloatingPointError as exc:
        raise _numpy_error(exc) from None
    if op.elementwise and type(data) is np.ndarray:
        # Finite inputs, and numpy raised on overflow, division by zero and NaN:
        # an elementwise result is finite, no second pass over it is needed.
        # (Not so for matmul and reductions: BLAS need not report overflow.)
        return data
    if not isinstance(data, np.ndarray):
        if data - data != 0.0:
            raise _not_finite(data)
    elif not np.isfinite(data).all():
        raise _not_finite(float(data[~np.isfinite(data)].flat[0]))
    return data


def _numpy_error(exc: FloatingPointError) -> ArithmeticError | ValueError:
    """The error a float computation would raise, for numpy's FloatingPointError."""
    text = str(exc)
    if "overflow" in text:
        return OverflowError("the result is too large for a 64-bit float")
    if "divide" in text:
        return ZeroDivisionError("division by zero")
    return ValueError("the result is not a number")


def _not_finite(x: float) -> ArithmeticError | ValueError:
    if x != x:
        return ValueError("the result is not a number (NaN)")
    return OverflowError("the result is too large for a 64-bit float")


def _lift(x: object) -> Value | None:
    """A Value for an operator's other operand; None for a type we do not take."""
    if isinstance(x, Value):
        return x
    kind = type(x)
    if kind is float or kind is int:
        try:
            f = float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(
                f"cannot use {_clip(repr(x))}: too large for a 64-bit float"
            ) from None
        if f - f != 0.0:
            raise ValueError(f"cannot use {x} in a computation: graphgrad takes finite numbers")
        v: Value = _new(Value)
        v.data = f
    else:
        try:
            v = Value(x)  # type: ignore[arg-type]
        except TypeError:
            return None
    v.grad = 0.0
    v.label = None
    v._op = None
    v._order = None
    v.inputs = ()
    return v


def as_data(x: object, label: str | None = None) -> Data:
    """Check and convert what a user gives as a node's data: a float or float array."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.ndarray)):
        hint = " (use numpy.array(...) for several numbers)" if isinstance(x, (list, tuple)) else ""
        raise TypeError(
            f"Value{_for(label)} needs a real number or a numpy array, "
            f"got {type(x).__name__} {_clip(repr(x))}{hint}"
        )
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "iuf":
            raise TypeError(
                f"Value{_for(label)} needs an array of real numbers, got dtype {x.dtype}"
            )
        data = np.array(x, dtype=np.float64)  # a copy: later edits to x change nothing here
        if data.ndim == 0:
            return as_data(float(data), label)
        if not np.isfinite(data).all():
            raise ValueError(f"Value{_for(label)}: the array holds NaN or infinity")
        return data
    try:
        f = float(x)
    except OverflowError:
        raise OverflowError(
            f"Value{_for(label)} got {_clip(repr(x))}: too large for a 64-bit float"
        ) from None
    if f - f != 0.0:
        raise ValueError(
            f"Value{_for(label)} got {f}: graphgrad takes finite numbers only "
            "(NaN and infinity would spread silently through every gradient)"
        )
    return f


# --- the backward steps, compiled once per op from its table entry ----------------------


def _sum_to(grad: Any, like: Data) -> Any:
    """Sum a gradient over the axes numpy broadcast, back to the shape of ``like``."""
    if not isinstance(like, np.ndarray):
        return grad if type(grad) is float else float(np.sum(grad))
    if not isinstance(grad, np.ndarray):  # a number spread over every element
        return np.full(like.shape, grad, dtype=np.float64)
    if grad.shape == like.shape:
        return grad
    extra = grad.ndim - like.ndim
    summed = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(i for i, n in enumerate(like.shape) if n == 1 and summed.shape[i] != 1)
    return summed.sum(axis=axes, keepdims=True) if axes else summed


def _array_step(op: ops.Op, node: Value) -> None:
    """The backward step of one node on the general path: any op, arrays or numbers.

    Reads the table entry as it is: an elementwise partial is multiplied by the
    output's gradient, a vjp rule is called with it.  Gradients are summed back
    over broadcast axes, and numpy's overflow or NaN becomes the error a float
    computation would raise.  Constant leaves (requires_grad=False) are skipped,
    which is what makes a big data matrix X cost nothing here.
    """
    global _backward_errstate
    if _backward_errstate is None:
        if not _in_backward:  # run on its own: set numpy's error state just for this step
            try:
                with np.errstate(**_RAISE):  # type: ignore[arg-type]
                    _array_step_raising(op, node)
            except FloatingPointError as exc:
                raise _numpy_error(exc) from None
            return
        # The first array step of this backward(): set the error state for the
        # rest of it; backward() undoes it when it ends.
        state = np.errstate(**_RAISE)  # type: ignore[arg-type]
        state.__enter__()
        _backward_errstate = state
    _array_step_raising(op, node)


def _array_step_raising(op: ops.Op, node: Value) -> None:
    g = node.grad
    inputs = node.inputs
    datas = [x.data for x in inputs]
    out = node.data
    elementwise = op.elementwise
    for x, partial in zip(inputs, op.partials, strict=True):
        if partial is None or type(x) is _Constant:
            continue
        if not elementwise:
            assert callable(partial)
            contribution = partial(g, *datas, out)
            # A rule may return a view of g or an input's own data: not ours to keep.
            fresh = (
                type(contribution) is np.ndarray
                and contribution.base is None
                and contribution is not g
                and all(contribution is not d for d in datas)
            )
        elif callable(partial):
            contribution = g * partial(*datas, out)
            fresh = True
        elif partial == 1.0:
            contribution = g
            fresh = False
        else:
            contribution = g * partial
            fresh = True
        summed = _sum_to(contribution, x.data)
        fresh = fresh or summed is not contribution
        grad = x.grad
        if fresh and type(grad) is float and grad == 0.0 and type(summed) is np.ndarray:
            # The first contribution, an array no one else holds: keep it rather
            # than copy it (0.0 + array would be one more pass).
            x.grad = summed
        else:
            # A new array (never +=): the old one may be shared.
            x.grad = grad + summed


class _Symbol:
    """A stand-in that records the formula a derivative rule computes.

    Called on symbols for its inputs, a rule of the table returns its formula
    as Python source over those names (``lambda x, y, out: -out / y`` gives
    ``((-out) / yd)``).  The step compiler writes that source into the step, so
    the float path does exactly the rule's operations, in the same order, with
    no call.  The table's functions (exp, sigmoid, step, ...) dispatch to a
    symbol's method of the same name and stay calls to those functions.  A rule
    that does anything else (compares or branches on its input, uses an unknown
    function) raises TypeError here, and the step then calls it as it is.
    """

    __slots__ = ("source",)
    __array_ufunc__ = None  # numpy must not treat a symbol as a scalar

    def __init__(self, source: str) -> None:
        self.source = source

    @staticmethod
    def _of(x: object) -> str:
        if isinstance(x, _Symbol):
            return x.source
        if type(x) in (float, int) and math.isfinite(x):  # type: ignore[arg-type]
            return f"({x!r})"  # repr round-trips a float exactly
        raise TypeError(f"cannot trace a rule that uses {type(x).__name__}")

    def _binary(self, symbol: str, other: object, reflected: bool = False) -> _Symbol:
        left, right = (
            (self._of(other), self.source) if reflected else (self.source, self._of(other))
        )
        return _Symbol(f"({left} {symbol} {right})")

    def __add__(self, o: object) -> _Symbol:
        return self._binary("+", o)

    def __radd__(self, o: object) -> _Symbol:
        return self._binary("+", o, True)

    def __sub__(self, o: object) -> _Symbol:
        return self._binary("-", o)

    def __rsub__(self, o: object) -> _Symbol:
        return self._binary("-", o, True)

    def __mul__(self, o: object) -> _Symbol:
        return self._binary("*", o)

    def __rmul__(self, o: object) -> _Symbol:
        return self._binary("*", o, True)

    def __truediv__(self, o: object) -> _Symbol:
        return self._binary("/", o)

    def __rtruediv__(self, o: object) -> _Symbol:
        return self._binary("/", o, True)

    def __pow__(self, o: object) -> _Symbol:
        return self._binary("**", o)

    def __rpow__(self, o: object) -> _Symbol:
        return self._binary("**", o, True)

    def __neg__(self) -> _Symbol:
        return _Symbol(f"(-{self.source})")

    def _refuse(self, *args: object) -> Any:
        raise TypeError("a rule that inspects its input's value is called, not traced")

    __bool__ = __float__ = __index__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = None  # type: ignore[assignment]


# The functions of the table a traced formula may call, by the name it uses.
_TRACEABLE = ("exp", "log", "sigmoid", "tanh", "relu", "softplus", "step")


def _traced_call(name: str) -> Callable[[_Symbol], _Symbol]:
    def method(self: _Symbol) -> _Symbol:
        return _Symbol(f"ops.{name}({self.source})")

    return method


for _name in _TRACEABLE:
    setattr(_Symbol, _name, _traced_call(_name))


# Inputs on which a traced formula must agree with its rule, to the last bit.
_SAMPLES = (-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0)


def _formula(rule: Callable[..., Any], names: list[str], namespace: dict[str, Any]) -> str | None:
    """The source of ``rule`` applied to ``names``, or None if it cannot be traced.

    A trace sees only the operations a rule does on symbols, so it is checked:
    on every combination of sample numbers the formula must give exactly what
    the rule gives (the same float, or the same exception), or it is not used.
    That catches a rule whose float path differs from what it does on symbols
    (for instance a check made only on numbers).
    """
    try:
        source = _Symbol._of(rule(*(_Symbol(name) for name in names)))
    except (TypeError, AttributeError, ValueError, ArithmeticError):
        return None
    formula = eval(f"lambda {', '.join(names)}: {source}", dict(namespace))
    for sample in itertools.product(_SAMPLES, repeat=len(names)):
        if _outcome(rule, sample) != _outcome(formula, sample):
            return None
    return source


def _outcome(f: Callable[..., Any], args: tuple[float, ...]) -> tuple[str, str]:
    try:
        result = f(*args)
    except Exception as exc:  # the kind of failure is what must match
        return ("raises", type(exc).__name__)
    return (type(result).__name__, repr(result))  # repr tells -0.0 and NaN apart


def _compile_step(op: ops.Op) -> Callable[[Value], None]:
    """Write the backward step of ``op`` from its table entry, and compile it.

    For each input the table holds a constant, None (no gradient) or a rule.
    The step's number path turns these into straight-line code: ``x.grad += g``
    for a partial of 1, ``-= g`` for -1, ``+= g * c`` for another constant and
    ``+= g * (formula)`` for a rule, its formula traced from the rule itself
    (see ``_Symbol``; an untraceable rule is called instead).  No node pays for
    reading the table, and no derivative is written anywhere but the table.
    Arrays and ops that are not elementwise take ``_array_step``.  The source is
    made only from the table (never from user input).
    """
    array_step = functools.partial(_array_step, op)
    if not op.elementwise:
        return array_step
    names = ("x", "y")[: op.arity]
    datas = [f"{name}d" for name in names] + ["out"]
    lines = [f"    {', '.join(names)}, = node.inputs", "    g = node.grad"]
    lines += ["    if type(g) is not float:", "        return array_step(node)"]
    namespace: dict[str, Any] = {"array_step": array_step, "ops": ops}
    body: list[str] = []
    for i, (name, partial) in enumerate(zip(names, op.partials, strict=True)):
        if partial is None:
            continue
        namespace[f"partial{i}"] = partial
        if callable(partial):
            formula = _formula(partial, datas, namespace) or f"partial{i}({', '.join(datas)})"
            body.append(f"    {name}.grad += g * {formula}")
        elif partial == 1.0:
            body.append(f"    {name}.grad += g")
        elif partial == -1.0:
            body.append(f"    {name}.grad -= g")  # exactly g * -1.0 added
        else:
            body.append(f"    {name}.grad += g * partial{i}")
    used = [d for d in datas if any(re.search(rf"\b{d}\b", line) for line in body)]
    loads = [f"    {d} = {'node' if d == 'out' else d[0]}.data" for d in used]
    # Named so as not to shadow the table's step() a formula may call.
    source = "def backward_step(node):\n" + "\n".join(lines + loads + body) + "\n"
    exec(compile(source, f"<backward step of {op.name}>", "exec"), namespace)
    step: Callable[[Value], None] = namespace["backward_step"]
    step.__qualname__ = f"{op.name}_step"
    step.__doc__ = source  # what runs, for a curious reader: print(ops.MUL.step.__doc__)
    return step


for _op in ops.OPS.values():
    _op.step = _compile_step(_op)


def _compile_apply(op: ops.Op) -> Callable[..., Value]:
    """Write the function that applies an elementwise ``op`` to its input nodes.

    The float path computes the op's forward rule, traced from the table like
    the derivative rules (``(xd + yd)`` for add; an untraceable rule is called),
    and makes the node inline; anything else goes to _apply1/_apply2, which
    handle arrays.  What it does is exactly _apply1/_apply2, minus two calls.
    """
    names = ["x", "y"][: op.arity]
    args = ", ".join(names)
    datas = [f"{name}d" for name in names]
    formula = _formula(op.forward, datas, {"ops": ops})
    compute = formula or f"forward({', '.join(datas)})"
    floats = " and ".join(f"type({d}) is float" for d in datas)
    general = "_apply1" if op.arity == 1 else "_apply2"
    lines = [f"def apply_{op.name}({args}, *, op=None, forward=None):"]
    lines += [f"    {d} = {name}.data" for d, name in zip(datas, names, strict=True)]
    lines += [
        f"    if {floats}:",
        "        try:",
        f"            data = {compute}",
        "            if data - data != 0.0:",
        "                raise _not_finite(data)",
        "        except (ArithmeticError, ValueError) as exc:",
        f"            raise _op_error(op, ({args},), exc) from None",
        "        out = _new(Value)",
        "        out.data = data",
        "        out.grad = 0.0",
        "        out.label = None",
        "        out._order = None",
        "        if _recording:",
        "            out._op = op",
        f"            out.inputs = ({args},)",
        "        else:",
        "            out._op = None",
        "            out.inputs = ()",
        "        return out",
        f"    return {general}(op, {args})",
    ]
    source = "\n".join(lines) + "\n"
    # Run in the module's globals, so that _recording is read live; op and
    # forward are bound as keyword defaults (fast local reads).
    made: dict[str, Any] = {}
    exec(compile(source, f"<apply {op.name}>", "exec"), globals(), made)
    apply: Callable[..., Value] = made[f"apply_{op.name}"]
    apply.__kwdefaults__ = {"op": op, "forward": op.forward}
    apply.__doc__ = source
    return apply


_add = _compile_apply(ops.ADD)
_sub = _compile_apply(ops.SUB)
_mul = _compile_apply(ops.MUL)
_div = _compile_apply(ops.DIV)
_pow = _compile_apply(ops.POW)
_vpow = _compile_apply(ops.VPOW)
_neg = _compile_apply(ops.NEG)
_exp = _compile_apply(ops.EXP)
_log = _compile_apply(ops.LOG)
_sigmoid = _compile_apply(ops.SIGMOID)
_tanh = _compile_apply(ops.TANH)
_relu = _compile_apply(ops.RELU)
_softplus = _compile_apply(ops.SOFTPLUS)
_step = _compile_apply(ops.STEP)


# The graph of the last backward(create_graph=True).  Every later backward()
# resets its gradients too (until the next create_graph pass replaces it), so
# after differentiating a gradient Value, each node of that graph holds the new
# derivative: 0.0 where the gradient does not depend on it (d(b*c)/da), never a
# stale Value or a number left by an earlier pass over other gradient Values.
_nodes_with_graph_grads: list[Value] = []


def _reset_graph_grads() -> None:
    for node in _nodes_with_graph_grads:
        node.grad = 0.0


def release_graph_grads() -> None:
    """Forget the graph of the last backward(create_graph=True), resetting its grads.

    Later backward() calls then reset only their own graph again, and that
    graph's memory can be freed.
    """
    global _nodes_with_graph_grads
    _reset_graph_grads()
    _nodes_with_graph_grads = []


def _backward_with_graph(root: Value, order: list[Value]) -> None:
    """backward(create_graph=True): the same rules, evaluated on Values."""
    global _recording, _nodes_with_graph_grads
    previous, _recording = _recording, True
    _nodes_with_graph_grads = order
    root.grad = Value(1.0)
    node = root
    try:
        for node in reversed(order):
            op = node._op
            if op is None:
                continue
            g = node.grad
            # Inputs that receive no gradient (a constant exponent) enter as plain data.
            args = [
                x if p is not None else x.data
                for x, p in zip(node.inputs, op.partials, strict=True)
            ]
            for x, partial in zip(node.inputs, op.partials, strict=True):
                # No gradient for a constant exponent, nor for a constant leaf such
                # as the data X (requires_grad False, where the engine has it).
                if partial is None or type(x) is _Constant:
                    continue
                if op.elementwise:
                    local = partial(*args, node) if callable(partial) else partial
                    contribution = _sum_to_value(g * local, x)
                else:
                    assert callable(partial)
                    contribution = _sum_to_value(partial(g, *args, node), x)
                x.grad = contribution if not isinstance(x.grad, Value) else x.grad + contribution
    except (ArithmeticError, ValueError) as exc:
        raise _backward_error(node, exc) from None
    finally:
        _recording = previous


def _sum_to_value(grad: Value, like: Value) -> Value:
    """Sum a gradient Value over the axes numpy broadcast, back to like's shape.

    The op table reduces only over all axes (sum, mean), so a sum over one axis
    is a product with a vector of ones: its derivative is then matmul's rule,
    with no new op and no rule restated.  That covers 1-D and 2-D data.
    """
    shape = like.shape
    if grad.shape == shape:
        return grad
    if shape == ():
        return grad.sum()
    if len(grad.shape) > 2:
        raise NotImplementedError(
            f"backward(create_graph=True) cannot undo broadcasting from shape {grad.shape} "
            f"to {shape} (at {describe(like)}): only 1-D and 2-D arrays are supported"
        )
    if len(grad.shape) == 2 and len(shape) == 1:  # (k, n) -> (n,)
        grad = Value(np.ones(grad.shape[0])) @ grad
    if len(shape) == 1:
        if grad.shape != shape:  # (n,) -> (1,)
            grad = grad @ Value(np.ones((grad.shape[0], 1)))
        return grad
    if shape[0] == 1 and grad.shape[0] != 1:  # (k, n) -> (1, n)
        grad = Value(np.ones((1, grad.shape[0]))) @ grad
    if shape[1] == 1 and grad.shape[1] != 1:  # (k, n) -> (k, 1)
        grad = grad @ Value(np.ones((grad.shape[1], 1)))
    return grad


# --- messages ------------------------------------------------------------------------


def _finite(g: Any) -> bool:
    if type(g) is float:
        return bool(g - g == 0.0)
    if isinstance(g, np.ndarray):
        return bool(np.isfinite(g).all())
    return True


def _short(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array(shape={x.shape})"
    return repr(x)  # a number, or a Value (a gradient from create_graph=True)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _for(label: str | None) -> str:
    return "" if label is None else f" {_clip(repr(label))}"


def describe(v: Value) -> str:
    """How an error message names a node: its label, else its op and data."""
    data = f"shape {v.shape}" if isinstance(v.data, np.ndarray) else f"data={v.data!r}"
    if v.label is not None:
        return f"{_clip(repr(v.label))} ({data})"
    if v._op is not None:
        return f"the {v.op} node ({data})"
    return f"the number {v.data!r}" if type(v.data) is float else f"an array of {data}"


def _op_error(op: ops.Op, inputs: tuple[Value, ...], exc: BaseException) -> BaseException:
    args = " and ".join(describe(x) for x in inputs)
    return type(exc)(f"{op.name} of {args}: {_reason(op, exc)}")


def _reason(op: ops.Op | None, exc: BaseException) -> str:
    text = str(exc)
    if op is ops.LOG and isinstance(exc, ValueError) and "domain" in text:
        return "log needs a positive input"
    if isinstance(exc, ZeroDivisionError):
        if op is ops.POW or op is ops.VPOW:
            return "zero cannot be raised to a negative power"
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "the result is too large for a 64-bit float"
    return text


def _backward_error(node: Value, exc: BaseException) -> BaseException:
    return type(exc)(f"backward through {describe(node)} failed: {_reason(node._op, exc)}")
