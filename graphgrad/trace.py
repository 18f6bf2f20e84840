"""A step-by-step text account of the forward and backward passes, as the notes do by hand.

Every formula and number comes from the op table (through graphgrad.formula)
and from ``backward()`` itself; nothing here knows a derivative.

:func:`lines_of` makes the account of one :class:`graphgrad.view.View` as a
list of lines, each saying which node it is about and which edges of the
graph it reads; :func:`trace_lines` makes the view and its lines, and
:func:`trace` joins their text.  The interactive explorer (graphgrad.explore)
steps through the lines of the view it draws, so its steps are the trace's
lines by construction.  The forward pass lists the nodes in the view's order
(``graph.topological_order``), the backward pass in ``graph.gradient_order``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from graphgrad.formula import DEFAULT_DIGITS, Formulas, summarize, wants_gradient
from graphgrad.graph import DEFAULT_MAX_NODES, gradient_order, is_constant
from graphgrad.value import Value
from graphgrad.view import Options, View, view_of

# Characters that make a formula need parentheses when multiplied by a gradient.
_LOOSE = frozenset(" +-·/*@")

#: What a line of the trace is: a section heading, the empty line between the
#: passes, a value computed in the forward pass, a gradient of the backward
#: pass, or a note (why there is no backward pass).
LineKind = Literal["heading", "blank", "forward", "backward", "note"]


@dataclass(frozen=True, eq=False)
class TraceLine:
    """One line of :func:`trace`, with what it talks about.

    - ``text``: the line exactly as ``trace()`` prints it (indented and aligned);
    - ``kind``: ``"heading"``, ``"blank"``, ``"forward"``, ``"backward"`` or ``"note"``;
    - ``statement``: the line without its indentation and alignment, e.g.
      ``db = du · ∂u/∂b = du · c = 3 · 2 = 6``;
    - ``node``: the node whose value (forward) or gradient (backward) the line
      computes, else None;
    - ``edges``: the edges the line reads, each as (consumer, index), the
      edge from ``consumer.inputs[index]`` into ``consumer``'s op: a forward
      line reads its node's inputs, a backward line the edges whose local
      derivative its chain rule multiplies.
    """

    text: str
    kind: LineKind
    statement: str
    node: Value | None = None
    edges: tuple[tuple[Value, int], ...] = ()


def trace(
    root: Value,
    *,
    digits: int = DEFAULT_DIGITS,
    backward: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str:
    """The forward pass and the chain-rule backward pass of ``root``'s graph, as text.

    The forward pass lists each node in the order it is computed
    (``u = b·c = 6``).  With ``backward=True`` (the default) ``root.backward()``
    is run and each gradient is written out with the chain rule in the order
    backward computes it: ``da = dv · ∂v/∂a = 3 · 1 = 3``, where ``dv`` is the
    notes' name for dJ/dv.  Numbers in the expression (the 3 in 3·v) appear as
    themselves and get no gradient line.

    >>> from graphgrad import Value
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> J = a * b + a
    >>> J.label = "J"
    >>> print(trace(J))
    Forward pass
      a  = 2
      b  = 3
      v1 = a·b = 6
      J  = v1 + a = 8
    <BLANKLINE>
    Backward pass (dx is dJ/dx, by the chain rule)
      dJ  = 1
      dv1 = dJ · ∂J/∂v1 = 1 · 1 = 1
      db  = dv1 · ∂v1/∂b = dv1 · a = 1 · 2 = 2
      da  = dJ · ∂J/∂a + dv1 · ∂v1/∂a = dJ · 1 + dv1 · b = 1 · 1 + 1 · 3 = 4
    """
    lines = trace_lines(root, digits=digits, backward=backward, max_nodes=max_nodes)
    return "\n".join(line.text for line in lines)


def trace_lines(
    root: Value,
    *,
    digits: int = DEFAULT_DIGITS,
    backward: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> list[TraceLine]:
    """The lines of :func:`trace` (same arguments), each with the node and edges it is about.

    >>> from graphgrad import Value
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> J = a * b
    >>> J.label = "J"
    >>> lines = trace_lines(J)
    >>> " ".join(line.kind for line in lines)
    'heading forward forward forward blank heading backward backward backward'
    >>> lines[-1].statement
    'db = dJ · ∂J/∂b = dJ · a = 1 · 2 = 2'
    >>> lines[-1].node is b, [(consumer is J, index) for consumer, index in lines[-1].edges]
    (True, [(True, 1)])
    """
    options = Options(digits=digits, max_nodes=max_nodes)
    view = view_of(root, options, backward=backward, depth_hint=False, what="trace")
    return lines_of(view, backward=backward)


def lines_of(view: View, *, backward: bool = True) -> list[TraceLine]:
    """The lines of the trace of ``view``'s nodes, under its names; with ``backward``
    the backward pass too, from the gradients ``view_of(..., backward=True)`` computed.
    """
    root, names, formulas = view.root, view.names, view.formulas
    digits = formulas.digits
    scalar = type(root.data) is float
    if backward and scalar and not view.backward_ran:
        raise ValueError(
            "this view has no backward pass of its own: make it with view_of(root, backward=True)"
        )
    shown = [node for node in view.nodes if node is root or not is_constant(node)]
    width = max(len(names[node]) for node in shown)

    def step(kind: LineKind, name: str, rhs: str, node: Value, *edges: tuple[Value, int]) -> None:
        pad = width if kind == "forward" else width + 1
        lines.append(
            TraceLine(f"  {name:<{pad}} = {rhs}", kind, f"{name} = {rhs}", node, tuple(edges))
        )

    def plain(kind: LineKind, text: str) -> None:
        lines.append(TraceLine(text, kind, text))

    lines: list[TraceLine] = []
    plain("heading", "Forward pass")
    for node in shown:
        formula = formulas.forward(node)
        value = summarize(node.data, digits)
        rhs = value if formula is None else f"{formula} = {value}"
        step("forward", names[node], rhs, node, *((node, i) for i in range(len(node.inputs))))
    if not backward:
        return lines
    if not scalar:
        plain("blank", "")
        plain("note", f"No backward pass: {names[root]} has shape {root.shape}, not one number.")
        return lines

    # The nodes in the order backward() computes their gradients, and who
    # consumes each node in that order, to write each gradient as the sum of
    # what its consumers hand it, term by term as backward adds them.
    # Only the nodes backward() reaches hand a gradient on (view.reached): not
    # the max under a stop_gradient, say.
    listed = set(shown)
    order = gradient_order(root)
    in_gradient_order = [node for node in order if node in listed]
    consumers: dict[Value, list[tuple[Value, int]]] = {}
    for node in order:
        if node in view.reached:
            for index, x in enumerate(node.inputs):
                if x in view.reached and _gives_gradient(node, index):
                    consumers.setdefault(x, []).append((node, index))

    plain("blank", "")
    plain("heading", f"Backward pass (dx is d{names[root]}/dx, by the chain rule)")
    step("backward", formulas.grad_name(root), "1", root)
    for node in in_gradient_order:
        if node is root or not wants_gradient(node):
            continue
        edges = [edge for edge in consumers.get(node, []) if _gives_gradient(*edge)]
        if not edges:
            continue
        terms = [_term(formulas, consumer, index) for consumer, index in edges]
        by_name = " + ".join(t[0] for t in terms)
        # Substituting formulas only helps where some derivative is not a constant.
        by_formula = " + ".join(t[1] for t in terms) if any(t[3] for t in terms) else by_name
        steps = [by_name, by_formula]
        if all(t[2] for t in terms):
            steps.append(" + ".join(t[2] for t in terms))
        total = summarize(node.grad, digits)
        chain = [s for i, s in enumerate(steps) if i == 0 or s != steps[i - 1]]
        if chain[-1] != total:
            chain.append(total)
        step("backward", formulas.grad_name(node), " = ".join(chain), node, *edges)
    return lines


def _term(formulas: Formulas, consumer: Value, index: int) -> tuple[str, str, str, bool]:
    """One consumer's share of a gradient: by name, by formula, by numbers, and
    whether the formula step substitutes a non-constant derivative.

    An empty "by numbers" means there is nothing short to write (arrays are
    summarized once, in the total).
    """
    op = consumer.operation
    assert op is not None
    digits = formulas.digits
    x = consumer.inputs[index]
    g = formulas.grad_name(consumer)
    formula = formulas.local(consumer, index)
    if not op.elementwise:
        contribution = formulas.contribution(consumer, index)
        by_formula = formula if formula is not None else f"(from {op.name})"
        numbers = "" if contribution is None else summarize(contribution, digits)
        return by_formula, by_formula, numbers, False
    by_name = f"{g} · ∂{formulas.names[consumer]}/∂{formulas.names[x]}"
    local = formulas.local_value(consumer, index)
    local_text = "undefined" if local is None else summarize(local, digits)
    substituted = formula is not None and formula != local_text
    shown = formula if formula is not None and substituted else local_text
    wrapped = f"({shown})" if _LOOSE & set(shown.lstrip("-")) or shown.startswith("-") else shown
    by_formula = f"{g} · {wrapped}"
    if type(consumer.grad) is float and (local is None or type(local) is float):
        by_numbers = f"{summarize(consumer.grad, digits)} · {_paren(local_text)}"
    else:
        by_numbers = ""  # arrays: only the total is summarized
    return by_name, by_formula, by_numbers, substituted


def _gives_gradient(consumer: Value, index: int) -> bool:
    op = consumer.operation
    return op is not None and op.takes_gradient(index)


def _paren(number: str) -> str:
    return f"({number})" if number.startswith("-") else number
