"""The training page in a real browser: the slider shows each recorded epoch's numbers,
cost curve and decision boundary.  Skips without a browser (see conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pages import opened, visible_texts
from test_training_page import EPOCHS, EVERY, EXAMPLE, LR, X, Y, example_texts, page_data, trained

from graphgrad import Value
from graphgrad.formula import format_number
from graphgrad.nn import LogisticRegression
from graphgrad.training import TrainingPage, TrainingRecorder

PLOT_PX = 400  # the decision-boundary plot's size in training.js


@pytest.fixture(scope="module")
def training_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[LogisticRegression, Path]:
    path = tmp_path_factory.mktemp("training") / "training.html"
    spec = TrainingPage(path, example=EXAMPLE, every=EVERY)
    model = LogisticRegression(lr=LR, epochs=EPOCHS).fit(X, Y, progress=False, explore=spec)
    return model, path


def graph_texts(page: Any) -> list[str]:
    shown = visible_texts(page, "#gg-graph g.node, #gg-graph g.edge")
    return sorted(text for texts in shown.values() for text in texts)


def boundary_points(page: Any, layout: dict[str, Any]) -> np.ndarray:
    """The drawn boundary's points, back in the model's input coordinates."""
    d = page.locator("#gg-boundary").get_attribute("d")
    pixels = np.array([[float(a), float(b)] for a, b in re.findall(r"([-\d.]+) ([-\d.]+)", d)])
    (x1_low, x1_high), (x2_low, x2_high) = layout["x1"], layout["x2"]
    x1 = x1_low + pixels[:, 0] / PLOT_PX * (x1_high - x1_low)
    x2 = x2_low + (PLOT_PX - pixels[:, 1]) / PLOT_PX * (x2_high - x2_low)
    return np.column_stack([x1, x2])


def test_the_slider_shows_each_recorded_epoch(
    browser: Any, training_page: tuple[LogisticRegression, Path]
) -> None:
    model, path = training_page
    data = page_data(path)
    layout = data["boundary"]
    with opened(browser, path) as (page, problems):
        assert (
            page.locator("#gg-epoch-text").inner_text() == f"Epoch 0 of {EPOCHS} (before training)"
        )
        for index in (2, 4, 1):
            page.locator("#gg-epoch").fill(str(index))
            epoch = index * EVERY
            independent = trained(epoch)
            # The example's graph with that epoch's values and gradients.
            assert graph_texts(page) == example_texts(independent)
            cost = model.history_[epoch - 1]
            assert page.locator('[role="status"]').inner_text() == (
                f"Epoch {epoch} of {EPOCHS}: its cost J = {format_number(cost, 4)}"
            )
            # The cost curve up to that epoch, one point per epoch.
            points = page.locator("#gg-cost-line").get_attribute("points").split()
            assert len(points) == epoch
            # The boundary where w·x + b = 0 for that epoch's w and b (within the grid's
            # resolution, a fortieth of the plot).
            on_line = boundary_points(page, layout) @ independent.coef_ + independent.intercept_
            spacing = (layout["x1"][1] - layout["x1"][0]) / 40
            assert len(on_line) > 10
            assert np.max(np.abs(on_line)) < spacing * np.linalg.norm(independent.coef_)
        problems.assert_none()


def test_the_arrow_keys_on_the_slider_step_through_the_epochs(
    browser: Any, training_page: tuple[LogisticRegression, Path]
) -> None:
    _, path = training_page
    with opened(browser, path) as (page, problems):
        before = graph_texts(page)
        page.locator("#gg-epoch").focus()
        page.keyboard.press("ArrowRight")
        assert page.locator("#gg-epoch-text").inner_text().startswith(f"Epoch {EVERY} of")
        assert graph_texts(page) == example_texts(trained(EVERY)) != before
        page.keyboard.press("ArrowLeft")
        assert graph_texts(page) == before
        problems.assert_none()


def test_play_runs_through_the_epochs(
    browser: Any, training_page: tuple[LogisticRegression, Path]
) -> None:
    _, path = training_page
    with opened(browser, path, fake_clock=True) as (page, problems):
        page.get_by_role("button", name="Play").click()
        page.clock.run_for(10_000)
        assert page.locator("#gg-epoch-text").inner_text().startswith(f"Epoch {EPOCHS} of")
        assert page.locator("#gg-play").get_attribute("aria-pressed") == "false"
        assert graph_texts(page) == example_texts(trained(EPOCHS))
        problems.assert_none()


# --- how the page lays its parts out -------------------------------------------------------

OVERFLOWS = """() => {
  // Texts of the example's picture wider than the box or ellipse they are drawn in.
  const out = [];
  for (const part of document.querySelectorAll("#gg-graph g.node")) {
    const shape = part.querySelector("path, polygon, ellipse");
    if (shape === null) continue;  // a number drawn as itself has no box
    const box = shape.getBBox();
    for (const text of part.querySelectorAll("text")) {
      const t = text.getBBox();
      if (t.x < box.x - 0.5 || t.x + t.width > box.x + box.width + 0.5) out.push(text.textContent);
    }
  }
  return out;
}"""


def shrinking_run(tmp_path: Path) -> Path:
    """A run whose numbers get shorter as it trains, down to 1 and 0 at the end: the
    last snapshot's layout alone would be too narrow for the first ones."""
    weights = [12345.678, 2345.6, 345.6, 45.6, 1.0]
    w = Value(weights[0], label="w")

    def example() -> tuple[Value, list[Value]]:
        loss = (w * 1.0 - 1.0) ** 2
        loss.label = "L"
        return loss, [w]

    recorder = TrainingRecorder(4, example, every=1, title="shrinking")
    recorder.start()
    for epoch in range(1, 5):
        w.data = weights[epoch]
        recorder.epoch_done(epoch, (w.data - 1.0) ** 2)
    return recorder.write(tmp_path / "shrinking.html")


def test_every_text_fits_its_box_at_every_epoch(browser: Any, tmp_path: Path) -> None:
    path = shrinking_run(tmp_path)
    with opened(browser, path) as (page, problems):
        for index in range(5):
            page.locator("#gg-epoch").fill(str(index))
            assert page.evaluate(OVERFLOWS) == [], index
            if index == 0:
                assert "w = 1.235e+04" in graph_texts(page)
        assert {"w = 1", "dw = 0", "L = 0"} <= set(graph_texts(page))
        problems.assert_none()


def text_height(page: Any) -> float:
    heights = page.evaluate(
        """() => Array.from(document.querySelectorAll("#gg-graph g.node text"))
             .map((t) => t.getBoundingClientRect().height)"""
    )
    return float(np.median(heights))


def test_a_network_is_drawn_across_the_page_and_at_its_actual_size(
    browser: Any, tmp_path: Path
) -> None:
    from graphgrad.nn import MLPClassifier

    path = tmp_path / "network.html"
    moons = np.array([[0.0, 1.0], [1.0, 0.2], [-0.8, 0.6], [1.8, -0.1], [0.3, -0.4], [2.0, 0.4]])
    MLPClassifier((4,), epochs=3, seed=0).fit(moons, [0, 0, 0, 1, 1, 1], False, explore=path)
    with opened(browser, path) as (page, problems):
        graph = page.locator("#gg-graph")
        width = page.evaluate("() => document.querySelector('main').clientWidth")
        # The graph takes the page's width (not a column beside the plots) ...
        assert graph.bounding_box()["width"] > 0.9 * width
        fitted = text_height(page)
        assert fitted >= 8  # px: readable
        # ... and at its actual size its text is as Graphviz wrote it (12 pt), scrolling.
        page.get_by_role("button", name="100%").click()
        assert text_height(page) == pytest.approx(16, abs=1.5) and text_height(page) >= fitted
        assert page.locator("#gg-zoom-actual").get_attribute("aria-pressed") == "true"
        assert page.locator("#gg-zoom-fit").get_attribute("aria-pressed") == "false"
        page.get_by_role("button", name="Fit").click()
        assert text_height(page) == pytest.approx(fitted)
        problems.assert_none()


def test_the_page_says_what_it_shows(browser: Any, tmp_path: Path) -> None:
    from graphgrad.nn import ReLURegressor

    path = tmp_path / "regressor.html"
    ReLURegressor(lr=0.1, epochs=5).fit(
        np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 3.0, 5.0]), progress=False, explore=path
    )
    with opened(browser, path) as (page, problems):
        help_text = page.locator(".gg-help").inner_text()
        assert "the cost so far" in help_text and "decision boundary" not in help_text
        assert not page.locator("#gg-boundary-plot").is_visible()
        problems.assert_none()
    w = Value(0.5, label="w")

    def example() -> tuple[Value, list[Value]]:
        loss = (w - 2.0) ** 2
        loss.label = "L"
        return loss, [w]

    recorder = TrainingRecorder(2, example, step_name="Newton step")
    recorder.start()
    for step in (1, 2):
        w.data = 2.0 - (2.0 - w.data) / 10
        recorder.epoch_done(step, (w.data - 2.0) ** 2)
    with opened(browser, recorder.write(tmp_path / "newton.html")) as (page, problems):
        page.locator("#gg-epoch").fill("1")
        assert page.locator("#gg-epoch-text").inner_text().startswith("Newton step 1 of 2: ")
        assert page.locator("label[for=gg-epoch]").inner_text() == "Newton step"
        assert "Epoch" not in page.locator("main").inner_text()
        problems.assert_none()


def test_inputs_near_the_largest_floats_are_plotted_without_errors(
    browser: Any, tmp_path: Path
) -> None:
    X_huge = X * 1e306
    w = Value(0.5, label="w")

    def example() -> tuple[Value, list[Value]]:
        loss = (w * 2.0 - 1.0) ** 2
        loss.label = "L"
        return loss, [w]

    def probability(points: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(points[:, 0] / 1e306 - 1.5))))

    recorder = TrainingRecorder(
        2, example, inputs=X_huge, labels=Y.astype(float), probability=probability,
        example_input=list(X_huge[EXAMPLE]),
    )  # fmt: skip
    recorder.start()
    recorder.epoch_done(1, 1e307)
    recorder.epoch_done(2, 5e306)
    path = recorder.write(tmp_path / "huge.html")
    assert "Infinity" not in path.read_text(encoding="utf-8")
    with opened(browser, path) as (page, problems):
        page.locator("#gg-epoch").fill("2")
        circles = page.locator("#gg-points circle")
        assert circles.count() == len(X) + 1
        for k in range(circles.count()):
            for name in ("cx", "cy"):
                assert 0 <= float(circles.nth(k).get_attribute(name)) <= PLOT_PX
        assert len(boundary_points(page, page_data(path)["boundary"])) > 10
        problems.assert_none()
