"""Logistic regression on Fisher's iris flowers, trained by gradient descent on graphgrad Values.

Task: tell Iris virginica (y = 1) from Iris versicolor (y = 0) by two numbers
per flower, petal length and petal width (cm): nx = 2 features, so the
decision boundary is a line that can be drawn.  Data: demos/data/iris.csv
(see demos/data/README.md for its source and licence).

Every gradient-descent step builds the notes' cost graph over all m training
examples (z = X @ w + b, L = loss(z, y), J = mean L) and calls backward().

    python demos/logistic_regression.py                # about 2,000 epochs, a few seconds
    python demos/logistic_regression.py --quick        # a short run (used by the tests)
    python demos/logistic_regression.py --output-dir out --epochs 5000 --lr 0.3

Writes to the output directory (default demos/output/): loss_curve.png,
decision_boundary.png, model.json, training.html (a page with a slider over
the epochs: one flower's graph with that epoch's values and gradients, the
cost curve and the decision boundary), and, when graph drawing is available,
example_loss.svg (one example's loss as the notes draw it, node by node) and
cost_graph.svg (the few nodes one training step builds for all m examples).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _training import parse_options, split, timed_fit

import graphgrad
from graphgrad import Value
from graphgrad.draw import RendererError
from graphgrad.graph import topological_order
from graphgrad.nn import LogisticRegression

HERE = Path(__file__).resolve().parent
OUTPUTS = (
    "loss_curve.png",
    "decision_boundary.png",
    "model.json",
    "training.html",
    "example_loss.svg",
    "cost_graph.svg",
)
DATA = HERE / "data" / "iris.csv"
FEATURES = ("petal_length_cm", "petal_width_cm")
POSITIVE, NEGATIVE = "virginica", "versicolor"
SEED = 0  # the train/test shuffle
TEST_FRACTION = 0.3


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """X (m, 2) petal length and width in cm; y = 1 for virginica, 0 for versicolor."""
    rows, labels = [], []
    with DATA.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if record["species"] in (POSITIVE, NEGATIVE):
                rows.append([float(record[name]) for name in FEATURES])
                labels.append(1 if record["species"] == POSITIVE else 0)
    return np.array(rows), np.array(labels)


def main(argv: list[str] | None = None) -> None:
    args = parse_options(argv, __doc__.split("\n")[0], lr=0.5, epochs=2000)
    epochs = args.epochs
    try:
        model = LogisticRegression(lr=args.lr, epochs=epochs)
    except (TypeError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    X, y = load_iris()
    X_train, y_train, X_test, y_test = split(X, y, TEST_FRACTION, SEED)
    # Gradient descent converges much faster when features share one scale,
    # so each is standardized with the training set's mean and spread.
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)

    def scale(data: np.ndarray) -> np.ndarray:
        return (data - mean) / std

    print(f"Iris {POSITIVE} (y=1) vs {NEGATIVE} (y=0) from {' and '.join(FEATURES)}")
    print(f"m = {len(y_train)} training and {len(y_test)} test flowers, nx = {X.shape[1]}")
    print(f"Gradient descent: {epochs} epochs, learning rate {args.lr}")

    timed_fit(model, scale(X_train), y_train, args, ".6f", explore=out / "training.html")

    train_accuracy = model.score(scale(X_train), y_train)
    test_accuracy = model.score(scale(X_test), y_test)
    print(f"train accuracy: {train_accuracy:.1%}   test accuracy: {test_accuracy:.1%}")
    # w·(x - mean)/std + b = 0, rewritten in centimetres.
    w_cm = model.coef_ / std
    b_cm = model.intercept_ - float(w_cm @ mean)
    sign = "+" if b_cm >= 0 else "-"
    print(
        f"decision boundary: {w_cm[0]:.3f}·length + {w_cm[1]:.3f}·width "
        f"{sign} {abs(b_cm):.3f} = 0 (in cm; virginica where the left side is positive)"
    )

    model_path = out / "model.json"
    model.save(model_path)
    reloaded = LogisticRegression.load(model_path)
    same = np.array_equal(reloaded.predict_proba(scale(X_test)), model.predict_proba(scale(X_test)))
    print(f"saved the model to {model_path}; reloaded, it predicts the same: {same}")

    # The training flower nearest the boundary: its gradients are the largest.
    nearest = int(np.argmin(np.abs(model.decision_function(scale(X_train)))))
    show_one_example(model, X_train[nearest], scale, int(y_train[nearest]), out)
    show_training_graph(model, scale(X_train), y_train, out)
    plot(model, X_train, y_train, X_test, y_test, mean, std, out)
    written = [name for name in OUTPUTS if (out / name).exists()]
    print(f"files in {out}: {', '.join(written)}")


def show_one_example(
    model: LogisticRegression,
    flower: np.ndarray,
    scale: Callable[[np.ndarray], np.ndarray],
    y: int,
    out: Path,
) -> None:
    """One example's loss as the notes draw it, its gradients, and a picture of the graph."""
    x = scale(flower)
    L = model.example_loss(x, y)
    L.backward()
    nodes = {node.label: node for node in topological_order(L) if node.label}
    z, w, b = nodes["z"], [nodes["w1"], nodes["w2"]], nodes["b"]
    a = 1.0 / (1.0 + np.exp(-z.data))
    print("the training flower nearest the boundary, as a graph of Value nodes:")
    species = POSITIVE if y else NEGATIVE
    print(f"  petals {flower[0]} cm by {flower[1]} cm, a {species} (y = {y})")
    print(f"  standardized: x1 = {x[0]:.3f}, x2 = {x[1]:.3f}")
    print(f"  z = w1·x1 + w2·x2 + b = {z.data:.4f}, a = σ(z) = {a:.4f}, L = {L.data:.4f}")
    print(f"  backward(): dz = {z.grad:.4f} (the notes' a - y = {a - y:.4f})")
    print(f"              dw1 = {w[0].grad:.4f}, dw2 = {w[1].grad:.4f}, db = {b.grad:.4f}")
    draw(L, out / "example_loss.svg", "this example's loss")


def show_training_graph(model: LogisticRegression, X: np.ndarray, y: np.ndarray, out: Path) -> None:
    """The graph one gradient-descent step builds: a few nodes, each holding all m examples."""
    w = Value(model.coef_, label="w")
    b = Value(model.intercept_, label="b")
    # The data are constants: backward() gives them no (m, nx) gradient.
    X_leaf = Value(X, label="X", requires_grad=False)
    y_leaf = Value(y.astype(float), label="y", requires_grad=False)
    J = model.cost_graph(X_leaf, y_leaf, w, b)
    J.backward()
    nodes = topological_order(J)
    print(f"one training step's graph: {len(nodes)} nodes for all m = {len(y)} examples:")
    # A number of the formula (the 1 and 2 of 1 - 2y) has no label: shown as itself.
    print("  " + ", ".join(f"{node.label or node.op or node.data} {node.shape}" for node in nodes))
    print(f"  at the learned w, b: J = {J.data:.6f}, dw = {np.round(w.grad, 6)}, db = {b.grad:.6f}")
    draw(J, out / "cost_graph.svg", "the cost over all training examples")


def draw(root: Value, target: Path, what: str) -> None:
    """Draw a graph to an SVG file; a renderer that cannot run must not stop the demo."""
    try:
        graphgrad.render(root, target)
    except RendererError as exc:
        print(f"  could not draw the graph: {exc}")
        return
    print(f"  drew the graph of {what} to {target}")


def plot(
    model: LogisticRegression,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    out: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(model.history_) + 1), model.history_)
    ax.set(xlabel="epoch", ylabel="cost J(w, b)", title="Logistic regression: cost per epoch")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "loss_curve.png", dpi=120)
    plt.close(fig)

    X_all = np.vstack([X_train, X_test])
    lo, hi = X_all.min(axis=0) - 0.3, X_all.max(axis=0) + 0.3
    grid_x, grid_y = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    a = model.predict_proba((points - mean) / std)[:, 1].reshape(grid_x.shape)
    fig, ax = plt.subplots(figsize=(6, 5))
    shade = ax.contourf(grid_x, grid_y, a, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    fig.colorbar(shade, ax=ax, label="a = P(virginica)")
    ax.contour(grid_x, grid_y, a, levels=[0.5], colors="k", linewidths=1.5)
    for data, labels, marker, name in (
        (X_train, y_train, "o", "train"),
        (X_test, y_test, "^", "test"),
    ):
        for value, colour, species in ((0, "tab:blue", NEGATIVE), (1, "tab:red", POSITIVE)):
            chosen = data[labels == value]
            ax.scatter(chosen[:, 0], chosen[:, 1], c=colour, marker=marker, edgecolors="k",
                       linewidths=0.5, label=f"{species} ({name})")  # fmt: skip
    ax.set(
        xlabel="petal length (cm)",
        ylabel="petal width (cm)",
        title="Decision boundary a = 0.5",
        xlim=(lo[0], hi[0]),
        ylim=(lo[1], hi[1]),
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "decision_boundary.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1:])
