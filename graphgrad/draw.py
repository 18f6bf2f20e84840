"""Pictures of computation graphs: the DOT text of a graph's drawing, in the notes' style.

``draw`` turns a graph into a :class:`Drawing` (a ``graphviz.Digraph``): one
box per value with its data and, after ``backward()``, its gradient
(``da = 3``); one small circle per op; each edge from an input into an op
labelled with the local derivative, read from the op table (``∂u/∂b = c = 2``).
What is drawn (nodes, names, formulas, gradients) is a :class:`graphgrad.view.View`.

``to_svg`` and ``render`` make the picture with a renderer (graphgrad.renderers:
the system's ``dot`` or the embedded Graphviz); ``render`` to ``.dot`` writes the
DOT text itself.

Safety: the DOT is written here line by line; every piece of user text goes
through :func:`dot_string`, so a label is drawn literally and cannot add
nodes, attributes or markup.  Plain (not HTML-like) labels are used because
the embedded renderer has no HTML-label support and they give nothing to inject.

This module imports ``graphviz`` and the renderers only when a picture is made,
so ``import graphgrad`` stays light: ``Drawing`` is loaded on first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

from graphgrad import renderers
from graphgrad.formula import summary_lines, wants_gradient
from graphgrad.graph import GraphTooLargeError as GraphTooLargeError  # draw() raises it
from graphgrad.graph import count_nodes, is_constant, printable
from graphgrad.renderers import FORMATS as FORMATS
from graphgrad.renderers import RENDERER_ENV as RENDERER_ENV
from graphgrad.renderers import RENDERERS as RENDERERS
from graphgrad.renderers import RendererError as RendererError  # to_svg() raises it
from graphgrad.value import Value
from graphgrad.view import DIRECTIONS as DIRECTIONS
from graphgrad.view import DrawOptions, Options, View, view_of

# Graphviz threads a placeholder node through every rank an edge crosses, and
# edge labels that take part in the layout (the best-looking choice: they never
# overlap) double the ranks.  A graph where one input feeds ops far apart
# (x + x + ... + x) needs placeholders by the square of its size, and a long
# chain needs deep recursion: the layout slows sharply, or the embedded
# renderer runs out of stack, beyond these (measured with the embedded
# renderer: 4,000 placeholders or 2,800 ranks take 1 to 3 s).  Past them the
# labels are placed after the layout (xlabel), which halves the ranks, and
# edges from one node share their path (concentrate), which removes most
# placeholders: x + x + ... + x of 999 terms then takes seconds, not minutes.
LABEL_LAYOUT_PLACEHOLDERS = 4000
LABEL_LAYOUT_RANKS = 2400
# Longer names are cut in pictures (the trace prints them whole).
MAX_NAME_CHARS = 60

_LEAF_COLOR = "#dbeafe"  # inputs: light blue
_PARAM_COLOR = "#dcfce7"  # model parameters: light green
_OUTPUT_COLOR = "#fef3c7"  # the output: light yellow
_OP_COLOR = "#e5e7eb"


class DrawingWarning(UserWarning):
    """A picture was made, but parts of it may be hard to read; the message says why."""


def __getattr__(name: str) -> Any:
    # graphgrad.draw.Drawing, imported (with graphviz) when first asked for.
    if name == "Drawing":
        from graphgrad.drawing import Drawing

        return Drawing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def shown_name(view: View, node: Value) -> str:
    """``node``'s name as a picture shows it: cut after MAX_NAME_CHARS characters, printable."""
    return printable(_clip(view.given_names[node]))


def _attrs(**attrs: str) -> str:
    # Only attribute values we build ourselves pass through here unquoted
    # (colours, shapes, numbers); labels arrive already quoted by dot_string.
    return "[" + " ".join(f"{key}={value}" for key, value in attrs.items()) + "]"


# --- the picture ------------------------------------------------------------------------


def draw(root: Value, **options: Unpack[DrawOptions]) -> Any:
    """The computation graph of ``root`` as a :class:`Drawing` (a ``graphviz.Digraph``).

    The options, all keywords (see :class:`graphgrad.view.Options`):

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

    The result's ``.source`` is the DOT text; notebooks show it as SVG.  Its
    class is ``graphgrad.draw.Drawing``.  Drawing runs no backward pass.
    """
    return drawing_parts(view_of(root, Options.of(options, "draw"))).drawing


# Ids of a drawing's parts, for pages that find them in the SVG (Graphviz
# writes a DOT id as the id of the part's <g> element).  They are made from
# numbers only, never from user text.
def node_id(index: int) -> str:
    """The id of value node ``index`` (its place in the view's order)."""
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

    - ``view``: what is drawn (its ``index`` numbers the parts' ids:
      :func:`node_id`, :func:`op_id`, :func:`result_edge_id`, :func:`input_edge_id`);
    - ``drawing``: what :func:`draw` returns;
    - ``names``: each named node's name as the picture shows it (a number
      written into the expression has none: it is shown as itself);
    - ``labels``: the lines of each labelled part's text, as the picture
      shows them, by id (a part without a label, such as an edge from a
      constant, has none).
    """

    view: View
    drawing: Any
    names: dict[Value, str]
    labels: dict[str, tuple[str, ...]]


def drawing_parts(
    view: View,
    *,
    element_ids: bool = False,
    layout_labels: Mapping[str, Sequence[str]] | None = None,
) -> DrawingParts:
    """The drawing of ``view``, with its parts' labels (what :func:`draw` draws).

    With ``element_ids`` the DOT gives every node and edge its id, so that the
    parts can be found in the SVG; the picture looks the same either way.
    ``layout_labels``: text to lay some parts out for, by id, in place of
    their own (a page that changes the numbers sizes each box for the widest
    it will show); ``labels`` still holds the parts' own text.
    """
    options = view.options
    index = view.index
    ids = {node: f"n{i}" for node, i in index.items()}
    placeholders, ranks = layout_size(view, labels=True)
    in_layout = placeholders <= LABEL_LAYOUT_PLACEHOLDERS and ranks <= LABEL_LAYOUT_RANKS
    label_attr = "label" if in_layout else "xlabel"
    labels: dict[str, tuple[str, ...]] = {}

    def part(
        element: str, attrs: dict[str, str], label: list[str] | None, key: str = "label"
    ) -> str:
        """The attribute list of one node or edge (its label under ``key``), noting its label."""
        if label is not None:
            labels[element] = tuple(printable(line) for line in label)
            if layout_labels is not None and element in layout_labels:
                attrs = {**attrs, key: dot_string(*layout_labels[element])}
        if element_ids:
            attrs = {"id": f'"{element}"', **attrs}
        return " " + _attrs(**attrs) if attrs else ""

    lines = [
        f"rankdir={options.direction}",
        *([] if in_layout else ["forcelabels=true", "concentrate=true"]),
        'node [fontname="Helvetica" fontsize=12]',
        'edge [fontname="Helvetica" fontsize=10 color="#4b5563"]',
    ]
    for node in view.nodes:
        i = index[node]
        attrs, text = _value_node(node, view)
        lines.append(ids[node] + part(node_id(i), attrs, text))
        op = node.operation
        if op is None or node in view.cut:
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
            label = _edge_label(node, position, view) if options.show_derivatives else None
            edge_attrs = {} if label is None else {label_attr: dot_string(*label)}
            lines.append(
                f"{ids[x]} -> {op_name}"
                + part(input_edge_id(i, position), edge_attrs, label, label_attr)
            )
    if not in_layout and any(element.startswith("gg-in") for element in labels):
        _warn_labels_may_overlap(view)

    from graphgrad.drawing import Drawing

    drawing = Drawing(name="graphgrad")
    drawing.body.extend(f"\t{line}\n" for line in lines)
    drawing.graphgrad_output = repr(shown_name(view, view.root))
    drawing.graphgrad_nodes = len(view.nodes)
    drawing.graphgrad_large_layout = not in_layout
    shown_names = {node: shown_name(view, node) for node in view.given_names}
    return DrawingParts(view, drawing, shown_names, labels)


def layout_size(view: View, *, labels: bool) -> tuple[int, int]:
    """About how many placeholder nodes Graphviz's layout of ``view`` needs for
    edges that cross ranks, and how many ranks it has (with edge ``labels`` in
    the layout, or placed after it).

    Ranks as Graphviz gives them: each op one rank after its latest input, each
    value one after its op, each input one before its first consumer; labels
    in the layout double every edge's length.
    """
    step = 2 if labels else 1
    rank: dict[Value, int] = {}
    op_rank: dict[Value, int] = {}
    drawn_inputs: dict[Value, tuple[Value, ...]] = {}
    for node in view.nodes:  # inputs first
        if node.operation is None or node in view.cut:
            rank[node] = 0
            continue
        drawn_inputs[node] = node.inputs
        op_rank[node] = max((rank[x] for x in node.inputs), default=0) + step
        rank[node] = op_rank[node] + step
    consumers: dict[Value, int] = {}
    for node, inputs in drawn_inputs.items():
        for x in inputs:
            consumers[x] = min(consumers.get(x, op_rank[node]), op_rank[node])
    for node in view.nodes:
        if node not in drawn_inputs and node in consumers:
            rank[node] = consumers[node] - step
    total = 0
    for node, inputs in drawn_inputs.items():
        total += sum(max(op_rank[node] - rank[x] - 1, 0) for x in inputs)
        total += step - 1
    return total, max(rank.values(), default=0) + 1


def _warn_labels_may_overlap(view: View) -> None:
    import inspect
    import warnings

    # Point at the caller's line, outside graphgrad.
    package = os.path.dirname(__file__)
    level, frame = 1, inspect.currentframe()
    while frame is not None and frame.f_code.co_filename.startswith(package):
        level, frame = level + 1, frame.f_back
    warnings.warn(
        f"the graph of {view.names[view.root]!r} ({len(view.nodes):,} nodes) is too deep or "
        "has too many long edges to lay out with its derivative labels, so they are placed "
        "afterwards and may overlap boxes and each other: draw the nodes nearest the output "
        "with depth=N, "
        "leave the labels out with show_derivatives=False, or lower max_nodes= to be "
        "stopped before drawing graphs this large",
        DrawingWarning,
        stacklevel=level,
    )


def _value_node(node: Value, view: View) -> tuple[dict[str, str], list[str]]:
    """A value node's DOT attributes and the lines of its label."""
    formulas = view.formulas
    digits = formulas.digits
    root = view.root
    if is_constant(node) and node is not root:
        number = formulas.name(node)
        attrs = {"label": dot_string(number), "shape": "plaintext", "fontcolor": '"#374151"'}
        return attrs, [number]
    name = shown_name(view, node)
    text = _equation(name, summary_lines(node.data, digits))
    if view.show_grad and node in view.reached and node.grad is not None:
        text += _equation(f"d{name}", summary_lines(node.grad, digits))
    cut = node in view.cut
    if cut:
        text.append("(inputs not drawn)")
    style = "rounded,filled" + (",dashed" if cut else "")
    if node in view.options.params:
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


def _edge_label(node: Value, index: int, view: View) -> list[str] | None:
    formulas = view.formulas
    x = node.inputs[index]
    op = node.operation
    assert op is not None
    if not wants_gradient(x) or not op.takes_gradient(index) or node not in view.reached:
        # A constant, such as a number in the expression, or an edge backward()
        # hands nothing along: no derivative.
        return None
    digits = formulas.digits
    out_name, in_name = shown_name(view, node), shown_name(view, x)
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
    contribution = formulas.contribution(node, index) if view.show_grad else None
    if contribution is None:
        return [head]
    return _equation(head, summary_lines(contribution, digits))


# --- pictures of drawings ------------------------------------------------------------------


def _drawing_of(graph: object, options: DrawOptions) -> Any:
    """A Value's drawing (made with ``options``), or the drawing given."""
    if isinstance(graph, Value):
        return draw(graph, **options)
    import graphviz

    if isinstance(graph, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        if options:
            raise TypeError(f"drawing options {sorted(options)} apply to a Value, not a drawing")
        return graph
    raise TypeError(
        f"expected a Value or a drawing from graphgrad.draw, got {type(graph).__name__}"
    )


def to_svg(graph: Any, *, renderer: str | None = None, **options: Unpack[DrawOptions]) -> str:
    """The SVG picture of a Value's graph (``options`` as for :func:`draw`) or of a drawing.

    ``renderer``: ``"system"`` (Graphviz's ``dot``), ``"embedded"`` or ``"auto"``
    (the default, or the ``GRAPHGRAD_RENDERER`` environment variable).
    """
    return renderers.render_drawing(_drawing_of(graph, options), "svg", renderer).decode("utf-8")


def render(
    graph: Any,
    path: str | os.PathLike[str],
    *,
    renderer: str | None = None,
    **options: Unpack[DrawOptions],
) -> Path:
    """Write the picture to ``path``; its extension picks the format (.svg .png .pdf .dot).

    ``.dot`` writes the DOT text itself and needs no renderer.  Returns the path.
    ``renderer`` and ``options`` as for :func:`to_svg`.
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
    drawing = _drawing_of(graph, options)
    data = (
        drawing.source.encode("utf-8")
        if fmt == "dot"
        else renderers.render_drawing(drawing, fmt, renderer)
    )
    target.write_bytes(data)
    return target


# --- notebooks ------------------------------------------------------------------------------

# A notebook draws every Value it displays, unasked: only graphs whose picture
# is legible at a notebook's width and quick to lay out.
NOTEBOOK_MAX_NODES = 100


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
