"""graphgrad: a small, exact and fast scalar automatic-differentiation engine."""

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

# After the core: nn is built on it.  It imports tqdm only when a bar is shown.
from graphgrad import datasets, nn  # isort: skip

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
