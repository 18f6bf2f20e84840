"""Write house_prices.csv: made-up house sizes and prices for the one-ReLU-neuron demo.

The data is generated, not collected, so it carries no licence restrictions.
Each of the 60 houses gets, from Python's ``random.Random(7)`` (whose
``uniform`` sequence is reproducible across Python versions):

    size  = round(uniform(400, 3600))                          square feet
    price = round(max(0, 0.25 * (size - 600) + uniform(-40, 40)), 1)   thousands of dollars

that is $250 per square foot above 600 square feet, give or take $40k, and
never negative: the bent line a single ReLU neuron can represent.

Run ``python demos/data/make_house_prices.py [OUTPUT]`` to rewrite the file;
the test suite checks that the shipped file equals this script's output.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SEED = 7
HOUSES = 60


def rows() -> list[tuple[int, float]]:
    rng = random.Random(SEED)
    table = []
    for _ in range(HOUSES):
        size = round(rng.uniform(400, 3600))
        price = round(max(0.0, 0.25 * (size - 600) + rng.uniform(-40, 40)), 1)
        table.append((size, price))
    return table


def csv_text() -> str:
    lines = ["size_sqft,price_thousands"] + [f"{size},{price}" for size, price in rows()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else Path(__file__).with_name("house_prices.csv")
    target.write_text(csv_text(), encoding="utf-8")
    print(f"wrote {HOUSES} houses to {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
