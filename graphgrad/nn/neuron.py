"""One neuron, z = w1*x1 + ... + w_nx*x_nx + b and a = g(z), made of labelled Values."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from graphgrad.nn.activations import activate, check_activation
from graphgrad.value import Value


class Neuron:
    """A neuron for one example at a time (the notes' scalar graph).

    Its parameters are the leaves ``w1 … w_nx`` and ``b``, labelled so that a
    picture of the graph reads like the notes.  Weights start at ``weights``
    (default all 0, fine for logistic regression) and the bias at ``bias``.

    >>> neuron = Neuron(2, weights=[0.5, -1.0], bias=0.25)
    >>> z = neuron.logit([2.0, 1.0])
    >>> z.label, z.data
    ('z', 0.25)
    >>> [p.label for p in neuron.parameters()]
    ['w1', 'w2', 'b']

    In a network, ``layer`` and ``unit`` (both from 1) label it as the notes
    label unit j of layer l: its weights ``W[l]_j1 … W[l]_jn`` (row j of the
    notes' W[l]), its bias ``b[l]_j``, its z ``z[l]_j`` and its a ``a[l]_j``:

    >>> [p.label for p in Neuron(2, layer=1, unit=3).parameters()]
    ['W[1]_31', 'W[1]_32', 'b[1]_3']
    """

    def __init__(
        self,
        nx: int,
        activation: str = "sigmoid",
        weights: Sequence[float] | None = None,
        bias: float = 0.0,
        *,
        layer: int | None = None,
        unit: int | None = None,
    ) -> None:
        if isinstance(nx, bool) or not isinstance(nx, numbers.Integral) or nx < 1:
            raise ValueError(f"nx must be a positive int (the number of inputs), got {nx!r}")
        check_activation(activation)
        if (layer is None) != (unit is None):
            raise ValueError("give both layer and unit (a unit of a layer), or neither")
        for name, index in (("layer", layer), ("unit", unit)):
            if index is not None and (
                isinstance(index, bool) or not isinstance(index, numbers.Integral) or index < 1
            ):
                raise ValueError(f"{name} must be a positive int (counted from 1), got {index!r}")
        self.nx: int = int(nx)
        self.activation: str = activation
        self._z_label: str
        self._a_label: str
        if layer is None:
            weight_labels = [f"w{k + 1}" for k in range(self.nx)]
            bias_label, self._z_label, self._a_label = "b", "z", "a"
        else:
            # W[l]_jk; a comma once an index has two digits, so W[1]_1,12 is not W[1]_11,2.
            sep = "," if max(unit or 0, self.nx) >= 10 else ""
            weight_labels = [f"W[{layer}]_{unit}{sep}{k + 1}" for k in range(self.nx)]
            bias_label = f"b[{layer}]_{unit}"
            self._z_label, self._a_label = f"z[{layer}]_{unit}", f"a[{layer}]_{unit}"
        if weights is None:
            weights = [0.0] * self.nx
        if isinstance(weights, np.ndarray):
            weights = [float(v) for v in weights.ravel()] if weights.ndim == 1 else weights
        if isinstance(weights, (str, bytes)) or len(weights) != self.nx:
            raise ValueError(f"weights must hold nx = {self.nx} numbers, got {weights!r}")
        self.w: list[Value] = [
            Value(_number(v, f"weights[{j}]"), label=label)
            for j, (v, label) in enumerate(zip(weights, weight_labels, strict=True))
        ]
        self.b: Value = Value(_number(bias, "bias"), label=bias_label)

    def parameters(self) -> list[Value]:
        """The leaves that gradient descent updates: w1 … w_nx, then b."""
        return [*self.w, self.b]

    def logit(self, x: Sequence[float | Value]) -> Value:
        """z = w1*x1 + ... + w_nx*x_nx + b for one example x (nx numbers or Values).

        Plain numbers become constant leaves labelled x1 … x_nx, so that they show
        in a picture, as the notes draw them: data, with no gradient of their own.
        """
        if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != self.nx:
            raise ValueError(f"x must hold nx = {self.nx} inputs for one example, got {x!r}")
        xs = [
            xj if type(xj) is Value else _input_leaf(xj, j, f"x{j + 1}") for j, xj in enumerate(x)
        ]
        w = self.w
        z = w[0] * xs[0]
        for j in range(1, self.nx):
            z = z + w[j] * xs[j]
        z = z + self.b
        z.label = self._z_label
        return z

    def __call__(self, x: Sequence[float | Value]) -> Value:
        """a = g(z) for one example: the neuron's output."""
        z = self.logit(x)
        if self.activation == "linear":
            return z
        a = activate(self.activation, z)
        a.label = self._a_label
        return a

    def __repr__(self) -> str:
        weights = ", ".join(f"{w.data:.4g}" for w in self.w)
        return (
            f"Neuron(nx={self.nx}, activation={self.activation!r}, "
            f"w=[{weights}], b={self.b.data:.4g})"
        )


def _input_leaf(x: object, j: int, label: str) -> Value:
    """An input given as a number (or a Value of a subclass) as a constant leaf
    labelled ``label``."""
    if isinstance(x, Value):
        return x
    return Value(_number(x, f"x[{j}]"), label=label, requires_grad=False)


def _number(v: object, name: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__} {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    return f
