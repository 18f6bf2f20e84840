"""Gradient checks: central finite differences against the engine's backward().

The notes estimate a derivative by nudging an input by 0.001 and watching the
output move; ``numeric_grad`` does the same from both sides, which is far more
accurate (error O(h^2) instead of O(h)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from graphgrad.functional import hessian
from graphgrad.mode import no_grad
from graphgrad.value import Data, Value, as_data


class GradcheckError(AssertionError):
    """backward() and finite differences disagree; the message names the input."""


def _call(f: Callable[..., Any], datas: list[Data]) -> float:
    out = f(*(Value(d) for d in datas))
    if isinstance(out, Value):
        out = out.data
    if not isinstance(out, float):
        raise ValueError(
            f"the checked function must return a scalar Value, got {type(out).__name__}"
        )
    return out


def _check_step(h: float) -> None:
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not 0.0 < h < math.inf:
        raise ValueError(f"h must be a positive finite number, got {h!r}")


def numeric_grad(f: Callable[..., Any], *xs: float | Data, h: float = 1e-6) -> tuple[Data, ...]:
    """Central-difference estimates of df/dx for each x in ``xs``.

    ``f`` takes one Value per x and returns a scalar Value.  Each estimate is
    (f(x + h) - f(x - h)) / 2h, one input (or array element) nudged at a time.

    >>> numeric_grad(lambda x: x ** 3, 2.0)  # d(x^3)/dx = 3x^2 = 12
    (12.000000000...,)
    """
    _check_step(h)
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    datas = [as_data(x) for x in xs]
    estimates: list[Data] = []
    with no_grad():
        for i, x in enumerate(datas):
            if isinstance(x, float):
                estimates.append(_difference(f, datas, i, None, h))
            else:
                grad = np.empty_like(x)
                for index in np.ndindex(x.shape):
                    grad[index] = _difference(f, datas, i, index, h)
                estimates.append(grad)
    return tuple(estimates)


def _difference(
    f: Callable[..., Any], datas: list[Data], i: int, index: tuple[int, ...] | None, h: float
) -> float:
    def shifted(delta: float) -> float:
        moved = list(datas)
        if index is None:
            moved[i] = datas[i] + delta
        else:
            array = np.array(datas[i], copy=True)
            array[index] += delta
            moved[i] = array
        return _call(f, moved)

    return (shifted(h) - shifted(-h)) / (2.0 * h)


def analytic_grad(f: Callable[..., Any], *xs: float | Data) -> tuple[Data, ...]:
    """The gradients backward() gives for f at ``xs``, one per input."""
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise ValueError(f"the checked function must return a Value, got {type(out).__name__}")
    out.backward()
    return tuple(
        x.grad
        if not isinstance(x.data, np.ndarray) or isinstance(x.grad, np.ndarray)
        else np.zeros_like(x.data)
        for x in inputs
    )


def gradcheck(
    f: Callable[..., Any],
    *xs: float | Data,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    h: float = 1e-6,
) -> bool:
    """True when backward() matches central differences at ``xs``.

    Otherwise raises GradcheckError naming the input with the worst mismatch
    and both numbers.  An element passes when |analytic - numeric| <= atol +
    rtol * |numeric|.

    >>> gradcheck(lambda a, b, c: 3 * (a + b * c), 5.0, 3.0, 2.0)
    True
    """
    analytic = analytic_grad(f, *xs)
    numeric = numeric_grad(f, *xs, h=h)
    worst: tuple[float, int, Any, float, float] | None = None
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        a_arr, n_arr = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(n, dtype=float))
        excess = np.abs(a_arr - n_arr) / (atol + rtol * np.abs(n_arr))
        if excess.size == 0:
            continue  # an empty array has no element whose gradient could be wrong
        k = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
        score = float(excess[k])
        if worst is None or score > worst[0]:
            worst = (score, i, k, float(a_arr[k]), float(n_arr[k]))
    if worst is not None and worst[0] > 1.0:
        _, i, k, a_val, n_val = worst
        where = f"input {i}" + (f" at index {tuple(int(j) for j in k)}" if k else "")
        raise GradcheckError(
            f"gradient mismatch at {where} (x={_element(xs[i], k)!r}): backward() gave "
            f"{a_val!r}, central differences gave {n_val!r} "
            f"(difference {abs(a_val - n_val):.3g}, allowed {atol + rtol * abs(n_val):.3g})"
        )
    return True


def _element(x: Any, index: Any) -> float:
    return float(np.asarray(x, dtype=float)[index]) if index else float(x)


def gradgradcheck(
    f: Callable[..., Any],
    *xs: float | Data,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    h: float = 1e-6,
) -> bool:
    """True when second derivatives match central differences of first derivatives.

    The second derivatives d²f/(dx_i dx_j) come from ``backward(create_graph=True)``
    (through ``graphgrad.hessian``); the reference nudges each input element by
    ±h and differences the first derivatives that ``backward()`` gives there.
    Otherwise raises GradcheckError naming the pair of inputs with the worst
    mismatch and both numbers.  An entry passes when |analytic - numeric| <=
    atol + rtol * |numeric|.

    >>> gradgradcheck(lambda x, y: x ** 3 * y.exp(), 2.0, 0.5)
    True
    """
    _check_step(h)
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not xs:
        raise ValueError("gradgradcheck needs at least one input to differentiate")
    datas = [as_data(x) for x in xs]
    analytic = hessian(f, argnums=tuple(range(len(datas))))(*datas)
    numeric = _numeric_hessian(f, datas, h)
    worst: tuple[float, int, Any, int, Any, float, float] | None = None
    for i, row in enumerate(analytic):
        for j, block in enumerate(row):
            a_arr = np.asarray(block, dtype=float)
            n_arr = numeric[i][j]
            excess = np.abs(a_arr - n_arr) / (atol + rtol * np.abs(n_arr))
            if excess.size == 0:
                continue  # an empty input: no second derivative to check
            at = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
            score = float(excess[at])
            if worst is None or score > worst[0]:
                split = len(np.shape(datas[i]))
                worst = (score, i, at[:split], j, at[split:], float(a_arr[at]), float(n_arr[at]))
    if worst is not None and worst[0] > 1.0:
        _, i, ki, j, kj, a_val, n_val = worst
        location = f"{_where(i, ki)}={_element(xs[i], ki)!r}"
        if (i, tuple(ki)) != (j, tuple(kj)):
            location += f", {_where(j, kj)}={_element(xs[j], kj)!r}"
        raise GradcheckError(
            f"second-derivative mismatch at d²f/(d{_where(i, ki)} d{_where(j, kj)}) ({location}): "
            f"backward(create_graph=True) gave {a_val!r}, central differences of first "
            f"derivatives gave {n_val!r} (difference {abs(a_val - n_val):.3g}, "
            f"allowed {atol + rtol * abs(n_val):.3g})"
        )
    return True


def _where(i: int, index: Any) -> str:
    return f"x{i}" + (f"[{', '.join(str(int(k)) for k in index)}]" if index else "")


def _numeric_hessian(f: Callable[..., Any], datas: list[Data], h: float) -> list[list[Any]]:
    """numeric[i][j][k_i + k_j]: the change of df/dx_i[k_i] per unit of x_j[k_j]."""
    shapes = [np.shape(x) for x in datas]
    numeric = [[np.zeros(si + sj) for sj in shapes] for si in shapes]
    for j in range(len(datas)):
        for index in np.ndindex(shapes[j]):
            plus = analytic_grad(f, *_nudged(datas, j, index, h))
            minus = analytic_grad(f, *_nudged(datas, j, index, -h))
            column = (Ellipsis, *index)  # d/dx_j[index] of every first derivative
            for i in range(len(datas)):
                difference = (np.asarray(plus[i]) - np.asarray(minus[i])) / (2.0 * h)
                numeric[i][j][column] = difference
    return numeric


def _nudged(datas: list[Data], j: int, index: tuple[int, ...], delta: float) -> list[Data]:
    """datas with element ``index`` of input j moved by delta."""
    moved = list(datas)
    if index:
        array = np.array(datas[j], copy=True)
        array[index] += delta
        moved[j] = array
    else:
        moved[j] = datas[j] + delta
    return moved
