"""Watch a model learn: a page with a slider over the epochs of one training run.

``LogisticRegression().fit(X, y, explore="training.html")`` writes a page
that shows, at each recorded epoch, one training example's graph with that
epoch's values and gradients, the cost curve up to that epoch and, for
inputs of two features, the decision boundary.

Any training loop can write such a page through :class:`TrainingRecorder`:
it needs a function that builds the one-example graph from the model's
current parameters, and (for a classifier of two features) one that gives
the model's probability of class 1 at any points.  The loop calls
:meth:`TrainingRecorder.epoch_done` after every epoch and
:meth:`TrainingRecorder.write` at the end; the recorder keeps a snapshot
every ``every`` epochs, which keeps the page small.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from graphgrad.draw import DrawingParts, drawing_parts
from graphgrad.formula import DEFAULT_DIGITS, check_digits, format_number
from graphgrad.graph import printable
from graphgrad.pages import asset, fill, html_page, inline_svg, page_path
from graphgrad.renderers import render_drawing
from graphgrad.value import Value
from graphgrad.view import Options, view_of

Array = npt.NDArray[np.float64]
#: Builds one example's loss from the model's current parameters: the loss
#: node and the parameter leaves in its graph (drawn in green).
ExampleGraph = Callable[[], tuple[Value, Sequence[Value]]]
#: The model's probability of class 1 at each row of an (n, 2) array of inputs.
Probability = Callable[[Array], Array]

#: Snapshots a page holds by default: ``every`` is chosen to give about this many.
DEFAULT_SNAPSHOTS = 100
#: The decision boundary is drawn from the probability on a grid of this many
#: points a side (stored one byte a point).
GRID_SIZE = 41
#: At most this many points of the cost curve and of the data are stored.
MAX_CURVE_POINTS = 2000
MAX_DATA_POINTS = 500
#: Significant digits of the costs a page stores: its plot is a few hundred
#: pixels high, and the cost's text is written out separately.
PLOTTED_DIGITS = 4
#: Decimals of the positions a page stores, as fractions of its plot's side.
PLOT_DECIMALS = 4
MAX_STEP_NAME_CHARS = 40
#: A graph at most this wide (px, as drawn) stands beside the plots, at its size;
#: a wider one spans the page above them (a page is about 1,070 px wide, the plots
#: take at least 280).
BESIDE_MAX_PX = 800


@dataclass(frozen=True)
class TrainingPage:
    """What ``fit(X, y, explore=...)`` records: pass a file name, or one of these.

    - ``path``: the page to write, ending in .html or .htm;
    - ``example``: the training example (row of X) whose graph the page shows;
    - ``every``: keep a snapshot every this many epochs (default: enough for
      about 100 snapshots; the first and last epochs are always kept).
    """

    path: str | os.PathLike[str]
    example: int = 0
    every: int | None = None


def training_page(explore: object, argument: str = "explore") -> TrainingPage:
    """``explore`` (a file name or a TrainingPage) checked, as a TrainingPage.

    Errors are one line and name ``argument``.
    """
    spec = explore if isinstance(explore, TrainingPage) else None
    if spec is None:
        if not isinstance(explore, (str, os.PathLike)):
            raise TypeError(
                f"{argument} must be a file name or a graphgrad.training.TrainingPage, "
                f"got {type(explore).__name__}"
            )
        spec = TrainingPage(explore)
    page_path(spec.path, argument)
    for name, value in (("example", spec.example), ("every", spec.every)):
        if value is None and name == "every":
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{argument}: {name} must be an int, got {value!r}")
    if spec.example < 0:
        raise ValueError(f"{argument}: example must be a row of X (0 or more), got {spec.example}")
    if spec.every is not None and spec.every < 1:
        raise ValueError(f"{argument}: every must be a positive int, got {spec.every}")
    return spec


class TrainingRecorder:
    """Records one training run for the training page.

    A training loop of ``epochs`` epochs uses it so::

        recorder = TrainingRecorder(epochs, example=one_example_graph)
        recorder.start()                      # epoch 0: the starting parameters
        for epoch in range(1, epochs + 1):
            cost = ...                        # one epoch: its cost, then the update
            recorder.epoch_done(epoch, cost)  # the parameters after this epoch
        recorder.write("training.html")

    - ``example``: builds one example's loss from the current parameters,
      returning the loss and the parameter leaves in its graph; it must build
      the same graph (the same ops and labels) every time, only the numbers
      change.  The recorder runs ``backward()`` on it.
    - ``every``: keep a snapshot every this many epochs (default: about
      ``DEFAULT_SNAPSHOTS`` in all); the first and last are always kept.
    - ``inputs`` (m, 2) and ``labels`` (m,) with ``probability``: for a
      classifier of two features, the data and the model's probability of
      class 1 at any inputs, from which each snapshot's decision boundary
      (probability 0.5) is drawn; ``example_input``, the example's two
      inputs, is marked among the data.
    - ``title``: the page's heading; ``example_text``: a line about the example.
    - ``step_name``: what one step of the run is, as the page names it
      (default ``"Epoch"``; ``"Newton step"`` for Newton's method, say).

    The numbers the page stores are rounded to what it shows and plots, so a
    page does not change with the last bits of a machine's arithmetic.
    """

    def __init__(
        self,
        epochs: int,
        example: ExampleGraph,
        *,
        every: int | None = None,
        inputs: Array | None = None,
        labels: Array | None = None,
        probability: Probability | None = None,
        example_input: Sequence[float] | None = None,
        title: str = "Training",
        example_text: str = "",
        digits: int = DEFAULT_DIGITS,
        step_name: str = "Epoch",
    ) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive int, got {epochs!r}")
        if (
            not isinstance(step_name, str)
            or not step_name.strip()
            or len(step_name) > MAX_STEP_NAME_CHARS
            or printable(step_name) != step_name
        ):
            raise ValueError(
                f"step_name must be a short name of one line, such as 'Epoch', got {step_name!r}"
            )
        self.step_name = step_name.strip()
        self.epochs = epochs
        self.every = every if every is not None else max(1, math.ceil(epochs / DEFAULT_SNAPSHOTS))
        self._example = example
        self._digits = check_digits(digits)
        self._title = title
        self._example_text = example_text
        self._boundary = (
            None if probability is None else _Boundary(inputs, labels, probability, example_input)
        )
        self._costs: list[float] = []
        self._snapshots: list[dict[str, Any]] = []
        self._ids: list[str] | None = None
        self._shape: list[int] = []
        self._parts: DrawingParts | None = None

    @property
    def snapshot_epochs(self) -> list[int]:
        """The epochs recorded so far."""
        return [snapshot["epoch"] for snapshot in self._snapshots]

    def start(self) -> None:
        """Record epoch 0: the parameters before training."""
        self._snapshot(0)

    def epoch_done(self, epoch: int, cost: float) -> None:
        """Note epoch ``epoch``'s cost (1 for the first); snapshot it if it is due."""
        if epoch != len(self._costs) + 1:
            raise ValueError(f"expected epoch {len(self._costs) + 1}, got {epoch}")
        cost = float(cost)
        if not math.isfinite(cost):
            raise ValueError(f"the cost of epoch {epoch} is {cost}: a page plots finite costs")
        self._costs.append(cost)
        if epoch % self.every == 0 or epoch == self.epochs:
            self._snapshot(epoch)

    def _snapshot(self, epoch: int) -> None:
        loss, parameters = self._example()
        options = Options(
            params=frozenset(parameters), digits=self._digits, show_grad=True, direction="TB"
        )
        # The view runs the example's backward pass, for its gradients.
        parts = drawing_parts(view_of(loss, options, backward=True), element_ids=True)
        ids = sorted(parts.labels, key=_part_order)
        shape = [len(parts.labels[part]) for part in ids]
        if self._ids is None:
            self._ids, self._shape = ids, shape
        elif ids != self._ids or shape != self._shape:
            raise ValueError(
                f"the example's graph changed between epochs (at epoch {epoch}): "
                "the function that builds it must make the same graph every time"
            )
        self._parts = parts
        cost = self._costs[epoch - 1] if epoch > 0 else None
        snapshot: dict[str, Any] = {
            "epoch": epoch,
            "cost": None if cost is None else plotted(cost),
            "costText": None if cost is None else format_number(cost, self._digits),
            "labels": [list(parts.labels[part]) for part in ids],
        }
        if self._boundary is not None:
            snapshot["grid"] = self._boundary.grid()
        self._snapshots.append(snapshot)

    def data(self) -> dict[str, Any]:
        """What the page's script reads (also what the tests check)."""
        stride = max(1, math.ceil(len(self._costs) / MAX_CURVE_POINTS))
        curve = [
            [epoch, plotted(cost)]
            for epoch, cost in enumerate(self._costs, start=1)
            if (epoch - 1) % stride == 0 or epoch == len(self._costs)
        ]
        return {
            "epochs": self.epochs,
            "step": self.step_name,
            "every": self.every,
            "ids": self._ids or [],
            "snapshots": self._snapshots,
            "curve": curve,
            "boundary": None if self._boundary is None else self._boundary.layout(),
        }

    def page(self) -> str:
        """The page's HTML."""
        if not self._snapshots or self._parts is None or self._ids is None:
            raise ValueError("nothing recorded yet: call start() before training")
        # Each box and label is laid out for its widest text over all snapshots
        # (the layout is made once; the numbers change).
        widest = {
            part: tuple(
                max((s["labels"][k][j] for s in self._snapshots), key=text_width)
                for j in range(self._shape[k])
            )
            for k, part in enumerate(self._ids)
        }
        parts = drawing_parts(self._parts.view, element_ids=True, layout_labels=widest)
        # Top to bottom with ranks packed closer than Graphviz's default.
        parts.drawing.graph_attr.update(ranksep="0.3", nodesep="0.25")
        svg = render_drawing(parts.drawing, "svg").decode("utf-8")
        step = self.step_name.lower()
        shows = f"the example's graph with that {step}'s values and gradients, the cost so far"
        if self._boundary is not None:
            shows += " and the decision boundary"
        body = fill(
            asset("training.html"),
            layout="gg-beside" if picture_width_px(svg) <= BESIDE_MAX_PX else "gg-across",
            title=html.escape(self._title),
            example=html.escape(self._example_text),
            shows=html.escape(shows),
            step=html.escape(self.step_name),
            step_lower=html.escape(step),
            svg=inline_svg(svg),
            boundary_hidden="" if self._boundary is not None else " hidden",
        )
        return html_page(self._title, body, self.data(), asset("training.js"))

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (ending in .html or .htm); returns the path."""
        target = page_path(path)
        target.write_text(self.page(), encoding="utf-8")
        return target


def _part_order(part: str) -> tuple[int, str]:
    # Numbered parts in the drawing's order (gg-n3 before gg-n12), ops and edges after.
    digits = "".join(ch if ch.isdigit() else " " for ch in part).split()
    return (int(digits[0]) if digits else -1, part)


def picture_width_px(svg: str) -> float:
    """How wide Graphviz drew the picture, in CSS pixels (it writes points)."""
    import re

    found = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    return float(found.group(1)) * 4 / 3 if found else 0.0


def plotted(x: float) -> float:
    """``x`` rounded to the digits a page plots (PLOTTED_DIGITS significant digits)."""
    return float(f"{x:.{PLOTTED_DIGITS}g}")


# Helvetica's widths in thousandths of the font size: digits all 556; a few
# narrow and wide characters; others about a digit's width.
_NARROW = dict.fromkeys(".,:;!|'ijl", 250) | {" ": 278, "-": 333, "(": 333, ")": 333, "f": 278}
_WIDE = dict.fromkeys("mwMW@", 850) | dict.fromkeys("+=<>←∂", 584)


def text_width(line: str) -> int:
    """About how wide ``line`` is drawn in Helvetica, in thousandths of the font size."""
    return sum(_NARROW.get(ch) or _WIDE.get(ch) or (667 if ch.isupper() else 556) for ch in line)


class _Boundary:
    """The data and the probability grid of a classifier of two features."""

    def __init__(
        self,
        inputs: Array | None,
        labels: Array | None,
        probability: Probability,
        example: Sequence[float] | None,
    ) -> None:
        if inputs is None or labels is None:
            raise ValueError("a decision boundary needs the inputs and labels as well")
        points = np.asarray(inputs, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
            raise ValueError(
                f"a decision boundary needs inputs of shape (m, 2) and m labels, "
                f"got {points.shape} and {len(labels)}"
            )
        if not np.all(np.isfinite(points)):
            raise ValueError("a decision boundary needs finite inputs")
        # Each axis is worked in units of its largest |x|, so that neither the
        # margins nor the positions can overflow, whatever the inputs' size; the
        # page gets positions as fractions of the plot (0 to 1), which it only scales.
        scale = np.max(np.abs(points), axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)
        units = points / self.scale
        low, high = units.min(axis=0), units.max(axis=0)
        margin = np.maximum((high - low) * 0.1, 0.5 / self.scale)
        limit = np.finfo(np.float64).max / self.scale  # the largest float, in these units
        self.low = np.maximum(low - margin, -limit)
        self.high = np.minimum(high + margin, limit)
        axes = [self._inputs(np.linspace(self.low[k], self.high[k], GRID_SIZE), k) for k in (0, 1)]
        x1, x2 = np.meshgrid(axes[0], axes[1])  # row r: x2 = axes[1][r]
        self.grid_points = np.column_stack([x1.ravel(), x2.ravel()])
        stride = max(1, math.ceil(len(points) / MAX_DATA_POINTS))
        fractions = self.fractions(points[::stride])
        self.points = [
            [a, b, int(label)]
            for (a, b), label in zip(fractions, np.asarray(labels)[::stride], strict=True)
        ]
        self.probability = probability
        self.example = None
        if example is not None:
            place = np.asarray(example, dtype=np.float64).reshape(1, 2)
            if not np.all(np.isfinite(place)):
                raise ValueError("a decision boundary needs a finite example_input")
            self.example = self.fractions(place)[0]

    def _inputs(self, units: Array, axis: int) -> Array:
        """Positions in the axis's units as inputs (the largest floats at most)."""
        with np.errstate(over="ignore"):
            values = units * self.scale[axis]
        biggest = np.finfo(np.float64).max
        clipped: Array = np.clip(values, -biggest, biggest)
        return clipped

    def fractions(self, points: Array) -> list[list[float]]:
        """Where ``points`` lie on the plot, as fractions of its sides, rounded."""
        placed = (points / self.scale - self.low) / (self.high - self.low)
        return [[round(float(a), PLOT_DECIMALS), round(float(b), PLOT_DECIMALS)] for a, b in placed]

    def grid(self) -> str:
        """The probability at each grid point (rows from the smallest x2), one byte each, base64."""
        p = np.asarray(self.probability(self.grid_points), dtype=np.float64)
        if p.shape != (len(self.grid_points),) or not np.all(np.isfinite(p)):
            raise ValueError("probability must give one finite number per input row")
        quantized = np.rint(np.clip(p, 0.0, 1.0) * 255).astype(np.uint8)
        return base64.b64encode(quantized.tobytes()).decode("ascii")

    def layout(self) -> dict[str, Any]:
        """The plot's axes (each [low, high]), its points ([x1, x2, label], as
        fractions of the plot) and the example's place, for the page."""
        ends = [self._inputs(np.array([self.low[k], self.high[k]]), k) for k in (0, 1)]
        return {
            "size": GRID_SIZE,
            "x1": [float(f"{v:.6g}") for v in ends[0]],
            "x2": [float(f"{v:.6g}") for v in ends[1]],
            "points": self.points,
            "example": self.example,
        }
