"""The training progress bar: a widget in a notebook, text on a terminal, silence elsewhere.

tqdm is imported only when a bar is shown, so ``import graphgrad`` stays light.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import TracebackType
from typing import Any


def stderr_is_terminal() -> bool:
    stream = sys.stderr
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def in_notebook() -> bool:
    """True in a Jupyter notebook's kernel (JupyterLab, VS Code, Colab, ...).

    The same test tqdm.autonotebook makes: a kernel has loaded ipykernel's
    shell, and a Qt console or Spyder, which show text like a terminal, are
    not notebooks.  A notebook's stderr is not a terminal, yet a bar is wanted.
    """
    if "ipykernel.zmqshell" not in sys.modules:
        return False
    if any(name == "QT_API" or name.startswith("SPYDER") for name in os.environ):
        return False
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is None:
        return False
    kind = type(shell).__name__.lower()
    return "qt" not in kind and "spyder" not in kind


def _bar_class(notebook: bool) -> Any:
    # tqdm.auto draws a widget in a notebook (a text bar there would print a new
    # output at every refresh); plain tqdm redraws one line of a terminal.
    # Imported by name: tqdm ships no type information.
    return importlib.import_module("tqdm.auto" if notebook else "tqdm").tqdm


class Progress:
    """Counts epochs; shows a bar with the current cost when ``show`` is set.

    ``show=None`` shows the bar in a notebook or when stderr is a terminal, so
    logs and redirected output stay clean; True and False force it on or off.
    """

    def __init__(self, epochs: int, show: bool | None, description: str) -> None:
        self._bar: Any = None
        self._every = max(1, epochs // 100)  # refresh the cost ~100 times per fit
        self._last = epochs - 1
        self._notebook = notebook = in_notebook()
        if show is None:
            show = notebook or stderr_is_terminal()
        if show:
            tqdm = _bar_class(notebook)
            self._bar = tqdm(total=epochs, desc=description, unit="epoch", file=sys.stderr)

    def update(self, epoch: int, cost: float) -> None:
        bar = self._bar
        if bar is None:
            return
        if epoch % self._every == 0 or epoch == self._last:
            bar.set_postfix(cost=f"{cost:.6g}", refresh=False)
        bar.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        bar = self._bar
        if bar is None:
            return
        # A notebook keeps the widget's plain-text form as it was first shown,
        # "0%": what a viewer without widgets sees.  A last line of text says
        # how the fit ended.
        final = str(bar) if self._notebook else None
        bar.close()
        if final is not None:
            print(final, file=sys.stderr)
