"""The masked local statistics against the float64 reference written from their
formulas (:mod:`tests.math.test_statistics_reference`): every border mode,
uint8/uint16/float32/float64, NaN pixels, per-axis sigma, 2D and 3D, per
label, regions of the whole.
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur._api.route import run, run_piece
from napari_masked_blur._math.filter import Term
from napari_masked_blur._math.settings import BlurSettings
from napari_masked_blur._math.terms import term_arrays
from tests.math.test_statistics_reference import reference

# Large images queue their fused pass's loops: let that worker finish.
pytestmark = pytest.mark.usefixtures("loops_settled")

STATISTICS = ("local_variance", "local_std", "local_zscore", "local_correlation")
MODES = ("missing", "reflect", "mirror", "nearest", "wrap")
DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


def sample(shape, dtype, seed=0):
    """An image, a second image, a random mask: uint16 at 30,000 ± 10."""
    rng = np.random.default_rng(seed)
    offset = {np.uint8: 120, np.uint16: 30000}.get(dtype, 30000.0)
    spread = 10 if dtype is not np.uint8 else 60
    image = (offset + rng.integers(-spread, spread + 1, shape)).astype(dtype)
    # The second image: partly the first, partly its own noise.
    noise = rng.integers(-spread, spread + 1, shape)
    other = (offset + (image.astype(float) - offset) // 2 + noise // 2).astype(dtype)
    mask = rng.random(shape) > 0.3
    return image, other, mask


def compute(statistic, image, mask, sigma, other=None, **settings):
    options = BlurSettings(sigma=sigma, filter=statistic, **settings).check(image, mask)
    if statistic != "local_correlation":
        other = None
    return run(image, mask, options, other=other)


def expected(statistic, image, mask, sigma, other=None, outside="nan", **kwargs):
    if statistic != "local_correlation":
        other = None
    out = reference(statistic, image, mask.astype(float), sigma, other=other, **kwargs)
    if outside != "fill":
        out[~mask] = np.nan if outside == "nan" else 0.0
    return out


def assert_close(statistic, out, want, scale):
    """Within float32's rounding of the terms (their size: ``scale``)."""
    tolerance = {
        "local_variance": 2e-3 * scale**2,
        "local_std": 2e-3 * scale,
        "local_zscore": 2e-3,
        "local_correlation": 2e-3,
    }[statistic]
    np.testing.assert_allclose(out, want, rtol=1e-3, atol=tolerance)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("statistic", STATISTICS)
def test_each_statistic_agrees_with_the_formula_in_2d(statistic, dtype, mode):
    image, other, mask = sample((9, 11), dtype)
    sigma = (1.3, 0.9)
    out = compute(statistic, image, mask, sigma, other, mode=mode, outside="nan")
    want = expected(statistic, image, mask, sigma, other, mode=mode)
    assert out.dtype == (np.float64 if dtype is np.float64 else np.float32)
    assert_close(statistic, out, want, 60 if dtype is np.uint8 else 10)


@pytest.mark.parametrize("statistic", STATISTICS)
def test_each_statistic_agrees_with_the_formula_in_3d_per_axis_sigma(statistic):
    image, other, mask = sample((6, 8, 7), np.uint16, seed=1)
    sigma = (0.8, 1.5, 1.0)
    outside = "nan" if statistic == "local_zscore" else "fill"  # z: no fill
    out = compute(statistic, image, mask, sigma, other, mode="reflect", outside=outside)
    want = expected(statistic, image, mask, sigma, other, outside, mode="reflect")
    assert_close(statistic, out, want, 10)


@pytest.mark.parametrize("statistic", STATISTICS)
def test_missing_pixels_are_in_no_sum(statistic):
    image, other, mask = sample((10, 9), np.float32, seed=2)
    image[2, 3] = np.nan
    image[6, 1] = np.inf
    other[4, 4] = np.nan  # missing in the second image only
    out = compute(statistic, image, mask, 1.2, other, outside="nan")
    want = expected(statistic, image, mask, (1.2, 1.2), other)
    assert_close(statistic, out, want, 10)


def test_a_missing_pixel_inside_the_mask_has_no_zscore_but_its_neighbours_do():
    image = np.full((5, 5), 100.0)
    image[1, 1] = 140.0
    image[2, 2] = np.nan
    z = compute("local_zscore", image, np.ones((5, 5), bool), 1.0)
    assert np.isnan(z[2, 2])
    assert np.isfinite(np.delete(z.ravel(), 12)).all()
    assert z[1, 1] > 1


@pytest.mark.parametrize("statistic", STATISTICS)
def test_certainty_weights_weigh_each_pixel(statistic):
    image, other, _ = sample((8, 9), np.float64, seed=3)
    weights = np.random.default_rng(3).random((8, 9))
    weights[weights < 0.2] = 0
    out = compute(statistic, image, weights, 1.1, other, outside="nan")
    partner = other if statistic == "local_correlation" else None
    want = reference(statistic, image, weights, (1.1, 1.1), other=partner)
    want[weights == 0] = np.nan
    np.testing.assert_allclose(out, want, rtol=1e-9, atol=1e-9)


def label_image():
    """Two touching labels, a third apart, and background."""
    labels = np.zeros((12, 14), np.uint8)
    labels[1:7, 1:7] = 1
    labels[1:7, 7:12] = 2  # touches label 1 along a column
    labels[8:11, 2:10] = 3
    return labels


@pytest.mark.parametrize("statistic", STATISTICS)
def test_per_label_each_label_sees_only_its_own_pixels(statistic):
    image, other, _ = sample((12, 14), np.uint16, seed=4)
    labels = label_image()
    out = compute(statistic, image, labels, 1.5, other, per_label=True)
    for k in (1, 2, 3):
        own = labels == k
        want = expected(statistic, image, own, (1.5, 1.5), other, "zero")
        np.testing.assert_allclose(out[own], want[own], rtol=1e-3, atol=2e-3 * 100)
    # Nothing crosses: label 2's pixels changed, label 1's results are not.
    changed = image.copy()
    changed[labels == 2] += 5000
    again = compute(statistic, changed, labels, 1.5, other, per_label=True)
    np.testing.assert_array_equal(again[labels == 1], out[labels == 1])


@pytest.mark.parametrize("statistic", STATISTICS)
@pytest.mark.parametrize("per_label", [False, True])
def test_a_region_is_the_whole_result_cropped(statistic, per_label):
    image, other, _ = sample((12, 14), np.uint16, seed=5)
    labels = label_image()
    settings = BlurSettings(sigma=1.2, filter=statistic, per_label=per_label)
    options = settings.check(image, labels)
    partner = other if statistic == "local_correlation" else None
    whole = run_piece(image, labels, options, None, other=partner)
    for region in [(slice(2, 5), slice(3, 11)), (slice(0, 12), slice(6, 7))]:
        piece = run_piece(image, labels, options, region, other=partner)
        np.testing.assert_allclose(piece, whole[region], rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("statistic", STATISTICS)
def test_a_plane_of_a_volume_is_the_volume_cropped(statistic):
    image, other, mask = sample((7, 9, 8), np.float32, seed=6)
    options = BlurSettings(sigma=(1.0, 1.4, 1.4), filter=statistic).check(image, mask)
    partner = other if statistic == "local_correlation" else None
    whole = run_piece(image, mask, options, None, other=partner)
    plane = (slice(3, 4), slice(None), slice(None))
    piece = run_piece(image, mask, options, plane, other=partner)
    np.testing.assert_allclose(piece, whole[plane], rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("statistic", STATISTICS)
def test_large_images_computed_by_blocks_on_two_threads_agree(statistic):
    # 560 x 530: more pixels than a block and than a thread's share, and a
    # disk mask, whose window is a view of the image (blocks of rows).
    image, other, _ = sample((560, 530), np.uint16, seed=7)
    grids = np.indices(image.shape, sparse=True)
    mask = ((grids[0] - 280) / 270.0) ** 2 + ((grids[1] - 265) / 255.0) ** 2 < 1
    out = compute(statistic, image, mask, 1.0, other, outside="nan")
    want = expected(statistic, image, mask, (1.0, 1.0), other)
    assert_close(statistic, out, want, 10)


def test_a_term_listed_twice_is_smoothed_from_its_own_copy():
    image = np.arange(12.0).reshape(3, 4)
    weights = np.ones((3, 4))
    for terms in [
        (Term(1), Term(1, order=1), Term(0)),
        (Term(2), Term(1), Term(1, order=1), Term(0), Term(0, order=1)),
    ]:
        arrays, _ = term_arrays(image, weights.copy(), terms, np.dtype(np.float64))
        assert len({id(a) for a in arrays}) == len(terms)  # the engines overwrite
        for term, array in zip(terms, arrays, strict=True):
            want = (image - image.flat[0]) ** term.power if term.power else weights
            np.testing.assert_array_equal(array, want)
