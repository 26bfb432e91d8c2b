"""The low-rank engine: exact ends, low-rank blocks between, scipy's result."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_masked_blur._engines import BORDER_MODES, gaussian_kernel1d
from napari_masked_blur._engines._lowrank import axis_plan, box_size, smooth_lowrank


def plan_as_taps(plan, radius):
    """Each output's taps over its window (2r + 1 inputs), assembled from the plan.

    Output ``u`` of a box sees ``first[u]`` at window offsets ``w - u``, block
    ``d`` at ``d * box + w - u`` and ``last[u]`` at ``q * box + v - u``.
    """
    box, seen = plan.box, plan.boxes_seen
    moments_to_taps = plan.to_moments.astype(np.float64)
    taps = np.zeros((box, 2 * radius + 1 + 2 * box))
    for u in range(box):
        spots = np.arange(box) - u + box  # shifted by box: no negative index
        taps[u, spots] += plan.first[u]
        for d in range(1, seen):
            mix = plan.mix[:, (d - 1) * plan.rank : d * plan.rank].astype(np.float64)
            block_row = plan.expand[u].astype(np.float64) @ mix @ moments_to_taps
            taps[u, d * box + spots] += block_row
        last_spots = seen * box + np.arange(box + plan.spill) - u + box
        taps[u, last_spots] += plan.last[u]
    return taps


@pytest.mark.parametrize(
    ("sigma", "radius", "box"),
    [
        (1.0, 4, 1),
        (2.0, 3, 3),
        (10.0, 40, 10),
        (10.0, 40, 7),
        (30.0, 120, 30),
        (77.7, 311, 100),
        (400.0, 1600, 100),
    ],
)
@pytest.mark.parametrize("order", [0, 1, 2])
def test_every_tap_of_the_window_is_counted_once(sigma, radius, box, order):
    # Assembled from its three parts, each output's row is the kernel itself
    # (a derivative's too), nothing before the window and nothing after it.
    plan = axis_plan(sigma, radius, "float64", box, order=order)
    taps = plan_as_taps(plan, radius)
    kernel = gaussian_kernel1d(sigma, radius, order)
    # Derivative taps cross 0: measured against the largest.
    atol = 1e-13 * np.abs(kernel).max() if order else 1e-15
    for u in range(plan.box):
        row = taps[u]
        np.testing.assert_allclose(
            row[box : box + 2 * radius + 1], kernel, rtol=1e-9, atol=atol
        )
        assert not row[:box].any() and np.abs(row[box + 2 * radius + 1 :]).max() < atol


def test_far_taps_keep_their_relative_accuracy():
    # Taps near the window's ends are exp(-8) of the centre's (truncate 4);
    # the low-rank blocks must get those right relative to their own size, or
    # an output reached only by far inputs (outside="fill") would be wrong.
    sigma, radius = 200.0, 800
    plan = axis_plan(sigma, radius, "float64")
    kernel = gaussian_kernel1d(sigma, radius)
    taps = plan_as_taps(plan, radius)[:, plan.box : plan.box + 2 * radius + 1]
    relative = np.abs(taps - kernel) / kernel
    assert relative.max() < 1e-9


def test_a_box_is_about_a_sigma_and_never_wider_than_the_radius():
    assert box_size(50.0, 200) == 50
    assert box_size(400.0, 1600) == 100
    assert box_size(3.0, 1) == 1
    assert box_size(0.4, 2) == 1


@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "sigma"),
    [
        ((300, 257), (30.0, 12.0)),  # columns and rows, spill on both
        ((40, 700), (0.0, 60.3)),  # rows only
        ((700, 3, 5), (55.0, 0.0, 1.0)),  # a first axis of stacks
        ((90, 80), (60.0, 45.0)),  # kernels far wider than the image
        ((1, 500), (300.0, 300.0)),  # lines of one pixel, either way
        ((501, 1), (300.0, 300.0)),
    ],
)
def test_wide_kernels_equal_gaussian_filter(mode, dtype, shape, sigma):
    rng = np.random.default_rng(1)
    array = (rng.random(shape) * (rng.random(shape) > 0.5)).astype(dtype)
    out = smooth_lowrank([array.copy()], sigma, mode=mode, truncate=4.0)[0]
    expected = ndi.gaussian_filter(array.astype(np.float64), sigma, mode=mode)
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=0, atol=tolerance * array.max())


def test_no_data_in_reach_gives_exact_zeros_at_wide_kernels():
    array = np.zeros((30, 2000), np.float32)
    array[:, 1000] = 5.0
    out = smooth_lowrank([array], (0.0, 100.0), mode="constant", truncate=4.0)[0]
    assert np.all(out[:, :600] == 0) and np.all(out[:, 1401:] == 0)
    assert np.all(out[:, 600:1401] > 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fill_out_to_the_edge_of_the_reach_keeps_1e4_of_the_range(dtype):
    # Just inside the reach only the kernel's farthest taps (exp(-8) of its
    # peak) see the mask, so the weights there are tiny: the fill is their
    # ratio and any error relative to the far taps would show.
    from napari_masked_blur import masked_gaussian

    rng = np.random.default_rng(2)
    image = (rng.random((260, 250)) * 4000).astype(dtype)
    rows, cols = np.indices(image.shape)
    mask = (rows - 40) ** 2 + (cols - 50) ** 2 < 30**2
    sigma = 30.0
    out = masked_gaussian(image, mask, sigma, outside="fill", method="lowrank")
    x = image.astype(np.float64) * mask
    numerator = ndi.gaussian_filter(x, sigma, mode="constant")
    weights = ndi.gaussian_filter(mask.astype(np.float64), sigma, mode="constant")
    reached = weights > 0
    expected = numerator[reached] / weights[reached]
    np.testing.assert_array_equal(np.isfinite(out), reached)
    assert reached.sum() < reached.size  # the edge of the reach is in the image
    error = np.abs(out[reached] - expected).max()
    assert error <= 1e-4 * np.ptp(expected), error


def test_a_box_wider_than_the_radius_is_refused_by_name():
    with pytest.raises(ValueError, match=r"box 9 .* radius 4"):
        axis_plan(1.0, 4, "float64", 9)


def test_a_window_reaching_where_taps_underflow_to_zero_is_still_scipys():
    # truncate 40: taps beyond 38.6 sigma are exact zeros, so whole rows of
    # some blocks are zeros; they span nothing (they once made the SVD fail).
    line = np.random.default_rng(5).random((3, 900))
    ours = smooth_lowrank([line.copy()], (0.0, 10.0), mode="reflect", truncate=40.0)
    theirs = ndi.gaussian_filter(line, (0.0, 10.0), mode="reflect", truncate=40.0)
    np.testing.assert_allclose(ours[0], theirs, rtol=0, atol=1e-13)
