"""Time-lapses: ``axes`` smooths some axes, the others are independent frames.

Each frame of a (t, y, x) or (t, z, y, x) result equals masked_gaussian of
that frame alone; a mask with fewer axes serves every frame.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from napari_masked_blur import masked_gaussian, normalized_convolution
from napari_masked_blur._math.axes import broadcast_mask, mask_window
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options

OUTSIDE = ["keep", "zero", "nan", "fill"]


def assert_frames_alone(out, image, mask, sigma, frames, **options):
    """Every frame of ``out`` equals the blur of that frame alone."""
    for index in np.ndindex(*image.shape[:frames]):
        frame_mask = mask[index] if mask.ndim == image.ndim else mask
        alone = masked_gaussian(image[index], frame_mask, sigma, **options)
        np.testing.assert_allclose(out[index], alone, rtol=1e-5, atol=1e-4)


# --- hand-worked ------------------------------------------------------------


def test_a_bright_frame_does_not_leak_into_its_neighbours():
    movie = np.zeros((3, 5, 5), np.float32)
    movie[1] = 10.0
    mask = np.ones((3, 5, 5), bool)
    out = masked_gaussian(movie, mask, 1.0, axes=(1, 2))
    assert (out[0] == 0).all() and (out[2] == 0).all()
    np.testing.assert_allclose(out[1], 10.0, rtol=1e-6)
    across = masked_gaussian(movie, mask, 1.0)  # without axes: time is smoothed
    assert across[0].max() > 0


def test_a_2d_mask_serves_every_frame():
    movie = np.stack([np.full((4, 4), v, np.float32) for v in (1.0, 2.0, 3.0)])
    movie[:, :, 3] = 1000.0  # outside the mask in every frame
    mask = np.zeros((4, 4), bool)
    mask[:, :3] = True
    out = masked_gaussian(movie, mask, 2.0, axes=(-2, -1))
    np.testing.assert_allclose(out[:, :, :3], movie[:, :, :3], rtol=1e-6)
    np.testing.assert_array_equal(out[:, :, 3], 1000.0)


def test_sigma_for_every_axis_with_zero_on_frames_is_as_today():
    rng = np.random.default_rng(0)
    movie = rng.random((3, 6, 7)).astype(np.float32)
    mask = rng.random((6, 7)) > 0.3
    short = masked_gaussian(movie, mask, (1.0, 2.0), axes=(1, 2))
    full = masked_gaussian(movie, mask, (0.0, 1.0, 2.0), axes=(1, 2))
    today = masked_gaussian(movie, np.broadcast_to(mask, movie.shape), (0, 1, 2))
    np.testing.assert_array_equal(short, full)
    np.testing.assert_allclose(short, today, rtol=1e-6)


def test_options_keep_axes_and_put_sigma_zero_on_frames():
    image = np.ones((2, 3, 4, 5))
    options = check_options(image, np.ones((4, 5), bool), 2.0, axes=(-1, 2))
    assert options.axes == (2, 3)
    assert options.sigma == (0.0, 0.0, 2.0, 2.0)
    assert options.radius == (0, 0, 8, 8)
    assert options.frame_axes == (0, 1)
    assert check_options(image, image, 1.0).axes is None


def test_axes_skip_the_channel_axis_when_counting_sigma():
    image = np.ones((2, 4, 5, 3))
    options = check_options(
        image, np.ones((4, 5)), (1.0, 2.0), axes=(1, 2), channel_axis=-1
    )
    assert options.sigma == (0.0, 1.0, 2.0)
    assert options.frame_axes == (0,)


def test_spacing_per_smoothed_axis_or_per_spatial_axis():
    image, mask = np.ones((2, 4, 5)), np.ones((4, 5))
    per_smoothed = check_options(image, mask, 1.0, axes=(1, 2), spacing=(0.5, 2))
    per_spatial = check_options(image, mask, 1.0, axes=(1, 2), spacing=(60.0, 0.5, 2))
    assert per_smoothed.sigma == per_spatial.sigma == (0.0, 2.0, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"axes": (3,)}, r"axes \(3,\): axis 3 is out of range for 3 dimensions"),
        ({"axes": (-4,)}, r"axis -4 is out of range"),
        ({"axes": (1, -2)}, r"axes \(1, -2\) names an axis more than once"),
        ({"axes": ()}, r"axes \(\) leaves no axis to smooth"),
        ({"axes": 1.5}, r"axes must be an integer or a list of integers, got 1\.5"),
        (
            {"axes": (1, 2), "sigma": (1, 2, 2, 2)},
            r"sigma has 4 values \(1\.0, 2\.0, 2\.0, 2\.0\) but 2 axes are "
            r"smoothed: 1, 2",
        ),
        (
            {"axes": (1, 2), "sigma": (1, 2, 2)},
            r"sigma \(1.0, 2.0, 2.0\) is 1 on spatial axis 0, which is not smoothed",
        ),
        (
            {"mask": np.ones((5, 4))},
            r"^mask shape \(5, 4\) does not match image shape \(3, 4, 5\), and "
            r"does not broadcast to it$",
        ),
        ({"mask": np.ones((2, 4, 5))}, r"mask shape \(2, 4, 5\) does not match"),
    ],
)
def test_bad_axes_and_masks_are_named(kwargs, message):
    arguments = {"mask": np.ones((4, 5), bool), "sigma": 1.0, **kwargs}
    mask, sigma = arguments.pop("mask"), arguments.pop("sigma")
    with pytest.raises(ValueError, match=message):
        masked_gaussian(np.ones((3, 4, 5)), mask, sigma, **arguments)


def test_the_channel_axis_cannot_be_smoothed():
    with pytest.raises(ValueError, match="includes the channel axis 2"):
        masked_gaussian(np.ones((4, 5, 3)), np.ones((4, 5)), 1, axes=(1, 2),
                        channel_axis=2)  # fmt: skip


def test_broadcast_mask_is_a_view_and_mask_window_reads_only_its_part():
    mask = np.arange(20).reshape(4, 5)
    view = broadcast_mask(mask, (100, 4, 5))
    assert np.shares_memory(view, mask) and view.shape == (100, 4, 5)
    window = (slice(10, 12), slice(1, 3), slice(0, 5))
    np.testing.assert_array_equal(mask_window(mask, window), view[window])
    ones = np.arange(5).reshape(1, 5)  # a length-1 axis broadcasts too
    np.testing.assert_array_equal(
        mask_window(ones, window), np.broadcast_to(ones, (100, 4, 5))[window]
    )


def test_inputs_are_not_modified():
    movie = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    mask = np.eye(4, 5, dtype=np.uint8)
    before = movie.copy(), mask.copy()
    masked_gaussian(movie, mask, 1, axes=(1, 2), outside="fill", per_label=True)
    np.testing.assert_array_equal(movie, before[0])
    np.testing.assert_array_equal(mask, before[1])


# --- every frame alone: numpy and dask, every outside, per_label -----------


@pytest.mark.parametrize("outside", OUTSIDE)
@pytest.mark.parametrize("per_label", [False, True])
@pytest.mark.parametrize("mask_kind", ["full", "yx", "zyx"])
def test_each_tzyx_frame_equals_its_own_blur(outside, per_label, mask_kind):
    rng = np.random.default_rng(1)
    movie = (rng.random((3, 4, 9, 10)) * 1000).astype(np.uint16)
    labels = rng.integers(0, 3, movie.shape).astype(np.uint8)
    mask = {"full": labels, "yx": labels[0, 0], "zyx": labels[0] > 0}[mask_kind]
    options = {"outside": outside, "per_label": per_label}
    out = masked_gaussian(movie, mask, (1.0, 1.5, 1.5), axes=(1, 2, 3), **options)
    if mask_kind == "zyx":  # one (z, y, x) mask for every time point
        mask = np.broadcast_to(mask, movie.shape)
    assert_frames_alone(out, movie, mask, (1.0, 1.5, 1.5), 1, **options)


@pytest.mark.parametrize("outside", OUTSIDE)
@pytest.mark.parametrize("per_label", [False, True])
def test_each_frame_of_a_lazy_movie_equals_its_own_blur(outside, per_label):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(2)
    movie = rng.random((4, 12, 13)).astype(np.float32)
    mask = rng.integers(0, 3, (12, 13)).astype(np.uint8)
    options = {"outside": outside, "per_label": per_label, "labels": [1, 2]}
    lazy = masked_gaussian(
        da.from_array(movie, chunks=(1, 6, 7)), da.from_array(mask, chunks=6),
        2.0, axes=(1, 2), **options,
    )  # fmt: skip
    assert lazy.chunks == ((1, 1, 1, 1), (6, 6), (7, 6))
    assert_frames_alone(lazy.compute(), movie, mask, 2.0, 1, **options)


def test_lazy_frames_need_no_overlap_along_time():
    da = pytest.importorskip("dask.array")
    movie = da.ones((5, 8, 8), chunks=(1, 8, 8))
    out = masked_gaussian(movie, np.ones((8, 8), bool), 2.0, axes=(1, 2))
    # One task per frame, and none reads a neighbouring frame's chunk.
    for key, deps in out.__dask_graph__().get_all_dependencies().items():
        frames = {d[1] for d in deps if isinstance(d, tuple) and len(d) == 4}
        assert len(frames) <= 1, (key, deps)


def test_normalized_convolution_takes_axes_and_broadcast_weights():
    rng = np.random.default_rng(3)
    movie = rng.random((3, 8, 9))
    weights = rng.random((8, 9))
    out, certainty = normalized_convolution(
        movie, weights, 1.5, axes=(1, 2), return_certainty=True
    )
    for t in range(3):
        alone = normalized_convolution(movie[t], weights, 1.5, return_certainty=True)
        np.testing.assert_allclose(out[t], alone[0], rtol=1e-10)
        np.testing.assert_allclose(certainty[t], alone[1], rtol=1e-10)


def test_filter_region_of_one_frame_reads_a_broadcast_mask():
    rng = np.random.default_rng(4)
    movie = rng.random((3, 6, 20, 21)).astype(np.float32)
    mask = rng.random((20, 21)) > 0.4
    options = check_options(movie, mask, 1.0, axes=(1, 2, 3))
    region = (slice(1, 2), slice(2, 3), slice(0, 20), slice(0, 21))
    whole = masked_gaussian(movie, mask, 1.0, axes=(1, 2, 3))
    np.testing.assert_allclose(
        filter_region(movie, mask, region, options), whole[region], rtol=1e-5, atol=1e-6
    )


# --- hypothesis ---------------------------------------------------------------


@st.composite
def movies(draw):
    frames = draw(st.integers(1, 3))
    space = draw(st.lists(st.integers(1, 9), min_size=1, max_size=2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.uint16, np.float32]))
    image = (rng.random((frames, *space)) * 1000).astype(dtype)
    full = draw(st.booleans())
    mask_shape = image.shape if full else tuple(space)
    kind = draw(st.sampled_from(["labels", "bool", "certainty"]))
    if kind == "certainty":  # weights; broadcast views must keep their layout
        mask = np.where(rng.random(mask_shape) > 0.3, rng.random(mask_shape), 0)
        mask = mask.astype(np.float32)
    else:
        mask = rng.integers(0, draw(st.integers(1, 4)), mask_shape).astype(np.uint8)
        mask = mask.astype(bool) if kind == "bool" else mask
    sigma = draw(st.sampled_from([0.5, 1.0, 2.3]))
    options = {
        "outside": draw(st.sampled_from(OUTSIDE)),
        "per_label": kind != "certainty" and draw(st.booleans()),
        "mode": draw(st.sampled_from(["missing", "reflect", "wrap"])),
    }
    return image, mask, sigma, options


@settings(max_examples=60, deadline=None)
@given(movies())
def test_every_frame_is_blurred_alone(problem):
    image, mask, sigma, options = problem
    axes = tuple(range(1, image.ndim))
    out = masked_gaussian(image, mask, sigma, axes=axes, **options)
    assert out.shape == image.shape
    assert_frames_alone(out, image, mask, sigma, 1, **options)


def test_planes_take_numpys_path_while_the_compiled_loop_warms(monkeypatch):
    import napari_masked_blur._math.taps as taps_module
    from napari_masked_blur._engines import (
        compiled_loops,
        expect_loops,
        loops_coming,
        unexpect_loops,
    )

    rng = np.random.default_rng(5)
    volume = (rng.random((9, 12, 13)) * 1000).astype(np.uint16)
    mask = (rng.random((12, 13)) > 0.3).astype(np.int16)  # a type of its own
    options = check_options(volume, mask, 1.0)
    plane = (slice(4, 5), slice(0, 12), slice(0, 13))
    expected = masked_gaussian(volume, mask, 1.0)[plane]
    key = taps_module.plane_loop_key(volume.dtype, mask.dtype)
    assert compiled_loops(key) is None, "nothing else compiled this type"
    expect_loops(key)  # as the widget does when it learns the layers' types
    sums_seen = []
    real = taps_module.summed_planes
    monkeypatch.setattr(
        taps_module,
        "summed_planes",
        lambda *args: sums_seen.append(args[0].shape) or real(*args),
    )
    try:
        assert loops_coming(key)
        np.testing.assert_allclose(
            filter_region(volume, mask, plane, options), expected, rtol=1e-5
        )
        assert sums_seen, "reduced by numpy's few calls, not the compiled loop"
        assert compiled_loops(key, now=True) is not None  # the warm-up's work
        assert not loops_coming(key)
    finally:
        unexpect_loops(key)
    sums_seen.clear()
    np.testing.assert_allclose(
        filter_region(volume, mask, plane, options), expected, rtol=1e-5
    )
    assert not sums_seen, "the compiled loop once warm"
