"""One view of a graph feeds the trace, the picture and the pages: made once, with at
most one backward pass, and the drawing options checked in one place."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from test_explore import notes_graph, page_data

import graphgrad
import graphgrad.training
from graphgrad import Value, draw, explore, trace
from graphgrad.graph import gradient_order, topological_order
from graphgrad.view import DrawOptions, Options, PageOptions, view_of

view_module = sys.modules["graphgrad.view"]
PACKAGE = Path(graphgrad.__file__).resolve().parent
# The modules that show a graph: none of them runs a backward pass of its own.
PRESENTATION = (
    "draw", "drawing", "explore", "formula", "pages", "renderers", "trace", "training",
)  # fmt: skip


def counting(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Value], list[Any]]:
    """Every backward() call and every view made, from now on."""
    backward_calls: list[Value] = []
    views: list[Any] = []
    backward = Value.backward
    make_view = view_module.view_of

    def counted_backward(self: Value, create_graph: bool = False) -> None:
        backward_calls.append(self)
        backward(self, create_graph)

    def counted_view(*args: Any, **kwargs: Any) -> Any:
        made = make_view(*args, **kwargs)
        views.append(made)
        return made

    monkeypatch.setattr(Value, "backward", counted_backward)
    for module in ("view", "draw", "trace", "explore", "training"):
        monkeypatch.setattr(sys.modules[f"graphgrad.{module}"], "view_of", counted_view)
    return backward_calls, views


def test_the_explorer_makes_one_view_with_one_backward_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    J = notes_graph()
    backward_calls, views = counting(monkeypatch)
    page = explore(J)
    assert backward_calls == [J]
    assert len(views) == 1 and views[0].backward_ran
    # The steps are the lines of that view's trace, under the picture's names.
    assert page_data(page.html)["lines"] == trace(J).splitlines()


def test_a_picture_runs_no_backward_pass_and_a_trace_runs_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    J = notes_graph()
    backward_calls, views = counting(monkeypatch)
    draw(J)
    assert backward_calls == [] and len(views) == 1
    trace(J, backward=False)
    assert backward_calls == []
    trace(J)
    assert backward_calls == [J] and len(views) == 3


def test_a_training_snapshot_makes_one_view_with_one_backward_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphgrad.training import TrainingRecorder

    w = Value(0.5, label="w")

    def example() -> tuple[Value, list[Value]]:
        loss = (w * 2.0 - 1.0) ** 2
        loss.label = "L"
        return loss, [w]

    backward_calls, views = counting(monkeypatch)
    recorder = TrainingRecorder(3, example)
    recorder.start()
    assert len(backward_calls) == 1 and len(views) == 1


def backward_calls_in(name: str) -> list[int]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "backward"
    ]


def test_only_the_view_runs_backward_among_the_presentation_modules() -> None:
    for name in PRESENTATION:
        assert backward_calls_in(name) == [], f"{name}.py calls backward()"
    assert len(backward_calls_in("view")) == 1


def test_the_view_lists_nodes_in_topological_order_and_the_trace_gradients_in_gradient_order() -> (
    None
):
    J = notes_graph()
    view = view_of(J, backward=True)
    assert list(view.nodes) == topological_order(J)
    data = page_data(explore(J).html)
    by_id = {f"gg-n{i}": node for node, i in view.index.items()}
    forward = [by_id[s["node"]] for s in data["steps"] if s["kind"] == "forward"]
    backward = [by_id[s["node"]] for s in data["steps"] if s["kind"] == "backward"]
    shown = set(forward)
    assert forward == [n for n in topological_order(J) if n in shown]
    assert backward == [n for n in gradient_order(J) if n in set(backward)]
    assert len(backward) == 6


def test_the_drawing_options_are_one_set_checked_once() -> None:
    J = notes_graph()
    assert set(PageOptions.__annotations__) < set(DrawOptions.__annotations__)
    with pytest.raises(TypeError, match=r"draw\(\) got an unexpected keyword argument 'colour'"):
        draw(J, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"explore\(\) got an unexpected keyword argument 'depth'"):
        explore(J, depth=1)  # type: ignore[call-arg]
    for bad, message in (
        ({"digits": 0}, "digits must be"),
        ({"direction": "up"}, "direction must be one of"),
        ({"max_nodes": 0}, "max_nodes must be"),
        ({"depth": -1}, "depth must be"),
        ({"show_grad": "yes"}, "show_grad must be"),
        ({"params": [1.0]}, "params must be Values"),
        ({"params": J}, "params must be a list of Values"),
    ):
        with pytest.raises((TypeError, ValueError), match=message):
            Options.of(bad, "draw")
        with pytest.raises((TypeError, ValueError), match=message):
            draw(J, **bad)  # type: ignore[arg-type]
    assert Options.of({"params": [J]}, "draw").params == frozenset([J])
