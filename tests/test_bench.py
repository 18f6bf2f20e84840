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
    assert "| workload | graphgrad | micrograd | numpy | ratio | target / note |" in out
    for row in ("| W1 ", "| W2 scalar LR cost", "| W2 memory per node", "| W3 chain N = 1,000",
                "| W3 chain N = 10,000", "| W4 vectorized LR"):  # fmt: skip
        assert row in out
    assert "numpy " in out and "python " in out  # machine facts
    # graphgrad's result equals the hand-written numpy one after the same steps
    gap = float(out.split("differ by ")[1].split()[0].rstrip("."))
    assert gap < 1e-10
