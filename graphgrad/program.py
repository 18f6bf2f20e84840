"""``graphgrad.compile``: a built graph as one Python program of its forward and backward pass.

``compile(J)`` reads the graph of J once and writes, with graphgrad.codegen, a
straight-line function: one line per op in the order the graph is computed,
then one line per gradient in the order ``backward()`` computes them, each
written from the op table (the forward rule of each op; each gradient as
``Op.vjp`` gives it, run once on :class:`~graphgrad.symbolic.Traced` symbols).
Calling the :class:`Program` runs that function on the leaves' current data
(and on new data for the leaves named as ``inputs``), and writes the results
where ``backward()`` writes them: ``J.data`` and each ``leaf.grad``.

What the program keeps of the graph it was made from is its ops, its wiring
and its shapes: everything computed from a leaf that may change (a parameter,
an input) is recomputed at every call, anything else is folded to a constant.

Imports the core and its code writer; nothing above it.
"""

from __future__ import annotations

import builtins
import keyword
import re
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

from graphgrad import ops
from graphgrad.codegen import ProgramWriter
from graphgrad.graph import describe, display_names, gradient_order, is_constant, topological_order
from graphgrad.mode import enable_grad
from graphgrad.numerics import clip, raising
from graphgrad.op import Op
from graphgrad.symbolic import DataDependent, Sym, Traced, instantiate
from graphgrad.value import Value, all_finite, as_data

#: Versions of one program kept for inputs of other shapes (a last, smaller
#: batch, say); beyond this many, the oldest is written again when needed.
SHAPE_VERSIONS = 8

_BUILTIN_NAMES = frozenset(dir(builtins))

# What a derivative rule may raise when it cannot be written down once: it
# reads its inputs' values (DataDependent) or meets something a symbol cannot be.
_UNTRACEABLE = (DataDependent, TypeError, AttributeError, ValueError, ArithmeticError)


class CompileError(ValueError):
    """compile() cannot make a program of this graph; the message says why."""


def compile(  # graphgrad.compile, as documented (Python's compile is not used here)
    root: Value, wrt: Iterable[Value] | None = None, inputs: Iterable[Value | str] = ()
) -> Program:
    """The forward and backward pass of ``root``'s graph as one Python program.

    - ``wrt``: the leaves whose gradients the program computes (default: every
      leaf of the graph that requires a gradient, the inputs excepted).
    - ``inputs``: leaves whose data may be replaced at each call (the data X,
      the labels y, a mini-batch), as the leaves or their labels; each needs a
      label (the program takes it by that name).

    Calling the program, ``program(X=batch)``, computes from the leaves' current
    data (parameters an optimizer changed are read afresh) and returns root's
    value; it sets ``root.data`` and each ``leaf.grad`` of ``wrt`` as
    ``backward()`` would (the inputs' own data stay as they are: new data is
    for that call).  ``program.source`` (also ``print(program)``) is the
    code that runs.

    >>> from graphgrad import Value
    >>> a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    >>> u = b * c
    >>> v = a + u
    >>> J = 3 * v
    >>> u.label, v.label, J.label = "u", "v", "J"
    >>> program = compile(J)
    >>> print(program)
    def program(a, b, c):
        u = b * c
        v = a + u
        J = 3.0 * v
        dJ = 1.0
        dv = dJ * 3.0
        da = dv
        du = dv
        db = du * c
        dc = du * b
        return J, (da, db, dc)
    <BLANKLINE>
    >>> program()
    33.0
    >>> a.grad, b.grad, c.grad
    (3.0, 6.0, 9.0)
    """
    if not isinstance(root, Value):
        raise TypeError(f"compile() needs a Value, got {type(root).__name__}")
    return Program(root, wrt, inputs)


class Program:
    """A graph's forward and backward pass as one function (see :func:`compile`).

    Safe to call from several threads at once: each call computes in its own
    frame and writes its results (root's data, the gradients) in one step.
    """

    def __init__(
        self, root: Value, wrt: Iterable[Value] | None, inputs: Iterable[Value | str]
    ) -> None:
        order = topological_order(root)
        leaves = [node for node in order if not node.inputs]
        self.root = root
        self.inputs: tuple[Value, ...] = tuple(_input_leaves(inputs, leaves))
        self.wrt: tuple[Value, ...] = tuple(_wrt_leaves(wrt, leaves, self.inputs))
        if self.wrt and type(root.data) is not float:
            raise CompileError(
                f"compile() differentiates a scalar output, but {describe(root)} has shape "
                f"{root.shape}: reduce it first, e.g. with .sum() or .mean()"
            )
        names = {leaf.label: leaf for leaf in self.inputs}
        self._input_names = names
        self._lock = threading.Lock()
        self._versions: dict[tuple[Any, ...], _Compiled] = {}
        first = _Compiled(root, self.wrt, self.inputs, {}, order)
        self._versions[first.shapes] = first
        self._first = first

    @property
    def source(self) -> str:
        """The code of the program, as it runs: the forward pass line by line, then the
        gradients (``dz`` is dJ/dz, the notes' name), then what it returns."""
        return self._first.source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        lines = self.source.count("\n")
        return (
            f"<graphgrad program of {clip(repr(self.root.label or 'a graph'))}: {lines} lines, "
            f"{len(self.wrt)} gradient(s); print(program) shows its code>"
        )

    def __call__(self, **new_inputs: Any) -> Any:
        """Run the program: root's value, computed from the leaves' current data and
        ``new_inputs`` (by the inputs' labels); sets root.data and the gradients."""
        if new_inputs:
            unknown = sorted(set(new_inputs) - set(self._input_names))
            if unknown:
                named = ", ".join(repr(n) for n in self._input_names) or "none"
                raise TypeError(
                    f"the program has no input {clip(repr(unknown[0]))} (its inputs: "
                    f"{named}); name a leaf among compile()'s inputs to replace its data "
                    "at each call"
                )
            datas = {name: _input_data(data, name) for name, data in new_inputs.items()}
            compiled = self._version(datas)
        else:  # the leaves as they are: the version compile() wrote, unless shapes changed
            datas = {}
            compiled = self._first if not self.inputs else self._version(datas)
        value, grads = compiled.run(datas)
        with self._lock:
            self.root.data = value
            for leaf, grad, reached in zip(self.wrt, grads, compiled.reached, strict=True):
                if reached:  # as backward(): a leaf root does not depend on keeps its gradient
                    leaf.grad = grad
        return value

    def _version(self, datas: dict[str, Any]) -> _Compiled:
        """The compiled version for these inputs' shapes (written the first time)."""
        shapes = _Compiled.shapes_of(self.inputs, datas)
        found = self._versions.get(shapes)
        if found is not None:
            return found
        with self._lock:
            found = self._versions.get(shapes)
            if found is None:
                found = self._first.for_shapes(datas)
                if len(self._versions) >= SHAPE_VERSIONS:
                    del self._versions[next(iter(self._versions))]
                self._versions[shapes] = found
        return found


def _input_leaves(inputs: Iterable[Value | str], leaves: list[Value]) -> list[Value]:
    if isinstance(inputs, (str, Value)):
        inputs = [inputs]
    by_label: dict[str, list[Value]] = {}
    for leaf in leaves:
        if leaf.label is not None:
            by_label.setdefault(leaf.label, []).append(leaf)
    found: list[Value] = []
    for item in inputs:
        if isinstance(item, str):
            matches = by_label.get(item, [])
            if len(matches) != 1:
                what = "no leaf" if not matches else f"{len(matches)} leaves"
                raise CompileError(f"inputs: the graph has {what} labelled {clip(repr(item))}")
            leaf = matches[0]
        elif isinstance(item, Value):
            if item.inputs or not any(item is x for x in leaves):
                raise CompileError(f"inputs: {describe(item)} is not a leaf of this graph")
            leaf = item
        else:
            raise TypeError(f"inputs must be leaves or their labels, got {type(item).__name__}")
        if leaf.label is None:
            raise CompileError(
                f"inputs: {describe(leaf)} has no label; give it one (Value(data, label='X', "
                "requires_grad=False)), so that the graph records what is computed from it and "
                "the program takes it by that name"
            )
        if any(leaf is x for x in found):
            raise CompileError(f"inputs: {describe(leaf)} is named twice")
        found.append(leaf)
    return found


def _wrt_leaves(
    wrt: Iterable[Value] | None, leaves: list[Value], inputs: tuple[Value, ...]
) -> list[Value]:
    if wrt is None:
        return [x for x in leaves if x.requires_grad and not any(x is i for i in inputs)]
    if isinstance(wrt, Value):
        wrt = [wrt]
    found: list[Value] = []
    for leaf in wrt:
        if not isinstance(leaf, Value):
            raise TypeError(f"wrt must be Values, got {type(leaf).__name__}")
        if leaf.inputs or not any(leaf is x for x in leaves):
            raise CompileError(f"wrt: {describe(leaf)} is not a leaf of this graph")
        if not leaf.requires_grad:
            raise CompileError(f"wrt: {describe(leaf)} takes no gradient (requires_grad=False)")
        if not any(leaf is x for x in found):
            found.append(leaf)
    return found


class _Compiled:
    """One version of a program: its source and function for one set of input shapes.

    ``replaced`` holds the data of inputs replaced at the call that asked for
    this version (other leaves are read as they are)."""

    def __init__(
        self,
        root: Value,
        wrt: tuple[Value, ...],
        inputs: tuple[Value, ...],
        replaced: dict[Value, Any],
        order: list[Value] | None = None,
    ) -> None:
        self.root, self.wrt, self.inputs = root, wrt, inputs
        self.shapes = tuple(_shape(replaced.get(leaf, leaf.data)) for leaf in inputs)
        plan = _plan(root, wrt, inputs, replaced, order or topological_order(root))
        self.arguments: list[Value] = plan.arguments
        self.reached: list[bool] = plan.reached
        self._replaceable = [any(leaf is x for x in inputs) for leaf in plan.arguments]
        self._plan: _Plan | None = plan
        self._source: str | None = None
        self.function = plan.writer.function(
            plan.argument_names, plan.statements, plan.returns, clip(root.label or "a graph")
        )

    @property
    def source(self) -> str:
        """The program line by line (written when first asked for)."""
        if self._source is None:
            plan = self._plan
            assert plan is not None
            self._source = plan.writer.readable(
                plan.argument_names, plan.statements, plan.returns
            )
            self._plan = None  # the statements are no longer needed
        return self._source

    @staticmethod
    def shapes_of(inputs: tuple[Value, ...], datas: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(_shape(datas.get(leaf.label or "", leaf.data)) for leaf in inputs)

    def replaced(self, datas: dict[str, Any]) -> dict[Value, Any]:
        """The input leaves whose data ``datas`` replaces, with their new data."""
        return {leaf: datas[leaf.label] for leaf in self.inputs if leaf.label in datas}

    def for_shapes(self, datas: dict[str, Any]) -> _Compiled:
        """The program written anew for inputs of other shapes: the graph is built
        again through the ops on those inputs (so every shape follows), then read."""
        replaced = self.replaced(datas)
        return _Compiled(_rebuilt(self.root, replaced), self.wrt, self.inputs, replaced)

    def run(self, datas: dict[str, Any]) -> tuple[Any, tuple[Any, ...]]:
        """The program on the leaves' current data and ``datas``; on any failure, the
        same call made eagerly, so that the error names the node as backward() does."""
        arguments = [
            datas.get(leaf.label or "", leaf.data) if replaceable else leaf.data
            for leaf, replaceable in zip(self.arguments, self._replaceable, strict=True)
        ]
        try:
            with raising():
                value, grads = self.function(*arguments)
                # One check of the results: numpy raised on any overflow or NaN an
                # op made, but not on a matrix product's (BLAS does not say), and a
                # sum is finite exactly when every term is (else it overflows, or is
                # inf or NaN, and numpy raises or the test below fails).
                total = value if type(value) is float else float(np.add.reduce(value, axis=None))
                for g in grads:
                    total += g if type(g) is float else float(np.add.reduce(g, axis=None))
            finite = total - total == 0.0
        except (ArithmeticError, ValueError):
            finite = False
        if not finite:
            return self._eagerly(datas)
        return (float(value) if type(value) is not np.ndarray else value), grads

    def _eagerly(self, datas: dict[str, Any]) -> tuple[Any, tuple[Any, ...]]:
        """The call as eager graphgrad makes it: the graph built again, then backward()."""
        root = _rebuilt(self.root, self.replaced(datas))
        saved = [leaf.grad for leaf in self.wrt]
        try:
            if self.wrt:
                root.backward()  # raises, naming the node, where the program failed
            grads = tuple(_grad_or_zeros(leaf) for leaf in self.wrt)
        finally:
            for leaf, grad in zip(self.wrt, saved, strict=True):
                leaf.grad = grad
        return root.data, grads


def _input_data(data: Any, name: str) -> Any:
    """New data for the input ``name``: a float64 array is used as it is (the
    program never writes to it), anything else checked and converted."""
    if type(data) is np.ndarray and data.dtype.char == "d" and data.ndim:
        if not all_finite(data):
            raise ValueError(f"input {clip(repr(name))}: the array holds NaN or infinity")
        return data
    return as_data(data, name)


def _shape(data: Any) -> Any:
    return data.shape if isinstance(data, np.ndarray) else ()


def _grad_or_zeros(leaf: Value) -> Any:
    g = leaf.grad
    if isinstance(leaf.data, np.ndarray) and not isinstance(g, np.ndarray):
        return np.zeros_like(leaf.data)
    return g


def _rebuilt(root: Value, replaced: dict[Value, Any]) -> Value:
    """root's graph built again through its ops, on the same leaves, with the data of
    the leaves in ``replaced`` swapped in for the rebuild (and put back after)."""
    order = topological_order(root)
    saved = {leaf: leaf.data for leaf in replaced}
    made: dict[Value, Value] = {}
    try:
        for leaf, data in replaced.items():
            leaf.data = data
        with enable_grad():
            for node in order:
                if not node.inputs:
                    made[node] = node
                    continue
                op: Op = node.operation  # type: ignore[assignment]
                new = op.entry(*(made[x] for x in node.inputs), **op.params)
                new.label = node.label
                made[node] = new
    finally:
        for leaf, data in saved.items():
            leaf.data = data
    return made[root]


# --- reading the graph into a program ----------------------------------------------------------


class _Plan:
    def __init__(self) -> None:
        self.arguments: list[Value] = []
        self.argument_names: list[str] = []
        # (the variable a statement assigns, what it computes), in order.
        self.statements: list[tuple[Sym, Sym]] = []
        # root's value, and each gradient of wrt.
        self.returns: tuple[Sym, list[Sym]]
        self.reached: list[bool] = []
        self.writer: ProgramWriter


def _plan(
    root: Value,
    wrt: tuple[Value, ...],
    inputs: tuple[Value, ...],
    replaced: dict[Value, Any],
    order: list[Value],
) -> _Plan:
    varying = _varying(order, inputs)
    names = _names(order, root)
    needs_gradient = _needs_gradient(order, wrt)
    grad_names = _gradient_names(order, needs_gradient, names)
    plan = _Plan()
    plan.writer = writer = ProgramWriter(set(names.values()) | set(grad_names.values()))

    # Each node as the program sees it: a variable (a leaf read at each call, or
    # a line of the forward pass), or a constant folded from its data.
    symbols: dict[Value, Traced] = {}
    for node in order:
        if node not in varying:
            symbols[node] = Traced.constant(node.data)
            if not node.inputs and node.label is not None and not is_constant(node):
                # Named data that no call replaces: shown by its name, bound once.
                symbols[node] = Traced.variable(writer.bind(names[node], node.data), node.data)
            continue
        if not node.inputs:
            plan.arguments.append(node)
            symbols[node] = Traced.variable(names[node], replaced.get(node, node.data))
            continue
        # The op as recorded (its value too: the same computation on the same data).
        op: Op = node.operation  # type: ignore[assignment]
        line = Traced(raw=node.data, op=op, args=tuple(symbols[x] for x in node.inputs))
        symbols[node] = Traced.variable(names[node], node.data)
        plan.statements.append((symbols[node], line))

    # The program's arguments: the inputs as compile() was given them, then the
    # other leaves read at each call (the parameters) in the order they are met.
    first = [leaf for leaf in inputs if any(leaf is x for x in plan.arguments)]
    plan.arguments = first + [x for x in plan.arguments if not any(x is i for i in first)]
    plan.argument_names = [names[x] for x in plan.arguments]

    # The gradients, in the order backward() computes them, each input's terms
    # added in the order backward() adds them.
    gradients: dict[Value, Traced] = {}
    terms = _Terms()
    if wrt:
        gradients[root] = Traced.variable(grad_names[root], 1.0)
        plan.statements.append((gradients[root], Traced.constant(1.0)))
    for node in gradient_order(root) if wrt else ():
        g = gradients.get(node)
        if g is None or not node.inputs:
            continue
        op = node.operation  # type: ignore[assignment]
        out = symbols[node]
        arguments = tuple(symbols[x] for x in node.inputs)
        for index, x in enumerate(node.inputs):
            if x not in needs_gradient or not op.takes_gradient(index):
                continue
            term = terms.term(op, index, g, arguments, out)
            name = grad_names[x]
            earlier = gradients.get(x)
            if earlier is not None:  # added as backward() adds it, in this order
                term = Traced(raw=earlier.raw, op=ops.add, args=(earlier, term))
            gradients[x] = Traced.variable(name, term.raw)
            plan.statements.append((gradients[x], term))
    plan.reached = [leaf in gradients for leaf in wrt]
    grads: list[Sym] = [
        gradients[leaf] if leaf in gradients else Traced.constant(_zero_like(leaf.data))
        for leaf in wrt  # a leaf root does not depend on: its gradient is 0
    ]
    plan.returns = (symbols[root], grads)
    return plan


def _zero_like(data: Any) -> Any:
    return np.zeros_like(data) if isinstance(data, np.ndarray) else 0.0


class _Terms:
    """The gradient terms of one program: Op.vjp traced once for each op, input and
    kind of operands (their types and shapes), then written out for every node of
    that kind with its own variables in the placeholders' places."""

    def __init__(self) -> None:
        self._templates: dict[tuple[Any, ...], tuple[Traced, tuple[Traced, ...]]] = {}
        self._op_keys: dict[int, Any] = {}

    def term(
        self, op: Op, index: int, g: Traced, arguments: tuple[Traced, ...], out: Traced
    ) -> Traced:
        operands = (g, *arguments, out)
        op_key = self._op_keys.get(id(op))
        if op_key is None:
            op_key = self._op_keys[id(op)] = _op_key(op)
        key = (op_key, index, *[_kind(a.raw) for a in operands])
        found = self._templates.get(key)
        if found is None:
            placeholders = tuple(Traced.variable(f"_p{k}", a.raw) for k, a in enumerate(operands))
            found = (_gradient_term(op, index, *placeholders), placeholders)
            self._templates[key] = found
        template, placeholders = found
        stands_for = {id(p): a for p, a in zip(placeholders, operands, strict=True)}
        return instantiate(template, stands_for)


def _op_key(op: Op) -> Any:
    params = tuple(sorted(op.params.items()))
    try:
        hash(params)
    except TypeError:  # unhashable parameters (an index array): this op alone
        return id(op)
    return (op.entry, params)


def _kind(raw: Any) -> Any:
    kind = type(raw)
    return kind if kind is not np.ndarray else (raw.shape, raw.dtype.char)


def _gradient_term(op: Op, index: int, g: Traced, *operands: Traced) -> Traced:
    """What input ``index`` receives: op.vjp written down once, or, for a rule that
    reads its inputs' values, op.vjp called at every run."""
    arguments, out = operands[:-1], operands[-1]
    try:
        term = op.vjp(index, g, arguments, out)
        if isinstance(term, Traced):
            return term
        return Traced.constant(term if type(term) is not int else float(term))
    except _UNTRACEABLE:
        def vjp(g_: Any, *datas_and_out: Any) -> Any:
            return op.vjp(index, g_, datas_and_out[:-1], datas_and_out[-1])

        vjp.__name__ = f"vjp_{op.name}_{index}"
        raw = op.vjp(index, g.raw, [a.raw for a in arguments], out.raw)
        return Traced(raw=raw, call=(vjp, (g, *arguments, out)))


def _varying(order: list[Value], inputs: tuple[Value, ...]) -> set[Value]:
    """The nodes a call may change: leaves that take a gradient, the inputs, and
    every node computed from one of them."""
    varying: set[Value] = set()
    for node in order:
        if node.inputs:
            if any(x in varying for x in node.inputs):
                varying.add(node)
        elif node.requires_grad or any(node is x for x in inputs):
            varying.add(node)
    return varying


def _needs_gradient(order: list[Value], wrt: tuple[Value, ...]) -> set[Value]:
    """The nodes whose gradient leads to a gradient of ``wrt``."""
    needed = {leaf for leaf in wrt}
    for node in order:
        if node.inputs and node.requires_grad and any(x in needed for x in node.inputs):
            needed.add(node)
    return needed


#: Longer labels are not used as names in a program's source (they would not read).
MAX_NAME_CHARS = 40


def _safe(name: str) -> bool:
    return (
        name.isidentifier()
        and name.isascii()
        and len(name) <= MAX_NAME_CHARS
        and not keyword.iskeyword(name)
        and name not in _BUILTIN_NAMES
        and not name.startswith("__")
    )


def _names(order: list[Value], root: Value) -> dict[Value, str]:
    """Each node's name in the program: its name in traces and pictures where that
    is a plain identifier that collides with nothing (``W1`` for the notes'
    ``W[1]``: a label's letters, digits and underscores), else one of t1, t2, ..."""
    shown = display_names([n for n in order if n is root or not is_constant(n)])
    names: dict[Value, str] = {}
    used = {name for name in shown.values() if _safe(name)}
    counter = 0
    for node in order:
        name = shown.get(node)
        if name is not None and not _safe(name):
            plain = re.sub(r"[^A-Za-z0-9_]", "", name)
            name = plain if _safe(plain) and plain not in used else None
            if name is not None:
                used.add(name)
        if name is None:
            counter += 1
            while f"t{counter}" in used:
                counter += 1
            name = f"t{counter}"
            used.add(name)
        names[node] = name
    return names


def _gradient_names(
    order: list[Value], needs_gradient: set[Value], names: dict[Value, str]
) -> dict[Value, str]:
    """``d<name>`` for each node whose gradient the program computes, as the notes
    name dJ/dz dz; a name already taken gets a trailing underscore."""
    used = set(names.values())
    grad_names: dict[Value, str] = {}
    for node in order:
        if node in needs_gradient or node is order[-1]:
            name = "d" + names[node]
            while name in used:
                name += "_"
            used.add(name)
            grad_names[node] = name
    return grad_names
