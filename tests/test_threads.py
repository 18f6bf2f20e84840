"""Engine state is per thread: grad mode, transforms, backward passes.

Each test runs real threads, held at the same point with barriers and events,
so that what one thread does is in progress while the other works.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from graphgrad import Value, grad, is_grad_enabled, no_grad


def run_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in a thread of its own; their results, or raise the first error."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def wrap(i: int, target: Callable[[], Any]) -> None:
        try:
            results[i] = target()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_no_grad_in_one_thread_does_not_stop_another_recording() -> None:
    inside, done = threading.Event(), threading.Event()

    def holds_no_grad() -> bool:
        with no_grad():
            inside.set()
            done.wait(timeout=30)
            return is_grad_enabled()

    def records() -> float:
        inside.wait(timeout=30)
        try:
            x = Value(3.0)
            (x * x).backward()
            return float(x.grad)
        finally:
            done.set()

    enabled_inside, gradient = run_threads(holds_no_grad, records)
    assert enabled_inside is False
    assert gradient == 6.0  # the issue saw 0.0: no graph was recorded
    assert is_grad_enabled()


def test_overlapping_no_grad_blocks_leave_grad_mode_on() -> None:
    barrier = threading.Barrier(2)

    def nested_no_grad(first: bool) -> bool:
        barrier.wait(timeout=30)
        with no_grad():
            barrier.wait(timeout=30)  # both inside
            if first:
                barrier.wait(timeout=30)  # the other leaves first
            else:
                pass
        if not first:
            barrier.wait(timeout=30)
        return is_grad_enabled()

    assert run_threads(lambda: nested_no_grad(True), lambda: nested_no_grad(False)) == [True, True]
    assert is_grad_enabled()  # and in the main thread, which never entered one


def test_threads_each_running_backward_get_their_own_gradients() -> None:
    barrier = threading.Barrier(4)

    def worker(k: int) -> list[float]:
        rng = np.random.default_rng(k)
        found = []
        for _ in range(200):
            a, b = Value(float(rng.normal())), Value(float(rng.normal()))
            J = (a * b + a.tanh()) * (k + 1)
            if not found:
                barrier.wait(timeout=30)
            J.backward()
            expected = (b.data + 1 - np.tanh(a.data) ** 2) * (k + 1)
            found.append(abs(a.grad - expected))
            assert b.grad == a.data * (k + 1)
        return found

    for errors in run_threads(*(lambda k=k: worker(k) for k in range(4))):
        assert max(errors) < 1e-12


def test_array_backward_in_threads_restores_numpys_error_state() -> None:
    before = np.geterr()

    def worker(k: int) -> float:
        x = Value(np.linspace(0.1, 1.0, 50) * (k + 1))
        for _ in range(50):
            (x * x).sum().backward()
        return float(x.grad.sum())

    results = run_threads(*(lambda k=k: worker(k) for k in range(4)))
    for k, total in enumerate(results):
        assert np.isclose(total, 2 * np.sum(np.linspace(0.1, 1.0, 50) * (k + 1)))
    assert np.geterr() == before


def test_grad_in_one_thread_does_not_make_another_return_a_value() -> None:
    inside, done = threading.Event(), threading.Event()

    def outer(t: Value) -> Value:
        inside.set()
        done.wait(timeout=30)
        return t * t

    def other() -> object:
        inside.wait(timeout=30)
        try:
            return grad(lambda t: t**3)(2.0)
        finally:
            done.set()

    first, second = run_threads(lambda: grad(outer)(3.0), other)
    assert first == 6.0
    assert type(second) is float and second == 12.0
