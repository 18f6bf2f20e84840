"""What the training demos share: their options, the train/test split, a timed
fit that prints the cost as it fell, and the plot of a decision boundary.

Not a demo (hence the leading underscore): the demos import it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphgrad.nn import LogisticRegression, ReLURegressor

OUTPUT = Path(__file__).resolve().parent / "output"


def parse_options(
    argv: list[str] | None, description: str, lr: float, epochs: int
) -> argparse.Namespace:
    """The demos' options; ``.epochs`` is filled in (100 with --quick, else ``epochs``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run: 100 epochs")
    parser.add_argument("--epochs", type=int, default=None, help="gradient-descent steps")
    parser.add_argument("--lr", type=float, default=lr, help=f"learning rate α (default {lr})")
    parser.add_argument(
        "--output-dir", type=Path, default=OUTPUT, help="where files go (demos/output)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 100 if args.quick else epochs
    return args


def split(
    X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A shuffled train/test split, the same every run: X_train, y_train, X_test, y_test."""
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(test_fraction * len(y))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def timed_fit(
    model: LogisticRegression | ReLURegressor,
    X: np.ndarray,
    y: np.ndarray,
    args: argparse.Namespace,
    cost_format: str,
    explore: Path | None = None,
) -> None:
    """Fit, then print about ten costs along the way and the time it took.

    With ``explore``, fit also writes the training page there (a slider over
    the epochs; see graphgrad.training), which the time includes.
    """
    start = time.perf_counter()
    model.fit(X, y, progress=False if args.no_progress else None, explore=explore)
    seconds = time.perf_counter() - start
    epochs = args.epochs
    every = max(1, epochs // 10)
    for epoch in [*range(0, epochs, every), epochs - 1][:11]:
        print(f"  epoch {epoch + 1:>5}: cost J = {model.history_[epoch]:{cost_format}}")
    print(f"trained in {seconds:.2f} s ({1e6 * seconds / epochs:.0f} µs per epoch)")
    if explore is not None:
        size = explore.stat().st_size
        print(f"wrote the training page {explore} ({size / 1e3:.0f} kB): open it in a browser")


def show_progress(args: argparse.Namespace) -> bool | None:
    """fit's progress argument: a bar on a terminal (None), none with --no-progress."""
    return False if args.no_progress else None


# One colour per class, as the notes draw the planar data (red y = 0, blue y = 1): the
# points in the full colour, the region the model gives the class in a pale tint of it.
CLASS_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
REGION_ALPHA = 0.25


def plot_decision_boundary(
    ax: Any,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    title: str,
    resolution: int = 200,
    class_names: Sequence[str] | None = None,
    legend: bool = True,
) -> list[Any]:
    """The classes ``predict`` gives over the plane around X, shaded, with the examples
    on top, coloured by their class (as the notes' plot_decision_boundary draws them).

    The axes are the two features x1 and x2; with ``legend`` the axes name each
    class (``class_names``, else y = 0, y = 1, ...).  Returns one legend handle per
    class, for a figure that shows one legend for several plots.
    """
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D

    margin = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    classes = predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    k = int(max(classes.max(), y.max())) + 1
    if k > len(CLASS_COLOURS):
        raise ValueError(f"at most {len(CLASS_COLOURS)} classes can be drawn, got {k}")
    colours = CLASS_COLOURS[:k]
    # The pale tints, mixed with white here rather than drawn translucent, so that
    # the region's colour is the same whatever is behind it.
    tints = [tuple(REGION_ALPHA * c + (1 - REGION_ALPHA) for c in to_rgb(colour))
             for colour in colours]  # fmt: skip
    ax.contourf(xx, yy, classes, levels=np.arange(k + 1) - 0.5, colors=tints)
    ax.scatter(X[:, 0], X[:, 1], c=[colours[int(label)] for label in y], s=12,
               edgecolors="k", linewidths=0.3)  # fmt: skip
    names = list(class_names) if class_names is not None else [f"y = {i}" for i in range(k)]
    if len(names) != k:
        raise ValueError(f"class_names names {len(names)} classes, the plot has {k}")
    handles = [
        Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=colour,
               markeredgecolor="k", markeredgewidth=0.3, label=name)
        for colour, name in zip(colours, names, strict=True)
    ]  # fmt: skip
    ax.set(title=title, xlabel="x1", ylabel="x2", xlim=(low[0], high[0]), ylim=(low[1], high[1]))
    if legend:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9,
                  title="class", title_fontsize=9, frameon=False)  # fmt: skip
    return handles


def matplotlib_pyplot() -> Any:
    """pyplot drawing into files only (no window)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
