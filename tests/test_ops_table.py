"""Every op of the table has every piece, and nothing falls back silently.

The op table (graphgrad/ops.py) is the one place an op is written; everything
else reads it.  These tests walk the table and name the op that lacks a piece:
a Value operator or method, a formula, a compiled step, a derivative rule that
runs on Values, a place in the command line and in the docs.
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphgrad import Value
from graphgrad.codegen import float_forward_source, rule_fallbacks
from graphgrad.expr import FUNCTIONS
from graphgrad.op import NOTATIONS
from graphgrad.ops import OPS, Op
from graphgrad.symbolic import Sym, to_text

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = sorted(name for name, op in OPS.items() if op.builtin)


def sample_inputs(op: Op) -> list[Any]:
    """Inputs on which every op of the table is defined and smooth."""
    if op.elementwise:
        return [Value(x) for x in (0.7, 1.3, 2.0)[: op.arity]]
    if op.name in ("matmul",):
        return [
            Value(np.array([[1.0, 2.0], [3.0, 4.0]])),
            Value(np.array([[0.5, -1.0], [2.0, 1.0]])),
        ]
    if op.name == "outer":
        return [Value(np.array([1.0, 2.0])), Value(np.array([3.0, -1.0, 0.5]))]
    if op.name == "affine":
        return [
            Value(np.array([[1.0, 2.0], [3.0, 4.0]])),
            Value(np.array([[0.5, -1.0, 1.0], [2.0, 1.0, 0.0]])),
            Value(np.array([0.1, 0.2, 0.3])),
        ]
    if op.name == "scatter":
        return [Value(np.array([1.0, 2.0]))]  # scattered into column 1 of a (2, 3) array
    return [Value(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))]


def sample_params(op: Op) -> dict[str, Any]:
    return {
        "reshape": {"shape": (3, 2)},
        "max": {"axis": 1},
        "logsumexp": {"axis": 1},
        "getitem": {"index": (slice(None), 1)},
        "scatter": {"shape": (2, 3), "index": (slice(None), 1)},
    }.get(op.name, {})


@pytest.mark.parametrize("name", BUILTIN)
def test_every_entry_is_complete(name: str) -> None:
    op = OPS[name]
    assert op.name == name and re.fullmatch(r"[a-z_]+", name)
    assert isinstance(op.symbol, str) and op.symbol
    assert op.notation in NOTATIONS
    assert callable(op.forward)
    assert len(op.partials) == op.arity == len(op.inputs) == len(op.needs) >= 1
    # A partial is a rule or a number; None (no gradient passes) only for an op
    # that passes none through any input (stop_gradient), never one forgotten
    # beside the others.
    kinds = {partial is None for partial in op.partials}
    assert len(kinds) == 1, f"{name}: some partials are missing"
    for partial in op.partials:
        assert partial is None or callable(partial) or isinstance(partial, float), name
    if not op.elementwise:
        assert all(callable(p) for p in op.partials), f"{name}: a vector-Jacobian rule per input"


@pytest.mark.parametrize("name", BUILTIN)
def test_every_op_is_a_value_operator_or_method(name: str) -> None:
    op = OPS[name]
    assert op.operators or op.method, f"{name} has neither an operator nor a method on Value"
    xs = sample_inputs(op)
    made = []
    for i, dunder in enumerate(op.operators):
        assert hasattr(Value, dunder), f"Value lacks {dunder} for {name}"
        if op.arity == 1:
            made.append(getattr(xs[0], dunder)())
        else:
            self, other = (xs[0], xs[1]) if i == 0 else (xs[1], xs[0])
            made.append(getattr(self, dunder)(other))
    if op.method == "T":
        made.append(xs[0].T)
    elif op.method is not None:
        method = getattr(Value, op.method, None)
        assert method is not None, f"Value lacks the method {op.method} for {name}"
        # Typed: a real method with annotations, for editors and mypy.
        assert inspect.signature(method).return_annotation in ("Value", Value)
        args = tuple(sample_params(op).values()) if op.param_names else tuple(xs[1:])
        made.append(getattr(xs[0], op.method)(*args))
    for node in made:
        assert node.operation is not None and node.operation.entry is op, name


@pytest.mark.parametrize("name", BUILTIN)
def test_every_op_is_a_function_of_numbers_arrays_values_and_symbols(name: str) -> None:
    op = OPS[name]
    xs = sample_inputs(op)
    params = sample_params(op)
    as_data = op(*(x.data for x in xs), **params)
    node = op(*xs, **params)
    np.testing.assert_array_equal(as_data, node.data)
    assert type(as_data) is type(node.data)
    formula = op(*(Sym(n) for n in op.inputs), **params)
    assert isinstance(formula, Sym) and formula.op is not None and formula.op.entry is op


@pytest.mark.parametrize("name", BUILTIN)
def test_every_op_has_formulas_for_people(name: str) -> None:
    op = OPS[name]
    symbols = [Sym(n) for n in op.inputs]
    written = to_text(op(*symbols))
    for n in op.inputs:
        assert n in written, f"{name}'s formula {written!r} does not show its input {n}"
    if op.elementwise:
        for index in range(op.arity):
            if not op.takes_gradient(index):
                continue
            local = op.local_derivative(index, tuple(symbols), Sym("out"))
            assert isinstance(local, (Sym, float)), f"{name}: a rule gave {type(local).__name__}"
            if isinstance(local, Sym):
                to_text(local)


@pytest.mark.parametrize("name", [n for n in BUILTIN if OPS[n].elementwise])
def test_every_elementwise_op_is_compiled_never_called(name: str) -> None:
    op = OPS[name]
    assert rule_fallbacks(op) == (), f"{name}: a derivative rule is called, not compiled"
    source = float_forward_source(op, [f"{n}d" for n in op.inputs], {})
    assert source is not None, f"{name}: its forward rule has no float form"


@pytest.mark.parametrize("name", BUILTIN)
def test_every_derivative_rule_runs_on_values(name: str) -> None:
    # backward(create_graph=True) runs the rules on Values: each must build a
    # graph (second derivatives), not fail or fall back to numbers.
    op = OPS[name]
    xs = sample_inputs(op)
    params = sample_params(op)
    out = op(*xs, **params)
    g = Value(np.ones(out.shape) if out.shape else 1.0)
    for index, rule in enumerate(op.partials):
        if not callable(rule):
            continue
        local = rule(*xs, out) if op.elementwise else rule(g, *xs, out, **params)
        if isinstance(local, Value):
            assert local.requires_grad, f"{name}: the rule for input {index} cut the graph"
        else:
            # A rule that does not depend on the inputs (step's 0) may give a number.
            assert op.elementwise and isinstance(local, float), name


def test_the_command_line_has_every_function_of_one_number() -> None:
    expected = {
        n for n in BUILTIN
        if OPS[n].elementwise and OPS[n].arity == 1 and OPS[n].notation == "function"
    }  # fmt: skip
    assert set(FUNCTIONS) == expected
    from graphgrad.cli import EXAMPLES

    assert ", ".join(FUNCTIONS) in EXAMPLES
    command_page = (ROOT / "docs" / "command.md").read_text(encoding="utf-8")
    listed = re.search(r"the functions (.*), each with one argument", command_page)
    assert listed is not None
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == set(FUNCTIONS)


def test_the_docs_op_table_is_the_code_table() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate_op_table", ROOT / "docs" / "generate_op_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert committed == module.page(), "docs/ops.md is stale: run python docs/generate_op_table.py"
    for name in BUILTIN:
        assert f"| `{name}` |" in committed


def test_every_op_name_and_symbol_is_safe_to_show() -> None:
    # Names go into compiled code (identifiers only); symbols into pictures.
    for op in OPS.values():
        assert op.name.isidentifier()
        assert "\n" not in op.symbol and '"' not in op.symbol


# --- one entry, one name, one reader --------------------------------------------------------


def test_each_entry_has_one_name_and_every_written_entry_is_registered() -> None:
    from graphgrad import ops

    table = {name: value for name, value in vars(ops).items() if isinstance(value, Op)}
    # The module's entries are exactly the table's built-in ops, each under its own name.
    assert set(table) == set(BUILTIN)
    for name, op in table.items():
        assert OPS[name] is op and op.name == name, name


def test_no_op_exists_that_the_registry_does_not_hold() -> None:
    # In a fresh interpreter, after using every kind of op (bound copies too):
    # every Op object is a registered entry or a copy bound from one.
    code = """
import gc
import numpy as np
import graphgrad
from graphgrad.op import OPS, Op
x = graphgrad.Value(np.arange(6.0).reshape(2, 3))
(x.sum(axis=1) * x[:, 0] + x.max(axis=1)).sum().backward()
loose = [
    op for op in gc.get_objects()
    if isinstance(op, Op) and OPS.get(op.entry.name) is not op.entry
]
print(len([op for op in gc.get_objects() if isinstance(op, Op)]), loose)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    count, loose = done.stdout.split(maxsplit=1)
    assert int(count) > len(BUILTIN) and loose.strip() == "[]", done.stdout


def test_only_op_py_reads_the_rule_convention() -> None:
    # Op.vjp and Op.local_derivative are the one reader of an entry's partials;
    # every pass, formula and generated step calls them.
    readers = []
    for path in sorted((ROOT / "graphgrad").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "partials":
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers and all(r.startswith("graphgrad/op.py:") for r in readers), readers
