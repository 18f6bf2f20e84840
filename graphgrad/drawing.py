"""The Drawing class: what ``graphgrad.draw`` returns, a ``graphviz.Digraph`` that
notebooks show through graphgrad's renderers.

This module imports ``graphviz``; graphgrad imports it only when a picture is
made (``graphgrad.draw.Drawing`` is this class, loaded on first use).
"""

from __future__ import annotations

from typing import Any

import graphviz

from graphgrad import renderers
from graphgrad.renderers import RendererError


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A computation graph's picture: a ``graphviz.Digraph`` whose ``.source`` is
    the DOT text, shown in a notebook as SVG by graphgrad's renderers
    (``graphviz.Digraph`` alone would need the system Graphviz to display).

    ``graphgrad.render(drawing, "graph.svg")`` saves it; ``graphgrad.to_svg(drawing)``
    gives its SVG.
    """

    #: The output's name as the picture shows it, quoted (set by draw).
    graphgrad_output = "a graph"
    #: How many value nodes the picture shows (set by draw).
    graphgrad_nodes = 0
    #: Whether the layout is past the limits of laying its labels out (set by
    #: draw): the renderer "auto" then draws SVG with the embedded Graphviz.
    graphgrad_large_layout = False

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
        return renderers.render_drawing(self, "svg").decode("utf-8")
