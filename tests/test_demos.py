"""The nn demos run in quick mode and write their files; the shipped data is what we say."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import graphgrad

DEMOS = Path(__file__).resolve().parent.parent / "demos"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_demo(name: str, out: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(DEMOS / name), "--quick", "--output-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress bar, and no warnings
    return result.stdout


def check_picture(out: Path, name: str, stdout: str) -> None:
    svg = out / name
    if hasattr(graphgrad, "render"):
        assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
        assert str(svg) in stdout
    else:
        assert not svg.exists()
        assert "graph drawing is unavailable" in stdout


def check_training_page(out: Path, name: str, history: list[float], stdout: str) -> None:
    """The demo's training page: written, said so, and recording that very run."""
    text = (out / name).read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="gg-data">(.*?)</script>', text, re.S)
    assert match is not None
    data = json.loads(match.group(1))
    assert [cost for _, cost in data["curve"]] == history
    assert data["snapshots"][-1]["epoch"] == len(history) == 100
    assert f"wrote the training page {out / name}" in stdout


def test_logistic_regression_demo(tmp_path: Path) -> None:
    stdout = run_demo("logistic_regression.py", tmp_path)
    for name in ("loss_curve.png", "decision_boundary.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
    model = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert model["model"] == "LogisticRegression" and len(model["history"]) == 100
    assert "epoch     1: cost J = 0.693147" in stdout  # w = 0, b = 0: J = log 2
    assert "train accuracy:" in stdout and "test accuracy:" in stdout
    assert "predicts the same: True" in stdout
    assert "the notes' a - y" in stdout
    assert "10 nodes for all m = 70 examples" in stdout
    check_picture(tmp_path, "example_loss.svg", stdout)
    check_picture(tmp_path, "cost_graph.svg", stdout)
    check_training_page(tmp_path, "training.html", model["history"], stdout)


def test_house_prices_demo(tmp_path: Path) -> None:
    stdout = run_demo("house_prices.py", tmp_path)
    for name in ("house_loss_curve.png", "house_prices.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
    model = json.loads((tmp_path / "house_model.json").read_text(encoding="utf-8"))
    assert model["model"] == "ReLURegressor" and len(model["history"]) == 100
    assert "R² on test houses" in stdout
    check_picture(tmp_path, "house_example_loss.svg", stdout)
    check_training_page(tmp_path, "house_training.html", model["history"], stdout)


def test_house_prices_csv_is_the_generator_output(tmp_path: Path) -> None:
    target = tmp_path / "houses.csv"
    subprocess.run(
        [sys.executable, str(DEMOS / "data" / "make_house_prices.py"), str(target)],
        check=True,
        capture_output=True,
    )
    assert target.read_bytes() == (DEMOS / "data" / "house_prices.csv").read_bytes()


def test_iris_csv_is_the_documented_file() -> None:
    data = (DEMOS / "data" / "iris.csv").read_bytes()
    readme = (DEMOS / "data" / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data).hexdigest() in readme
    rows = data.decode().splitlines()[1:]
    assert len(rows) == 150
    species = [row.rsplit(",", 1)[1] for row in rows]
    assert {name: species.count(name) for name in set(species)} == {
        "setosa": 50,
        "versicolor": 50,
        "virginica": 50,
    }


@pytest.mark.parametrize("demo", ["logistic_regression.py", "house_prices.py"])
def test_demos_reject_bad_arguments(demo: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(DEMOS / demo), "--lr", "-1", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "lr must be a positive finite number" in result.stderr


def test_every_script_that_looks_like_a_demo_is_one() -> None:
    """A helper shared by the demos starts with '_'; every other script answers --help."""
    scripts = sorted(p.name for p in DEMOS.glob("*.py") if not p.name.startswith("_"))
    assert scripts == [
        "computation_graph.py",
        "house_prices.py",
        "logistic_regression.py",
        "newton_vs_gd.py",
    ]
    for name in scripts:
        result = subprocess.run(
            [sys.executable, str(DEMOS / name), "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0 and result.stdout.startswith("usage: "), name
