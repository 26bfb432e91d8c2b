"""Fixtures of the file tests: a small float32 volume to read and write."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def volume() -> np.ndarray:
    """A float32 volume of shape (6, 20, 30) for the readers and writers."""
    return np.random.default_rng(3).random((6, 20, 30)).astype(np.float32)
