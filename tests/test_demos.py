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
    # The page stores each cost to the 4 digits it plots.
    assert [cost for _, cost in data["curve"]] == pytest.approx(history, rel=1e-3)
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
    assert "13 nodes for all m = 70 examples" in stdout
    listed = stdout.split("13 nodes for all m = 70 examples:\n", 1)[1].splitlines()[0]
    named = re.findall(r"(?:^|, )([^ ,()]+) \(([\d, ]*)\)", listed.strip())
    assert len(named) == 13, listed  # every node by its label, its op or its number
    assert named[:2] == [("1.0", ""), ("2.0", "")] and ("X", "70, 2") in named
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


def test_planar_flower_demo(tmp_path: Path) -> None:
    stdout = run_demo("planar_flower.py", tmp_path)
    assert (tmp_path / "flower_hidden_sizes.png").read_bytes().startswith(PNG_MAGIC)
    page = (tmp_path / "flower_training.html").read_text(encoding="utf-8")
    data = json.loads(page.split('id="gg-data">')[1].split("</script>")[0])
    assert data["snapshots"][-1]["epoch"] == 100 and len(data["curve"]) == 100  # --quick
    accuracy = {
        int(line.split()[0]): float(line.split("accuracy ")[1].split("%")[0])
        for line in stdout.splitlines()
        if "hidden unit" in line
    }
    assert sorted(accuracy) == [1, 2, 3, 4, 5, 20, 50]
    linear = float(stdout.split("a straight line): accuracy ")[1].split("%")[0])
    assert linear < 60.0 < 85.0 < accuracy[50]  # even 100 epochs bend the boundary


def test_moons_demo(tmp_path: Path) -> None:
    stdout = run_demo("moons.py", tmp_path)
    for name in ("moons_boundary.png", "moons_loss.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
    page = (tmp_path / "moons_training.html").read_text(encoding="utf-8")
    data = json.loads(page.split('id="gg-data">')[1].split("</script>")[0])
    assert [s["epoch"] for s in data["snapshots"]] == list(range(11))  # 10 quick steps
    assert data["boundary"] is not None and len(data["curve"]) == 10
    assert "337 parameters" in stdout
    same = float(stdout.split("gives the same to ")[1].split()[0])
    assert same < 1e-12  # the vectorized MLP and the scalar one compute the same loss
    assert "step   9:" in stdout


def test_spiral_demo(tmp_path: Path) -> None:
    stdout = run_demo("spiral.py", tmp_path)
    for name in ("spiral_boundary.png", "spiral_loss.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
    costs = [float(line.split("cost J = ")[1].split(",")[0]) for line in stdout.splitlines()
             if "cost J = " in line]  # fmt: skip
    assert costs[-1] < costs[0]


def test_scalar_mlp_graph_demo(tmp_path: Path) -> None:
    stdout = run_demo("scalar_mlp_graph.py", tmp_path)
    assert "largest difference from the notes' formulas: 0.0e+00" in stdout
    for name in ("dW[1]_11", "dW[1]_22", "db[1]_1", "db[1]_2", "dW[2]_12", "db[2]_1"):
        assert f"  {name} " in stdout
    trace = (tmp_path / "scalar_mlp_trace.txt").read_text(encoding="utf-8")
    assert "dW[1]_21 = " in trace and "da[1]_2 " in trace and "dy " not in trace
    check_picture(tmp_path, "scalar_mlp_graph.svg", stdout)
    svg = (tmp_path / "scalar_mlp_graph.svg").read_text(encoding="utf-8")
    assert "dW[1]_12" in svg and "db[1]_2" in svg


def test_house_network_demo(tmp_path: Path) -> None:
    stdout = run_demo("house_network.py", tmp_path)
    for name in ("house_network.png", "house_network_fit.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
    assert "inputs: size, bedrooms, zip code, wealth" in stdout
    assert "MLP(4, [3, 1], activation='relu')" in stdout
    assert "root-mean-square error on test houses" in stdout


def test_sigmoid_vs_relu_demo(tmp_path: Path) -> None:
    stdout = run_demo("sigmoid_vs_relu.py", tmp_path)
    assert (tmp_path / "sigmoid_vs_relu.png").read_bytes().startswith(PNG_MAGIC)
    final = {
        (line.split(",")[0].strip(), line.split(":")[0].split()[-1]): float(
            line.split("cost ")[1].split()[0]
        )
        for line in stdout.splitlines()
        if " at the end" in line
    }
    for network in ("one hidden layer", "two hidden layers"):
        assert final[network, "relu"] < final[network, "sigmoid"]


def test_scale_demo(tmp_path: Path) -> None:
    """The notes' sketch, measured: the larger the network, the more it gains from data;
    a straight line stays at chance on a checkerboard whatever the data."""
    stdout = run_demo("scale.py", tmp_path)
    assert (tmp_path / "scale.png").read_bytes().startswith(PNG_MAGIC)
    sizes = [int(m) for m in stdout.split("test accuracy by m:")[1].splitlines()[0].split()]
    assert sizes == [25, 100, 400]  # --quick
    accuracy = {
        line.split(":")[0].strip(): [float(a.rstrip("%")) / 100 for a in line.split(":")[1].split()]
        for line in stdout.splitlines()
        if line.startswith("  ") and "%" in line
    }
    assert list(accuracy) == ["logistic regression", "small", "medium", "large"]
    assert all(len(scores) == len(sizes) for scores in accuracy.values())
    assert all(0.4 < a < 0.6 for a in accuracy["logistic regression"])
    large, medium, line = accuracy["large"], accuracy["medium"], accuracy["logistic regression"]
    assert large[-1] > medium[-1] > line[-1] + 0.05  # with the most data: by size
    assert large[-1] > large[0] + 0.1  # the large network gains the most from data
    assert "trained 12 models" in stdout


@pytest.mark.parametrize(
    "demo",
    [
        "logistic_regression.py",
        "house_prices.py",
        "planar_flower.py",
        "moons.py",
        "spiral.py",
        "house_network.py",
        "sigmoid_vs_relu.py",
        "scale.py",
    ],
)
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
        "house_network.py",
        "house_prices.py",
        "logistic_regression.py",
        "moons.py",
        "newton_vs_gd.py",
        "planar_flower.py",
        "scalar_mlp_graph.py",
        "scale.py",
        "sigmoid_vs_relu.py",
        "spiral.py",
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
