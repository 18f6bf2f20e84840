"""Parameter updates: plain gradient descent (w := w - α·dw) and Newton's method."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from graphgrad.functional import gradient_and_hessian
from graphgrad.graph import describe
from graphgrad.mode import no_grad
from graphgrad.nn._checks import check_lr
from graphgrad.value import Data, Value


class GradientDescent:
    """Updates parameter leaves with the gradients left by ``backward()``.

    >>> w = Value(1.0, label="w")
    >>> optimizer = GradientDescent([w], lr=0.1)
    >>> J = (w - 3.0) ** 2          # dJ/dw = 2(w - 3) = -4 at w = 1
    >>> optimizer.zero_grad()
    >>> J.backward()
    >>> optimizer.step()
    >>> round(w.data, 12)           # 1 - 0.1 * (-4)
    1.4
    """

    def __init__(self, parameters: Iterable[Value], lr: float = 0.1) -> None:
        self.parameters = _leaf_parameters(parameters, "GradientDescent", "gradient descent")
        self.lr = check_lr(lr)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.parameters:
            p.grad = 0.0 if type(p.data) is float else np.zeros_like(p.data)

    def step(self) -> None:
        """w := w - lr * dw for each parameter, recording no graph.

        Raises OverflowError if a parameter leaves the finite floats, which
        happens when the learning rate is far too large and descent diverges.
        """
        with no_grad():
            updated = []
            for p in self.parameters:
                try:
                    # Value ops check every result is finite.
                    updated.append((p - self.lr * Value(_grad_data(p))).data)
                except (OverflowError, ValueError):
                    raise OverflowError(
                        f"gradient descent diverged at {describe(p)}: the update is too large "
                        f"for a 64-bit float; try a smaller learning rate than {self.lr}"
                    ) from None
        # Assign only when every update succeeded, so a failure changes nothing.
        for p, data in zip(self.parameters, updated, strict=True):
            p.data = data


def _grad_data(p: Value) -> Data:
    grad = p.grad
    if isinstance(grad, Value):  # left by backward(create_graph=True)
        return grad.data
    return grad  # type: ignore[no-any-return]


class Newton:
    """Newton's method: θ := θ - H⁻¹·g for the parameters θ together.

    g and H are the gradient and Hessian of the cost with respect to all the
    parameters, from ``backward(create_graph=True)`` and Hessian-vector
    products (``graphgrad.functional.gradient_and_hessian``): no derivative is
    written here.  On a convex cost such as logistic regression's, a few full
    steps reach the minimum that gradient descent approaches over thousands.

    >>> w = Value(1.0, label="w")
    >>> J = (w - 3.0) ** 2 + 1.0    # a parabola: one Newton step lands on its minimum
    >>> Newton([w]).step(J)
    >>> w.data
    3.0
    """

    def __init__(self, parameters: Iterable[Value]) -> None:
        self.parameters = _leaf_parameters(parameters, "Newton", "Newton's method")

    def step(self, cost: Value) -> None:
        """Move the parameters by one Newton step on ``cost`` (a scalar Value).

        Raises ArithmeticError when the Hessian is singular or nearly so (a
        constant or duplicated feature, or classes a hyperplane separates
        perfectly, where the cost has no minimum), judged after scaling each
        parameter to unit curvature so that the units of the features do not
        matter, and OverflowError if the step leaves the finite floats.  On
        error the parameters are unchanged.
        """
        gradients, blocks = gradient_and_hessian(cost, self.parameters)
        sizes = [int(np.size(p.data)) for p in self.parameters]
        g = np.concatenate([np.ravel(gi) for gi in gradients])
        H = np.block(
            [
                [np.reshape(block, (si, sj)) for block, sj in zip(row, sizes, strict=True)]
                for row, si in zip(blocks, sizes, strict=True)
            ]
        )
        # Singular is judged after scaling each parameter to unit curvature,
        # H~ = D^-1/2 H D^-1/2 with D = |diag H|: features measured in units a
        # million apart make H itself look singular though the problem is well
        # posed, while a constant or duplicated feature (two equal rows of H~)
        # or a flat direction (a zero on the diagonal) stays singular at any scale.
        curvature = np.abs(np.diag(H))
        if not np.isfinite(H).all() or not np.all(curvature > 0.0):
            raise ArithmeticError(_SINGULAR)
        scale = 1.0 / np.sqrt(curvature)
        H_scaled = H * np.outer(scale, scale)
        if not np.isfinite(H_scaled).all() or np.linalg.cond(H_scaled) > 1e12:
            raise ArithmeticError(_SINGULAR)
        # Solved in the scaled parameters, where the system is well conditioned.
        delta = scale * np.linalg.solve(H_scaled, scale * g)
        updated: list[Data] = []
        offset = 0
        with no_grad():
            for p, size in zip(self.parameters, sizes, strict=True):
                move = delta[offset : offset + size]
                offset += size
                step = float(move[0]) if type(p.data) is float else move.reshape(p.shape)
                try:  # Value ops check every result is finite
                    updated.append((p - Value(step)).data)
                except (OverflowError, ValueError):
                    raise OverflowError(
                        f"Newton's method diverged at {describe(p)}: the step is too large "
                        "for a 64-bit float"
                    ) from None
        # Assign only when every update succeeded, so a failure changes nothing.
        for p, data in zip(self.parameters, updated, strict=True):
            p.data = data


_SINGULAR = (
    "Newton's method: the Hessian of the cost is singular or nearly so "
    "(a constant or duplicated feature, or classes that a hyperplane separates "
    "perfectly, so the cost has no minimum); use gradient descent instead"
)


def _leaf_parameters(parameters: Iterable[Value], optimizer: str, method: str) -> list[Value]:
    """The parameters as a list, each checked to be a leaf Value that ``method`` can update."""
    params = list(parameters)
    if not params:
        raise ValueError(f"{optimizer} needs at least one parameter")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"parameters[{i}] must be a Value, got {type(p).__name__}")
        if p.op:
            raise ValueError(
                f"parameters[{i}] ({describe(p)}) is the output of an op; "
                f"{method} updates leaves only"
            )
    return params
