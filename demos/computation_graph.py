"""Draw the notes' computation graphs with their values, gradients and local derivatives.

    python demos/computation_graph.py                  # SVGs into demos/output/
    python demos/computation_graph.py --out DIR        # into DIR
    python demos/computation_graph.py --docs           # into docs/images/ (the docs' pictures)

Two graphs, each after backward():

- ``notes_example.svg``: J(a, b, c) = 3(a + b·c) at a=5, b=3, c=2 (u = b·c, v = a + u, J = 3·v);
- ``logistic_loss.svg``: one example of logistic regression,
  z = w1·x1 + w2·x2 + b, a = σ(z), L = -(y log a + (1 - y) log(1 - a)).

and ``notes_example.html``, a page that steps through the first graph's
forward and backward passes in a browser (graphgrad.explore).

It also prints the step-by-step trace of each.  It runs in about a second;
pictures render with the system Graphviz if installed, else the embedded one.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from graphgrad import Value, explore, render, trace
from graphgrad.draw import RENDERERS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "demos" / "output"
DOCS_IMAGES = ROOT / "docs" / "images"


def notes_example() -> Value:
    """J = 3(a + b·c) with the notes' names for the steps."""
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    J.backward()
    return J


def logistic_loss() -> tuple[Value, list[Value]]:
    """The loss of one example, and the parameters w1, w2, b."""
    x1, x2, y = Value(1.0, label="x1"), Value(2.0, label="x2"), Value(1.0, label="y")
    w1, w2, b = Value(0.5, label="w1"), Value(-0.2, label="w2"), Value(0.1, label="b")
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.label = "L"
    L.backward()
    return L, [w1, w2, b]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help=f"output folder ({DEFAULT_OUT})")
    parser.add_argument("--docs", action="store_true", help=f"write into {DOCS_IMAGES}")
    parser.add_argument("--renderer", choices=RENDERERS, default=None, help="Graphviz to use")
    parser.add_argument("--quiet", action="store_true", help="do not print the traces")
    args = parser.parse_args(argv)
    out: Path = DOCS_IMAGES if args.docs else (args.out or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)

    J = notes_example()
    L, params = logistic_loss()
    written = [
        render(J, out / "notes_example.svg", renderer=args.renderer),
        # Top to bottom: drawn left to right, its ten steps make a picture too
        # wide to read at the width of a page.
        render(
            L, out / "logistic_loss.svg", renderer=args.renderer, params=params, direction="TB"
        ),
    ]
    if not args.docs:  # the docs' pictures folder holds pictures only
        written.append(explore(J, out / "notes_example.html", renderer=args.renderer))
    if not args.quiet:
        print(trace(J), end="\n\n")
        print(trace(L), end="\n\n")
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
