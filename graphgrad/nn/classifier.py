"""MLPClassifier: a neural-network classifier shaped like scikit-learn's, made of Value nodes."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from graphgrad import ops
from graphgrad.nn import serialization
from graphgrad.nn._checks import (
    Array,
    check_epochs,
    check_example,
    check_lr,
    check_progress,
    check_X,
    count_mismatch,
)
from graphgrad.nn._model import NotFittedError, data_leaf
from graphgrad.nn._training import (
    EpochHook,
    Picture,
    Rows,
    Run,
    gradient_step,
    page_for,
    train,
)
from graphgrad.nn.activations import HIDDEN_ACTIVATIONS, activate, check_activation
from graphgrad.nn.layers import MLP
from graphgrad.nn.losses import (
    check_form,
    logistic_loss,
    notes_logistic_loss,
    one_hot,
    softmax_cost,
)
from graphgrad.nn.optim import SGD, Adam, AdamW, Optimizer
from graphgrad.value import Value

if TYPE_CHECKING:  # the page machinery is imported only when a page is asked for
    from graphgrad.training import TrainingPage

_KINDS = "biuUf"  # label dtypes: bools, ints, strings, floats


class MLPClassifier:
    """A multi-layer perceptron classifier: hidden layers of ``activation`` units,
    then one sigmoid output for two classes or a softmax over k classes.

    Shaped like scikit-learn's ``MLPClassifier`` and like graphgrad's
    ``LogisticRegression``: X is (m, nx), one row per example; y holds any
    labels (ints, strings, bools, floats), at least two distinct ones;
    ``classes_`` lists them sorted, and ``predict`` returns them.  Training
    minimizes the mean cross-entropy (from the logits, so it never overflows)
    plus ``alpha``/(2·m) times the sum of the squared weights, with
    ``solver`` "adam" (default), "adamw" (weight decay 0.01) or "sgd" (plain
    gradient descent), for ``epochs`` passes over the data: one step per
    epoch on all m examples, or, with ``batch_size``, one step per batch of
    examples shuffled anew each epoch.  ``seed`` fixes the initial weights and
    the shuffling; None draws them afresh at each ``fit``.

    The defaults (two hidden layers of 16 tanh units, Adam with lr 0.01, 500
    epochs) fit the two-moons and three-arm spiral data sets to 99-100 %.

    >>> from graphgrad.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.1, seed=0)
    >>> labels = np.where(y == 1, "lower", "upper")
    >>> model = MLPClassifier(seed=0).fit(X, labels, progress=False)
    >>> model.classes_
    array(['lower', 'upper'], dtype='<U5')
    >>> model.score(X, labels)
    1.0
    >>> model.predict(np.array([[0.0, 1.0], [1.0, -0.5]]))
    array(['upper', 'lower'], dtype='<U5')
    >>> model.predict_proba(np.array([[0.0, 1.0]])).round(3)
    array([[0.001, 0.999]])
    """

    SOLVERS: ClassVar[tuple[str, ...]] = ("adam", "adamw", "sgd")
    ACTIVATIONS: ClassVar[tuple[str, ...]] = HIDDEN_ACTIVATIONS

    classes_: npt.NDArray[Any]
    coefs_: list[Array]
    intercepts_: list[Array]
    history_: list[float]
    n_features_in_: int

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (16, 16),
        activation: str = "tanh",
        solver: str = "adam",
        lr: float = 0.01,
        epochs: int = 500,
        batch_size: int | None = None,
        alpha: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.hidden_layer_sizes: tuple[int, ...] = _hidden_sizes(hidden_layer_sizes)
        self.activation: str = check_activation(activation, hidden=True)
        if not isinstance(solver, str) or solver not in self.SOLVERS:
            raise ValueError(f"solver must be one of {self.SOLVERS}, got {solver!r:.40}")
        self.solver: str = solver
        self.lr: float = check_lr(lr)
        self.epochs: int = check_epochs(epochs)
        if batch_size is not None:
            batch_size = _positive_int(batch_size, "batch_size", "a positive int or None")
        self.batch_size: int | None = batch_size
        self.alpha: float = _alpha(alpha)
        if seed is not None:
            seed = _seed(seed)
        self.seed: int | None = seed

    def __repr__(self) -> str:
        return (
            f"MLPClassifier(hidden_layer_sizes={self.hidden_layer_sizes!r}, "
            f"activation={self.activation!r}, solver={self.solver!r}, lr={self.lr!r}, "
            f"epochs={self.epochs!r}, batch_size={self.batch_size!r}, alpha={self.alpha!r}, "
            f"seed={self.seed!r})"
        )

    # --- training ---------------------------------------------------------------------

    def fit(
        self,
        X: object,
        y: object,
        progress: bool | None = None,
        explore: str | os.PathLike[str] | TrainingPage | None = None,
        compile: bool = True,
    ) -> MLPClassifier:
        """Train on X (m, nx) and y (m,) labels; returns self.

        ``progress``: None shows a bar only in a notebook or when stderr is a
        terminal, True always, False never.  The weights start afresh at every
        call.  If training fails (bad input, divergence) the model is left as
        it was.

        ``explore``: write a page (a file name ending in .html, or a
        :class:`graphgrad.training.TrainingPage`) with a slider over the epochs
        that shows one training example's graph through the network with that
        epoch's values and gradients, the cost curve and, for two features and
        two classes, the decision boundary.

        ``compile``: each step runs one compiled program of the cost
        (``graphgrad.compile``, written once per batch size, the batch's X and y
        its inputs), with the same gradients, to the bit, as building the graph
        and calling ``backward()`` at every step, which ``compile=False`` does.
        """
        return self._fit(X, y, progress, explore, compile=compile)

    def _fit(
        self,
        X: object,
        y: object,
        progress: bool | None,
        explore: str | os.PathLike[str] | TrainingPage | None = None,
        on_epoch: EpochHook | None = None,
        compile: bool = True,
    ) -> MLPClassifier:
        """fit, with ``on_epoch`` called after every epoch (see EpochHook)."""
        if not isinstance(compile, bool):
            raise TypeError(f"compile must be True or False, got {compile!r:.40}")
        data = check_X(X)
        m, nx = data.shape
        classes, indices = encode_labels(y, m, nx)
        show = check_progress(progress)
        page = None if explore is None else page_for(explore, m)
        k = len(classes)
        rng = np.random.default_rng(self.seed)
        network = MLP(nx, [*self.hidden_layer_sizes, 1 if k == 2 else k], self.activation, rng)
        parameters = network.parameters()
        weights = [layer.w for layer in network.layers]
        targets = indices.astype(np.float64).reshape(-1, 1)  # 0/1 for the sigmoid output

        def batch(rows: Rows) -> dict[str, Array]:
            """The data of a batch by the labels of the cost graph's data leaves."""
            if rows is None:
                return {}  # all m examples: part of the graph, never changed
            if k == 2:
                return {"X": data[rows], "y": targets[rows]}
            return {"X": data[rows], "Y": np.eye(k)[indices[rows]]}

        def cost(rows: Rows) -> Value:
            """J on all examples (rows None) or on a batch: the graph backward() runs on."""
            inputs, labels = (data, indices) if rows is None else (data[rows], indices[rows])
            z = network(data_leaf(inputs, "X"))
            if k == 2:
                target = targets if rows is None else targets[rows]
                J = logistic_loss(z, data_leaf(target, "y")).mean()
            else:
                J = softmax_cost(z, one_hot(labels, k))
            if self.alpha:
                penalty = (weights[0] * weights[0]).sum()
                for w in weights[1:]:
                    penalty = penalty + (w * w).sum()
                J = J + (self.alpha / (2.0 * len(labels))) * penalty
            J.label = "J"
            return J

        def commit(history: list[float]) -> None:
            self.classes_ = classes
            self.coefs_ = [np.array(layer.w.data) for layer in network.layers]
            self.intercepts_ = [np.array(layer.b.data) for layer in network.layers]
            self.history_ = history
            self.n_features_in_ = nx

        def picture(example: int) -> Picture:
            return self._picture(network, data[example], int(indices[example]), classes, indices)

        run = Run(
            name=type(self).__name__,
            data=data,
            epochs=self.epochs,
            step=gradient_step(cost, self._optimizer(parameters), batch, compile),
            parameters=parameters,
            commit=commit,
            picture=picture,
            batch_size=self.batch_size,
            rng=rng,
        )
        train(run, show, page, on_epoch)
        return self

    def _picture(
        self,
        network: MLP,
        row: Array,
        label: int,
        classes: npt.NDArray[Any],
        indices: npt.NDArray[np.intp],
    ) -> Picture:
        """The training page's picture of one example (row, label) through a copy of
        the live network at each recorded epoch (so its gradients are not touched)."""
        k = len(classes)

        def example() -> tuple[Value, list[Value]]:
            coefs = [np.array(layer.w.data) for layer in network.layers]
            intercepts = [np.array(layer.b.data) for layer in network.layers]
            return _example_graph(coefs, intercepts, self.activation, row, label, k, "notes")

        def probability(points: Array) -> Array:
            coefs = [np.asarray(layer.w.data) for layer in network.layers]
            intercepts = [np.asarray(layer.b.data) for layer in network.layers]
            logits = _logits(coefs, intercepts, self.activation, points)
            return np.asarray(ops.sigmoid(logits), dtype=np.float64)

        boundary = (probability, indices.astype(np.float64)) if k == 2 else None
        return Picture(example, f"class {classes[label]}", boundary, " through the network")

    def example_loss(self, x: object, y: object, form: str = "notes") -> Value:
        """The graph of one example's loss through the fitted network, labelled as
        the notes label a network (X, W[1], b[1], Z[1], A[1], ...); call
        ``backward()`` on it to see dW[1], db[1], ... for that example.

        With two classes, ``form="notes"`` (the default) ends as the notes draw
        it, the output A[L] = σ(Z[L]) and then L(A[L], y); ``form="stable"``
        builds the loss from Z[L] as training does.  With more classes both
        forms are the softmax cost logsumexp(z) - z[y]."""
        self._fitted()
        row = check_example(x, self.n_features_in_)
        loss, _ = _example_graph(
            self.coefs_,
            self.intercepts_,
            self.activation,
            row,
            class_index(self.classes_, y),
            len(self.classes_),
            check_form(form),
        )
        return loss

    def _optimizer(self, parameters: list[Value]) -> Optimizer:
        if self.solver == "adam":
            return Adam(parameters, lr=self.lr)
        if self.solver == "adamw":
            return AdamW(parameters, lr=self.lr)
        return SGD(parameters, lr=self.lr)

    # --- using a fitted model -----------------------------------------------------------

    def _fitted(self) -> None:
        if not hasattr(self, "coefs_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X, y) or load(path) first"
            )

    def decision_function(self, X: object) -> Array:
        """The logits of the fitted network: shape (m,) for two classes (z of the
        sigmoid unit; > 0 means classes_[1]), (m, k) for k classes."""
        self._fitted()
        return _logits(
            self.coefs_, self.intercepts_, self.activation, check_X(X, self.n_features_in_)
        )

    def predict_proba(self, X: object) -> Array:
        """Shape (m, n_classes): the probability of each class, columns in ``classes_`` order."""
        z = self.decision_function(X)
        if z.ndim == 1:
            a = ops.sigmoid(z)
            return np.column_stack([1.0 - a, a])
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        probabilities: Array = shifted / shifted.sum(axis=1, keepdims=True)
        return probabilities

    def predict(self, X: object) -> npt.NDArray[Any]:
        """The most probable class of each example (from ``classes_``); two classes:
        classes_[1] where its probability is above 0.5."""
        z = self.decision_function(X)
        index = (z > 0.0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        predicted: npt.NDArray[Any] = self.classes_[index]
        return predicted

    def score(self, X: object, y: object) -> float:
        """Accuracy: the fraction of examples whose predicted class equals y."""
        predicted = self.predict(X)
        labels = label_array(y, predicted.shape[0])
        return float(np.mean(predicted == labels))

    # --- saving -----------------------------------------------------------------------

    def save(self, path: serialization.PathLike) -> None:
        """Write the fitted model to ``path`` as JSON (see docs/saving.md)."""
        self._fitted()
        serialization.write_json(
            path,
            {
                "format": serialization.FORMAT,
                "version": serialization.VERSION,
                "model": type(self).__name__,
                "n_features": self.n_features_in_,
                "classes": self.classes_.tolist(),
                "classes_dtype": serialization.label_dtype(self.classes_),
                "hidden_layer_sizes": list(self.hidden_layer_sizes),
                "activation": self.activation,
                "solver": self.solver,
                "lr": self.lr,
                "epochs": self.epochs,
                "batch_size": self.batch_size,
                "alpha": self.alpha,
                "seed": self.seed,
                "coefs": [w.tolist() for w in self.coefs_],
                "intercepts": [b.tolist() for b in self.intercepts_],
                "history": [float(c) for c in self.history_],
            },
        )

    @classmethod
    def load(cls, path: serialization.PathLike) -> MLPClassifier:
        """Read a model written by ``save``; ValueError if the file is not a valid one."""
        fields = serialization.load(path, cls.__name__)
        try:
            model = cls(
                hidden_layer_sizes=fields["hidden_layer_sizes"],
                activation=fields["activation"],
                solver=fields["solver"],
                lr=fields["lr"],
                epochs=fields["epochs"],
                batch_size=fields["batch_size"],
                alpha=fields["alpha"],
                seed=fields["seed"],
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cannot load {str(path)[:200]!r}: invalid setting: {exc}") from None
        model.classes_ = fields["classes"]
        model.coefs_ = fields["coefs"]
        model.intercepts_ = fields["intercepts"]
        model.history_ = fields["history"]
        model.n_features_in_ = fields["n_features"]
        return model


# --- checks: each error names the argument -----------------------------------------------


def label_array(y: object, m: int, name: str = "y", nx: int | None = None) -> npt.NDArray[Any]:
    """Labels of any one kind (ints, strings, bools, floats), one per example; ``nx``,
    the number of features, lets an error spot X given transposed."""
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be an array of labels, got {type(y).__name__}")
    if isinstance(y, Value):
        y = y.data
    try:
        labels = np.asarray(y)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a 1-D array of labels: {exc}") from None
    if labels.ndim != 1:
        hint = " (use y.ravel())" if labels.ndim == 2 and 1 in labels.shape else ""
        raise ValueError(
            f"{name} must be 1-D with one label per example, got shape {labels.shape}{hint}"
        )
    if labels.shape[0] != m:
        raise count_mismatch(name, "labels", labels.shape[0], m, nx)
    if labels.dtype.kind not in _KINDS:
        raise TypeError(
            f"{name} must hold ints, strings, bools or floats of one kind, got an array of "
            f"dtype {labels.dtype}"
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        index = int(np.argmax(~np.isfinite(labels)))
        raise ValueError(f"{name} must hold finite labels; {name}[{index}] is {labels[index]}")
    return labels


def _example_graph(
    coefs: Sequence[Array],
    intercepts: Sequence[Array],
    activation: str,
    row: Array,
    label: int,
    k: int,
    form: str,
) -> tuple[Value, list[Value]]:
    """One example's loss, in ``form``, through a network holding copies of these
    weights, and its parameter leaves: what example_loss returns and the training
    page draws."""
    network = MLP(len(row), [len(b) for b in intercepts], activation)
    for layer, w, b in zip(network.layers, coefs, intercepts, strict=True):
        layer.w.data, layer.b.data = np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)
    z = network(row.reshape(1, -1))
    if k == 2:
        target = Value(np.array([[float(label)]]), label="y", requires_grad=False)
        if form == "notes":
            per_row = notes_logistic_loss(z, target, a_label=f"A[{len(coefs)}]")  # (1, 1)
        else:
            per_row = logistic_loss(z, target)
        per_row.label = None
        loss = per_row.sum()  # one example: its loss L itself
    else:
        loss = softmax_cost(z, one_hot(np.array([label]), k))
    loss.label = "L"
    return loss, network.parameters()


def _logits(
    coefs: Sequence[Array], intercepts: Sequence[Array], activation: str, X: Array
) -> Array:
    """The network's logits on X for these weights: (m,) for one output, else (m, k)."""
    last = len(coefs) - 1
    A = X
    for i, (w, b) in enumerate(zip(coefs, intercepts, strict=True)):
        # The table's own forward rules, on arrays: what training computed.
        A = ops.affine(A, w, b)
        if i < last:
            A = activate(activation, A)
    logits: Array = A[:, 0] if A.shape[1] == 1 else A
    return logits


def class_index(classes: npt.NDArray[Any], y: object) -> int:
    """The index of label ``y`` in ``classes``; ValueError naming y if it is not one."""
    found: npt.NDArray[np.intp] = np.flatnonzero(classes == y)
    if isinstance(y, Value) or len(found) != 1:
        raise ValueError(f"y must be one of the classes {classes.tolist()}, got {y!r}"[:300])
    return int(found[0])


def encode_labels(
    y: object, m: int, nx: int | None = None
) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp]]:
    """classes_ (sorted, distinct) and each example's index into it."""
    labels = label_array(y, m, nx=nx)
    classes, indices = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has a single class ({classes[0].item()!r:.40}): a classifier needs at least two"
        )
    return classes, indices.astype(np.intp).reshape(m)


def _positive_int(value: object, name: str, what: str = "a positive int") -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r:.40}")
    if value < 1:
        raise ValueError(f"{name} must be {what}, got {value}")
    return int(value)


def _hidden_sizes(sizes: object) -> tuple[int, ...]:
    if isinstance(sizes, (bool, np.bool_)):
        raise TypeError(f"hidden_layer_sizes must be a tuple of positive ints, got {sizes!r}")
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)  # one hidden layer, as scikit-learn accepts
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(
            f"hidden_layer_sizes must be a tuple of positive ints such as (16, 16), "
            f"got {type(sizes).__name__} {sizes!r:.40}"
        )
    if not sizes:
        raise ValueError("hidden_layer_sizes must hold at least one layer width")
    return tuple(_positive_int(k, f"hidden_layer_sizes[{i}]") for i, k in enumerate(sizes))


def _alpha(alpha: object) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a number >= 0, got {type(alpha).__name__} {alpha!r:.40}")
    value = float(alpha)
    if not 0.0 <= value < math.inf:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return value


def _seed(seed: object) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None or an int >= 0, got {seed!r:.40}")
    return int(seed)
