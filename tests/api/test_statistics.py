"""The public local statistics: cases worked by hand, their outside policies,
the second image, and dask (chunks equal to in memory) and file windows."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import napari_masked_blur
from napari_masked_blur import (
    FILTERS,
    BlurSettings,
    masked_gaussian,
    masked_local_correlation,
    masked_local_mean,
    masked_local_std,
    masked_local_variance,
    masked_local_zscore,
)
from napari_masked_blur._api.route import run, run_lazy, run_piece, run_windows
from napari_masked_blur._math.filters import filter_named

# Large images queue their fused pass's loops: let that worker finish.
pytestmark = pytest.mark.usefixtures("loops_settled")

ONE_IMAGE = {
    "local_variance": masked_local_variance,
    "local_std": masked_local_std,
    "local_zscore": masked_local_zscore,
}


def correlation_of_itself(image, mask, sigma, **kwargs):
    return masked_local_correlation(
        image, image // 2 + (image % 7), mask, sigma, **kwargs
    )


EVERY = {**ONE_IMAGE, "local_correlation": correlation_of_itself}


def disk(shape=(32, 40)):
    grids = np.indices(shape, sparse=True)
    r2 = sum(((g - n / 2) / (n / 3)) ** 2 for g, n in zip(grids, shape, strict=True))
    return r2 < 1


def noisy(shape=(32, 40), offset=30000, seed=0):
    rng = np.random.default_rng(seed)
    return (offset + rng.integers(-10, 11, shape)).astype(np.uint16)


def test_every_statistic_is_a_filter_with_its_public_function():
    for name, function in [
        ("local_mean", masked_local_mean),
        ("local_variance", masked_local_variance),
        ("local_std", masked_local_std),
        ("local_zscore", masked_local_zscore),
        ("local_correlation", masked_local_correlation),
    ]:
        assert FILTERS[name] is function
        assert getattr(napari_masked_blur, function.__name__) is function
        # The signature shows the default the description holds.
        default = inspect.signature(function).parameters["outside"].default
        assert default == filter_named(name).default_outside


def test_the_descriptions_say_what_the_entrances_need():
    assert filter_named("local_correlation").parameters == ("other",)
    assert filter_named("local_zscore").signed
    assert filter_named("local_correlation").signed
    assert not filter_named("local_std").signed
    assert filter_named("local_std").default_outside == "zero"
    assert filter_named("local_correlation").default_outside == "nan"


def test_the_local_mean_is_the_masked_gaussian_bit_for_bit():
    image, mask = noisy(), disk()
    for kwargs in [{}, {"outside": "fill"}, {"mode": "reflect", "per_label": True}]:
        np.testing.assert_array_equal(
            masked_local_mean(image, mask, 2.5, **kwargs),
            masked_gaussian(image, mask, 2.5, **kwargs),
        )


@pytest.mark.parametrize("name", list(EVERY))
def test_a_constant_image_has_std_0_and_zscore_0_inside(name):
    image = np.full((20, 24), 30000, np.uint16)
    image[:, 18:] = 5  # outside the mask: another constant
    mask = np.zeros((20, 24), bool)
    mask[2:18, 1:17] = True
    if name == "local_correlation":
        out = masked_local_correlation(image, noisy((20, 24)), mask, 2)
        assert np.isnan(out).all()  # a flat image correlates with nothing
        return
    out = EVERY[name](image, mask, 2, per_label=True)
    np.testing.assert_array_equal(out, 0)


def test_a_step_inside_the_mask_has_std_where_the_kernel_sees_it_only():
    image = np.full((16, 30), 1000, np.uint16)
    image[:, 15:] = 30000  # two constant halves, one mask
    std = masked_local_std(image, np.ones((16, 30), bool), 1.0)
    # Beyond the kernel's reach (4 pixels) of the step: exactly 0, whatever
    # half the shift was taken from.
    np.testing.assert_array_equal(std[:, :10], 0)
    np.testing.assert_array_equal(std[:, 20:], 0)
    assert (std[:, 14:16] > 1000).all()


@pytest.mark.parametrize("name", list(EVERY))
def test_values_outside_the_mask_never_change_a_result_inside(name):
    image, mask = noisy(), disk()
    out = EVERY[name](image, mask, 3)
    changed = image.copy()
    changed[~mask] = np.random.default_rng(1).integers(0, 65535, (~mask).sum())
    again = EVERY[name](changed, mask, 3)
    np.testing.assert_array_equal(again[mask], out[mask])


def test_identical_channels_correlate_1_and_a_channel_and_its_negative_minus_1():
    image, mask = noisy().astype(np.float32), disk()
    same = masked_local_correlation(image, image, mask, 2)
    negative = masked_local_correlation(image, -image, mask, 2)
    np.testing.assert_allclose(same[mask], 1, atol=1e-4)
    np.testing.assert_allclose(negative[mask], -1, atol=1e-4)
    assert np.isnan(same[~mask]).all()  # the default outside: NaN
    assert np.nanmax(same) <= 1 and np.nanmin(negative) >= -1  # rounding clipped


def test_unrelated_channels_correlate_near_0_over_a_wide_kernel():
    rng = np.random.default_rng(2)
    red, green = rng.normal(size=(2, 64, 64))
    r = masked_local_correlation(red, green, np.ones((64, 64), bool), 12)
    assert np.abs(r[16:48, 16:48]).max() < 0.2


def test_channels_of_the_image_pair_with_channels_of_the_other():
    image = noisy((2, 20, 20)).astype(np.float64)
    other = np.stack([image[0], -image[1]])
    r = masked_local_correlation(image, other, disk((20, 20)), 2, channel_axis=0)
    inside = disk((20, 20))
    np.testing.assert_allclose(r[0][inside], 1, atol=1e-9)
    np.testing.assert_allclose(r[1][inside], -1, atol=1e-9)


@pytest.mark.parametrize(
    ("function", "outside", "why"),
    [
        (masked_local_std, "keep", "intensities beside a spread"),
        (masked_local_variance, "keep", "intensities beside a spread"),
        (masked_local_zscore, "keep", "intensities beside z-scores"),
        (masked_local_zscore, "fill", "score pixels outside the mask"),
    ],
)
def test_outside_policies_without_sense_are_refused_saying_why(function, outside, why):
    with pytest.raises(ValueError, match=f"outside '{outside}' does not apply.*{why}"):
        function(noisy(), disk(), 2, outside=outside)
    with pytest.raises(ValueError, match="intensities beside correlations"):
        masked_local_correlation(noisy(), noisy(), disk(), 2, outside="keep")


def test_the_outside_policies_that_apply_write_the_outside():
    image, mask = noisy(), disk()
    zero = masked_local_std(image, mask, 2)
    nan = masked_local_std(image, mask, 2, outside="nan")
    fill = masked_local_std(image, mask, 2, outside="fill")
    assert (zero[~mask] == 0).all() and np.isnan(nan[~mask]).all()
    np.testing.assert_array_equal(fill[mask], zero[mask])
    reach = masked_gaussian(image, mask, 2, outside="fill")  # NaN: no weight near
    np.testing.assert_array_equal(np.isnan(fill), np.isnan(reach))


def test_the_second_image_is_required_by_the_correlation_and_refused_elsewhere():
    image, mask = noisy(), disk()
    options = BlurSettings(sigma=2, filter="local_correlation").check(image, mask)
    with pytest.raises(ValueError, match="local_correlation filter needs a second"):
        run(image, mask, options)
    with pytest.raises(ValueError, match="local_correlation filter needs a second"):
        run_piece(image, mask, options, None)
    std = BlurSettings(sigma=2, filter="local_std").check(image, mask)
    with pytest.raises(ValueError, match="local_std filter takes no second image"):
        run(image, mask, std, other=image)
    with pytest.raises(ValueError, match=r"other has shape \(3, 4\) but the image"):
        masked_local_correlation(image, np.zeros((3, 4)), mask, 2)
    with pytest.raises(ValueError, match="other must be real-valued"):
        masked_local_correlation(image, image.astype(complex), mask, 2)


@pytest.mark.parametrize("name", list(EVERY))
def test_dask_chunks_give_the_in_memory_result(name):
    da = pytest.importorskip("dask.array")
    image, mask = noisy((40, 36), offset=500), disk((40, 36))
    lazy = EVERY[name](da.from_array(image, chunks=(11, 13)), mask, 2.0)
    assert isinstance(lazy, da.Array) and lazy.chunks == ((11, 11, 11, 7), (13, 13, 10))
    np.testing.assert_allclose(
        lazy.compute(), EVERY[name](image, mask, 2.0), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("lazy_image", [True, False])
@pytest.mark.parametrize("lazy_other", [True, False])
def test_the_correlation_is_lazy_when_either_image_is(lazy_image, lazy_other):
    da = pytest.importorskip("dask.array")
    image, other, mask = noisy((30, 34)), noisy((30, 34), seed=3), disk((30, 34))
    other = other // 2 + image // 2
    want = masked_local_correlation(image, other, mask, 1.5, mode="wrap")
    got = masked_local_correlation(
        da.from_array(image, chunks=(8, 9)) if lazy_image else image,
        da.from_array(other, chunks=(10, 12)) if lazy_other else other,
        mask,
        1.5,
        mode="wrap",
    )
    if lazy_image or lazy_other:
        got = got.compute()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_a_lazy_mask_alone_makes_the_correlation_lazy():
    da = pytest.importorskip("dask.array")
    image, other, mask = noisy(), noisy(seed=4), disk()
    got = masked_local_correlation(image, other, da.from_array(mask, chunks=9), 2)
    np.testing.assert_allclose(
        got.compute(),
        masked_local_correlation(image, other, mask, 2),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize("name", ["local_zscore", "local_correlation"])
def test_file_windows_give_the_in_memory_result(name):
    pytest.importorskip("dask.array")
    image, other, mask = noisy((3, 18, 20)), noisy((3, 18, 20), seed=5), disk((18, 20))
    options = BlurSettings(sigma=(1.0, 2.0), filter=name, axes=(1, 2)).check(
        image, mask
    )
    partner = other if name == "local_correlation" else None
    windows = run_windows(image, mask, options, chunks=(1, 7, 8), other=partner)
    whole = run(image, mask, options, other=partner)
    np.testing.assert_allclose(windows.compute(), whole, rtol=1e-4, atol=1e-4)


def test_a_pyramid_correlates_level_by_level_with_a_pyramid_of_the_other():
    pytest.importorskip("dask.array")
    image, other, mask = noisy((32, 32)), noisy((32, 32), seed=6), disk((32, 32))
    options = BlurSettings(sigma=2, filter="local_correlation").check(image, mask)
    levels = [image, image[::2, ::2]]
    partners = [other, other[::2, ::2]]
    pyramid = run_lazy(levels, mask, options, other=partners)
    np.testing.assert_allclose(
        pyramid[0].compute(), run(image, mask, options, other=other), atol=1e-4
    )
    with pytest.raises(ValueError, match="must be a pyramid of as many levels"):
        run_lazy(levels, mask, options, other=other)
