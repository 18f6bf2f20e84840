"""The backward passes, driven by the op table's derivative rules.

- :func:`run`: ``backward()``.  Each node's step, written from its op's table
  entry (:func:`compile_step`), adds the node's gradient times each local
  derivative into its inputs' gradients.  Numbers take the compiled float
  code; at the first array gradient the pass switches numpy to raising on
  overflow, division by zero and NaN (in this thread, until the pass ends) and
  continues with :func:`array_step`, which reads the table entry as it is.
- :func:`run_with_graph`: ``backward(create_graph=True)``.  The same rules,
  run on Values, so that each gradient is a Value that can be differentiated
  again.

Inputs that take no gradient (constants: numbers and arrays used as
operands, ``requires_grad=False`` leaves) are skipped: nothing is computed,
stored or un-broadcast for them.  :func:`sum_to` is the one un-broadcast, for
numbers, arrays and Values of any number of dimensions.

Imports the op table, grad mode and the symbolic stand-in; never ``Value``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from graphgrad import ops
from graphgrad.graph import describe
from graphgrad.mode import enable_grad
from graphgrad.ops import Op, Operand, error_like, raising, reason
from graphgrad.symbolic import Sym, as_symbol, input_names, to_source, to_text

Node = Any  # a Value: this module reads its slots but never imports the class


# --- steps, compiled from the table -------------------------------------------------------

_STEP_TEMPLATE = """\
def backward_step(node):
    {inputs} = node.inputs
    g = node.grad
    if type(g) is not float:
        return True
{loads}
{body}
"""

# Inputs on which a traced formula must agree with its rule, to the last bit.
_SAMPLES = (-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0)
_FEWER_SAMPLES = (-1.5, 0.0, 0.5, 2.0)  # for rules of three or more inputs


def _always_arrays(node: Node) -> bool:
    return True


def compile_step(op: Op) -> Callable[[Node], bool | None]:
    """Write the backward step of ``op`` from its table entry, and compile it.

    A step returns True, doing nothing, when the node's gradient is an array
    (the pass then calls :func:`array_step`); ops that are not elementwise
    always do.  On numbers the step is straight-line code: ``x.grad += g`` for
    a partial of 1, ``-= g`` for -1, ``+= g * c`` for another constant and
    ``+= g * (formula)`` for a rule, its formula traced from the rule itself
    (see :func:`traced_source`).  No node pays for reading the table, and no
    derivative is written anywhere but the table.  A rule that cannot be
    traced is called instead (``rule_fallbacks`` lists such ops; the table's
    own have none).
    """
    if not op.elementwise:
        return _always_arrays
    names = input_names(op.arity)
    datas = [f"{n}d" for n in names] + ["out"]
    namespace: dict[str, Any] = {}
    body: list[str] = []
    for i, (name, partial) in enumerate(zip(names, op.partials, strict=True)):
        if partial is None:
            continue
        if callable(partial):
            formula = traced_source(partial, datas, namespace)
            if formula is None:
                namespace[f"rule{i}"] = partial
                formula = f"float(rule{i}({', '.join(datas)}))"
                namespace.setdefault("fallbacks", []).append(i)
            line = f"{name}.grad += g * {formula}"
        elif partial == 1.0:
            line = f"{name}.grad += g"
        elif partial == -1.0:
            line = f"{name}.grad -= g"  # exactly g * -1.0 added
        else:
            namespace[f"partial{i}"] = partial
            line = f"{name}.grad += g * partial{i}"
        body += [f"    if {name}.requires_grad:", f"        {line}"]
    text = "\n".join(body)
    used = [d for d in datas if d in text]
    loads = [f"    {d} = {'node' if d == 'out' else d[:-1]}.data" for d in used]
    source = _STEP_TEMPLATE.format(
        inputs=", ".join(names) + ("," if len(names) == 1 else ""),
        loads="\n".join(loads),
        body=text,
    )
    exec(compile(source, f"<backward step of {op.name}>", "exec"), namespace)
    step: Callable[[Node], bool | None] = namespace["backward_step"]
    step.__qualname__ = f"{op.name}_step"
    step.__doc__ = source  # what runs, for a curious reader: print(ops.MUL.step.__doc__)
    step.rule_fallbacks = tuple(namespace.get("fallbacks", ()))  # type: ignore[attr-defined]
    return step


def rule_fallbacks(op: Op) -> tuple[int, ...]:
    """The inputs of ``op`` whose derivative rule cannot be traced, so that its
    compiled step calls the rule (the table's own ops have none)."""
    fallbacks: tuple[int, ...] = getattr(compile_step(op), "rule_fallbacks", ())
    return fallbacks


def traced_source(
    rule: Callable[..., Any], names: list[str], namespace: dict[str, Any]
) -> str | None:
    """Python source computing ``rule`` on the floats ``names``, or None.

    The rule is run once on symbols (see graphgrad.symbolic) and the formula
    it builds is written out as source.  A trace sees only what a rule does to
    symbols, so the formula is checked: on every combination of sample
    numbers it must give exactly what the rule gives (the same float, or the
    same kind of error), or it is not used.  That catches a rule whose float
    path differs from what it does on symbols (a check made only on numbers).
    The source is made only from the table (never from user input).
    """
    try:
        source = to_source(as_symbol(rule(*(Sym(name) for name in names))), namespace)
    except (TypeError, AttributeError, ValueError, ArithmeticError):
        return None
    formula = eval(f"lambda {', '.join(names)}: {source}", namespace)
    samples = _SAMPLES if len(names) <= 3 else _FEWER_SAMPLES
    for sample in itertools.product(samples, repeat=len(names)):
        if _outcome(rule, sample) != _outcome(formula, sample):
            return None
    return source


def _outcome(f: Callable[..., Any], args: tuple[float, ...]) -> tuple[str, str]:
    try:
        result = f(*args)
    except (ArithmeticError, ValueError) as exc:  # the kind of failure is what must match
        kind = "ValueError" if isinstance(exc, ValueError) else type(exc).__name__
        return ("raises", kind)
    if type(result) is int:
        result = float(result)
    return (type(result).__name__, repr(result))  # repr tells -0.0 and NaN apart


# --- the pass on numbers and arrays ------------------------------------------------------------


def run(root: Node, below: list[Node], leaves: list[Node]) -> None:
    """backward(): root's gradient is 1; each node, after every node that uses it,
    hands its gradient on to its inputs.  ``below`` holds the nodes made by ops
    that root depends on, inputs first, and ``leaves`` the leaves that take a
    gradient (see Value.backward); every gradient among them is 0."""
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
        return ops.DomainError("the gradient is not a number (NaN)")
    return OverflowError("the gradient is too large for a 64-bit float")


def array_step(node: Node) -> None:
    """The backward step of one node on the general path: any op, arrays or numbers.

    Reads the table entry as it is: an elementwise partial is multiplied by the
    node's gradient, a vector-Jacobian rule is called with it.  Contributions
    are summed back over broadcast axes (:func:`sum_to`).  Run it inside
    numpy's raising error state (the pass sets it).  It runs once per array
    node, so it is written for speed: loops rather than comprehensions.
    """
    op: Op = node.operation
    g = node.grad
    inputs = node.inputs
    datas: list[Any] | None = None
    elementwise = op.elementwise
    index = -1
    for partial in op.partials:
        index += 1
        x = inputs[index]
        if partial is None or not x.requires_grad:
            continue
        if not elementwise:
            if datas is None:
                datas = [x.data for x in inputs]
            assert callable(partial)
            contribution = partial(g, *datas, node.data, **op.params)
            # A rule may return a view of g or an input's own data: not ours to keep.
            fresh = type(contribution) is np.ndarray and contribution.base is None
            if fresh and contribution is g:
                fresh = False
            elif fresh:
                for d in datas:
                    if contribution is d:
                        fresh = False
                        break
        elif type(partial) is float:
            if partial == 1.0:
                contribution, fresh = g, False
            else:
                contribution, fresh = g * partial, True
        else:
            if datas is None:
                datas = [x.data for x in inputs]
            assert callable(partial)
            contribution = g * partial(*datas, node.data)
            fresh = True
        data = x.data
        shape = data.shape if type(data) is np.ndarray else ()
        have = contribution.shape if type(contribution) is np.ndarray else ()
        if have != shape:
            contribution = sum_to(contribution, shape)
            fresh = True
        grad = x.grad
        if fresh and type(grad) is float and grad == 0.0 and type(contribution) is np.ndarray:
            # The first contribution, an array no one else holds: keep it rather
            # than copy it (0.0 + array would be one more pass).
            x.grad = contribution
        else:
            # A new array (never +=): the old one may be shared.
            x.grad = grad + contribution


def sum_to(grad: Any, shape: tuple[int, ...]) -> Any:
    """``grad`` summed over the axes numpy broadcast, back to ``shape``.

    For numbers, arrays and Values alike, in any number of dimensions: arrays
    and Values share ``.sum(axis, keepdims)``, and a Value's sums are nodes, so
    that the result can be differentiated again.
    """
    have = grad.shape if type(grad) is np.ndarray else ops.shape_of(grad)
    if have == shape:
        return grad
    if type(grad) is np.ndarray and len(have) == 2 and shape in (have[1:], (1, have[1])):
        # Rows summed, as for a bias added to every example: a product with ones,
        # several times faster than numpy's sum down a column (the same sum,
        # rounded within its usual bounds).
        summed = _ones(have[0]) @ grad
        return summed if len(shape) == 1 else summed.reshape(shape)
    if not have:  # a number spread over every element
        return grad * np.ones(shape)
    if not shape:
        total = grad.sum()
        return float(total) if isinstance(total, np.generic) else total
    extra = len(have) - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and have[extra + i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


_ones_of_length: dict[int, Any] = {}


def _ones(n: int) -> Any:
    ones = _ones_of_length.get(n)
    if ones is None:
        if len(_ones_of_length) > 32:
            _ones_of_length.clear()
        ones = np.ones(n)
        ones.flags.writeable = False
        _ones_of_length[n] = ones
    return ones


# --- the pass on Values ------------------------------------------------------------------------


def run_with_graph(root: Node, below: list[Node], seed: Node) -> None:
    """backward(create_graph=True): the table's rules evaluated on Values.

    ``seed`` is root's gradient, 1; every gradient made here depends on it.
    """
    root.grad = seed
    node = root
    try:
        with enable_grad():
            for node in itertools.chain((root,), reversed(below)):
                op = node.operation
                g = node.grad
                if op is None or not isinstance(g, Operand):
                    continue  # a leaf root, or a node nothing handed a gradient to
                inputs = node.inputs
                for index, (x, partial) in enumerate(zip(inputs, op.partials, strict=True)):
                    if partial is None or not x.requires_grad:
                        continue
                    contribution = _contribution(op, index, partial, g, inputs, node)
                    contribution = sum_to(contribution, x.shape)
                    x.grad = contribution if type(x.grad) is float else x.grad + contribution
    except (ArithmeticError, ValueError) as exc:
        raise backward_error(node, exc) from None


def _contribution(
    op: Op, index: int, partial: Any, g: Any, inputs: tuple[Node, ...], node: Node
) -> Any:
    try:
        if op.elementwise:
            return g * (partial(*inputs, node) if callable(partial) else partial)
        return partial(g, *inputs, node, **op.params)
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
    for index, partial in enumerate(op.partials):
        if not callable(partial) or not node.inputs[index].requires_grad:
            continue
        try:
            with raising():
                result = partial(*datas, node.data)
                if not np.isfinite(result).all():
                    raise OverflowError("the derivative is not finite")
        except (ArithmeticError, ValueError) as exc:
            return index, exc
    return None


def _short(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    return repr(x)
