"""graphgrad: a small, exact and fast scalar automatic-differentiation engine."""

from graphgrad.check import GradcheckError, gradcheck, gradgradcheck, numeric_grad
from graphgrad.functional import grad, hessian, value_and_grad
from graphgrad.value import Value, is_grad_enabled, no_grad

# After the core: nn is built on it.  It imports tqdm only when a bar is shown.
from graphgrad import nn  # isort: skip

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Value",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "is_grad_enabled",
    "nn",
    "no_grad",
    "numeric_grad",
    "value_and_grad",
]
