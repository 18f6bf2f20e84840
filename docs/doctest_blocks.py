"""Show the doctests in graphgrad's docstrings as Python console code in the API reference.

The docstrings carry examples as plain doctests (pytest runs them), without an
"Examples:" heading.  Markdown would render their ``>>>`` lines as nested
quotes, so this griffe extension, loaded by mkdocstrings (see ``mkdocs.yml``),
fences every run of doctest lines as a ``pycon`` block before rendering.  It
also shows Sphinx cross-reference roles (``:func:`draw` ``) as plain code,
since Markdown has no such syntax.

>>> fence_doctests("Text.\\n\\n>>> 1 + 1\\n2\\n\\nMore.").split("\\n")
['Text.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'More.']
"""

from __future__ import annotations

import re
from typing import Any

import griffe

SPHINX_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


def plain_roles(text: str) -> str:
    """``:func:`draw` `` -> `` `draw` ``.

    >>> plain_roles("see :func:`draw` and :class:`~graphgrad.expr.Expression`")
    'see `draw` and `graphgrad.expr.Expression`'
    """
    return SPHINX_ROLE.sub(r"`\1`", text)


def fence_doctests(text: str) -> str:
    """Wrap each block of doctest lines (a ``>>>`` line up to the next blank line)."""
    out: list[str] = []
    in_fence = in_doctest = False
    indent = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if in_doctest and not stripped:
            out.append(indent + "```")
            in_doctest = False
        elif not in_doctest and not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "```pycon")
            in_doctest = True
        elif not in_doctest and stripped.startswith("```"):
            in_fence = not in_fence
        out.append(line)
    if in_doctest:
        out.append(indent + "```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the doctests of every object's docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(fence_doctests(obj.docstring.value))
