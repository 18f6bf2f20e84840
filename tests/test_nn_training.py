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
    """Each epoch of every model is an epoch of the loop's (nn._training._epoch), and
    its cost is the loop's mean of the steps' costs."""
    runs: list[tuple[_training.Run, list[float]]] = []  # each fit's run and its steps' costs
    original = _training._epoch

    def spy(run: _training.Run) -> float:
        if not runs or runs[-1][0] is not run:
            runs.append((run, []))
        costs = runs[-1][1]
        step = run.step

        def counted(rows: _training.Rows) -> float:
            cost = step(rows)
            costs.append(cost)
            return cost

        return original(_training.Run(**{**vars(run), "step": counted}))

    monkeypatch.setattr(_training, "_epoch", spy)
    fitted = [model.fit(data, y, progress=False) for model, data, y in models()]
    assert [run.name for run, _ in runs] == [type(model).__name__ for model in fitted]
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


def test_a_notebook_keeps_a_last_line_of_text_when_the_fit_ends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from graphgrad.nn import _progress

    class Bar:
        """A widget bar whose text form is what tqdm's str() gives: its count."""

        def __init__(self, **options: Any) -> None:
            self.n, self.total = 0, options["total"]

        def set_postfix(self, **options: Any) -> None:
            pass

        def update(self, n: int) -> None:
            self.n += n

        def close(self) -> None:
            pass

        def __str__(self) -> str:
            return f"bar {self.n}/{self.total}"

    monkeypatch.setattr(_progress, "_bar_class", lambda notebook: Bar)
    monkeypatch.setattr(_progress, "in_notebook", lambda: True)
    LogisticRegression(epochs=4).fit(X, Y)
    assert capsys.readouterr().err == "bar 4/4\n"
    monkeypatch.setattr(_progress, "in_notebook", lambda: False)  # a terminal: tqdm's own line
    LogisticRegression(epochs=4).fit(X, Y, progress=True)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("model", [LogisticRegression(epochs=2), MLPClassifier((2,), epochs=2)])
def test_a_page_that_cannot_be_written_is_refused_before_training(
    model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "folder.html").mkdir()
    cases = [
        (tmp_path / "no" / "such" / "page.html", FileNotFoundError, "the folder .* does not exist"),
        (tmp_path / "file" / "page.html", NotADirectoryError, ".*file' is not a folder"),
        (tmp_path / "folder.html", IsADirectoryError, ".* is a folder, not a page"),
    ]
    for path, error, message in cases:
        with pytest.raises(error, match=f"^explore: {message}"):
            model.fit(X, Y, progress=False, explore=path)
    monkeypatch.setattr("os.access", lambda path, mode: False)  # root may write anywhere
    with pytest.raises(PermissionError, match=r"^explore: cannot write the page"):
        model.fit(X, Y, progress=False, explore=tmp_path / "page.html")
    assert not hasattr(model, "history_")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.html"]


@pytest.mark.parametrize(
    ("make", "data"),
    [
        (lambda: ReLURegressor(epochs=3), HOUSES),
        (lambda: MLPClassifier((2,), epochs=3, seed=0), (X, Y)),
    ],
)
def test_a_page_write_that_fails_after_training_keeps_the_fitted_model(
    make: Any, data: tuple[Any, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()

    def remove_the_folder(epoch: int, cost: float, parameters: list[Any]) -> None:
        if epoch == 3:
            folder.rmdir()

    model = make()
    with pytest.raises(OSError, match=r"fit: the model is fitted, but the training page .* "
                       "could not be written"):  # fmt: skip
        model._fit(*data, progress=False, explore=folder / "t.html", on_epoch=remove_the_folder)
    plain = make().fit(*data, progress=False)
    assert model.history_ == plain.history_
    np.testing.assert_array_equal(model.predict(data[0]), plain.predict(data[0]))


def by_label(loss: Any) -> dict[str, Any]:
    from graphgrad.graph import topological_order

    return {node.label: node for node in topological_order(loss) if node.label}


def test_the_notes_form_is_z_then_a_then_l_and_agrees_with_the_stable_form() -> None:
    model = LogisticRegression(lr=0.5, epochs=30).fit(X, Y, progress=False)
    for row, label in zip(X[:6], Y[:6], strict=True):
        notes, stable = model.example_loss(row, label), model.example_loss(row, label, "stable")
        notes.backward()
        stable.backward()
        n, s = by_label(notes), by_label(stable)
        assert n["a"].op == "sigmoid" and n["a"].inputs == (n["z"],) and "a" not in s
        a, y = n["a"].data, float(label)
        assert n["a"].grad == pytest.approx(-y / a + (1 - y) / (1 - a), rel=1e-12)  # the notes' da
        assert notes.data == pytest.approx(stable.data, rel=1e-12)
        assert n["z"].grad == pytest.approx(s["z"].grad, rel=1e-9, abs=1e-15)  # dz = a - y
        for name in ("w1", "w2", "b"):
            assert n[name].grad == pytest.approx(s[name].grad, rel=1e-9, abs=1e-15)


def test_a_networks_notes_form_ends_with_a_sigmoid_unit_and_agrees() -> None:
    model = MLPClassifier((3,), epochs=20, seed=0).fit(X, Y, progress=False)
    notes, stable = model.example_loss(X[1], Y[1]), model.example_loss(X[1], Y[1], "stable")
    notes.backward()
    stable.backward()
    n, s = by_label(notes), by_label(stable)
    assert n["A[2]"].op == "sigmoid" and "A[2]" not in s
    assert notes.data == pytest.approx(stable.data, rel=1e-12)
    for name in ("Z[2]", "W[1]", "b[1]", "W[2]", "b[2]"):
        np.testing.assert_allclose(n[name].grad, s[name].grad, rtol=1e-9, atol=1e-15)


def test_the_notes_form_names_what_it_cannot_compute_and_the_form_is_checked() -> None:
    model = LogisticRegression(lr=0.5, epochs=5).fit(X, Y, progress=False)
    far = X[0] * 0.0
    model.coef_, model.intercept_ = np.zeros(2), 40.0  # a = σ(40) rounds to 1
    with pytest.raises(ValueError, match=r"a = σ\(z\) rounds to 1 at z = 40.*form='stable'"):
        model.example_loss(far, 0)
    assert model.example_loss(far, 0, form="stable").data == pytest.approx(40.0, rel=1e-15)
    with pytest.raises(ValueError, match=r"form must be one of \('notes', 'stable'\)"):
        model.example_loss(far, 0, form="torch")


def test_the_training_page_draws_the_notes_form(tmp_path: Path) -> None:
    import json
    import re

    LogisticRegression(epochs=3).fit(X, Y, progress=False, explore=tmp_path / "page.html")
    text = (tmp_path / "page.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="gg-data">(.*?)</script>', text, re.S).group(1))  # type: ignore[union-attr]
    shown = [line for lines in data["snapshots"][-1]["labels"] for line in lines]
    assert any(line.startswith("a = ") for line in shown)
    assert any(line.startswith("da = ") for line in shown)


def test_a_page_that_cannot_be_recorded_does_not_stop_the_training(tmp_path: Path) -> None:
    from graphgrad.training import TrainingPage

    def overconfident(epoch: int, cost: float, parameters: list[Any]) -> None:
        if epoch == 2:
            parameters[1].data = 40.0  # b: every a = σ(z) now rounds to 1

    model = LogisticRegression(lr=0.1, epochs=4)
    page = TrainingPage(tmp_path / "page.html", every=1)
    with pytest.raises(ValueError, match=r"the model is fitted, but the training page .* could "
                       r"not be recorded: a = σ\(z\) rounds to 1"):  # fmt: skip
        model._fit(X, Y, progress=False, explore=page, on_epoch=overconfident)
    assert len(model.history_) == 4 and not (tmp_path / "page.html").exists()
