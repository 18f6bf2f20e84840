"""Logistic regression as the notes derive it, trained by gradient descent on Values."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from graphgrad import ops
from graphgrad.nn._checks import Array, check_labels
from graphgrad.nn._model import NeuronModel
from graphgrad.nn._training import CostGraph, Step, make_step
from graphgrad.nn.classifier import class_index, encode_labels, label_array
from graphgrad.nn.losses import logistic_loss, notes_logistic_loss
from graphgrad.nn.optim import Newton
from graphgrad.value import Value

#: ``classes_`` of a model fitted on numeric labels: the notes' 0 and 1.
NUMERIC_CLASSES = np.array([0, 1])
NUMERIC_CLASSES.setflags(write=False)


def _holds_text(y: object) -> bool:
    """Whether y is an array (or list) of strings: labels named, not numbered."""
    if isinstance(y, (str, bytes, Value)):
        return False
    try:
        return np.asarray(y).dtype.kind == "U"
    except (TypeError, ValueError):  # ragged: the numeric checks say what is wrong
        return False


def _shown(classes: npt.NDArray[Any]) -> str:
    return ", ".join(repr(c) for c in classes[:5].tolist()) + (", ..." if len(classes) > 5 else "")


class LogisticRegression(NeuronModel):
    """Binary logistic regression: a = sigmoid(X @ w + b), cost = mean cross-entropy.

    Shaped like scikit-learn's estimators: X is (m, nx), one row per example;
    y holds the labels 0 and 1 (ints, floats or bools), or two labels given as
    strings, which ``classes_`` lists sorted (``classes_[1]`` is class 1) and
    ``predict`` returns.  Training is plain
    gradient descent from w = 0, b = 0; each step builds the cost graph
    (X @ w + b -> L -> J), calls ``backward()`` and moves w and b by -lr·grad.
    With ``solver="newton"`` each epoch is instead one step of Newton's method
    with the cost's Hessian (see docs/higher_order.md): a handful of epochs
    reach the minimum.

    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 1])
    >>> model = LogisticRegression(lr=0.5, epochs=500).fit(X, y, progress=False)
    >>> model.predict(X)
    array([0, 0, 0, 1, 1, 1])
    >>> model.score(X, y)
    0.6666666666666666
    >>> model.predict_proba(np.array([[2.5]])).round(3)  # the boundary: a = 0.5 at x = 2.5
    array([[0.5, 0.5]])
    """

    #: "gd": gradient descent.  "newton": Newton's method on the convex cost,
    #: each epoch one full step w, b := (w, b) - H⁻¹·g (``lr`` is not used).
    SOLVERS: ClassVar[tuple[str, ...]] = ("gd", "newton")
    #: The labels predict returns: 0 and 1, or the two strings y held.  (A model
    #: loaded from a file of numeric labels keeps this default.)
    classes_ = NUMERIC_CLASSES

    def _loss(self, z: Value, y: Value) -> Value:
        # binary_cross_entropy without its label check: fit checked y once.
        return logistic_loss(z, y)

    def _notes_loss(self, z: Value, y: Value) -> Value:
        return notes_logistic_loss(z, y)

    def _step(
        self, solver: str, parameters: list[Value], lr: float, cost: CostGraph, compiled: bool
    ) -> Step:
        if solver != "newton":
            return super()._step(solver, parameters, lr, cost, compiled)
        # The Hessian of J comes from backward(create_graph=True): eager.
        return make_step(cost, Newton(parameters).step)

    def _check_targets(self, y: object, m: int, nx: int | None = None) -> Array:
        return check_labels(y, m, nx=nx)

    def _encode(self, y: object, m: int, nx: int) -> tuple[Array, npt.NDArray[Any] | None]:
        if not _holds_text(y):  # numbers: the labels 0 and 1, as the notes
            return self._check_targets(y, m, nx), NUMERIC_CLASSES
        classes, indices = encode_labels(label_array(y, m, nx=nx), m)
        if len(classes) != 2:
            raise ValueError(
                f"y has {len(classes)} classes ({_shown(classes)}): LogisticRegression "
                "takes two (MLPClassifier takes more)"
            )
        return indices.astype(np.float64), classes

    def _example_target(self, y: object) -> float:
        if self.classes_.dtype.kind != "U":
            return super()._example_target(y)
        return float(class_index(self.classes_, y))

    _classifier: ClassVar[bool] = True

    def _probability(self, X: Array, coef: Array, intercept: float) -> Array:
        return np.asarray(ops.sigmoid(X @ coef + intercept), dtype=np.float64)

    def predict_proba(self, X: object) -> Array:
        """Shape (m, 2): column 0 is P(y = 0 | x), column 1 is a = P(y = 1 | x)."""
        a = ops.sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - a, a])

    def predict(self, X: object) -> npt.NDArray[Any]:
        """The predicted label of each example: 1 where a > 0.5 (z > 0), else 0;
        for labels given as strings, ``classes_[1]`` where a > 0.5, else ``classes_[0]``."""
        class_1 = (self.decision_function(X) > 0.0).astype(np.intp)
        predicted: npt.NDArray[Any] = self.classes_[class_1]
        return predicted

    def score(self, X: object, y: object) -> float:
        """Accuracy: the fraction of examples whose predicted label equals y."""
        predicted = self.predict(X)
        m = predicted.shape[0]
        labels = label_array(y, m) if self.classes_.dtype.kind == "U" else check_labels(y, m)
        return float(np.mean(predicted == labels))
