"""The explorer: one self-contained HTML page that steps through the trace on the picture.

``explore(root, "J.html")`` writes a page that shows ``root``'s graph as
:func:`graphgrad.draw` draws it and steps through exactly the lines of
:func:`graphgrad.trace`: the forward pass node by node (each value appears on
its node), then the backward pass (each gradient appears on its node, and the
edges whose local derivatives the chain rule multiplies light up).  The
picture and the lines are made from one :class:`graphgrad.view.View`, with
its one backward pass.

The page is made with the page kit (graphgrad.pages): it needs nothing but
a browser, loads nothing, and keeps user text out of its markup.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Unpack, overload

from graphgrad.draw import (
    DrawingParts,
    drawing_parts,
    input_edge_id,
    node_id,
    op_id,
    result_edge_id,
)
from graphgrad.formula import summary_lines
from graphgrad.pages import PAGE_SUFFIXES as PAGE_SUFFIXES
from graphgrad.pages import Page as Page
from graphgrad.pages import asset, escape, fill, html_page, inline_svg, notebook_height
from graphgrad.pages import page_path as page_path
from graphgrad.pages import script_json as script_json
from graphgrad.renderers import render_drawing
from graphgrad.trace import TraceLine, lines_of
from graphgrad.value import Value
from graphgrad.view import Options, PageOptions, view_of


@overload
def explore(
    root: Value,
    path: None = None,
    *,
    renderer: str | None = None,
    **options: Unpack[PageOptions],
) -> Page: ...


@overload
def explore(
    root: Value,
    path: str | os.PathLike[str],
    *,
    renderer: str | None = None,
    **options: Unpack[PageOptions],
) -> Path: ...


def explore(
    root: Value,
    path: str | os.PathLike[str] | None = None,
    *,
    renderer: str | None = None,
    **options: Unpack[PageOptions],
) -> Page | Path:
    """A page that steps through ``trace(root)`` on the picture of ``root``'s graph.

    Runs ``root.backward()`` (as :func:`graphgrad.trace` does), once.  The page
    shows the graph as :func:`graphgrad.draw` draws it and steps through exactly
    the lines of ``trace(root, digits=digits)``: each value appears on its node
    in the forward pass, each gradient ``dvar`` in the backward pass, where the
    edges whose local derivatives the chain rule multiplies light up.  Keys:
    → next, ← previous, Home, End, Space plays and pauses.  After the last
    step the page shows what the static picture shows.

    - ``path``: write the page there (ending in .html or .htm) and return the
      path; without it, return a :class:`graphgrad.pages.Page`, which a
      notebook shows inline.
    - ``digits``, ``direction``, ``params``, ``max_nodes``: as for
      :func:`graphgrad.draw` (larger graphs are refused the same way).
    - ``renderer``: which Graphviz draws the picture, as for :func:`graphgrad.to_svg`.

    The page is one file with everything inline; it opens from disk and works
    offline.
    """
    target = None if path is None else page_path(path)
    page = explorer_page(root, renderer=renderer, **options)
    return page if target is None else page.save(target)


def explorer_page(
    root: Value, *, renderer: str | None = None, **options: Unpack[PageOptions]
) -> Page:
    """The page :func:`explore` writes, as a :class:`graphgrad.pages.Page`."""
    checked = Options.of(options, "explore", PageOptions.__annotations__)
    view = view_of(root, checked, backward=True, depth_hint=False, what="explore")
    lines = lines_of(view)
    parts = drawing_parts(view, element_ids=True)
    svg = render_drawing(parts.drawing, "svg", renderer).decode("utf-8")
    data = explorer_data(lines, parts, drawn=svg_ids(svg))
    name = parts.names[view.root]
    body = fill(asset("explore.html"), name=escape(name), svg=inline_svg(svg))
    page = html_page(f"{name}: the computation step by step", body, data, asset("explore.js"))
    steps = len(data["steps"])
    description = f"explorer of {name!r}: {steps} step{'' if steps == 1 else 's'}"
    return Page(page, description, notebook_height(svg))


def svg_ids(svg: str) -> set[str]:
    """The ids of the parts Graphviz drew in ``svg`` (it writes ``-`` as ``&#45;``)."""
    return {found.replace("&#45;", "-") for found in re.findall(r'<g id="(gg[^"]*)"', svg)}


def explorer_data(
    lines: list[TraceLine], parts: DrawingParts, drawn: set[str] | None = None
) -> dict[str, Any]:
    """What the explorer's script reads: the trace's lines and steps, and the picture's parts.

    ``lines`` are :func:`graphgrad.trace.lines_of` a view, ``parts`` the
    :class:`graphgrad.draw.DrawingParts` of the same view, with element ids;
    ``drawn``: the ids the picture has, if not all (Graphviz draws two edges
    between the same nodes as one when their labels are placed after the
    layout), so that a step lights only what is there.
    """
    index = parts.view.index
    digits = parts.view.formulas.digits

    def value_id(node: Value) -> str:
        return node_id(index[node])

    def present(elements: list[str]) -> list[str]:
        return elements if drawn is None else [element for element in elements if element in drawn]

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
                "lit": present(lit),
                "from": sources,
                "labels": present(labels),
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
    if drawn is not None:
        edge_labels = {element: text for element, text in edge_labels.items() if element in drawn}
    return {
        "lines": [line.text for line in lines],
        "headings": [i for i, line in enumerate(lines) if line.kind == "heading"],
        "steps": steps,
        "nodes": nodes,
        "labels": edge_labels,
    }
