"""Fixtures of the lazy tests: a striped label mask across chunk borders."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def stripes() -> np.ndarray:
    """Labels 1..3 in diagonal bands that cross every chunk border, 0 between."""
    rows, cols = np.indices((40, 45))
    return np.where((rows + cols) % 13 < 10, (rows + cols) // 13 % 3 + 1, 0)
