"""The notes' first neural network: a house's price from four inputs through a hidden layer.

The notes draw it with four inputs (size, number of bedrooms, zip code,
wealth of the neighbourhood), a hidden layer whose units might come to stand
for family size, walkability and school quality (each connected to every
input: the network decides what they mean), and the price out.  Here it is an
nn.MLP(4, [3, 1], activation="relu"), trained with Adam on the squared error
over houses generated from exactly such factors (demos/_houses.py), then
drawn as the notes draw it: inputs, hidden units and output as circles, one
line per weight, its width the weight's size, blue for positive and red for
negative.

    python demos/house_network.py            # 3,000 steps
    python demos/house_network.py --quick    # 100 steps (used by the tests)

Writes house_network.png (the network as the notes draw it) and
house_network_fit.png (predicted against true prices, and the cost) to the
output directory (default demos/output/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _houses import FEATURES, HIDDEN, make_houses, standardize
from _training import matplotlib_pyplot, parse_options, split

from graphgrad import Value, no_grad
from graphgrad.nn import MLP, Adam, cost, squared_error
from graphgrad.nn._progress import Progress

OUTPUTS = ("house_network.png", "house_network_fit.png")
PRICE_UNIT = 100.0  # prices are learned in $100k, so that the output's scale is about 1


def main(argv: list[str] | None = None) -> None:
    args = parse_options(argv, __doc__.split("\n")[0], lr=0.01, epochs=3000)
    mlp = MLP(4, [3, 1], activation="relu", seed=2)
    try:
        optimizer = Adam(mlp.parameters(), lr=args.lr)
    except (TypeError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    out: Path = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    X, y = make_houses(500)
    X_train, y_train, X_test, y_test = split(X, y, 0.2, seed=0)
    inputs = Value(standardize(X_train, X_train), label="X", requires_grad=False)
    targets = (y_train / PRICE_UNIT).reshape(-1, 1)
    print(f"{len(y_train)} training and {len(y_test)} test houses; inputs: {', '.join(FEATURES)}")
    print(f"{mlp}; Adam, lr {args.lr}, {args.epochs} steps on the squared error")

    history = []
    start = time.perf_counter()
    with Progress(args.epochs, False if args.no_progress else None, "house network") as bar:
        for step in range(args.epochs):
            J = cost(squared_error(mlp(inputs), targets))
            J.backward()
            optimizer.step()
            history.append(J.data)
            bar.update(step, J.data)
    print(f"trained in {time.perf_counter() - start:.2f} s; cost J from {history[0]:.4f} "
          f"to {history[-1]:.4f}")  # fmt: skip

    def predict(houses: np.ndarray) -> np.ndarray:
        with no_grad():
            return mlp(standardize(houses, X_train)).data[:, 0] * PRICE_UNIT

    for name, houses, prices in (("training", X_train, y_train), ("test", X_test, y_test)):
        error = np.sqrt(np.mean((predict(houses) - prices) ** 2))
        print(f"root-mean-square error on {name} houses: ${error:.0f}k")
    for house in X_test[:3]:
        size, bedrooms, zip_code, wealth = house
        rooms = f"{bedrooms:.0f} bedroom{'s' if bedrooms != 1 else ''}"
        print(f"  {size:.0f} sq ft, {rooms}, zip code {zip_code:.0f}, "
              f"wealth ${wealth:.0f}k: predicted ${predict(house[None])[0]:.0f}k")  # fmt: skip

    plt = matplotlib_pyplot()
    draw_network(plt, mlp, out / OUTPUTS[0])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(y_test, predict(X_test), s=12)
    low, high = float(y.min()), float(y.max())
    left.plot([low, high], [low, high], "k--", linewidth=1)
    left.set(xlabel="true price ($1000s)", ylabel="predicted price ($1000s)", title="test houses")
    right.semilogy(np.arange(1, len(history) + 1), history)
    right.set(xlabel="step", ylabel="cost J (log scale)", title="squared error, Adam")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / OUTPUTS[1], dpi=100)
    plt.close(fig)
    print(f"files in {out}: {', '.join(OUTPUTS)}")


INPUT_RADIUS = 0.045  # the circles of the inputs and the output (axes units)
HIDDEN_BOX = (0.14, 0.05)  # half the width and half the height of a hidden unit's box


def _edge_point(centre: tuple[float, float], towards: tuple[float, float],
                half: tuple[float, float] | None) -> tuple[float, float]:  # fmt: skip
    """Where the line from ``centre`` to ``towards`` leaves a node: its circle
    (``half`` None) or its box of half-width and half-height ``half``."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if half is None:
        t = INPUT_RADIUS / float(np.hypot(dx, dy))
    else:
        t = min(half[0] / abs(dx) if dx else np.inf, half[1] / abs(dy) if dy else np.inf)
    return centre[0] + t * dx, centre[1] + t * dy


def network_figure(plt: Any, mlp: MLP) -> Any:
    """The network as the notes draw it: a column of nodes per layer, a line per weight.

    The inputs and the output are circles named beside them, away from the
    lines; the hidden units are boxes with their names inside.  Each line runs
    between the nodes' edges, so no line crosses a name.
    """
    first, second = mlp.layers
    columns = [list(FEATURES), [f"{name}?" for name in HIDDEN], ["price ŷ"]]
    weights = [first.w.data, second.w.data]  # (inputs, outputs) of each layer
    fig, ax = plt.subplots(figsize=(8, 4.5))
    positions = []
    for i, names in enumerate(columns):
        ys = np.linspace(0.85, 0.15, len(names)) if len(names) > 1 else np.array([0.5])
        positions.append([(0.12 + 0.38 * i, float(y)) for y in ys])
    shape = [None, HIDDEN_BOX, None]
    largest = max(float(np.abs(w).max()) for w in weights)
    for layer, w in enumerate(weights):
        for j, start in enumerate(positions[layer]):
            for k, end in enumerate(positions[layer + 1]):
                x0, y0 = _edge_point(start, end, shape[layer])
                x1, y1 = _edge_point(end, start, shape[layer + 1])
                width = 0.5 + 4.0 * abs(w[j, k]) / largest
                color = "tab:blue" if w[j, k] > 0 else "tab:red"
                ax.plot([x0, x1], [y0, y1], color=color, linewidth=width, alpha=0.7, zorder=1)
    for i, names in enumerate(columns):
        for name, (x, y) in zip(names, positions[i], strict=True):
            if i == 1:
                half_w, half_h = HIDDEN_BOX
                corner = (x - half_w, y - half_h)
                box = plt.Rectangle(corner, 2 * half_w, 2 * half_h, facecolor="white",
                                    edgecolor="black", zorder=2)  # fmt: skip
                ax.add_patch(box)
                ax.text(x, y, name, ha="center", va="center", fontsize=10, zorder=3)
                continue
            ax.add_patch(plt.Circle((x, y), INPUT_RADIUS, color="white", ec="black", zorder=2))
            side, align = (-0.06, "right") if i == 0 else (0.06, "left")
            ax.text(x + side, y, name, ha=align, va="center", fontsize=10, zorder=3)
    ax.text(0.5, 0.97, "x (4 inputs) → hidden ReLU units → price: each line a weight "
            "(blue > 0, red < 0)", ha="center", fontsize=9)  # fmt: skip
    ax.set(xlim=(-0.15, 1.15), ylim=(0.0, 1.0), aspect="equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def draw_network(plt: Any, mlp: MLP, target: Path) -> None:
    """network_figure, saved to ``target``."""
    fig = network_figure(plt, mlp)
    fig.savefig(target, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1:])
