"""graphgrad.compile: a graph as one program, checked against eager graphgrad.

Oracle: eager graphgrad itself (the graph built anew and ``backward()``), which
the rest of the suite checks against finite differences, closed forms and
PyTorch's semantics.  Where the program does the same operations it must give
the same bits; every op of the table is covered, on numbers and arrays.
"""

from __future__ import annotations

import gc
import math
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphgrad
from graphgrad import Value, define_op, ops
from graphgrad.op import OPS
from graphgrad.program import CompileError

# --- the notes' first graph and its logistic regression ------------------------------------


def notes_graph() -> tuple[Value, Value, Value, Value]:
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    v = a + u
    J = 3 * v
    u.label, v.label, J.label = "u", "v", "J"
    return a, b, c, J


def test_the_notes_graph_is_one_line_per_op_then_its_gradients() -> None:
    a, b, c, J = notes_graph()
    program = graphgrad.compile(J)
    lines = [line.strip() for line in program.source.splitlines()]
    assert lines == [
        "def program(a, b, c):",
        "u = b * c",
        "v = a + u",
        "J = 3.0 * v",
        "dJ = 1.0",
        "dv = dJ * 3.0",
        "da = dv",
        "du = dv",
        "db = du * c",
        "dc = du * b",
        "return J, (da, db, dc)",
    ]
    assert str(program) == program.source
    assert program() == 33.0
    assert (a.grad, b.grad, c.grad) == (3.0, 6.0, 9.0)
    a.data, b.data = 1.0, -2.0  # parameters changed by hand are read afresh
    assert program() == 3 * (1.0 + -2.0 * 2.0) and J.data == program()
    assert (a.grad, b.grad, c.grad) == (3.0, 6.0, -6.0)


def logistic_loss(**data: float) -> dict[str, Value]:
    """The notes' one-example logistic regression, L(a, y) with a = σ(w1·x1 + w2·x2 + b)."""
    given = {"w1": 0.1, "w2": -0.2, "b": 0.3, "x1": 1.0, "x2": 2.0, "y": 1.0, **data}
    g = {
        name: Value(value, label=name, requires_grad=name in ("w1", "w2", "b"))
        for name, value in given.items()
    }
    z = g["w1"] * g["x1"] + g["w2"] * g["x2"] + g["b"]
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    L = -(g["y"] * a.log() + (1 - g["y"]) * (1 - a).log())
    L.label = "L"
    g["L"] = L
    return g


def test_the_notes_logistic_loss_reads_as_the_notes_derive_it() -> None:
    g = logistic_loss()
    source = graphgrad.compile(g["L"], inputs=["x1", "x2", "y"]).source
    for line in ("z = v3 + b", "a = sigmoid(z)", "dz = da * (a * (1.0 - a))",
                 "dw1 = dv1 * x1", "dw2 = dv2 * x2", "db = dz"):  # fmt: skip
        assert f"    {line}\n" in source, line
    assert source.index("dz =") < source.index("dw1 =")


@pytest.mark.parametrize("name", ["x1", "x2", "y"])
def test_rebinding_each_input_of_the_notes_loss_gives_a_fresh_graphs_answer(name: str) -> None:
    g = logistic_loss()
    program = graphgrad.compile(g["L"], inputs=["x1", "x2", "y"])
    for new in (0.0, -1.5, 3.0):
        value = program(**{name: new})
        fresh = logistic_loss(**{name: new})
        fresh["L"].backward()
        assert value == fresh["L"].data and g["L"].data == value
        for p in ("w1", "w2", "b"):
            assert g[p].grad == fresh[p].grad, (name, new, p)
        assert g[name].data == logistic_loss()[name].data  # new data is for that call only


def test_labels_that_are_not_plain_names_become_names_that_collide_with_nothing() -> None:
    hostile = ["__import__('os')", "a; b", "for", "print", "t1", "dJ", "x" * 10_000, "δx", "v1"]
    leaves = [Value(0.5 + i, label=label) for i, label in enumerate(hostile)]
    J = leaves[0]
    for leaf in leaves[1:]:
        J = J * leaf + 1.0
    J.label = "J"
    program = graphgrad.compile(J)
    source = program.source
    for label in hostile[:3] + hostile[6:8]:
        assert label not in source
    assert "import" not in source and ";" not in source
    compile(source, "<check>", "exec")  # valid Python, whatever the labels
    value = program()
    J.backward()
    expected = [leaf.grad for leaf in leaves]
    program()
    assert value == J.data and [leaf.grad for leaf in leaves] == expected


# --- every op of the table, numbers and arrays: the program equals eager graphgrad -----------

Build = Callable[[list[Value]], Value]
rng = np.random.default_rng(7)


def positive(*shape: int) -> Any:
    return rng.uniform(0.5, 2.0, size=shape) if shape else float(rng.uniform(0.5, 2.0))


def signed(*shape: int) -> Any:
    return rng.uniform(-2.0, 2.0, size=shape) if shape else float(rng.uniform(-2.0, 2.0))


# For each op: cases of (leaf data, how to apply the op).  Shapes broadcast, axes
# and indices vary; an op of the table without a case fails the test below.
CASES: dict[str, list[tuple[list[Any], Build]]] = {
    "add": [([signed(), signed()], lambda v: v[0] + v[1]),
            ([signed(3, 1), signed(1, 4)], lambda v: v[0] + v[1])],
    "sub": [([signed(), signed()], lambda v: v[0] - v[1]),
            ([signed(3, 4), signed(4)], lambda v: v[0] - v[1])],
    "mul": [([signed(), signed()], lambda v: v[0] * v[1]),
            ([signed(2, 3), signed()], lambda v: v[0] * v[1])],
    "div": [([signed(), positive()], lambda v: v[0] / v[1]),
            ([signed(3), positive(2, 1)], lambda v: v[0] / v[1])],
    "neg": [([signed()], lambda v: -v[0]), ([signed(3, 2)], lambda v: -v[0])],
    "pow": [([positive(), signed()], lambda v: v[0] ** v[1]),
            ([positive(4), signed(4)], lambda v: v[0] ** v[1])],
    "exp": [([signed()], lambda v: v[0].exp()), ([signed(5)], lambda v: v[0].exp())],
    "log": [([positive()], lambda v: v[0].log()), ([positive(2, 2)], lambda v: v[0].log())],
    "sigmoid": [([signed()], lambda v: v[0].sigmoid()), ([signed(6)], lambda v: v[0].sigmoid())],
    "tanh": [([signed()], lambda v: v[0].tanh()), ([signed(3, 3)], lambda v: v[0].tanh())],
    "relu": [([signed()], lambda v: v[0].relu()), ([signed(8)], lambda v: v[0].relu())],
    "softplus": [([signed()], lambda v: v[0].softplus()),
                 ([signed(4)], lambda v: v[0].softplus())],
    "stop_gradient": [([signed(), signed()], lambda v: v[0].stop_gradient() * v[1]),
                      ([signed(3, 2)], lambda v: v[0] * v[0].stop_gradient())],
    "step": [([signed(), signed()], lambda v: v[0].step() * v[1]),
             ([signed(4), signed(4)], lambda v: v[0].step() * v[1])],
    "scaled_pow": [([positive(), signed(), signed()], lambda v: v[0].scaled_pow(v[1], v[2])),
                   ([positive(3), signed(3), signed()], lambda v: v[0].scaled_pow(v[1], v[2]))],
    "xlogy": [([signed(), positive()], lambda v: v[0].xlogy(v[1])),
              ([signed(3), positive(3)], lambda v: v[0].xlogy(v[1]))],
    "sum": [([signed(3, 4)], lambda v: v[0].sum()), ([signed(3, 4)], lambda v: v[0].sum(axis=0)),
            ([signed(2, 3, 4)], lambda v: v[0].sum(axis=(0, 2), keepdims=True))],
    "mean": [([signed(5)], lambda v: v[0].mean()),
             ([signed(3, 4)], lambda v: v[0].mean(axis=1, keepdims=True))],
    "matmul": [([signed(3, 4), signed(4, 2)], lambda v: v[0] @ v[1]),
               ([signed(4), signed(4, 2)], lambda v: v[0] @ v[1]),
               ([signed(3, 4), signed(4)], lambda v: v[0] @ v[1]),
               ([signed(4), signed(4)], lambda v: v[0] @ v[1])],
    "outer": [([signed(3), signed(2)], lambda v: v[0].outer(v[1]))],
    "transpose": [([signed(2, 3)], lambda v: v[0].T)],
    "reshape": [([signed(2, 3)], lambda v: v[0].reshape(3, 2)),
                ([signed(6)], lambda v: v[0].reshape(-1, 2))],
    "affine": [([signed(5, 3), signed(3, 2), signed(2)], lambda v: v[0].affine(v[1], v[2])),
               ([signed(4), signed(4, 3), signed(1, 3)], lambda v: v[0].affine(v[1], v[2]))],
    "max": [([signed(4, 3)], lambda v: v[0].max()),
            ([np.array([[1.0, 3.0, 3.0], [2.0, 0.5, 2.0]])], lambda v: v[0].max(axis=1))],
    "logsumexp": [([signed(4, 3)], lambda v: v[0].logsumexp(axis=1)),
                  ([signed(5)], lambda v: v[0].logsumexp())],
    "getitem": [([signed(4, 3)], lambda v: v[0][:, 1]),
                ([signed(5)], lambda v: v[0][[0, 2, 2, 4]])],
    "scatter": [([signed(2)], lambda v: v[0].scatter((2, 3), (slice(None), 1)))],
}


def build_case(datas: list[Any], build: Build) -> tuple[list[Value], Value]:
    leaves = [Value(d, label=f"p{i}") for i, d in enumerate(datas)]
    out = build(leaves)
    weights = np.linspace(-1.0, 2.0, out.data.size).reshape(out.shape) if out.shape else 1.5
    J = (out * weights).sum() + (out * out).sum() * 0.25  # a second use of each node
    return leaves, J


def test_every_op_of_the_table_has_cases() -> None:
    builtin = {name for name, op in OPS.items() if op.builtin}
    assert builtin == set(CASES), sorted(builtin ^ set(CASES))


@pytest.mark.parametrize(
    ("name", "case"), [(name, i) for name in sorted(CASES) for i in range(len(CASES[name]))]
)
def test_the_program_of_each_op_gives_eagers_bits(name: str, case: int) -> None:
    datas, build = CASES[name][case]
    leaves, J = build_case(datas, build)
    assert any(node.op == name for node in graphgrad.graph.topological_order(J))
    program = graphgrad.compile(J)
    J.backward()
    eager = [leaf.grad for leaf in leaves]
    value = program()
    assert value == J.data
    for leaf, expected in zip(leaves, eager, strict=True):
        np.testing.assert_array_equal(leaf.grad, expected)
        assert np.shape(leaf.grad) == np.shape(leaf.data)
    # New parameters (same shapes): the program against the graph built anew.
    for leaf in leaves:
        leaf.data = leaf.data * 0.75 + 0.125 if name not in ("log", "pow", "xlogy") else leaf.data
    value = program()
    fresh_leaves, fresh = build_case([leaf.data for leaf in leaves], build)
    fresh.backward()
    assert value == fresh.data
    for leaf, other in zip(leaves, fresh_leaves, strict=True):
        np.testing.assert_array_equal(leaf.grad, other.grad)


def test_a_defined_op_is_compiled_with_its_own_rules() -> None:
    sine = define_op("compiled_sine", np.sin, lambda x, out: cosine(x))
    cosine = define_op("compiled_cosine", np.cos, lambda x, out: -sine(x))
    for data in (0.4, np.array([0.1, 0.2, 0.3])):
        x = Value(data, label="x")
        J = (sine(x) * cosine(x)).sum()
        program = graphgrad.compile(J)
        J.backward()
        eager = x.grad
        program()
        np.testing.assert_array_equal(x.grad, eager)
        np.testing.assert_allclose(x.grad, np.cos(2 * np.asarray(data)), rtol=1e-14)


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[list[Value], Value]:
    """Random DAGs of elementwise ops over scalars or arrays, nodes shared and reused."""
    shape = draw(st.sampled_from([(), (3,), (2, 3)]))
    leaves = [Value(signed(*shape), label=f"x{i}") for i in range(draw(st.integers(1, 3)))]
    nodes: list[Value] = list(leaves)
    for _ in range(draw(st.integers(1, 15))):
        a = draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["add", "mul", "sub", "tanh", "sigmoid", "softplus", "const"]))
        if kind in ("tanh", "sigmoid", "softplus"):
            nodes.append(getattr(a, kind)())
        elif kind == "const":
            nodes.append(a * draw(st.sampled_from([0.5, -2.0, 3.0])) + 1.0)
        else:
            b = draw(st.sampled_from(nodes))
            nodes.append({"add": a + b, "mul": a * b, "sub": a - b}[kind])
    return leaves, nodes[-1].sum()


@settings(max_examples=60)
@given(random_graphs())
def test_random_graphs_give_eagers_bits(graph: tuple[list[Value], Value]) -> None:
    leaves, J = graph
    program = graphgrad.compile(J)
    J.backward()
    eager = [np.copy(leaf.grad) for leaf in leaves]
    assert program() == J.data
    for leaf, expected in zip(leaves, eager, strict=True):
        np.testing.assert_array_equal(leaf.grad, expected)


# --- inputs, shapes and models -------------------------------------------------------------


def vectorized_cost() -> tuple[Value, Value, Value, Value, Value]:
    X = Value(signed(6, 2), label="X", requires_grad=False)
    y = Value(np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0]), label="y", requires_grad=False)
    w, b = Value(np.array([0.3, -0.1]), label="w"), Value(0.05, label="b")
    z = X @ w + b
    z.label = "z"
    J = graphgrad.nn.cost(graphgrad.nn.binary_cross_entropy(z, y))
    return X, y, w, b, J


def eager_cost(X: Any, y: Any, w: Any, b: Any) -> tuple[float, Any, Any]:
    wv, bv = Value(w), Value(b)
    J = graphgrad.nn.cost(
        graphgrad.nn.binary_cross_entropy(
            Value(X, label="X", requires_grad=False) @ wv + bv,
            Value(y, label="y", requires_grad=False),
        )
    )
    J.backward()
    return J.data, wv.grad, bv.grad


def test_an_input_of_another_shape_gets_its_own_version() -> None:
    X, y, w, b, J = vectorized_cost()
    program = graphgrad.compile(J, inputs=[X, y])
    for m in (6, 4, 9, 4, 6):  # a mean over m must divide by this call's m
        Xm, ym = signed(m, 2), (rng.uniform(size=m) > 0.5).astype(float)
        value = program(X=Xm, y=ym)
        expected, dw, db = eager_cost(Xm, ym, w.data, b.data)
        assert value == expected
        np.testing.assert_array_equal(w.grad, dw)
        assert b.grad == db


def test_bad_compiles_and_calls_are_refused_with_the_name_at_fault() -> None:
    X, _, w, _, J = vectorized_cost()
    with pytest.raises(TypeError, match="compile\\(\\) needs a Value"):
        graphgrad.compile(3.0)  # type: ignore[arg-type]
    with pytest.raises(CompileError, match="no leaf labelled 'Xs'"):
        graphgrad.compile(J, inputs=["Xs"])
    with pytest.raises(CompileError, match="has no label"):
        unnamed = Value(np.ones(3), requires_grad=False)
        graphgrad.compile((unnamed * w[0]).sum(), inputs=[unnamed])
    with pytest.raises(CompileError, match="is not a leaf of this graph"):
        graphgrad.compile(J, wrt=[Value(1.0)])
    with pytest.raises(CompileError, match="scalar output"):
        graphgrad.compile(X @ w)
    program = graphgrad.compile(J, inputs=["X", "y"])
    with pytest.raises(TypeError, match=r"no input 'x'.*'X', 'y'"):
        program(x=np.ones((6, 2)))
    with pytest.raises(ValueError, match=r"input 'X'.*NaN"):
        program(X=np.full((6, 2), np.nan))


def test_a_failing_call_raises_eagers_error_naming_the_node() -> None:
    x = Value(2.0, label="x")
    c = Value(3.0, label="c", requires_grad=False)
    J = (x * c).log()
    J.label = "J"
    program = graphgrad.compile(J, inputs=["c"])
    assert program() == math.log(6.0)
    with pytest.raises(ValueError, match=r"log of the mul node .*log needs a positive input"):
        program(c=-1.0)
    assert x.grad == 0.5  # the last good call's gradient stays


def test_two_threads_calling_one_program_each_get_their_own_result() -> None:
    *_, w, b, J = vectorized_cost()
    program = graphgrad.compile(J, inputs=["X", "y"])
    batches = [(signed(6, 2), (rng.uniform(size=6) > 0.5).astype(float)) for _ in range(8)]
    expected = [eager_cost(Xb, yb, w.data, b.data)[0] for Xb, yb in batches]
    results: dict[int, list[float]] = {0: [], 1: []}

    def work(k: int) -> None:
        for _ in range(50):
            for i, (Xb, yb) in enumerate(batches):
                if i % 2 == k:
                    results[k].append(program(X=Xb, y=yb))

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in (0, 1):
        mine = [expected[i] for i in range(8) if i % 2 == k] * 50
        assert results[k] == mine


def test_ten_thousand_calls_do_not_grow_memory() -> None:
    *_, J = vectorized_cost()
    program = graphgrad.compile(J, inputs=["X", "y"])
    Xb = signed(6, 2)
    for _ in range(100):
        program(X=Xb)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            program(X=Xb)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 20_000, after - before


def test_ops_are_read_from_the_table_not_a_list_of_their_own() -> None:
    # An op the table gains is compiled like the others: through its forward
    # rule and Op.vjp, with no line of program code for it.
    for name, op in OPS.items():
        if op.builtin:
            assert getattr(ops, name) is op


# --- the models fit through compiled programs ----------------------------------------------


def test_logistic_regression_and_the_relu_neuron_fit_the_same_compiled_or_not() -> None:
    X = signed(40, 3)
    labels = (X @ np.array([1.0, -2.0, 0.5]) > 0.0).astype(int)
    for model_class, y in (
        (graphgrad.nn.LogisticRegression, labels),
        (graphgrad.nn.ReLURegressor, np.abs(X @ np.array([1.0, 2.0, -1.0])) + 0.5),
    ):
        for vectorized in (True, False):
            runs = [
                model_class(lr=0.1, epochs=30, vectorized=vectorized).fit(
                    X, y, progress=False, compile=compiled
                )
                for compiled in (True, False)
            ]
            assert runs[0].history_ == runs[1].history_, (model_class, vectorized)
            np.testing.assert_array_equal(runs[0].coef_, runs[1].coef_)
            assert runs[0].intercept_ == runs[1].intercept_


@pytest.mark.parametrize(("classes", "batch_size"), [(2, None), (2, 16), (3, 16), (3, None)])
def test_the_classifier_fits_the_same_compiled_or_not(
    classes: int, batch_size: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphgrad import program as program_module

    compiled_for: list[tuple[int, ...]] = []
    real = program_module.compile

    def counting(root: Value, wrt: Any = None, inputs: Any = ()) -> Any:
        made = real(root, wrt, inputs)
        compiled_for.append(made.inputs[0].shape if made.inputs else ())
        return made

    monkeypatch.setattr(program_module, "compile", counting)
    X, y = graphgrad.datasets.make_spiral(50, classes=classes, seed=1)  # 50 per class
    runs = [
        graphgrad.nn.MLPClassifier(
            hidden_layer_sizes=(8,), epochs=15, batch_size=batch_size, alpha=0.01, seed=3
        ).fit(X, y, progress=False, compile=compiled)
        for compiled in (True, False)
    ]
    m = 50 * classes
    # One program per batch size, written once: the full and the last, smaller batch.
    expected = [()] if batch_size is None else [(batch_size, 2), (m % batch_size, 2)]
    assert compiled_for == expected
    assert runs[0].history_ == runs[1].history_
    for a, b in zip(runs[0].coefs_ + runs[0].intercepts_, runs[1].coefs_ + runs[1].intercepts_,
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)


def test_compile_must_be_true_or_false() -> None:
    with pytest.raises(TypeError, match="compile must be True or False"):
        graphgrad.nn.LogisticRegression(epochs=1).fit(np.ones((2, 1)), [0, 1], compile="yes")  # type: ignore[arg-type]


def test_a_leaf_of_derivative_zero_gets_zero_as_with_backward() -> None:
    x, flat = Value(2.0, label="x"), Value(1.0, label="flat")
    J = x * x + flat.step()  # step's derivative is 0
    program = graphgrad.compile(J, wrt=[x, flat])
    flat.grad = None  # as Optimizer.zero_grad leaves it
    assert program() == 5.0
    assert x.grad == 4.0 and flat.grad == 0.0
    J.backward()
    assert flat.grad == 0.0


def test_a_failing_call_in_one_thread_leaves_anothers_results_alone() -> None:
    x = Value(2.0, label="x")
    c = Value(3.0, label="c", requires_grad=False)
    J = (x * c).log()
    program = graphgrad.compile(J, inputs=["c"])
    failures: list[BaseException] = []
    values: list[float] = []

    def failing() -> None:
        for _ in range(200):
            try:
                program(c=-1.0)
            except ValueError as exc:
                failures.append(exc)

    def working() -> None:
        for k in range(200):
            values.append(program(c=float(k % 3 + 1)))

    threads = [threading.Thread(target=failing), threading.Thread(target=working)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 200
    assert values == [math.log(2.0 * (k % 3 + 1)) for k in range(200)]
    assert c.data == 3.0 and x.data == 2.0  # the leaves were never swapped
