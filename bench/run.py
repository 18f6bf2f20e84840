"""graphgrad against micrograd 0.1.0, PyTorch and hand-written numpy, in one run.

    python -m pip install -e ".[bench]"    # micrograd==0.1.0 and torch==2.13.0, for this
                                           # benchmark only
    python bench/run.py                    # the full run (a few minutes)
    python bench/run.py --quick            # a smoke test: small sizes, seconds
    python bench/run.py --blas-threads 1   # numpy's BLAS on one thread (busy machines)

Workloads (docs/performance.md explains each):
  W1  J = 3(a + b*c), leaves included, build + backward, repeated: time per repetition
  W2  logistic-regression cost as a scalar graph, m = 200, nx = 20, build + backward:
      time, time per node, memory per node (tracemalloc, the graph after backward)
  W3  a chain of N multiplications, N = 1e3 .. 1e6, build + backward: time per op
  W4  vectorized logistic regression, m = 10,000, nx = 64, 100 gradient-descent
      steps, against the same steps written by hand in numpy
  W5  a training step of a 2-16-16-1 tanh MLP on m = 200 (forward, cross-entropy,
      backward, gradient-descent update) with nn.MLP, against the same step by
      hand in numpy and in PyTorch (float64, one thread); nodes per step
  W6  micrograd's demo step (MLP 2-16-16-1, relu, 100 moons points, max-margin
      loss, one update) with nn.ScalarMLP, against micrograd's own
  W7  a chain of N ops defined with graphgrad.define_op (sin, its rule cos),
      build + backward, against a chain of the built-in tanh: time per op

Timings keep Python's garbage collector on, as users run.  Before each timed
repetition the collector is run (untimed), so no library pays for garbage
another one left.  Each figure is the median over several rounds, libraries
interleaved round by round; only ratios within one run mean much.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _blas_threads_before_numpy(argv: list[str]) -> None:
    """--blas-threads N must act before numpy loads its BLAS, so it is read here."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--blas-threads=") else None
        if arg == "--blas-threads" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None:
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[name] = value


_blas_threads_before_numpy(sys.argv)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphgrad import Value, no_grad  # noqa: E402
from graphgrad.graph import topological_order  # noqa: E402

# --without micrograd,torch,jax measures as if they were not installed (the test suite
# checks that path); read before they are imported.
_WITHOUT = {
    name
    for i, arg in enumerate(sys.argv)
    if arg == "--without" and i + 1 < len(sys.argv)
    for name in sys.argv[i + 1].split(",")
}

try:
    if "micrograd" in _WITHOUT:
        raise ImportError("--without micrograd")
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # the benchmark still measures graphgrad against numpy
    MicroValue = None
    MicroMLP = None

# PyTorch is imported only by W5's interpreter (see load_torch): its import leaves
# some 100,000 objects that every full pass of the garbage collector then walks,
# which would slow the workloads that build large graphs, micrograd's and ours.
torch: Any = None


def load_torch() -> bool:
    """Import PyTorch for W5; False if it is not installed (or --without torch)."""
    global torch
    if "torch" in _WITHOUT:
        return False
    try:
        import torch as imported
    except ImportError:  # W5 then compares with numpy only
        return False
    torch = imported
    return True


def torch_version() -> str | None:
    """The installed PyTorch's version, without importing it."""
    if "torch" in _WITHOUT:
        return None
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None


# --- sizes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    w1_reps: int
    w1_rounds: int
    w2_m: int
    w2_nx: int
    w2_rounds: int
    w3_lengths: tuple[int, ...]
    w3_rounds: int
    w4_m: int
    w4_nx: int
    w4_steps: int
    w4_rounds: int
    w5_m: int
    w5_steps: int
    w5_rounds: int
    w6_points: int
    w6_rounds: int
    w7_length: int
    w7_rounds: int


# W3 adds N = 2e6 to the 1e3..1e6: time per op must have stopped growing.
FULL = Sizes(
    2000, 21, 200, 20, 21, (1_000, 10_000, 100_000, 1_000_000, 2_000_000), 3, 10_000, 64, 100, 21,
    200, 100, 21, 100, 5, 20_000, 21,
)  # fmt: skip
QUICK = Sizes(100, 3, 20, 5, 2, (1_000, 10_000), 1, 500, 8, 5, 2, 50, 5, 2, 10, 1, 200, 2)
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")


def timed(fn: Callable[[], Any]) -> float:
    """Seconds taken by fn(), the collector on and emptied beforehand (untimed)."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- micrograd glue ------------------------------------------------------------------------
# micrograd 0.1.0 has +, *, ** and relu only.  The logistic-regression cost needs
# softplus, so the benchmark gives micrograd one, built the way its own ops are
# (a node with a closure as backward).  It is one node, like graphgrad's.


def micro_softplus(x: Any) -> Any:
    assert MicroValue is not None
    out = MicroValue(_softplus(x.data), (x,), "softplus")

    def _backward() -> None:
        x.grad += _sigmoid(x.data) * out.grad

    out._backward = _backward
    return out


def graphgrad_softplus(x: Value) -> Value:
    return x.softplus()


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def micro_nodes(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def graphgrad_nodes(root: Value) -> int:
    return len(topological_order(root))


# --- W1 --------------------------------------------------------------------------------------


def w1(V: Any, reps: int) -> None:
    for _ in range(reps):
        a, b, c = V(5.0), V(3.0), V(2.0)
        J = 3 * (a + b * c)
        J.backward()


# --- W2 --------------------------------------------------------------------------------------


def w2_data(m: int, nx: int) -> tuple[list[list[float]], list[float], list[float]]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, nx)).tolist()
    y = (rng.random(m) < 0.5).astype(float).tolist()
    w = (rng.normal(size=nx) * 0.1).tolist()
    return X, y, w


def w2_build(V: Any, softplus: Callable[[Any], Any], data: Any) -> Any:
    """J = (1/m) Σ softplus(z_i) - y_i z_i, z_i = b + Σ_j w_j x_ij: the cross-entropy
    of sigmoid(z_i), written with the ops both libraries have (the same nodes in each)."""
    X, y, w0 = data
    w = [V(wj) for wj in w0]
    b = V(0.0)
    total = None
    for xi, yi in zip(X, y, strict=True):
        z = b
        for wj, xij in zip(w, xi, strict=True):
            z = z + wj * xij
        L = softplus(z) + (-yi) * z
        total = L if total is None else total + L
    return total * (1.0 / len(X))


def w2_memory(V: Any, softplus: Callable[[Any], Any], data: Any) -> int:
    """Bytes held by the graph after build and backward (its nodes, data and grads)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    J = w2_build(V, softplus, data)
    J.backward()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del J
    return held


# --- W3 --------------------------------------------------------------------------------------


def w3(V: Any, n: int) -> Any:
    x, c = V(0.5), V(1.0)
    v = x
    for _ in range(n):
        v = v * c
    v.backward()
    return x


def micrograd_chain_limit() -> int:
    """The longest chain micrograd's recursive backward survives (bisection)."""
    low, high = 1, 1_000
    while w3_survives(high):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if w3_survives(mid) else (low, mid)
    return low


def w3_survives(n: int) -> bool:
    try:
        w3(MicroValue, n)
    except RecursionError:
        return False
    return True


# --- W4 --------------------------------------------------------------------------------------


def w4_data(m: int, nx: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(m, nx))
    y = (X @ rng.normal(size=nx) + rng.normal(size=m) > 0).astype(np.float64)
    return X, y


LEARNING_RATE = 0.5


def w4_numpy(X: Any, y: Any, steps: int, cost: bool = True) -> tuple[Any, float, float]:
    """The notes' vectorized gradient descent, by hand: propagate() then update.

    Like the notes' propagate(), each step computes the cost J as well as dw and
    db, as graphgrad does (J is the graph's root).  cost=False skips J: less work
    than graphgrad does, reported as a second figure.
    """
    m, nx = X.shape
    w, b = np.zeros(nx), 0.0
    J = math.nan
    for _ in range(steps):
        z = X @ w + b
        a = 1.0 / (1.0 + np.exp(-z))
        if cost:
            J = float(-np.mean(y * np.log(a) + (1.0 - y) * np.log(1.0 - a)))
        dz = a - y
        dw = X.T @ dz / m
        db = float(np.mean(dz))
        w = w - LEARNING_RATE * dw
        b = b - LEARNING_RATE * db
    return w, b, J


def w4_graphgrad(X: Any, y: Any, steps: int) -> tuple[Any, float, float]:
    """The same steps as a graph of a handful of array nodes, rebuilt each step."""
    nx = X.shape[1]
    X_node = Value(X, label="X", requires_grad=False)
    y_node = Value(y, label="y", requires_grad=False)
    w, b = Value(np.zeros(nx), label="w"), Value(0.0, label="b")
    J = Value(0.0)
    for _ in range(steps):
        z = X_node @ w + b
        J = (z.softplus() - y_node * z).mean()  # = cross-entropy of sigmoid(z)
        J.backward()
        with no_grad():
            w.data = w.data - LEARNING_RATE * w.grad
            b.data = b.data - LEARNING_RATE * b.grad
    return w.data, b.data, J.data


def w4_fit(X: Any, y: Any, steps: int, compiled: bool = True) -> Any:
    """The library's own LogisticRegression, trained with the same steps."""
    from graphgrad.nn import LogisticRegression

    model = LogisticRegression(lr=LEARNING_RATE, epochs=steps)
    return model.fit(X, y, progress=False, compile=compiled)


# --- W5 --------------------------------------------------------------------------------------
# One training step of the notes' network, one hidden layer more: 2-16-16-1, tanh,
# a sigmoid output with the cross-entropy cost, gradient descent.  All three start
# from the weights nn.MLP(seed=0) draws, so their trajectories can be compared.

W5_SIZES = [16, 16, 1]
W5_LR = 0.1


def w5_data(m: int) -> tuple[Any, Any, list[Any]]:
    from graphgrad.datasets import make_moons
    from graphgrad.nn import MLP

    X, y = make_moons(m, noise=0.1, seed=0)
    weights = [p.data.copy() for p in MLP(2, W5_SIZES, activation="tanh", seed=0).parameters()]
    return X, y.astype(np.float64), weights


def w5_graphgrad(data: Any, steps: int) -> tuple[list[Any], float]:
    """The step with nn.MLP, nn.binary_cross_entropy and nn.SGD, as a user writes it."""
    from graphgrad.nn import MLP, SGD, binary_cross_entropy, cost

    X, y, weights = data
    mlp = MLP(2, W5_SIZES, activation="tanh", seed=0)
    for p, w in zip(mlp.parameters(), weights, strict=True):
        p.data = w.copy()
    X_node = Value(X, label="X", requires_grad=False)
    y_column = y.reshape(-1, 1)
    optimizer = SGD(mlp.parameters(), lr=W5_LR)
    J = Value(0.0)
    for _ in range(steps):
        J = cost(binary_cross_entropy(mlp(X_node), y_column))
        J.backward()
        optimizer.step()
    return [p.data for p in mlp.parameters()], J.data


def w5_compiled(data: Any) -> tuple[Callable[[int], tuple[list[Any], float]], float, int]:
    """The same step compiled once (graphgrad.compile), then called: a function that runs
    ``steps`` steps from the starting weights, the time compile() took, and the nodes."""
    from graphgrad import compile as compile_graph
    from graphgrad.graph import topological_order
    from graphgrad.nn import MLP, SGD, binary_cross_entropy, cost

    X, y, weights = data
    mlp = MLP(2, W5_SIZES, activation="tanh", seed=0)
    parameters = mlp.parameters()
    X_node = Value(X, label="X", requires_grad=False)
    J = cost(binary_cross_entropy(mlp(X_node), y.reshape(-1, 1)))
    start = time.perf_counter()
    program = compile_graph(J)
    took = time.perf_counter() - start

    def run(steps: int) -> tuple[list[Any], float]:
        for p, w in zip(parameters, weights, strict=True):
            p.data = w.copy()
        optimizer = SGD(parameters, lr=W5_LR)
        value = math.nan
        for _ in range(steps):
            value = program()
            optimizer.step()
        return [p.data for p in parameters], value

    return run, took, len(topological_order(J))


def w5_jax(data: Any) -> Callable[[int], tuple[list[Any], float]] | None:
    """The same step under jax.jit (float64, the CPU), or None without jax."""
    if "jax" in _WITHOUT:
        return None
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    X, y, weights = data
    X_j, y_j = jnp.asarray(X), jnp.asarray(y.reshape(-1, 1))

    def loss(params: list[Any]) -> Any:
        W1, b1, W2, b2, W3, b3 = params
        z = jnp.tanh(jnp.tanh(X_j @ W1 + b1) @ W2 + b2) @ W3 + b3
        return jnp.mean(jnp.maximum(z, 0) - z * y_j + jnp.log1p(jnp.exp(-jnp.abs(z))))

    @jax.jit
    def step(params: list[Any]) -> tuple[list[Any], Any]:
        value, grads = jax.value_and_grad(loss)(params)
        return [p - W5_LR * g for p, g in zip(params, grads, strict=True)], value

    def run(steps: int) -> tuple[list[Any], float]:
        params = [jnp.asarray(w) for w in weights]
        value = None
        for _ in range(steps):
            params, value = step(params)
        jax.block_until_ready(params)
        return [np.asarray(p) for p in params], float(value)

    run(1)  # traced and compiled here, not in the timing
    return run


def w5_numpy(data: Any, steps: int) -> tuple[list[Any], float]:
    """The notes' forward_propagation, compute_cost, backward_propagation and
    update_parameters, by hand: X is (nx, m), W[l] is (n[l], n[l-1]), b[l] is (n[l], 1)."""
    X, y, weights = data
    XT, Y = X.T, y.reshape(1, -1)
    m = XT.shape[1]
    W1, b1, W2, b2, W3, b3 = (
        w.T.copy() if w.ndim == 2 else w.reshape(-1, 1).copy() for w in weights
    )
    cost = math.nan
    for _ in range(steps):
        Z1 = np.dot(W1, XT) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = np.tanh(Z2)
        Z3 = np.dot(W3, A2) + b3
        A3 = 1.0 / (1.0 + np.exp(-Z3))
        logprobs = np.multiply(np.log(A3), Y) + np.multiply(np.log(1.0 - A3), 1.0 - Y)
        cost = float(-np.sum(logprobs) / m)
        dZ3 = A3 - Y
        dW3 = np.dot(dZ3, A2.T) / m
        db3 = np.sum(dZ3, axis=1, keepdims=True) / m
        dZ2 = np.dot(W3.T, dZ3) * (1.0 - np.power(A2, 2))
        dW2 = np.dot(dZ2, A1.T) / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = np.dot(W2.T, dZ2) * (1.0 - np.power(A1, 2))
        dW1 = np.dot(dZ1, XT.T) / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
        W1, b1 = W1 - W5_LR * dW1, b1 - W5_LR * db1
        W2, b2 = W2 - W5_LR * dW2, b2 - W5_LR * db2
        W3, b3 = W3 - W5_LR * dW3, b3 - W5_LR * db3
    back = [W1.T, b1.ravel(), W2.T, b2.ravel(), W3.T, b3.ravel()]
    return back, cost


def w5_torch(data: Any, steps: int) -> tuple[list[Any], float]:
    """The same step in PyTorch, eager, float64, on one thread."""
    assert torch is not None
    X, y, weights = data
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    X_t = torch.tensor(X, dtype=torch.float64)
    y_t = torch.tensor(y.reshape(-1, 1), dtype=torch.float64)
    optimizer = torch.optim.SGD(params, lr=W5_LR)
    W1, b1, W2, b2, W3, b3 = params
    loss = torch.tensor(math.nan)
    for _ in range(steps):
        z = torch.tanh(torch.tanh(X_t @ W1 + b1) @ W2 + b2) @ W3 + b3
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y_t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return [p.detach().numpy() for p in params], float(loss.item())


def w5_nodes(m: int) -> int:
    """Nodes in the graph of one step's cost for m examples."""
    from graphgrad.datasets import make_moons
    from graphgrad.nn import MLP, binary_cross_entropy, cost

    X, y = make_moons(m, seed=0)
    mlp = MLP(2, W5_SIZES, seed=0)
    J = cost(binary_cross_entropy(mlp(Value(X, requires_grad=False)), y.reshape(-1, 1)))
    return len(topological_order(J))


def optimizers_against_torch(steps: int = 20) -> float:
    """The largest difference between graphgrad's SGD (momentum, weight decay), Adam
    and AdamW and torch.optim's, over ``steps`` steps on a small network."""
    assert torch is not None
    from graphgrad.nn import MLP, SGD, Adam, AdamW, binary_cross_entropy, cost

    X, y, _ = w5_data(50)
    worst = 0.0
    for ours, theirs, options in [
        (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
        (Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.01}),
        (AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    ]:
        mlp = MLP(2, [8, 1], seed=1)
        params = [torch.tensor(p.data, requires_grad=True) for p in mlp.parameters()]
        mine, torchs = ours(mlp.parameters(), **options), theirs(params, **options)
        X_t, y_t = torch.tensor(X), torch.tensor(y.reshape(-1, 1))
        for _ in range(steps):
            cost(binary_cross_entropy(mlp(X), y.reshape(-1, 1))).backward()
            mine.step()
            z = torch.tanh(X_t @ params[0] + params[1]) @ params[2] + params[3]
            torchs.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(z, y_t).backward()
            torchs.step()
        for p, q in zip(mlp.parameters(), params, strict=True):
            worst = max(worst, float(np.max(np.abs(p.data - q.detach().numpy()))))
    return worst


# --- W6 --------------------------------------------------------------------------------------
# micrograd's demo notebook: its MLP(2, [16, 16, 1]) on 100 moons points, the
# max-margin loss with L2 regularization, then one update; here one such step.


def w6_data(points: int) -> tuple[list[list[float]], list[float]]:
    from graphgrad.datasets import make_moons

    X, y = make_moons(points, noise=0.1, seed=1)
    return X.tolist(), (2.0 * y - 1.0).tolist()  # labels -1 and 1, as the demo's


def w6_micrograd_model() -> Any:
    assert MicroMLP is not None
    random.seed(1337)  # the demo's seed
    return MicroMLP(2, [16, 16, 1])


def w6_micrograd_step(model: Any, data: Any, k: int = 0) -> float:
    """The demo's loss() and one step of its training loop, as written there."""
    X, y = data
    inputs = [list(map(MicroValue, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return float(total_loss.data)


def w6_graphgrad_model(copy_from: Any = None) -> Any:
    """nn.ScalarMLP(2, [16, 16, 1], relu); with ``copy_from``, micrograd's weights."""
    from graphgrad.nn import ScalarMLP

    model = ScalarMLP(2, [16, 16, 1], activation="relu", seed=0)
    if copy_from is not None:
        for ours, theirs in zip(model.parameters(), copy_from.parameters(), strict=True):
            ours.data = float(theirs.data)
    return model


def w6_graphgrad_step(model: Any, data: Any, k: int = 0) -> float:
    """The same step with ScalarMLP: its inputs are the numbers themselves (it makes
    them constant leaves), and backward() needs no zero_grad first."""
    X, y = data
    scores = list(map(model, X))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    parameters = model.parameters()
    reg_loss = alpha * sum(p * p for p in parameters)
    total_loss = data_loss + reg_loss
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in parameters:
        p.data -= learning_rate * p.grad
    return float(total_loss.data)


def w6_compiled(model: Any, data: Any) -> tuple[Callable[[int], float], float, int]:
    """The demo's loss compiled once; each step runs the program, then the same update."""
    from graphgrad import compile as compile_graph
    from graphgrad.graph import topological_order

    X, y = data
    parameters = model.parameters()
    scores = list(map(model, X))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    total_loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in parameters)
    start = time.perf_counter()
    program = compile_graph(total_loss)
    took = time.perf_counter() - start

    def step(k: int = 0) -> float:
        value = program()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in parameters:
            p.data -= learning_rate * p.grad
        return float(value)

    return step, took, len(topological_order(total_loss))


# --- W7 --------------------------------------------------------------------------------------


def w7_chain(op: Callable[[Any], Any], n: int) -> Any:
    x = Value(0.5)
    v = x
    for _ in range(n):
        v = op(v)
    v.backward()
    return x.grad


def w7_defined_sin() -> Callable[[Any], Any]:
    """sin and cos as a user defines them (docs/define_op.md), their rules calling each other."""
    from graphgrad import define_op

    sin = define_op("bench_sin", np.sin, lambda x, out: cos(x))
    cos = define_op("bench_cos", np.cos, lambda x, out: -sin(x))
    return sin


# --- the run ---------------------------------------------------------------------------------


def median_of(
    rounds: int, runs: dict[str, Callable[[], Any]], spread: bool = False
) -> dict[str, Any]:
    """Median seconds of each run, the runs interleaved round by round; with
    ``spread``, (median, fastest, slowest) for each."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            times[name].append(timed(run))
    if spread:
        return {name: (statistics.median(t), min(t), max(t)) for name, t in times.items()}
    return {name: statistics.median(t) for name, t in times.items()}


def machine() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    missing = "not installed (pip install -e '.[bench]')"
    micro = "0.1.0" if MicroValue is not None else missing
    pytorch = torch_version() or missing
    blas = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    return [
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"numpy {np.__version__}, micrograd {micro}, pytorch {pytorch}",
        f"cpu: {cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.machine()}",
        f"environment: {blas or 'no OPENBLAS_* settings'}; garbage collector on",
    ]


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b is not None else "n/a"


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value <= target else f"missed by {value / target:.2f}×"


def measure(workloads: set[str], sizes: Sizes) -> tuple[list[list[str]], list[str]]:
    """Run the chosen workloads in this interpreter; the table's rows and notes."""
    micro = MicroValue is not None
    rows: list[list[str]] = []
    notes: list[str] = []

    if "W1" in workloads:
        # W1
        runs = {"graphgrad": lambda: w1(Value, sizes.w1_reps)}
        if micro:
            runs["micrograd"] = lambda: w1(MicroValue, sizes.w1_reps)
        t = median_of(sizes.w1_rounds, runs)
        g1 = t["graphgrad"] / sizes.w1_reps
        m1 = t["micrograd"] / sizes.w1_reps if micro else None
        rows.append(
            ("W1 J = 3(a + b·c), per repetition", f"{g1 * 1e6:.2f} µs", _us(m1), "", "",
             ratio(g1, m1), f"≤ 0.5× micrograd: {verdict(g1 / m1 if m1 else None, 0.5)}")
        )  # fmt: skip

    if "W2" in workloads:
        # W2
        data = w2_data(sizes.w2_m, sizes.w2_nx)
        runs = {"graphgrad": lambda: w2_build(Value, graphgrad_softplus, data).backward()}
        if micro:
            runs["micrograd"] = lambda: w2_build(MicroValue, micro_softplus, data).backward()
        t = median_of(sizes.w2_rounds, runs)
        g_nodes = graphgrad_nodes(w2_build(Value, graphgrad_softplus, data))
        g2, m2 = t["graphgrad"], t.get("micrograd")
        g_mem = w2_memory(Value, graphgrad_softplus, data) / g_nodes
        m_nodes = micro_nodes(w2_build(MicroValue, micro_softplus, data)) if micro else None
        m_mem = w2_memory(MicroValue, micro_softplus, data) / m_nodes if m_nodes else None
        rows.append(
            (f"W2 scalar LR cost m={sizes.w2_m}, nx={sizes.w2_nx}, build + backward",
             f"{g2 * 1e3:.2f} ms", _ms(m2), "", "", ratio(g2, m2),
             f"≤ 0.5× micrograd: {verdict(g2 / m2 if m2 else None, 0.5)}")
        )  # fmt: skip
        rows.append(
            ("W2 time per node", f"{g2 / g_nodes * 1e6:.3f} µs",
             _us(m2 / m_nodes if m2 and m_nodes else None), "", "",
             ratio(g2 / g_nodes, m2 / m_nodes if m2 and m_nodes else None),
             f"nodes: graphgrad {g_nodes}, micrograd {m_nodes or 'n/a'}")
        )  # fmt: skip
        rows.append(
            ("W2 memory per node (after backward)", f"{g_mem:.0f} B", _bytes(m_mem), "", "",
             ratio(g_mem, m_mem),
             f"≤ 0.5× micrograd: {verdict(g_mem / m_mem if m_mem else None, 0.5)}")
        )  # fmt: skip
        # The same cost, built once and compiled: each evaluation is one call.
        from graphgrad import compile as compile_graph

        J2 = w2_build(Value, graphgrad_softplus, data)
        start = time.perf_counter()
        program2 = compile_graph(J2)
        compile2 = time.perf_counter() - start
        runs2: dict[str, Callable[[], Any]] = {"compiled": program2}
        if micro:
            runs2["micrograd"] = runs["micrograd"]
        t2 = median_of(sizes.w2_rounds, runs2)
        c2 = t2["compiled"]
        m2c = t2.get("micrograd")
        rows.append(
            ("W2 compiled (graphgrad.compile), per evaluation", f"{c2 * 1e3:.3f} ms",
             _ms(m2c), "", "", ratio(c2, m2c),
             f"≤ 0.03× micrograd: {verdict(c2 / m2c if m2c else None, 0.03)}")
        )  # fmt: skip
        rows.append(
            ("W2 compiling, per node", f"{compile2 / g_nodes * 1e6:.1f} µs", "", "", "", "",
             f"≤ 15 µs: {verdict(compile2 / g_nodes * 1e6, 15.0)}; {compile2 * 1e3:.0f} ms "
             f"for {g_nodes} nodes, repaid after {compile2 / max(g2 - c2, 1e-12):.0f} evaluations")
        )  # fmt: skip

    if "W3" in workloads:
        # W3
        per_op: dict[int, float] = {}
        for n in sizes.w3_lengths:
            t = median_of(sizes.w3_rounds, {"graphgrad": lambda n=n: w3(Value, n)})
            per_op[n] = t["graphgrad"] / n
        first = sizes.w3_lengths[0]
        micro_note = ""
        if micro:
            limit = micrograd_chain_limit()
            # A little below the limit: the timing harness itself takes a few frames.
            short = max(1, limit - 50)
            mt = median_of(sizes.w3_rounds, {"micrograd": lambda: w3(MicroValue, short)})[
                "micrograd"
            ]
            gt = median_of(sizes.w3_rounds, {"graphgrad": lambda: w3(Value, short)})["graphgrad"]
            micro_note = (
                f"RecursionError beyond a chain of {limit:,} ops (Python's recursion limit is "
                f"{sys.getrecursionlimit():,}); at N = {short:,}: micrograd {mt / short * 1e6:.2f} "
                f"µs/op, graphgrad {gt / short * 1e6:.2f} µs/op ({gt / mt:.2f}×)"
            )
        previous = None
        for n in sizes.w3_lengths:
            growth = ""
            if previous is not None:
                factor = per_op[n] * n / (per_op[previous] * previous)
                growth = f"; time ×{factor:.1f} for N ×{n // previous}"
            rows.append(
                (f"W3 chain N = {n:,}, per op", f"{per_op[n] * 1e6:.2f} µs",
                 "RecursionError" if micro and n > limit else ("" if not micro else "runs"), "",
                 "", "", f"per-op time / N={first:,}'s: {per_op[n] / per_op[first]:.2f}{growth}")
            )  # fmt: skip
            previous = n
        last, before_last = sizes.w3_lengths[-1], sizes.w3_lengths[-2]
        drift = per_op[last] / per_op[before_last]
        # Linear: the cost per op has stopped growing between the two longest chains.
        notes.append(
            f"W3 linear to {last:,}: {'met' if drift <= 1.15 else 'missed'} (per-op time at "
            f"N = {last:,} is {drift:.2f}× that at N = {before_last:,}; 1.15× allowed for noise)"
        )
        if micro_note:
            notes.append("W3 micrograd: " + micro_note)
        chain_mem = {}
        for n in sizes.w3_lengths[-2:]:
            gc.collect()
            tracemalloc.start()
            x, c = Value(0.5), Value(1.0)
            v = x
            for _ in range(n):
                v = v * c
            v.backward()
            chain_mem[n] = tracemalloc.get_traced_memory()[1] / n
            tracemalloc.stop()
            del v, x, c
        notes.append(
            "W3 peak memory per op (build + backward): "
            + ", ".join(f"N = {n:,}: {b:.0f} B" for n, b in chain_mem.items())
        )

    if "W4" in workloads:
        # W4
        X, y = w4_data(sizes.w4_m, sizes.w4_nx)
        w_np, b_np, J_np = w4_numpy(X, y, sizes.w4_steps)
        w_gg, b_gg, J_gg = w4_graphgrad(X, y, sizes.w4_steps)
        gap = max(float(np.max(np.abs(w_np - w_gg))), abs(b_np - b_gg), abs(J_np - J_gg))
        t = median_of(
            sizes.w4_rounds,
            {
                "graphgrad": lambda: w4_graphgrad(X, y, sizes.w4_steps),
                "numpy": lambda: w4_numpy(X, y, sizes.w4_steps),
                "numpy without J": lambda: w4_numpy(X, y, sizes.w4_steps, cost=False),
            },
        )
        steps = sizes.w4_steps
        g4, n4, lean4 = (t[k] / steps for k in ("graphgrad", "numpy", "numpy without J"))
        rows.append(
            (f"W4 vectorized LR m={sizes.w4_m:,}, nx={sizes.w4_nx}, per step",
             f"{g4 * 1e3:.3f} ms", "", "", f"{n4 * 1e3:.3f} ms", ratio(g4, n4),
             f"≤ 1.5× numpy: {verdict(g4 / n4, 1.5)}")
        )  # fmt: skip
        notes.append(
            f"W4: both compute J, dw and db each step; a numpy step that skips J takes "
            f"{lean4 * 1e3:.3f} ms (graphgrad {g4 / lean4:.2f}× that). After {steps} steps "
            f"w, b and J differ by {gap:.1e} between graphgrad and numpy"
        )
        # Timed apart from the graph above: in the same rotation, its allocations
        # slowed the graphgrad rounds that followed it by about 10 %.
        fits = median_of(
            sizes.w4_rounds,
            {
                "fit": lambda: w4_fit(X, y, steps),
                "numpy": lambda: w4_numpy(X, y, steps),
                "eager fit": lambda: w4_fit(X, y, steps, compiled=False),
            },
        )
        fit4, fit_n4, eager4 = (fits[k] / steps for k in ("fit", "numpy", "eager fit"))
        rows.append(
            ("W4 LogisticRegression.fit (compiled), per step", f"{fit4 * 1e3:.3f} ms", "", "",
             f"{fit_n4 * 1e3:.3f} ms", ratio(fit4, fit_n4),
             f"≤ 1.0× numpy: {verdict(fit4 / fit_n4, 1.0)}")
        )  # fmt: skip
        notes.append(
            f"W4: LogisticRegression(lr={LEARNING_RATE}, epochs={steps}).fit(X, y) with "
            f"compile=False takes {eager4 * 1e3:.3f} ms per step ({eager4 / fit_n4:.2f}× numpy)"
        )

    if "W5" in workloads:
        # W5
        if load_torch():
            torch.set_num_threads(1)
        data = w5_data(sizes.w5_m)
        steps = sizes.w5_steps
        runs = {
            "graphgrad": lambda: w5_graphgrad(data, steps),
            "numpy": lambda: w5_numpy(data, steps),
        }
        if torch is not None:
            runs["pytorch"] = lambda: w5_torch(data, steps)
        ours, ours_cost = w5_graphgrad(data, steps)
        gaps = {}
        for name in runs:
            if name != "graphgrad":
                theirs, their_cost = runs[name]()
                gaps[name] = max(
                    abs(ours_cost - their_cost),
                    *(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs, strict=True)),
                )
        t = median_of(sizes.w5_rounds, runs, spread=True)
        g5, n5 = t["graphgrad"][0] / steps, t["numpy"][0] / steps
        p5 = t["pytorch"][0] / steps if "pytorch" in t else None
        spread = ", ".join(
            f"{name} {low / steps * 1e6:.0f}–{high / steps * 1e6:.0f} µs"
            for name, (_, low, high) in t.items()
        )
        title = f"W5 MLP 2-16-16-1 tanh step, m={sizes.w5_m}"
        rows.append(
            (f"{title}, vs numpy", f"{g5 * 1e6:.0f} µs", "", "", f"{n5 * 1e6:.0f} µs",
             ratio(g5, n5), f"≤ 1.5× numpy: {verdict(g5 / n5, 1.5)}")
        )  # fmt: skip
        rows.append(
            (f"{title}, vs PyTorch", f"{g5 * 1e6:.0f} µs", "", _us(p5, 0), "", ratio(g5, p5),
             f"≤ 0.75× PyTorch: {verdict(g5 / p5 if p5 else None, 0.75)}")
        )  # fmt: skip
        notes.append(
            f"W5: median of {sizes.w5_rounds} rounds of {steps} steps; range over the rounds: "
            f"{spread}. After {steps} steps the parameters and cost differ from numpy's by "
            f"{gaps['numpy']:.1e}"
            + (f" and from PyTorch's by {gaps['pytorch']:.1e}" if "pytorch" in gaps else "")
        )
        # Compiled once, then called: the program and SGD.step for each step.
        compiled, compile5, nodes5 = w5_compiled(data)
        jitted = w5_jax(data)
        runs5: dict[str, Callable[[], Any]] = {
            "compiled": lambda: compiled(steps),
            "numpy": lambda: w5_numpy(data, steps),
        }
        if torch is not None:
            runs5["pytorch"] = lambda: w5_torch(data, steps)
        if jitted is not None:
            runs5["jax.jit"] = lambda: jitted(steps)
        mine, mine_cost = compiled(steps)
        same = all(np.array_equal(a, b) for a, b in zip(mine, ours, strict=True))
        t5 = median_of(sizes.w5_rounds, runs5, spread=True)
        c5, cn5 = t5["compiled"][0] / steps, t5["numpy"][0] / steps
        cp5 = t5["pytorch"][0] / steps if "pytorch" in t5 else None
        cj5 = t5["jax.jit"][0] / steps if "jax.jit" in t5 else None
        ctitle = f"W5 compiled (graphgrad.compile, then SGD.step), m={sizes.w5_m}"
        rows.append(
            (f"{ctitle}, vs numpy", f"{c5 * 1e6:.0f} µs", "", "", f"{cn5 * 1e6:.0f} µs",
             ratio(c5, cn5), f"≤ 0.75× numpy: {verdict(c5 / cn5, 0.75)}")
        )  # fmt: skip
        rows.append(
            (f"{ctitle}, vs PyTorch", f"{c5 * 1e6:.0f} µs", "", _us(cp5, 0), "", ratio(c5, cp5),
             f"≤ 0.25× PyTorch: {verdict(c5 / cp5 if cp5 else None, 0.25)}")
        )  # fmt: skip
        rows.append(
            (f"{ctitle}, vs jax.jit", f"{c5 * 1e6:.0f} µs", "", _us(cj5, 0), "", ratio(c5, cj5),
             f"≤ 0.7× jax.jit: {verdict(c5 / cj5 if cj5 else None, 0.7)}"
             + ("" if cj5 else " (jax not installed)"))
        )  # fmt: skip
        cspread = ", ".join(
            f"{name} {low / steps * 1e6:.0f}–{high / steps * 1e6:.0f} µs"
            for name, (_, low, high) in t5.items()
        )
        notes.append(
            f"W5 compiled: compile() took {compile5 * 1e3:.1f} ms for {nodes5} nodes "
            f"({compile5 / nodes5 * 1e6:.0f} µs per node); range over the rounds: {cspread}; "
            f"after {steps} steps the parameters {'equal' if same else 'differ from'} eager "
            f"graphgrad's (cost {mine_cost!r} and {ours_cost!r})"
        )
        small, large = w5_nodes(sizes.w5_m), w5_nodes(100 * sizes.w5_m)
        notes.append(
            f"W5 nodes per step: {small} for m = {sizes.w5_m:,}, {large} for "
            f"m = {100 * sizes.w5_m:,} (two per layer, six for the cost with its two "
            "numbers, the leaves)"
        )
        if torch is not None:
            notes.append(
                "W5 optimizers: SGD (momentum 0.9, weight decay), Adam and AdamW against "
                f"torch.optim over 20 steps: largest difference {optimizers_against_torch():.1e}"
            )

    if "W6" in workloads:
        # W6
        data = w6_data(sizes.w6_points)
        micro = MicroMLP is not None
        models: dict[str, Any] = {"graphgrad": w6_graphgrad_model()}
        runs = {"graphgrad": lambda: w6_graphgrad_step(models["graphgrad"], data)}
        if micro:
            models["micrograd"] = w6_micrograd_model()
            runs["micrograd"] = lambda: w6_micrograd_step(models["micrograd"], data)
            twin = w6_graphgrad_model(copy_from=w6_micrograd_model())
            loss_gap = max(
                abs(
                    w6_micrograd_step(models["micrograd"], data, k)
                    - w6_graphgrad_step(twin, data, k)
                )
                for k in range(2)
            )
        t = median_of(sizes.w6_rounds, runs, spread=True)
        g6 = t["graphgrad"][0]
        m6 = t["micrograd"][0] if micro else None
        rows.append(
            (f"W6 micrograd's demo step, {sizes.w6_points} points (ScalarMLP)",
             f"{g6 * 1e3:.1f} ms", _ms(m6, 1), "", "", ratio(g6, m6),
             f"≤ 0.25× micrograd: {verdict(g6 / m6 if m6 else None, 0.25)}")
        )  # fmt: skip
        spread = ", ".join(
            f"{name} {low * 1e3:.0f}–{high * 1e3:.0f} ms" for name, (_, low, high) in t.items()
        )
        notes.append(f"W6: median of {sizes.w6_rounds} steps; range: {spread}")
        step6, compile6, nodes6 = w6_compiled(w6_graphgrad_model(), data)
        runs6: dict[str, Callable[[], Any]] = {"compiled": step6}
        if micro:
            runs6["micrograd"] = runs["micrograd"]
        t6 = median_of(sizes.w6_rounds, runs6)
        c6, m6c = t6["compiled"], t6.get("micrograd")
        rows.append(
            (f"W6 compiled (graphgrad.compile), {sizes.w6_points} points, per step",
             f"{c6 * 1e3:.2f} ms", _ms(m6c, 1), "", "", ratio(c6, m6c),
             f"≤ 0.05× micrograd: {verdict(c6 / m6c if m6c else None, 0.05)}")
        )  # fmt: skip
        notes.append(
            f"W6 compiled: compile() took {compile6 * 1e3:.0f} ms for {nodes6} nodes "
            f"({compile6 / nodes6 * 1e6:.1f} µs per node)"
        )
        if micro:
            notes.append(
                "W6: started from micrograd's weights, graphgrad's loss equals micrograd's "
                f"to {loss_gap:.1e} over two steps"
            )

    if "W7" in workloads:
        sin = w7_defined_sin()
        n = sizes.w7_length
        t = median_of(
            sizes.w7_rounds,
            {"tanh": lambda: w7_chain(Value.tanh, n), "defined": lambda: w7_chain(sin, n)},
        )
        ratio7 = t["defined"] / t["tanh"]
        rows.append(
            (f"W7 chain of a defined op (sin), N = {n:,}, per op",
             f"{t['defined'] / n * 1e6:.2f} µs", "", "", "", f"{ratio7:.2f}× tanh",
             f"≤ 1.5× a built-in tanh chain ({t['tanh'] / n * 1e6:.2f} µs/op): "
             f"{verdict(ratio7, 1.5)}")
        )  # fmt: skip

    return rows, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="threads for numpy's BLAS (both numpy and graphgrad use it); on a busy "
        "machine 1 keeps the matrix products from waiting for each other",
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        metavar="LIST",
        help="the workloads to run, e.g. W1,W4 (default: all)",
    )
    parser.add_argument(
        "--without",
        default="",
        metavar="LIST",
        help="measure as if these were not installed: micrograd, torch, jax (n/a in the table)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workloads = {w.strip().upper() for w in args.only.split(",")}
    unknown = workloads - set(WORKLOADS)
    if unknown:
        parser.error(
            f"unknown workload(s) {', '.join(sorted(unknown))}: choose from {', '.join(WORKLOADS)}"
        )
    without = {w.strip() for w in args.without.split(",") if w.strip()}
    if without - {"micrograd", "torch", "jax"}:
        parser.error("--without takes micrograd, torch, jax or several of them")
    sizes = QUICK if args.quick else FULL
    if args.child:
        rows, notes = measure(workloads, sizes)
        print(json.dumps({"rows": rows, "notes": notes}))
        return 0
    print("graphgrad benchmark" + (" (quick: sizes too small to judge)" if args.quick else ""))
    for line in machine():
        print("  " + line)
    print("  each workload runs in a fresh interpreter (no heap left over from another)")
    rows = []
    notes = []
    for name in WORKLOADS:
        if name not in workloads:
            continue
        command = [sys.executable, __file__, "--only", name, "--child"]
        if args.quick:
            command.append("--quick")
        if without:
            command += ["--without", ",".join(sorted(without))]
        # The child inherits the environment, --blas-threads included.
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode != 0:
            rows.append([f"{name} failed", "", "", "", "", "", child.stderr.strip()[-200:]])
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        rows += result["rows"]
        notes += result["notes"]
    header = ("workload", "graphgrad", "micrograd", "pytorch", "numpy", "ratio", "target / note")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    for note in notes:
        print("- " + note)
    return 0


def _us(x: float | None, digits: int = 2) -> str:
    return f"{x * 1e6:.{digits}f} µs" if x is not None else "n/a"


def _ms(x: float | None, digits: int = 2) -> str:
    return f"{x * 1e3:.{digits}f} ms" if x is not None else "n/a"


def _bytes(x: float | None) -> str:
    return f"{x:.0f} B" if x is not None else "n/a"


if __name__ == "__main__":
    sys.exit(main())
