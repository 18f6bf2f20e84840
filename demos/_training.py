"""What the training demos share: their options, the train/test split, and a
timed fit that prints the cost as it fell.

Not a demo (hence the leading underscore): the demos import it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

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
