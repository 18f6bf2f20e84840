"""The demos' pictures read well: each class stands out from its region, the boundary
plots name their axes and classes, no weight line crosses a name, no legend hides a curve.

The figures are built in-process by the demos' own functions (nothing is saved)
and checked through matplotlib's geometry of what it drew.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DEMOS = Path(__file__).resolve().parent.parent / "demos"
sys.path.insert(0, str(DEMOS))

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402


@pytest.fixture
def figures() -> Iterator[None]:
    yield
    plt.close("all")


def on_white(rgba: Any) -> np.ndarray:
    """A colour as it shows on a white page: its alpha blended with white."""
    r, g, b, a = to_rgba(rgba)
    return np.array([r, g, b]) * a + (1.0 - a)


def luminance(rgb: np.ndarray) -> float:
    """WCAG's relative luminance of an sRGB colour."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a: np.ndarray, b: np.ndarray) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def sectors(k: int) -> Any:
    """A classifier of the plane into k sectors around the origin, and points of each."""

    def predict(points: np.ndarray) -> np.ndarray:
        angle = np.mod(np.arctan2(points[:, 1], points[:, 0]), 2 * np.pi)
        return np.minimum((angle / (2 * np.pi) * k).astype(int), k - 1)

    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, size=(300, 2))
    return predict, X, predict(X)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_each_class_stands_out_from_the_region_of_its_class(k: int, figures: None) -> None:
    from _training import plot_decision_boundary

    predict, X, y = sectors(k)
    fig, ax = plt.subplots()
    plot_decision_boundary(ax, predict, X, y, "sectors")
    fig.canvas.draw()
    points = next(c for c in ax.collections if isinstance(c, PathCollection))
    point_colours = points.get_facecolors()
    regions = [c for c in ax.collections if c is not points]
    region_colours = [colour for region in regions for colour in region.get_facecolors()]
    assert len(region_colours) == k  # one filled level per class
    for label in range(k):
        point = on_white(point_colours[np.flatnonzero(y == label)[0]])
        region = on_white(region_colours[label])
        assert contrast(point, region) >= 2.5, (label, point, region)
        # ... and the classes differ from one another.
        for other in range(label):
            colour = on_white(point_colours[np.flatnonzero(y == other)[0]])
            assert np.abs(point - colour).max() > 0.2


def test_boundary_plots_name_their_axes_and_their_classes(figures: None) -> None:
    from _training import plot_decision_boundary

    predict, X, y = sectors(3)
    fig, ax = plt.subplots()
    handles = plot_decision_boundary(ax, predict, X, y, "arms", class_names=["a", "b", "c"])
    fig.canvas.draw()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert len(ax.get_xticks()) >= 3 and len(ax.get_yticks()) >= 3
    assert any(t.get_text() for t in ax.get_xticklabels())
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "c"]
    assert [h.get_label() for h in handles] == ["a", "b", "c"]
    fig, ax = plt.subplots()
    plot_decision_boundary(ax, predict, X, y, "arms")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["y = 0", "y = 1", "y = 2"]
    fig, ax = plt.subplots()
    plot_decision_boundary(ax, predict, X, y, "arms", legend=False)
    assert ax.get_legend() is None


def test_no_weight_line_of_the_house_network_crosses_a_name(figures: None) -> None:
    from house_network import network_figure

    from graphgrad.nn import MLP

    fig = network_figure(plt, MLP(4, [3, 1], activation="relu", seed=2))
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    names = [t for t in ax.texts if t.get_text() and not t.get_text().startswith("x (4 inputs)")]
    assert len(names) == 8  # four inputs, three hidden units, the price
    assert len(ax.lines) == 4 * 3 + 3 * 1  # one line per weight
    for text in names:
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        for line in ax.lines:
            path = line.get_transform().transform_path(line.get_path())
            assert not path.intersects_bbox(box, filled=False), text.get_text()


def test_no_legend_of_sigmoid_vs_relu_hides_a_curve(figures: None) -> None:
    from _houses import make_houses, standardize
    from sigmoid_vs_relu import NETWORKS, PRICE_UNIT, curves_figure, train

    from graphgrad import Value

    houses, prices = make_houses(100)
    X = Value(standardize(houses, houses), label="X", requires_grad=False)
    y = (prices / PRICE_UNIT).reshape(-1, 1)
    curves = {
        (title, activation): train(sizes, activation, X, y, 0.03, 60)
        for title, sizes in NETWORKS.items()
        for activation in ("sigmoid", "relu")
    }
    fig = curves_figure(plt, curves)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert len(fig.axes) == 3
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        box = legend.get_window_extent(renderer)
        assert len(ax.lines) == 2
        for line in ax.lines:
            path = line.get_transform().transform_path(line.get_path())
            assert not path.intersects_bbox(box, filled=False), (ax.get_title(), line.get_label())
