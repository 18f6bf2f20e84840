"""Plain gradient descent: w := w - α·dw for every parameter."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from graphgrad.nn._checks import check_lr
from graphgrad.value import Data, Value, describe, no_grad


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
        params = list(parameters)
        if not params:
            raise ValueError("GradientDescent needs at least one parameter")
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"parameters[{i}] must be a Value, got {type(p).__name__}")
            if p.op:
                raise ValueError(
                    f"parameters[{i}] ({describe(p)}) is the output of an op; "
                    "gradient descent updates leaves only"
                )
        self.parameters = params
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
