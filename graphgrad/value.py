"""Value: a node of a computation graph.

A Value holds its data (a float or a float64 array), its gradient and the
inputs it was made from.  Its operators and methods are the op table's
entries (``graphgrad.ops``): ``b * c`` runs ``mul``'s apply function, written
from the entry by graphgrad.codegen (``graphgrad.codegen.source(ops.mul)``
shows it), and every method calls its entry's.  ``backward()`` runs the pass
of graphgrad.backward.

Also here: lifting numbers and arrays to constant leaves, the checks on what
a user gives as data, and the checked forward rule on arrays.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import numpy as np
import numpy.typing as npt

from graphgrad import ops
from graphgrad.backward import backward as run_backward
from graphgrad.graph import backward_order, describe, topological_order
from graphgrad.kernels import check_index
from graphgrad.mode import differentiating_on_values, transforms
from graphgrad.numerics import clip, enter_raising, error_like, leave_raising, not_finite
from graphgrad.op import Op, Operand

Array = npt.NDArray[np.float64]
Data = float | Array
# What an operator accepts besides a Value: a real number or a numpy array.
Operand_: TypeAlias = "Value | float | int | Array"

# How a notebook shows a Value: svg(v) draws it (None: show text), note(v) says
# why it is not drawn (None: nothing to say).
NotebookDisplay: TypeAlias = tuple[
    Callable[["Value"], "str | None"], Callable[["Value"], "str | None"]
]


class Value(Operand):
    """A node of a computation graph: a number (or numpy array) and its gradient.

    ``Value(data, label=None, requires_grad=True)``: ``data`` is a real number
    (stored as a float) or a numpy array of real numbers (stored as a float64
    copy); ``label`` names the node in pictures, traces and error messages;
    ``requires_grad=False`` makes a constant leaf, such as the data X, that
    backward() gives no gradient.  Numbers and arrays used as operands
    (the 3 in ``3 * v``) are such constants.

    >>> a = Value(5.0, label="a")
    >>> J = 3 * (a + 1)
    >>> J.backward()
    >>> a
    Value(label='a', data=5.0, grad=3.0)
    """

    __slots__ = ("data", "grad", "inputs", "label", "operation", "requires_grad")
    is_node = True  # ops hand a call with a Value straight to their compiled apply
    #: How notebooks show a Value (see NotebookDisplay), None for text only.  The
    #: core imports no renderer: the package sets this once, when it is imported.
    notebook_display: ClassVar[NotebookDisplay | None] = None
    # Makes numpy hand `array * value` to Value.__rmul__ instead of looping.
    __array_ufunc__ = None

    data: Data
    """The node's number (a float) or array (float64)."""
    grad: Any
    """dJ/d(this node) after ``J.backward()``: a float, or an array shaped like
    ``data``; a Value after ``J.backward(create_graph=True)``; 0.0 before."""
    label: str | None
    """The name shown in pictures, traces and error messages (None: a generated one)."""
    inputs: tuple[Value, ...]
    """The nodes this node was made from, in the op's order; () for a leaf."""
    operation: Op | None
    """The op-table entry that made this node (with its parameters, such as a sum's
    ``axis``), None for a leaf; ``op`` is its name."""
    requires_grad: bool
    """False for a constant (``Value(X, requires_grad=False)``, or a number or
    array used as an operand): backward() computes no gradient for it.  A node
    made by an op requires one when any of its inputs does."""

    def __init__(
        self,
        data: float | int | Array | Value,
        label: str | None = None,
        requires_grad: bool = True,
    ) -> None:
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value label must be a str or None, got {type(label).__name__}")
        if requires_grad is not True and requires_grad is not False:
            raise TypeError(
                f"requires_grad must be True or False, got {type(requires_grad).__name__}"
            )
        if type(data) is not float or data - data != 0.0:
            data = as_data(data.data if isinstance(data, Value) else data, label)
        # The one place a leaf is made (a node made by an op: compile_apply).
        self.data = data
        self.grad = 0.0
        self.label = label
        self.operation = None
        self.inputs = ()
        self.requires_grad = requires_grad

    @classmethod
    def apply_op(cls, op: Op, args: tuple[Any, ...], params: Mapping[str, Any]) -> Value:
        """Make a node of ``op`` from ``args``, or say why not."""
        if len(args) != op.arity:
            raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(args)}")
        node = op.apply(*args, **params)
        if node is NotImplemented:
            kinds = ", ".join(type(a).__name__ for a in args)
            raise TypeError(f"{op.name} takes Values, numbers and arrays, got {kinds}")
        made: Value = node
        return made

    @property
    def op(self) -> str:
        """The name of the op that made this node, '' for a leaf."""
        return "" if self.operation is None else self.operation.name

    @property
    def shape(self) -> tuple[int, ...]:
        """() for a number, the array's shape otherwise."""
        return self.data.shape if isinstance(self.data, np.ndarray) else ()

    def __repr__(self) -> str:
        label = "" if self.label is None else f"label={self.label!r}, "
        return f"Value({label}data={_short(self.data)}, grad={_short(self.grad)})"

    def _repr_svg_(self) -> str | None:
        """The drawing of this node's graph, for notebooks (None: show the text repr)."""
        display = self.notebook_display
        return None if display is None else display[0](self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The text form in IPython and notebooks: the repr, and why no drawing is shown."""
        printer.text(repr(self))
        display = self.notebook_display
        note = None if display is None else display[1](self)
        if note is not None:
            printer.text(f"  # not drawn: {note}")

    def __float__(self) -> float:
        data = self.data
        if type(data) is not float:
            raise TypeError(f"{describe(self)} holds an array of shape {self.shape}, not a number")
        if self.requires_grad:
            inside = _differentiated_by(self)
            if inside is not None:
                raise TypeError(
                    f"float() of {describe(self)} inside {inside} would drop the graph, so "
                    "its derivative would silently be 0: use the Value's own methods "
                    "(t.exp(), t ** 2, ...) instead of float() or the math module"
                )
        return data

    # --- operators and methods: each is an entry of the op table ----------------------
    # The operators are the ops' compiled apply functions, installed from the
    # table's ``operators`` (see install); these stubs tell editors and mypy.
    if TYPE_CHECKING:

        def __add__(self, other: Operand_) -> Value: ...
        def __radd__(self, other: Operand_) -> Value: ...
        def __sub__(self, other: Operand_) -> Value: ...
        def __rsub__(self, other: Operand_) -> Value: ...
        def __mul__(self, other: Operand_) -> Value: ...
        def __rmul__(self, other: Operand_) -> Value: ...
        def __truediv__(self, other: Operand_) -> Value: ...
        def __rtruediv__(self, other: Operand_) -> Value: ...
        def __pow__(self, other: Operand_) -> Value: ...
        def __rpow__(self, other: Operand_) -> Value: ...
        def __matmul__(self, other: Operand_) -> Value: ...
        def __rmatmul__(self, other: Operand_) -> Value: ...
        def __neg__(self) -> Value: ...

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e to the power of this node; OverflowError above about 709."""
        node: Value = ops.exp.apply(self)
        return node

    def log(self) -> Value:
        """The natural logarithm; ValueError unless every element is positive."""
        node: Value = ops.log.apply(self)
        return node

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x), computed without overflow; its derivative is σ(1 − σ)."""
        node: Value = ops.sigmoid.apply(self)
        return node

    def tanh(self) -> Value:
        """The hyperbolic tangent; its derivative is 1 − tanh²."""
        node: Value = ops.tanh.apply(self)
        return node

    def relu(self) -> Value:
        """max(x, 0); its derivative is 1 where x > 0, else 0."""
        node: Value = ops.relu.apply(self)
        return node

    def softplus(self) -> Value:
        """log(1 + e^x), computed without overflow; its derivative is sigmoid(x)."""
        node: Value = ops.softplus.apply(self)
        return node

    def step(self) -> Value:
        """1 where data > 0, else 0 (the derivative of relu); its own derivative is 0."""
        node: Value = ops.step.apply(self)
        return node

    def stop_gradient(self) -> Value:
        """The same value, through which no gradient passes (JAX's ``stop_gradient``):
        backward() hands nothing on to this node's input."""
        node: Value = ops.stop_gradient.apply(self)
        return node

    def xlogy(self, y: Operand_) -> Value:
        """self·log(y), and exactly 0 where self is 0 (so 0·log 0 = 0): cross-entropy's term."""
        return Value.apply_op(ops.xlogy, (self, y), {})

    def scaled_pow(self, k: Operand_, e: Operand_) -> Value:
        """k·self**e, and exactly 0 where k is 0: the derivatives of ``**`` at every order."""
        return Value.apply_op(ops.scaled_pow, (self, k, e), {})

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """The sum of all elements (a scalar node), or over ``axis`` as numpy's sum."""
        if axis is None and not keepdims:
            node: Value = ops.sum.apply(self)
        else:
            node = ops.sum.apply(self, axis=axis, keepdims=keepdims)
        return node

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """The mean of all elements (a scalar node), or over ``axis`` as numpy's mean."""
        if axis is None and not keepdims:
            node: Value = ops.mean.apply(self)
        else:
            node = ops.mean.apply(self, axis=axis, keepdims=keepdims)
        return node

    def affine(self, w: Operand_, b: Operand_) -> Value:
        """``self @ w + b`` as one node: a layer's Z = X W + b for all m examples.

        The same numbers and gradients as the three-op expression (b's gradient
        summed over the rows it was added to), one node instead of two.
        """
        return Value.apply_op(ops.affine, (self, w, b), {})

    def outer(self, other: Operand_) -> Value:
        """The outer product of two 1-D array nodes: shape (n,) and (k,) give (n, k)."""
        return Value.apply_op(ops.outer, (self, other), {})

    @property
    def T(self) -> Value:
        """The transpose of a 2-D array node (1-D and scalar nodes are their own)."""
        node: Value = ops.transpose.apply(self)
        return node

    def reshape(self, *shape: int | Sequence[int]) -> Value:
        """The same elements in another shape, as numpy's reshape (-1 for one inferred size)."""
        first = shape[0] if len(shape) == 1 else None
        if first is not None and not isinstance(first, (int, np.integer)):
            target = tuple(int(n) for n in first)
        else:
            target = tuple(int(n) for n in shape if isinstance(n, (int, np.integer)))
            if len(target) != len(shape):
                raise TypeError(f"reshape takes ints or one sequence of ints, got {shape!r:.60}")
        node: Value = ops.reshape.apply(self, shape=target)
        return node

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """The largest element (a scalar node), or the largest over ``axis`` as numpy's max.

        Its gradient goes to the largest element; k tied ones get 1/k of it
        each, as PyTorch's ``amax`` does.
        """
        node: Value = ops.max.apply(self, axis=axis, keepdims=keepdims)
        return node

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """log Σ e^x over all elements or over ``axis``, computed without overflow.

        Its gradient is the softmax of the elements; the log-softmax of logits
        z over classes is ``z - z.logsumexp(axis=1, keepdims=True)``.
        """
        node: Value = ops.logsumexp.apply(self, axis=axis, keepdims=keepdims)
        return node

    def __getitem__(self, index: Any) -> Value:
        """Indexing and slicing as numpy's: ``z[:, 0]``, ``z[i]``, ``z[rows, labels]``.

        The index is kept with the node; the gradient goes back to the elements
        picked (twice to one picked twice).  BadIndexError (an IndexError)
        names the node when the index is outside its shape.
        """
        if type(self.data) is float:
            raise TypeError(f"cannot index {describe(self)}: it holds a number, not an array")
        node: Value = ops.getitem.apply(self, index=check_index(index))
        return node

    def scatter(self, shape: Sequence[int], index: Any) -> Value:
        """Zeros of ``shape`` with this node's elements added at ``index``: the
        gradient of indexing (``x[index]``), an op so that it can be differentiated."""
        target = tuple(int(n) for n in shape)
        node: Value = ops.scatter.apply(self, shape=target, index=check_index(index))
        return node

    # --- gradients ----------------------------------------------------------------------

    def backward(self, create_graph: bool = False) -> None:
        """Set ``v.grad`` = d(self)/dv for every node v that self depends on.

        Gradients are recomputed from zero, so calling backward twice gives the
        same result; nodes self does not depend on keep theirs.  With
        ``create_graph=True`` each gradient is itself a Value with a graph of
        its own, which can be differentiated again: keep it in a variable
        (``dx = x.grad``), because ``dx.backward()`` resets the gradients of
        the whole graph dx is a derivative of, then writes d(dx)/dv into each
        ``v.grad`` (0.0 where dx does not depend on v).
        """
        if type(self.data) is not float:
            raise ValueError(
                f"backward() needs a scalar output, but {describe(self)} has shape "
                f"{self.shape}: reduce it first, e.g. with .sum() or .mean()"
            )
        run_backward(self, create_graph, GradientSeed)

    def zero_grad(self) -> None:
        """Set the gradient of this node and of every node it depends on to 0."""
        backward_order(self, GradientSeed)


class GradientSeed(Value):
    """dJ/dJ = 1 at the start of ``backward(create_graph=True)``.

    Every gradient that pass makes depends on it, which is how a later
    ``backward()`` of such a gradient finds the graph it came from (``graph``,
    filled in by the pass).
    """

    __slots__ = ("graph",)

    graph: list[Value]


def _differentiated_by(node: Value) -> str | None:
    """What is differentiating ``node``'s graph in this thread, if anything: the
    innermost transform whose inputs node depends on, or a create_graph pass
    (which runs rules on every node of its graph)."""
    if differentiating_on_values():
        return "backward(create_graph=True)"
    frames = transforms()
    if not frames:
        return None
    owner = {id(x): name for name, inputs in frames for x in inputs}
    for reached in topological_order(node):
        if id(reached) in owner:
            return f"{owner[id(reached)]}()"
    return None


# --- numbers and arrays as data -----------------------------------------------------------

def lift(x: object) -> Value | None:
    """A Value for an op's operand: x itself, a constant leaf for a number or
    array, or None for a type ops do not take.

    A float64 array is used as it is, not copied (as ``torch.from_numpy``
    shares memory): the engine never writes to it, and the nodes made from it
    hold it, so changing the array afterwards changes what they hold (the
    next backward() reads the new numbers; values already computed stay).
    Other arrays (ints, float32) are converted to a float64 copy.
    """
    kind = type(x)
    if kind is np.ndarray and isinstance(x, np.ndarray) and x.dtype.char == "d" and x.ndim:
        if not all_finite(x):
            raise ValueError(
                f"cannot use an array of shape {x.shape} holding NaN or infinity in a "
                "computation: graphgrad takes finite numbers"
            )
        leaf = _new_leaf(Value)
        leaf.data = x
        return leaf
    if kind is float or kind is int:
        try:
            data: Data = float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(
                f"cannot use {clip(repr(x))}: too large for a 64-bit float"
            ) from None
        if data - data != 0.0:
            raise ValueError(f"cannot use {x} in a computation: graphgrad takes finite numbers")
    elif isinstance(x, Value):
        return x
    elif isinstance(x, (numbers.Real, np.ndarray)) and not isinstance(x, (bool, np.bool_)):
        data = as_data(x)
    else:
        return None
    return Value(data, None, False)


def _new_leaf(cls: type[Value]) -> Value:
    """A constant leaf whose data the caller sets (no check, no copy)."""
    leaf = object.__new__(cls)
    leaf.grad = 0.0
    leaf.label = None
    leaf.operation = None
    leaf.inputs = ()
    leaf.requires_grad = False
    return leaf


def all_finite(data: Array) -> bool:
    """True unless the array holds NaN or infinity.

    A large array is summed instead of tested element by element: one pass
    that makes no array of its own (about half the time), since a sum is finite
    exactly when every term is, unless finite terms overflowed it (then the
    elements are tested one by one).
    """
    if data.size < _SUMMED_CHECK_SIZE:
        return bool(np.isfinite(data).all())
    with np.errstate(all="ignore"):
        if math.isfinite(np.add.reduce(data, axis=None)):
            return True
        return bool(np.isfinite(data).all())


# Arrays at least this large are checked by their sum (see all_finite).
_SUMMED_CHECK_SIZE = 100_000


def as_data(x: object, label: str | None = None) -> Data:
    """Check and convert what a user gives as a node's data: a float or float array."""
    if type(x) is float and x - x == 0.0:
        return x  # the common case, without the checks below
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.ndarray)):
        hint = " (use numpy.array(...) for several numbers)" if isinstance(x, (list, tuple)) else ""
        raise TypeError(
            f"Value{_for(label)} needs a real number or a numpy array, "
            f"got {type(x).__name__} {clip(repr(x))}{hint}"
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
            f"Value{_for(label)} got {clip(repr(x))}: too large for a 64-bit float"
        ) from None
    if f - f != 0.0:
        raise ValueError(
            f"Value{_for(label)} got {f}: graphgrad takes finite numbers only "
            "(NaN and infinity would spread silently through every gradient)"
        )
    return f


# --- the checked forward rule, for arrays and ops without a float path ----------------

# Ops whose result may overflow without numpy saying so: products done by BLAS
# (on worker threads, whose floating-point flags numpy never sees).  Every other
# op of the table runs under numpy's raising error state, so from finite inputs
# it gives a finite result or raises.
_UNREPORTED_OVERFLOW = frozenset({"matmul", "affine"})


def general_forward(op: Op, inputs: tuple[Value, ...], params: Mapping[str, Any]) -> Data:
    """An op's forward rule on any data (arrays, or ops without a float path), checked."""
    datas = [x.data for x in inputs]
    for d in datas:
        if type(d) is not np.ndarray and type(d) is not float:
            _bad_data(inputs)
    token = enter_raising()
    try:
        data = op.evaluate(*datas, **params)
    except (ArithmeticError, ValueError) as exc:
        raise forward_error(op, inputs, exc) from None
    except TypeError as exc:
        if op.builtin and not op.params:
            raise
        if op.builtin:  # a parameter of the wrong kind (axis=1.0): say which node
            raise TypeError(f"{op.name} of {_of(inputs)}: {exc}") from None
        raise TypeError(f"the forward rule of {op.name} failed on {_of(inputs)}: {exc}") from None
    finally:
        leave_raising(token)
    if type(data) is np.ndarray:  # evaluate made a 0-d result a float
        if data.dtype.char != "d":
            if data.dtype.kind not in "iuf":
                raise TypeError(
                    f"the forward rule of {op.name} gave an array of dtype {data.dtype}"
                )
            data = data.astype(np.float64)
        if not op.builtin:
            _check_elementwise_shape(op, inputs, data.shape)
        if (not op.builtin or op.name in _UNREPORTED_OVERFLOW) and not np.isfinite(data).all():
            bad = data[~np.isfinite(data)]
            raise forward_error(op, inputs, not_finite(float(bad.flat[0])))
        result: Array = data
        return result
    if isinstance(data, (float, int, np.floating, np.integer, np.ndarray)):
        if not op.builtin:
            _check_elementwise_shape(op, inputs, ())
        number = float(data)
        if number - number != 0.0:
            raise forward_error(op, inputs, not_finite(number))
        return number
    raise TypeError(
        f"the forward rule of {op.name} gave {type(data).__name__}, not a number or array"
    )


def _check_elementwise_shape(op: Op, inputs: tuple[Value, ...], shape: tuple[int, ...]) -> None:
    """A user's op works element by element (its derivatives are local ones), so its
    output has its inputs' broadcast shape; anything else would hand its inputs
    gradients of the wrong shape."""
    shapes = [x.shape for x in inputs]
    try:
        expected = np.broadcast_shapes(*shapes)
    except ValueError:
        expected = None
    if shape != expected:
        wanted = "" if expected is None else f" {expected}"
        raise ValueError(
            f"the forward rule of {op.name} gave shape {shape} for {_of(inputs)}: an op made "
            "with define_op works element by element, so its output must have its inputs' "
            f"broadcast shape{wanted}"
        )


def _bad_data(inputs: tuple[Value, ...]) -> None:
    for x in inputs:
        d = x.data
        if type(d) is not float and type(d) is not np.ndarray:
            raise TypeError(
                f"the data of {describe(x)} is {type(d).__name__} {clip(repr(d))}: "
                "a node holds a float or a float64 numpy array (assign e.g. 5.0, not 5)"
            )


# --- messages ---------------------------------------------------------------------------


def forward_error(op: Op, inputs: tuple[Value, ...], exc: BaseException) -> BaseException:
    """The error of an op that failed on ``inputs``, naming the op, the nodes and why."""
    return error_like(
        exc, f"{op.name} of {_of(inputs)}: {op.why(exc, tuple(x.data for x in inputs))}"
    )


def _of(inputs: tuple[Value, ...]) -> str:
    return " and ".join(describe(x) for x in inputs)


def _short(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array(shape={x.shape})"
    return repr(x)  # a number, or a Value (a gradient from create_graph=True)


def _for(label: str | None) -> str:
    return "" if label is None else f" {clip(repr(label))}"
