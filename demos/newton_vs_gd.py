"""Gradient descent against Newton's method on the iris logistic regression.

The same cost J(w, b) as demos/logistic_regression.py (Iris virginica vs
versicolor from petal length and width, standardized), minimized twice:
gradient descent takes thousands of small steps -α·dJ; Newton's method takes
full steps -H⁻¹·dJ with the Hessian H of J, which graphgrad gets from
backward(create_graph=True), and lands on the minimum in a handful.

    python demos/newton_vs_gd.py                  # 2,000 gradient-descent epochs
    python demos/newton_vs_gd.py --quick          # 200 (used by the tests)
    python demos/newton_vs_gd.py --output-dir docs/images

Writes newton_vs_gd.png (both cost curves side by side) and
newton_training.html (a page with a slider over Newton's steps: one flower's
graph, the cost and the decision boundary at each step) to the output
directory (default demos/output/).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from graphgrad.nn import LogisticRegression

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the iris loader and split of the other demos
from _training import split  # noqa: E402
from logistic_regression import SEED, TEST_FRACTION, load_iris  # noqa: E402

NEWTON_STEPS = 10


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 gradient-descent epochs")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate α (default 0.5)")
    parser.add_argument(
        "--output-dir", type=Path, default=HERE / "output", help="where files go (demos/output)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    gd_epochs = 200 if args.quick else 2000
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    X, y = load_iris()
    X_train, y_train, _, _ = split(X, y, TEST_FRACTION, SEED)
    X_scaled = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)

    gd = LogisticRegression(lr=args.lr, epochs=gd_epochs).fit(X_scaled, y_train, progress=False)
    page = out / "newton_training.html"
    newton = LogisticRegression(solver="newton", epochs=NEWTON_STEPS).fit(
        X_scaled, y_train, progress=False, explore=page
    )
    best = newton.history_[-1]

    print(f"m = {len(y_train)} iris flowers, nx = {X.shape[1]} standardized features")
    print(f"Newton's method, {NEWTON_STEPS} steps (the cost each step starts from):")
    for step, J in enumerate(newton.history_, start=1):
        print(f"  step {step:>2}: cost J = {J:.10f}")
    print(f"gradient descent, learning rate {args.lr}:")
    for epoch in (1, 10, 100, 1000, 2000):
        if epoch <= gd_epochs:
            J = gd.history_[epoch - 1]
            print(f"  epoch {epoch:>4}: cost J = {J:.10f}   ({J - best:.1e} above Newton's)")
    print(f"Newton:           w = {np.round(newton.coef_, 4)}, b = {newton.intercept_:.4f}")
    print(f"gradient descent: w = {np.round(gd.coef_, 4)}, b = {gd.intercept_:.4f}")

    path = out / "newton_vs_gd.png"
    plot(gd.history_, newton.history_, args.lr, path)
    print(f"wrote {path}")
    print(f"wrote {page}: Newton's steps one by one, in a browser")


def plot(gd_history: list[float], newton_history: list[float], lr: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    best = newton_history[-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    left.plot(np.arange(1, len(gd_history) + 1), gd_history, color="tab:blue")
    left.set(xlabel="epoch", ylabel="cost J(w, b)", title=f"Gradient descent (α = {lr})")
    steps = np.arange(1, len(newton_history) + 1)
    right.plot(steps, newton_history, "o-", color="tab:red")
    right.set(xlabel="Newton step", title="Newton's method (Hessian from create_graph)")
    right.set_xticks(steps)
    for ax in (left, right):
        ax.axhline(best, color="k", linestyle="--", linewidth=1, label=f"minimum J = {best:.4f}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Logistic regression on iris: the same cost, two solvers")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1:])
