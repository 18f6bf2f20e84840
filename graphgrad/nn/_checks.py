"""Argument checks shared by the nn models: each error names the argument at fault."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def _kind(x: object) -> str:
    return type(x).__name__


def check_positive(number: object, name: str) -> float:
    """A positive, finite real number (not a bool), as a float."""
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {_kind(number)} {number!r}")
    value = float(number)
    if not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be a positive finite number, got {number!r}")
    return value


def check_lr(lr: object, name: str = "lr") -> float:
    """A learning rate: a positive, finite real number (not a bool)."""
    return check_positive(lr, name)


def check_epochs(epochs: object, name: str = "epochs") -> int:
    """A number of steps: a positive int (not a bool, not a float like 10.0)."""
    if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {_kind(epochs)} {epochs!r}")
    value = int(epochs)
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def check_progress(progress: object) -> bool | None:
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {_kind(progress)} {progress!r}")
    return progress


def _as_real_array(x: object, name: str) -> npt.NDArray[Any]:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {_kind(x)}")
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    return array


def check_X(X: object, n_features: int | None = None, name: str = "X") -> Array:
    """X of shape (m, nx): one row per example, as scikit-learn; a float64 copy."""
    array = _as_real_array(X, name)
    if array.ndim != 2:
        hint = ""
        if array.ndim == 1:
            hint = " (for one feature use X.reshape(-1, 1); for one example, X.reshape(1, -1))"
        raise ValueError(
            f"{name} must be 2-D with shape (m examples, nx features), "
            f"got {array.ndim}-D shape {array.shape}{hint}"
        )
    m, nx = array.shape
    if m == 0:
        raise ValueError(f"{name} is empty: it has no examples (shape {array.shape})")
    if nx == 0:
        raise ValueError(f"{name} has no features (shape {array.shape})")
    if n_features is not None and nx != n_features:
        raise ValueError(
            f"{name} has {nx} features but the model was fitted with {n_features} "
            f"(shape {array.shape})"
        )
    data = np.array(array, dtype=np.float64)
    if not np.isfinite(data).all():
        row, col = np.argwhere(~np.isfinite(data))[0]
        raise ValueError(
            f"{name} must hold finite numbers; {name}[{row}, {col}] is {data[row, col]}"
        )
    return data


def check_example(x: object, n_features: int, name: str = "x") -> Array:
    """One example: a 1-D sequence of n_features finite numbers; a float64 copy."""
    array = np.asarray(x) if not isinstance(x, (str, bytes)) else x
    if np.ndim(array) != 1:
        raise ValueError(
            f"{name} must be one example: a 1-D sequence of nx numbers, got {x!r}"[:300]
        )
    row: Array = check_X(np.reshape(array, (1, -1)), n_features, name)[0]
    return row


def count_mismatch(name: str, what: str, count: int, m: int, nx: int | None) -> ValueError:
    """The error for ``count`` labels or targets given for m examples of nx features.

    When there is one per feature, X was most likely passed in the notes'
    layout (one example per column): the error says so.
    """
    hint = ""
    if nx is not None and count == nx:
        hint = " (X is (m, nx) here; for the notes' (nx, m) layout pass X.T)"
    return ValueError(f"{name} has {count} {what} but X has {m} examples{hint}")


def check_y(y: object, m: int, name: str = "y", nx: int | None = None) -> Array:
    """Targets: one finite number per example, shape (m,); a float64 copy.  ``nx``,
    the number of features, lets an error spot X given transposed."""
    array = _as_real_array(y, name)
    if array.ndim != 1:
        hint = " (use y.ravel())" if array.ndim == 2 and 1 in array.shape else ""
        raise ValueError(
            f"{name} must be 1-D with one entry per example, got shape {array.shape}{hint}"
        )
    if array.shape[0] != m:
        raise count_mismatch(name, "entries", array.shape[0], m, nx)
    data = np.array(array, dtype=np.float64)
    if not np.isfinite(data).all():
        index = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise ValueError(f"{name} must hold finite numbers; {name}[{index}] is {data[index]}")
    return data


def check_labels(y: object, m: int, name: str = "y", nx: int | None = None) -> Array:
    """Binary labels 0/1 given as ints, floats or bools; returned as 0.0/1.0."""
    data = check_y(y, m, name, nx)
    bad = (data != 0.0) & (data != 1.0)
    if bad.any():
        index = int(np.argwhere(bad)[0, 0])
        raise ValueError(
            f"{name} must hold the labels 0 and 1 only; {name}[{index}] is {data[index]:g}"
        )
    return data
