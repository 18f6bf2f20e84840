"""Walking a computation graph: one implementation for backward, pictures,
traces and checks.

Works on any node with an ``inputs`` tuple, so it imports nothing of graphgrad.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Sequence
from typing import Protocol, TypeVar


class Node(Hashable, Protocol):
    @property
    def inputs(self) -> tuple[Node, ...]: ...

    @property
    def label(self) -> str | None: ...


N = TypeVar("N", bound=Node)


def topological_order(root: N) -> list[N]:
    """Every node reachable from ``root``, each after all of its inputs.

    Iterative depth-first search, so a chain of a million ops needs no deep
    recursion; each node is visited once, so time is linear in the graph's size.
    """
    order: list[N] = []
    # node -> False while its inputs are being ordered, True once it is in order.
    # One dict instead of pushing (node, finished) pairs: no tuple per node,
    # which on big graphs also spares the garbage collector millions of objects.
    state: dict[N, bool] = {}
    stack: list[N] = [root]
    # Plain method calls, not bound-method locals: on 3.11+ they are as fast in
    # the loop and cost nothing to set up, which matters for small graphs.
    while stack:
        node = stack.pop()
        done = state.get(node)
        if done is None:
            inputs = node.inputs
            if inputs:
                state[node] = False
                stack.append(node)  # popped again, to be emitted, after all of its inputs
                for child in inputs:
                    if child not in state:
                        stack.append(child)  # type: ignore[arg-type]
            else:
                state[node] = True
                order.append(node)
        elif not done:
            # A node is pushed at most once more after it is expanded (above), and
            # copies pushed before that lie below it on the stack, so they are
            # popped only when done is True and skipped.
            state[node] = True
            order.append(node)
    return order


def printable(text: str) -> str:
    r"""``text`` with control, format and line-separator characters as escapes.

    A label is shown, never obeyed: a newline or a terminal escape sequence in
    it must not break a table's layout or drive the terminal.

    >>> printable("a\nb\x1b[2J")
    'a\\nb\\x1b[2J'
    """
    return "".join(_escape_character(ch) if _is_hidden(ch) else ch for ch in text)


def _is_hidden(ch: str) -> bool:
    category = unicodedata.category(ch)
    # C*: control, format, surrogate, private use, unassigned; Zl/Zp: line and
    # paragraph separators, which break lines in some viewers.
    return category[0] == "C" or category in ("Zl", "Zp")


def _escape_character(ch: str) -> str:
    special = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch)
    if special is not None:
        return special
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display_names(order: Sequence[N]) -> dict[N, str]:
    """A short unique name for each node: its label, else v1, v2, ... in order.

    Two nodes that share a label keep it, with a suffix (#2, #3) on the later
    ones so a picture or trace never confuses them.  Labels are returned as
    given: show them through :func:`printable` (or an escaping of your own).
    """
    names: dict[N, str] = {}
    used: dict[str, int] = {}
    counter = 0
    for node in order:
        label = node.label
        if label is None:
            counter += 1
            name = f"v{counter}"
            while name in used:
                counter += 1
                name = f"v{counter}"
        else:
            name = label
        count = used.get(name, 0) + 1
        used[name] = count
        names[node] = name if count == 1 else f"{name}#{count}"
    return names
