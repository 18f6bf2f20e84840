"""graphgrad: a small, exact and fast scalar automatic-differentiation engine."""

from graphgrad.check import GradcheckError, gradcheck, numeric_grad
from graphgrad.value import Value, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Value",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "numeric_grad",
]
