"""Small two-dimensional data sets for classifiers, made with numpy (no downloads).

Each function returns ``(X, y)`` as scikit-learn does: X of shape (m, 2), one
row per example, and y of shape (m,) holding the class of each example as an
int (0, 1, ...).  The same ``seed`` gives the same data on every machine and
every run; ``seed=None`` draws fresh data each call.

- :func:`make_moons`: two interleaving half circles (micrograd's demo data).
- :func:`make_spiral`: arms of a spiral, one per class (a softmax classifier's
  classic test: no straight line separates two arms).
- :func:`make_flower`: the notes' planar "flower", two classes in petals that
  logistic regression cannot separate and one hidden layer can.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]

__all__ = ["make_flower", "make_moons", "make_spiral"]


def __dir__() -> list[str]:
    # dir(graphgrad.datasets) lists what the module offers, not the numpy and
    # math it imports (PEP 562).
    return sorted(__all__)


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[Array, Labels]:
    """Two interleaving half circles: class 0 on top, class 1 below, shifted right.

    The points lie on the unit circle's upper half (class 0) and on a copy of it
    flipped and moved by (1, 0.5) (class 1), as scikit-learn's ``make_moons``
    draws them; then Gaussian noise of standard deviation ``noise`` moves each
    point, and the rows are shuffled.  Class 0 gets n // 2 points.

    >>> X, y = make_moons(6, noise=0.0, seed=0)
    >>> X.shape, y.shape, sorted(y.tolist())
    ((6, 2), (6,), [0, 0, 0, 1, 1, 1])
    >>> bool(np.all(make_moons(50, seed=1)[0] == make_moons(50, seed=1)[0]))
    True
    """
    count = _count(n, "n", minimum=2)
    spread = _noise(noise)
    rng = _rng(seed)
    upper = count // 2
    lower = count - upper
    t_upper = np.linspace(0.0, math.pi, upper)
    t_lower = np.linspace(0.0, math.pi, lower)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t_upper), np.sin(t_upper)]),
            np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)]),
        ]
    )
    y = np.concatenate([np.zeros(upper, dtype=np.int64), np.ones(lower, dtype=np.int64)])
    # The shuffle first: with the same seed, noise 0 and noise 0.1 give the same
    # points in the same order, only moved.
    order = rng.permutation(count)
    X, y = X[order], y[order]
    return X + rng.normal(scale=spread, size=X.shape), y


def make_spiral(
    n_per_class: int = 100, classes: int = 3, seed: int | None = 0, noise: float = 0.2
) -> tuple[Array, Labels]:
    """``classes`` spiral arms of ``n_per_class`` points each, one class per arm.

    Arm k starts at the origin and winds outwards: its j-th point has radius
    r = j / (n_per_class - 1) and angle 4k + 4r plus Gaussian noise of standard
    deviation ``noise`` (the data set of Stanford's CS231n notes).  Rows come
    class by class.

    >>> X, y = make_spiral(50, classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((150, 2), [50, 50, 50])
    >>> float(np.abs(X).max()) <= 1.0
    True
    """
    per_class = _count(n_per_class, "n_per_class", minimum=2)
    k = _count(classes, "classes", minimum=2)
    spread = _noise(noise)
    rng = _rng(seed)
    radius = np.linspace(0.0, 1.0, per_class)
    X = np.empty((per_class * k, 2))
    y = np.repeat(np.arange(k, dtype=np.int64), per_class)
    for label in range(k):
        angle = 4.0 * label + 4.0 * radius + rng.normal(scale=spread, size=per_class)
        rows = slice(label * per_class, (label + 1) * per_class)
        X[rows] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X, y


def make_flower(n: int = 400, seed: int | None = 0) -> tuple[Array, Labels]:
    """The notes' planar "flower": two classes of points in interleaved petals.

    As the notes' ``load_planar_dataset`` makes it: for class j, angles t run
    from 3.12·j to 3.12·(j + 1) with noise 0.2, the radius is 4·sin(4t) plus
    noise 0.2, and each point is (r·sin t, r·cos t).  Class 0 gets n // 2
    points; rows come class by class.  (The notes keep X as (2, m) and Y as
    (1, m); here X is (m, 2) and y is (m,), as scikit-learn has them.)

    >>> X, y = make_flower(400)
    >>> X.shape, np.bincount(y).tolist()
    ((400, 2), [200, 200])
    """
    count = _count(n, "n", minimum=2)
    rng = _rng(seed)
    sizes = (count // 2, count - count // 2)
    parts, labels = [], []
    for label, size in enumerate(sizes):
        t = np.linspace(label * 3.12, (label + 1) * 3.12, size) + rng.normal(scale=0.2, size=size)
        r = 4.0 * np.sin(4.0 * t) + rng.normal(scale=0.2, size=size)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(size, label, dtype=np.int64))
    return np.concatenate(parts), np.concatenate(labels)


# --- argument checks: each error names the argument ----------------------------------------


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _noise(value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"noise must be a number, got {type(value).__name__} {value!r}")
    spread = float(value)
    if not 0.0 <= spread < math.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {value!r}")
    return spread


def _rng(seed: object) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None or an int >= 0, got {seed!r}")
    return np.random.default_rng(int(seed))
