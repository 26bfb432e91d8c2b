"""The fused pass: the whole masked blur in one compiled pass, every contract kept."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian
from napari_masked_blur._engines import BORDER_MODES, fused_masked_blur, fused_ready
from napari_masked_blur._engines._fused import fused_refusal

OUTSIDE = ("keep", "zero", "nan", "fill")


def definition(image, weights, sigma, mode="constant", truncate=4.0):
    """G*(x w) / G*w in float64 with scipy, non-finite pixels weighing 0."""
    x = np.asarray(image, np.float64)
    w = np.asarray(weights, np.float64) * np.isfinite(x)
    x = np.where(np.isfinite(x), x, 0)
    kw = {"mode": mode, "truncate": truncate}
    num = ndi.gaussian_filter(x * w, sigma, **kw)
    den = ndi.gaussian_filter(w, sigma, **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def fused(image, mask, sigma, box=None, *, dtype=np.float32, outside="fill", **kw):
    """The fused pass over ``box`` (everything), waiting for its loops."""
    box = box or tuple(slice(0, n) for n in image.shape)
    out = np.full(image.shape, -7.0, dtype)
    options = {"mode": "constant", "truncate": 4.0, "shift": 0.0, **kw}
    options.setdefault("certainty", mask.dtype.kind == "f")
    done = fused_masked_blur(
        image, mask, out, box, sigma, outside=outside, wait=True, **options
    )
    assert done
    return out


def within(out, expected, fraction=1e-4):
    """Same NaNs, and elsewhere within ``fraction`` of the expected value range."""
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    span = np.nanmax(expected) - np.nanmin(expected)
    error = np.nanmax(np.abs(out.astype(np.float64) - expected))
    assert error <= fraction * max(span, 1e-30), (error, span)


@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize(
    ("shape", "sigma"),
    [((37, 53), (2.0, 3.0)), ((6, 9), (4.0, 4.0)), ((9, 23, 21), (1.0, 2.0, 1.5))],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_is_the_definition_for_every_border(mode, shape, sigma, dtype):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 1000, shape).astype(np.uint16)
    mask = rng.random(shape) > 0.4
    out = fused(image, mask, sigma, dtype=dtype, mode=mode, shift=500.0)
    assert out.dtype == dtype
    fraction = 1e-4 if dtype == np.float32 else 1e-10
    within(out, definition(image, mask, sigma, mode), fraction)


@pytest.mark.parametrize("truncate", [1.0, 2.5, 6.0])
def test_truncate_keeps_its_meaning(truncate):
    # One weighted pixel: the output is defined exactly out to the radius.
    mask = np.zeros((41, 43), bool)
    mask[20, 21] = True
    image = np.full(mask.shape, 5, np.uint8)
    out = fused(image, mask, (3.0, 2.0), truncate=truncate)
    expected = definition(image, mask, (3.0, 2.0), truncate=truncate)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_allclose(out[~np.isnan(out)], 5, rtol=1e-6)


@pytest.mark.parametrize("outside", OUTSIDE)
def test_only_the_box_is_written_with_the_outside_policy_there(outside):
    rng = np.random.default_rng(2)
    image = rng.random((30, 40)).astype(np.float32)
    mask = rng.random(image.shape) > 0.5
    box = (slice(5, 20), slice(10, 33))
    out = fused(image, mask, (1.5, 1.5), box, outside=outside)
    assert np.all(out[:5] == -7) and np.all(out[:, :10] == -7)
    expected = definition(image, mask, (1.5, 1.5))[box]
    inside = mask[box]
    got = out[box]
    if outside == "fill":
        within(got, expected, 1e-6)
        return
    within(np.where(inside, got, 0), np.where(inside, expected, 0), 1e-6)
    kept = {"keep": image[box], "zero": 0, "nan": np.nan}[outside]
    np.testing.assert_array_equal(
        got[~inside], np.broadcast_to(kept, got.shape)[~inside]
    )


def test_certainty_weights_and_missing_pixels():
    rng = np.random.default_rng(3)
    image = rng.normal(100, 10, (8, 30, 31))
    image[rng.random(image.shape) > 0.9] = np.nan
    image[0, 0, 0] = np.inf
    weights = rng.random(image.shape) * (rng.random(image.shape) > 0.3)
    out = fused(image, weights, (1.0, 1.5, 2.0), dtype=np.float64, mode="reflect")
    within(out, definition(image, weights, (1.0, 1.5, 2.0), "reflect"), 1e-9)


@pytest.mark.parametrize("ndim", [2, 3])
def test_the_float32_shift_keeps_narrow_band_data_accurate(ndim):
    # 30000 +- 300 in float32: unshifted, rounding costs ~1e-4 of the range.
    rng = np.random.default_rng(4)
    shape = (40, 50) if ndim == 2 else (7, 40, 50)
    image = (30000 + 300 * rng.random(shape)).astype(np.float32)
    mask = rng.random(shape) > 0.5
    sigma = (2.5,) * ndim
    out = fused(image, mask, sigma, shift=float(image[mask][0]), outside="zero")
    expected = np.where(mask, definition(image, mask, sigma), 0)
    within(out, expected, 1e-5)


def test_nan_where_no_weight_is_in_reach():
    mask = np.zeros((20, 60), bool)
    mask[10, 5] = True
    image = np.ones(mask.shape, np.int16)
    out = fused(image, mask, (1.0, 1.0))
    assert out[10, 5] == 1 and np.isnan(out[10, 20]) and np.isnan(out[0, 59])


@pytest.mark.parametrize(
    ("image", "why"),
    [
        (np.zeros((2, 3, 4, 5)), "4 axes"),
        (np.zeros((20, 30))[:, ::2], "not C-contiguous"),
        (np.zeros((4, 5), np.complex64), "complex64"),
    ],
)
def test_what_the_fused_loops_refuse(image, why):
    out = np.zeros(image.shape, np.float32)
    refusal = fused_refusal(image, np.ones(image.shape, bool), out)
    assert refusal is not None and why in refusal


def test_masked_gaussian_with_the_fused_pass_is_the_engines_result():
    rng = np.random.default_rng(5)
    image = rng.integers(0, 4000, (300, 280)).astype(np.uint16)
    mask = np.zeros(image.shape, np.uint8)
    mask[20:290, 10:250] = rng.integers(0, 3, (270, 240))
    assert fused_ready((image.dtype, mask.dtype, np.dtype(np.float32)), wait=True)
    for outside in OUTSIDE:
        for labels in (None, [2]):
            got = masked_gaussian(image, mask, 2.0, outside=outside, labels=labels)
            expected = masked_gaussian(
                image, mask, 2.0, outside=outside, labels=labels, method="scipy"
            )
            within(got, expected, 1e-6)


PROBE = """
import json, sys
sys.modules["numba"] = None  # as if numba could not be imported
import numpy as np
from napari_masked_blur import masked_gaussian
from napari_masked_blur._engines import fused_ready
image = np.arange(400 * 400, dtype=np.float32).reshape(400, 400) % 97
mask = np.ones(image.shape, bool)
a = masked_gaussian(image, mask, 2.0)
ready = fused_ready((image.dtype, mask.dtype, np.dtype(np.float32)), wait=True)
b = masked_gaussian(image, mask, 2.0)
print(json.dumps([ready, float(np.max(np.abs(a - b)))]))
"""


def test_without_numba_the_engines_do_the_work():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    ready, difference = json.loads(done.stdout)
    assert ready is False and difference == 0


def test_compiled_where_numba_has_no_place_for_its_cache():
    from napari_masked_blur._engines._fused_loops import _compiled

    namespace = {}
    exec("def double(x):\n    return 2 * x\n", namespace)  # no file, no cache
    assert _compiled(namespace["double"])(21) == 42


@pytest.mark.parametrize("outside", OUTSIDE)
def test_wide_kernels_take_the_engines_route_with_the_same_result(outside):
    # sigma 5: not fused; the engines' route keeps the box of the quotient.
    rng = np.random.default_rng(6)
    image = rng.normal(500, 50, (260, 270)).astype(np.float32)
    image[rng.random(image.shape) > 0.97] = np.nan
    mask = np.zeros(image.shape, np.int32)
    mask[30:250, 20:200] = rng.integers(0, 3, (220, 180))
    assert fused_ready((image.dtype, mask.dtype, np.dtype(np.float32)), wait=True)
    for labels in (None, [1]):
        got = masked_gaussian(image, mask, 5.0, outside=outside, labels=labels)
        expected = masked_gaussian(
            image, mask, 5.0, outside=outside, labels=labels, method="scipy"
        )
        assert got.dtype == np.float32
        within(got, expected, 1e-5)
