"""Every piece of Python graphgrad writes for itself, and everything installed on Value.

For each op of the table this module writes, from the op's entry alone:

- its **apply** function, the one place a node of the op is made: it lifts
  numbers and arrays to constants, computes the forward rule (inline on
  floats: ``(ad * bd)`` for mul) and records the inputs.  ``Value``'s
  operators *are* these functions, so ``b * c`` costs one Python call;
- its backward **step** on numbers: for each input, the gradient it receives
  (:meth:`graphgrad.op.Op.vjp`) run once on symbols and written out as
  straight-line float code (``a.grad += g * bd``).

Both are compiled the first time the op is used (``import graphgrad`` stays
quick, and a user's rule may name an op defined after it).
:func:`source` shows what runs: ``print(codegen.source(ops.mul, "step"))``.
Generated code is registered with ``linecache``, so tracebacks and
``inspect.getsource`` show its lines.

Safety: generated source is made only from the table (its op names are
identifiers, its numbers written with ``repr``), never from user text.
Functions and objects the code needs are passed in its namespace, never
pasted into it.

Imports the core below it; nothing above (no pictures, models or pages).
"""

from __future__ import annotations

import builtins
import dis
import itertools
import keyword
import linecache
import re
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from graphgrad import ops
from graphgrad.mode import recording
from graphgrad.numerics import not_finite
from graphgrad.op import OPS, Op
from graphgrad.symbolic import Sym, Traced, as_symbol
from graphgrad.value import Value, forward_error, general_forward, lift

__all__ = [
    "compile_apply",
    "compile_function",
    "compile_step",
    "float_forward_source",
    "install",
    "python_source",
    "rule_fallbacks",
    "source",
]


# --- Python source from symbols ---------------------------------------------------------------


def python_source(sym: Sym, namespace: dict[str, Any]) -> str:
    """Exact Python source computing ``sym`` on floats.

    Infix and prefix ops without a float function of their own become Python
    operators; other ops become calls of their float function, which is put in
    ``namespace`` (a user's op through ``float()``, since its forward may return
    a numpy scalar).  TypeError if the tree holds something with no float form.
    """
    if sym.op is None:
        if sym.name is not None:
            return sym.name
        assert sym.const is not None
        return f"({sym.const!r})"  # repr round-trips a float exactly
    op = sym.op
    if op.params or not op.elementwise:
        raise TypeError(f"{op.name} has no float form")
    args = [python_source(a, namespace) for a in sym.args]
    if op.float_forward is None and op.notation == "infix":
        return f"({args[0]} {op.symbol} {args[1]})"
    if op.float_forward is None and op.notation == "prefix":
        return f"({op.symbol}{args[0]})"
    function = op.float_forward or op.forward
    key = f"f{len(namespace)}_{op.name}"
    namespace[key] = function
    call = f"{key}({', '.join(args)})"
    return call if op.builtin else f"float({call})"


def _inlined_user_ops(sym: Sym) -> set[Op]:
    """The user's ops (``define_op``) whose forward a formula calls."""
    found: set[Op] = set()
    stack = [sym]
    while stack:
        s = stack.pop()
        if s.op is not None:
            if not s.op.builtin:
                found.add(s.op.entry)
            stack.extend(s.args)
    return found


# Names the generated code uses for itself; an op's inputs never take them.
_RESERVED = frozenset(
    {"g", "out", "node", "op", "data", "exc", "params", "new", "lift", "recording"}
    | {"not_finite", "forward_error", "general_forward", "Value", "vjp", "stale", "float"}
)


def code_names(op: Op) -> tuple[list[str], list[str]]:
    """The names generated code gives op's inputs and their data (``a``, ``ad``):
    the entry's own where they are plain, distinct and free, else x0, x1, ..."""
    names = list(op.inputs)
    datas = [f"{n}d" for n in names]
    every = names + datas
    plain = all(n.isidentifier() and n.isascii() and not keyword.iskeyword(n) for n in every)
    if not plain or len(set(every)) != len(every) or _RESERVED & set(every):
        names = [f"x{i}" for i in range(op.arity)]
        datas = [f"{n}d" for n in names]
    return names, datas


def _compile(source: str, filename: str, namespace: dict[str, Any], name: str) -> Any:
    """Compile generated ``source`` and return its function ``name``; the source is
    kept in linecache under ``filename`` so that tracebacks show its lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


# --- apply: the one place a node of an op is made ---------------------------------------------

# ``{...}`` fields are filled from the table entry (never from user input).
# The float path computes the forward rule inline (``(ad + bd)`` for add);
# arrays, ops that are not elementwise and ops with parameters take
# value.general_forward.  A node records its inputs when one of them takes a
# gradient, or is named data (a labelled constant such as the labels y, or a
# node computed from one): then ``1 - y`` shows in pictures as computed from
# y, and a compiled program recomputes it when y changes.  Only numbers and
# arrays written into the expression (the 3 in 3 * v) are folded.  The node
# itself takes a gradient when an input does that the op passes one to.
_APPLY_TEMPLATE = """\
def apply_{name}({signature}):
{lift}
{compute}
    out = new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if ({any_requires_grad}) and recording():
        out.operation = {op}
        out.inputs = ({inputs_tuple})
        out.requires_grad = True
    elif ({any_named_data}) and recording():
        out.operation = {op}
        out.inputs = ({inputs_tuple})
        out.requires_grad = False
    else:
        out.operation = None
        out.inputs = ()
        out.requires_grad = False
    return out
"""

_FLOAT_PATH = """\
    if {all_floats}:
        try:
            data = {forward}
            if data - data != 0.0:
                raise not_finite(data)
        except (ArithmeticError, ValueError) as exc:
            raise forward_error(op, ({inputs_tuple}), exc) from None{not_a_number}
    else:
        data = general_forward(op, ({inputs_tuple}), {params})"""

# A user's forward rule may give something float() refuses (an array for a
# number): the general path then checks it and says what is wrong.
_NOT_A_NUMBER = """
        except TypeError:
            data = general_forward(op, ({inputs_tuple}), {params})"""

_LIFT = """\
    if type({x}) is not Value:
        {x} = lift({x})
        if {x} is None:
            return NotImplemented"""

# The prologue of an op's function (see compile_function): anything but Values
# goes to the op itself, which computes numbers and arrays, or formulas.
_NOT_ALL_VALUES = """\
    if {any_other}:
        return op({inputs})"""


def float_forward_source(op: Op, datas: list[str], namespace: dict[str, Any]) -> str | None:
    """The source of op's forward rule on the floats named ``datas``, or None."""
    if not op.elementwise or op.param_names:
        return None
    try:
        return python_source(op(*(Sym(d) for d in datas)), namespace)
    except TypeError:
        return None


def compile_apply(op: Op, reflected: bool = False, as_function: bool = False) -> Callable[..., Any]:
    """Write and compile the function that makes a node of ``op`` from its inputs.

    ``reflected``: the function takes a binary op's inputs in the other order,
    to serve as a reflected operator (``Value.__rmul__(v, 3)`` is 3 * v).
    ``as_function``: see compile_function.
    """
    names, datas = code_names(op)
    namespace: dict[str, Any] = {
        "op": op,
        "Value": Value,
        "new": object.__new__,
        "lift": lift,
        "recording": recording,
        "not_finite": not_finite,
        "forward_error": forward_error,
        "general_forward": general_forward,
    }
    params = "params" if op.param_names else "{}"
    inputs_tuple = ", ".join(names) + ("," if len(names) == 1 else "")
    forward = float_forward_source(op, datas, namespace)
    if forward is None:
        compute = f"    data = general_forward(op, ({inputs_tuple}), {params})"
    else:
        loads = "\n".join(f"    {d} = {n}.data" for d, n in zip(datas, names, strict=True))
        compute = (
            loads
            + "\n"
            + _FLOAT_PATH.format(
                all_floats=" and ".join(f"type({d}) is float" for d in datas),
                forward=forward,
                inputs_tuple=inputs_tuple,
                params=params,
                not_a_number=""
                if op.builtin
                else _NOT_A_NUMBER.format(inputs_tuple=inputs_tuple, params=params),
            )
        )
    if as_function:
        prologue = _NOT_ALL_VALUES.format(
            any_other=" or ".join(f"type({n}) is not Value" for n in names),
            inputs=", ".join(names) + (", **params" if op.param_names else ""),
        )
    else:
        prologue = "\n".join(_LIFT.format(x=n) for n in names)
    suffix = "_reflected" if reflected else "_function" if as_function else ""
    source = _APPLY_TEMPLATE.format(
        name=op.name + suffix,
        signature=", ".join(names[::-1] if reflected else names)
        + (", **params" if op.param_names else ""),
        lift=prologue,
        compute=compute,
        # A node takes a gradient when an input it passes one to does (an op such
        # as stop_gradient passes none: its node is computed from its inputs, and
        # recorded, but backward never goes through it).
        any_requires_grad=" or ".join(
            [f"{n}.requires_grad" for i, n in enumerate(names) if op.takes_gradient(i)]
        )
        or "False",
        any_named_data=" or ".join(
            f"{n}.requires_grad or {n}.inputs or {n}.label is not None" for n in names
        ),
        op="op.bind(params)" if op.param_names else "op",
        inputs_tuple=inputs_tuple,
    )
    apply: Callable[..., Value] = _compile(
        source, f"<graphgrad: apply of {op.name}{suffix}>", namespace, f"apply_{op.name}{suffix}"
    )
    apply.__doc__ = source  # what runs, for a curious reader: see source()
    return apply


def compile_function(op: Op) -> Callable[..., Any]:
    """The op as a fast function: Values give a node in one call (the compiled
    apply, inlined), anything else goes to ``op(...)`` (floats, arrays, symbols)."""
    function = compile_apply(op, as_function=True)
    function.op = op  # type: ignore[attr-defined]
    function.__doc__ = f"The op {op.name!r} (``graphgrad.ops.OPS[{op.name!r}]``) as a function."
    return function


# --- step: a node's backward step on numbers ---------------------------------------------

_STEP_TEMPLATE = """\
def {name}_step(node):
{guards}    {inputs} = node.inputs
    g = node.grad
    if type(g) is not float:
        return True
{loads}
{body}
"""

# Inputs on which a traced formula must agree with the rule, to the last bit.
_SAMPLES = (-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0)
_FEWER_SAMPLES = (-1.5, 0.0, 0.5, 2.0)  # for rules of three or more inputs
_GRADIENT_SAMPLES = (1.0, -0.75)


def _always_arrays(node: Any) -> bool:
    return True


def compile_step(op: Op) -> Callable[[Any], bool | None]:
    """Write the backward step of ``op`` on numbers from its table entry, and compile it.

    A step returns True, doing nothing, when the node's gradient is an array
    (the pass then calls backward.array_step); ops that are not elementwise
    always do.  On numbers the step is straight-line code: for each input
    that takes a gradient, ``a.grad += <what op.vjp gives>``, traced from the
    rule itself (see :func:`traced_source`): ``a.grad += g`` for a partial of
    1, ``a.grad -= g`` for -1, ``a.grad += (g * bd)`` for mul's first input.
    No node pays for reading the table, and no derivative is written anywhere
    but the table.  A rule that cannot be traced soundly is called instead
    (``rule_fallbacks`` lists such inputs; the table's own ops have none).

    A user's rule may read names from its module or closure; a step traced
    from it checks, before it runs, that each op it inlined is still the one
    registered and each name still holds the op it held, and is written anew
    if not (``define_op(..., replace=True)``, a notebook cell run again).
    """
    if not op.elementwise:
        return _always_arrays
    names, datas = code_names(op)
    arguments = [*datas, "out"]
    namespace: dict[str, Any] = {"stale": _rewrite_step(op)}
    body: list[str] = []
    fallbacks: list[int] = []
    checks: list[tuple[Any, Any]] = []  # (what to look up, the object it held)
    inlined: set[Op] = set()
    for i, name in enumerate(names):
        if not op.takes_gradient(i):
            continue
        traced = _traced(op, i, arguments, namespace)
        if traced is None:
            namespace[f"vjp{i}"] = _vjp_on_floats(op, i)
            fallbacks.append(i)
            line = f"{name}.grad += vjp{i}(g, {', '.join(arguments)})"
        else:
            source, sym, captured = traced
            if not op.builtin:  # graphgrad's own entries name only entries of its own table
                inlined |= _inlined_user_ops(sym)
                checks += captured
            if source == "g":
                line = f"{name}.grad += g"
            elif source == "(g * (-1.0))":
                line = f"{name}.grad -= g"  # exactly g * -1.0 added
            else:
                line = f"{name}.grad += {source}"
        body += [f"    if {name}.requires_grad:", f"        {line}"]
    guards = _guards(op, inlined, checks, namespace)
    text = "\n".join(body)
    used = [d for d in arguments if re.search(rf"\b{d}\b", text)]
    loads = [f"    {d} = {'node' if d == 'out' else d[:-1]}.data" for d in used]
    source = _STEP_TEMPLATE.format(
        name=op.name,
        guards=guards,
        inputs=", ".join(names) + ("," if len(names) == 1 else ""),
        loads="\n".join(loads),
        body=text,
    )
    step: Callable[[Any], bool | None] = _compile(
        source, f"<graphgrad: backward step of {op.name}>", namespace, f"{op.name}_step"
    )
    step.__doc__ = source  # what runs, for a curious reader: see source()
    step.rule_fallbacks = tuple(fallbacks)  # type: ignore[attr-defined]
    return step


def _vjp_on_floats(op: Op, index: int) -> Callable[..., float]:
    """op.vjp for input ``index`` on floats, for a step that calls the rule."""
    arity = op.arity

    def vjp(g: float, *datas_and_out: float) -> float:
        return float(op.vjp(index, g, datas_and_out[:arity], datas_and_out[arity]))

    return vjp


def _rewrite_step(op: Op) -> Callable[[Any], Any]:
    """What a step whose captured names changed does: write the step anew, then run it."""

    def stale(node: Any) -> Any:
        op.step = compile_step(op)
        return op.step(node)

    return stale


def _guards(
    op: Op, inlined: set[Op], checks: list[tuple[Any, Any]], namespace: dict[str, Any]
) -> str:
    """Lines that send a step to ``stale`` when what it was traced with has changed:
    an op it inlined was replaced, or a name its rule reads holds another object."""
    tests = []
    for k, user_op in enumerate(sorted(inlined, key=lambda o: o.name)):
        namespace[f"op{k}"] = user_op
        tests.append(f"op{k}.superseded")
    for k, (where, held) in enumerate(checks):
        namespace[f"held{k}"] = held
        if isinstance(where, types.CellType):
            namespace[f"cell{k}"] = where
            tests.append(f"cell{k}.cell_contents is not held{k}")
        else:
            namespace[f"names{k}"], namespace[f"key{k}"] = where
            tests.append(f"names{k}[key{k}] is not held{k}")
    if not tests:
        return ""
    # A name deleted (KeyError) or a cell emptied (ValueError) is a change too.
    return (
        "    try:\n"
        f"        if {' or '.join(tests)}:\n"
        "            return stale(node)\n"
        "    except (KeyError, ValueError):\n"
        "        return stale(node)\n"
    )


def _traced(
    op: Op, index: int, arguments: list[str], namespace: dict[str, Any]
) -> tuple[str, Sym, list[tuple[Any, Any]]] | None:
    """The source of ``op.vjp(index, ...)`` on the floats named ``arguments`` (its
    inputs' data, then out) and ``g``, the symbol tree it came from and what the
    rule read that may change; or None when the rule cannot be traced soundly.

    The rule is run once on symbols (see graphgrad.symbolic) and the formula it
    builds is written out as source.  Sound means: everything the rule reads
    from its module or closure is an op, a module or a builtin (a number or
    any other object there could change after the trace, so the rule is called
    instead), and on every combination of sample numbers the formula gives
    exactly what the rule gives (the same float, or the same kind of error),
    which catches a rule whose float path differs from what it does on
    symbols (a check made only on numbers).
    """
    captured = _captured(op.rule(index))
    if captured is None:
        return None
    inputs = tuple(Sym(name) for name in arguments[:-1])
    try:
        sym = as_symbol(op.vjp(index, Sym("g"), inputs, Sym(arguments[-1])))
        source = python_source(sym, namespace)
    except (TypeError, AttributeError, ValueError, ArithmeticError):
        return None
    formula = eval(f"lambda g, {', '.join(arguments)}: {source}", namespace)
    samples = _SAMPLES if len(arguments) <= 3 else _FEWER_SAMPLES
    for g, *sample in itertools.product(
        _GRADIENT_SAMPLES, *(samples for _ in arguments)
    ):
        expected = _outcome(lambda *a: op.vjp(index, a[0], a[1:-1], a[-1]), (g, *sample))
        if expected != _outcome(formula, (g, *sample)):
            return None
    return source, sym, captured


def _outcome(f: Callable[..., Any], args: tuple[float, ...]) -> tuple[str, str]:
    try:
        result = f(*args)
    except (ArithmeticError, ValueError) as exc:  # the kind of failure is what must match
        kind = "ValueError" if isinstance(exc, ValueError) else type(exc).__name__
        return ("raises", kind)
    if type(result) is int:
        result = float(result)
    return (type(result).__name__, repr(result))  # repr tells -0.0 and NaN apart


def _captured(rule: object) -> list[tuple[Any, Any]] | None:
    """What a rule reads from outside itself that a trace would freeze, as
    (where to look it up, what it holds now) for each op it names; [] for a
    constant; None if it reads anything that is not an op, a module or a builtin."""
    if not callable(rule):
        return []
    if not isinstance(rule, types.FunctionType):
        return None  # a builtin or a callable object: nothing to inspect, so call it
    found: list[tuple[Any, Any]] = []
    cells = dict(zip(rule.__code__.co_freevars, rule.__closure__ or (), strict=True))
    namespace = rule.__globals__
    for code in _code_objects(rule.__code__):
        for instruction in dis.get_instructions(code):
            name = instruction.argval
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                if name in namespace:
                    held = namespace[name]
                    where: Any = (namespace, name)
                elif hasattr(builtins, name):
                    continue  # a builtin such as float or abs
                else:
                    return None  # a name not yet defined: nothing to trace with
            elif instruction.opname in ("LOAD_DEREF", "LOAD_CLOSURE") and name in cells:
                cell = cells[name]
                try:
                    held = cell.cell_contents
                except ValueError:  # an empty cell
                    return None
                where = cell
            else:
                continue
            if isinstance(held, types.ModuleType):
                continue
            if isinstance(held, Op) or isinstance(getattr(held, "op", None), Op):
                found.append((where, held))
                continue
            return None
    return found


def _code_objects(code: types.CodeType) -> list[types.CodeType]:
    """A code object and those nested in it (lambdas and functions defined inside)."""
    found = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _code_objects(const)
    return found


def rule_fallbacks(op: Op) -> tuple[int, ...]:
    """The inputs of ``op`` whose derivative rule cannot be traced, so that its
    compiled step calls the rule (the table's own ops have none)."""
    fallbacks: tuple[int, ...] = getattr(compile_step(op), "rule_fallbacks", ())
    return fallbacks


# --- installing: Value's operators and each op's apply and step -------------------------------


def install(op: Op) -> None:
    """Give ``op`` its apply function and backward step, each written and compiled
    on first use, and make its operators (``op.operators``) Value's.

    An operator is the compiled apply function itself, not a method that calls
    it: ``b * c`` costs one Python call, not two.  Until its first use it is a
    stand-in that compiles the op and puts the compiled function in its place.
    """

    def first_apply(*args: Any, **params: Any) -> Value:
        _compile_apply(op)
        node: Value = op.apply(*args, **params)
        return node

    def first_step(node: Any) -> Any:
        if op.step is first_step:
            op.step = compile_step(op)
        return op.step(node)

    op.apply = first_apply
    # Only elementwise ops have float steps; the others always take the array
    # path (and so do any copies of them with parameters, see Op.bind).
    op.step = first_step if op.elementwise else _always_arrays
    for index, dunder in enumerate(op.operators):
        setattr(Value, dunder, _first_operator(op, reflected=index == 1))


def _first_operator(op: Op, reflected: bool) -> Callable[..., Value]:
    def operator(self: Value, *other: Any) -> Value:
        _compile_apply(op)
        node: Value = getattr(self, op.operators[1 if reflected else 0])(*other)
        return node

    return operator


def _compile_apply(op: Op) -> None:
    op.apply = compile_apply(op)
    for index, dunder in enumerate(op.operators):
        setattr(Value, dunder, op.apply if index == 0 else compile_apply(op, reflected=True))


# --- whole programs: a graph's forward and backward pass as one function -------------------


def _literal(value: object) -> str | None:
    """Python source for a parameter that is safe to write out (ints, bools, None,
    tuples of those), or None for anything else (passed in the namespace)."""
    if value is None or type(value) in (bool, int):
        return repr(value)
    if type(value) is tuple and all(_literal(v) is not None for v in value):
        return repr(value)
    return None


class ProgramWriter:
    """Writes the statements of a program (``name = expression``, each expression a
    tree of :class:`~graphgrad.symbolic.Traced` symbols) as one Python function.

    ``taken`` holds the names of the program's variables; the functions and
    constants the code uses get names of their own in its namespace, never one
    of those, and nothing but those names and numbers is written into the source.
    """

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken) | _RESERVED | {"program"}
        self.namespace: dict[str, Any] = {}
        self._keys: dict[int, str] = {}

    def key(self, obj: Any, hint: str) -> str:
        """The namespace name of ``obj`` (a function or a constant)."""
        found = self._keys.get(id(obj))
        if found is not None:
            return found
        name = hint if hint.isidentifier() and not keyword.iskeyword(hint) else "f"
        candidate, n = name, 1
        while candidate in self.taken or candidate in self.namespace:
            n += 1
            candidate = f"{name}_{n}"
        self.namespace[candidate] = obj
        self._keys[id(obj)] = candidate
        return candidate

    def bind(self, name: str, value: Any) -> str:
        """Put ``value`` in the namespace under ``name``, a variable name of the program
        that nothing else takes (named data folded to a constant)."""
        self.namespace[name] = value
        return name

    def value(self, value: Any) -> str:
        """A constant: a number written out, anything else by a name in the namespace."""
        if type(value) is float:
            return repr(value) if value >= 0.0 or value != value else f"({value!r})"
        literal = _literal(value)
        if literal is not None:
            return literal
        hint = "c"
        if isinstance(value, np.ndarray) and value.size:
            first = value.flat[0]
            if first in (0.0, 1.0) and bool(np.all(value == first)):
                hint = "ones" if first == 1.0 else "zeros"
        return self.key(value, hint)

    def expression(
        self, sym: Sym, top: bool = False, inlined: dict[int, Sym] | None = None
    ) -> str:
        """Python source computing ``sym``; a variable whose id is in ``inlined`` is
        written as the expression it stands for."""
        op = sym.op
        if op is None:
            call = getattr(sym, "call", None)
            if call is not None:
                function, arguments = call
                parts = [
                    self.expression(a, True, inlined) if isinstance(a, Sym) else self.value(a)
                    for a in arguments
                ]
                key = self.key(function, getattr(function, "__name__", "f"))
                return f"{key}({', '.join(parts)})"
            if sym.name is not None:
                if inlined is not None:
                    stands_for = inlined.get(id(sym))
                    if stands_for is not None:
                        return self.expression(stands_for, top, inlined)
                return sym.name
            return self.value(sym.const)
        operands = sym.args
        if op.float_forward is None and not op.params:
            notation = op.notation
            if notation == "infix":
                text = (
                    f"{self.expression(operands[0], False, inlined)} {op.symbol} "
                    f"{self.expression(operands[1], False, inlined)}"
                )
                return text if top else f"({text})"
            if notation == "prefix":
                text = f"{op.symbol}{self.expression(operands[0], False, inlined)}"
                return text if top else f"({text})"
        args = [self.expression(a, False, inlined) for a in operands]
        raws = [getattr(a, "raw", None) for a in operands]
        if op.method == "T" and type(raws[0]) is np.ndarray:
            return f"{args[0]}.T"  # the op's Value spelling, numpy's too: a view
        floats = all(type(r) is float for r in raws)
        function = op.float_forward if floats and op.float_forward is not None else op.forward
        name = op.name  # the op's name (sigmoid_2 where both its forms are used)
        params = [f"{k}={self.value(v)}" for k, v in op.params.items()]
        text = f"{self.key(function, name)}({', '.join(args + params)})"
        result = getattr(sym, "raw", None)
        if function is not op.float_forward and type(result) is float:
            return f"float({text})"  # as Op.evaluate: one number is a float
        if not op.builtin and type(result) is np.ndarray:
            return f"{self.key(as_float64, 'as_float64')}({text})"  # as general_forward
        return text

    def returned(
        self, returns: tuple[Sym, list[Sym]], inlined: dict[int, Sym] | None = None
    ) -> str:
        """What the program returns: root's value, and the tuple of the gradients."""
        root, grads = returns
        listed = [self.expression(g, True, inlined) for g in grads]
        tail = "," if len(listed) == 1 else ""
        return f"{self.expression(root, True, inlined)}, ({', '.join(listed)}{tail})"

    def readable(
        self,
        arguments: list[str],
        statements: list[tuple[Sym, Sym]],
        returns: tuple[Sym, list[Sym]],
    ) -> str:
        """The program line by line: ``name = expression`` for every statement."""
        body = [f"    {var.name} = {self.expression(sym, top=True)}" for var, sym in statements]
        return "\n".join(
            [
                f"def program({', '.join(arguments)}):",
                *body,
                f"    return {self.returned(returns)}",
                "",
            ]
        )

    def function(
        self,
        arguments: list[str],
        statements: list[tuple[Sym, Sym]],
        returns: tuple[Sym, list[Sym]],
        title: str,
    ) -> Callable[..., Any]:
        """The program compiled: the same statements, with every value that is used
        once written into the expression that uses it (and a renaming or a constant
        wherever it is used), which Python compiles and runs several times faster
        than one statement per value.  Operands keep their order, so every sum and
        product is computed as in the readable form, to the last bit."""
        root, grads = returns
        uses: dict[int, int] = {}
        for _, sym in statements:
            _count_uses(sym, uses)
        returned = {id(sym) for sym in (root, *grads)}
        for sym in (root, *grads):
            uses[id(sym)] = uses.get(id(sym), 0) + 2  # returned: kept as a variable
        inlined: dict[int, Sym] = {}
        depth: dict[int, int] = {}
        constants: set[int] = set()
        body = []
        namespace = self.namespace
        for var, sym in statements:
            if uses.get(id(var), 0) == 0:
                continue  # computed, never used (a gradient term no one needs)
            plain = sym.op is None and getattr(sym, "call", None) is None
            if id(var) not in returned and (
                (plain and (sym.name is None or id(sym) in constants))
                or (not plain and _of_constants(sym, constants))
            ):
                # Made of numbers only (dJ = 1, then dJ/m): computed once, here, by the
                # very expression the program would run.
                if not plain:
                    text = self.expression(sym, True, inlined)
                    sym = Traced.constant(eval(text, dict(namespace)))
                inlined[id(var)] = sym
                constants.add(id(var))
                continue
            size = 1 + max((depth.get(id(a), 0) for a in _operands(sym)), default=0)
            if plain or (uses[id(var)] == 1 and size <= _MAX_INLINE_DEPTH):
                inlined[id(var)] = sym
                depth[id(var)] = 0 if plain else size
                continue
            body.append(f"    {var.name} = {self.expression(sym, True, inlined)}")
        source = "\n".join(
            [
                f"def program({', '.join(arguments)}):",
                *body,
                f"    return {self.returned(returns, inlined)}",
                "",
            ]
        )
        namespace = dict(self.namespace)
        return _compile(source, f"<graphgrad: program of {title}>", namespace, "program")  # type: ignore[no-any-return]


# Deeper expressions are split into statements: Python's compiler recurses on them.
_MAX_INLINE_DEPTH = 40


def _operands(sym: Sym) -> list[Sym]:
    call = getattr(sym, "call", None)
    if call is not None:
        return [a for a in call[1] if isinstance(a, Sym)]
    return list(sym.args)


def _of_constants(sym: Sym, constants: set[int]) -> bool:
    """True if ``sym`` reads no variable but those in ``constants`` (by id)."""
    stack = [sym]
    while stack:
        s = stack.pop()
        if s.op is not None:
            stack.extend(s.args)
            continue
        call = getattr(s, "call", None)
        if call is not None:
            stack.extend(a for a in call[1] if isinstance(a, Sym))
        elif s.name is not None and id(s) not in constants:
            return False
    return True


def _count_uses(sym: Sym, uses: dict[int, int]) -> None:
    """Count, by id, how often each variable of a statement is read."""
    stack = [sym]
    pop, push = stack.pop, stack.extend
    get = uses.get
    while stack:
        s = pop()
        if s.op is not None:
            push(s.args)
            continue
        call = getattr(s, "call", None)
        if call is not None:
            push([a for a in call[1] if isinstance(a, Sym)])
        elif s.name is not None:
            uses[id(s)] = get(id(s), 0) + 1


def as_float64(x: Any) -> Any:
    """A user's forward rule's array as float64 (as the engine keeps every array)."""
    return np.asarray(x, dtype=np.float64)


def source(op: Op | str, part: str = "step") -> str:
    """The Python source graphgrad wrote for ``op`` (an op or its name): ``"apply"``,
    the function that makes a node of it (``b * c`` for mul), or ``"step"``, its
    backward step on numbers (an op that is not elementwise has none: its
    nodes take the array path, ``backward.array_step``, which calls ``op.vjp``).

    >>> from graphgrad import codegen, ops
    >>> print(codegen.source(ops.mul, "step"))
    def mul_step(node):
        a, b = node.inputs
        g = node.grad
        if type(g) is not float:
            return True
        ad = a.data
        bd = b.data
        if a.requires_grad:
            a.grad += (g * bd)
        if b.requires_grad:
            b.grad += (g * ad)
    <BLANKLINE>
    """
    entry = OPS[op] if isinstance(op, str) else op
    if part == "apply":
        return str(compile_apply(entry).__doc__)
    if part == "step":
        if not entry.elementwise:
            raise ValueError(
                f"{entry.name} is not elementwise: its nodes take the array path "
                "(backward.array_step, which calls op.vjp), with no step of its own"
            )
        return str(compile_step(entry).__doc__)
    raise ValueError(f"part must be 'apply' or 'step', got {part!r}")


def _install_table(table: Mapping[str, Op]) -> None:
    for op in table.values():
        install(op)


_install_table(ops.OPS)
