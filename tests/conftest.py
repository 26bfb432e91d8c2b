"""Fixtures every test folder may use: a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded alike in every test that takes it (tests may override)."""
    return np.random.default_rng(6)
