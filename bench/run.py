"""graphgrad against micrograd 0.1.0 and hand-written numpy, in one run.

    python -m pip install -e ".[bench]"    # micrograd==0.1.0, for this benchmark only
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
  W5  a chain of N ops defined with graphgrad.define_op (sin, its rule cos),
      build + backward, against a chain of the built-in tanh: time per op

Timings keep Python's garbage collector on, as users run.  Before each timed
repetition the collector is run (untimed), so no library pays for garbage
another one left.  Each figure is the median over several rounds, libraries
interleaved round by round; only ratios within one run mean much.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
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

try:
    from micrograd.engine import Value as MicroValue
except ImportError:  # the benchmark still measures graphgrad against numpy
    MicroValue = None


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
    w5_length: int
    w5_rounds: int


# W3 adds N = 2e6 to the 1e3..1e6: time per op must have stopped growing.
FULL = Sizes(
    2000, 21, 200, 20, 21, (1_000, 10_000, 100_000, 1_000_000, 2_000_000), 3, 10_000, 64, 100, 21,
    20_000, 21,
)  # fmt: skip
QUICK = Sizes(100, 3, 20, 5, 2, (1_000, 10_000), 1, 500, 8, 5, 2, 200, 2)
WORKLOADS = ("W1", "W2", "W3", "W4", "W5")


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


# --- W5 --------------------------------------------------------------------------------------


def w5_chain(op: Callable[[Any], Any], n: int) -> Any:
    x = Value(0.5)
    v = x
    for _ in range(n):
        v = op(v)
    v.backward()
    return x.grad


def w5_defined_sin() -> Callable[[Any], Any]:
    """sin and cos as a user defines them (docs/define_op.md), their rules calling each other."""
    from graphgrad import define_op

    sin = define_op("bench_sin", np.sin, lambda x, out: cos(x))
    cos = define_op("bench_cos", np.cos, lambda x, out: -sin(x))
    return sin


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


def w4_fit(X: Any, y: Any, steps: int) -> Any:
    """The library's own LogisticRegression, trained with the same steps."""
    from graphgrad.nn import LogisticRegression

    return LogisticRegression(lr=LEARNING_RATE, epochs=steps).fit(X, y, progress=False)


# --- the run ---------------------------------------------------------------------------------


def median_of(rounds: int, runs: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Median seconds of each run, the runs interleaved round by round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            times[name].append(timed(run))
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
    micro = "0.1.0" if MicroValue is not None else "not installed (pip install -e '.[bench]')"
    blas = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    return [
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"numpy {np.__version__}, micrograd {micro}",
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
            ("W1 J = 3(a + b·c), per repetition", f"{g1 * 1e6:.2f} µs", _us(m1), "",
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
             f"{g2 * 1e3:.2f} ms", _ms(m2), "", ratio(g2, m2),
             f"≤ 0.5× micrograd: {verdict(g2 / m2 if m2 else None, 0.5)}")
        )  # fmt: skip
        rows.append(
            ("W2 time per node", f"{g2 / g_nodes * 1e6:.3f} µs",
             _us(m2 / m_nodes if m2 and m_nodes else None), "",
             ratio(g2 / g_nodes, m2 / m_nodes if m2 and m_nodes else None),
             f"nodes: graphgrad {g_nodes}, micrograd {m_nodes or 'n/a'}")
        )  # fmt: skip
        rows.append(
            ("W2 memory per node (after backward)", f"{g_mem:.0f} B", _bytes(m_mem), "",
             ratio(g_mem, m_mem),
             f"≤ 0.5× micrograd: {verdict(g_mem / m_mem if m_mem else None, 0.5)}")
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
                 "", f"per-op time / N={first:,}'s: {per_op[n] / per_op[first]:.2f}{growth}")
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
             f"{g4 * 1e3:.3f} ms", "", f"{n4 * 1e3:.3f} ms", ratio(g4, n4),
             f"≤ 1.5× numpy: {verdict(g4 / n4, 1.5)}")
        )  # fmt: skip
        notes.append(
            f"W4: both compute J, dw and db each step; a numpy step that skips J takes "
            f"{lean4 * 1e3:.3f} ms (graphgrad {g4 / lean4:.2f}× that). After {steps} steps "
            f"w, b and J differ by {gap:.1e} between graphgrad and numpy"
        )
        # Timed on its own: in the same rotation, its allocations slowed the
        # graphgrad rounds that followed it by about 10 %.
        fit4 = median_of(sizes.w4_rounds, {"fit": lambda: w4_fit(X, y, steps)})["fit"] / steps
        notes.append(
            f"W4: LogisticRegression(lr={LEARNING_RATE}, epochs={steps}).fit(X, y) on the same "
            f"data takes {fit4 * 1e3:.3f} ms per step ({fit4 / n4:.2f}× numpy): the graph above "
            "plus the optimizer's bookkeeping"
        )

    if "W5" in workloads:
        sin = w5_defined_sin()
        n = sizes.w5_length
        t = median_of(
            sizes.w5_rounds,
            {"tanh": lambda: w5_chain(Value.tanh, n), "defined": lambda: w5_chain(sin, n)},
        )
        ratio5 = t["defined"] / t["tanh"]
        per_op = t["defined"] / n
        rows.append(
            (f"W5 chain of a defined op (sin), N = {n:,}, per op", f"{per_op * 1e6:.2f} µs",
             "", "", f"{ratio5:.2f}× tanh",
             f"≤ 1.5× a built-in tanh chain ({t['tanh'] / n * 1e6:.2f} µs/op): "
             f"{verdict(ratio5, 1.5)}")
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
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workloads = {w.strip().upper() for w in args.only.split(",")}
    unknown = workloads - set(WORKLOADS)
    if unknown:
        parser.error(
            f"unknown workload(s) {', '.join(sorted(unknown))}: choose from {', '.join(WORKLOADS)}"
        )
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
        # The child inherits the environment, --blas-threads included.
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode != 0:
            rows.append([f"{name} failed", "", "", "", "", child.stderr.strip()[-200:]])
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        rows += result["rows"]
        notes += result["notes"]
    header = ("workload", "graphgrad", "micrograd", "numpy", "ratio", "target / note")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    for note in notes:
        print("- " + note)
    return 0


def _us(x: float | None) -> str:
    return f"{x * 1e6:.2f} µs" if x is not None else "n/a"


def _ms(x: float | None) -> str:
    return f"{x * 1e3:.2f} ms" if x is not None else "n/a"


def _bytes(x: float | None) -> str:
    return f"{x:.0f} B" if x is not None else "n/a"


if __name__ == "__main__":
    sys.exit(main())
