"""The benchmark runs end to end in quick mode and prints its table.

Only the shape of the output is checked: timings are never asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_quick_benchmark_prints_every_workload() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),  # as the caller has it (OPENBLAS_* settings included)
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    header = "| workload | graphgrad | micrograd | pytorch | numpy | ratio | target / note |"
    assert header in out
    for row in ("| W1 ", "| W2 scalar LR cost", "| W2 memory per node", "| W3 chain N = 1,000",
                "| W3 chain N = 10,000", "| W4 vectorized LR", "| W5 MLP 2-16-16-1 tanh step",
                "| W6 micrograd's demo step"):  # fmt: skip
        assert row in out
    assert "numpy " in out and "python " in out  # machine facts
    # graphgrad's results equal the hand-written numpy ones after the same steps (W4, W5)
    gap = float(out.split("differ by ")[1].split()[0].rstrip("."))
    assert gap < 1e-10
    gap = float(out.split("differ from numpy's by ")[1].split()[0])
    assert gap < 1e-10
    assert "W5 nodes per step: 20 for m = 50, 20 for m = 5,000" in out
    # The compiled rows, and the compiled W5 step lands where eager graphgrad does.
    for row in ("| W2 compiled (graphgrad.compile), per evaluation", "| W2 compiling, per node",
                "| W4 LogisticRegression.fit (compiled)", "| W5 compiled (graphgrad.compile",
                "| W6 compiled (graphgrad.compile)"):  # fmt: skip
        assert row in out
    assert "after 5 steps the parameters equal eager graphgrad's" in out


QUICK_W5_W6 = [sys.executable, str(BENCH), "--quick", "--only", "W5,W6"]


def test_without_micrograd_and_pytorch_the_benchmark_says_n_a() -> None:
    result = subprocess.run(
        [*QUICK_W5_W6, "--without", "micrograd,torch,jax"],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "micrograd not installed" in out and "pytorch not installed" in out
    assert "| ≤ 0.75× PyTorch: n/a |" in out and "| ≤ 0.25× micrograd: n/a |" in out
    assert "≤ 1.5× numpy: " in out  # numpy is always there to compare with
    assert "≤ 0.7× jax.jit: n/a (jax not installed)" in out
