"""Value: a node of a computation graph.

A Value holds its data (a float or a float64 array), its gradient and the
inputs it was made from.  Its operators and methods are the op table's
entries (``graphgrad.ops``); each entry's ``apply`` function, which makes a
node, is written here from the entry when the op is first used.
``backward()`` orders the graph (here, in the node's own slots) and runs the
steps of ``graphgrad.backward``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import numpy as np
import numpy.typing as npt

from graphgrad import ops
from graphgrad.backward import compile_step
from graphgrad.backward import run as run_backward
from graphgrad.backward import run_with_graph as run_backward_with_graph
from graphgrad.graph import describe
from graphgrad.mode import recording, transforms
from graphgrad.ops import Op, Operand, enter_raising, error_like, leave_raising, not_finite
from graphgrad.symbolic import Sym, input_names, to_source

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
        return node  # type: ignore[no-any-return]

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
        frames = transforms()
        if frames and self.requires_grad:
            inside = _transform_reached(self, frames)
            if inside is not None:
                raise TypeError(
                    f"float() of {describe(self)} inside {inside}() would drop the graph, so "
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
        return ops.EXP.apply(self)  # type: ignore[no-any-return]

    def log(self) -> Value:
        """The natural logarithm; ValueError unless every element is positive."""
        return ops.LOG.apply(self)  # type: ignore[no-any-return]

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x), computed without overflow; its derivative is σ(1 − σ)."""
        return ops.SIGMOID.apply(self)  # type: ignore[no-any-return]

    def tanh(self) -> Value:
        """The hyperbolic tangent; its derivative is 1 − tanh²."""
        return ops.TANH.apply(self)  # type: ignore[no-any-return]

    def relu(self) -> Value:
        """max(x, 0); its derivative is 1 where x > 0, else 0."""
        return ops.RELU.apply(self)  # type: ignore[no-any-return]

    def softplus(self) -> Value:
        """log(1 + e^x), computed without overflow; its derivative is sigmoid(x)."""
        return ops.SOFTPLUS.apply(self)  # type: ignore[no-any-return]

    def step(self) -> Value:
        """1 where data > 0, else 0 (the derivative of relu); its own derivative is 0."""
        return ops.STEP.apply(self)  # type: ignore[no-any-return]

    def xlogy(self, y: Operand_) -> Value:
        """self·log(y), and exactly 0 where self is 0 (so 0·log 0 = 0): cross-entropy's term."""
        return Value.apply_op(ops.XLOGY, (self, y), {})

    def scaled_pow(self, k: Operand_, e: Operand_) -> Value:
        """k·self**e, and exactly 0 where k is 0: the derivatives of ``**`` at every order."""
        return Value.apply_op(ops.SCALED_POW, (self, k, e), {})

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """The sum of all elements (a scalar node), or over ``axis`` as numpy's sum."""
        if axis is None and not keepdims:
            return ops.SUM.apply(self)  # type: ignore[no-any-return]
        return ops.SUM.apply(self, axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """The mean of all elements (a scalar node), or over ``axis`` as numpy's mean."""
        if axis is None and not keepdims:
            return ops.MEAN.apply(self)  # type: ignore[no-any-return]
        return ops.MEAN.apply(self, axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def affine(self, w: Operand_, b: Operand_) -> Value:
        """``self @ w + b`` as one node: a layer's Z = X W + b for all m examples.

        The same numbers and gradients as the three-op expression (b's gradient
        summed over the rows it was added to), one node instead of two.
        """
        return Value.apply_op(ops.AFFINE, (self, w, b), {})

    def outer(self, other: Operand_) -> Value:
        """The outer product of two 1-D array nodes: shape (n,) and (k,) give (n, k)."""
        return Value.apply_op(ops.OUTER, (self, other), {})

    @property
    def T(self) -> Value:
        """The transpose of a 2-D array node (1-D and scalar nodes are their own)."""
        return ops.TRANSPOSE.apply(self)  # type: ignore[no-any-return]

    def reshape(self, *shape: int | Sequence[int]) -> Value:
        """The same elements in another shape, as numpy's reshape (-1 for one inferred size)."""
        first = shape[0] if len(shape) == 1 else None
        if first is not None and not isinstance(first, (int, np.integer)):
            target = tuple(int(n) for n in first)
        else:
            target = tuple(int(n) for n in shape)  # type: ignore[arg-type]
        return ops.RESHAPE.apply(self, shape=target)  # type: ignore[no-any-return]

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """The largest element (a scalar node), or the largest over ``axis`` as numpy's max.

        Its gradient goes to the largest element; k tied ones get 1/k of it
        each, as PyTorch's ``amax`` does.
        """
        return ops.MAX.apply(self, axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """log Σ e^x over all elements or over ``axis``, computed without overflow.

        Its gradient is the softmax of the elements; the log-softmax of logits
        z over classes is ``z - z.logsumexp(axis=1, keepdims=True)``.
        """
        return ops.LOGSUMEXP.apply(  # type: ignore[no-any-return]
            self, axis=axis, keepdims=keepdims
        )

    def __getitem__(self, index: Any) -> Value:
        """Indexing and slicing as numpy's: ``z[:, 0]``, ``z[i]``, ``z[rows, labels]``.

        The index is kept with the node; the gradient goes back to the elements
        picked (twice to one picked twice).  BadIndexError (an IndexError)
        names the node when the index is outside its shape.
        """
        if type(self.data) is float:
            raise TypeError(f"cannot index {describe(self)}: it holds a number, not an array")
        return ops.GETITEM.apply(self, index=ops.check_index(index))  # type: ignore[no-any-return]

    def scatter(self, shape: Sequence[int], index: Any) -> Value:
        """Zeros of ``shape`` with this node's elements added at ``index``: the
        gradient of indexing (``x[index]``), an op so that it can be differentiated."""
        target = tuple(int(n) for n in shape)
        return ops.SCATTER.apply(  # type: ignore[no-any-return]
            self, shape=target, index=ops.check_index(index)
        )

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
        # The order is found afresh at every call (no cache on the node): a graph
        # is usually differentiated once, and a node then costs no extra slot.
        below, leaves, seeded = order_below_and_reset(self)
        if seeded:
            # self is a gradient from backward(create_graph=True): every node of
            # the graph it was derived from gets its new derivative, 0.0 where
            # self does not depend on it, never a stale gradient.
            for seed in leaves:
                if type(seed) is GradientSeed:
                    for node in seed.graph:
                        node.grad = 0.0
        if create_graph:
            seed = GradientSeed(1.0)
            seed.graph = [*leaves, *below, self]
            run_backward_with_graph(self, below, seed)
        else:
            run_backward(self, below, leaves)

    def zero_grad(self) -> None:
        """Set the gradient of this node and of every node it depends on to 0."""
        order_below_and_reset(self)


class GradientSeed(Value):
    """dJ/dJ = 1 at the start of ``backward(create_graph=True)``.

    Every gradient that pass makes depends on it, which is how a later
    ``backward()`` of such a gradient finds the graph it came from (``graph``).
    """

    __slots__ = ("graph",)

    graph: list[Value]


def order_below_and_reset(root: Value) -> tuple[list[Value], list[Value], bool]:
    """What backward() visits below root: the nodes made by ops that root depends
    on, inputs first, without root itself; the leaves it depends on that take
    a gradient; and whether a GradientSeed is among them.  Every grad among them,
    and root's, is set to 0.

    A depth-first walk.  Constants (``requires_grad=False``) take no gradient
    and are never visited or written to, so threads may share them; leaves are
    collected as they are met, never pushed.  The visited marks live in the grad
    slots the walk resets anyway, instead of in a dict: ``opened`` while a node's
    inputs are being ordered, then ``zero``, a 0.0 of this walk's own, so that
    no second pass is needed to reset them.  Both are new objects at every
    call, so marks left by an interrupted walk can never be mistaken for this
    one's.
    """
    opened = object()
    zero = float(0)  # a new float object, not the shared constant 0.0
    order: list[Value] = []
    leaves: list[Value] = []
    seeded = False
    stack = [root]
    while stack:
        node = stack.pop()
        mark = node.grad
        if mark is opened:
            node.grad = zero  # all of its inputs are in order
            order.append(node)
            continue
        if mark is zero:
            continue  # a copy pushed before the node was expanded
        node.grad = opened
        stack.append(node)  # popped again, to be emitted, after its inputs
        for child in node.inputs:
            if child.requires_grad:
                mark = child.grad
                if mark is not zero and mark is not opened:
                    if child.inputs:
                        stack.append(child)
                    else:
                        child.grad = zero
                        leaves.append(child)
                        if type(child) is GradientSeed:
                            seeded = True
    order.pop()  # root, which comes last
    root.grad = 0.0
    return order, leaves, seeded


def _transform_reached(node: Value, frames: tuple[tuple[str, tuple[Any, ...]], ...]) -> str | None:
    """The innermost transform whose inputs ``node`` depends on, or None."""
    owner = {id(x): name for name, inputs in frames for x in inputs}
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in owner:
            return owner[id(n)]
        for child in n.inputs:
            if child.requires_grad and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return None


# --- numbers and arrays as data -----------------------------------------------------------

_new = object.__new__


def lift(x: object) -> Value | None:
    """A Value for an op's operand: x itself, a constant leaf for a number or
    array, or None for a type ops do not take."""
    kind = type(x)
    if kind is float or kind is int:
        try:
            data: Data = float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(
                f"cannot use {_clip(repr(x))}: too large for a 64-bit float"
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


def as_data(x: object, label: str | None = None) -> Data:
    """Check and convert what a user gives as a node's data: a float or float array."""
    if type(x) is float and x - x == 0.0:
        return x  # the common case, without the checks below
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


# --- applying ops: each op's apply function, written from its table entry -----------------

# The one place a node of an op is made.  ``{...}`` fields are filled from the
# table entry (never from user input).  The float path computes the forward
# rule inline (``(xd + yd)`` for add); arrays, ops that are not elementwise
# and ops with parameters take general_forward.
_APPLY_TEMPLATE = """\
def apply_{name}({signature}):
{lift}
{compute}
    out = new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if ({any_requires_grad}) and recording():
        out.operation = {op}
        out.inputs = ({inputs_tuple})
        out.requires_grad = True
    else:
        out.operation = None
        out.inputs = ()
        out.requires_grad = False
    return out
"""

_FLOAT_PATH = """\
    if {all_floats}:
        try:
            data = {forward}
            if data - data != 0.0:
                raise not_finite(data)
        except (ArithmeticError, ValueError) as exc:
            raise forward_error(op, ({inputs_tuple}), exc) from None
    else:
        data = general_forward(op, ({inputs_tuple}), {params})"""

_LIFT = """\
    if type({x}) is not Value:
        {x} = lift({x})
        if {x} is None:
            return NotImplemented"""

# The prologue of an op's function (see compile_function): anything but Values
# goes to the op itself, which computes numbers and arrays, or formulas.
_NOT_ALL_VALUES = """\
    if {any_other}:
        return op({inputs})"""


def float_forward_source(op: Op, datas: list[str], namespace: dict[str, Any]) -> str | None:
    """The source of op's forward rule on the floats named ``datas``, or None."""
    if not op.elementwise or op.param_names:
        return None
    try:
        return to_source(op(*(Sym(d) for d in datas)), namespace)
    except TypeError:
        return None


def compile_function(op: Op) -> Callable[..., Any]:
    """The op as a fast function: Values give a node in one call (the compiled
    apply, inlined), anything else goes to ``op(...)`` (floats, arrays, symbols)."""
    function = compile_apply(op, as_function=True)
    function.op = op  # type: ignore[attr-defined]
    function.__doc__ = f"The op {op.name!r} (``graphgrad.ops.OPS[{op.name!r}]``) as a function."
    return function


def compile_apply(op: Op, reflected: bool = False, as_function: bool = False) -> Callable[..., Any]:
    """Write and compile the function that makes a node of ``op`` from its inputs.

    ``reflected``: the function takes a binary op's inputs in the other order,
    to serve as a reflected operator (``Value.__rmul__(v, 3)`` is 3 * v).
    ``as_function``: see compile_function.
    """
    names = input_names(op.arity)
    datas = [f"{n}d" for n in names]
    namespace: dict[str, Any] = {
        "op": op,
        "Value": Value,
        "new": _new,
        "lift": lift,
        "recording": recording,
        "not_finite": not_finite,
        "forward_error": forward_error,
        "general_forward": general_forward,
    }
    params = "params" if op.param_names else "{}"
    inputs_tuple = ", ".join(names) + ("," if len(names) == 1 else "")
    forward = float_forward_source(op, datas, namespace)
    if forward is None:
        compute = f"    data = general_forward(op, ({inputs_tuple}), {params})"
    else:
        loads = "\n".join(f"    {d} = {n}.data" for d, n in zip(datas, names, strict=True))
        compute = (
            loads
            + "\n"
            + _FLOAT_PATH.format(
                all_floats=" and ".join(f"type({d}) is float" for d in datas),
                forward=forward,
                inputs_tuple=inputs_tuple,
                params=params,
            )
        )
    if as_function:
        prologue = _NOT_ALL_VALUES.format(
            any_other=" or ".join(f"type({n}) is not Value" for n in names),
            inputs=", ".join(names) + (", **params" if op.param_names else ""),
        )
    else:
        prologue = "\n".join(_LIFT.format(x=n) for n in names)
    suffix = "_reflected" if reflected else "_function" if as_function else ""
    source = _APPLY_TEMPLATE.format(
        name=op.name + suffix,
        signature=", ".join(names[::-1] if reflected else names)
        + (", **params" if op.param_names else ""),
        lift=prologue,
        compute=compute,
        any_requires_grad=" or ".join(f"{n}.requires_grad" for n in names),
        op="op.bind(params)" if op.param_names else "op",
        inputs_tuple=inputs_tuple,
    )
    exec(compile(source, f"<apply {op.name}>", "exec"), namespace)
    apply: Callable[..., Value] = namespace[f"apply_{op.name}{suffix}"]
    apply.__doc__ = source  # what runs, for a curious reader: print(ops.MUL.apply.__doc__)
    return apply


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
        if (not op.builtin or op.name in _UNREPORTED_OVERFLOW) and not np.isfinite(data).all():
            bad = data[~np.isfinite(data)]
            raise forward_error(op, inputs, not_finite(float(bad.flat[0])))
        result: Array = data
        return result
    if isinstance(data, (float, int, np.floating, np.integer, np.ndarray)):
        number = float(data)
        if number - number != 0.0:
            raise forward_error(op, inputs, not_finite(number))
        return number
    raise TypeError(
        f"the forward rule of {op.name} gave {type(data).__name__}, not a number or array"
    )


def _bad_data(inputs: tuple[Value, ...]) -> None:
    for x in inputs:
        d = x.data
        if type(d) is not float and type(d) is not np.ndarray:
            raise TypeError(
                f"the data of {describe(x)} is {type(d).__name__} {_clip(repr(d))}: "
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


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _for(label: str | None) -> str:
    return "" if label is None else f" {_clip(repr(label))}"


# --- installing the engine in the table ---------------------------------------------------


def install(op: Op) -> None:
    """Give ``op`` its apply function and backward step, each compiled on first use,
    and make its operators (``op.operators``) Value's.

    Compiling lazily keeps ``import graphgrad`` quick and lets a user's rules
    name ops defined after them (sin's derivative cos, cos's -sin).  An
    operator is the compiled apply function itself, not a method that calls
    it: ``b * c`` costs one Python call, not two.
    """

    def first_apply(*args: Any, **params: Any) -> Value:
        _compile(op)
        return op.apply(*args, **params)  # type: ignore[no-any-return]

    def first_step(node: Any) -> Any:
        if op.step is first_step:
            op.step = compile_step(op)
        return op.step(node)

    op.apply = first_apply
    # Only elementwise steps are compiled from rules; the others are ready now
    # (and so are any copies of them with parameters, see Op.bind).
    op.step = first_step if op.elementwise else compile_step(op)
    for index, dunder in enumerate(op.operators):
        setattr(Value, dunder, _first_operator(op, reflected=index == 1))


def _first_operator(op: Op, reflected: bool) -> Callable[..., Value]:
    def operator(self: Value, *other: Any) -> Value:
        _compile(op)
        return getattr(self, op.operators[1 if reflected else 0])(*other)  # type: ignore[no-any-return]

    return operator


def _compile(op: Op) -> None:
    op.apply = compile_apply(op)
    for index, dunder in enumerate(op.operators):
        setattr(Value, dunder, op.apply if index == 0 else compile_apply(op, reflected=True))


for _op in ops.OPS.values():
    install(_op)
