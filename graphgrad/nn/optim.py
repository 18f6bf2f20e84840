"""Parameter updates: gradient descent (w := w - α·dw), SGD with momentum, Adam, AdamW
(each as torch.optim computes it), and Newton's method."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

import numpy as np

from graphgrad.functional import gradient_and_hessian
from graphgrad.graph import describe
from graphgrad.mode import no_grad
from graphgrad.nn._checks import check_lr, check_positive
from graphgrad.numerics import raising
from graphgrad.value import Array, Data, Value


class Optimizer:
    """What the optimizers share: the parameters, ``zero_grad`` and an all-or-nothing ``step``.

    A subclass computes the new data of every parameter that has a gradient
    (and its own new state) from the gradients that ``backward()`` left;
    ``step`` assigns them only when every one is finite, so a diverging step
    changes nothing.
    """

    #: How errors name the method ("gradient descent diverged at 'w' ...").
    method = "the optimizer"

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        self.parameters: list[Value] = _leaf_parameters(
            parameters, type(self).__name__, self.method
        )
        self.lr: float = check_lr(lr)
        #: Steps taken so far.
        self.steps: int = 0

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None: it has none until a ``backward()``
        reaches it.

        ``backward()`` sets the gradient of every node it reaches, from zero;
        a parameter the cost does not depend on keeps the gradient it had, and
        ``step`` would apply it again.  After ``zero_grad`` such a parameter
        has no gradient, and ``step`` leaves it alone, as ``torch.optim`` does.
        """
        for p in self.parameters:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, recording no graph.

        A parameter whose gradient is None (``zero_grad``, then a cost that
        does not depend on it) is skipped: no weight decay, no momentum, no
        change to its Adam moments or step count.  Raises OverflowError naming
        the parameter if an update leaves the finite floats (a learning rate
        far too large); nothing is changed then.
        """
        live = [i for i, p in enumerate(self.parameters) if p.grad is not None]
        parameters = [self.parameters[i] for i in live]
        datas = [
            p.data if type(p.data) is np.ndarray else np.asarray(p.data, dtype=np.float64)
            for p in parameters
        ]
        grads = [_grad_array(p) for p in parameters]
        # The common case in one pass: numpy raises on overflow, and the sum of the
        # new data is finite exactly when every element is (a gradient set to inf
        # by hand, say, raises nothing).  Otherwise the updates are made again, to
        # name the parameter that left the finite floats.
        try:
            with raising():
                updated, commit = self._update(live, datas, grads)
                total = 0.0
                for data in updated:
                    total += float(np.add.reduce(data, axis=None))
            finite = total - total == 0.0
        except FloatingPointError:
            finite = False
        if not finite:
            with np.errstate(all="ignore"):
                updated, commit = self._update(live, datas, grads)
            for p, data in zip(parameters, updated, strict=True):
                if not np.isfinite(data).all():
                    raise OverflowError(
                        f"{self.method} diverged at {describe(p)}: the update is too large for "
                        f"a 64-bit float; try a smaller learning rate than {self.lr}"
                    )
        # Assign only when every update succeeded, so a failure changes nothing.
        for p, data in zip(parameters, updated, strict=True):
            p.data = float(data) if type(p.data) is float else data
        commit()
        self.steps += 1

    def _update(
        self, indices: list[int], datas: list[Array], grads: list[Array]
    ) -> tuple[list[Array], Callable[[], None]]:
        """The new data of the parameters ``indices`` (those with a gradient), from
        their data and gradients, and a function that keeps the new state."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay, as ``torch.optim.SGD``.

    Each step, for each parameter p with gradient g:

    - with ``weight_decay`` λ: g := g + λ·p (the gradient of λ/2·‖p‖²);
    - with ``momentum`` μ: v := g at the first step, then v := μ·v + g; g := v;
    - p := p − lr·g.

    Without momentum and weight decay this is the notes' gradient descent,
    w := w − α·dw.

    >>> w = Value(1.0, label="w")
    >>> optimizer = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     J = (w - 3.0) ** 2                  # dJ/dw = 2(w - 3)
    ...     J.backward()
    ...     optimizer.step()
    >>> round(w.data, 12)                       # 1 + 0.4, then 1.4 + 0.1·(0.9·4 + 3.2)
    2.08
    """

    method = "gradient descent"

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        self.momentum: float = _non_negative(momentum, "momentum")
        self.weight_decay: float = _non_negative(weight_decay, "weight_decay")
        self._velocity: list[Array | None] = [None] * len(self.parameters)

    def _update(
        self, indices: list[int], datas: list[Array], grads: list[Array]
    ) -> tuple[list[Array], Callable[[], None]]:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        velocity = list(self._velocity)
        updated = []
        for i, p, g in zip(indices, datas, grads, strict=True):
            if decay:
                g = g + decay * p
            if momentum:
                previous = velocity[i]
                g = g.copy() if previous is None else momentum * previous + g
                velocity[i] = g
            updated.append(p - lr * g)

        def commit() -> None:
            self._velocity = velocity

        return updated, commit


class GradientDescent(SGD):
    """The notes' gradient descent, w := w − α·dw: :class:`SGD` without momentum.

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
        super().__init__(parameters, lr)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: momentum and RMSprop with bias correction.

    Each step, for each parameter p with a gradient g (t counts the steps that
    updated p, from 1), β1, β2 = ``betas`` and ε = ``eps`` > 0:

    - with ``weight_decay`` λ: g := g + λ·p (L2, added to the gradient);
    - m := β1·m + (1 − β1)·g, v := β2·v + (1 − β2)·g² (both start at 0);
    - p := p − lr · (m / (1 − β1^t)) / (√v / √(1 − β2^t) + ε).

    The arithmetic is PyTorch's, in its order (m is updated as a lerp towards g),
    so the two give the same numbers step after step.

    >>> w = Value(1.0, label="w")
    >>> optimizer = Adam([w], lr=0.1)
    >>> J = (w - 3.0) ** 2
    >>> J.backward()
    >>> optimizer.step()
    >>> round(w.data, 9)            # the first step moves by lr, whatever the gradient's size
    1.1
    """

    method = "Adam"
    #: False: weight decay is added to the gradient (L2); True (AdamW): applied to p apart.
    decoupled = False

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        self.betas: tuple[float, float] = _betas(betas)
        # ε > 0: where a gradient element has been exactly 0, v is 0 and only ε keeps
        # the step from being 0 / 0.
        self.eps: float = check_positive(eps, "eps")
        self.weight_decay: float = _non_negative(weight_decay, "weight_decay")
        zeros = [np.zeros_like(np.asarray(p.data, dtype=np.float64)) for p in self.parameters]
        self._m: list[Array] = zeros
        self._v: list[Array] = [z.copy() for z in zeros]
        # Each parameter's own step count t, as torch.optim keeps it: a step that
        # skips a parameter (no gradient) does not advance its bias corrections.
        self._t: list[int] = [0] * len(self.parameters)

    def _update(
        self, indices: list[int], datas: list[Array], grads: list[Array]
    ) -> tuple[list[Array], Callable[[], None]]:
        beta1, beta2 = self.betas
        decay, decoupled = self.weight_decay, self.decoupled
        new_m, new_v, new_t = list(self._m), list(self._v), list(self._t)
        updated = []
        for i, p, g in zip(indices, datas, grads, strict=True):
            m, v, t = self._m[i], self._v[i], self._t[i] + 1
            step_size = self.lr / (1.0 - beta1**t)
            correction2 = (1.0 - beta2**t) ** 0.5
            if decay and decoupled:
                p = p * (1.0 - self.lr * decay)
            elif decay:
                g = g + decay * p
            m = m + (1.0 - beta1) * (g - m)  # torch's lerp of m towards g
            v = v * beta2 + (1.0 - beta2) * g * g
            denominator = np.sqrt(v) / correction2 + self.eps
            updated.append(p + -step_size * (m / denominator))
            new_m[i], new_v[i], new_t[i] = m, v, t

        def commit() -> None:
            self._m, self._v, self._t = new_m, new_v, new_t

        return updated, commit


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Each step first shrinks every parameter, p := p·(1 − lr·λ) with λ =
    ``weight_decay`` (default 0.01), then takes Adam's step without adding λ·p
    to the gradient: the decay does not pass through m and v, so it acts on
    every weight alike however large its gradients.

    >>> w = Value(1.0, label="w")
    >>> optimizer = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> J = (w - 3.0) ** 2
    >>> J.backward()
    >>> optimizer.step()
    >>> round(w.data, 9)            # 1·(1 - 0.1·0.5), then + 0.1
    1.05
    """

    method = "AdamW"
    decoupled = True

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(parameters, lr, betas, eps, weight_decay)


def _grad_array(p: Value) -> Array:
    """p's gradient as a float64 array of p's shape (0 where backward left none)."""
    grad = p.grad
    if type(grad) is np.ndarray and grad.shape == np.shape(p.data):
        return grad
    if isinstance(grad, Value):  # left by backward(create_graph=True)
        grad = grad.data
    array = np.asarray(grad, dtype=np.float64)
    if array.shape != np.shape(p.data):
        array = np.broadcast_to(array, np.shape(p.data))
    return array


def _non_negative(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number >= 0, got {type(value).__name__} {value!r}")
    number = float(value)
    if not 0.0 <= number < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def _betas(betas: object) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r:.40}")
    pair = tuple(_non_negative(b, f"betas[{i}]") for i, b in enumerate(betas))
    for i, b in enumerate(pair):
        if b >= 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {b!r}")
    return pair[0], pair[1]


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
        # The curvature of each parameter at the first step: what "nearly singular"
        # is measured against later (see step).
        self._first_curvature: Array | None = None

    def step(self, cost: Value) -> None:
        """Move the parameters by one Newton step on ``cost`` (a scalar Value).

        Raises ArithmeticError when the Hessian is singular or nearly so (a
        constant or duplicated feature, or classes a hyperplane separates
        perfectly, where the cost has no minimum), judged after scaling each
        parameter to unit curvature so that the units of the features do not
        matter, or when a parameter's curvature has fallen below 2⁻⁵² of its
        curvature at the first step; OverflowError if the step leaves the
        finite floats.  On
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
        # A curvature fallen below 2^-52 of where the run started is flat to the
        # precision of the floats, whatever the units: the cost of classes that a
        # hyperplane separates flattens so, step after step, towards no minimum.
        first = self._first_curvature
        if first is not None and np.any(curvature < first * np.finfo(np.float64).eps):
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
        if first is None:
            self._first_curvature = curvature


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
    seen: dict[int, int] = {}
    for i, p in enumerate(params):
        first = seen.setdefault(id(p), i)
        if first != i:
            raise ValueError(f"parameters[{i}] is parameters[{first}] again: list each once")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"parameters[{i}] must be a Value, got {type(p).__name__}")
        if p.op:
            raise ValueError(
                f"parameters[{i}] ({describe(p)}) is the output of an op; "
                f"{method} updates leaves only"
            )
    return params
