"""The backward pass: ordering, seeding, the driver and the steps, in one place.

:func:`backward` is ``Value.backward()``.  It orders the graph with
graph.backward_order (resetting every gradient it reaches), seeds dJ/dJ = 1
and hands each node's gradient on to its inputs, after every node that uses
it, with the gradient each input receives from :meth:`graphgrad.op.Op.vjp`:

- :func:`run` (``backward()``): numbers take each op's compiled float step
  (written by graphgrad.codegen from the same rule); at the first array
  gradient the pass switches numpy to raising on overflow, division by zero
  and NaN (in this thread, until the pass ends) and continues with
  :func:`array_step`;
- :func:`run_with_graph` (``backward(create_graph=True)``): the same rules
  run on Values, so that each gradient is a Value that can be differentiated
  again.

Inputs that take no gradient (constants: numbers and arrays used as
operands, ``requires_grad=False`` leaves) are skipped: nothing is computed,
stored or un-broadcast for them.

Imports the op's reader, the walk, grad mode and the message helpers; never
``Value`` (it reads a node's slots; the caller names its seed class).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from graphgrad.graph import backward_order, describe
from graphgrad.mode import rules_on_values
from graphgrad.numerics import DomainError, error_like, raising, reason
from graphgrad.op import Op, Operand
from graphgrad.symbolic import Sym, to_text

Node = Any  # a Value: this module reads its slots but never imports the class


def backward(root: Node, create_graph: bool, seed_type: type) -> None:
    """Set ``v.grad`` = d(root)/dv for every node v that root depends on.

    ``seed_type`` is the class of the node dJ/dJ = 1 that a create_graph pass
    starts from (it remembers that pass's graph in ``graph``).  A gradient made
    by such a pass depends on its seed, so when it is differentiated in turn,
    every node of the graph it was derived from gets its new derivative (0.0
    where it does not depend on it), never a stale one.
    """
    below, leaves, seeds = backward_order(root, seed_type)
    for seed in seeds:
        for node in seed.graph:
            node.grad = 0.0
    if create_graph:
        seed = seed_type(1.0)
        seed.graph = [*leaves, *below, root]
        run_with_graph(root, below, seed)
    else:
        run(root, below, leaves)


# --- the pass on numbers and arrays ------------------------------------------------------------


def run(root: Node, below: list[Node], leaves: list[Node]) -> None:
    """backward(): root's gradient is 1; each node, after every node that uses it,
    hands its gradient on to its inputs.  ``below`` holds the nodes made by ops
    that root depends on, inputs first, and ``leaves`` the leaves that take a
    gradient; every gradient among them is 0."""
    root.grad = 1.0
    pending = reversed(below)
    node = root
    op = root.operation
    try:
        arrays = op is not None and op.step(root) is True
        if not arrays:
            for node in pending:
                if node.operation.step(node):
                    arrays = True
                    break
    except (ArithmeticError, ValueError) as exc:
        raise backward_error(node, exc) from None
    if arrays:
        _run_arrays(node, pending)
        for node in leaves:
            g = node.grad
            if type(g) is float:
                if g - g != 0.0:
                    raise backward_error(node, _gradient_not_finite(g))
            elif not np.isfinite(g).all():
                bad = float(g[~np.isfinite(g)].flat[0])
                raise backward_error(node, _gradient_not_finite(bad))
    else:
        for node in leaves:  # numbers only: no array step ran
            g = node.grad
            if g - g != 0.0:
                raise backward_error(node, _gradient_not_finite(g))


def _run_arrays(first: Node, pending: Iterator[Node]) -> None:
    """The rest of the pass from the first node with an array gradient."""
    node = first
    try:
        with raising():
            array_step(node)
            for node in pending:
                if node.operation.step(node):
                    array_step(node)
    except (ArithmeticError, ValueError) as exc:
        raise backward_error(node, exc) from None


def _gradient_not_finite(g: float) -> ArithmeticError | ValueError:
    if g != g:
        return DomainError("the gradient is not a number (NaN)")
    return OverflowError("the gradient is too large for a 64-bit float")


def array_step(node: Node) -> None:
    """The backward step of one node on the general path: any op, arrays or numbers.

    Each input that takes a gradient gets ``op.vjp`` (already in its shape).
    Run it inside numpy's raising error state (the pass sets it).  It runs
    once per array node, so it is written for speed: loops rather than
    comprehensions.
    """
    op: Op = node.operation
    g = node.grad
    inputs = node.inputs
    datas = [x.data for x in inputs]
    out = node.data
    index = -1
    for x in inputs:
        index += 1
        if not x.requires_grad or not op.takes_gradient(index):
            continue
        contribution = op.vjp(index, g, datas, out)
        grad = x.grad
        if (
            type(grad) is float
            and grad == 0.0
            and type(contribution) is np.ndarray
            and contribution.base is None
            and contribution is not g
            and contribution is not out
            and _not_among(contribution, datas)
        ):
            # The first contribution, kept rather than copied (0.0 + array would be
            # one more pass): a new array no one else holds (not g, out, an input's
            # data, or a view of one).
            x.grad = contribution
            continue
        # A new array (never +=): the old one may be shared.
        x.grad = grad + contribution


def _not_among(array: Any, datas: list[Any]) -> bool:
    # A loop, not all(...): no generator for the one or two inputs a node has.
    for d in datas:  # noqa: SIM110
        if array is d:
            return False
    return True


# --- the pass on Values ------------------------------------------------------------------------


def run_with_graph(root: Node, below: list[Node], seed: Node) -> None:
    """backward(create_graph=True): the table's rules evaluated on Values.

    ``seed`` is root's gradient, 1; every gradient made here depends on it.
    """
    root.grad = seed
    node = root
    try:
        with rules_on_values():
            for node in itertools.chain((root,), reversed(below)):
                op = node.operation
                g = node.grad
                if op is None or not isinstance(g, Operand):
                    continue  # a leaf root, or a node nothing handed a gradient to
                inputs = node.inputs
                for index, x in enumerate(inputs):
                    if not x.requires_grad or not op.takes_gradient(index):
                        continue
                    contribution = _on_values(op, index, g, inputs, node)
                    x.grad = contribution if type(x.grad) is float else x.grad + contribution
    except (ArithmeticError, ValueError) as exc:
        raise backward_error(node, exc) from None


def _on_values(op: Op, index: int, g: Any, inputs: tuple[Node, ...], node: Node) -> Any:
    try:
        return op.vjp(index, g, inputs, node)
    except TypeError as exc:
        raise TypeError(
            f"the derivative rule of {op.name} for its input {op.inputs[index]} cannot run on "
            f"Values ({exc}): write rules with graphgrad's ops and operators, so that they "
            "can be differentiated again"
        ) from None


# --- messages ------------------------------------------------------------------------------


def backward_error(node: Node, exc: BaseException) -> BaseException:
    """The error of a failed step, naming the node, and the derivative that failed in the
    op's own terms ("d/db of a**b needs a > 0") where it can be found."""
    detail = reason(exc)
    op: Op | None = node.operation
    if op is not None:
        failed = _failed_input(op, node)
        if failed is not None:
            index, inner = failed
            name = op.inputs[index]
            written = to_text(op.entry(*(Sym(n) for n in op.inputs)))
            needs = op.needs[index]
            values = ", ".join(
                f"{n} = {_short(x.data)}" for n, x in zip(op.inputs, node.inputs, strict=True)
            )
            because = f"needs {needs}" if needs else reason(inner)
            detail = f"d/d{name} of {written} {because}; here {values}"
    return error_like(exc, f"backward through {describe(node)} failed: {detail}")


def _failed_input(op: Op, node: Node) -> tuple[int, BaseException] | None:
    """The first input whose local derivative fails on the node's data, and how."""
    if not op.elementwise:
        return None
    datas = tuple(x.data for x in node.inputs)
    for index, x in enumerate(node.inputs):
        if not x.requires_grad or not op.takes_gradient(index):
            continue
        try:
            with raising():
                result = op.local_derivative(index, datas, node.data)
                if not np.isfinite(result).all():
                    raise OverflowError("the derivative is not finite")
        except (ArithmeticError, ValueError) as exc:
            return index, exc
    return None


def _short(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    return repr(x)
