"""Functions in, derivative functions out: ``grad``, ``value_and_grad``, ``hessian``.

Write the cost as an ordinary Python function of numbers; these transforms
return a new function that computes its derivatives::

    >>> from graphgrad import grad
    >>> grad(lambda a, b, c: 3 * (a + b * c), argnums=(0, 1, 2))(5.0, 3.0, 2.0)
    (3.0, 6.0, 9.0)

Called with plain numbers (or numpy arrays), a derivative function runs the
fast ``backward()`` and returns numbers.  Called with Values, or from inside a
function that another transform is differentiating, it runs
``backward(create_graph=True)`` and returns Values with a graph of their own,
so the result can be differentiated again: ``grad(grad(f))`` is the second
derivative.  Each differentiated argument enters ``f`` as a node of its own,
so ``grad(lambda y: x * y)`` inside a function of ``x`` differentiates with
respect to ``y`` only, even when it is called at ``y = x``.

The transforms record the graph they need even inside ``no_grad()``.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphgrad.mode import enable_grad, running_transform, transforms
from graphgrad.numerics import clip
from graphgrad.value import Value

ArgNums = int | Sequence[int]


def _check_callable(f: object, transform: str) -> None:
    if not callable(f):
        raise TypeError(
            f"{transform}() needs a function to differentiate, got {type(f).__name__} "
            f"{clip(repr(f))}"
        )


def _normalize_argnums(argnums: object, transform: str) -> tuple[int, ...]:
    """argnums as a tuple of distinct non-negative ints, or a clear error."""
    if isinstance(argnums, bool):
        raise TypeError(f"{transform}(): argnums must be an int or a tuple of ints, got a bool")
    if isinstance(argnums, (int, np.integer)):
        candidates: tuple[object, ...] = (argnums,)
    elif isinstance(argnums, (tuple, list)):
        candidates = tuple(argnums)
        if not candidates:
            raise ValueError(f"{transform}(): argnums is empty; name at least one argument")
    else:
        raise TypeError(
            f"{transform}(): argnums must be an int or a tuple of ints, "
            f"got {type(argnums).__name__} {clip(repr(argnums))}"
        )
    result: list[int] = []
    for k in candidates:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(
                f"{transform}(): argnums must hold ints, got {type(k).__name__} {clip(repr(k))}"
            )
        if k < 0:
            raise ValueError(f"{transform}(): argnums must be non-negative positions, got {int(k)}")
        if int(k) in result:
            raise ValueError(f"{transform}(): argnums names argument {int(k)} twice")
        result.append(int(k))
    return tuple(result)


def _leaf(arg: object, position: int, transform: str) -> Value:
    """A fresh leaf for a differentiated argument given as a number or array."""
    try:
        return Value(arg)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"{transform}(): argument {position} is differentiated (it is in argnums), "
            f"so it must be a finite real number, numpy array or Value: {exc}"
        ) from None


def _evaluate(
    f: Callable[..., Any],
    argnums: tuple[int, ...],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    transform: str,
) -> tuple[Value | float, list[Value]]:
    """Call f with a node of its own for each differentiated argument."""
    if max(argnums) >= len(args):
        raise ValueError(
            f"{transform}(): argnums={argnums if len(argnums) > 1 else argnums[0]} asks for "
            f"argument {max(argnums)}, but the function was called with {len(args)} "
            "positional argument(s)"
        )
    call_args = list(args)
    nodes: list[Value] = []
    with enable_grad():
        for k in argnums:
            arg = args[k]
            if isinstance(arg, Value) and arg.requires_grad:
                # A node of its own that still depends on the caller's Value: the
                # inner derivative is taken with respect to it alone, and the outer
                # transform differentiates through it.
                node = arg + 0.0
                node.label = arg.label
            elif isinstance(arg, Value):  # a constant, differentiated all the same
                node = Value(arg.data, label=arg.label)
            else:
                node = _leaf(arg, k, transform)
            nodes.append(node)
            call_args[k] = node
    with running_transform(transform, tuple(nodes)):
        out = f(*call_args, **kwargs)
    return _check_output(out, transform), nodes


def _check_output(out: object, transform: str) -> Value | float:
    if isinstance(out, Value):
        if type(out.data) is not float:
            raise ValueError(
                f"{transform}(): the function must return a scalar, but it returned a Value "
                f"of shape {out.shape}; reduce it first, e.g. with .sum() or .mean()"
            )
        return out
    if isinstance(out, numbers.Real) and not isinstance(out, (bool, np.bool_)):
        return float(out)  # a constant function: every derivative is 0
    if isinstance(out, np.ndarray):
        raise ValueError(
            f"{transform}(): the function must return a scalar, but it returned an array of "
            f"shape {out.shape}; reduce it first, e.g. with .sum() or .mean()"
        )
    raise TypeError(
        f"{transform}(): the function must return a Value or a number, "
        f"got {type(out).__name__} {clip(repr(out))}"
    )


def _wants_graph(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Build a differentiable result when called with Values or inside a transform."""
    return (
        bool(transforms())
        or any(isinstance(a, Value) for a in args)
        or any(isinstance(a, Value) for a in kwargs.values())
    )


def _zero_like(node: Value) -> Any:
    return np.zeros_like(node.data) if isinstance(node.data, np.ndarray) else 0.0


def _gradients(out: Value | float, nodes: list[Value], build_graph: bool) -> list[Any]:
    """d(out)/d(node) for each node: Values when build_graph, numbers otherwise."""
    if isinstance(out, Value):
        out.backward(create_graph=build_graph)
    grads: list[Any] = []
    for node in nodes:
        g = node.grad if isinstance(out, Value) else 0.0
        if build_graph:
            grads.append(g if isinstance(g, Value) else Value(_zero_like(node)))
        elif isinstance(node.data, np.ndarray) and not isinstance(g, np.ndarray):
            grads.append(_zero_like(node))  # out does not depend on this argument
        else:
            grads.append(g)
    return grads


def _derivative_function(
    f: Callable[..., Any], argnums: ArgNums, transform: str
) -> Callable[..., tuple[Any, Any]]:
    """value_and_grad's work, with errors naming the transform the user called."""
    _check_callable(f, transform)
    positions = _normalize_argnums(argnums, transform)
    single = not isinstance(argnums, (tuple, list))

    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        build_graph = _wants_graph(args, kwargs)
        out, nodes = _evaluate(f, positions, args, kwargs, transform)
        grads = _gradients(out, nodes, build_graph)
        if isinstance(out, Value):
            result: Any = out if build_graph else out.data
        else:
            result = Value(out) if build_graph else out
        return result, (grads[0] if single else tuple(grads))

    return value_and_grad_f


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient)`` from one evaluation of f.

    The gradient is shaped as in ``grad``.  With plain numbers the value is a
    float; with Values (or inside another transform) both are Values.

    >>> value_and_grad(lambda x: x ** 3)(2.0)
    (8.0, 12.0)
    """
    return functools.wraps(f)(_derivative_function(f, argnums, "value_and_grad"))


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of a scalar function with respect to the arguments ``argnums``.

    ``argnums`` is a position (the result is that one gradient: a float, or an
    array shaped like the argument) or a tuple of positions (the result is a
    tuple of gradients in that order).  Other arguments pass through untouched.

    >>> d_cube = grad(lambda x: x ** 3)
    >>> d_cube(2.0)  # 3 x^2
    12.0
    >>> grad(d_cube)(2.0)  # 6 x
    12.0
    >>> grad(grad(d_cube))(2.0)
    6.0
    """
    with_value = _derivative_function(f, argnums, "grad")

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        return with_value(*args, **kwargs)[1]

    return grad_f


def hessian(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The matrix of second derivatives of a scalar function, as numbers.

    For one scalar argument the result is a float; for an array argument of
    shape s it is an array of shape s + s.  With a tuple of argnums it is a
    tuple of tuples of blocks: ``H[i][j]`` has shape ``shape_i + shape_j`` and
    holds d²f / (d arg_i d arg_j).

    It runs ``backward(create_graph=True)`` once, then one ``backward()`` per
    element of the differentiated arguments, on the dot product of the gradient
    with that element's basis vector (a Hessian-vector product), so no
    indexing op is needed.  The result is plain numbers, so ``hessian`` cannot
    be differentiated again; nest ``grad`` for that.

    >>> hessian(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    _check_callable(f, "hessian")
    positions = _normalize_argnums(argnums, "hessian")
    single = not isinstance(argnums, (tuple, list))

    @functools.wraps(f)
    def hessian_f(*args: Any, **kwargs: Any) -> Any:
        if _wants_graph(args, kwargs):
            raise TypeError(
                "hessian() returns plain numbers, so it cannot take Values or run inside "
                "grad(); to differentiate a second derivative again, nest grad(grad(f))"
            )
        out, nodes = _evaluate(f, positions, args, kwargs, "hessian")
        _, blocks = gradient_and_hessian(out, nodes)
        result = [tuple(float(b) if b.ndim == 0 else b for b in row) for row in blocks]
        return result[0][0] if single else tuple(result)

    return hessian_f


def gradient_and_hessian(
    out: Value | float, nodes: Sequence[Value]
) -> tuple[list[Any], list[list[Any]]]:
    """The gradient and Hessian of ``out`` with respect to ``nodes``, as numbers.

    Returns ``(g, H)``: ``g[i]`` = d out / d nodes[i] (shaped like the node) and
    ``H[i][j]`` = d²out / (d nodes[i] d nodes[j]), an array of shape
    shape_i + shape_j.  One ``backward(create_graph=True)`` gives the gradient
    as Values; then each element k of node i gets one ``backward()`` of
    sum(g[i] * e_k), whose gradients are row k of the Hessian (a
    Hessian-vector product with the basis vector e_k).  The gradients of
    out's graph are left at 0.0.
    """
    shapes = [node.shape for node in nodes]
    gradients: list[Any] = [np.zeros(shape) for shape in shapes]
    blocks = [[np.zeros(si + sj) for sj in shapes] for si in shapes]
    if not isinstance(out, Value):
        return [g if g.ndim else 0.0 for g in gradients], blocks
    _hessian_rows(out, nodes, gradients, blocks)
    return [g if isinstance(g, float) or g.ndim else float(g) for g in gradients], blocks


def _hessian_rows(
    out: Value, nodes: Sequence[Value], gradients: list[Any], blocks: list[list[Any]]
) -> None:
    shapes = [node.shape for node in nodes]
    out.backward(create_graph=True)
    first = [node.grad for node in nodes]  # kept: the next backward() resets .grad
    for i, gradient in enumerate(first):
        if not isinstance(gradient, Value):
            continue  # out does not depend on node i: its gradient and rows are 0
        gradients[i] = gradient.data
        for index in np.ndindex(shapes[i]):
            if index:
                basis = np.zeros(shapes[i])
                basis[index] = 1.0
                component = (gradient * basis).sum()
            else:
                component = gradient
            for node in nodes:  # a node the component does not reach keeps 0
                node.grad = 0.0
            component.backward()
            for j, node in enumerate(nodes):
                blocks[i][j][index] = node.grad
