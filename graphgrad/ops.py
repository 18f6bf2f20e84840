"""The op table: the one place where graphgrad's math is written down.

Each entry is an :class:`~graphgrad.op.Op` under its one name: ``mul``,
``sigmoid``, ``sum``, ...  It holds how the op is written (its symbol and
notation), its forward rule (numpy's function, or one of graphgrad.kernels)
and, for every input, its local derivative.  Writing an entry registers it
(``OPS``); everything else reads the entries: ``Value``'s operators and
methods, the compiled forward and backward steps, the formulas on pictures
and in traces, the command line's functions, the gradient checks and the
tests' op lists.

An entry is also a function.  ``exp(2.0)`` is a float, ``exp(array)`` an
array, ``exp(value)`` a new node of the graph, and ``exp(symbol)`` a formula.
The derivative rules are written with these functions and with operators, so
one rule serves every case: it runs on floats in ``backward()``, on arrays
over m examples, on Values for second derivatives (``create_graph=True``) and
on symbols to print its formula or to compile it.  A rule names the entries
it calls by their module names below; they are looked up when the rule runs,
so an entry may call one written after it.

Imports graphgrad.op, graphgrad.kernels and graphgrad.numerics only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphgrad import kernels
from graphgrad.kernels import Data, kept_shape, normalize_axes, ones_like, payload, shape_of
from graphgrad.op import OPS as OPS
from graphgrad.op import Op as Op

# Arithmetic first; then the functions of the notes; then the helpers that the
# derivatives of pow need; then reductions and linear algebra.  Each rule is
# written with ops, so that it can be differentiated again.

add: Op = Op(
    "add",
    lambda a, b: a + b,
    (1.0, 1.0),
    symbol="+",
    notation="infix",
    precedence=10,
    operators=("__add__", "__radd__"),
)
sub: Op = Op(
    "sub",
    lambda a, b: a - b,
    (1.0, -1.0),
    symbol="-",
    notation="infix",
    precedence=10,
    operators=("__sub__", "__rsub__"),
)
mul: Op = Op(
    "mul",
    lambda a, b: a * b,
    (lambda a, b, out: b, lambda a, b, out: a),
    symbol="*",
    notation="infix",
    precedence=20,
    operators=("__mul__", "__rmul__"),
)
div: Op = Op(
    "div",
    lambda a, b: a / b,
    (lambda a, b, out: 1.0 / b, lambda a, b, out: -out / b),
    symbol="/",
    notation="infix",
    precedence=20,
    operators=("__truediv__", "__rtruediv__"),
)
neg: Op = Op(
    "neg",
    lambda x: -x,
    (-1.0,),
    symbol="-",
    notation="prefix",
    precedence=30,
    operators=("__neg__",),
)
pow: Op = Op(  # the op's one name (Python's pow is not used in this module)
    "pow",
    kernels.pow_array,
    (
        lambda a, b, out: scaled_pow(a, b, b - 1.0),  # b·a**(b-1), and 0 where b = 0
        lambda a, b, out: xlogy(out, a),  # a**b · log a, and 0 where a = 0 < b
    ),
    symbol="**",
    notation="infix",
    precedence=40,
    float_forward=kernels.pow_float,
    operators=("__pow__", "__rpow__"),
    explain=kernels.explain_pow,
    needs=("a ≠ 0 when 0 < b < 1", "a > 0 (or a = 0 with b > 0)"),
)
exp: Op = Op("exp", np.exp, (lambda x, out: out,), float_forward=math.exp, method="exp")
log: Op = Op(
    "log",
    kernels.log_array,
    (lambda x, out: 1.0 / x,),
    float_forward=kernels.log_float,
    method="log",
    explain=lambda x: "log needs a positive input",
)
sigmoid: Op = Op(
    "sigmoid",
    kernels.sigmoid_array,
    (lambda x, out: out * (1.0 - out),),
    symbol="σ",
    float_forward=kernels.sigmoid_float,
    method="sigmoid",
)
tanh: Op = Op(
    "tanh", np.tanh, (lambda x, out: 1.0 - out * out,), float_forward=math.tanh, method="tanh"
)
relu: Op = Op(
    "relu",
    kernels.relu_array,
    (lambda x, out: step(x),),
    float_forward=kernels.relu_float,
    method="relu",
)
softplus: Op = Op(
    "softplus",
    kernels.softplus_array,
    (lambda x, out: sigmoid(x),),
    float_forward=kernels.softplus_float,
    method="softplus",
)
step: Op = Op("step", kernels.step_array, (0.0,), float_forward=kernels.step_float, method="step")
# The same value, through which no gradient passes (JAX's stop_gradient): for a
# constant computed from the data, such as the max a softmax is shifted by.
stop_gradient: Op = Op("stop_gradient", kernels.same, (None,), method="stop_gradient")

# The derivatives of pow, and of themselves, at every order.
scaled_pow: Op = Op(
    "scaled_pow",
    kernels.scaled_pow_array,
    (
        lambda x, k, e, out: scaled_pow(x, k * e, e - 1.0),
        lambda x, k, e, out: scaled_pow(x, 1.0, e),
        lambda x, k, e, out: xlogy(out, x),
    ),
    inputs=("x", "k", "e"),
    float_forward=kernels.scaled_pow_float,
    method="scaled_pow",
    shown=lambda x, k, e: k * x**e,
    explain=lambda x, k, e: kernels.explain_pow(x, e),
    needs=("x ≠ 0 when 0 < e < 1", None, "x > 0 (or x = 0 with k·x**e = 0)"),
)
xlogy: Op = Op(
    "xlogy",
    kernels.xlogy_array,
    (lambda x, y, out: log(y), lambda x, y, out: x / y),
    inputs=("x", "y"),
    float_forward=kernels.xlogy_float,
    method="xlogy",
    shown=lambda x, y: x * log(y),
    explain=kernels.explain_xlogy,
    needs=("y > 0", "y > 0"),
)


# --- reductions and linear algebra: vector-Jacobian rules ---------------------------------


def _spread(g: Data, x: Data, axis: Any, keepdims: bool) -> Data:
    """g, the gradient of a reduction of x, spread back over x's shape."""
    if not keepdims and axis is not None and shape_of(x):
        g = reshape(g, shape=kept_shape(x, axis))
    return g * ones_like(x)


sum: Op = Op(  # the op's one name (Python's sum is not used in this module)
    "sum",
    kernels.sum_array,
    (lambda g, x, out, axis=None, keepdims=False: _spread(g, x, axis, keepdims),),
    symbol="Σ",
    elementwise=False,
    method="sum",
    param_names=("axis", "keepdims"),
)
mean: Op = Op(
    "mean",
    kernels.mean_array,
    # g / count first: one pass over the array instead of two, and the same numbers.
    (
        lambda g, x, out, axis=None, keepdims=False: (
            _spread(g / kernels.count(x, axis), x, axis, keepdims)
        ),
    ),
    elementwise=False,
    method="mean",
    param_names=("axis", "keepdims"),
)


def _ndims(x: Data, y: Data) -> tuple[int, int]:
    if type(x) is np.ndarray and type(y) is np.ndarray:
        return x.ndim, y.ndim
    return len(shape_of(x)), len(shape_of(y))


# ``.T`` is the transpose op on Values and symbols, and a view on arrays.


def _matmul_vjp_left(g: Data, x: Data, y: Data) -> Data:
    xn, yn = _ndims(x, y)
    if xn == 1 and yn == 1:
        return g * y
    if xn == 2 and yn == 1:
        return outer(g, y)
    if xn == 1:
        return matmul(y, g)
    return matmul(g, y.T)


def _matmul_vjp_right(g: Data, x: Data, y: Data) -> Data:
    xn, yn = _ndims(x, y)
    if xn == 1 and yn == 1:
        return g * x
    if xn == 2 and yn == 1:
        return matmul(g, x)
    if xn == 1:
        return outer(x, g)
    return matmul(x.T, g)


matmul: Op = Op(
    "matmul",
    kernels.matmul_array,
    (
        lambda g, x, y, out: _matmul_vjp_left(g, x, y),
        lambda g, x, y, out: _matmul_vjp_right(g, x, y),
    ),
    symbol="@",
    notation="infix",
    precedence=20,
    elementwise=False,
    operators=("__matmul__", "__rmatmul__"),
)
outer: Op = Op(
    "outer",
    kernels.outer_array,
    (lambda g, x, y, out: matmul(g, y), lambda g, x, y, out: matmul(x, g)),
    elementwise=False,
    method="outer",
)
transpose: Op = Op(
    "transpose",
    kernels.transpose_array,
    (lambda g, x, out: transpose(g),),
    symbol="ᵀ",
    notation="postfix",
    elementwise=False,
    method="T",
)
reshape: Op = Op(
    "reshape",
    kernels.reshape_array,
    (lambda g, x, out, shape: reshape(g, shape=shape_of(x)),),
    elementwise=False,
    method="reshape",
    param_names=("shape",),
)


def _product_part(g: Data, x: Data, w: Data) -> Data:
    """The share of affine's gradient that goes through x @ w: g summed back over
    the axes a bias of a larger shape broadcast the product to."""
    return kernels.sum_to(g, kernels.matmul_shape(x, w))


affine: Op = Op(
    "affine",
    kernels.affine_array,
    # x @ w's two rules, and b's share is g itself (summed over the rows it broadcast to).
    (
        lambda g, x, w, b, out: _matmul_vjp_left(_product_part(g, x, w), x, w),
        lambda g, x, w, b, out: _matmul_vjp_right(_product_part(g, x, w), x, w),
        lambda g, x, w, b, out: g,
    ),
    inputs=("x", "w", "b"),
    elementwise=False,
    method="affine",
    shown=lambda x, w, b: x @ w + b,
)


def _max_share(x: Data, out: Data, axis: Any) -> Data:
    """Which elements of x are the max, each as its share of the gradient: 1 for the
    one max, 1/k each for k tied ones (as PyTorch's amax).  A constant of the data."""
    xd = payload(x)
    if not isinstance(xd, np.ndarray):
        return 1.0
    top = np.reshape(payload(out), kept_shape(xd, axis))
    hit = (xd == top).astype(np.float64)
    return hit / np.sum(hit, axis=normalize_axes(axis, xd.ndim), keepdims=True)


max: Op = Op(  # the op's one name (Python's max is not used in this module)
    "max",
    kernels.max_array,
    (
        lambda g, x, out, axis=None, keepdims=False: (
            _spread(g, x, axis, keepdims) * _max_share(x, out, axis)
        ),
    ),
    elementwise=False,
    method="max",
    param_names=("axis", "keepdims"),
)


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
    top = np.max(xd, axis=normalize_axes(axis, xd.ndim), keepdims=True)
    try:
        e = exp(x - top)
    except (OverflowError, FloatingPointError):
        # x - max overflows only for elements whose e^(x - max) is 0, which take
        # no part in the softmax: each is shifted by itself instead (e^0 = 1,
        # exactly), then masked out, so its share and its derivative are 0.
        with np.errstate(over="ignore"):
            far = np.isneginf(xd - top)
        e = exp(x - np.where(far, xd, top)) * np.where(far, 0.0, 1.0)
    return e / sum(e, axis=axis, keepdims=True)


logsumexp: Op = Op(
    "logsumexp",
    kernels.logsumexp_array,
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
getitem: Op = Op(
    "getitem",
    kernels.getitem_array,
    (lambda g, x, out, index: scatter(g, shape=shape_of(x), index=index),),
    symbol="[]",
    notation="index",
    elementwise=False,
    method="__getitem__",
    param_names=("index",),
)
scatter: Op = Op(
    "scatter",
    kernels.scatter_array,
    (lambda g, x, out, shape, index: getitem(g, index=index),),
    elementwise=False,
    method="scatter",
    param_names=("shape", "index"),
)
