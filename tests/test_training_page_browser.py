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

from graphgrad.formula import format_number
from graphgrad.nn import LogisticRegression
from graphgrad.training import TrainingPage

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
