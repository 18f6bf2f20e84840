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


def count_nodes(root: Node, limit: int) -> int:
    """How many nodes are reachable from ``root``, counting no further than ``limit + 1``.

    A result above ``limit`` means "more than limit": deciding whether a graph
    is small enough to show then costs at most ``limit + 1`` visits, however
    large the graph is.

    >>> class Leaf:
    ...     inputs, label = (), None
    >>> count_nodes(Leaf(), limit=10)
    1
    """
    seen: set[Node] = {root}
    stack: list[Node] = [root]
    while stack:
        for child in stack.pop().inputs:
            if child not in seen:
                if len(seen) > limit:
                    return limit + 1
                seen.add(child)
                stack.append(child)
    return len(seen)


def display_names(order: Sequence[N]) -> dict[N, str]:
    """A short unique name for each node: its label, else v1, v2, ... in order.

    Two nodes that share a label keep it, with a suffix (#2, #3) on the later
    ones so a picture or trace never confuses them; a suffix that is itself
    some node's label is skipped, so the names are unique whatever the labels
    are.  Labels are returned as given: show them through :func:`printable`
    (or an escaping of your own).
    """
    names: dict[N, str] = {}
    # Labels are claimed first: a later node's suffixed name (a#2) must not take
    # the name another node is labelled with.
    labels = {node.label for node in order if node.label is not None}
    taken: set[str] = set()
    suffixes: dict[str, int] = {}  # the last suffix tried for each label
    counter = 0
    for node in order:
        label = node.label
        if label is None:
            counter += 1
            name = f"v{counter}"
            while name in taken or name in labels:
                counter += 1
                name = f"v{counter}"
        elif label not in taken:
            name = label
        else:
            suffix = suffixes.get(label, 1)
            while True:
                suffix += 1
                name = f"{label}#{suffix}"
                if name not in taken and name not in labels:
                    break
            suffixes[label] = suffix
        taken.add(name)
        names[node] = name
    return names
