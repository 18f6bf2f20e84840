"""Numbers that fail loudly: numpy's raising error state, and how failures are worded.

graphgrad computes on finite float64 numbers only.  A float operation that
overflows or has no answer raises in Python (``math.exp(1000)``,
``1.0 / 0.0``); numpy would only warn and return inf or NaN.  So array work
runs under numpy's *raising* error state (:func:`raising`), in the thread
that does it, and every failure, of floats or of arrays, is said in the same
words (:func:`reason`, :func:`error_like`) by whoever names the node.

This module imports nothing of graphgrad.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class DomainError(ValueError):
    """An op was applied where it is not defined (log of a negative number, ...)."""


class BadIndexError(DomainError, IndexError):
    """An index outside a node's shape (``z[5]`` of 3 elements).

    Also an IndexError, so that iterating over a Value stops at its end, as
    iterating over a numpy array does.
    """


# --- numpy's raising error state ------------------------------------------------------------

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
# A cache of values derived from numpy's own states, bounded below: no call's
# or thread's state lives here.
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


# --- failures in words ----------------------------------------------------------------------


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


def describe_data(data: Any) -> str:
    """How a message names a number or an array it is about."""
    if isinstance(data, np.ndarray):
        return f"an array of shape {data.shape}"
    return f"the number {data!r}"


def clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters (the end marked ...), for one-line messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
