"""The explorer page's contents, checked without a browser: its steps are the trace's
lines, its picture is draw()'s, its data cannot break out of its script, and
it loads nothing.  (tests/test_explore_browser.py drives the page itself.)"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphgrad
from graphgrad import Value, explore, to_svg, trace
from graphgrad.cli import main
from graphgrad.explore import Page, script_json
from graphgrad.graph import GraphTooLargeError

SVG_NS = "{http://www.w3.org/2000/svg}"
NOTES = ["3*(a+b*c)", "a=5", "b=3", "c=2"]
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


def page_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="gg-data">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def page_svg(page: str) -> ET.Element:
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match is not None
    return ET.fromstring(match.group(0))


def group_texts(svg: ET.Element) -> dict[str, list[str]]:
    """The lines of text of each part of the picture, by the part's id."""
    return {
        g.get("id", ""): ["".join(t.itertext()) for t in g.iter(f"{SVG_NS}text")]
        for g in svg.iter(f"{SVG_NS}g")
        if g.get("class") in ("node", "edge")
    }


def sorted_texts(svg: ET.Element) -> list[str]:
    return sorted("".join(t.itertext()) for t in svg.iter(f"{SVG_NS}text"))


def squash(line: str) -> str:
    return " ".join(line.split())


def test_the_steps_are_the_trace_lines_in_order() -> None:
    J = notes_graph()
    data = page_data(explore(J).html)
    expected = trace(J).splitlines()
    assert data["lines"] == expected
    # Every line that computes something is a step, in order; the headings and
    # the blank line between the passes are not.
    computing = [squash(line) for line in expected if line.startswith("  ")]
    assert [step["text"] for step in data["steps"]] == computing
    assert [step["kind"] for step in data["steps"]] == ["forward"] * 6 + ["backward"] * 6
    assert computing[-3] == "du = dv · ∂v/∂u = 3 · 1 = 3"


def test_each_step_names_the_node_and_edges_it_talks_about() -> None:
    data = page_data(explore(notes_graph()).html)
    texts = group_texts(page_svg(explore(notes_graph()).html))
    by_text = {step["text"]: step for step in data["steps"]}
    # db = du · ∂u/∂b: the node b, the edge b → (u's op) labelled ∂u/∂b = c = 2,
    # and u, where the gradient comes from.
    db = by_text["db = du · ∂u/∂b = du · c = 3 · 2 = 6"]
    assert texts[db["node"]] == ["b = 3", "db = 6"]
    assert [texts[edge] for edge in db["labels"]] == [["∂u/∂b = c = 2"]]
    assert [texts[node] for node in db["from"]] == [["u = 6", "du = 3"]]
    assert set(db["labels"]) <= set(db["lit"])
    # u = b·c: the node u, its op, and the edges from b and c into it.
    u = by_text["u = b·c = 6"]
    assert texts[u["node"]] == ["u = 6", "du = 3"]
    lit = [texts[part] for part in u["lit"]]
    assert ["*"] in lit and ["∂u/∂b = c = 2"] in lit and ["∂u/∂c = b = 3"] in lit
    # A leaf's forward step is about the leaf alone.
    assert by_text["a = 5"]["lit"] == [] and texts[by_text["a = 5"]["node"]] == ["a = 5", "da = 3"]


def test_the_picture_is_the_static_picture_and_the_data_matches_it() -> None:
    J = notes_graph()
    page = explore(J).html
    svg = page_svg(page)
    static = ET.fromstring(to_svg(J).encode("utf-8"))
    assert sorted_texts(svg) == sorted_texts(static)
    data = page_data(page)
    texts = group_texts(svg)
    for part, node in data["nodes"].items():
        assert texts[part] == node["value"] + node["grad"], part
    for part, lines in data["labels"].items():
        assert texts[part] == lines, part
    # Every derivative line of the picture is one the page reveals step by step.
    grads = {line for node in data["nodes"].values() for line in node["grad"]}
    assert grads == {"da = 3", "db = 6", "dc = 9", "du = 3", "dv = 3", "dJ = 1"}


def test_a_node_used_twice_by_one_op_gets_both_edges() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    page = explore(y).html
    data, texts = page_data(page), group_texts(page_svg(page))
    dx = data["steps"][-1]
    assert dx["text"] == "dx = dy · ∂y/∂x + dy · ∂y/∂x = dy · x + dy · x = 1 · 3 + 1 · 3 = 6"
    assert len(dx["labels"]) == 2 and len(set(dx["labels"])) == 2
    assert [texts[edge] for edge in dx["labels"]] == [["∂y/∂x = x = 3"]] * 2


def test_an_array_output_gets_the_forward_pass_and_the_note() -> None:
    x = Value(np.array([1.0, 2.0]), label="x")
    y = x * 2.0
    y.label = "y"
    data = page_data(explore(y).html)
    assert data["lines"] == trace(y).splitlines()
    assert [step["kind"] for step in data["steps"]] == ["forward", "forward", "note"]
    assert data["steps"][-1]["text"] == "No backward pass: y has shape (2,), not one number."
    assert all(node["grad"] == [] for node in data["nodes"].values())


def test_hostile_labels_stay_text() -> None:
    x = Value(1.0, label=HOSTILE)
    y = x * x + x
    y.label = "</script><script>alert(2)</script>"
    page = explore(y).html
    # Our two scripts and nothing else: no label opened or closed a script,
    # and no markup came from a label.
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page and "alert(2)</script>" not in page
    data = page_data(page)
    shown = graphgrad.graph.printable(HOSTILE)
    assert data["nodes"][data["steps"][0]["node"]]["name"] == shown
    assert data["lines"] == trace(y).splitlines()
    # The picture shows the labels literally, as draw() does.
    assert shown + " = 1" in group_texts(page_svg(page))[data["steps"][0]["node"]]


def test_script_json_escapes_what_could_end_a_script() -> None:
    value = {"s": "</script><!-- \u2028\u2029 & > \ud800 ✓"}
    text = script_json(value)
    assert not set("<>&") & set(text) and text.isascii()
    assert json.loads(text) == value


def test_the_page_loads_nothing_and_allows_only_its_own_script() -> None:
    page = explore(notes_graph()).html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and "url(" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and "default-src 'none'" in policy.group(1)
    assert "unsafe-inline" not in policy.group(1)


def test_path_page_and_notebook_view_are_the_same_page(tmp_path: Path) -> None:
    J = notes_graph()
    page = explore(J)
    assert isinstance(page, Page)
    assert repr(page).startswith("<graphgrad page: explorer of 'J': 12 steps")
    written = explore(J, tmp_path / "J.html")
    assert written == tmp_path / "J.html"
    assert written.read_text(encoding="utf-8") == page.html
    frame = page._repr_html_()
    srcdoc = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" .*</iframe>', frame)
    assert srcdoc is not None and html.unescape(srcdoc.group(1)) == page.html
    assert page.save(tmp_path / "K.htm").read_text(encoding="utf-8") == page.html


def test_bad_arguments_are_named() -> None:
    J = notes_graph()
    with pytest.raises(ValueError, match=r"path must end in \.html or \.htm.*'J\.svg'"):
        explore(J, "J.svg")
    with pytest.raises(TypeError, match="path must be a file name"):
        explore(J, 3)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="direction must be one of"):
        explore(J, direction="up")
    with pytest.raises(ValueError, match="digits"):
        explore(J, digits=0)
    with pytest.raises(TypeError, match="expected a Value"):
        explore(3.0)  # type: ignore[call-overload]


def test_big_graphs_are_refused_as_draw_refuses_them() -> None:
    z = Value(0.5, label="z")
    for _ in range(1100):
        z = z * 1.0
    z.label = "J"
    with pytest.raises(GraphTooLargeError) as drawn:
        graphgrad.draw(z)
    with pytest.raises(GraphTooLargeError) as explored:
        explore(z)
    for message in (str(drawn.value), str(explored.value)):
        assert "the graph of 'J' has 2,201 nodes, more than max_nodes=2,000" in message
        assert "pass max_nodes=2201 to allow it" in message


# --- the command -------------------------------------------------------------------------


def test_the_command_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "J.html"
    assert main(["explore", *NOTES, "-o", str(target), "--renderer", "embedded"]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    data = page_data(target.read_text(encoding="utf-8"))
    assert "db = dv1 · ∂v1/∂b = dv1 · c = 3 · 2 = 6" in [step["text"] for step in data["steps"]]
    assert main(["trace", *NOTES]) == 0
    assert data["lines"] == capsys.readouterr().out.splitlines()


def test_the_command_writes_the_page_to_standard_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explore", "-x*y", "x=2", "y=3", "--digits", "2", "--direction", "TB"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>")
    texts = [step["text"] for step in page_data(page)["steps"]]
    assert "dx = dv1 · ∂v1/∂x = 3 · (-1) = -3" in texts


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        ([*NOTES, "-o", "J.svg"], 2, "the output file must end in .html or .htm"),
        (["a*", "a=1"], 2, "syntax error"),
        (["a*b", "a=1"], 2, "no value for variable b"),
        (["a", "a=1", "--digits", "0"], 2, "digits must be an integer from 1 to 17"),
        (["a", "a=1", "-o", "missing/J.html"], 1, "cannot write missing/J.html"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(
    args: list[str],
    status: int,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["explore", *args]) == status
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphgrad: error: ")
    assert fragment in lines[0]


def test_the_command_keeps_its_output_option_before_the_expression(tmp_path: Path) -> None:
    target = tmp_path / "E.html"
    assert main(["explore", f"-o{target}", "x*2", "x=1"]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(SystemExit):
        main(["explore"])
