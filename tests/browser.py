"""A headless Chromium for the tests and for the docs' screenshots, driven by Playwright.

Playwright's own browser download is not used: the browser is the system's
Chromium (Debian's ``chromium`` package), found on PATH.  Set GRAPHGRAD_BROWSER
to a browser's path to use that one, or to ``none`` to act as if there were
no browser (the browser tests then skip).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

BROWSER_ENV = "GRAPHGRAD_BROWSER"
HOW_TO_GET_ONE = (
    "no browser for the browser tests: install Chromium (Debian: `apt-get install -y chromium`; "
    ".ci/run does this) and Playwright (`pip install -e '.[test]'`), or set "
    f"{BROWSER_ENV}=/path/to/chromium"
)
# Without the background-networking flags Chromium tries to reach its own
# services at start-up; on a closed network those attempts fail noisily.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The Chromium to drive, or None when there is none (or Playwright is missing)."""
    if importlib.util.find_spec("playwright") is None:
        return None
    chosen = os.environ.get(BROWSER_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "none") else chosen
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found is not None:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def launch(playwright: Any, executable: str) -> Any:
    """A headless Chromium with a fresh profile (Playwright makes a new one per launch)."""
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
