"""SGD, Adam and AdamW: trajectories against the update formulas written out in numpy.

The reference computes the gradient in closed form and applies the formulas of
PyTorch's documentation (and of the papers): SGD with momentum and weight decay,
Adam with its bias corrections m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ), and AdamW's
decoupled decay p := p − lr·λ·p.  graphgrad gets its gradients from backward().
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from graphgrad import Value
from graphgrad.nn import SGD, Adam, AdamW, GradientDescent

Array = np.ndarray[Any, np.dtype[np.float64]]

RNG = np.random.default_rng(0)
A = RNG.normal(size=(5, 3))
T = RNG.normal(size=5)
W0 = RNG.normal(size=3)
B0 = 0.7


def cost(w: Any, b: Any) -> Any:
    """J(w, b) = ½‖A w − t‖² + b⁴/4 + b·w₀: works on Values and on numpy alike."""
    r = A @ w - T
    return 0.5 * (r * r).sum() + b**4 / 4.0 + b * w[0]


def gradient(w: Array, b: float) -> tuple[Array, float]:
    """The closed form of cost's gradient."""
    dw = A.T @ (A @ w - T)
    dw[0] += b
    return dw, b**3 + w[0]


def run(make: Callable[[list[Value]], Any], steps: int) -> list[tuple[Array, float]]:
    w, b = Value(W0.copy(), label="w"), Value(B0, label="b")
    optimizer = make([w, b])
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        cost(w, b).backward()
        optimizer.step()
        assert type(b.data) is float and w.shape == (3,)
        path.append((w.data.copy(), b.data))
    return path


def assert_same_path(path: list[tuple[Array, float]], reference: list[tuple[Array, float]]) -> None:
    assert len(path) == len(reference)
    for (w, b), (w_ref, b_ref) in zip(path, reference, strict=True):
        np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-14)
        assert b == pytest.approx(b_ref, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("momentum", "decay"), [(0.0, 0.0), (0.9, 0.0), (0.5, 0.1), (0.0, 0.3)])
def test_sgd_follows_the_formulas(momentum: float, decay: float) -> None:
    lr, steps = 0.02, 25
    params = [W0.copy(), np.array(B0)]
    velocity: list[Array | None] = [None, None]
    reference = []
    for _ in range(steps):
        dw, db = gradient(params[0], float(params[1]))
        for i, g in enumerate([dw, np.array(db)]):
            g = g + decay * params[i]
            if momentum:
                v = velocity[i]
                velocity[i] = g if v is None else momentum * v + g
                g = velocity[i]
            params[i] = params[i] - lr * g
        reference.append((params[0].copy(), float(params[1])))
    path = run(lambda ps: SGD(ps, lr=lr, momentum=momentum, weight_decay=decay), steps)
    assert_same_path(path, reference)


def test_gradient_descent_is_sgd_without_momentum() -> None:
    assert_same_path(run(lambda ps: GradientDescent(ps, lr=0.01), 10),
                     run(lambda ps: SGD(ps, lr=0.01), 10))  # fmt: skip
    assert GradientDescent([Value(1.0)]).lr == 0.1


def adam_reference(
    lr: float, betas: tuple[float, float], eps: float, decay: float, decoupled: bool, steps: int
) -> list[tuple[Array, float]]:
    beta1, beta2 = betas
    params = [W0.copy(), np.array(B0)]
    m = [np.zeros(3), np.zeros(())]
    v = [np.zeros(3), np.zeros(())]
    reference = []
    for t in range(1, steps + 1):
        dw, db = gradient(params[0], float(params[1]))
        for i, g in enumerate([dw, np.array(db)]):
            if decoupled:
                params[i] = params[i] - lr * decay * params[i]
            else:
                g = g + decay * params[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g**2
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        reference.append((params[0].copy(), float(params[1])))
    return reference


@pytest.mark.parametrize(
    ("lr", "betas", "eps", "decay"),
    [
        (1e-3, (0.9, 0.999), 1e-8, 0.0),
        (0.05, (0.8, 0.99), 1e-6, 0.1),
        (0.1, (0.0, 0.5), 1e-300, 0.0),
    ],
)
def test_adam_follows_the_formulas(
    lr: float, betas: tuple[float, float], eps: float, decay: float
) -> None:
    steps = 30
    reference = adam_reference(lr, betas, eps, decay, decoupled=False, steps=steps)
    path = run(lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=decay), steps)
    assert_same_path(path, reference)


@pytest.mark.parametrize("decay", [1e-2, 0.5])
def test_adamw_decays_the_weights_apart_from_the_gradient(decay: float) -> None:
    steps = 30
    reference = adam_reference(0.05, (0.9, 0.999), 1e-8, decay, decoupled=True, steps=steps)
    path = run(lambda ps: AdamW(ps, lr=0.05, weight_decay=decay), steps)
    assert_same_path(path, reference)
    # AdamW and Adam with the same decay differ: one decays p, the other adds λp to g.
    other = run(lambda ps: Adam(ps, lr=0.05, weight_decay=decay), steps)
    assert not np.allclose(other[-1][0], path[-1][0])


def test_defaults_are_pytorchs() -> None:
    w = Value(1.0)
    adam, adamw = Adam([w]), AdamW([w])
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert (adamw.lr, adamw.betas, adamw.eps) == (1e-3, (0.9, 0.999), 1e-8)
    assert adamw.weight_decay == 0.01
    sgd = SGD([w], lr=0.1)
    assert (sgd.momentum, sgd.weight_decay) == (0.0, 0.0)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.5),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.5),
    lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5),
])  # fmt: skip
def test_a_parameter_the_cost_does_not_reach_is_left_alone(make: Any) -> None:
    w, unused = Value(np.array([1.0, 2.0])), Value(np.array([3.0]))
    optimizer = make([w, unused])
    optimizer.zero_grad()
    ((w * w).sum() + unused.sum()).backward()  # step 1 reaches both
    optimizer.step()
    after_first = unused.data.copy()
    assert not np.array_equal(after_first, [3.0])
    for _ in range(2):  # steps 2 and 3 reach w only
        optimizer.zero_grad()
        assert w.grad is None and unused.grad is None
        (w * w).sum().backward()
        optimizer.step()
    # Step 1's gradient is not applied again, and no weight decay or momentum
    # moves the parameter without a gradient.
    assert unused.grad is None
    np.testing.assert_array_equal(unused.data, after_first)


def test_adam_counts_the_steps_of_each_parameter_as_torch_does() -> None:
    """a is in every step's cost, b only in steps 1 and 3: b's third step is its
    second update (t = 2), and its moments wait, unchanged, in step 2."""
    lr, (beta1, beta2), eps = 0.1, (0.9, 0.999), 1e-8
    a, b = Value(1.0, label="a"), Value(-2.0, label="b")
    optimizer = Adam([a, b], lr=lr)
    reference = {"a": [1.0, 0.0, 0.0, 0], "b": [-2.0, 0.0, 0.0, 0]}  # p, m, v, t
    for uses_b in (True, False, True):
        optimizer.zero_grad()
        (a * a + b * b * b if uses_b else a * a).backward()  # da = 2a, db = 3b²
        optimizer.step()
        for name, grad in (("a", 2 * reference["a"][0]), ("b", 3 * reference["b"][0] ** 2)):
            if name == "b" and not uses_b:
                continue
            p, m, v, t = reference[name]
            t += 1
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad**2
            p -= lr * (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps)
            reference[name] = [p, m, v, t]
    assert a.data == pytest.approx(reference["a"][0], rel=1e-14)
    assert b.data == pytest.approx(reference["b"][0], rel=1e-14)
    assert reference["b"][3] == 2 and optimizer.steps == 3


def test_a_gradient_from_create_graph_is_used_as_its_number() -> None:
    w = Value(2.0)
    (w**3).backward(create_graph=True)  # dw = 12 as a Value
    SGD([w], lr=0.1).step()
    assert w.data == pytest.approx(2.0 - 1.2, rel=1e-15)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=1e308), lambda ps: Adam(ps, lr=1e307), lambda ps: AdamW(ps, lr=1e307),
])  # fmt: skip
def test_a_diverging_step_names_the_parameter_and_changes_nothing(make: Any) -> None:
    b, w = Value(1.0, label="b"), Value(np.array([1.7e308, 2.0]), label="w")
    optimizer = make([b, w])
    (b - w.sum()).backward()  # a step of 1e308 (Adam: lr / (1 - β1)) takes w[0] past the floats
    with pytest.raises(OverflowError, match=r"diverged at 'w'.*smaller learning rate"):
        optimizer.step()
    assert b.data == 1.0
    np.testing.assert_array_equal(w.data, [1.7e308, 2.0])
    assert optimizer.steps == 0


def test_adam_state_is_kept_only_by_a_successful_step() -> None:
    w = Value(np.array([1.0]), label="w")
    optimizer = Adam([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.step()
    before = w.data.copy()
    w.grad = np.array([math.inf])  # a broken gradient: the step fails ...
    with pytest.raises(OverflowError):
        optimizer.step()
    (w * w).sum().backward()  # ... and the next one is the second step, as if it never ran
    optimizer.step()
    again = Value(np.array([1.0]))
    fresh = Adam([again], lr=0.1)
    for _ in range(2):
        (again * again).sum().backward()
        fresh.step()
    np.testing.assert_array_equal(w.data, again.data)
    assert not np.array_equal(before, w.data)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda x: SGD([x], lr=0.1, momentum=-0.5), ValueError, "momentum must be a finite"),
        (lambda x: SGD([x], lr=0.1, weight_decay=math.inf), ValueError, "weight_decay"),
        (lambda x: SGD([x], lr=0.1, momentum="0.9"), TypeError, "momentum must be a number"),
        (lambda x: SGD([x], lr=0.0), ValueError, "lr must be a positive"),
        (lambda x: Adam([x], betas=(0.9,)), ValueError, r"betas must be a pair"),
        (lambda x: Adam([x], betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
        (lambda x: AdamW([x], eps=-1.0), ValueError, "eps must be"),
        (lambda x: Adam([x], eps=0.0), ValueError, "eps must be a positive finite number"),
        (lambda x: Adam([x, x]), ValueError, r"parameters\[1\] is parameters\[0\] again"),
        (lambda x: Adam([x * 2]), ValueError, "output of an op"),
        (lambda x: AdamW([]), ValueError, "AdamW needs at least one parameter"),
    ],
)
def test_bad_arguments_name_the_argument(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make(Value(1.0))
