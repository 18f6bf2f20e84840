"""docs/howto.md's "Add a new op", followed to the letter in a copy of the package.

The how-to's code blocks are pasted where it says (the entries into
graphgrad/ops.py, the typed methods into class Value), and the copy is then
used as a user would: backward at two orders, the trace, the command line, the
docs' op table, ruff and mypy --strict.  A step the how-to forgets, or a
recipe that no longer works, fails here.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOWTO = ROOT / "docs" / "howto.md"


def howto_block(title: str) -> str:
    """The code block of the how-to's "Add a new op" section titled ``title``."""
    section = HOWTO.read_text(encoding="utf-8").split("## Add a new op", 1)[1]
    pattern = rf'```python title="{re.escape(title)}"\n(.*?)```'
    found = re.findall(pattern, section, flags=re.DOTALL)
    assert len(found) == 1, f"the how-to has no single block titled {title}"
    return textwrap.dedent(found[0])


CHECKS = r"""
import io, json, math, contextlib
import graphgrad
from graphgrad import Value, grad, ops, trace
from graphgrad.cli import main
from graphgrad.formula import op_table

x = Value(0.5, label="x")
y = x.sin()
y.label = "y"
y.backward()
first = x.grad
second = grad(grad(lambda t: t.sin()))(0.5)
z = Value(0.5)
z.cos().backward()
text = trace(y)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(["grad", "sin(x)*cos(x)", "x=0.5"])
rows = {name: derivatives for name, _, _, derivatives in op_table()}
print(json.dumps({
    "first": first, "second": second, "cos": z.grad,
    "trace": text, "cli": out.getvalue(), "status": status,
    "rows": {k: rows.get(k) for k in ("sin", "cos")},
    "registered": ops.OPS["sin"] is ops.sin,
}))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of graphgrad with the how-to's steps 1 and 2 done."""
    where = tmp_path_factory.mktemp("howto")
    copy = where / "graphgrad"
    shutil.copytree(ROOT / "graphgrad", copy, ignore=shutil.ignore_patterns("__pycache__"))
    ops_py = copy / "ops.py"
    ops_py.write_text(ops_py.read_text(encoding="utf-8") + "\n" + howto_block("graphgrad/ops.py"))
    value_py = copy / "value.py"
    text = value_py.read_text(encoding="utf-8")
    marker = "    # --- gradients"
    assert text.count(marker) == 1, "value.py has no single gradients section to put methods before"
    methods = textwrap.indent(howto_block("graphgrad/value.py"), "    ")
    value_py.write_text(text.replace(marker, methods + "\n" + marker), encoding="utf-8")
    return where


def run(package: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=package,
        env={"PYTHONPATH": str(package), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_new_op_differentiates_traces_and_is_listed(package: Path) -> None:
    done = run(package, "-c", CHECKS)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["registered"]
    assert result["first"] == math.cos(0.5)
    assert abs(result["second"] + math.sin(0.5)) < 1e-15
    assert result["cos"] == -math.sin(0.5)
    assert "y = sin(x) =" in result["trace"] and "dx = dy · ∂y/∂x = dy · cos(x)" in result["trace"]
    assert result["status"] == 0 and "dx = " in result["cli"]
    assert result["rows"]["sin"] == "∂out/∂x = cos(x)"
    assert result["rows"]["cos"] == "∂out/∂x = -sin(x)"


def test_the_new_op_is_lint_clean_and_typed(package: Path) -> None:
    config = str(ROOT / "pyproject.toml")
    lint = run(package, "-m", "ruff", "check", "--config", config, "graphgrad")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    cache = str(package / ".mypy")
    mypy = ("-m", "mypy", "--strict", "--config-file", config, "--cache-dir", cache)
    types = run(package, *mypy, "graphgrad")
    assert types.returncode == 0, types.stdout + types.stderr
