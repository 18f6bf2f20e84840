"""Walking a graph: display names that never collide, and counting that stops at a limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graphgrad import Value, draw, trace
from graphgrad.graph import count_nodes, display_names


class Node:
    """A graph node that records how often its inputs were read."""

    reads = 0

    def __init__(self, *inputs: Node, label: str | None = None) -> None:
        self._inputs = inputs
        self.label = label

    @property
    def inputs(self) -> tuple[Node, ...]:
        Node.reads += 1
        return self._inputs


def test_a_label_that_looks_like_a_suffix_gets_a_name_of_its_own() -> None:
    a1, a2, a3 = Value(1.0, label="a"), Value(2.0, label="a"), Value(3.0, label="a#2")
    J = a1 * a2 + a3
    J.label = "J"
    names = display_names([a1, a2, a3, J])
    assert names[a3] == "a#2"  # a label is shown as given
    assert len(set(names.values())) == 4
    forward, backward = (
        [line.split()[0] for line in part.splitlines()[1:]] for part in trace(J).split("\n\n")
    )
    assert len(forward) == len(set(forward)) == 5
    assert sorted(backward) == sorted(f"d{name}" for name in forward)
    assert draw(J).source.count('label="a#2 = 3\\nda#2 = 1"') == 1


def test_generated_names_skip_labels_that_come_later() -> None:
    first, second = Node(), Node(label="v1")
    assert display_names([first, second]) == {first: "v2", second: "v1"}


labels = st.one_of(st.none(), st.sampled_from(["a", "a#2", "a#3", "v1", "v2", "v2#2", "#2"]))


@given(st.lists(labels, min_size=1, max_size=12))
def test_names_are_unique_whatever_the_labels(chosen: list[str | None]) -> None:
    nodes = [Node(label=label) for label in chosen]
    names = display_names(nodes)
    assert len(set(names.values())) == len(nodes)
    for node in nodes:
        # A node keeps its label when no earlier node has it.
        earlier = [n.label for n in nodes[: nodes.index(node)]]
        if node.label is not None and node.label not in earlier:
            assert names[node] == node.label


def chain(n: int) -> Node:
    node = Node(label="x")
    for _ in range(n):
        node = Node(node, Node())
    return node


def test_count_nodes_counts_small_graphs_exactly() -> None:
    shared = Node()
    root = Node(Node(shared), shared, shared)
    assert count_nodes(root, limit=10) == 3
    assert count_nodes(chain(50), limit=101) == 101
    assert count_nodes(chain(50), limit=100) == 101  # 101 nodes: more than 100


def test_count_nodes_stops_at_the_limit_on_a_big_graph() -> None:
    root = chain(100_000)  # 200,001 nodes
    Node.reads = 0
    assert count_nodes(root, limit=200) == 201
    assert Node.reads <= 201  # the rest of the graph is never read
