"""Fixtures every test folder may use: a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded alike in every test that takes it (tests may override)."""
    return np.random.default_rng(6)


@pytest.fixture
def loops_settled():
    """Every compile a test queued (a large image asks for its fused pass's
    loops after its first result) is done before the test ends."""
    yield
    from napari_masked_blur._engines import wait_for_loops

    assert wait_for_loops(timeout=600)
