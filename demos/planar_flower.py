"""The notes' planar flower: one hidden layer of 1, 2, 3, 4, 5, 20 and 50 tanh units.

The notes' data set of two classes in petals (graphgrad.datasets.make_flower)
cannot be separated by a straight line: logistic regression gets about half
right.  A network with one hidden layer can bend its boundary; the notes train
it with gradient descent, learning rate 1.2, for 10,000 iterations, with
several hidden-layer sizes, and compare.  Here each network is an
MLPClassifier((n_h,), activation="tanh", solver="sgd"): forward propagation,
the cross-entropy cost, backward propagation and the update are each a graph
of a few array nodes and a backward().

    python demos/planar_flower.py              # 10,000 epochs per network, about 15 s
    python demos/planar_flower.py --quick      # 100 epochs (used by the tests)

Writes flower_hidden_sizes.png (the decision boundary of every network, and of
logistic regression, in one figure) and flower_training.html (the network of
4 hidden units learning, epoch by epoch: one point's graph, the cost curve and
the decision boundary; open it in a browser) to the output directory (default
demos/output/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _training import matplotlib_pyplot, parse_options, plot_decision_boundary, show_progress

from graphgrad.datasets import make_flower
from graphgrad.nn import LogisticRegression, MLPClassifier

HIDDEN_SIZES = (1, 2, 3, 4, 5, 20, 50)
OUTPUTS = ("flower_hidden_sizes.png", "flower_training.html")
WATCHED = 4  # the hidden-layer size whose training the page shows


def main(argv: list[str] | None = None) -> None:
    args = parse_options(argv, __doc__.split("\n")[0], lr=1.2, epochs=10_000)
    try:
        models = {
            n_h: MLPClassifier((n_h,), activation="tanh", solver="sgd", lr=args.lr,
                               epochs=args.epochs, seed=0)
            for n_h in HIDDEN_SIZES
        }  # fmt: skip
    except (TypeError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    X, y = make_flower(400, seed=0)
    print(f"the flower: {len(y)} points, two classes; {args.epochs} epochs, lr {args.lr}")
    linear = LogisticRegression(lr=0.5, epochs=min(args.epochs, 1000))
    linear.fit(X, y, progress=show_progress(args))
    print(f"logistic regression (a straight line): accuracy {linear.score(X, y):.1%}")
    for n_h, model in models.items():
        start = time.perf_counter()
        page = out / OUTPUTS[1] if n_h == WATCHED else None
        model.fit(X, y, progress=show_progress(args), explore=page)
        seconds = time.perf_counter() - start
        print(
            f"{n_h:>2} hidden unit{'s' if n_h > 1 else ' '}: accuracy {model.score(X, y):.1%}, "
            f"cost {model.history_[-1]:.4f} ({seconds:.1f} s)"
        )

    plt = matplotlib_pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(13, 7.2), layout="constrained")
    handles = plot_decision_boundary(
        axes[0, 0],
        linear.predict,
        X,
        y,
        f"logistic regression: {linear.score(X, y):.0%}",
        legend=False,
    )
    for ax, (n_h, model) in zip(axes.ravel()[1:], models.items(), strict=True):
        title = f"{n_h} hidden unit{'s' if n_h > 1 else ''}: {model.score(X, y):.0%}"
        plot_decision_boundary(ax, model.predict, X, y, title, legend=False)
    fig.suptitle(f"One hidden tanh layer, {args.epochs} epochs of gradient descent")
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    fig.savefig(out / OUTPUTS[0], dpi=80)
    plt.close(fig)
    print(f"files in {out}: {', '.join(OUTPUTS)}")


if __name__ == "__main__":
    main(sys.argv[1:])
