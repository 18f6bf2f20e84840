"""The deep-learning notes' worked examples, reproduced exactly.

Every expected number here is the one the notes derive by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgrad import Value


def test_computation_graph_J_equals_3_times_a_plus_b_c() -> None:
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    v = a + u
    J = 3 * v
    assert (u.data, v.data, J.data) == (6.0, 11.0, 33.0)

    J.backward()

    assert v.grad == 3.0  # dJ/dv
    assert u.grad == 3.0  # dJ/du = dJ/dv * dv/du
    assert a.grad == 3.0  # dJ/da = dJ/dv * dv/da
    assert b.grad == 6.0  # dJ/db = dJ/du * du/db = 3 * c
    assert c.grad == 9.0  # dJ/dc = dJ/du * du/dc = 3 * b
    assert J.grad == 1.0


@pytest.mark.parametrize(("power", "expected"), [(2, 4.0), (3, 12.0)])
def test_derivative_of_x_squared_and_cubed_at_2(power: int, expected: float) -> None:
    x = Value(2.0, label="x")
    y = x**power
    y.backward()
    assert y.data == 2.0**power
    assert x.grad == expected


def test_one_example_of_logistic_regression_matches_the_notes_closed_forms() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        x1_, x2_, w1_, w2_, b_ = (float(v) for v in rng.normal(size=5))
        y_ = float(rng.integers(0, 2))
        x1, x2, y = Value(x1_, label="x1"), Value(x2_, label="x2"), Value(y_, label="y")
        w1, w2, b = Value(w1_, label="w1"), Value(w2_, label="w2"), Value(b_, label="b")

        z = w1 * x1 + w2 * x2 + b
        a = z.sigmoid()
        L = -(y * a.log() + (1 - y) * (1 - a).log())
        L.backward()

        # The notes' answers, computed here with plain floats.
        z_ = w1_ * x1_ + w2_ * x2_ + b_
        a_ = 1.0 / (1.0 + math.exp(-z_))
        dz = a_ - y_
        assert a.data == pytest.approx(a_, rel=1e-12)
        assert L.data == pytest.approx(-(y_ * math.log(a_) + (1 - y_) * math.log(1 - a_)))
        assert z.grad == pytest.approx(dz, rel=1e-9, abs=1e-12)
        assert w1.grad == pytest.approx(x1_ * dz, rel=1e-9, abs=1e-12)
        assert w2.grad == pytest.approx(x2_ * dz, rel=1e-9, abs=1e-12)
        assert b.grad == pytest.approx(dz, rel=1e-9, abs=1e-12)
        assert a.grad == pytest.approx(-y_ / a_ + (1 - y_) / (1 - a_), rel=1e-9)
