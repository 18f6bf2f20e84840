"""The graphgrad command: output, exit codes and messages (via main(argv) and subprocesses)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from graphgrad.cli import main

SVG_NS = "{http://www.w3.org/2000/svg}"
NOTES = ["3*(a+b*c)", "a=5", "b=3", "c=2"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphgrad", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def svg_texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG_NS}text")]


def test_grad_prints_J_and_each_dvar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", *NOTES]) == 0
    assert capsys.readouterr().out == "J = 33\nda = 3\ndb = 6\ndc = 9\n"


def test_grad_prints_every_digit_by_default_and_fewer_on_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["grad", "sigmoid(z)", "z=0.3"]) == 0
    out = capsys.readouterr().out.splitlines()
    s = 1 / (1 + 2.718281828459045**-0.3)
    assert float(out[0].split(" = ")[1]) == pytest.approx(s, rel=1e-15)
    assert float(out[1].split(" = ")[1]) == pytest.approx(s * (1 - s), rel=1e-14)
    assert main(["grad", "sigmoid(z)", "z=0.3", "--digits", "3"]) == 0
    assert capsys.readouterr().out == f"J = {s:.3g}\ndz = {s * (1 - s):.3g}\n"


def test_trace_prints_the_chain_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", *NOTES]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert "J = 3·v2 = 33" in lines
    assert "db = dv1 · ∂v1/∂b = dv1 · c = 3 · 2 = 6" in lines
    assert "da = dv2 · ∂v2/∂a = 3 · 1 = 3" in lines


def test_draw_writes_an_svg_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "J.svg"
    assert main(["draw", *NOTES, "-o", str(target), "--renderer", "embedded"]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    texts = svg_texts(target.read_text(encoding="utf-8"))
    assert {"J = 33", "da = 3", "db = 6", "dc = 9", "∂v1/∂b = c = 2"} <= set(texts)


def test_draw_to_standard_output_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", *NOTES, "--renderer", "embedded", "--no-grad", "--no-derivatives"]) == 0
    texts = svg_texts(capsys.readouterr().out)
    assert "J = 33" in texts and "da = 3" not in texts
    assert not any("∂" in t for t in texts)


def test_draw_dot_needs_no_renderer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "J.dot"
    assert main(["draw", *NOTES, "-o", str(target), "--direction", "TB", "--digits", "2"]) == 0
    source = target.read_text(encoding="utf-8")
    assert "rankdir=TB" in source and '"a = 5\\nda = 3"' in source


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["grad", "3*(a+b*c)", "a=5", "b=3"], "no value for variable c (give c=NUMBER)"),
        (
            ["grad", "3*(a+b*c)", "a=5", "b=3", "C=2"],
            "no value for variable c (C=2 is given, but names are case-sensitive: write c=2)",
        ),
        (
            ["grad", "3(a+b*c)", "a=5", "b=3", "c=2"],
            "write 3*(a+b*c): a number times a bracket needs *",
        ),
        (["grad", "2a", "a=5"], "write 2*a: a number times a variable needs *"),
        (["grad", "(a)(b)", "a=5", "b=1"], "write (a)*(b): a bracket times a bracket needs *"),
        (["grad", "a*2", "a=1", "d=4"], "variable d not used"),
        (["grad", "a*2", "a=abc"], "the value of a is not a number: 'abc'"),
        (["grad", "a*2", "a=nan"], "the value of a must be a finite number"),
        (["grad", "a*2", "a=inf"], "the value of a must be a finite number"),
        (["grad", "a*2", "a"], "expected NAME=VALUE, got 'a'"),
        (["grad", "a*2", "a=1", "a=2"], "variable a is given more than once"),
        (["grad", "a*2", "1a=1"], "'1a' is not a valid variable name"),
        (["grad", "a.b", "a=1"], "attribute access not allowed"),
        (["grad", "__import__('os')"], "'__import__'"),
        (["grad", ""], "empty"),
        (["grad", "a" * 3000], "limit is 2,000"),
        (["trace", "open('x')"], "calling 'open' is not allowed"),
        (["draw", "a+", "a=1"], "syntax error"),
        (["grad", "log(a)", "a=-1"], "log needs a positive input"),
        (["grad", "1/a", "a=0"], "division by zero"),
        (["grad", "a**0.5", "a=0"], "d/da of a**b needs a ≠ 0 when 0 < b < 1"),
        (["grad", "a", "a=1", "--digits", "0"], "digits must be an integer from 1 to 17"),
        (["draw", "a", "a=1", "-o", "picture.jpg"], "end the file name with .svg"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_problem(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphgrad: error: ")
    assert fragment in lines[0]


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in [["frobnicate", "a"], ["draw", "a", "--renderer", "cairo"], ["--version=x"]]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "usage: graphgrad" in capsys.readouterr().err


def test_graphgrad_alone_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("usage: graphgrad")
    assert "examples:" in captured.out and "grad" in captured.out and "explore" in captured.out
    done = run()  # the same from the shell, with no arguments at all
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == captured.out


COMMANDS = ("grad", "trace", "draw", "explore")


def help_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([*args, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_each_command_help_shows_its_own_examples(capsys: pytest.CaptureFixture[str]) -> None:
    helps = {command: help_text(capsys, command) for command in COMMANDS}
    lines = {
        command: [line.strip() for line in text.splitlines() if line.strip()[:10] == "graphgrad "]
        for command, text in helps.items()
    }
    for command, examples in lines.items():
        assert examples, command
        assert all(line.startswith(f"graphgrad {command} ") for line in examples), examples
    main_help = help_text(capsys)
    for examples in lines.values():
        for example in examples:
            assert example in main_help  # graphgrad --help shows them all
    assert "pictures (and explorer pages)" in helps["draw"] and "expressions:" in helps["draw"]
    assert "pictures (and explorer pages)" not in helps["grad"]


@pytest.mark.parametrize("direction", ["tb", "Tb", "TB"])
def test_direction_in_either_case(
    direction: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "J.dot"
    assert main(["draw", *NOTES, "-o", str(target), "--direction", direction]) == 0
    assert "rankdir=TB" in target.read_text(encoding="utf-8")
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["grad", "3*a", "a=1", "-o", "out.txt"],
            "-o is not an option of grad, which prints to standard output: to save that in "
            "a file, redirect it (graphgrad grad ... > FILE); draw and explore write files "
            "with -o",
        ),
        (["trace", "3*a", "--output=t.txt", "a=1"], "--output is not an option of trace"),
        (["trace", "3*a", "a=1", "--renderer", "embedded"],
         "--renderer is not an option of trace (draw and explore have it)"),
        (["explore", "3*a", "a=1", "--no-grad"],
         "--no-grad is not an option of explore (draw has it)"),
    ],
)  # fmt: skip
def test_an_option_of_another_command_is_named_as_such(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"graphgrad {argv[0]}: error: {fragment}" or fragment in last
    assert "put -- before it" not in last and "the expression" not in last


def test_the_renderer_advice_is_in_the_commands_terms(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on PATH
    done = run("draw", *NOTES, "--renderer", "system", "-o", str(tmp_path / "J.svg"), env=env)
    assert done.returncode == 1
    assert "use --renderer embedded" in done.stderr
    assert "renderer='" not in done.stderr and done.stderr.count("\n") == 1


def test_large_graphs_are_drawn_with_the_commands_own_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terms = "+".join(["x"] * 60)
    svg = str(tmp_path / "J.svg")
    assert main(["draw", terms, "x=1", "--max-nodes", "10", "-o", svg]) == 2
    err = capsys.readouterr().err
    assert "more than --max-nodes 10: pass --max-nodes 60 to allow it, or --depth N" in err
    assert "max_nodes=" not in err and "depth=N" not in err
    assert main(["explore", terms, "x=1", "--max-nodes", "10", "-o", str(tmp_path / "J.html")]) == 2
    err = capsys.readouterr().err
    assert "pass --max-nodes 60 to allow it" in err and "depth" not in err
    assert main(["draw", terms, "x=1", "--depth", "2", "-o", str(tmp_path / "J.dot")]) == 0
    dot = (tmp_path / "J.dot").read_text(encoding="utf-8")
    names = re.findall(r'label="(\w+) = ', dot)  # the value boxes, not the edges
    assert sorted(names) == ["J", "v57", "v58", "x"]  # two ops from J
    assert main(["draw", terms, "x=1", "-o", svg]) == 0
    warning = capsys.readouterr().err.splitlines()[0]
    assert warning.startswith("graphgrad: warning: ")
    assert "--depth N" in warning and "--no-derivatives" in warning and "--max-nodes" in warning
    assert "depth=N" not in warning and "max_nodes=" not in warning
    with pytest.raises(SystemExit):
        main(["explore", terms, "x=1", "--depth", "2"])
    assert "--depth is not an option of explore (draw has it)" in capsys.readouterr().err


def test_unwritable_output_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "J.dot"
    assert main(["draw", "a", "a=1", "-o", str(target)]) == 1
    assert (
        capsys.readouterr().err
        == f"graphgrad: error: cannot write {target}: No such file or directory\n"
    )


def test_help_shows_examples_and_python_dash_m_works() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert 'graphgrad draw "3*(a+b*c)" a=5 b=3 c=2 -o J.svg' in done.stdout
    assert 'graphgrad grad "3*(a+b*c)" a=5 b=3 c=2' in done.stdout
    sub = run("draw", "--help")
    assert sub.returncode == 0 and "--renderer" in sub.stdout and "examples:" in sub.stdout
    done = run("grad", *NOTES)
    assert (done.returncode, done.stdout) == (0, "J = 33\nda = 3\ndb = 6\ndc = 9\n")


def test_refusal_in_a_subprocess_has_no_traceback() -> None:
    done = run("grad", "().__class__.__bases__[0].__subclasses__()")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / ("graphgrad.exe" if os.name == "nt" else "graphgrad")
    done = subprocess.run(
        [str(script), "grad", "-x*y", "x=2", "y=3"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == "J = -6\ndx = -3\ndy = -2\n"


def test_png_without_a_system_graphviz_says_how_to_fix_it(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on PATH
    env.pop("GRAPHGRAD_RENDERER", None)
    done = run("draw", *NOTES, "-o", str(tmp_path / "J.png"), env=env)
    assert done.returncode == 1
    assert "needs Graphviz's `dot`" in done.stderr and "install Graphviz" in done.stderr
    assert not (tmp_path / "J.png").exists()


def test_svg_without_a_system_graphviz_uses_the_embedded_renderer(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    env.pop("GRAPHGRAD_RENDERER", None)
    done = run("draw", *NOTES, "-o", str(tmp_path / "J.svg"), env=env)
    assert done.returncode == 0, done.stderr
    assert "dc = 9" in svg_texts((tmp_path / "J.svg").read_text(encoding="utf-8"))


def test_expressions_starting_with_minus(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", "-(a*b)", "a=2", "b=3"]) == 0
    assert capsys.readouterr().out == "J = -6\nda = -3\ndb = -2\n"
    assert main(["grad", "--", "-omega*t", "omega=2", "t=3"]) == 0
    assert capsys.readouterr().out == "J = -6\ndomega = -3\ndt = -2\n"


@pytest.mark.parametrize(("x", "dx"), [("-2", "-4"), ("0", "0"), ("3", "6")])
def test_a_constant_exponent_written_as_an_expression_stays_a_constant(
    x: str, dx: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # d/dx x**(1+1) = 2x; the exponent must not be differentiated (log of x <= 0).
    assert main(["grad", "x**(1+1)", f"x={x}"]) == 0
    assert f"dx = {dx}" in capsys.readouterr().out.splitlines()


def test_name_value_pairs_may_follow_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", "x*y", "x=1", "--digits", "3", "y=2"]) == 0
    assert capsys.readouterr().out == "J = 2\ndx = 2\ndy = 1\n"
    assert main(["grad", "x*y", "--digits", "3", "x=1.5", "y=2"]) == 0
    assert capsys.readouterr().out == "J = 3\ndx = 2\ndy = 1.5\n"


def test_name_value_pairs_after_an_option_end_up_in_draw_and_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "J.dot"
    assert main(["draw", "x*y", "x=3", "-o", str(target), "--digits", "2", "y=2"]) == 0
    assert '"y = 2\\ndy = 3"' in target.read_text(encoding="utf-8")
    assert main(["trace", "x*y", "--digits", "2", "x=3", "y=2"]) == 0
    assert "dy = dJ · ∂J/∂y = dJ · x = 1 · 3 = 3" in capsys.readouterr().out


def test_an_expression_starting_with_minus_where_an_option_could_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As the first argument, -omega*t is the expression, for draw too, though -o... is
    # its output option there: a picture's file name ends in .svg, .png, .pdf or .dot.
    assert main(["grad", "-omega*t", "omega=2", "t=3"]) == 0
    assert capsys.readouterr().out == "J = -6\ndomega = -3\ndt = -2\n"
    assert main(["trace", "-omega*t", "omega=2", "t=3"]) == 0
    assert "domega = dv1 · ∂v1/∂omega" in " ".join(capsys.readouterr().out.split())
    target = tmp_path / "J.dot"
    assert main(["draw", "-omega*t", "omega=2", "t=3", "-o", str(target)]) == 0
    assert '"omega = 2\\ndomega = -3"' in target.read_text(encoding="utf-8")
    assert main(["draw", f"-o{tmp_path / 'K.dot'}", "x", "x=1"]) == 0  # -oFILE: the option
    assert (tmp_path / "K.dot").exists()
    capsys.readouterr()


def test_an_expression_starting_with_minus_after_an_option_says_to_use_dashes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["grad", "--digits", "3", "-omega*t", "omega=2", "t=3"], ["grad", "--x*y"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("usage: graphgrad grad")
        last = err.splitlines()[-1]
        assert last.startswith("graphgrad grad: error: unrecognized option '-")
        assert "put -- before it" in last
    with pytest.raises(SystemExit):
        main(["grad", "--digits", "3", "-omega*t"])
    assert "graphgrad grad [options] -- '-omega*t' NAME=VALUE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grad", "--digits", "3", "-x\x1b[2J"])  # shown escaped, never obeyed
    err = capsys.readouterr().err
    assert "\x1b" not in err and "'-x\\x1b[2J'" in err
    assert main(["grad", "--digits", "3", "--", "-omega*t", "omega=2", "t=3"]) == 0
    assert capsys.readouterr().out == "J = -6\ndomega = -3\ndt = -2\n"
    assert main(["grad", "--", "-x", "x=1", "--digits", "3"]) == 2
    assert "got '--digits' (options go before --)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("expression", "values", "output"),
    [
        ("J*2", ["J=3"], "out = 6\ndJ = 2\n"),
        ("J*out*f", ["J=1", "out=2", "f=3"], "g = 6\ndJ = 6\ndout = 3\ndf = 2\n"),
        ("a", ["a=5"], "a = 5\nda = 1\n"),  # the output is the variable itself
    ],
)
def test_the_output_is_never_named_like_an_input(
    expression: str, values: list[str], output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["grad", expression, *values]) == 0
    assert capsys.readouterr().out == output


def test_trace_and_draw_name_the_output_as_grad_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", "J*2", "J=3"]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert "out = 2·J = 6" in lines and "dJ = dout · ∂out/∂J = 1 · 2 = 2" in lines
    assert main(["draw", "J*2", "J=3", "-o", str(tmp_path / "J.dot")]) == 0
    source = (tmp_path / "J.dot").read_text(encoding="utf-8")
    assert '"out = 6\\ndout = 1"' in source and '"J = 3\\ndJ = 2"' in source


def test_a_missing_expression_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("grad", "trace", "draw"):
        with pytest.raises(SystemExit) as info:
            main([command])
        assert info.value.code == 2
        last = capsys.readouterr().err.splitlines()[-1]
        assert f"graphgrad {command}: error: the expression is missing" in last
        assert "NAME=VALUE is required" not in last and "required: expression, NAME" not in last
    assert main(["grad", "5"]) == 0  # numbers alone need no NAME=VALUE
    assert capsys.readouterr().out == "J = 5\n"
    assert main(["grad", "x=1", "x*2"]) == 2
    assert "expected the expression first, got 'x=1'" in capsys.readouterr().err


def test_a_flat_sum_of_many_terms_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    text = "+".join(["a"] * 300)  # 599 characters, no parentheses
    assert main(["grad", text, "a=0.5"]) == 0
    assert capsys.readouterr().out == "J = 150\nda = 300\n"


def test_the_errors_shown_in_the_docs_are_the_commands_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each `$ graphgrad ...` of docs/command.md's Errors section, run: it prints what
    the page shows (on standard error)."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "command.md").read_text("utf-8")
    section = page.split("## Errors", 1)[1]
    block = section.split("```\n", 2)[1]
    runs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        else:
            runs[-1][1].append(line)
    assert len(runs) >= 8
    for command, shown in runs:
        argv = shlex.split(command)
        assert argv[0] == "graphgrad"
        try:
            status = main(argv[1:])
        except SystemExit as exc:  # argparse's errors: usage, then the message
            status = exc.code
        assert status == 2, command
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.splitlines() == shown, command


def test_code_prints_the_program_of_both_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["code", "3*(a+b*c)", "a=5", "b=3", "c=2"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == "def program(a, b, c):"
    assert lines[1:4] == ["v1 = b * c", "v2 = a + v1", "J = 3.0 * v2"]
    assert lines[-3:] == ["db = dv1 * c", "dc = dv1 * b", "return J, (da, db, dc)"]
    loss = "-(y*log(sigmoid(w*x+b)) + (1-y)*log(1-sigmoid(w*x+b)))"
    assert main(["code", loss, "w=0.5", "x=2", "b=0.1", "y=1"]) == 0
    out = capsys.readouterr().out
    # The chain rule through σ and the notes' dw = dz·x, for each use of σ(w·x + b).
    assert "dv2 = dv3 * (v3 * (1.0 - v3))" in out and "dw = dv1 * x" in out
    assert main(["code", "3(a+b)", "a=1", "b=2"]) == 2  # the same advice as grad's
    assert "a number times a bracket needs *" in capsys.readouterr().err


def test_a_drawing_warning_is_one_line_in_the_commands_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expression = "+".join(["x"] * 300)
    assert main(["draw", expression, "x=1", "-o", str(tmp_path / "big.dot")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("graphgrad: warning: the graph of 'J'")
    assert "--no-derivatives" in err[0] and "show_derivatives" not in err[0]
