"""Losses and costs built from Value nodes: the notes' L(a, y) and J(w, b).

Each function only combines existing ops, so every gradient comes from the op
table through ``backward()``; nothing here states a derivative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphgrad.value import Array, Value

Target = Value | float | int | bool | Array | Sequence[float]


def _target(y: Target, name: str = "y") -> Value:
    """The label or target as a constant leaf labelled ``name``: backward() computes
    no gradient for it (a Value passed in is used as it is)."""
    if isinstance(y, Value):
        return y
    if isinstance(y, (bool, np.bool_)):
        y = float(y)
    data: Any = y
    if isinstance(y, (list, tuple)):  # labels written out, as softmax_cross_entropy takes them
        data = np.asarray(y, dtype=np.float64)
    elif isinstance(y, np.ndarray) and y.dtype.kind == "b":  # True and False are 1 and 0
        data = y.astype(np.float64)
    return Value(data, label=name, requires_grad=False)


def binary_cross_entropy(z: Value, y: Target) -> Value:
    """The logistic loss L(a, y) with a = sigmoid(z), computed from the logit z.

    The notes write L = -(y log a + (1 - y) log(1 - a)).  With a = sigmoid(z),
    -log a = softplus(-z) and -log(1 - a) = softplus(z), so for the labels 0
    and 1 L = softplus((1 - 2y)·z), where softplus(z) = log(1 + e^z) is
    computed without overflow: a prediction of exactly 0 or 1 never gives inf
    or NaN, and no subtraction loses the digits of a small loss (a confident
    right prediction, z = 35 for y = 1, gives 6.3e-16, not 0).  backward()
    then gives dL/dz = sigmoid(z) - y = a - y, the notes' dz.

    ``z`` may hold one example (a number) or all m examples (an array); ``y``
    must then have the same shape, except that logits of shape (m, 1), the
    output of a network with one output unit, take labels of shape (m,) (and
    logits (m,) labels (m, 1)).  The result has z's shape: one loss per
    example; ``cost`` (or ``.mean()``) averages them into J.

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
    >>> f"{binary_cross_entropy(Value(35.0), 1).data:.6g}"  # log(1 + e^-35), not 0
    '6.30512e-16'
    """
    if not isinstance(z, Value):
        raise TypeError(f"binary_cross_entropy needs z as a Value, got {type(z).__name__}")
    target = _target(y)
    if target.shape != z.shape and _one_column_apart(target.shape, z.shape):
        target = (
            target.reshape(z.shape)
            if target.requires_grad
            else Value(np.reshape(target.data, z.shape), label=target.label, requires_grad=False)
        )
    if target.shape != z.shape:
        raise ValueError(
            f"binary_cross_entropy: y has shape {target.shape} but z has shape {z.shape}"
        )
    labels = np.asarray(target.data)
    if not ((labels == 0.0) | (labels == 1.0)).all():
        raise ValueError("binary_cross_entropy: y must hold the labels 0 and 1 only")
    return logistic_loss(z, target)


def _one_column_apart(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """(m,) and (m, 1), in either order."""
    return (len(a), len(b)) in ((1, 2), (2, 1)) and (*a, 1)[:2] == (*b, 1)[:2]


def softmax_cross_entropy(logits: Value, y: object) -> Value:
    """The cost J of a softmax classifier, from its logits: the mean over the m examples
    of -log softmax(z)[y] = logsumexp(z) - z[y].

    ``logits`` is a Value of shape (m, k), one row of k class scores per example;
    ``y`` holds each example's class as an int from 0 to k - 1, shape (m,).
    The log-sum-exp is taken relative to the largest logit, so logits of any
    size give a finite cost, and backward() gives dJ/dz = (softmax(z) - onehot(y)) / m,
    the softmax layer's dZ of the notes, averaged over m.

    >>> import numpy as np
    >>> z = Value(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]), label="z")
    >>> J = softmax_cross_entropy(z, [0, 1])
    >>> round(J.data, 6)
    0.31854
    >>> J.backward()
    >>> z.grad.round(4)                     # (softmax - onehot) / 2
    array([[-0.1705,  0.1212,  0.0493],
           [ 0.0543, -0.0988,  0.0445]])
    >>> softmax_cross_entropy(Value(np.array([[1000.0, -1000.0]])), [1]).data
    2000.0
    """
    if not isinstance(logits, Value):
        raise TypeError(
            f"softmax_cross_entropy needs the logits as a Value, got {type(logits).__name__}"
        )
    if len(logits.shape) != 2:
        raise ValueError(
            "softmax_cross_entropy: the logits must have shape (m examples, k classes), "
            f"got shape {logits.shape}"
        )
    m, k = logits.shape
    labels = class_indices(y, m, k)
    return softmax_cost(logits, one_hot(labels, k))


def class_indices(y: object, m: int, k: int, name: str = "y") -> np.ndarray[Any, Any]:
    """Class labels as an int array of shape (m,), each from 0 to k - 1; ValueError naming
    ``name`` and the first bad entry otherwise."""
    if isinstance(y, Value):
        y = y.data
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be an array of class indices, got {type(y).__name__}")
    array = np.asarray(y)
    wanted = f"{name} must hold one class index (an int from 0 to {k - 1}) per example"
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{wanted}, got an array of dtype {array.dtype}")
    if array.shape != (m,):
        raise ValueError(f"{wanted}, shape ({m},); got shape {array.shape}")
    # NaN fails every comparison, so it is caught here too.
    bad = ~((array >= 0) & (array < k) & (array == np.round(array)))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name}[{i}] is {array[i].item()!r}: a class index must be an int from 0 to {k - 1}"
        )
    return array.astype(np.intp)


def one_hot(labels: np.ndarray[Any, Any], k: int, name: str = "Y") -> Value:
    """The classes of m examples as an (m, k) constant leaf of 0s and 1s (a 1 in each
    example's column), labelled ``name``: data a graph can be given anew."""
    return Value(np.eye(k)[labels], label=name, requires_grad=False)


def softmax_cost(logits: Value, one_hot_labels: Value) -> Value:
    """-log softmax(z)[y] averaged over the rows, without checking the labels: for
    callers that validated them once; ``one_hot_labels`` as :func:`one_hot` makes it.

    Both terms are taken relative to c, each row's largest logit, as
    logsumexp(z - c) - (z[y] - c), with z[y] - c = Σ (z - c)·onehot: the same
    number as logsumexp(z) - z[y], but logsumexp(z) and z[y] of logits in the
    thousands agree in most of their digits, and their difference would keep
    none of a small loss.  No gradient passes through c (it cancels), so
    dJ/dz is exactly (softmax(z) - onehot) / m.  The labels enter as data (not
    as an index), so a compiled program of the cost takes a new batch's labels.
    """
    shifted = logits - logits.max(axis=1, keepdims=True).stop_gradient()
    label_logit = (shifted * one_hot_labels).sum(axis=1)
    J = (shifted.logsumexp(axis=1) - label_logit).mean()
    J.label = "J"
    return J


def logistic_loss(z: Value, y: Value) -> Value:
    """The cross-entropy of logits z and labels y (0 and 1), without checking y:
    for callers that validated the labels once.

    The models check y when ``fit`` starts, so each training step skips the
    O(m) check ``binary_cross_entropy`` makes.  -log a = softplus(-z) where
    y = 1 and -log(1 - a) = softplus(z) where y = 0, so L = softplus((1 - 2y)·z):
    one softplus of ±z exactly, and dL/dz = a - y.  The sign 1 - 2y is computed
    from the labels (the node y stays in the graph) but takes no gradient, so
    backward runs through two nodes, the product and the softplus.  A label that takes a
    gradient gets the form y·softplus(-z) + (1 - y)·softplus(z), equal for
    labels 0 and 1 but with dL/dy = -z, as in PyTorch.
    """
    if y.requires_grad:
        loss = y * (-z).softplus() + (1.0 - y) * z.softplus()
    else:
        loss = ((1.0 - 2.0 * y) * z).softplus()
    loss.label = "L"
    return loss


#: The forms of a one-example picture: the notes' graph, or the stable one training uses.
FORMS = ("notes", "stable")


def check_form(form: object) -> str:
    if not isinstance(form, str) or form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r:.40}")
    return form


def notes_logistic_loss(z: Value, y: Value, a_label: str = "a") -> Value:
    """L(a, y) = -(y log a + (1 - y) log(1 - a)) with a = σ(z): the notes' graph of
    one example's loss, z → a → L, for pictures (the notes derive da and dz on it).

    Equal to :func:`logistic_loss` where 1 - a keeps its digits, but a
    confident prediction (|z| above about 36) rounds a to 0 or 1, and then log a
    or log(1 - a) is -∞ in 64-bit floats: a ValueError says so, and the stable
    form computes that loss.

    >>> a = notes_logistic_loss(Value(0.0, label="z"), Value(1.0, label="y"))
    >>> round(a.data, 6)                 # log 2
    0.693147
    """
    a = z.sigmoid()
    a.label = a_label
    values = np.ravel(a.data)
    rounded = (values == 0.0) | (values == 1.0)
    if rounded.any():
        i = int(np.argmax(rounded))
        raise ValueError(
            f"{a_label} = σ(z) rounds to {values[i]:g} at z = {np.ravel(z.data)[i]:.4g}, so "
            "the notes' log a or log(1 - a) is -inf in 64-bit floats; form='stable' computes "
            "this loss"
        )
    loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
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
