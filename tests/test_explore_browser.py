"""The explorer page in a real browser (headless Chromium): keys, buttons, what each
step shows, and what it must never do.  Skips without a browser (see conftest.py)."""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pages import opened, visible_texts

from graphgrad import Value, draw, explore, to_svg, trace
from graphgrad.draw import DrawingWarning

SVG_NS = "{http://www.w3.org/2000/svg}"
PLAY_DELAY_MS = 1100  # explore.js's delay between two steps while playing
HOSTILE = 'x</script><img src=x onerror="alert(1)">\n"q\'\x07&amp;'


def notes_graph() -> Value:
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    return J


def static_texts(root: Value) -> list[str]:
    svg = ET.fromstring(to_svg(root).encode("utf-8"))
    return sorted("".join(t.itertext()) for t in svg.iter(f"{SVG_NS}text"))


def expected_after(statements: list[str], count: int, static: list[str]) -> list[str]:
    """What the notes graph's picture should show after ``count`` steps, worked out
    from the trace's lines alone: a value once its forward line has been shown
    (before, only the node's name), a gradient ``dx`` once the line ``dx = ...``
    has, and an edge's ``∂u/∂b`` once a backward line has multiplied it."""
    done = statements[:count]
    computed = {line.split(" = ")[0] for line in done}
    backward = " ".join(line for line in done if line.startswith("d"))
    names = {"a", "b", "c", "u", "v", "J"}
    if count == len(statements):
        return static
    shown = []
    for text in static:
        head = text.split(" = ")[0]
        if head in names:
            shown.append(text if head in computed else head)
        elif head.startswith("d") and head[1:] in names:
            if head in computed:
                shown.append(text)
        elif head.startswith("∂"):
            if head in backward:
                shown.append(text)
        else:
            shown.append(text)  # an op's symbol, or the number 3
    return sorted(shown)


def shown_now(page: Any) -> list[str]:
    return sorted(text for texts in visible_texts(page).values() for text in texts)


def status(page: Any) -> str:
    text: str = page.locator('[role="status"]').inner_text()
    return text


@pytest.fixture(scope="module")
def notes_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Value]:
    J = notes_graph()
    return explore(J, tmp_path_factory.mktemp("explore") / "J.html"), J


def test_arrow_right_steps_through_the_trace_lines_showing_each_in_turn(
    browser: Any, notes_page: tuple[Path, Value]
) -> None:
    path, J = notes_page
    text = trace(J)
    statements = [" ".join(line.split()) for line in text.splitlines() if line.startswith("  ")]
    static = static_texts(J)
    with opened(browser, path) as (page, problems):
        assert status(page).startswith("Press Next")
        assert shown_now(page) == expected_after(statements, 0, static)
        for count in range(1, len(statements) + 1):
            page.keyboard.press("ArrowRight")
            assert status(page) == statements[count - 1]
            assert shown_now(page) == expected_after(statements, count, static), statements[
                count - 1
            ]
        assert page.locator("#gg-counter").inner_text() == f"Step {count} of {count}"
        # The end: the static picture, and the whole trace, exactly as trace() prints it.
        assert shown_now(page) == static
        assert page.locator("#gg-transcript").text_content() == text
        page.keyboard.press("ArrowRight")  # past the end: nothing changes
        assert status(page) == statements[-1]
        problems.assert_none()


def test_no_derivative_is_visible_before_its_step(
    browser: Any, notes_page: tuple[Path, Value]
) -> None:
    path, _ = notes_page
    with opened(browser, path) as (page, problems):
        seen_grads: set[str] = set()
        while page.locator("#gg-next").is_enabled():
            page.keyboard.press("ArrowRight")
            line = status(page)
            if line.startswith("d"):
                seen_grads.add(line.split(" = ")[0])
            texts = [t for ts in visible_texts(page).values() for t in ts]
            grads = {t.split(" = ")[0] for t in texts if t.startswith("d")}
            assert grads <= seen_grads, line
            if not seen_grads:
                assert not any("∂" in t for t in texts), line
        problems.assert_none()


def test_arrow_left_goes_back_through_the_same_states(
    browser: Any, notes_page: tuple[Path, Value]
) -> None:
    path, _ = notes_page
    with opened(browser, path) as (page, problems):
        states = [(status(page), shown_now(page))]
        for _ in range(12):
            page.keyboard.press("ArrowRight")
            states.append((status(page), shown_now(page)))
        for expected in reversed(states[:-1]):
            page.keyboard.press("ArrowLeft")
            assert (status(page), shown_now(page)) == expected
        page.keyboard.press("End")
        assert (status(page), shown_now(page)) == states[-1]
        page.keyboard.press("Home")
        assert (status(page), shown_now(page)) == states[0]
        problems.assert_none()


def test_buttons_step_and_reset(browser: Any, notes_page: tuple[Path, Value]) -> None:
    path, J = notes_page
    lines = [" ".join(line.split()) for line in trace(J).splitlines() if line.startswith("  ")]
    with opened(browser, path) as (page, problems):
        previous, next_, reset = (
            page.locator(f"#gg-{name}") for name in ("previous", "next", "reset")
        )
        assert previous.is_disabled() and reset.is_disabled()
        for _ in range(3):
            page.get_by_role("button", name="Next").click()
        assert status(page) == lines[2]
        page.get_by_role("button", name="Previous").click()
        assert status(page) == lines[1]
        assert page.locator("#gg-counter").inner_text() == "Step 2 of 12"
        page.get_by_role("button", name="Reset").click()
        assert status(page).startswith("Press Next") and previous.is_disabled()
        page.keyboard.press("End")
        assert next_.is_disabled() and status(page) == lines[-1]
        problems.assert_none()


def test_play_steps_on_its_own_and_space_pauses(
    browser: Any, notes_page: tuple[Path, Value]
) -> None:
    path, J = notes_page
    lines = [" ".join(line.split()) for line in trace(J).splitlines() if line.startswith("  ")]
    with opened(browser, path, fake_clock=True) as (page, problems):
        play = page.locator("#gg-play")
        play.click()
        assert play.get_attribute("aria-pressed") == "true" and play.inner_text() == "Pause"
        page.clock.run_for(3 * PLAY_DELAY_MS)
        assert status(page) == lines[2]
        # Space pauses, though the focus is on a button (which Space would press).
        page.keyboard.press(" ")
        assert play.get_attribute("aria-pressed") == "false" and play.inner_text() == "Play"
        page.clock.run_for(5 * PLAY_DELAY_MS)
        assert status(page) == lines[2]
        # With the focus on Next, Space plays rather than pressing Next.
        page.locator("#gg-next").focus()
        page.keyboard.press(" ")
        assert status(page) == lines[2] and play.get_attribute("aria-pressed") == "true"
        page.clock.run_for(20 * PLAY_DELAY_MS)  # to the end, where playing stops
        assert status(page) == lines[-1] and play.get_attribute("aria-pressed") == "false"
        problems.assert_none()


def test_hostile_labels_are_shown_literally_and_never_run(browser: Any, tmp_path: Path) -> None:
    x = Value(1.0, label=HOSTILE)
    y = x * x + x
    y.label = "</script><script>alert(2)</script>"
    path = explore(y, tmp_path / "hostile.html")
    shown = 'x</script><img src=x onerror="alert(1)">\\n"q\'\\x07&amp;'  # as trace() shows it
    with opened(browser, path) as (page, problems):
        page.keyboard.press("ArrowRight")
        assert status(page) == f"{shown} = 1"
        assert f"{shown} = 1" in shown_now(page)
        page.keyboard.press("End")
        assert page.locator("#gg-transcript").text_content() == trace(y)
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("document.scripts.length") == 2
        problems.assert_none()


def test_the_status_is_announced(browser: Any, notes_page: tuple[Path, Value]) -> None:
    path, _ = notes_page
    with opened(browser, path) as (page, problems):
        announced = page.get_by_role("status")
        assert announced.count() == 1 and announced.get_attribute("aria-live") == "polite"
        problems.assert_none()


def test_the_notebook_view_works_in_its_frame(
    browser: Any, notes_page: tuple[Path, Value], tmp_path: Path
) -> None:
    _, J = notes_page
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><title>a notebook</title>{explore(J)._repr_html_()}", "utf-8")
    lines = [" ".join(line.split()) for line in trace(J).splitlines() if line.startswith("  ")]
    with opened(browser, host) as (page, problems):
        frame = page.frame_locator("iframe")
        frame.get_by_role("button", name="Next").click()
        assert frame.get_by_role("status").inner_text() == lines[0]
        page.keyboard.press("End")  # the keys reach the page in the frame
        assert frame.get_by_role("status").inner_text() == lines[-1]
        problems.assert_none()


def test_a_graph_whose_labels_are_placed_after_the_layout(browser: Any, tmp_path: Path) -> None:
    # One input feeding ops far apart: the edge labels are placed after the
    # layout (xlabel), with a warning; the page finds them all the same.
    x = Value(0.5, label="x")
    y = x
    for i in range(100):
        y = (y * 1.0001).tanh() if i % 2 else y + x
    with pytest.warns(DrawingWarning):
        assert "xlabel=" in draw(y).source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DrawingWarning)
        path = explore(y, tmp_path / "big.html")
        expected = static_texts(y)
    statements = [" ".join(line.split()) for line in trace(y).splitlines() if line.startswith("  ")]
    with opened(browser, path) as (page, problems):
        page.keyboard.press("End")
        assert status(page) == statements[-1]
        assert shown_now(page) == expected
        page.keyboard.press("ArrowLeft")
        assert status(page) == statements[-2]
        problems.assert_none()


# --- the frame follows the step; zoom -----------------------------------------------------------

LOGISTIC = "-(y*log(sigmoid(w*x+b)) + (1-y)*log(1-sigmoid(w*x+b)))"  # graphgrad --help's example

# Where the parts with these ids are, and the frame's visible area, in the page (px).
BOXES = """(ids) => {
  const frame = document.getElementById("gg-graph");
  const f = frame.getBoundingClientRect();
  const view = {left: f.left + frame.clientLeft, top: f.top + frame.clientTop};
  view.right = view.left + frame.clientWidth;
  view.bottom = view.top + frame.clientHeight;
  const parts = ids.map((id) => document.getElementById(id))
    .filter((e) => e !== null)
    .map((e) => e.getBoundingClientRect())
    .filter((r) => r.width > 0 || r.height > 0)
    .map((r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom}));
  return {view, parts, scroll: [frame.scrollLeft, frame.scrollTop]};
}"""


PICTURE_WIDTH = "document.querySelector('#gg-graph svg').getBoundingClientRect().width"


def inside(box: dict[str, float], view: dict[str, float]) -> bool:
    return bool(
        box["left"] >= view["left"] - 0.5
        and box["right"] <= view["right"] + 0.5
        and box["top"] >= view["top"] - 0.5
        and box["bottom"] <= view["bottom"] + 0.5
    )


def union(boxes: list[dict[str, float]]) -> dict[str, float]:
    return {
        "left": min(b["left"] for b in boxes),
        "top": min(b["top"] for b in boxes),
        "right": max(b["right"] for b in boxes),
        "bottom": max(b["bottom"] for b in boxes),
    }


def page_data(page: Any) -> Any:
    return page.evaluate("JSON.parse(document.getElementById('gg-data').textContent)")


@pytest.fixture(scope="module")
def logistic_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from graphgrad.expr import evaluate, parse

    J = evaluate(parse(LOGISTIC), {"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0})
    return explore(J, tmp_path_factory.mktemp("explore") / "L.html")


def test_the_frame_brings_each_step_into_view_and_stays_put_when_it_is(
    browser: Any, logistic_page: Path
) -> None:
    with opened(browser, logistic_page) as (page, problems):
        page.emulate_media(reduced_motion="reduce")  # the scroll happens at once
        page.reload()
        steps = page_data(page)["steps"]
        first = page.evaluate(BOXES, [])
        assert page.evaluate(PICTURE_WIDTH) > 2 * (first["view"]["right"] - first["view"]["left"])
        moved = stayed = 0
        for step in steps:
            ids = [step["node"], *step["lit"]]
            before = page.evaluate(BOXES, ids)
            was_in_view = all(inside(part, before["view"]) for part in before["parts"])
            page.keyboard.press("ArrowRight")
            after = page.evaluate(BOXES, ids)
            node = page.evaluate(BOXES, [step["node"]])["parts"][0]
            assert inside(node, after["view"]), step["text"]
            whole = union(after["parts"])
            width = after["view"]["right"] - after["view"]["left"]
            if whole["right"] - whole["left"] < width - 40:  # the node, its op and edges fit
                assert all(inside(part, after["view"]) for part in after["parts"]), step["text"]
            if was_in_view:
                assert after["scroll"] == before["scroll"], step["text"]
                stayed += 1
            else:
                moved += 1
        assert moved >= 5 and stayed >= 5  # the picture is three frames wide
        problems.assert_none()


def test_the_frame_scrolls_smoothly_unless_reduced_motion_is_asked(
    browser: Any, logistic_page: Path
) -> None:
    record = """() => {
      window.scrolls = [];
      const original = Element.prototype.scrollTo;
      Element.prototype.scrollTo = function (options) {
        window.scrolls.push(options.behavior);
        return original.call(this, options);
      };
    }"""
    for motion, behavior in (("no-preference", "smooth"), ("reduce", "auto")):
        with opened(browser, logistic_page) as (page, problems):
            page.emulate_media(reduced_motion=motion)
            page.reload()
            page.evaluate(record)
            steps = len(page_data(page)["steps"])
            node = page_data(page)["steps"][steps // 2]["node"]
            for _ in range(steps // 2 + 1):
                page.keyboard.press("ArrowRight")
            # The smooth scroll ends with the step's node in view.
            page.wait_for_function(
                """(id) => {
                  const f = document.getElementById("gg-graph").getBoundingClientRect();
                  const r = document.getElementById(id).getBoundingClientRect();
                  return r.left >= f.left && r.right <= f.right;
                }""",
                arg=node,
            )
            scrolls = page.evaluate("window.scrolls")
            assert scrolls and set(scrolls) == {behavior}
            problems.assert_none()


def test_fit_shows_the_whole_picture_and_100_percent_its_own_size(
    browser: Any, logistic_page: Path
) -> None:
    size = """() => {
      const frame = document.getElementById("gg-graph");
      const svg = frame.querySelector("svg").getBoundingClientRect();
      return {width: svg.width, height: svg.height, room: frame.clientWidth,
              tall: frame.clientHeight, scroll: frame.scrollWidth};
    }"""
    svg = re.search(r"<svg\b.*?</svg>", logistic_page.read_text("utf-8"), re.S)
    assert svg is not None
    natural = float(ET.fromstring(svg.group(0)).get("width", "0pt")[:-2]) * 4 / 3  # pt to px
    with opened(browser, logistic_page) as (page, problems):
        fit, actual = page.locator("#gg-fit"), page.locator("#gg-actual")
        assert actual.get_attribute("aria-pressed") == "true"
        assert page.evaluate(size)["width"] == pytest.approx(natural, abs=1)
        page.keyboard.press("End")
        fit.click()
        shown = page.evaluate(size)
        assert fit.get_attribute("aria-pressed") == "true"
        assert actual.get_attribute("aria-pressed") == "false"
        assert shown["width"] <= shown["room"] + 0.5 and shown["height"] <= shown["tall"] + 0.5
        assert shown["scroll"] <= shown["room"]  # nothing left to scroll to
        assert shown["width"] == pytest.approx(shown["room"], abs=1)  # as large as fits
        actual.click()
        assert page.evaluate(size)["width"] == pytest.approx(natural, abs=1)
        assert actual.get_attribute("aria-pressed") == "true"
        # Stepping on at 100% still shows each step (the last step's node is in view).
        page.keyboard.press("ArrowLeft")
        step = page_data(page)["steps"][-2]
        seen = page.evaluate(BOXES, [step["node"]])
        assert inside(seen["parts"][0], seen["view"])
        problems.assert_none()


def test_a_picture_that_fits_never_moves_and_fit_does_not_enlarge_it(
    browser: Any, notes_page: tuple[Path, Value]
) -> None:
    path, _ = notes_page
    with opened(browser, path) as (page, problems):
        width = page.evaluate(PICTURE_WIDTH)
        while page.locator("#gg-next").is_enabled():
            page.keyboard.press("ArrowRight")
            assert page.evaluate(BOXES, [])["scroll"] == [0, 0]
        page.locator("#gg-fit").click()
        assert page.evaluate(PICTURE_WIDTH) == pytest.approx(width, abs=0.5)
        problems.assert_none()
