"""The fused moments give the local statistics the engines' route gives.

Large images take the fused pass (:mod:`napari_masked_blur._math.moments`)
once its loops are compiled; here the size from which it is taken is
lowered, so that small images take it too, and each result is compared
with the float64 reference and with the engines' route on the same input:
every statistic, border mode and type, NaN pixels, certainty weights, every
outside policy the statistic allows.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from napari_masked_blur._api.route import run
from napari_masked_blur._engines import moments_ready
from napari_masked_blur._math import moments
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.settings import BlurSettings
from tests.math.test_statistics import (
    DTYPES,
    MODES,
    STATISTICS,
    assert_close,
    expected,
    sample,
)

POLICIES = {
    "local_variance": ("zero", "nan", "fill"),
    "local_std": ("zero", "nan", "fill"),
    "local_zscore": ("zero", "nan"),
    "local_correlation": ("zero", "nan", "fill"),
}


@pytest.fixture
def routes(monkeypatch):
    """``route(fused, statistic, image, mask, sigma, other, **settings)``.

    ``fused``: the fused pass from any size (its loops got ready first, and
    the test fails if the pass was not taken); else the engines' route.
    """
    taken = []
    original = moments.fused_moments

    def spy(*args, **kwargs):
        done = original(*args, **kwargs)
        taken.append(done)
        return done

    monkeypatch.setattr(moments, "fused_moments", spy)

    def route(fused, statistic, image, mask, sigma, other=None, **settings):
        options = BlurSettings(sigma=sigma, filter=statistic, **settings).check(
            image, mask
        )
        weights = mask.dtype if mask.dtype.kind == "f" else np.dtype(bool)
        types = (image.dtype, weights, output_dtype(image.dtype))
        assert moments_ready(types, wait=True)
        monkeypatch.setattr(moments, "FUSED_FROM_SIZE", 0 if fused else 2**62)
        taken.clear()
        out = run(image, mask, options, other=other)
        assert taken == ([True] if fused else []), taken
        return out

    return route


def with_missing(image, other, dtype, seed=3):
    """Float images with a few NaN and inf pixels (either image)."""
    if np.dtype(dtype).kind != "f":
        return image, other
    rng = np.random.default_rng(seed)
    image, other = image.copy(), other.copy()
    image[rng.random(image.shape) < 0.05] = np.nan
    image[rng.random(image.shape) < 0.01] = np.inf
    other[rng.random(other.shape) < 0.05] = np.nan
    return image, other


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("statistic", STATISTICS)
def test_fused_statistics_are_the_formula_and_the_engines_route(
    routes, statistic, dtype, mode
):
    image, other, mask = sample((23, 31), dtype, seed=2)
    partner = other if statistic == "local_correlation" else None
    sigma = (1.3, 2.1)
    fused = routes(
        True, statistic, image, mask, sigma, partner, mode=mode, outside="nan"
    )
    engines = routes(
        False, statistic, image, mask, sigma, partner, mode=mode, outside="nan"
    )
    assert fused.dtype == engines.dtype == output_dtype(dtype)
    scale = 60 if dtype is np.uint8 else 10
    assert_close(statistic, fused, engines, scale)
    assert_close(
        statistic,
        fused,
        expected(statistic, image, mask, sigma, other, mode=mode),
        scale,
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("statistic", STATISTICS)
def test_fused_statistics_leave_out_missing_pixels_as_the_engines_do(
    routes, statistic, dtype
):
    image, other, mask = sample((29, 24), dtype, seed=4)
    image, other = with_missing(image, other, dtype)
    partner = other if statistic == "local_correlation" else None
    for outside in POLICIES[statistic]:
        fused = routes(True, statistic, image, mask, 1.7, partner, outside=outside)
        engines = routes(False, statistic, image, mask, 1.7, partner, outside=outside)
        np.testing.assert_array_equal(np.isnan(fused), np.isnan(engines))
        assert_close(statistic, fused, engines, 60 if dtype is np.uint8 else 10)


@pytest.mark.parametrize("statistic", STATISTICS)
@pytest.mark.parametrize("weights", [np.float32, np.float64])
def test_fused_statistics_weigh_by_certainty_as_the_engines_do(
    routes, statistic, weights
):
    image, other, _ = sample((26, 27), np.float32, seed=5)
    image, other = with_missing(image, other, np.float32, seed=6)
    rng = np.random.default_rng(7)
    certainty = (rng.random(image.shape) * (rng.random(image.shape) > 0.3)).astype(
        weights
    )
    partner = other if statistic == "local_correlation" else None
    for outside in POLICIES[statistic]:
        fused = routes(
            True, statistic, image, certainty, (2.0, 1.0), partner, outside=outside
        )
        engines = routes(
            False, statistic, image, certainty, (2.0, 1.0), partner, outside=outside
        )
        np.testing.assert_array_equal(np.isnan(fused), np.isnan(engines))
        assert_close(statistic, fused, engines, 10)


@pytest.mark.parametrize("sigma", [(0.0, 1.5, 2.5), (1.2, 1.5, 2.5)])
@pytest.mark.parametrize("statistic", STATISTICS)
def test_fused_statistics_of_a_volume(routes, statistic, sigma):
    image, other, mask = sample((6, 19, 22), np.uint16, seed=8)
    partner = other if statistic == "local_correlation" else None
    settings = {"mode": "wrap", "outside": "nan"}
    fused = routes(True, statistic, image, mask, sigma, partner, **settings)
    engines = routes(False, statistic, image, mask, sigma, partner, **settings)
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(engines))
    assert_close(statistic, fused, engines, 10)
    want = expected(statistic, image, mask, sigma, other, mode="wrap")
    assert_close(statistic, fused, want, 10)


def test_hand_worked_cases_hold_on_the_fused_route(routes):
    # A constant image: std exactly 0 and z-score 0 inside; an image and its
    # negative correlate -1, an image and itself 1.
    rng = np.random.default_rng(9)
    mask = rng.random((30, 40)) > 0.2
    flat = np.full(mask.shape, 30000, np.uint16)
    std = routes(True, "local_std", flat, mask, 2.0)
    assert np.all(std[mask] == 0)
    z = routes(True, "local_zscore", flat, mask, 2.0)
    assert np.all(z[mask] == 0)
    image = (30000 + rng.normal(0, 10, mask.shape)).astype(np.float32)
    same = routes(True, "local_correlation", image, mask, 2.0, image.copy())
    np.testing.assert_allclose(same[mask], 1, atol=1e-4)
    negative = routes(True, "local_correlation", image, mask, 2.0, -image)
    np.testing.assert_allclose(negative[mask], -1, atol=1e-4)


def test_a_second_image_of_another_type_takes_the_engines_route(monkeypatch):
    image, other, mask = sample((24, 30), np.uint16, seed=10)
    other = other.astype(np.float32)
    monkeypatch.setattr(moments, "FUSED_FROM_SIZE", 0)
    options = BlurSettings(sigma=1.5, filter="local_correlation").check(image, mask)
    box = (slice(0, 24), slice(0, 30))
    assert moments._moments_use(image, mask, mask, box, options, other) is None
    out = run(image, mask, options, other=other)
    want = expected("local_correlation", image, mask, (1.5, 1.5), other)
    assert_close("local_correlation", out, want, 10)


@pytest.mark.parametrize("statistic", ["local_std", "local_correlation"])
def test_fused_statistics_in_stripes_halves_and_a_box(routes, statistic):
    # Wide enough for stripes of columns (a wide kernel, six moments), rows
    # enough for two threads, and a mask in one part: the box, the outside
    # policy around it.
    image, other, _ = sample((60, 700), np.uint16, seed=11)
    mask = np.zeros(image.shape, bool)
    mask[10:50, 90:610] = np.random.default_rng(12).random((40, 520)) > 0.2
    partner = other if statistic == "local_correlation" else None
    for outside in ("zero", "fill"):
        settings = {"mode": "nearest", "outside": outside}
        fused = routes(True, statistic, image, mask, (2.0, 10.0), partner, **settings)
        engines = routes(
            False, statistic, image, mask, (2.0, 10.0), partner, **settings
        )
        np.testing.assert_array_equal(np.isnan(fused), np.isnan(engines))
        assert_close(statistic, fused, engines, 10)


@st.composite
def cases(draw):
    """A statistic, its settings and random inputs, large offsets included."""
    statistic = draw(st.sampled_from(STATISTICS))
    dtype = draw(st.sampled_from(DTYPES))
    shape = (draw(st.integers(3, 30)), draw(st.integers(3, 30)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset = 100 if dtype is np.uint8 else draw(st.sampled_from([0, 1000, 30000]))
    spread = draw(st.sampled_from([1, 10, 100]))
    image = (offset + rng.integers(0, spread + 1, shape)).astype(dtype)
    other = (offset + rng.integers(0, spread + 1, shape)).astype(dtype)
    image, other = with_missing(image, other, dtype, seed=int(rng.integers(99)))
    if draw(st.booleans()):  # certainty weights
        mask = (rng.random(shape) * (rng.random(shape) < 0.7)).astype(np.float32)
    else:
        mask = rng.random(shape) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    options = {
        "sigma": tuple(draw(st.floats(0.5, 4.0)) for _ in shape),
        "mode": draw(st.sampled_from(MODES)),
        "outside": draw(st.sampled_from(POLICIES[statistic])),
        "filter": statistic,
    }
    partner = other if statistic == "local_correlation" else None
    return image, mask, partner, options, max(spread, 1)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_fused_statistics_equal_the_engines_route_on_random_inputs(case):
    image, mask, other, options, spread = case
    checked = BlurSettings(**options).check(image, mask)
    weights = mask.dtype if mask.dtype.kind == "f" else np.dtype(bool)
    assert moments_ready((image.dtype, weights, output_dtype(image.dtype)), True)
    taken = []
    original = moments.fused_moments

    def spy(*args, **kwargs):
        taken.append(original(*args, **kwargs))
        return taken[-1]

    with mock.patch.object(moments, "fused_moments", spy):
        with mock.patch.object(moments, "FUSED_FROM_SIZE", 0):
            fused = run(image, mask, checked, other=other)
        with mock.patch.object(moments, "FUSED_FROM_SIZE", 2**62):
            engines = run(image, mask, checked, other=other)
    everywhere_weightless = not np.any(mask)
    assert taken == ([] if everywhere_weightless else [True])
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(engines))
    assert_close(options["filter"], fused, engines, spread)
