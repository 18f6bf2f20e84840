"""micrograd's demo: an MLP 2-16-16-1 with ReLU units on two moons, max-margin loss.

As micrograd's demo notebook trains it: 100 moons points with labels -1 and 1,
the loss mean(relu(1 - y·score)) plus 1e-4 times the sum of the squared
parameters, and 100 steps of gradient descent with a learning rate falling
from 1.0 to 0.1.  Here the network is graphgrad's vectorized nn.MLP: each step
builds a graph of a few array nodes over all 100 points (micrograd builds one
node per weight per point, about 65,000) and calls backward().  The first
loss is checked against nn.ScalarMLP, micrograd's layout: one node per weight,
the same weights, the same number.

    python demos/moons.py              # 100 steps, as the notebook
    python demos/moons.py --quick      # 10 steps (used by the tests)

Writes moons_boundary.png, moons_loss.png and moons_training.html (a page with
a slider over the steps: one point's graph through the network at each step,
the loss curve and the decision boundary) to the output directory (default
demos/output/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from _training import matplotlib_pyplot, parse_options, plot_decision_boundary

from graphgrad import Value, no_grad
from graphgrad.datasets import make_moons
from graphgrad.nn import MLP, SGD, ScalarMLP
from graphgrad.nn._progress import Progress
from graphgrad.training import TrainingRecorder

OUTPUTS = ("moons_boundary.png", "moons_loss.png", "moons_training.html")
EXAMPLE = 0  # the point whose graph the training page shows
ALPHA = 1e-4  # the notebook's L2 regularization strength


def loss(mlp: MLP, X: Value, y: np.ndarray) -> tuple[Value, float]:
    """The notebook's total loss and accuracy, on all m points at once."""
    scores = mlp(X)
    data_loss = (1 - y * scores).relu().mean()  # the max-margin ("hinge") loss
    reg_loss = ALPHA * sum((p * p).sum() for p in mlp.parameters())
    accuracy = float(np.mean((y > 0) == (scores.data > 0)))
    return data_loss + reg_loss, accuracy


def scalar_loss(mlp: ScalarMLP, X: np.ndarray, y: np.ndarray) -> Value:
    """The same loss as micrograd computes it, one example (and one node per weight) at a time."""
    scores = [mlp(list(x)) for x in X]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y[:, 0], scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + ALPHA * sum(p * p for p in mlp.parameters())  # type: ignore[no-any-return]


def training_recorder(
    mlp: MLP, X: np.ndarray, labels: np.ndarray, y: np.ndarray, steps: int
) -> TrainingRecorder:
    """A recorder of the run (graphgrad.training): one point's loss through a copy of
    the network at each recorded step, and the boundary where the score is 0."""
    copy = MLP(2, [16, 16, 1], activation="relu")

    def example() -> tuple[Value, list[Value]]:
        for mine, live in zip(copy.parameters(), mlp.parameters(), strict=True):
            mine.data = np.array(live.data)
        score = copy(X[EXAMPLE : EXAMPLE + 1])
        label = Value(y[EXAMPLE : EXAMPLE + 1], label="y", requires_grad=False)
        point_loss = (1 - label * score).relu().sum()
        point_loss.label = "L"
        return point_loss, copy.parameters()

    def probability(points: np.ndarray) -> np.ndarray:
        with no_grad():  # σ(score): above 0.5 exactly where the score is positive
            return np.asarray(mlp(points).sigmoid().data[:, 0])

    recorder = TrainingRecorder(
        steps,
        example,
        inputs=X,
        labels=labels.astype(float),
        probability=probability,
        example_input=list(X[EXAMPLE]),
        title="micrograd's moons MLP learning, one gradient step on all the points at a time",
        example_text=f"The graph is the max-margin loss of point {EXAMPLE} through the network.",
        step_name="Step",
    )
    recorder.start()
    return recorder


def main(argv: list[str] | None = None) -> None:
    args = parse_options(argv, __doc__.split("\n")[0], lr=1.0, epochs=100)
    if args.quick:
        args.epochs = 10
    if not args.lr > 0 or args.epochs < 1:
        sys.exit("error: lr must be a positive finite number and epochs a positive int")
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    X, labels = make_moons(100, noise=0.1, seed=1)
    y = (2.0 * labels - 1.0).reshape(-1, 1)  # -1 and 1, as the notebook's
    mlp = MLP(2, [16, 16, 1], activation="relu", seed=0)
    print(f"{mlp}: {sum(p.data.size for p in mlp.parameters())} parameters")
    X_node = Value(X, label="X", requires_grad=False)

    twin = ScalarMLP(2, [16, 16, 1], activation="relu", seed=0)  # the same weights
    first, _ = loss(mlp, X_node, y)
    same = abs(scalar_loss(twin, X, y).data - first.data)
    print(f"first loss {first.data:.6f}; ScalarMLP (one node per weight) gives the same "
          f"to {same:.0e}")  # fmt: skip

    optimizer = SGD(mlp.parameters(), lr=args.lr)
    recorder = training_recorder(mlp, X, labels, y, args.epochs)
    history, accuracies = [], []
    start = time.perf_counter()
    with Progress(args.epochs, False if args.no_progress else None, "moons") as bar:
        for k in range(args.epochs):
            total_loss, accuracy = loss(mlp, X_node, y)
            total_loss.backward()
            optimizer.lr = args.lr * (1.0 - 0.9 * k / args.epochs)  # the notebook's decay
            optimizer.step()
            history.append(total_loss.data)
            accuracies.append(accuracy)
            bar.update(k, total_loss.data)
            recorder.epoch_done(k + 1, total_loss.data)
    seconds = time.perf_counter() - start
    for k in sorted({0, *range(9, args.epochs, 10), args.epochs - 1}):
        print(f"  step {k:>3}: loss {history[k]:.6f}, accuracy {accuracies[k]:.0%}")
    print(f"trained in {seconds:.2f} s ({1e3 * seconds / args.epochs:.2f} ms per step)")

    def predict(points: np.ndarray) -> np.ndarray:
        with no_grad():
            return (mlp(points).data[:, 0] > 0).astype(int)

    plt = matplotlib_pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    plot_decision_boundary(
        ax, predict, X, labels, f"MLP 2-16-16-1, accuracy {accuracies[-1]:.0%}",
        class_names=["upper moon (y = -1)", "lower moon (y = 1)"],
    )  # fmt: skip
    fig.tight_layout()
    fig.savefig(out / OUTPUTS[0], dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(len(history)), history, label="loss")
    ax.plot(np.arange(len(history)), accuracies, label="accuracy")
    ax.set(xlabel="step", title="max-margin loss with L2, and accuracy")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / OUTPUTS[1], dpi=100)
    plt.close(fig)
    recorder.write(out / OUTPUTS[2])
    print(f"files in {out}: {', '.join(OUTPUTS)}")


if __name__ == "__main__":
    main(sys.argv[1:])
