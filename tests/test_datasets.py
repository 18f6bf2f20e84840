"""The data sets: shapes, determinism, and the geometry each is defined by."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphgrad
from graphgrad.datasets import make_flower, make_moons, make_spiral


def test_moons_without_noise_lie_on_their_two_half_circles() -> None:
    X, y = make_moons(41, noise=0.0, seed=3)
    assert X.shape == (41, 2) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [20, 21]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-12)
    assert (upper[:, 1] >= 0).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert (lower[:, 1] <= 0.5).all()
    # Both ends of each half circle are there: the angles run over [0, π].
    assert sorted(np.round(upper[:, 0], 12).tolist())[::19] == [-1.0, 1.0]


def test_moons_noise_has_the_requested_spread() -> None:
    clean, labels = make_moons(2000, noise=0.0, seed=5)
    noisy, noisy_labels = make_moons(2000, noise=0.1, seed=5)
    # Same seed: the same shuffle, so row i of both is the same point before noise.
    assert (labels == noisy_labels).all()
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.05)


def test_spiral_arms_follow_the_formula() -> None:
    X, y = make_spiral(30, classes=4, seed=0, noise=0.0)
    assert X.shape == (120, 2) and np.bincount(y).tolist() == [30] * 4
    radius = np.linspace(0.0, 1.0, 30)
    for label in range(4):
        arm = X[y == label]
        np.testing.assert_allclose(np.hypot(arm[:, 0], arm[:, 1]), radius, atol=1e-12)
        angle = 4.0 * label + 4.0 * radius[1:]
        np.testing.assert_allclose(arm[1:, 0], radius[1:] * np.sin(angle), atol=1e-12)
        np.testing.assert_allclose(arm[1:, 1], radius[1:] * np.cos(angle), atol=1e-12)


def test_flower_is_the_notes_planar_data_set() -> None:
    X, y = make_flower(400, seed=1)
    # The notes' load_planar_dataset, written out with the same random draws.
    rng = np.random.default_rng(1)
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, 200) + rng.normal(size=200) * 0.2
        r = 4 * np.sin(4 * t) + rng.normal(size=200) * 0.2
        rows = slice(200 * j, 200 * (j + 1))
        np.testing.assert_allclose(X[rows], np.c_[r * np.sin(t), r * np.cos(t)], rtol=1e-14)
        assert (y[rows] == j).all()
    assert np.abs(X).max() < 4.0 + 1.0  # petals of radius about 4


@pytest.mark.parametrize(
    "make", [lambda s: make_moons(64, seed=s), lambda s: make_spiral(20, seed=s), make_flower]
)
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(make: object) -> None:
    X1, y1 = make(7)  # type: ignore[operator]
    X2, y2 = make(7)  # type: ignore[operator]
    X3, _ = make(8)  # type: ignore[operator]
    assert (X1 == X2).all() and (y1 == y2).all()
    assert not np.array_equal(X1, X3)


def test_the_package_exposes_the_module() -> None:
    assert graphgrad.datasets.make_moons is make_moons


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match="n must be at least 2"):
        make_moons(1)
    with pytest.raises(TypeError, match="n must be an int"):
        make_moons(10.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        make_moons(10, noise=math.nan)
    with pytest.raises(ValueError, match="classes must be at least 2"):
        make_spiral(10, classes=1)
    with pytest.raises(TypeError, match="n_per_class must be an int"):
        make_spiral(True)
    with pytest.raises(ValueError, match="seed must be None or an int"):
        make_flower(10, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        make_flower(10, seed=1.5)  # type: ignore[arg-type]


def test_the_module_lists_what_it_offers() -> None:
    import graphgrad.datasets as datasets

    assert dir(datasets) == sorted(datasets.__all__) == ["make_flower", "make_moons", "make_spiral"]
    assert all(callable(getattr(datasets, name)) for name in datasets.__all__)
