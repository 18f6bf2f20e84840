"""The graphgrad command: output, exit codes and messages (via main(argv) and subprocesses)."""

from __future__ import annotations

import os
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
        (["grad", "a**0.5", "a=0"], "negative power"),
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
    for argv in [[], ["frobnicate", "a"], ["draw", "a", "--renderer", "cairo"]]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "usage: graphgrad" in capsys.readouterr().err


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
