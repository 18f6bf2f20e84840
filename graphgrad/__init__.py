"""graphgrad: a small, exact and fast scalar automatic-differentiation engine."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

# Writes every op's code and Value's operators before anything makes a node.
from graphgrad import codegen as codegen  # isort: skip
from graphgrad.check import GradcheckError, gradcheck, gradgradcheck, numeric_grad
from graphgrad.define import define_op

# draw.py loads graphviz and the renderers only when a picture is made, so
# these imports keep `import graphgrad` light.  Importing them here (not
# lazily) also keeps graphgrad.draw and graphgrad.trace the functions: a lazy
# first import of a submodule would rebind the package attribute to the module.
from graphgrad.draw import draw, render, to_svg
from graphgrad.explore import explore
from graphgrad.functional import grad, hessian, value_and_grad
from graphgrad.mode import is_grad_enabled, no_grad
from graphgrad.program import Program, compile
from graphgrad.trace import trace
from graphgrad.value import Value

if TYPE_CHECKING:
    from graphgrad import datasets, nn

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Program",
    "Value",
    "compile",
    "datasets",
    "define_op",
    "draw",
    "explore",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "is_grad_enabled",
    "nn",
    "no_grad",
    "numeric_grad",
    "render",
    "to_svg",
    "trace",
    "value_and_grad",
]

# Notebooks show a Value as its drawing, or say why not in its text form.  The
# two functions stay in graphgrad.draw: they are plumbing, not the package's API.
from graphgrad.draw import display_note, display_svg  # isort: skip

Value.notebook_display = (display_svg, display_note)
del display_note, display_svg


# The models and datasets are built on the core and load on first use
# (``graphgrad.nn``, ``from graphgrad import nn``): a user who only wants
# gradients does not pay for them at import.  Submodules, so the attribute is
# the module itself once loaded, and nothing is rebound.
_ON_FIRST_USE = ("datasets", "nn")


def __getattr__(name: str) -> ModuleType:
    if name in _ON_FIRST_USE:
        return importlib.import_module(f"graphgrad.{name}")
    raise AttributeError(f"module 'graphgrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    # What the package offers (for tab completion), not its import plumbing.
    return sorted({*__all__, "__version__"})
