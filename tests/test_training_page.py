"""The training page's data, checked without a browser against models trained
independently for each recorded number of epochs (training is deterministic,
so fit(epochs=e) reaches exactly the parameters the page recorded at epoch e).
(tests/test_training_page_browser.py drives the page itself.)"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphgrad import Value, to_svg
from graphgrad.formula import format_number
from graphgrad.nn import LogisticRegression, ReLURegressor
from graphgrad.training import TrainingPage, TrainingRecorder

SVG_NS = "{http://www.w3.org/2000/svg}"
X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.0], [3.0, 1.0], [1.5, 3.0], [0.5, 0.0]])
Y = np.array([0, 0, 1, 1, 1, 0])
LR, EPOCHS, EVERY, EXAMPLE = 0.5, 40, 10, 2


def page_data(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="gg-data">(.*?)</script>', text, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def assert_curve(curve: list[list[float]], history: list[float]) -> None:
    """The page's cost curve is the history, one point per epoch, stored to 4 digits."""
    assert [epoch for epoch, _ in curve] == list(range(1, len(history) + 1))
    for (_, stored), cost in zip(curve, history, strict=True):
        assert stored == pytest.approx(cost, rel=1e-3)
        assert float(f"{stored:.4g}") == stored  # no more digits than the page plots


def assert_grid(grid: np.ndarray, p: np.ndarray) -> None:
    """One byte a point, within one step of the probability (the axes are rounded)."""
    expected = np.rint(p * 255).astype(int)
    assert np.max(np.abs(grid.astype(int) - expected)) <= 1
    assert np.mean(grid.astype(int) == expected) > 0.95


def plot_fractions(points: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Where points lie on the plot of ``inputs`` (10% margins, at least 0.5 a side)."""
    low, high = inputs.min(axis=0), inputs.max(axis=0)
    margin = np.maximum((high - low) * 0.1, 0.5)
    return (points - (low - margin)) / ((high + margin) - (low - margin))


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))
    return sorted("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))


def trained(epochs: int) -> LogisticRegression:
    return LogisticRegression(lr=LR, epochs=epochs).fit(X, Y, progress=False)


def example_texts(model: LogisticRegression) -> list[str]:
    """Every text of the picture of the example's loss at the model's parameters."""
    loss = model.example_loss(X[EXAMPLE], int(Y[EXAMPLE]))
    loss.backward()
    return svg_texts(to_svg(loss))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[LogisticRegression, Path]:
    path = tmp_path_factory.mktemp("training") / "training.html"
    spec = TrainingPage(path, example=EXAMPLE, every=EVERY)
    model = LogisticRegression(lr=LR, epochs=EPOCHS).fit(X, Y, progress=False, explore=spec)
    return model, path


def test_snapshots_every_k_epochs_and_the_whole_cost_curve(
    recorded: tuple[LogisticRegression, Path],
) -> None:
    model, path = recorded
    data = page_data(path)
    assert [s["epoch"] for s in data["snapshots"]] == [0, 10, 20, 30, 40]
    assert_curve(data["curve"], model.history_)
    for snapshot in data["snapshots"][1:]:
        cost = model.history_[snapshot["epoch"] - 1]
        assert snapshot["cost"] == pytest.approx(cost, rel=1e-3)
        assert snapshot["costText"] == format_number(cost, 4)
    assert data["snapshots"][0]["cost"] is None


def test_each_snapshot_shows_the_graph_at_that_epoch(
    recorded: tuple[LogisticRegression, Path],
) -> None:
    _, path = recorded
    data = page_data(path)
    for snapshot in data["snapshots"][1:]:
        shown = sorted(line for lines in snapshot["labels"] for line in lines)
        assert shown == example_texts(trained(snapshot["epoch"])), snapshot["epoch"]
    start = [line for lines in data["snapshots"][0]["labels"] for line in lines]
    assert {"w1 = 0", "w2 = 0", "b = 0", "x1 = 2", "x2 = 2", "y = 1"} <= set(start)


def test_each_snapshot_has_the_decision_boundary_at_that_epoch(
    recorded: tuple[LogisticRegression, Path],
) -> None:
    _, path = recorded
    data = page_data(path)
    boundary = data["boundary"]
    n = boundary["size"]
    x1, x2 = np.meshgrid(np.linspace(*boundary["x1"], n), np.linspace(*boundary["x2"], n))
    points = np.column_stack([x1.ravel(), x2.ravel()])
    assert boundary["example"] == pytest.approx(plot_fractions(X[EXAMPLE], X), abs=1e-4)
    assert [label for _, _, label in boundary["points"]] == list(Y)
    stored = np.array([[a, b] for a, b, _ in boundary["points"]])
    assert np.allclose(stored, plot_fractions(X, X), atol=1e-4)
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5  # spans under 5: margins of 0.5
    assert np.allclose([boundary["x1"], boundary["x2"]], np.column_stack([low, high]))
    for snapshot in data["snapshots"][1:]:
        grid = np.frombuffer(base64.b64decode(snapshot["grid"]), dtype=np.uint8)
        assert_grid(grid, trained(snapshot["epoch"]).predict_proba(points)[:, 1])


def test_recording_does_not_change_the_training(
    recorded: tuple[LogisticRegression, Path],
) -> None:
    model, _ = recorded
    plain = trained(EPOCHS)
    assert np.array_equal(model.coef_, plain.coef_) and model.intercept_ == plain.intercept_
    assert model.history_ == plain.history_


def test_a_file_name_alone_records_about_a_hundred_snapshots(tmp_path: Path) -> None:
    model = LogisticRegression(lr=LR, epochs=250, solver="gd", vectorized=False)
    model.fit(X, Y, progress=False, explore=str(tmp_path / "t.htm"))
    data = page_data(tmp_path / "t.htm")
    epochs = [s["epoch"] for s in data["snapshots"]]
    assert epochs == [0, *range(3, 250, 3), 250] and data["every"] == 3
    shown = sorted(line for lines in data["snapshots"][-1]["labels"] for line in lines)
    assert shown == example_texts_at(model, 0)


def example_texts_at(model: LogisticRegression, row: int) -> list[str]:
    loss = model.example_loss(X[row], int(Y[row]))
    loss.backward()
    return svg_texts(to_svg(loss))


def test_newton_and_a_regressor_are_recorded_too(tmp_path: Path) -> None:
    newton = LogisticRegression(solver="newton", epochs=4)
    newton.fit(X, Y, progress=False, explore=tmp_path / "newton.html")
    data = page_data(tmp_path / "newton.html")
    assert [s["epoch"] for s in data["snapshots"]] == [0, 1, 2, 3, 4]
    assert data["step"] == "Newton step"  # the page counts Newton steps, not epochs
    page = (tmp_path / "newton.html").read_text(encoding="utf-8")
    assert "Newton step by Newton step" in page
    houses = ReLURegressor(lr=0.1, epochs=20)
    houses.fit(
        np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 3.0, 5.0]), explore=tmp_path / "r.html"
    )
    data = page_data(tmp_path / "r.html")
    assert data["boundary"] is None  # one feature, and not a classifier
    assert_curve(data["curve"], houses.history_)


@pytest.mark.parametrize(
    ("explore", "error", "message"),
    [
        (3, TypeError, "explore must be a file name or a graphgrad.training.TrainingPage, got int"),
        ("t.svg", ValueError, r"explore must end in \.html or \.htm"),
        (
            TrainingPage("t.html", example=6),
            ValueError,
            "explore: example must be a row of X, 0 to 5",
        ),
        (TrainingPage("t.html", example=-1), ValueError, "explore: example must be a row of X"),
        (TrainingPage("t.html", every=0), ValueError, "explore: every must be a positive int"),
        (TrainingPage("t.html", every=2.5), TypeError, "explore: every must be an int"),  # type: ignore[arg-type]
    ],
)
def test_bad_explore_arguments_are_refused_before_training(
    explore: Any,
    error: type[Exception],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    model = LogisticRegression(lr=LR, epochs=5)
    with pytest.raises(error, match=message):
        model.fit(X, Y, progress=False, explore=explore)
    assert not hasattr(model, "coef_") and list(tmp_path.iterdir()) == []


def test_the_recorder_refuses_a_graph_that_changes_shape() -> None:
    calls = []

    def example() -> tuple[Value, list[Value]]:
        calls.append(1)
        w = Value(1.0, label="w")
        loss = w * 2.0 if len(calls) == 1 else (w * 2.0).exp()
        return loss, [w]

    recorder = TrainingRecorder(3, example, every=1)
    recorder.start()
    with pytest.raises(ValueError, match="the example's graph changed between epochs"):
        recorder.epoch_done(1, 0.5)
    with pytest.raises(ValueError, match="expected epoch 2, got 5"):
        recorder.epoch_done(5, 0.5)


def test_the_iris_demo_page_stays_under_two_megabytes(tmp_path: Path) -> None:
    demos = Path(__file__).resolve().parent.parent / "demos"
    text = (demos / "data" / "iris.csv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.split(",") for line in text if line.endswith(("virginica", "versicolor"))]
    features = np.array([[float(r[2]), float(r[3])] for r in rows])
    labels = np.array([1 if r[-1] == "virginica" else 0 for r in rows])
    scaled = (features - features.mean(0)) / features.std(0)
    path = tmp_path / "iris.html"
    LogisticRegression(lr=0.5, epochs=2000).fit(scaled, labels, progress=False, explore=path)
    assert path.stat().st_size < 2_000_000
    assert len(page_data(path)["snapshots"]) == 101


# --- the MLP classifier -----------------------------------------------------------------

MOONS_X = np.array(
    [[0.0, 1.0], [1.0, 0.0], [-1.0, 0.2], [0.5, -0.4], [1.5, -0.3], [2.0, 0.5], [0.2, 0.3]]
)
MOONS_Y = np.array(["upper", "lower", "upper", "lower", "lower", "lower", "upper"])


def mlp_trained(epochs: int, X: Any = MOONS_X, y: Any = MOONS_Y) -> Any:
    from graphgrad.nn import MLPClassifier

    return MLPClassifier((3,), epochs=epochs, seed=0).fit(X, y, progress=False)


def mlp_example_texts(model: Any, row: int, X: Any = MOONS_X, y: Any = MOONS_Y) -> list[str]:
    loss = model.example_loss(X[row], y[row])
    loss.backward()
    return svg_texts(to_svg(loss))


def test_an_mlp_classifiers_run_is_recorded_epoch_by_epoch(tmp_path: Path) -> None:
    from graphgrad.nn import MLPClassifier

    path = tmp_path / "mlp.html"
    spec = TrainingPage(path, example=3, every=5)
    model = MLPClassifier((3,), epochs=15, seed=0).fit(MOONS_X, MOONS_Y, False, explore=spec)
    plain = mlp_trained(15)
    assert model.history_ == plain.history_  # recording changes nothing
    data = page_data(path)
    assert [s["epoch"] for s in data["snapshots"]] == [0, 5, 10, 15]
    assert_curve(data["curve"], model.history_)
    boundary = data["boundary"]
    n = boundary["size"]
    x1, x2 = np.meshgrid(np.linspace(*boundary["x1"], n), np.linspace(*boundary["x2"], n))
    points = np.column_stack([x1.ravel(), x2.ravel()])
    for snapshot in data["snapshots"][1:]:
        independent = mlp_trained(snapshot["epoch"])
        shown = sorted(line for lines in snapshot["labels"] for line in lines)
        assert shown == mlp_example_texts(independent, 3), snapshot["epoch"]
        grid = np.frombuffer(base64.b64decode(snapshot["grid"]), dtype=np.uint8)
        assert_grid(grid, independent.predict_proba(points)[:, 1])


def test_a_three_class_run_has_its_graph_and_curve_but_no_boundary(tmp_path: Path) -> None:
    from graphgrad.nn import MLPClassifier

    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.2], [0.2, 0.8]])
    y = np.array([0, 1, 2, 1, 0, 2])
    path = tmp_path / "three.html"
    MLPClassifier((3,), epochs=6, seed=0).fit(X, y, False, explore=TrainingPage(path, every=3))
    data = page_data(path)
    assert data["boundary"] is None
    last = data["snapshots"][-1]
    shown = sorted(line for lines in last["labels"] for line in lines)
    assert shown == mlp_example_texts(mlp_trained(6, X, y), 0, X, y)


def one_weight_example() -> tuple[Value, list[Value]]:
    w = Value(0.5, label="w")
    loss = (w - 2.0) ** 2
    loss.label = "L"
    return loss, [w]


def test_what_a_page_cannot_plot_is_refused_with_a_message() -> None:
    inputs = X.copy()
    inputs[1, 0] = np.inf
    with pytest.raises(ValueError, match="a decision boundary needs finite inputs"):
        TrainingRecorder(
            3, one_weight_example, inputs=inputs, labels=Y, probability=lambda p: p[:, 0] * 0
        )
    recorder = TrainingRecorder(3, one_weight_example)
    recorder.start()
    with pytest.raises(ValueError, match="the cost of epoch 1 is nan: a page plots finite costs"):
        recorder.epoch_done(1, float("nan"))
    for bad in ("", "Newton\nstep", 3, "x" * 41):
        with pytest.raises(ValueError, match="step_name must be a short name of one line"):
            TrainingRecorder(3, one_weight_example, step_name=bad)  # type: ignore[arg-type]


def test_inputs_near_the_largest_floats_give_a_page_of_finite_numbers(tmp_path: Path) -> None:
    huge = X / X.max() * 1.7e308
    recorder = TrainingRecorder(
        1, one_weight_example, inputs=huge, labels=Y, example_input=list(huge[EXAMPLE]),
        probability=lambda p: 1.0 / (1.0 + np.exp(-np.clip(p[:, 0] / 1e308, -50, 50))),
    )  # fmt: skip
    recorder.start()
    recorder.epoch_done(1, 1.0)
    data = page_data(recorder.write(tmp_path / "huge.html"))
    layout = data["boundary"]
    places = [*[(a, b) for a, b, _ in layout["points"]], tuple(layout["example"])]
    assert all(0 < v < 1 for place in places for v in place)
    # In units of 1e308 nothing overflows: the axes are the data's range and 10% more,
    # up to the largest float.
    units, (low, high) = huge[:, 0] / 1e308, np.array(layout["x1"]) / 1e308
    span, largest = units.max() - units.min(), np.finfo(np.float64).max / 1e308
    expected = [units.min() - span / 10, min(units.max() + span / 10, largest)]
    assert [low, high] == pytest.approx(expected, rel=1e-5)
    stored = [a for a, _, _ in layout["points"]]
    assert np.allclose(stored, (units - low) / (high - low), atol=1e-4)


def test_a_page_stores_no_more_digits_than_it_shows_and_plots(
    recorded: tuple[LogisticRegression, Path],
) -> None:
    _, path = recorded
    numbers: list[float] = []

    def collect(value: object) -> None:
        if isinstance(value, float):
            numbers.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    collect(page_data(path))
    assert len(numbers) > 50
    assert all(len(repr(abs(x)).replace(".", "").lstrip("0")) <= 6 for x in numbers), numbers
