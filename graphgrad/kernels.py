"""The forward rules on floats and float64 arrays, and indexing.

Each op of the table (``graphgrad.ops``) names its forward rule here when
numpy's own function will not do: a form that cannot overflow (sigmoid,
softplus, logsumexp), a convention at a point where the plain formula has no
answer (``0·log 0 = 0``), or a check numpy does not make.  Also here: the
helpers the derivative rules use to ask for shapes (they work on data,
Values and symbols alike, through :func:`payload`), the one un-broadcast
:func:`sum_to`, and what an index may hold.

Imports only graphgrad.numerics.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphgrad.numerics import BadIndexError, DomainError

# Data of a node: a Python float or a float64 numpy array.  Rules also receive
# Values or symbols, so they are typed loosely.
Data = Any


# --- shapes, for rules that run on data, Values and symbols ----------------------------------


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


def normalize_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
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
    axes = normalize_axes(axis, len(dims))
    return tuple(1 if i in axes else n for i, n in enumerate(dims))


def count(x: Data, axis: Any) -> int:
    """How many elements of x a reduction over ``axis`` combines into each result."""
    dims = shape_of(x)
    return math.prod(dims[a] for a in normalize_axes(axis, len(dims))) if dims else 1


def matmul_shape(x: Data, y: Data) -> tuple[int, ...]:
    """The shape of x @ y for 1-D or 2-D x and y."""
    xs, ys = shape_of(x), shape_of(y)
    return xs[:-1] + ys[1:] if len(ys) == 2 else xs[:-1]


def sum_to(grad: Any, shape: tuple[int, ...]) -> Any:
    """``grad`` summed over the axes numpy broadcast, back to ``shape``.

    For numbers, arrays and Values alike, in any number of dimensions: arrays
    and Values share ``.sum(axis, keepdims)``, and a Value's sums are nodes, so
    that the result can be differentiated again.
    """
    have = grad.shape if type(grad) is np.ndarray else shape_of(grad)
    if have == shape:
        return grad
    if type(grad) is np.ndarray and len(have) == 2 and shape in (have[1:], (1, have[1])):
        # Rows summed, as for a bias added to every example: a product with ones,
        # several times faster than numpy's sum down a column (the same sum,
        # rounded within its usual bounds).
        summed = _ones(have[0]) @ grad
        return summed if len(shape) == 1 else summed.reshape(shape)
    if not have:  # a number spread over every element
        return grad * np.ones(shape)
    if not shape:
        total = grad.sum()
        return float(total) if isinstance(total, np.generic) else total
    extra = len(have) - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and have[extra + i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# Read-only vectors of ones for sum_to, one per length met (a bounded cache).
_ones_of_length: dict[int, Any] = {}


def _ones(n: int) -> Any:
    ones = _ones_of_length.get(n)
    if ones is None:
        if len(_ones_of_length) > 32:
            _ones_of_length.clear()
        ones = np.ones(n)
        ones.flags.writeable = False
        _ones_of_length[n] = ones
    return ones


# --- forward rules -----------------------------------------------------------------------------


def sigmoid_float(x: float) -> float:
    # Two algebraically equal forms, each used where exp() cannot overflow.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_array(x: Data) -> Data:
    # The same two forms, element by element, in few passes: e^-|x| in place,
    # and one division serves both numerators (1 or e^-|x|).
    en = np.abs(x)
    np.negative(en, out=en)
    np.exp(en, out=en)
    result = np.where(x >= 0.0, 1.0, en)
    np.divide(result, en + 1.0, out=result)
    return result


def softplus_float(x: float) -> float:
    # log(1 + e^x) without overflow: max(x, 0) + log(1 + e^-|x|).
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_array(x: Data) -> Data:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def pow_float(a: float, b: float) -> float:
    result = a**b
    if type(result) is complex:  # a negative number to a fractional power
        raise DomainError("a negative number cannot be raised to a fractional power")
    return result  # type: ignore[no-any-return]


def pow_array(a: Data, b: Data) -> Data:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.power(a, b)  # invalid/divide raise under the engine's error state
    return pow_float(a, b)


def explain_pow(a: Data, b: Data) -> str:
    a_arr, b_arr = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if np.any((a_arr == 0.0) & (b_arr < 0.0)):
        return "zero cannot be raised to a negative power"
    if np.any((a_arr < 0.0) & (b_arr != np.round(b_arr))):
        return "a negative number cannot be raised to a fractional power"
    return "the result is too large for a 64-bit float"


def scaled_pow_float(x: float, k: float, e: float) -> float:
    # k·x**e, and exactly 0 where k is 0: the derivative of x**0 is 0 even at
    # x = 0, where x**-1 does not exist (PyTorch's convention).
    return 0.0 if k == 0.0 else k * pow_float(x, e)


def scaled_pow_array(x: Data, k: Data, e: Data) -> Data:
    if not any(isinstance(d, np.ndarray) for d in (x, k, e)):
        return scaled_pow_float(x, k, e)
    x, k, e = np.broadcast_arrays(*(np.asarray(d, dtype=np.float64) for d in (x, k, e)))
    out = np.zeros(x.shape)
    live = k != 0.0
    out[live] = k[live] * np.power(x[live], e[live])
    return out


def xlogy_float(x: float, y: float) -> float:
    # x·log(y), and exactly 0 where x is 0 (so 0·log 0 is 0, as in SciPy and PyTorch).
    return 0.0 if x == 0.0 else x * log_float(y)


def xlogy_array(x: Data, y: Data) -> Data:
    if not isinstance(x, np.ndarray) and not isinstance(y, np.ndarray):
        return xlogy_float(x, y)
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    out = np.zeros(x.shape)
    live = x != 0.0
    logged = y[live]
    if not (logged > 0.0).all():  # as math.log: a domain error, never a division by zero
        raise DomainError("log needs a positive input")
    out[live] = x[live] * np.log(logged)
    return out


def explain_xlogy(x: Data, y: Data) -> str:
    x_arr, y_arr = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if np.any((x_arr != 0.0) & ~(y_arr > 0.0)):
        return "log needs a positive input"
    return "the result is too large for a 64-bit float"


def log_float(x: float) -> float:
    try:
        return math.log(x)
    except ValueError:  # x <= 0: the same error as for arrays
        raise DomainError("log needs a positive input") from None


def log_array(x: Data) -> Data:
    if not (x > 0.0).all():
        raise DomainError("log needs a positive input")
    return np.log(x)


def relu_float(x: float) -> float:
    return x if x > 0.0 else 0.0


def relu_array(x: Data) -> Data:
    return np.maximum(x, 0.0)


def step_float(x: float) -> float:
    """Heaviside step (1 where x > 0, else 0): the derivative of relu."""
    return 1.0 if x > 0.0 else 0.0


def step_array(x: Data) -> Data:
    return (x > 0.0).astype(np.float64)


def same(x: Data) -> Data:
    """x again (a copy of an array: a node owns its data)."""
    return x.copy() if isinstance(x, np.ndarray) else x


def sum_array(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    if not isinstance(x, np.ndarray):
        if axis not in (None, (), 0, -1) or keepdims:
            raise ValueError("a number has no axes to sum over")
        return x
    # The ufunc itself: np.sum's own Python layer costs more than the sum of a small array.
    axes = None if axis is None else normalize_axes(axis, x.ndim)
    return np.add.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]


def mean_array(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    if not isinstance(x, np.ndarray):
        if axis not in (None, (), 0, -1) or keepdims:
            raise ValueError("a number has no axes to average over")
        return x
    if axis is None and not keepdims and x.size:  # the cost J: the sum, then one division
        return np.add.reduce(x, axis=None) / x.size
    axes = normalize_axes(axis, x.ndim)
    n = math.prod(x.shape[a] for a in axes)
    if n == 0:
        raise ValueError("mean of an empty array")
    # What np.mean computes (the sum, then one division), without its Python layer.
    return np.add.reduce(x, axis=axes, keepdims=keepdims) / n  # type: ignore[call-overload]


def matmul_array(x: Data, y: Data) -> Data:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DomainError("matmul needs arrays; use * to multiply by a number")
    if x.ndim > 2 or y.ndim > 2:
        raise DomainError(f"matmul needs 1-D or 2-D arrays, got shapes {x.shape} and {y.shape}")
    if x.ndim == 2 and y.ndim == 2 and x.shape[1] == 1 and y.shape[0] == 1:
        # An inner dimension of 1 (a gradient through a layer of one unit): each
        # element is one product, exactly what broadcasting gives, several times
        # faster than a matrix product of that shape.
        return np.multiply(x, y)
    return np.matmul(x, y)


def affine_array(x: Data, w: Data, b: Data) -> Data:
    out = matmul_array(x, w)
    if type(out) is not np.ndarray:  # a 1-D x and w: a number
        return out + b
    if np.shape(b) == out.shape[-1:] or np.shape(b) == ():
        out += b  # the product is new: add b in place, one array fewer
        return out
    return out + b  # b broadcasts to a larger shape than x @ w: numpy decides


def outer_array(x: Data, y: Data) -> Data:
    # np.outer would flatten a 2-D input, and its gradient would lose the shape.
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DomainError("outer needs 1-D arrays; use * to multiply by a number")
    if x.ndim != 1 or y.ndim != 1:
        raise DomainError(f"outer needs 1-D arrays, got shapes {x.shape} and {y.shape}")
    return np.outer(x, y)


def transpose_array(x: Data) -> Data:
    return x.T if isinstance(x, np.ndarray) else x  # a number is its own transpose


def reshape_array(x: Data, *, shape: tuple[int, ...]) -> Data:
    target = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return np.reshape(x, target)


def _reduced(x: Data, axis: Any, what: str) -> tuple[int, ...]:
    """The axes a reduction of x runs over; ValueError for an empty one."""
    axes = normalize_axes(axis, x.ndim)
    if x.size == 0 or any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{what} of an empty array")
    return axes


def _number_reduced(x: float, axis: Any, keepdims: bool, what: str) -> float:
    # A number reduces to itself, over no axis (or the one axis 0/-1 numpy allows).
    if axis not in (None, (), 0, -1) or keepdims:
        raise ValueError(f"a number has no axes to take the {what} over")
    return x


def max_array(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    if not isinstance(x, np.ndarray):
        return _number_reduced(x, axis, keepdims, "max")
    return np.max(x, axis=_reduced(x, axis, "max"), keepdims=keepdims)


def logsumexp_array(x: Data, *, axis: Any = None, keepdims: bool = False) -> Data:
    # log Σ e^x = top + log Σ e^(x - top) with top = max x: no term exceeds e^0,
    # so logits of any size give a finite result (terms far below top underflow to 0).
    if not isinstance(x, np.ndarray):
        return _number_reduced(x, axis, keepdims, "logsumexp")
    axes = _reduced(x, axis, "logsumexp")
    top = np.max(x, axis=axes, keepdims=True)
    try:
        shifted = np.subtract(x, top)
    except FloatingPointError:
        # x - top overflows (to -inf) only for terms far below the max, whose
        # e^(x - top) is 0 anyway: logsumexp([-1e308, 1e308]) is 1e308.
        with np.errstate(over="ignore"):
            shifted = np.subtract(x, top)
    np.exp(shifted, out=shifted)
    result = np.sum(shifted, axis=axes, keepdims=True)
    np.log(result, out=result)
    result += top
    return result if keepdims else np.squeeze(result, axis=axes)


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


def getitem_array(x: Data, *, index: Any) -> Data:
    if not isinstance(x, np.ndarray):
        raise TypeError("a number cannot be indexed")
    try:
        result = x[check_index(index)]
    except IndexError as exc:
        raise _index_error(exc) from None
    # A copy, not a view: the node owns its data, as every other node does.
    return result.copy() if isinstance(result, np.ndarray) else result


def scatter_array(x: Data, *, shape: tuple[int, ...], index: Any) -> Data:
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
