"""The one training loop of the nn models: epochs of steps, progress, the training page.

LogisticRegression, ReLURegressor and MLPClassifier all fit through
:func:`train`.  A model describes one run as a :class:`Run` (its data, its
parameters, its step, how to keep what was learned) and :func:`train` does
the rest the same way for all: full batch or shuffled mini-batches, the
progress bar, the training page, the history, and the rule that a failed
run leaves the model as it was.

The unit the loop repeats is a :data:`Step`: build the cost graph of a batch,
differentiate it, update the parameters, and return the cost before the
update.  :func:`make_step` makes one from a cost builder and an
:data:`Update`; anything of the same signature (a compiled program of one
step, say) can take its place without the loop changing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from graphgrad.nn._checks import Array
from graphgrad.nn._progress import Progress
from graphgrad.value import Value

if TYPE_CHECKING:  # the page machinery is imported only when a page is asked for
    from graphgrad.nn.optim import Optimizer
    from graphgrad.program import Program
    from graphgrad.training import ExampleGraph, Probability, TrainingPage, TrainingRecorder

#: The examples (rows of X) of one step; None for all of them.
Rows = npt.NDArray[np.intp] | None
#: Builds the cost graph J of the examples ``rows``.
CostGraph = Callable[[Rows], Value]
#: Differentiates J and moves the parameters (gradient descent, Adam, Newton, ...).
Update = Callable[[Value], None]
#: One training step on the examples ``rows``: cost graph, gradients, update;
#: returns the cost before the update.
Step = Callable[[Rows], float]
#: Called after each epoch with (epoch from 1, that epoch's cost, the live parameters).
EpochHook = Callable[[int, float, list[Value]], None]


def make_step(cost: CostGraph, update: Update) -> Step:
    """The step that builds ``cost(rows)`` and hands it to ``update``."""

    def step(rows: Rows) -> float:
        J = cost(rows)
        update(J)
        return float(J.data)

    return step


#: The data of the examples ``rows`` by the labels of the cost graph's data
#: leaves ({"X": ..., "y": ...}), for a compiled step; {} for all m examples.
Batch = Callable[[Rows], dict[str, Array]]


def gradient_step(cost: CostGraph, optimizer: Optimizer, batch: Batch, compiled: bool) -> Step:
    """The step of a gradient optimizer: the gradients of the cost, then one update.

    With ``compiled`` the cost graph is built once for each batch size (the last
    batch of an epoch may be smaller) and compiled (``graphgrad.compile``), its
    data leaves, as ``batch`` names them, the program's inputs; each step then
    runs the program on the batch's data.  The gradients are eager graphgrad's,
    to the bit; only the graph is not built again at every step.  Without it,
    each step builds the graph and calls ``backward()``.
    """
    if not compiled:
        return make_step(cost, descend(optimizer))
    from graphgrad.program import compile

    programs: dict[int | None, Program] = {}

    def step(rows: Rows) -> float:
        size = None if rows is None else len(rows)
        program = programs.get(size)
        data = batch(rows)
        if program is None:
            program = compile(cost(rows), wrt=optimizer.parameters, inputs=list(data))
            programs[size] = program
        value = program(**data)
        optimizer.step()
        return float(value)

    return step


def descend(optimizer: Optimizer) -> Update:
    """The update of a gradient optimizer: fresh gradients of J, then one step."""

    def update(J: Value) -> None:
        optimizer.zero_grad()
        J.backward()
        optimizer.step()

    return update


@dataclass(frozen=True)
class Picture:
    """What the training page shows of a run: one example's graph at each
    recorded epoch and, for a two-class model of two features, the decision
    boundary.  A model makes one only when a page is asked for."""

    #: Builds the example's loss from the live parameters (see TrainingRecorder).
    example: ExampleGraph
    #: The example's target as the page's line states it: "y = 1", "class cat".
    target: str
    #: The probability of class 1 at any inputs and the 0/1 labels of X, when
    #: the page draws the decision boundary; None otherwise.
    boundary: tuple[Probability, Array] | None = None
    #: Said after the example: " through the network".
    through: str = ""


@dataclass(frozen=True)
class Run:
    """One run of ``fit``, as a model sets it up for :func:`train`."""

    #: The model's class name, for the progress bar, errors and the page.
    name: str
    #: X, (m, nx), checked.
    data: Array
    epochs: int
    step: Step
    #: The live parameters, for the epoch hook.
    parameters: list[Value]
    #: Keeps what was learned (the fitted attributes) from the live parameters
    #: and the history: called once, after the last epoch, never on failure.
    commit: Callable[[list[float]], None]
    #: Builds the training page's picture of row ``example`` of X.
    picture: Callable[[int], Picture]
    #: Examples per step; None (or m or more) for one step on all m per epoch.
    batch_size: int | None = None
    #: Shuffles the examples anew each epoch when there are mini-batches.
    rng: np.random.Generator | None = None
    #: What one epoch of the run is, as the training page names it.
    step_name: str = "Epoch"


def train(
    run: Run,
    progress: bool | None,
    page: TrainingPage | None,
    on_epoch: EpochHook | None = None,
) -> None:
    """Run ``run.epochs`` epochs of ``run.step``, then ``run.commit(history)``.

    The cost of an epoch is the mean over the m examples (each batch's cost
    weighted by its size).  An ArithmeticError in a step (divergence) stops
    the run, naming the epoch, before anything is committed.  With ``page``
    the run is recorded and the page written after the commit: a page that
    cannot be recorded or written raises, but the model keeps what it learned.
    """
    recording = None if page is None else _Recording(run, page)
    history: list[float] = []
    with Progress(run.epochs, progress, run.name) as bar:
        for i in range(run.epochs):
            try:
                cost = _epoch(run)
            except ArithmeticError as exc:
                raise type(exc)(
                    f"{run.name}.fit stopped at epoch {i + 1} of {run.epochs}: {exc}"
                ) from None
            history.append(cost)
            bar.update(i, cost)
            if recording is not None:
                recording.epoch_done(i + 1, cost)
            if on_epoch is not None:
                on_epoch(i + 1, cost, run.parameters)
    run.commit(history)
    if recording is not None:
        recording.write()


def _epoch(run: Run) -> float:
    m, batch = len(run.data), run.batch_size
    if batch is None or batch >= m:
        return run.step(None)
    if run.rng is None:
        raise ValueError("mini-batches need a random-number generator to shuffle with")
    order = run.rng.permutation(m)
    total = 0.0
    for start in range(0, m, batch):
        rows = order[start : start + batch]
        total += run.step(rows) * len(rows)
    return total / m


# --- the training page ----------------------------------------------------------------------


def page_for(explore: object, m: int) -> TrainingPage:
    """``fit``'s ``explore`` argument checked before training, for data of m examples:
    the page's folder must exist and be writable, so that a long run does not end
    in a page that cannot be written."""
    from graphgrad.training import training_page

    page = training_page(explore)
    if page.example >= m:
        raise ValueError(f"explore: example must be a row of X, 0 to {m - 1}, got {page.example}")
    target = Path(page.path)
    folder = target.parent
    shown = repr(str(folder))[:200]
    if not folder.exists():
        raise FileNotFoundError(f"explore: the folder {shown} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"explore: {shown} is not a folder")
    if target.is_dir():
        raise IsADirectoryError(f"explore: {repr(str(target))[:200]} is a folder, not a page")
    writable = os.access(target, os.W_OK) if target.exists() else os.access(folder, os.W_OK)
    if not writable or not os.access(folder, os.X_OK):
        raise PermissionError(f"explore: cannot write the page {repr(str(target))[:200]}")
    return page


class _Recording:
    """The run recorded for its page.  A failure to record stops the recording,
    not the training: it is raised by ``write``, after the model is committed."""

    def __init__(self, run: Run, page: TrainingPage) -> None:
        self._name = run.name
        self._path = page.path
        self._failure: Exception | None = None
        # A page that cannot even start is refused before training.
        self._recorder: TrainingRecorder | None = _recorder(run, page)

    def epoch_done(self, epoch: int, cost: float) -> None:
        if self._recorder is None:
            return
        try:
            self._recorder.epoch_done(epoch, cost)
        except (ArithmeticError, ValueError) as exc:  # the example's graph could not be built
            self._failure, self._recorder = exc, None

    def write(self) -> None:
        where = repr(str(self._path))[:200]
        fitted = f"{self._name}.fit: the model is fitted, but the training page {where}"
        if self._failure is not None:
            raise ValueError(f"{fitted} could not be recorded: {self._failure}") from None
        if self._recorder is not None:
            try:
                self._recorder.write(self._path)
            except OSError as exc:
                raise OSError(f"{fitted} could not be written: {exc}") from None


def _by(step_name: str) -> str:
    """"epoch by epoch", "Newton step by Newton step": a name that is a word of the
    language in lower case, a name (Newton) as written."""
    shown = step_name if step_name[:1].isupper() and " " in step_name else step_name.lower()
    return f"{shown} by {shown}"


def _recorder(run: Run, page: TrainingPage) -> TrainingRecorder:
    from graphgrad.training import TrainingRecorder

    picture = run.picture(page.example)
    row = run.data[page.example]
    boundary = picture.boundary if run.data.shape[1] == 2 else None
    shown = ", ".join(f"x{j + 1} = {v:.4g}" for j, v in enumerate(row))
    example_input: Sequence[float] | None = None if boundary is None else list(row)
    recorder = TrainingRecorder(
        run.epochs,
        picture.example,
        every=page.every,
        inputs=None if boundary is None else run.data,
        labels=None if boundary is None else boundary[1],
        probability=None if boundary is None else boundary[0],
        example_input=example_input,
        title=f"{run.name} learning, {_by(run.step_name)}",
        step_name=run.step_name,
        example_text=f"The graph is the loss of training example {page.example} "
        f"({shown}, {picture.target}){picture.through}.",
    )
    recorder.start()
    return recorder
