"""The activation functions of nn's units: one list, applied through the op table.

Every unit of graphgrad.nn (a :class:`~graphgrad.nn.Neuron`, the layers, the
networks and :class:`~graphgrad.nn.MLPClassifier`) names its activation g
from :data:`ACTIVATIONS` and applies it with :func:`activate`, on a Value
(a node of the graph) or on an array (the op's own forward rule, what
prediction computes).

>>> ACTIVATIONS, HIDDEN_ACTIVATIONS
(('tanh', 'relu', 'sigmoid', 'linear'), ('tanh', 'relu', 'sigmoid'))
>>> import numpy as np
>>> activate("relu", np.array([-1.0, 2.0]))
array([0., 2.])
"""

from __future__ import annotations

from typing import TypeVar

from graphgrad import ops
from graphgrad.value import Array, Value

#: Every activation a unit may have; "linear" is none (a = z), for an output
#: layer whose z are the logits or a regression's prediction.
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")
#: The activations of hidden layers: a linear hidden layer would add nothing.
HIDDEN_ACTIVATIONS: tuple[str, ...] = ACTIVATIONS[:-1]

Z = TypeVar("Z", Value, Array)


def activate(activation: str, z: Z) -> Z:
    """g(z) for the activation named ``activation`` (z itself for "linear")."""
    if activation == "linear":
        return z
    a: Z = ops.OPS[activation](z)
    return a


def check_activation(activation: object, hidden: bool = False) -> str:
    """``activation`` if it is one of :data:`ACTIVATIONS` (of the hidden ones with
    ``hidden``); ValueError naming the argument otherwise."""
    allowed = HIDDEN_ACTIVATIONS if hidden else ACTIVATIONS
    if not isinstance(activation, str) or activation not in allowed:
        raise ValueError(f"activation must be one of {allowed}, got {activation!r:.40}")
    return activation
