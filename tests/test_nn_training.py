"""The one training loop of the nn models (graphgrad.nn._training): every model
fits through it; the training page's folder is checked before training and a
page that cannot be written never loses the fitted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphgrad.nn as nn_package
from graphgrad.datasets import make_moons
from graphgrad.nn import LogisticRegression, MLPClassifier, ReLURegressor, _training

X, Y = make_moons(20, noise=0.2, seed=0)
HOUSES = (np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 3.0, 5.0]))


def models() -> list[tuple[Any, Any, Any]]:
    return [
        (LogisticRegression(lr=0.5, epochs=3), X, Y),
        (LogisticRegression(epochs=2, solver="newton"), X, Y),
        (LogisticRegression(lr=0.5, epochs=3, vectorized=False), X, Y),
        (ReLURegressor(lr=0.1, epochs=3), *HOUSES),
        (MLPClassifier((3,), epochs=3, seed=0), X, Y),
        (MLPClassifier((3,), epochs=3, batch_size=7, seed=0), X, Y),
    ]


def test_every_model_fits_through_the_one_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[tuple[str, list[float]]] = []
    original = _training.train

    def spy(run: _training.Run, *args: Any, **kwargs: Any) -> None:
        costs: list[float] = []
        step = run.step

        def counted(rows: _training.Rows) -> float:
            cost = step(rows)
            costs.append(cost)
            return cost

        original(_training.Run(**{**vars(run), "step": counted}), *args, **kwargs)
        runs.append((run.name, costs))

    monkeypatch.setattr(_training, "train", spy)
    fitted = [model.fit(data, y, progress=False) for model, data, y in models()]
    assert [name for name, _ in runs] == [type(model).__name__ for model in fitted]
    for (_, costs), model in zip(runs, fitted, strict=True):
        if getattr(model, "batch_size", None) is None:
            assert costs == model.history_  # one step per epoch, its cost the epoch's
        else:
            assert len(costs) == 3 * 3  # 20 examples in batches of 7, 7 and 6
            first = (costs[0] * 7 + costs[1] * 7 + costs[2] * 6) / 20
            assert model.history_[0] == pytest.approx(first, rel=1e-15)


def test_only_the_loop_shows_progress() -> None:
    package = Path(nn_package.__file__).parent
    users = sorted(p.name for p in package.glob("*.py") if "Progress(" in p.read_text("utf-8"))
    assert users == ["_training.py"]
