"""Shared test settings, and the browser the page tests drive.

Hypothesis runs a fixed number of examples per property; the "ci" profile
(selected when CI is set) keeps that number and only drops the per-example
deadline, which measures the machine, not the code.

The ``browser`` fixture is one headless Chromium for the whole run (see
tests/browser.py); without one, the tests that use it skip and the run ends
with one line saying how to get one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from browser import HOW_TO_GET_ONE, find_chromium, launch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_browser_skipped: list[str] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run; the tests that need it skip without one."""
    executable = find_chromium()
    if executable is None:
        _browser_skipped.append(HOW_TO_GET_ONE)
        pytest.skip(HOW_TO_GET_ONE)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright, executable)
        try:
            yield chromium
        finally:
            chromium.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _browser_skipped:
        terminalreporter.write_line(f"browser tests skipped: {_browser_skipped[0]}", yellow=True)
