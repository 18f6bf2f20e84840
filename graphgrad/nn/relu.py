"""The notes' first example: one ReLU neuron predicting a house's price from its size."""

from __future__ import annotations

import numpy as np

from graphgrad import ops
from graphgrad.nn._checks import Array, check_y
from graphgrad.nn._model import NeuronModel
from graphgrad.nn.losses import squared_error
from graphgrad.value import Value


class ReLURegressor(NeuronModel):
    """Regression with one ReLU neuron: ŷ = relu(X @ w + b), cost = mean (ŷ - y)² / 2.

    The ReLU keeps predictions non-negative: below some size the line is
    bent flat at zero, the notes' picture of price against house size.
    Training starts from w = 0 and b = mean(y) (or 0 if that is negative),
    so the neuron starts active: at w = 0, b = 0 relu would pass no gradient.

    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [3.0]])
    >>> y = np.array([1.0, 3.0, 5.0])              # y = 2x - 1
    >>> model = ReLURegressor(lr=0.1, epochs=2000).fit(X, y, progress=False)
    >>> model.predict(np.array([[4.0], [0.0]])).round(6)
    array([7., 0.])
    """

    def _loss(self, z: Value, y: Value) -> Value:
        y_hat = z.relu()
        y_hat.label = "ŷ"
        return squared_error(y_hat, y)

    def _check_targets(self, y: object, m: int, nx: int | None = None) -> Array:
        return check_y(y, m, nx=nx)

    def _initial_parameters(self, X: Array, y: Array) -> tuple[Array, float]:
        return np.zeros(X.shape[1]), max(float(np.mean(y)), 0.0)

    def predict(self, X: object) -> Array:
        """ŷ = relu(X @ w + b) for each example, shape (m,)."""
        return np.asarray(ops.relu(self.decision_function(X)), dtype=np.float64)

    def score(self, X: object, y: object) -> float:
        """R², as scikit-learn's regressors: 1 - Σ(y - ŷ)² / Σ(y - mean y)²."""
        predicted = self.predict(X)
        targets = check_y(y, predicted.shape[0])
        residual = float(np.sum((targets - predicted) ** 2))
        spread = float(np.sum((targets - targets.mean()) ** 2))
        if spread == 0.0:
            return 1.0 if residual == 0.0 else 0.0
        return 1.0 - residual / spread
