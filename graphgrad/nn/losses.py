"""Losses and costs built from Value nodes: the notes' L(a, y) and J(w, b).

Each function only combines existing ops, so every gradient comes from the op
table through ``backward()``; nothing here states a derivative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphgrad.value import Array, Value

Target = Value | float | int | bool | Array


def _target(y: Target, name: str = "y") -> Value:
    """The label or target as a constant leaf labelled ``name``."""
    if isinstance(y, Value):
        return y
    if isinstance(y, (bool, np.bool_)):
        y = float(y)
    return Value(y, label=name)


def binary_cross_entropy(z: Value, y: Target) -> Value:
    """The logistic loss L(a, y) with a = sigmoid(z), computed from the logit z.

    The notes write L = -(y log a + (1 - y) log(1 - a)).  With a = sigmoid(z)
    that equals softplus(z) - y*z, where softplus(z) = log(1 + e^z) is computed
    without overflow, so a prediction of exactly 0 or 1 never gives inf or NaN.
    backward() then gives dL/dz = sigmoid(z) - y = a - y, the notes' dz.

    ``z`` may hold one example (a number) or all m examples (an array); ``y``
    must then have the same shape.

    >>> z = Value(0.0, label="z")
    >>> L = binary_cross_entropy(z, 1)
    >>> round(L.data, 6)  # log 2: a = 0.5 for the right class
    0.693147
    >>> L.backward()
    >>> z.grad  # a - y = 0.5 - 1
    -0.5
    >>> far = Value(-800.0)  # a = sigmoid(-800) rounds to 0: log a would be -inf
    >>> binary_cross_entropy(far, 1).data
    800.0
    """
    if not isinstance(z, Value):
        raise TypeError(f"binary_cross_entropy needs z as a Value, got {type(z).__name__}")
    target = _target(y)
    if target.shape != z.shape:
        raise ValueError(
            f"binary_cross_entropy: y has shape {target.shape} but z has shape {z.shape}"
        )
    labels = np.asarray(target.data)
    if not ((labels == 0.0) | (labels == 1.0)).all():
        raise ValueError("binary_cross_entropy: y must hold the labels 0 and 1 only")
    return logistic_loss(z, target)


def logistic_loss(z: Value, y: Value) -> Value:
    """softplus(z) - y*z without checking y: for callers that validated the labels once.

    The models check y when ``fit`` starts, so each training step skips the
    O(m) check ``binary_cross_entropy`` makes.
    """
    loss = z.softplus() - y * z
    loss.label = "L"
    return loss


def squared_error(prediction: Value, y: Target) -> Value:
    """Half the squared error, (ŷ - y)² / 2, so that dL/dŷ = ŷ - y.

    >>> y_hat = Value(3.0, label="ŷ")
    >>> L = squared_error(y_hat, 1.0)
    >>> L.data
    2.0
    >>> L.backward()
    >>> y_hat.grad
    2.0
    """
    if not isinstance(prediction, Value):
        raise TypeError(
            f"squared_error needs the prediction as a Value, got {type(prediction).__name__}"
        )
    target = _target(y)
    if target.shape != prediction.shape:
        raise ValueError(
            f"squared_error: y has shape {target.shape} "
            f"but the prediction has shape {prediction.shape}"
        )
    loss = 0.5 * (prediction - target) ** 2
    loss.label = "L"
    return loss


def cost(losses: Value | Sequence[Value]) -> Value:
    """The cost J: the mean loss over the m examples.

    Takes one array-valued loss node holding all m examples (the vectorized
    path, one ``mean`` node) or a list of m scalar loss nodes (the scalar path,
    the notes' for-loop: J = (L1 + ... + Lm) / m).

    >>> cost([Value(1.0), Value(2.0), Value(6.0)]).data
    3.0
    """
    if isinstance(losses, Value):
        J = losses.mean()
    else:
        items = list(losses)
        if not items:
            raise ValueError("cost needs at least one loss (m = 0)")
        for i, loss in enumerate(items):
            if not isinstance(loss, Value):
                raise TypeError(f"cost: losses[{i}] must be a Value, got {type(loss).__name__}")
        total = items[0]
        for loss in items[1:]:
            total = total + loss
        J = total / len(items)
    J.label = "J"
    return J
