"""The page kit: self-contained HTML pages, shared by the explorer and the training page.

A page made here needs nothing but a browser: its style and script are
inline, it loads nothing, and a Content-Security-Policy tells the browser to
refuse anything else (:func:`html_page`).  User text reaches a page only as
escaped markup (:func:`escape`, or SVG text escaped by Graphviz) and as JSON
data that the page's script puts into the page with ``textContent``; the JSON
is written so that no label can end its script element (:func:`script_json`).

The standard modules a page needs (json, html, hashlib, importlib.resources)
are imported when a page is made, not with graphgrad.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

#: File name endings a page may be saved under.
PAGE_SUFFIXES = (".html", ".htm")
# How tall a notebook shows a page: its picture plus the controls and the
# transcript, within sensible bounds (the page scrolls inside the frame).
_NOTEBOOK_EXTRA_PX = 380
_NOTEBOOK_MAX_PX = 900


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
