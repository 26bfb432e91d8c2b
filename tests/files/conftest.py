"""Fixtures shared by the lazy tests: a seeded generator and a striped label mask."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(6)


@pytest.fixture
def stripes() -> np.ndarray:
    """Labels 1..3 in diagonal bands that cross every chunk border, 0 between."""
    rows, cols = np.indices((40, 45))
    return np.where((rows + cols) % 13 < 10, (rows + cols) // 13 % 3 + 1, 0)


@pytest.fixture
def volume() -> np.ndarray:
    """A float32 volume of shape (6, 20, 30) for the readers and writers."""
    return np.random.default_rng(3).random((6, 20, 30)).astype(np.float32)
