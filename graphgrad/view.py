"""One view of a graph: what its picture, its trace and its pages show, prepared once.

A :class:`View` holds, for one output node and one set of :class:`Options`,
the nodes to show (inputs first, in ``graph.topological_order``), every
node's display name (as shown, never obeyed), the nodes whose inputs are cut
off by ``depth``, the formulas of the op table's rules (``Formulas``) and
whether gradients are shown.  ``graphgrad.trace``, ``graphgrad.draw`` and
``graphgrad.explore`` build their content from the one view they are handed,
so a page that shows a trace on a picture shows both of the same nodes under
the same names.

Gradients: a view is made with ``backward=True`` where a trace or a page
needs them (:func:`view_of`).  That is the one place in the pictures, traces
and pages that runs ``root.backward()``, once per view; a picture made with
``backward=False`` shows the gradients the graph already has, if any.

The drawing options are spelled out here once (:class:`DrawOptions`, the
keywords of ``draw``, ``to_svg`` and ``render``; :class:`PageOptions`, those of
``explore``) and checked once (:meth:`Options.of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from graphgrad.formula import DEFAULT_DIGITS, Formulas, check_digits
from graphgrad.graph import DEFAULT_MAX_NODES, gradient_order, printable, select_nodes
from graphgrad.value import Value

#: The directions a picture can run in: inputs on the left, top, right or bottom.
DIRECTIONS = ("LR", "TB", "RL", "BT")


class PageOptions(TypedDict, total=False):
    """The drawing options of a page (:func:`graphgrad.explore`); see :class:`Options`."""

    digits: int
    direction: str
    params: Iterable[Value]
    max_nodes: int


class DrawOptions(PageOptions, total=False):
    """The drawing options of a picture (:func:`graphgrad.draw`, ``to_svg``, ``render``);
    see :class:`Options`."""

    show_grad: bool | None
    show_derivatives: bool
    depth: int | None


@dataclass(frozen=True, eq=False)
class Options:
    """How a graph is shown, checked: every field is valid once an Options exists.

    - ``show_grad``: show each gradient (``da = 3``); None (the default): when
      ``root.backward()`` has been run.
    - ``show_derivatives``: label each edge into an op with the local
      derivative from the op table, e.g. ``∂u/∂b = c = 2``.
    - ``direction``: ``"LR"`` (inputs on the left), ``"TB"``, ``"RL"`` or ``"BT"``.
    - ``digits``: significant digits of the numbers shown (1 to 17).
    - ``params``: model parameters, drawn in green (other inputs are blue,
      the output yellow with a thick border).
    - ``max_nodes``: refuse (GraphTooLargeError) graphs with more value nodes.
    - ``depth``: show only nodes at most this many ops from the output.
    """

    show_grad: bool | None = None
    show_derivatives: bool = True
    direction: str = "LR"
    digits: int = DEFAULT_DIGITS
    params: frozenset[Value] = field(default_factory=frozenset)
    max_nodes: int = DEFAULT_MAX_NODES
    depth: int | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(
                f"direction must be one of {', '.join(DIRECTIONS)}, got {self.direction!r}"
            )
        check_digits(self.digits)
        max_nodes = self.max_nodes
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
            raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")
        depth = self.depth
        if depth is not None and (
            isinstance(depth, bool) or not isinstance(depth, int) or depth < 0
        ):
            raise ValueError(f"depth must be None or a non-negative integer, got {depth!r}")
        for name in ("show_grad", "show_derivatives"):
            flag = getattr(self, name)
            if not isinstance(flag, bool) and not (name == "show_grad" and flag is None):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"params must be Values, got {type(p).__name__}")

    @classmethod
    def of(
        cls, keywords: Mapping[str, object], caller: str, allowed: Iterable[str] | None = None
    ) -> Options:
        """The options given as ``caller``'s keywords, checked; ``allowed``: the
        keywords ``caller`` takes (default: all of :class:`DrawOptions`)."""
        allowed = tuple(DrawOptions.__annotations__ if allowed is None else allowed)
        for name in keywords:
            if name not in allowed:
                raise TypeError(
                    f"{caller}() got an unexpected keyword argument {name!r}; "
                    f"its drawing options are {', '.join(allowed)}"
                )
        values = dict(keywords)
        if "params" in values:
            params = values["params"]
            if isinstance(params, Value) or not isinstance(params, Iterable):
                raise TypeError(f"params must be a list of Values, got {type(params).__name__}")
            values["params"] = frozenset(params)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class View:
    """One graph as shown: made by :func:`view_of`, read by trace, draw and explore.

    - ``root``: the output node; ``options``: the :class:`Options` it is shown with;
    - ``nodes``: the nodes shown, inputs first (``graph.topological_order``,
      less what ``depth`` leaves out); ``index``: each one's place in it, from
      which a picture numbers its parts;
    - ``names``: every node's display name, made printable (a label is shown,
      never obeyed); a number written into the expression has one too, but
      is shown as itself; ``given_names``: the same names before they were
      made printable (a picture cuts a long name to its first characters);
    - ``cut``: shown nodes whose inputs are not shown (``depth``);
    - ``formulas``: the op table's rules as text and numbers for these names;
    - ``show_grad``: whether gradients are shown; ``backward_ran``: whether
      :func:`view_of` ran ``root.backward()`` for this view;
    - ``reached``: the nodes ``backward()`` hands a gradient to (root, and every
      input a reached node's op passes one to): only they show one, and only
      their edges a derivative (not the max under a ``stop_gradient``, say).
    """

    root: Value
    options: Options
    nodes: tuple[Value, ...]
    index: Mapping[Value, int]
    names: Mapping[Value, str]
    given_names: Mapping[Value, str]
    cut: frozenset[Value]
    formulas: Formulas
    show_grad: bool
    backward_ran: bool
    reached: frozenset[Value]


def gradient_reach(root: Value) -> frozenset[Value]:
    """The nodes ``backward()`` of ``root`` hands a gradient to, in one pass over
    ``gradient_order`` (every consumer comes before its inputs)."""
    reached = {root}
    for node in gradient_order(root):
        op = node.operation
        if op is None or node not in reached:
            continue
        for index, x in enumerate(node.inputs):
            if x.requires_grad and op.takes_gradient(index):
                reached.add(x)
    return frozenset(reached)


def view_of(
    root: object,
    options: Options | None = None,
    *,
    backward: bool = False,
    depth_hint: bool = True,
    what: str = "draw",
) -> View:
    """The view of ``root``'s graph with ``options`` (default: :class:`Options`'s).

    With ``backward`` (for a trace or a page), ``root.backward()`` is run here,
    once, after the graph is found small enough and if ``root`` is one number;
    the view then shows the gradients.  Without it nothing is computed: the
    gradients are shown if ``options.show_grad`` says so, or by default if
    backward has been run on ``root`` before.

    ``depth_hint``: whether a too-large graph's error suggests ``depth=``
    (for callers that take it); ``what``: the verb for a wrong ``root``'s error.
    """
    options = Options() if options is None else options
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to {what}, got {type(root).__name__}")
    nodes, raw_names, cut = select_nodes(
        root, options.max_nodes, options.depth, depth_hint=depth_hint
    )
    names = {node: printable(name) for node, name in raw_names.items()}
    backward_ran = backward and type(root.data) is float
    if backward_ran:
        root.backward()  # the one backward pass of a trace or a page
    show_grad = options.show_grad
    if show_grad is None:
        show_grad = backward_ran or has_gradients(root)
    return View(
        root=root,
        options=options,
        nodes=tuple(nodes),
        index={node: i for i, node in enumerate(nodes)},
        names=names,
        given_names=raw_names,
        cut=frozenset(cut),
        formulas=Formulas(names, options.digits),
        show_grad=show_grad,
        backward_ran=backward_ran,
        reached=gradient_reach(root),
    )


def has_gradients(root: Value) -> bool:
    """Whether ``root.backward()`` has left gradients on the graph (a seed of 1 at
    the root); False after ``zero_grad()``, which may set them to None."""
    grad = root.grad.data if isinstance(root.grad, Value) else root.grad
    return type(grad) is float and grad != 0.0
