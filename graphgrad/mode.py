"""Grad mode and the transforms in progress, kept per thread (and per asyncio task).

Both live in context variables, as PyTorch keeps its grad mode per thread: a
``no_grad()`` block in one thread never stops another thread from recording
its graph, and ``grad()`` running in one thread never changes what a
derivative function returns in another.

This module imports nothing from the rest of graphgrad.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_grad_enabled: ContextVar[bool] = ContextVar("graphgrad_grad_enabled", default=True)

# The transforms (grad, value_and_grad, hessian) evaluating their function in
# this thread, innermost last: each as (name, the nodes of its differentiated
# arguments).
_transforms: ContextVar[tuple[tuple[str, tuple[Any, ...]], ...]] = ContextVar(
    "graphgrad_transforms", default=()
)

# True while backward(create_graph=True) runs derivative rules on Values in
# this thread: float() of a node then would cut the graph it is building.
_on_values: ContextVar[bool] = ContextVar("graphgrad_on_values", default=False)

#: True unless inside ``no_grad()``: the engine's hot path calls this bound method.
recording = _grad_enabled.get


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return _grad_enabled.get()


@contextmanager
def no_grad() -> Iterator[None]:
    """A context in which ops compute values but record no graph (in this thread only).

    Use it for evaluation and parameter updates, where no gradient is wanted:
    nodes made inside are leaves, and nothing keeps their inputs alive.
    """
    token = _grad_enabled.set(False)
    try:
        yield
    finally:
        _grad_enabled.reset(token)


@contextmanager
def enable_grad() -> Iterator[None]:
    """A context in which ops record their graph, even inside ``no_grad()``."""
    token = _grad_enabled.set(True)
    try:
        yield
    finally:
        _grad_enabled.reset(token)


@contextmanager
def running_transform(name: str, inputs: tuple[Any, ...]) -> Iterator[None]:
    """Mark the transform ``name`` as evaluating its function on the nodes
    ``inputs`` (recording a graph, even inside ``no_grad()``) during the block."""
    frames_token = _transforms.set((*_transforms.get(), (name, inputs)))
    try:
        with enable_grad():
            yield
    finally:
        _transforms.reset(frames_token)


@contextmanager
def rules_on_values() -> Iterator[None]:
    """The block runs derivative rules on Values (``backward(create_graph=True)``):
    it records a graph, and ``float()`` of a node that takes a gradient raises."""
    token = _on_values.set(True)
    try:
        with enable_grad():
            yield
    finally:
        _on_values.reset(token)


def differentiating_on_values() -> bool:
    """True inside :func:`rules_on_values` in this thread."""
    return _on_values.get()


def transforms() -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The transforms in progress in this thread, innermost last."""
    return _transforms.get()
