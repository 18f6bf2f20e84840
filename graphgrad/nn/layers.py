"""Layers and multi-layer perceptrons, made of Value nodes.

Two forms of the same network:

- :class:`Layer` and :class:`MLP` are vectorized: a layer is
  ``Z = X @ w + b`` (one ``affine`` node) and ``A = g(Z)`` for all m examples
  at once, two array nodes whatever m is (the notes' vectorized forward
  propagation).
- :class:`ScalarLayer` and :class:`ScalarMLP` are built from the scalar
  :class:`~graphgrad.nn.Neuron`, one node per weight and per example, as
  micrograd's ``Layer`` and ``MLP`` are: a graph small enough to draw and trace,
  labelled as the notes label a network (``W[1]_21``, ``b[1]_2``, ``a[1]_2``).

Given the same ``seed`` both forms start from the same weights, so they
compute the same numbers and the same gradients.

Initialisation follows the notes: biases start at zero and weights at small
random numbers (zeros would keep every hidden unit identical for ever), drawn
from a normal distribution of variance 1/n_in for tanh, sigmoid and linear
layers (Xavier) and 2/n_in for ReLU layers (He), n_in being the number of
inputs of the layer, so that z neither grows nor shrinks from layer to layer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from graphgrad.nn.activations import activate, check_activation
from graphgrad.nn.neuron import Neuron
from graphgrad.value import Array, Value

if TYPE_CHECKING:  # not at run time: that would import numpy.random with graphgrad
    Seed: TypeAlias = int | np.random.Generator | None


def init_scale(n_in: int, activation: str) -> float:
    """The standard deviation of a layer's initial weights: √(2/n_in) for ReLU
    (He), √(1/n_in) otherwise (Xavier), as the notes recommend.

    >>> init_scale(2, "tanh"), init_scale(2, "relu")
    (0.7071067811865476, 1.0)
    """
    return math.sqrt((2.0 if activation == "relu" else 1.0) / n_in)


def initial_weights(n_in: int, n_out: int, activation: str, rng: np.random.Generator) -> Array:
    """Weights of shape (n_in, n_out), random normal times :func:`init_scale`."""
    weights: Array = rng.standard_normal((n_in, n_out)) * init_scale(n_in, activation)
    return weights


class Layer:
    """A fully connected layer: Z = X @ w + b and A = g(Z), for all m examples at once.

    ``w`` is a Value of shape (n_in, n_out) and ``b`` one of shape (n_out,):
    X holds one example per row, as in scikit-learn and PyTorch, so ``w`` is the
    notes' W[l] transposed (the notes put one example per column).  Biases
    start at 0, weights at random normal numbers scaled for ``activation``
    ("tanh", "relu", "sigmoid" or "linear"; see :func:`init_scale`);
    ``seed`` (an int, a numpy Generator, or None for fresh randomness) makes
    them the same every run.

    >>> import numpy as np
    >>> layer = Layer(2, 3, activation="relu", seed=0)
    >>> layer.w.shape, layer.b.shape, layer.w.label, layer.b.label
    ((2, 3), (3,), 'W', 'b')
    >>> A = layer(np.ones((5, 2)))          # 5 examples in, 3 units out
    >>> A.shape, A.label
    ((5, 3), 'A')
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "tanh",
        seed: Seed = None,
        *,
        index: int | None = None,
    ) -> None:
        self.n_in, self.n_out, self.activation, self.index = _layer_arguments(
            n_in, n_out, activation, index
        )
        suffix = "" if index is None else f"[{index}]"
        rng = _rng(seed)
        self.w: Value = Value(
            initial_weights(self.n_in, self.n_out, self.activation, rng), label=f"W{suffix}"
        )
        self.b: Value = Value(np.zeros(self.n_out), label=f"b{suffix}")
        self._z_label, self._a_label = f"Z{suffix}", f"A{suffix}"
        self._x_label = "X" if index is None or index == 1 else f"A[{index - 1}]"

    def __call__(self, X: Value | Array) -> Value:
        """A = g(X @ w + b): X of shape (m, n_in), or (n_in,) for one example."""
        shape = X.shape if isinstance(X, (Value, np.ndarray)) else None
        if shape is None or len(shape) not in (1, 2) or shape[-1] != self.n_in:
            got = f"shape {shape}" if shape is not None else type(X).__name__
            raise ValueError(
                f"{self._name()} takes X of shape (m, {self.n_in}) (one example per row) "
                f"or ({self.n_in},), got {got}"
            )
        if type(X) is not Value:
            # Data are a constant leaf (no gradient), named as the notes name a layer's input.
            X = Value(X, label=self._x_label, requires_grad=False)
        Z = X.affine(self.w, self.b)
        Z.label = self._z_label
        if self.activation == "linear":
            return Z
        A = activate(self.activation, Z)
        A.label = self._a_label
        return A

    def parameters(self) -> list[Value]:
        """[w, b]: the leaves an optimizer updates."""
        return [self.w, self.b]

    def _name(self) -> str:
        return "Layer" if self.index is None else f"layer {self.index}"

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {self.n_out}, activation={self.activation!r})"


class MLP:
    """A multi-layer perceptron: ``len(sizes)`` vectorized layers, the last one linear.

    ``MLP(2, [16, 16, 1])`` has layers 2 → 16 → 16 → 1; the hidden layers use
    ``activation`` ("tanh", "relu" or "sigmoid") and the last returns the logits
    (or the prediction of a regression), to be passed to a loss.  ``mlp(X)``
    with X of shape (m, n_in) returns a Value of shape (m, sizes[-1]) made of
    three array nodes per layer, whatever m is.  Layer l (from 1) labels its
    nodes W[l], b[l], Z[l] and A[l] as the notes do.

    >>> import numpy as np
    >>> mlp = MLP(2, [4, 1], activation="tanh", seed=0)
    >>> [p.label for p in mlp.parameters()]
    ['W[1]', 'b[1]', 'W[2]', 'b[2]']
    >>> [layer.activation for layer in mlp.layers]
    ['tanh', 'linear']
    >>> mlp(np.zeros((10, 2))).shape
    (10, 1)
    """

    def __init__(
        self, n_in: int, sizes: Sequence[int], activation: str = "tanh", seed: Seed = None
    ) -> None:
        self.n_in: int = _positive(n_in, "n_in")
        widths = _sizes(sizes, "sizes")
        self.activation: str = check_activation(activation, hidden=True)
        rng = _rng(seed)
        inputs = [self.n_in, *widths[:-1]]
        last = len(widths) - 1
        self.layers: list[Layer] = [
            Layer(n, k, self.activation if i < last else "linear", rng, index=i + 1)
            for i, (n, k) in enumerate(zip(inputs, widths, strict=True))
        ]

    def __call__(self, X: Value | Array) -> Value:
        """The logits (the last layer's Z) for X of shape (m, n_in), or (n_in,) for one example."""
        out = self.layers[0](X)
        for layer in self.layers[1:]:
            out = layer(out)
        return out

    def parameters(self) -> list[Value]:
        """[layers[0].w, layers[0].b, layers[1].w, ...]: what an optimizer updates."""
        return [p for layer in self.layers for p in (layer.w, layer.b)]

    @property
    def sizes(self) -> list[int]:
        """The width of each layer, the output last."""
        return [layer.n_out for layer in self.layers]

    def __repr__(self) -> str:
        return f"MLP({self.n_in}, {self.sizes}, activation={self.activation!r})"


class ScalarLayer:
    """A layer of scalar :class:`~graphgrad.nn.Neuron` objects, one node per weight.

    Called on one example (a list of n_in numbers or Values) it returns a list
    of n_out Values, or the Value itself when n_out is 1, as micrograd's Layer
    does.  Numbers are made constant leaves labelled x1, x2, ... once, shared
    by every neuron of the layer.  Weights start as :class:`Layer`'s do: with
    the same ``seed``, ``ScalarLayer(...).neurons[j].w[k]`` equals
    ``Layer(...).w[k, j]``.

    >>> layer = ScalarLayer(2, 3, activation="relu", seed=0, index=1)
    >>> [p.label for p in layer.neurons[1].parameters()]
    ['W[1]_21', 'W[1]_22', 'b[1]_2']
    >>> [a.label for a in layer([1.0, 2.0])]
    ['a[1]_1', 'a[1]_2', 'a[1]_3']
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "tanh",
        seed: Seed = None,
        *,
        index: int | None = None,
    ) -> None:
        self.n_in, self.n_out, self.activation, self.index = _layer_arguments(
            n_in, n_out, activation, index
        )
        weights = initial_weights(self.n_in, self.n_out, self.activation, _rng(seed))
        layer = 1 if index is None else index
        self.neurons: list[Neuron] = [
            Neuron(
                self.n_in,
                self.activation,
                weights=weights[:, j].tolist(),
                layer=layer,
                unit=j + 1,
            )
            for j in range(self.n_out)
        ]

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The activations a[l]_1 … a[l]_n_out for one example x (n_in numbers or Values)."""
        if isinstance(x, (str, bytes, Value, np.ndarray)) or not hasattr(x, "__len__"):
            raise ValueError(
                f"x must be one example: a list of n_in = {self.n_in} numbers or Values, "
                f"got {type(x).__name__}"
            )
        if len(x) != self.n_in:
            raise ValueError(f"x must hold n_in = {self.n_in} inputs, got {len(x)}")
        xs = [_input(xj, j) for j, xj in enumerate(x)]
        outputs = [neuron(xs) for neuron in self.neurons]
        return outputs[0] if len(outputs) == 1 else outputs

    def parameters(self) -> list[Value]:
        """Each neuron's weights then bias, neuron by neuron (micrograd's order)."""
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        return f"ScalarLayer({self.n_in}, {self.n_out}, activation={self.activation!r})"


class ScalarMLP:
    """:class:`MLP`'s network made of scalar neurons, for one example at a time.

    The same arguments as MLP, the same weights for the same ``seed``; called
    on one example (a list of numbers or Values) it returns a Value (one
    output) or a list of Values.  Its graph holds one node per weight and per
    operation, labelled as the notes label a network, so it can be drawn
    (``graphgrad.draw``) and traced (``graphgrad.trace``) to follow backward
    propagation through a hidden layer, every dW[1]_jk and db[1]_j on the page.

    >>> mlp = ScalarMLP(2, [2, 1], activation="tanh", seed=0)
    >>> out = mlp([1.0, -1.0])
    >>> out.label
    'z[2]_1'
    >>> len(mlp.parameters())          # 2·2 + 2, then 2 + 1
    9
    """

    def __init__(
        self, n_in: int, sizes: Sequence[int], activation: str = "tanh", seed: Seed = None
    ) -> None:
        self.n_in: int = _positive(n_in, "n_in")
        widths = _sizes(sizes, "sizes")
        self.activation: str = check_activation(activation, hidden=True)
        rng = _rng(seed)
        inputs = [self.n_in, *widths[:-1]]
        last = len(widths) - 1
        self.layers: list[ScalarLayer] = [
            ScalarLayer(n, k, self.activation if i < last else "linear", rng, index=i + 1)
            for i, (n, k) in enumerate(zip(inputs, widths, strict=True))
        ]

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        out: Value | list[Value] = self.layers[0](x)
        for layer in self.layers[1:]:
            out = layer([out] if isinstance(out, Value) else out)
        return out

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer and neuron by neuron."""
        return [p for layer in self.layers for p in layer.parameters()]

    @property
    def sizes(self) -> list[int]:
        return [layer.n_out for layer in self.layers]

    def __repr__(self) -> str:
        return f"ScalarMLP({self.n_in}, {self.sizes}, activation={self.activation!r})"


# --- checks ---------------------------------------------------------------------------------


def _layer_arguments(
    n_in: object, n_out: object, activation: object, index: object
) -> tuple[int, int, str, int | None]:
    """A layer's sizes, activation and number in its network (from 1, shown in
    labels as [l]; None for a layer alone), checked: what Layer and ScalarLayer take."""
    return (
        _positive(n_in, "n_in"),
        _positive(n_out, "n_out"),
        check_activation(activation),
        None if index is None else _positive(index, "index"),
    )


def _positive(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _sizes(sizes: object, name: str) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(
            f"{name} must be a list of layer widths such as [16, 16, 1], got "
            f"{type(sizes).__name__} {sizes!r:.40}"
        )
    if not sizes:
        raise ValueError(f"{name} must list at least one layer width")
    return [_positive(k, f"{name}[{i}]") for i, k in enumerate(sizes)]


def _rng(seed: object) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None, an int >= 0 or a numpy Generator, got {seed!r:.40}")
    return np.random.default_rng(int(seed))


def _input(x: object, j: int) -> Value:
    """An input of one example as a Value: a number becomes a constant leaf labelled x{j+1}.

    Constant, because a network's input takes no gradient (the notes compute
    none for x); labelled, so that a picture names it.
    """
    if isinstance(x, Value):
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"x[{j}] must be a number or a Value, got {type(x).__name__} {x!r:.40}")
    number = float(x)
    if not math.isfinite(number):
        raise ValueError(f"x[{j}] must be a finite number, got {x!r}")
    return Value(number, label=f"x{j + 1}", requires_grad=False)


__all__ = ["MLP", "Layer", "ScalarLayer", "ScalarMLP", "init_scale", "initial_weights"]
