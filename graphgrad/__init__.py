"""graphgrad: a small, exact and fast scalar automatic-differentiation engine."""

from graphgrad.check import GradcheckError, gradcheck, gradgradcheck, numeric_grad
from graphgrad.functional import grad, hessian, value_and_grad
from graphgrad.value import Value, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Value",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "is_grad_enabled",
    "no_grad",
    "numeric_grad",
    "value_and_grad",
]
