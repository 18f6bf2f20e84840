"""Three spiral arms, one class each: a softmax classifier trained with AdamW.

No straight line separates two arms of a spiral (graphgrad.datasets.make_spiral);
a network with two hidden layers of tanh units and a softmax over three
outputs learns to.  Each step builds the graph of the cost over all 300
points: the logits z = MLP(X) of shape (300, 3), then
softmax_cross_entropy(z, y) = mean(logsumexp(z) - z[y]), whose gradient is
(softmax(z) - onehot(y)) / m; backward() and one step of AdamW (Adam with
decoupled weight decay, as torch.optim.AdamW).

    python demos/spiral.py             # 1,000 steps
    python demos/spiral.py --quick     # 100 steps (used by the tests)

Writes spiral_boundary.png and spiral_loss.png to the output directory
(default demos/output/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from _training import matplotlib_pyplot, parse_options, plot_decision_boundary

from graphgrad import Value, no_grad
from graphgrad.datasets import make_spiral
from graphgrad.nn import MLP, AdamW, softmax_cross_entropy
from graphgrad.nn._progress import Progress

OUTPUTS = ("spiral_boundary.png", "spiral_loss.png")


def main(argv: list[str] | None = None) -> None:
    args = parse_options(argv, __doc__.split("\n")[0], lr=0.01, epochs=1000)
    X, y = make_spiral(100, classes=3, seed=0)
    mlp = MLP(2, [32, 32, 3], activation="tanh", seed=0)
    try:
        optimizer = AdamW(mlp.parameters(), lr=args.lr, weight_decay=1e-4)
    except (TypeError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)
    print(f"{len(y)} points in 3 arms; {mlp}; AdamW, lr {args.lr}, {args.epochs} steps")

    X_node = Value(X, label="X", requires_grad=False)
    history, accuracies = [], []
    start = time.perf_counter()
    with Progress(args.epochs, False if args.no_progress else None, "spiral") as bar:
        for step in range(args.epochs):
            logits = mlp(X_node)
            J = softmax_cross_entropy(logits, y)
            J.backward()
            optimizer.step()
            history.append(J.data)
            accuracies.append(float(np.mean(np.argmax(logits.data, axis=1) == y)))
            bar.update(step, J.data)
    seconds = time.perf_counter() - start
    every = max(1, args.epochs // 10)
    for step in sorted({0, *range(every - 1, args.epochs, every)}):
        accuracy = accuracies[step]
        print(f"  step {step + 1:>5}: cost J = {history[step]:.6f}, accuracy {accuracy:.1%}")
    print(f"trained in {seconds:.2f} s ({1e3 * seconds / args.epochs:.2f} ms per step)")

    def predict(points: np.ndarray) -> np.ndarray:
        with no_grad():
            return np.argmax(mlp(points).data, axis=1)

    plt = matplotlib_pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    plot_decision_boundary(
        ax, predict, X, y, f"softmax over 3 classes: {accuracies[-1]:.0%}",
        class_names=[f"arm {k + 1} (y = {k})" for k in range(3)],
    )  # fmt: skip
    fig.tight_layout()
    fig.savefig(out / OUTPUTS[0], dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogy(np.arange(1, len(history) + 1), history)
    ax.set(xlabel="step", ylabel="cost J (log scale)", title="softmax cross-entropy, AdamW")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / OUTPUTS[1], dpi=100)
    plt.close(fig)
    print(f"files in {out}: {', '.join(OUTPUTS)}")


if __name__ == "__main__":
    main(sys.argv[1:])
