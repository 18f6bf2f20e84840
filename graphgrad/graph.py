"""Walking a computation graph: one implementation for backward, pictures,
traces and checks.

Works on any node with an ``inputs`` tuple, so it imports nothing of graphgrad.
"""

from __future__ import annotations

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
    seen: set[N] = set()
    # A node is pushed once to expand it and once more (as finished) so it is
    # appended only after everything it depends on.
    stack: list[tuple[N, bool]] = [(root, False)]
    push = stack.append
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            push((node, True))
            for child in node.inputs:
                if child not in seen:
                    push((child, False))  # type: ignore[arg-type]
    return order


def display_names(order: Sequence[N]) -> dict[N, str]:
    """A short unique name for each node: its label, else v1, v2, ... in order.

    Two nodes that share a label keep it, with a suffix (#2, #3) on the later
    ones so a picture or trace never confuses them.
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
