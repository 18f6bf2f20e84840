"""Why deep learning is taking off: performance against the amount of data, by network size.

The notes draw it as a sketch: with little labelled data every learning
algorithm does about as well as another; with more, a traditional algorithm
(here logistic regression) stops improving, a small network improves a little,
a medium one more, and a large network keeps improving the longest.  This demo
measures it.  The task is a 4 by 4 checkerboard of two classes in the square
[-1, 1]² (3% of the training labels flipped, as noisy labels are): no
straight line separates it, and the finer its cells are to be followed, the
more hidden units it takes.  Logistic regression and three MLPClassifiers
(tanh units, Adam, full batch) are trained on the first m examples of one
shuffled training set, for m from 25 to 1,600, and each is scored on the same
2,000 test examples.

    python demos/scale.py            # m from 25 to 1,600, 500 epochs each (a few seconds)
    python demos/scale.py --quick    # m from 25 to 400, 150 epochs (used by the tests)

Writes scale.png (the data, and accuracy against m for each model) to the
output directory (default demos/output/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _training import CLASS_COLOURS, REGION_ALPHA, matplotlib_pyplot, parse_options

from graphgrad.nn import LogisticRegression, MLPClassifier

OUTPUTS = ("scale.png",)
CELLS = 4  # the checkerboard's cells along each side
FLIPPED = 0.03  # the share of training labels flipped
TEST_EXAMPLES = 2000
SIZES = (25, 50, 100, 200, 400, 800, 1600)
QUICK_SIZES = (25, 100, 400)
QUICK_EPOCHS = 150
# The networks, small to large: their hidden layers.
NETWORKS = {"small": (2,), "medium": (8,), "large": (32, 32)}
STYLES = {"logistic regression": "0.45", "small": "tab:orange", "medium": "tab:green",
          "large": "tab:purple"}  # fmt: skip


def make_checkerboard(m: int, seed: int, flipped: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """m points uniform in [-1, 1]², labelled by the colour of their checkerboard cell
    (0 or 1), with a share ``flipped`` of the labels turned to the other class."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(m, 2))
    cell = np.minimum(np.floor((X + 1.0) / 2.0 * CELLS), CELLS - 1).astype(int)
    y = (cell.sum(axis=1) % 2).astype(np.int64)
    flip = rng.random(m) < flipped
    y[flip] = 1 - y[flip]
    return X, y


def models(lr: float, epochs: int) -> dict[str, Any]:
    """A fresh model of each kind, by name: the traditional algorithm, then the networks."""
    made: dict[str, Any] = {"logistic regression": LogisticRegression(lr=0.5, epochs=epochs)}
    for name, hidden in NETWORKS.items():
        made[name] = MLPClassifier(hidden, activation="tanh", lr=lr, epochs=epochs, seed=0)
    return made


def _tint(colour: str) -> tuple[float, ...]:
    from matplotlib.colors import to_rgb

    return tuple(REGION_ALPHA * c + (1 - REGION_ALPHA) for c in to_rgb(colour))


def label(name: str) -> str:
    if name not in NETWORKS:
        return f"{name} (a straight line)"
    layers = "-".join(str(width) for width in NETWORKS[name])
    return f"{name} network, 2-{layers}-1"


def main(argv: list[str] | None = None) -> None:
    args = parse_options(argv, __doc__.split("\n")[0], lr=0.05, epochs=500)
    if args.quick:
        args.epochs = QUICK_EPOCHS
    try:
        models(args.lr, args.epochs)
    except (TypeError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)
    sizes = QUICK_SIZES if args.quick else SIZES
    X, y = make_checkerboard(max(sizes), seed=0, flipped=FLIPPED)
    X_test, y_test = make_checkerboard(TEST_EXAMPLES, seed=1)
    print(
        f"a {CELLS}x{CELLS} checkerboard; m = {', '.join(map(str, sizes))} training "
        f"examples; {TEST_EXAMPLES} test examples; {args.epochs} epochs, lr {args.lr}"
    )

    accuracy: dict[str, list[float]] = {name: [] for name in models(args.lr, args.epochs)}
    start = time.perf_counter()
    for m in sizes:
        for name, model in models(args.lr, args.epochs).items():
            model.fit(X[:m], y[:m], progress=False)
            accuracy[name].append(model.score(X_test, y_test))
    seconds = time.perf_counter() - start
    print("test accuracy by m: " + " ".join(f"{m:>6}" for m in sizes))
    for name, scores in accuracy.items():
        print(f"  {name:>19}: " + " ".join(f"{a:6.1%}" for a in scores))
    print(f"trained {len(sizes) * len(accuracy)} models in {seconds:.1f} s")

    plt = matplotlib_pyplot()
    fig, (data, curves) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=(1, 1.7))
    shown = min(400, len(y))
    # The cells, in pale tints of their class's colour, under the examples.
    grid = np.indices((CELLS, CELLS)).sum(axis=0) % 2
    tints = [_tint(colour) for colour in CLASS_COLOURS[:2]]
    data.imshow(np.array(tints)[grid], extent=(-1, 1, -1, 1), origin="lower")
    data.scatter(X[:shown, 0], X[:shown, 1], s=9, edgecolors="k", linewidths=0.2,
                 c=[CLASS_COLOURS[int(k)] for k in y[:shown]])  # fmt: skip
    data.set(title=f"the task, and {shown} of the training examples", xlabel="x1", ylabel="x2",
             aspect="equal", xlim=(-1, 1), ylim=(-1, 1))  # fmt: skip
    for name, scores in accuracy.items():
        curves.plot(sizes, scores, marker="o", color=STYLES[name], label=label(name))
    curves.set_xscale("log")
    curves.set_xticks(sizes, [str(m) for m in sizes])
    curves.minorticks_off()
    curves.set(xlabel="amount of labelled data m (training examples)",
               ylabel="performance: test accuracy", ylim=(0.4, 1.0),
               title="more data helps the larger networks the most")  # fmt: skip
    curves.legend(loc="upper left", fontsize=9)
    curves.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / OUTPUTS[0], dpi=80)
    plt.close(fig)
    print(f"files in {out}: {', '.join(OUTPUTS)}")


if __name__ == "__main__":
    main(sys.argv[1:])
