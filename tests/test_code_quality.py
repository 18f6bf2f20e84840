"""The package stays lint-clean and fully typed (ruff, mypy --strict)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
