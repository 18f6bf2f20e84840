"""Value: a node of a computation graph, and the backward pass over the op table.

Operators dispatch to entries of ``graphgrad.ops``; ``backward`` runs each
node's step, compiled once per op from that op's local-derivative rules.
"""

from __future__ import annotations

import numbers
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

    >>> a = Value(5.0, label="a")
    >>> J = 3 * (a + 1)
    >>> J.backward()
    >>> a
    Value(label='a', data=5.0, grad=3.0)
    """

    __slots__ = ("_op", "data", "grad", "inputs", "label")
    # Makes numpy hand `array * value` to Value.__rmul__ instead of looping.
    __array_ufunc__ = None

    data: Data
    grad: Any  # float or array after backward(); a Value after backward(create_graph=True)
    label: str | None
    inputs: tuple[Value, ...]

    def __init__(self, data: float | int | Array | Value, label: str | None = None) -> None:
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value label must be a str or None, got {type(label).__name__}")
        if isinstance(data, Value):
            data = data.data
        self.data = as_data(data, label)
        self.grad = 0.0
        self.label = label
        self._op: ops.Op | None = None
        self.inputs = ()

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
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.ADD, self, o)

    def __radd__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.ADD, o, self)

    def __sub__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.SUB, self, o)

    def __rsub__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.SUB, o, self)

    def __mul__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.MUL, self, o)

    def __rmul__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.MUL, o, self)

    def __truediv__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.DIV, self, o)

    def __rtruediv__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.DIV, o, self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _apply2(ops.VPOW, self, other)
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.POW, self, o)

    def __rpow__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.VPOW, o, self)

    def __matmul__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.MATMUL, self, o)

    def __rmatmul__(self, other: Operand) -> Value:
        o = _lift(other)
        return NotImplemented if o is None else _apply2(ops.MATMUL, o, self)

    def __neg__(self) -> Value:
        return _apply1(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        return _apply1(ops.EXP, self)

    def log(self) -> Value:
        return _apply1(ops.LOG, self)

    def sigmoid(self) -> Value:
        return _apply1(ops.SIGMOID, self)

    def tanh(self) -> Value:
        return _apply1(ops.TANH, self)

    def relu(self) -> Value:
        return _apply1(ops.RELU, self)

    def softplus(self) -> Value:
        """log(1 + e^x), computed without overflow; its derivative is sigmoid(x)."""
        return _apply1(ops.SOFTPLUS, self)

    def step(self) -> Value:
        """1 where data > 0, else 0 (the derivative of relu); its own derivative is 0."""
        return _apply1(ops.STEP, self)

    def sum(self) -> Value:
        """The sum of all elements, as a scalar node."""
        return _apply1(ops.SUM, self)

    def mean(self) -> Value:
        """The mean of all elements, as a scalar node."""
        return _apply1(ops.MEAN, self)

    def outer(self, other: Operand) -> Value:
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
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        if create_graph:
            _backward_with_graph(self, order)
            return
        self.grad = 1.0
        node = self
        try:
            for node in reversed(order):
                op = node._op
                if op is not None:
                    op.step(node)
                elif not _finite(node.grad):
                    raise OverflowError("the gradient is not a finite number")
        except (ArithmeticError, ValueError) as exc:
            raise _backward_error(node, exc) from None

    def zero_grad(self) -> None:
        """Set the gradient of this node and of every node it depends on to 0."""
        for node in topological_order(self):
            node.grad = 0.0


# --- applying ops ----------------------------------------------------------------------

_new = object.__new__


def _node(data: Data, op: ops.Op, inputs: tuple[Value, ...]) -> Value:
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _recording:
        out._op = op
        out.inputs = inputs
    else:
        out._op = None
        out.inputs = ()
    return out


def _apply1(op: ops.Op, x: Value) -> Value:
    xd = x.data
    try:
        if type(xd) is float:
            data = op.forward(xd)
            if data - data != 0.0:
                raise _not_finite(data)
        else:
            data = _array_forward(op, xd)
    except (ArithmeticError, ValueError) as exc:
        raise _op_error(op, (x,), exc) from None
    return _node(data, op, (x,))


def _apply2(op: ops.Op, x: Value, y: Value) -> Value:
    xd = x.data
    yd = y.data
    try:
        if type(xd) is float and type(yd) is float:
            data = op.forward(xd, yd)
            if data - data != 0.0:
                raise _not_finite(data)
        else:
            data = _array_forward(op, xd, yd)
    except (ArithmeticError, ValueError) as exc:
        raise _op_error(op, (x, y), exc) from None
    return _node(data, op, (x, y))


def _array_forward(op: ops.Op, *datas: Data) -> Data:
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            data: Data = op.forward(*datas)
    except FloatingPointError as exc:
        text = str(exc)
        if "overflow" in text:
            raise OverflowError("the result is too large for a 64-bit float") from None
        if "divide" in text:
            raise ZeroDivisionError("division by zero") from None
        raise ValueError("the result is not a number") from None
    if not isinstance(data, np.ndarray):
        if data - data != 0.0:
            raise _not_finite(data)
    elif not np.isfinite(data).all():
        raise _not_finite(float(data[~np.isfinite(data)].flat[0]))
    return data


def _not_finite(x: float) -> ArithmeticError | ValueError:
    if x != x:
        return ValueError("the result is not a number (NaN)")
    return OverflowError("the result is too large for a 64-bit float")


def _lift(x: object) -> Value | None:
    """A Value for an operator's other operand; None for a type we do not take."""
    if isinstance(x, Value):
        return x
    if type(x) is float:
        if x - x != 0.0:
            raise ValueError(f"cannot use {x} in a computation: graphgrad takes finite numbers")
        v: Value = _new(Value)
        v.data = x
    else:
        try:
            v = Value(x)  # type: ignore[arg-type]
        except TypeError:
            return None
    v.grad = 0.0
    v.label = None
    v._op = None
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
    f = float(x)
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
    if grad.shape == like.shape:
        return grad
    extra = grad.ndim - like.ndim
    summed = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(i for i, n in enumerate(like.shape) if n == 1 and summed.shape[i] != 1)
    return summed.sum(axis=axes, keepdims=True) if axes else summed


def _as_rule(partial: ops.Partial) -> Callable[..., Any] | None:
    if partial is None or callable(partial):
        return partial
    constant = partial
    return lambda *args: constant


def _compile_step(op: ops.Op) -> Callable[[Value], None]:
    if not op.elementwise:

        def vjp_step(node: Value) -> None:
            g = node.grad
            inputs = node.inputs
            datas = [x.data for x in inputs]
            for x, rule in zip(inputs, op.partials, strict=True):
                if rule is not None and callable(rule):
                    x.grad = x.grad + _sum_to(rule(g, *datas, node.data), x.data)

        return vjp_step

    if op.arity == 1:
        rule = _as_rule(op.partials[0])
        if rule is None:
            return lambda node: None

        def unary_step(node: Value) -> None:
            x = node.inputs[0]
            x.grad += node.grad * rule(x.data, node.data)

        return unary_step

    left, right = (_as_rule(p) for p in op.partials)

    def binary_step(node: Value) -> None:
        x, y = node.inputs
        g = node.grad
        xd = x.data
        yd = y.data
        if type(g) is float:
            if left is not None:
                x.grad += g * left(xd, yd, node.data)
            if right is not None:
                y.grad += g * right(xd, yd, node.data)
        else:  # arrays: undo broadcasting so each gradient has its input's shape
            if left is not None:
                x.grad = x.grad + _sum_to(g * left(xd, yd, node.data), xd)
            if right is not None:
                y.grad = y.grad + _sum_to(g * right(xd, yd, node.data), yd)

    return binary_step


for _op in ops.OPS.values():
    _op.step = _compile_step(_op)


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
                if partial is None or not getattr(x, "requires_grad", True):
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
    if isinstance(x, Value):
        return repr(x)
    return repr(x)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _for(label: str | None) -> str:
    return "" if label is None else f" {_clip(repr(label))}"


def describe(v: Value) -> str:
    """How an error message names a node: its label, else its op and data."""
    data = f"shape {v.shape}" if type(v.data) is not float else f"data={v.data!r}"
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
