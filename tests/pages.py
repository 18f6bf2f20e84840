"""Opening graphgrad's pages in the test browser, and reading what they show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The text a person can see in each part of the picture, by the part's id:
# empty text and hidden elements do not count.
VISIBLE_TEXTS = """(selector) => {
  const shown = {};
  for (const part of document.querySelectorAll(selector)) {
    shown[part.id] = Array.from(part.querySelectorAll("text"))
      .filter((t) => {
        const style = getComputedStyle(t);
        return t.textContent !== "" && style.visibility !== "hidden" && style.display !== "none";
      })
      .map((t) => t.textContent);
  }
  return shown;
}"""


@dataclass
class Problems:
    """What a page must never do: log an error, fail, open a dialog, or ask the network."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.dialogs == [], self.dialogs
        assert self.requests == [], self.requests


@contextmanager
def opened(browser: Any, path: Path, *, fake_clock: bool = False) -> Iterator[tuple[Any, Problems]]:
    """``path`` open from file:// in a fresh browser context, and what went wrong in it."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    problems = Problems()
    url = path.resolve().as_uri()

    def on_request(request: Any) -> None:
        # The page itself is the one request; data: URLs never leave the page.
        if request.url != url and not request.url.startswith("data:"):
            problems.requests.append(request.url)

    def on_console(message: Any) -> None:
        if message.type in ("error", "warning"):
            problems.console_errors.append(f"{message.type}: {message.text}")

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(dialog.message)
        dialog.dismiss()

    # Anything that tries the network is stopped here too, and noted above.
    context.route("http*://**/*", lambda route: route.abort())
    page = context.new_page()
    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    if fake_clock:
        page.clock.install()
    try:
        page.goto(url)
        yield page, problems
    finally:
        context.close()


def visible_texts(page: Any, selector: str = "#gg-graph g.node, #gg-graph g.edge") -> Any:
    return page.evaluate(VISIBLE_TEXTS, selector)
