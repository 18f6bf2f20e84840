"""The house-price ReLU neuron against an independent numpy version, and the light import."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from graphgrad import Value
from graphgrad.nn import ReLURegressor

Array = Any


def houses(m: int, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.3, 3.5, size=m)  # thousands of square feet
    price = np.maximum(0.0, 250.0 * size - 150.0 + rng.uniform(-30, 30, size=m))
    return size.reshape(-1, 1), price


def numpy_relu_gradient_descent(X: Array, y: Array, lr: float, epochs: int) -> tuple[Array, float]:
    m, nx = X.shape
    w, b = np.zeros(nx), max(float(np.mean(y)), 0.0)
    for _ in range(epochs):
        z = X @ w + b
        dz = (np.maximum(z, 0.0) - y) * (z > 0)  # dJ/dŷ · relu'(z), J = mean (ŷ - y)² / 2
        w = w - lr * (X.T @ dz) / m
        b = b - lr * float(np.sum(dz)) / m
    return w, b


def test_gradients_equal_the_closed_form() -> None:
    X, y = houses(30, seed=1)
    w, b = Value(np.array([120.0]), label="w"), Value(-20.0, label="b")
    J = ReLURegressor().cost_graph(Value(X), Value(y), w, b)
    J.backward()
    z = X @ w.data + b.data
    dz = (np.maximum(z, 0) - y) * (z > 0)
    np.testing.assert_allclose(w.grad, X.T @ dz / 30, rtol=1e-12)
    assert b.grad == pytest.approx(np.mean(dz), rel=1e-12)
    assert J.data == pytest.approx(np.mean((np.maximum(z, 0) - y) ** 2) / 2, rel=1e-12)


def test_fit_equals_an_independent_numpy_gradient_descent() -> None:
    X, y = houses(80, seed=2)
    model = ReLURegressor(lr=0.1, epochs=400).fit(X, y, progress=False)
    w, b = numpy_relu_gradient_descent(X, y, 0.1, 400)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-12, atol=1e-9)
    assert model.intercept_ == pytest.approx(b, rel=1e-12, abs=1e-9)


def test_the_neuron_learns_the_price_line_and_bends_it_at_zero() -> None:
    X, y = houses(200, seed=3)
    model = ReLURegressor(lr=0.1, epochs=3000).fit(X, y, progress=False)
    assert model.coef_[0] == pytest.approx(250.0, rel=0.05)
    assert model.intercept_ == pytest.approx(-150.0, abs=15.0)
    assert model.score(X, y) > 0.97
    assert model.predict(np.array([[0.1]]))[0] == 0.0  # a tiny house: the ReLU's flat part
    assert np.all(model.predict(X) >= 0.0)


def test_vectorized_fit_equals_the_scalar_path() -> None:
    X, y = houses(12, seed=4)
    fast = ReLURegressor(lr=0.1, epochs=40).fit(X, y, progress=False)
    slow = ReLURegressor(lr=0.1, epochs=40, vectorized=False).fit(X, y, progress=False)
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-12)
    assert fast.intercept_ == pytest.approx(slow.intercept_, rel=1e-12)


def test_score_is_r_squared_and_inputs_are_checked() -> None:
    X, y = houses(20, seed=5)
    model = ReLURegressor(epochs=10).fit(X, y, progress=False)
    predicted = model.predict(X)
    r2 = 1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert model.score(X, y) == pytest.approx(r2)
    with pytest.raises(ValueError, match=r"y must hold finite.*y\[0\]"):
        model.fit(X, np.r_[np.inf, y[1:]], progress=False)
    with pytest.raises(ValueError, match="y has 3 entries"):
        model.fit(X, y[:3], progress=False)
    with pytest.raises(ValueError, match="X must be 2-D"):
        model.predict(X.ravel())


def test_import_graphgrad_stays_light() -> None:
    code = (
        "import sys, graphgrad; graphgrad.nn.LogisticRegression; "
        "print(sorted(m for m in ('tqdm', 'matplotlib', 'graphgrad.nn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['graphgrad.nn']"
