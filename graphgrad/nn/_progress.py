"""The training progress bar: tqdm on a terminal, silence elsewhere.

tqdm is imported only when a bar is shown, so ``import graphgrad`` stays light.
"""

from __future__ import annotations

import importlib
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


class Progress:
    """Counts epochs; shows a bar with the current cost when ``show`` is set.

    ``show=None`` shows the bar only when stderr is a terminal, so logs and
    redirected output stay clean; True and False force it on or off.
    """

    def __init__(self, epochs: int, show: bool | None, description: str) -> None:
        self._bar: Any = None
        self._every = max(1, epochs // 100)  # refresh the cost ~100 times per fit
        self._last = epochs - 1
        if show is None:
            show = stderr_is_terminal()
        if show:
            # Imported here and by name: tqdm ships no type information.
            tqdm = importlib.import_module("tqdm").tqdm
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
        if self._bar is not None:
            self._bar.close()
