"""Generated houses for the house-price network demos: four inputs and a price.

Not a demo (hence the leading underscore): house_network.py and
sigmoid_vs_relu.py import it.  The notes' picture of a neural network predicts
a house's price from its size, its number of bedrooms, its zip code and the
wealth of its neighbourhood, through hidden units that might stand for family
size, walkability and school quality.  The data here are made that way: each
price is built from those three factors (each a ReLU of the inputs, so a ReLU
network can represent it), plus noise, from a fixed seed.
"""

from __future__ import annotations

import numpy as np

FEATURES = ("size", "bedrooms", "zip code", "wealth")
HIDDEN = ("family size", "walkability", "school quality")
SEED = 7


def make_houses(m: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """X of shape (m, 4): size (sq ft), bedrooms, zip code (1 to 20), wealth
    (median income, $1000s); y: price in $1000s."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(500.0, 3500.0, m)
    bedrooms = np.clip(np.round(size / 700.0 + rng.normal(0.0, 0.7, m)), 1, 6)
    zip_code = rng.integers(1, 21, m).astype(float)
    # Neighbourhoods with low zip codes are the walkable town centre.
    wealth = np.clip(rng.normal(40.0 + 2.5 * zip_code, 12.0), 15.0, None)
    family_size = np.maximum(0.0, 0.08 * size + 25.0 * bedrooms - 40.0)
    walkability = np.maximum(0.0, 120.0 - 6.0 * zip_code)
    school_quality = np.maximum(0.0, 2.0 * wealth - 50.0)
    price = family_size + walkability + school_quality + rng.normal(0.0, 15.0, m)
    X = np.column_stack([size, bedrooms, zip_code, wealth])
    return X, np.maximum(price, 20.0)


def standardize(X: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each feature moved to mean 0 and scaled to standard deviation 1, as measured
    on ``reference`` (the training data), so one learning rate suits every weight."""
    return (X - reference.mean(axis=0)) / reference.std(axis=0)
