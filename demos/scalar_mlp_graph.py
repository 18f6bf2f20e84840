"""Backpropagation through a hidden layer, node by node: a 2-2-1 network on one example.

The notes' shallow network, as small as it gets: inputs x1, x2, a hidden layer
of two tanh units a[1]_1, a[1]_2, one sigmoid output, the cross-entropy loss L
for one example.  nn.ScalarMLP builds it from scalar neurons, one node per
weight, labelled as the notes label a network (W[1]_jk is row j, column k of
the notes' W[1]), so its graph can be drawn and traced: every dW[1]_jk and
db[1]_j is on the picture, each computed by the chain rule through the hidden
unit it feeds.  The demo then checks them against the notes' formulas for
backward propagation, written out in numpy:

    dZ[2] = A[2] - Y       dW[2] = dZ[2] A[1]ᵀ     db[2] = dZ[2]
    dZ[1] = W[2]ᵀ dZ[2] * (1 - A[1]²)              dW[1] = dZ[1] Xᵀ     db[1] = dZ[1]

    python demos/scalar_mlp_graph.py
    python demos/scalar_mlp_graph.py --quick     (the same: there is nothing to shorten)

Writes scalar_mlp_graph.svg (when graph drawing is available) and
scalar_mlp_trace.txt to the output directory (default demos/output/).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import graphgrad
from graphgrad.draw import RendererError
from graphgrad.graph import topological_order
from graphgrad.nn import ScalarMLP, binary_cross_entropy

HERE = Path(__file__).resolve().parent
OUTPUTS = ("scalar_mlp_graph.svg", "scalar_mlp_trace.txt")
EXAMPLE, LABEL = [1.0, 2.0], 1


def build() -> tuple[ScalarMLP, graphgrad.Value]:
    """The network (seeded) and the loss L of the example, after backward()."""
    mlp = ScalarMLP(2, [2, 1], activation="tanh", seed=3)
    z = mlp(EXAMPLE)
    assert isinstance(z, graphgrad.Value)
    # The label is a constant (no gradient), as the data X are.
    L = binary_cross_entropy(z, graphgrad.Value(float(LABEL), label="y", requires_grad=False))
    L.backward()
    return mlp, L


def notes_formulas(mlp: ScalarMLP) -> dict[str, float]:
    """dW[l]_jk and db[l]_j by the notes' backward propagation, in numpy."""
    hidden, output = mlp.layers
    W1 = np.array([[w.data for w in n.w] for n in hidden.neurons])  # (2, 2): row j = unit j
    b1 = np.array([[n.b.data] for n in hidden.neurons])
    W2 = np.array([[w.data for w in n.w] for n in output.neurons])  # (1, 2)
    b2 = np.array([[n.b.data] for n in output.neurons])
    X, Y = np.array(EXAMPLE).reshape(2, 1), LABEL
    A1 = np.tanh(W1 @ X + b1)
    A2 = 1.0 / (1.0 + np.exp(-(W2 @ A1 + b2)))
    dZ2 = A2 - Y
    dW2, db2 = dZ2 @ A1.T, dZ2
    dZ1 = (W2.T @ dZ2) * (1.0 - A1**2)
    dW1, db1 = dZ1 @ X.T, dZ1
    expected = {}
    for layer, dW, db in ((1, dW1, db1), (2, dW2, db2)):
        for j in range(dW.shape[0]):
            for k in range(dW.shape[1]):
                expected[f"W[{layer}]_{j + 1}{k + 1}"] = float(dW[j, k])
            expected[f"b[{layer}]_{j + 1}"] = float(db[j, 0])
    return expected


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the same run (kept for the tests)")
    parser.add_argument(
        "--output-dir", type=Path, default=HERE / "output", help="where files go (demos/output)"
    )
    args = parser.parse_args(argv)
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    mlp, L = build()
    print(f"{mlp}: x = {EXAMPLE}, y = {LABEL}, loss L = {L.data:.6f}")
    print(f"the graph has {len(topological_order(L))} nodes; its backward pass gives:")
    expected = notes_formulas(mlp)
    worst = 0.0
    for p in mlp.parameters():
        assert p.label is not None
        worst = max(worst, abs(p.grad - expected[p.label]))
        print(f"  d{p.label:<8} = {p.grad:+.6f}   (the notes' formula: {expected[p.label]:+.6f})")
    print(f"largest difference from the notes' formulas: {worst:.1e}")

    trace = graphgrad.trace(L)
    (out / OUTPUTS[1]).write_text(trace + "\n", encoding="utf-8")
    print(f"wrote the step-by-step trace to {out / OUTPUTS[1]}")
    target = out / OUTPUTS[0]
    try:
        graphgrad.render(graphgrad.draw(L, params=mlp.parameters(), direction="TB"), target)
    except RendererError as exc:  # a renderer that cannot run must not stop the demo
        print(f"  could not draw the graph: {exc}")
    else:
        print(f"drew the graph, every dW[1]_jk and db[1]_j on it, to {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
