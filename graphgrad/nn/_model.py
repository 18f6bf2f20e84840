"""What the one-neuron models share: hyperparameters, the training loop, save/load.

A model is z = X @ w + b followed by a loss.  Subclasses say which loss
(``_loss``), how targets are checked and where the parameters start; this
module trains them by building the cost graph J(w, b) from Value nodes and
calling ``backward()``, so every gradient comes from the op table.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from graphgrad.nn import serialization
from graphgrad.nn._checks import (
    Array,
    check_epochs,
    check_example,
    check_lr,
    check_progress,
    check_X,
)
from graphgrad.nn._training import (
    CostGraph,
    EpochHook,
    Picture,
    Rows,
    Run,
    Step,
    gradient_step,
    page_for,
    train,
)
from graphgrad.nn.losses import check_form, cost
from graphgrad.nn.neuron import Neuron
from graphgrad.nn.optim import GradientDescent
from graphgrad.value import Value

if TYPE_CHECKING:  # the page machinery is imported only when a page is asked for
    from graphgrad.training import TrainingPage

ModelT = TypeVar("ModelT", bound="NeuronModel")


def data_leaf(data: Array, label: str) -> Value:
    """A constant leaf for training data: backward() gives it no gradient.

    The data X and y need none, and X's would cost an (m, nx) array per step.
    """
    return Value(data, label=label, requires_grad=False)


def _all_rows(rows: Rows) -> dict[str, Array]:
    return {}  # one batch of all m examples: the program's data never change


class NotFittedError(ValueError, AttributeError):
    """The model was used before ``fit`` (or ``load``) gave it parameters."""


class NeuronModel:
    """Base of the scikit-learn-shaped models made of one neuron."""

    #: Solvers ``fit`` accepts; each has a branch in ``_step``.
    SOLVERS: ClassVar[tuple[str, ...]] = ("gd",)
    #: A classifier defines ``_probability``; its training page shows the
    #: decision boundary when X has two features.
    _classifier: ClassVar[bool] = False

    classes_: npt.NDArray[Any]
    coef_: Array
    intercept_: float
    history_: list[float]
    n_features_in_: int

    def __init__(
        self, lr: float = 0.1, epochs: int = 1000, solver: str = "gd", vectorized: bool = True
    ) -> None:
        self.lr = check_lr(lr)
        self.epochs = check_epochs(epochs)
        self.solver = self._check_solver(solver)
        if not isinstance(vectorized, bool):
            raise TypeError(f"vectorized must be True or False, got {vectorized!r}")
        self.vectorized = vectorized

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(lr={self.lr!r}, epochs={self.epochs!r}, "
            f"solver={self.solver!r}, vectorized={self.vectorized!r})"
        )

    # --- what subclasses define ---------------------------------------------------

    def _loss(self, z: Value, y: Value) -> Value:
        """The loss of each example from its logit z (same shape as z): the stable
        form that training differentiates."""
        raise NotImplementedError

    def _notes_loss(self, z: Value, y: Value) -> Value:
        """One example's loss built as the notes draw it, for pictures; the stable
        form unless a subclass's notes take another path (a = σ(z), then L(a, y))."""
        return self._loss(z, y)

    def _check_targets(self, y: object, m: int, nx: int | None = None) -> Array:
        """y checked for m examples (of nx features), as the numbers training fits."""
        raise NotImplementedError

    def _encode(self, y: object, m: int, nx: int) -> tuple[Array, npt.NDArray[Any] | None]:
        """The numbers training fits for y, and a classifier's ``classes_`` (None for
        a regressor)."""
        return self._check_targets(y, m, nx), None

    def _example_target(self, y: object) -> float:
        """One example's target for ``example_loss``, checked."""
        return float(self._check_targets(np.array([y]), 1)[0])

    def _initial_parameters(self, X: Array, y: Array) -> tuple[Array, float]:
        return np.zeros(X.shape[1]), 0.0

    # --- the cost graph -------------------------------------------------------------

    def cost_graph(self, X: Value, y: Value, w: Value, b: Value) -> Value:
        """J(w, b) for all m examples at once: a handful of array-valued nodes.

        X is (m, nx), y is (m,), w is (nx,), b a number; the graph is
        z = X @ w + b, L = loss(z, y), J = mean(L), each node holding all m
        examples.  This is the one place the vectorized cost is built: every
        solver (and any later one) differentiates what it returns.  The data
        are not checked here (``fit`` checks them once, before the first step).
        """
        z = X @ w + b
        z.label = "z"
        return cost(self._loss(z, y))

    def scalar_cost_graph(self, neuron: Neuron, X: Array, y: Array) -> Value:
        """The same J built the notes' way: one small graph per example, then the mean.

        O(m·nx) nodes instead of a handful; it exists to teach and to check
        the vectorized path against.
        """
        losses = [self._example_graph(neuron, x, float(t)) for x, t in zip(X, y, strict=True)]
        return cost(losses)

    # --- training -------------------------------------------------------------------

    def fit(
        self: ModelT,
        X: object,
        y: object,
        lr: float | None = None,
        epochs: int | None = None,
        progress: bool | None = None,
        solver: str | None = None,
        explore: str | os.PathLike[str] | TrainingPage | None = None,
        compile: bool = True,
    ) -> ModelT:
        """Train by ``epochs`` steps of ``solver`` on X (m, nx) and y (m,); returns self.

        ``lr`` and ``epochs`` default to the values given to the constructor.
        ``progress``: None shows a bar only when stderr is a terminal, True
        always, False never.  Parameters start afresh at every call.  If
        training fails (bad input, divergence) the model is left as it was.

        ``explore``: write a page (a file name ending in .html, or a
        :class:`graphgrad.training.TrainingPage` to choose the example and how
        often to record) with a slider over the epochs that shows one training
        example's graph with that epoch's values and gradients, the cost curve
        and, for two features, the decision boundary.

        ``compile``: gradient descent runs one compiled program of the step
        (``graphgrad.compile``: the cost graph read once, then run at every
        epoch), with the same gradients, to the bit, as building the graph and
        calling ``backward()`` at every epoch, which ``compile=False`` does.
        Newton's method is always eager (it differentiates twice).
        """
        return self._fit(X, y, lr, epochs, progress, solver, explore, compile=compile)

    def _fit(
        self: ModelT,
        X: object,
        y: object,
        lr: float | None = None,
        epochs: int | None = None,
        progress: bool | None = None,
        solver: str | None = None,
        explore: str | os.PathLike[str] | TrainingPage | None = None,
        on_epoch: EpochHook | None = None,
        compile: bool = True,
    ) -> ModelT:
        """fit, with ``on_epoch`` called after every epoch (see EpochHook): the hook a
        recorder of training (snapshots every k epochs) plugs into."""
        if not isinstance(compile, bool):
            raise TypeError(f"compile must be True or False, got {compile!r:.40}")
        data = check_X(X)
        m, nx = data.shape
        targets, classes = self._encode(y, m, nx)
        rate = self.lr if lr is None else check_lr(lr)
        steps = self.epochs if epochs is None else check_epochs(epochs)
        show = check_progress(progress)
        method = self.solver if solver is None else self._check_solver(solver)
        page = None if explore is None else page_for(explore, m)

        w0, b0 = self._initial_parameters(data, targets)
        if self.vectorized:
            w, b = Value(w0, label="w"), Value(b0, label="b")
            parameters = [w, b]
            X_node, y_node = data_leaf(data, "X"), data_leaf(targets, "y")

            def batch_cost(rows: Rows) -> Value:
                return self.cost_graph(X_node, y_node, w, b)

            def read() -> tuple[Array, float]:
                return np.array(w.data, dtype=np.float64), float(b.data)
        else:
            neuron = Neuron(nx, weights=list(w0), bias=b0)
            parameters = neuron.parameters()

            def batch_cost(rows: Rows) -> Value:
                return self.scalar_cost_graph(neuron, data, targets)

            def read() -> tuple[Array, float]:
                return np.array([p.data for p in neuron.w]), float(neuron.b.data)

        def commit(history: list[float]) -> None:
            if classes is not None:
                self.classes_ = classes
            self.coef_, self.intercept_ = read()
            self.history_ = history
            self.n_features_in_ = nx

        def picture(example: int) -> Picture:
            return self._picture(data[example], float(targets[example]), data, targets, read)

        run = Run(
            name=type(self).__name__,
            data=data,
            epochs=steps,
            step=self._step(method, parameters, rate, batch_cost, compile),
            parameters=parameters,
            commit=commit,
            picture=picture,
            step_name="Newton step" if method == "newton" else "Epoch",
        )
        train(run, show, page, on_epoch)
        return self

    # --- the training page ------------------------------------------------------------

    def _picture(
        self,
        row: Array,
        target: float,
        X: Array,
        y: Array,
        read: Callable[[], tuple[Array, float]],
    ) -> Picture:
        """The training page's picture of example (row, target); ``read`` gives the
        live parameters."""

        def example() -> tuple[Value, list[Value]]:
            coef, intercept = read()
            neuron = Neuron(len(row), weights=list(coef), bias=intercept)
            return self._example_graph(neuron, row, target, "notes"), neuron.parameters()

        def probability(points: Array) -> Array:
            return self._probability(points, *read())

        boundary = (probability, y) if self._classifier else None
        return Picture(example, f"y = {target:.4g}", boundary)

    def _probability(self, X: Array, coef: Array, intercept: float) -> Array:
        """A classifier's probability of class 1 for each row of X (see ``_classifier``)."""
        raise NotImplementedError

    def _step(
        self, solver: str, parameters: list[Value], lr: float, cost: CostGraph, compiled: bool
    ) -> Step:
        """One step of ``solver`` on the cost J (all m examples: the data are part of
        the graph, so a compiled program takes no inputs)."""
        if solver == "gd":
            return gradient_step(cost, GradientDescent(parameters, lr), _all_rows, compiled)
        raise ValueError(f"solver must be one of {self.SOLVERS}, got {solver!r}")

    def _check_solver(self, solver: object) -> str:
        if not isinstance(solver, str) or solver not in self.SOLVERS:
            raise ValueError(f"solver must be one of {self.SOLVERS}, got {solver!r}")
        return solver

    # --- using a fitted model --------------------------------------------------------

    def _fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X, y) or load(path) first"
            )

    def decision_function(self, X: object) -> Array:
        """The logit z = X @ w + b of each example, shape (m,)."""
        self._fitted()
        data = check_X(X, self.n_features_in_)
        return data @ self.coef_ + self.intercept_

    def parameters_as_neuron(self, activation: str = "sigmoid") -> Neuron:
        """A fresh Neuron holding this model's weights (w1 … w_nx, b)."""
        self._fitted()
        return Neuron(
            self.n_features_in_, activation, weights=list(self.coef_), bias=self.intercept_
        )

    def example_loss(self, x: object, y: object, form: str = "notes") -> Value:
        """The scalar graph of one example's loss L with the fitted parameters.

        Leaves are labelled x1 … x_nx, w1 … w_nx, b and y, the way the notes
        draw it; call ``backward()`` on the result to see each dvar.
        ``form="notes"`` (the default) builds the loss the notes' way, through
        a = σ(z) for a classifier, so the picture holds da as well as dz;
        ``form="stable"`` builds the form training differentiates (see
        docs/logistic_regression.md), which stays exact for any z.
        """
        self._fitted()
        row = check_example(x, self.n_features_in_)
        target = self._example_target(y)
        return self._example_graph(self.parameters_as_neuron(), row, target, check_form(form))

    def _example_graph(self, neuron: Neuron, x: Array, y: float, form: str = "stable") -> Value:
        """One example's loss through ``neuron`` in ``form``, its data x and y constant
        leaves (the notes' picture: dw and db, no dx)."""
        z = neuron.logit(list(x))
        target = Value(y, label="y", requires_grad=False)
        return self._notes_loss(z, target) if form == "notes" else self._loss(z, target)

    # --- saving ----------------------------------------------------------------------

    def save(self, path: serialization.PathLike) -> None:
        """Write the fitted model to ``path`` as JSON (see docs/saving.md)."""
        self._fitted()
        document = {
            "format": serialization.FORMAT,
            "version": serialization.VERSION,
            "model": type(self).__name__,
            "n_features": self.n_features_in_,
            "coef": [float(c) for c in self.coef_],
            "intercept": float(self.intercept_),
            "lr": self.lr,
            "epochs": self.epochs,
            "solver": self.solver,
            "vectorized": self.vectorized,
            "history": [float(c) for c in self.history_],
        }
        classes = getattr(self, "classes_", None)
        if classes is not None and classes.dtype.kind == "U":  # labels given as strings
            document["classes"] = classes.tolist()
        serialization.write_json(path, document)

    @classmethod
    def load(cls: type[ModelT], path: serialization.PathLike) -> ModelT:
        """Read a model written by ``save``; ValueError if the file is not a valid one."""
        fields = serialization.load(path, cls.__name__)
        try:
            model = cls(
                lr=fields["lr"],
                epochs=fields["epochs"],
                solver=fields["solver"],
                vectorized=fields["vectorized"],
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cannot load {str(path)[:200]!r}: invalid setting: {exc}") from None
        if fields["classes"] is not None:
            model.classes_ = fields["classes"]
        model.coef_ = np.array(fields["coef"], dtype=np.float64)
        model.intercept_ = fields["intercept"]
        model.history_ = fields["history"]
        model.n_features_in_ = fields["n_features"]
        return model
