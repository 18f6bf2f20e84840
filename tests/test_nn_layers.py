"""Layers and MLPs: forward and backward against the notes' formulas written in numpy.

Oracles: the notes' forward propagation (Z[l] = A[l-1] W[l] + b[l]) and backward
propagation (dZ[2] = A[2] - Y, dW[2] = A[1]ᵀ dZ[2] / m, dZ[1] = dZ[2] W[2]ᵀ * g'(Z[1]),
in the rows-are-examples layout), central finite differences, and the scalar
network (one node per weight) against the vectorized one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphgrad
from graphgrad import Value
from graphgrad.check import numeric_grad
from graphgrad.graph import topological_order
from graphgrad.nn import MLP, Layer, ScalarLayer, ScalarMLP
from graphgrad.nn.layers import init_scale

Array = np.ndarray[Any, np.dtype[np.float64]]


def sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def test_a_layer_is_z_equals_x_w_plus_b_then_g() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3))
    for activation, g in [
        ("tanh", np.tanh),
        ("relu", lambda z: np.maximum(z, 0.0)),
        ("sigmoid", sigmoid),
        ("linear", lambda z: z),
    ]:
        layer = Layer(3, 4, activation=activation, seed=1)
        layer.b.data = rng.normal(size=4)
        A = layer(X)
        expected = g(X @ layer.w.data + layer.b.data)
        np.testing.assert_allclose(A.data, expected, rtol=1e-14, atol=1e-15)
        assert A.shape == (7, 4)
        one = layer(X[2])  # one example, shape (n_in,)
        np.testing.assert_allclose(one.data, expected[2], rtol=1e-14, atol=1e-15)


def test_an_mlp_has_its_layers_parameters_and_a_linear_last_layer() -> None:
    mlp = MLP(2, [16, 16, 1], activation="relu", seed=3)
    assert [(layer.n_in, layer.n_out) for layer in mlp.layers] == [(2, 16), (16, 16), (16, 1)]
    assert [layer.activation for layer in mlp.layers] == ["relu", "relu", "linear"]
    assert mlp.parameters() == [p for layer in mlp.layers for p in (layer.w, layer.b)]
    assert [p.shape for p in mlp.parameters()] == [(2, 16), (16,), (16, 16), (16,), (16, 1), (1,)]
    assert [p.label for p in mlp.parameters()][:2] == ["W[1]", "b[1]"]
    assert mlp.sizes == [16, 16, 1]
    assert repr(mlp) == "MLP(2, [16, 16, 1], activation='relu')"


def test_initial_weights_are_seeded_scaled_by_activation_and_biases_zero() -> None:
    assert np.array_equal(MLP(3, [4, 2], seed=7).layers[0].w.data,
                          MLP(3, [4, 2], seed=7).layers[0].w.data)  # fmt: skip
    assert not np.array_equal(MLP(3, [4, 2], seed=7).layers[0].w.data,
                              MLP(3, [4, 2], seed=8).layers[0].w.data)  # fmt: skip
    for activation, variance in [("tanh", 1 / 400), ("relu", 2 / 400), ("sigmoid", 1 / 400)]:
        layer = Layer(400, 300, activation=activation, seed=0)
        assert np.var(layer.w.data) == pytest.approx(variance, rel=0.02)
        assert abs(np.mean(layer.w.data)) < 0.01 * np.sqrt(variance) * 10
        assert np.array_equal(layer.b.data, np.zeros(300))
        assert init_scale(400, activation) == pytest.approx(np.sqrt(variance))
    # Layers of a network draw from one generator: no two share their numbers.
    mlp = MLP(4, [4, 4, 4], seed=0)
    w1, w2 = mlp.layers[1].w.data, mlp.layers[2].w.data
    assert not np.array_equal(w1, w2)


def test_a_generator_can_be_passed_as_the_seed() -> None:
    a = Layer(2, 3, seed=np.random.default_rng(5))
    b = Layer(2, 3, seed=5)
    assert np.array_equal(a.w.data, b.w.data)


def test_backward_propagation_of_a_two_layer_network_is_the_notes() -> None:
    """The notes' shallow network: tanh hidden layer, sigmoid output, cross-entropy cost."""
    rng = np.random.default_rng(4)
    m = 9
    X = rng.normal(size=(m, 2))
    Y = (rng.random((m, 1)) < 0.5).astype(float)
    mlp = MLP(2, [4, 1], activation="tanh", seed=2)
    (W1, b1), (W2, b2) = [(layer.w, layer.b) for layer in mlp.layers]
    b1.data, b2.data = rng.normal(size=4), rng.normal(size=1)
    Z2 = mlp(X)
    J = (Z2.softplus() - Y * Z2).mean()  # = cross-entropy of A[2] = σ(Z[2])
    J.backward()
    # The notes, with examples as rows: forward ...
    A1 = np.tanh(X @ W1.data + b1.data)
    A2 = sigmoid(A1 @ W2.data + b2.data)
    cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
    # ... and backward.
    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2 / m
    db2 = dZ2.sum(axis=0) / m
    dZ1 = (dZ2 @ W2.data.T) * (1 - A1**2)
    dW1 = X.T @ dZ1 / m
    db1 = dZ1.sum(axis=0) / m
    assert J.data == pytest.approx(cost, rel=1e-12)
    for param, expected in [(W1, dW1), (b1, db1), (W2, dW2), (b2, db2)]:
        np.testing.assert_allclose(param.grad, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(Z2.grad, dZ2 / m, rtol=1e-10, atol=1e-14)


def test_a_deep_relu_network_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 3))
    target = rng.normal(size=(6, 2))
    mlp = MLP(3, [5, 4, 2], activation="relu", seed=1)
    datas = [p.data for p in mlp.parameters()]

    def cost(*params: Value) -> Value:
        out: Any = X
        for i, (w, b) in enumerate(zip(params[::2], params[1::2], strict=True)):
            out = out @ w + b
            if i < 2:
                out = out.relu()
        return ((out - target) ** 2).mean()

    J = ((mlp(X) - target) ** 2).mean()
    J.backward()
    numeric = numeric_grad(cost, *datas)
    for p, estimate in zip(mlp.parameters(), numeric, strict=True):
        np.testing.assert_allclose(p.grad, estimate, rtol=1e-6, atol=1e-8)


def test_the_vectorized_graph_has_the_same_nodes_whatever_m() -> None:
    mlp = MLP(2, [16, 16, 1], seed=0)
    counts = []
    for m in (10, 1000):
        X = np.random.default_rng(m).normal(size=(m, 2))
        J = mlp(X).tanh().mean()
        counts.append(len(topological_order(J)))
    # Per layer: X @ W, + b, g(Z); the weights, biases and the data; then tanh, mean.
    assert counts[0] == counts[1] <= 3 * 3 + 6 + 1 + 2


def test_the_scalar_network_computes_what_the_vectorized_one_does() -> None:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(4, 3))
    vectorized = MLP(3, [5, 2], activation="tanh", seed=11)
    scalar = ScalarMLP(3, [5, 2], activation="tanh", seed=11)
    J = vectorized(X).sigmoid().sum()
    J.backward()
    total: Value | float = 0.0
    for x in X:
        outputs = scalar(list(x))
        assert isinstance(outputs, list) and len(outputs) == 2
        for out in outputs:
            total = total + out.sigmoid()
    assert isinstance(total, Value)
    total.backward()
    assert total.data == pytest.approx(J.data, rel=1e-13)
    for v_layer, s_layer in zip(vectorized.layers, scalar.layers, strict=True):
        for j, neuron in enumerate(s_layer.neurons):
            weights = [w.data for w in neuron.w]
            np.testing.assert_array_equal(weights, v_layer.w.data[:, j])
            grads = [w.grad for w in neuron.w]
            np.testing.assert_allclose(grads, v_layer.w.grad[:, j], rtol=1e-12, atol=1e-15)
            assert neuron.b.grad == pytest.approx(v_layer.b.grad[j], rel=1e-12, abs=1e-15)


def test_scalar_layers_are_labelled_as_the_notes_label_a_network() -> None:
    mlp = ScalarMLP(2, [2, 1], activation="tanh", seed=0)
    out = mlp([0.5, -1.0])
    assert isinstance(out, Value) and out.label == "z[2]_1"
    labels = [p.label for p in mlp.parameters()]
    assert labels == ["W[1]_11", "W[1]_12", "b[1]_1", "W[1]_21", "W[1]_22", "b[1]_2",
                      "W[2]_11", "W[2]_12", "b[2]_1"]  # fmt: skip
    J = out.sigmoid()
    J.label = "J"
    J.backward()
    text = graphgrad.trace(J)
    for name in ("dW[1]_11", "dW[1]_22", "db[1]_1", "db[1]_2", "dW[2]_12", "da[1]_1", "dz[1]_2"):
        assert f"  {name} " in text, name
    assert "dx1" not in text  # the inputs are constants: no gradient for them


def test_ten_or_more_inputs_get_unambiguous_labels() -> None:
    layer = ScalarLayer(12, 1, index=3, seed=0)
    labels = [p.label for p in layer.parameters()]
    assert labels[0] == "W[3]_1,1" and labels[11] == "W[3]_1,12" and labels[12] == "b[3]_1"


def test_a_scalar_layer_takes_values_and_numbers_and_shares_its_inputs() -> None:
    layer = ScalarLayer(2, 3, activation="relu", seed=2, index=1)
    x1 = Value(0.5, label="x1")
    outputs = layer([x1, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 3
    # All three neurons use the same input node for x2, not one copy each.
    second_inputs = {id(a.inputs[0].inputs[0].inputs[0].inputs[1]) for a in outputs}
    assert len(second_inputs) == 1


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Layer(0, 3), ValueError, "n_in must be a positive int"),
        (lambda: Layer(2, 2.0), TypeError, "n_out must be a positive int"),
        (lambda: Layer(2, 2, activation="softmax"), ValueError, "activation must be one of"),
        (lambda: MLP(2, []), ValueError, "sizes must list at least one"),
        (lambda: MLP(2, [4, 0]), ValueError, r"sizes\[1\] must be a positive int"),
        (lambda: MLP(2, "16"), TypeError, "sizes must be a list of layer widths"),
        (lambda: MLP(2, [4], activation="linear"), ValueError, "activation must be one of"),
        (lambda: MLP(2, [4], seed=-1), ValueError, "seed must be None"),
        (lambda: ScalarMLP(2, [True]), TypeError, r"sizes\[0\]"),
        (lambda: Layer(2, 3)(np.ones((4, 3))), ValueError, r"Layer takes X of shape \(m, 2\)"),
        (lambda: MLP(2, [3, 1])(np.ones(3)), ValueError, r"layer 1 takes X of shape \(m, 2\)"),
        (lambda: MLP(2, [3])([1.0, 2.0]), ValueError, "got list"),
        (lambda: ScalarMLP(2, [3])([1.0]), ValueError, "x must hold n_in = 2 inputs, got 1"),
        (lambda: ScalarMLP(2, [3])(np.ones(2)), ValueError, "x must be one example"),
        (lambda: ScalarMLP(2, [3])([1.0, "2"]), TypeError, r"x\[1\] must be a number"),
        (lambda: ScalarMLP(2, [3])([1.0, np.inf]), ValueError, r"x\[1\] must be a finite"),
    ],
)
def test_bad_arguments_name_the_argument(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()
