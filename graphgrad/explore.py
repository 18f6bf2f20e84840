"""The explorer: one self-contained HTML page that steps through the trace on the picture.

``explore(root, "J.html")`` writes a page that shows ``root``'s graph as
:func:`graphgrad.draw` draws it and steps through exactly the lines of
:func:`graphgrad.trace`: the forward pass node by node (each value appears on
its node), then the backward pass (each gradient appears on its node, and the
edges whose local derivatives the chain rule multiplies light up).

The page needs nothing but a browser: its picture (SVG), style and script are
inline, it loads nothing, and a Content-Security-Policy tells the browser to
refuse anything else.  User text (labels) reaches the page only as SVG text
escaped by Graphviz and as JSON data that the script puts into the page with
``textContent``; the JSON is written so that no label can end its script
element (see :func:`script_json`).

Also here: the pieces of a page that the training page (graphgrad.training)
shares.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, overload

from graphgrad.draw import (
    DrawingParts,
    check_options,
    draw_parts,
    input_edge_id,
    node_id,
    op_id,
    render_source,
    result_edge_id,
)
from graphgrad.formula import DEFAULT_DIGITS, summary_lines
from graphgrad.graph import DEFAULT_MAX_NODES
from graphgrad.trace import TraceLine, trace_lines
from graphgrad.value import Value

#: File name endings a page may be saved under.
PAGE_SUFFIXES = (".html", ".htm")
# How tall a notebook shows a page: its picture plus the controls and the
# transcript, within sensible bounds (the page scrolls inside the frame).
_NOTEBOOK_EXTRA_PX = 380
_NOTEBOOK_MAX_PX = 900


# --- the pieces of a page -----------------------------------------------------------------


def asset(name: str) -> str:
    """The text of one of the page files shipped with graphgrad (graphgrad/page_assets)."""
    # The standard modules a page needs are imported when a page is made, not
    # with graphgrad: a user who only wants gradients pays nothing for them.
    from importlib import resources

    return (resources.files("graphgrad") / "page_assets" / name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside an HTML ``<script>`` element.

    Every non-ASCII character is written as a ``\\u`` escape (so are U+2028
    and U+2029, which end a line in older JavaScript), and so are ``<``, ``>``
    and ``&``: the text can then contain neither ``</script>`` nor ``<!--``,
    whatever the labels say.  ``JSON.parse`` reads back the same strings.

    >>> script_json({"label": "</script><b>&"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    import json

    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document as an element for an HTML page.

    The XML prologue and comments go; so do the ``<title>`` elements, which
    hold Graphviz's internal node names (n0, op3) and would show as tooltips.
    None of these can hold user text: Graphviz writes labels as escaped text.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("the renderer's output is not SVG")
    body = svg[start:]
    body = re.sub(r"<!--.*?-->\n?", "", body, flags=re.DOTALL)
    body = re.sub(r"<title>[^<]*</title>\n?", "", body)
    return body.strip()


def fill(template: str, **values: str) -> str:
    """``template`` with each ``{{key}}`` replaced by ``values[key]``, in one pass
    (so a value that happens to contain ``{{key}}`` is left as it is)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], template)


def escape(text: str, quote: bool = True) -> str:
    """``text`` for HTML: & < > (and quotes) as entities."""
    import html

    return html.escape(text, quote=quote)


def _csp_hash(text: str) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def html_page(title: str, body: str, data: Any, script: str) -> str:
    """A whole page: ``body`` (trusted markup), then ``data`` as JSON, then ``script``.

    The Content-Security-Policy admits exactly this page's own style and
    script (by their hashes) and nothing from anywhere else: no request can
    leave the page, and markup that got in by mistake could not run.
    """
    style = asset("page.css")
    for name, text in (("script", script), ("style", style)):
        if f"</{name}" in text.lower():
            raise ValueError(f"a page {name} must not contain </{name}")
    policy = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{style}</style>\n</head>\n<body>\n{body}\n"
        f'<script type="application/json" id="gg-data">{script_json(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def page_path(path: object, argument: str = "path") -> Path:
    """``path`` as a Path ending in .html or .htm, or a one-line error naming ``argument``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{argument} must be a file name (str or path), got {type(path).__name__}")
    target = Path(path)
    if target.suffix.lower() not in PAGE_SUFFIXES:
        raise ValueError(
            f"{argument} must end in .html or .htm (a page for a browser), got {str(target)!r}"
        )
    return target


class Page:
    """A self-contained HTML page: ``save`` it, or show it in a notebook.

    A notebook shows the object itself, the page in a sandboxed frame
    (``_repr_html_``); ``html`` is the page's text.
    """

    def __init__(self, html_text: str, description: str, height_px: int) -> None:
        self.html = html_text
        self._description = description
        self._height_px = height_px

    def __repr__(self) -> str:
        return f"<graphgrad page: {self._description}; save it with page.save('page.html')>"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (ending in .html or .htm); returns the path."""
        target = page_path(path)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        # A frame keeps the page's style and ids apart from the notebook's;
        # the sandbox lets its script run but gives it no access to the notebook.
        return (
            f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {self._height_px}px; border: 1px solid #e5e7eb" '
            f'title="{escape(self._description, quote=True)}"></iframe>'
        )


def notebook_height(svg: str) -> int:
    """A frame height (px) that shows a page with this picture without much scrolling."""
    match = re.search(r'<svg[^>]*\sheight="([\d.]+)pt"', svg)
    picture = float(match.group(1)) * 4 / 3 if match else 300.0
    return int(min(picture + _NOTEBOOK_EXTRA_PX, _NOTEBOOK_MAX_PX))


# --- the explorer ---------------------------------------------------------------------------


@overload
def explore(
    root: Value,
    path: None = None,
    *,
    digits: int = DEFAULT_DIGITS,
    direction: str = "LR",
    params: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: str | None = None,
) -> Page: ...


@overload
def explore(
    root: Value,
    path: str | os.PathLike[str],
    *,
    digits: int = DEFAULT_DIGITS,
    direction: str = "LR",
    params: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: str | None = None,
) -> Path: ...


def explore(
    root: Value,
    path: str | os.PathLike[str] | None = None,
    *,
    digits: int = DEFAULT_DIGITS,
    direction: str = "LR",
    params: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: str | None = None,
) -> Page | Path:
    """A page that steps through ``trace(root)`` on the picture of ``root``'s graph.

    Runs ``root.backward()`` (as :func:`graphgrad.trace` does).  The page shows
    the graph as :func:`graphgrad.draw` draws it and steps through exactly the
    lines of ``trace(root, digits=digits)``: each value appears on its node in
    the forward pass, each gradient ``dvar`` in the backward pass, where the
    edges whose local derivatives the chain rule multiplies light up.  Keys:
    → next, ← previous, Home, End, Space plays and pauses.  After the last
    step the page shows what the static picture shows.

    - ``path``: write the page there (ending in .html or .htm) and return the
      path; without it, return a :class:`Page`, which a notebook shows inline.
    - ``digits``, ``direction``, ``params``, ``max_nodes``: as for
      :func:`graphgrad.draw` (larger graphs are refused the same way).
    - ``renderer``: which Graphviz draws the picture, as for :func:`graphgrad.to_svg`.

    The page is one file with everything inline; it opens from disk and works
    offline.
    """
    target = None if path is None else page_path(path)
    page = explorer_page(
        root,
        digits=digits,
        direction=direction,
        params=params,
        max_nodes=max_nodes,
        renderer=renderer,
    )
    return page if target is None else page.save(target)


def explorer_page(
    root: Value,
    *,
    digits: int = DEFAULT_DIGITS,
    direction: str = "LR",
    params: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
    renderer: str | None = None,
) -> Page:
    """The page :func:`explore` writes, as a :class:`Page`."""
    check_options(direction, digits, max_nodes, None)
    params = list(params)
    lines = trace_lines(root, digits=digits, max_nodes=max_nodes)  # runs backward()
    backward_ran = any(line.kind == "backward" for line in lines)
    parts = draw_parts(
        root,
        show_grad=backward_ran,
        direction=direction,
        digits=digits,
        params=params,
        max_nodes=max_nodes,
        element_ids=True,
    )
    svg = render_source(parts.drawing.source, "svg", renderer).decode("utf-8")
    data = explorer_data(lines, parts, digits)
    name = parts.names[root]
    body = fill(asset("explore.html"), name=escape(name), svg=inline_svg(svg))
    page = html_page(f"{name}: the computation step by step", body, data, asset("explore.js"))
    steps = len(data["steps"])
    description = f"explorer of {name!r}: {steps} step{'' if steps == 1 else 's'}"
    return Page(page, description, notebook_height(svg))


def explorer_data(lines: list[TraceLine], parts: DrawingParts, digits: int) -> dict[str, Any]:
    """What the explorer's script reads: the trace's lines and steps, and the picture's parts.

    ``lines`` are :func:`graphgrad.trace.trace_lines` of a graph, ``parts``
    the :class:`graphgrad.draw.DrawingParts` of its drawing with element ids.
    """
    index = parts.index

    def value_id(node: Value) -> str:
        return node_id(index[node])

    steps = []
    for number, line in enumerate(lines):
        if line.kind in ("heading", "blank"):
            continue
        lit: list[str] = []
        sources: list[str] = []
        labels: list[str] = []
        node = line.node
        if line.kind == "forward" and node is not None and node.operation is not None:
            i = index[node]
            lit += [op_id(i), result_edge_id(i)]
            lit += [input_edge_id(i, position) for _, position in line.edges]
        elif line.kind == "backward":
            for consumer, position in line.edges:
                i = index[consumer]
                edge = input_edge_id(i, position)
                lit += [edge, op_id(i), result_edge_id(i)]
                sources.append(value_id(consumer))
                if edge in parts.labels:
                    labels.append(edge)
        steps.append(
            {
                "line": number,
                "kind": line.kind,
                "text": line.statement,
                "node": None if node is None else value_id(node),
                "lit": lit,
                "from": sources,
                "labels": labels,
            }
        )

    nodes = {}
    for node, i in index.items():
        element = node_id(i)
        if node not in parts.names or element not in parts.labels:
            continue  # a number written into the expression: shown as itself throughout
        shown = parts.labels[element]
        count = len(summary_lines(node.data, digits))
        nodes[element] = {
            "name": parts.names[node],
            "value": list(shown[:count]),
            "grad": list(shown[count:]),
        }
    edge_labels = {
        element: list(text) for element, text in parts.labels.items() if element.startswith("gg-in")
    }
    return {
        "lines": [line.text for line in lines],
        "headings": [i for i, line in enumerate(lines) if line.kind == "heading"],
        "steps": steps,
        "nodes": nodes,
        "labels": edge_labels,
    }
