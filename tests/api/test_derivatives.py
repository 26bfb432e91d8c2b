"""Masked derivatives through every path, and their behaviour by hand."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur import (
    BlurSettings,
    masked_gaussian,
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_hessian_eigenvalues,
)
from napari_masked_blur._api.route import run, run_piece, run_windows
from napari_masked_blur._math.filters import filter_named

DERIVATIVES = [
    ("gaussian_gradient_magnitude", {}),
    ("gaussian_laplace", {}),
    ("difference_of_gaussians", {"high_sigma": 2.5}),
    ("hessian_eigenvalues", {}),
    ("structure_tensor_eigenvalues", {"rho": 1.5}),
    ("gaussian", {"order": (1, 0, 2)}),
]


def volume(rng, shape=(14, 22, 20)):
    image = (30000 + rng.normal(0, 50, shape)).astype(np.uint16)
    mask = np.zeros(shape, np.int32)
    mask[2:12, 3:12, 2:18] = 1
    mask[2:12, 12:20, 4:16] = 2  # touches label 1
    return image, mask


def options_for(name, extra, image, mask, **more):
    settings = BlurSettings(sigma=1.2, filter=name, **extra, **more)
    return settings.check(image, mask)


@pytest.mark.parametrize("name, extra", DERIVATIVES)
def test_dask_chunks_equal_the_in_memory_result(name, extra, rng):
    da = pytest.importorskip("dask.array")
    image, mask = volume(rng)
    options = options_for(name, extra, image, mask)
    whole = run(image, mask, options)
    lazy = run(da.from_array(image, chunks=(5, 8, 7)), mask, options)
    assert lazy.shape == whole.shape
    np.testing.assert_allclose(lazy.compute(), whole, rtol=1e-4, atol=1e-3)
    windows = run_windows(image, mask, options, chunks=(6, 9, 20))
    np.testing.assert_allclose(windows.compute(), whole, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("name, extra", DERIVATIVES)
def test_a_region_is_the_whole_result_cropped(name, extra, rng):
    image, mask = volume(rng)
    options = options_for(name, extra, image, mask, outside="nan")
    whole = run_piece(image, mask, options, None)
    for region in [
        (slice(6, 7), slice(0, 22), slice(0, 20)),  # the displayed plane
        (slice(3, 9), slice(5, 11), slice(2, 9)),  # a painted patch
        (slice(0, 14), slice(10, 11), slice(0, 20)),  # thin along y
        (slice(0, 14), slice(0, 22), slice(7, 9)),  # thin along x
    ]:
        piece = run_piece(image, mask, options, region)
        np.testing.assert_allclose(
            piece, whole[(..., *region)], rtol=1e-4, atol=1e-3, equal_nan=True
        )


@pytest.mark.parametrize("name, extra", DERIVATIVES)
def test_per_label_nothing_crosses_labels(name, extra, rng):
    image, mask = volume(rng)
    options = options_for(name, extra, image, mask, per_label=True)
    out = run(image, mask, options)
    changed = image.copy()
    changed[mask == 2] = 100  # label 2 changes: label 1 must not see it
    again = run(changed, mask, options)
    inside_1 = np.broadcast_to(mask == 1, out.shape)
    np.testing.assert_array_equal(out[inside_1], again[inside_1])
    alone = run(
        image, (mask == 1).astype(np.uint8), options_for(name, extra, image, mask)
    )
    np.testing.assert_allclose(out[inside_1], alone[inside_1], rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("name, extra", DERIVATIVES)
def test_channels_are_filtered_each_alone(name, extra, rng):
    image, mask = volume(rng, (10, 12, 11))
    stack = np.stack([image, image // 2], axis=-1)
    options = options_for(name, extra, stack, mask, channel_axis=-1)
    out = run(stack, mask, options)
    first = run(image, mask, options_for(name, extra, image, mask))
    lead = out.ndim - stack.ndim
    assert out.shape == (*first.shape[:lead], *stack.shape)
    np.testing.assert_allclose(out[..., 0], first, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name, extra", DERIVATIVES[:-1])
def test_a_time_axis_is_never_differentiated(name, extra, rng):
    image, mask = volume(rng, (4, 16, 15))
    options = options_for(name, extra, image, mask, axes=(1, 2))
    out = run(image, mask, options)
    lead = out.ndim - image.ndim
    for t in range(image.shape[0]):
        frame = run(image[t], mask[t], options_for(name, extra, image[t], mask[t]))
        np.testing.assert_allclose(out[(slice(None),) * lead + (t,)], frame, atol=1e-4)


@pytest.mark.parametrize("name, extra", DERIVATIVES)
def test_a_constant_image_has_every_derivative_zero_inside(name, extra):
    image = np.full((14, 16, 15), 30000, np.uint16)
    image[:, :, 10:] = 60000  # outside the mask
    mask = np.zeros(image.shape, bool)
    mask[2:12, 2:14, 1:10] = True
    out = run(image, mask, options_for(name, extra, image, mask))
    inside = np.broadcast_to(mask, out.shape)
    # Up to the mask edge: float32 rounding of sums of ~30000 only.
    assert np.abs(out[inside]).max() < 1e-3
    assert not np.any(out[~inside])  # outside: 0 by default


def test_a_ramp_far_from_the_edge_has_its_slope_and_no_laplacian():
    y, x = np.mgrid[0:60, 0:64].astype(np.float32)
    ramp = 30000 + 3.0 * x - 2.0 * y
    mask = np.zeros(ramp.shape, bool)
    mask[5:55, 4:60] = True
    ramp[~mask] = 0  # far off the ramp: must not matter
    far = np.zeros_like(mask)
    far[20:40, 20:44] = True
    gradient = masked_gaussian_gradient_magnitude(ramp, mask, 2.0)
    np.testing.assert_allclose(gradient[far], np.hypot(3.0, 2.0), rtol=1e-3)
    laplace = masked_gaussian_laplace(ramp, mask, 2.0)
    assert np.abs(laplace[far]).max() < 1e-3
    slope_x = masked_gaussian(ramp, mask, 2.0, order=(0, 1), spacing=(1.0, 0.5))
    np.testing.assert_allclose(slope_x[far], 6.0, rtol=1e-3)  # per unit of spacing


@pytest.mark.parametrize("name, extra", DERIVATIVES)
def test_values_outside_the_mask_never_change_a_result_inside(name, extra, rng):
    image, mask = volume(rng)
    inside = mask > 0
    options = options_for(name, extra, image, mask)
    out = run(image, mask, options)
    changed = image.copy()
    changed[~inside] = rng.integers(0, 65535, (~inside).sum())
    again = run(changed, mask, options)
    where = np.broadcast_to(inside, out.shape)
    np.testing.assert_array_equal(out[where], again[where])


def test_a_bright_line_gives_a_negative_eigenvalue_across_it_and_none_along():
    image = np.full((41, 41), 100.0, np.float32)
    image[:, 20] = 1100.0  # a bright vertical line
    image[:, 30:] = 50000.0  # outside the cell
    mask = np.zeros(image.shape, bool)
    mask[5:36, 5:30] = True
    largest, smallest = masked_hessian_eigenvalues(image, mask, 1.5)
    assert smallest[20, 20] < -50  # across the line: strongly curved
    assert abs(largest[20, 20]) < 1e-3 * abs(smallest[20, 20])  # along: flat
    assert abs(smallest[20, 12]) < 1  # away from the line: nothing


def test_keep_is_refused_for_derivatives_saying_why():
    for name, _ in DERIVATIVES[:-1]:
        with pytest.raises(ValueError, match="keep would leave the image's own"):
            BlurSettings(sigma=1, filter=name, outside="keep")
    with pytest.raises(
        ValueError,
        match=r"outside 'keep' does not apply to the "
        r"gaussian filter at order 1",
    ):
        BlurSettings(sigma=1, order=1, outside="keep")
    assert BlurSettings(sigma=1, order=1).outside == "zero"
    assert BlurSettings(sigma=1).outside == "keep"


def test_a_parameter_the_filter_does_not_take_is_refused():
    with pytest.raises(
        ValueError, match=r"rho 2\.0 does not apply to the gaussian_laplace"
    ):
        BlurSettings(sigma=1, filter="gaussian_laplace", rho=2)
    with pytest.raises(ValueError, match="order 1 does not apply to the hessian"):
        BlurSettings(sigma=1, filter="hessian_eigenvalues", order=1)
    with pytest.raises(ValueError, match="order must be an integer from 0 to 2"):
        BlurSettings(sigma=1, order=3)
    with pytest.raises(ValueError, match="high_sigma must be finite"):
        BlurSettings(sigma=1, filter="difference_of_gaussians", high_sigma=-1)


def test_settings_checks_against_the_arrays_name_the_value():
    image = np.zeros((5, 6, 7))
    with pytest.raises(ValueError, match=r"order \(1, 0\) has 2 values but 3 axes"):
        BlurSettings(sigma=1, order=(1, 0)).check(image, image)
    with pytest.raises(ValueError, match="frame axis is never differentiated"):
        BlurSettings(sigma=1, order=(1, 0, 1), axes=(1, 2)).check(image, image)
    with pytest.raises(ValueError, match="where sigma is 0"):
        BlurSettings(sigma=(0, 1, 1), filter="gaussian_laplace").check(image, image)
    with pytest.raises(ValueError, match=r"high_sigma .* below sigma"):
        BlurSettings(sigma=2, filter="difference_of_gaussians", high_sigma=1).check(
            image, image
        )


def test_descriptions_carry_parameters_outputs_and_sign():
    assert filter_named("gaussian").parameters == ("order",)
    assert filter_named("difference_of_gaussians").parameters == ("high_sigma",)
    assert filter_named("structure_tensor_eigenvalues").parameters == ("rho",)
    hessian = filter_named("hessian_eigenvalues")
    assert hessian.output_names(2) == ("largest", "smallest")
    assert hessian.output_names(3) == ("largest", "middle", "smallest")
    assert filter_named("gaussian_laplace").output_names(3) == ()
    assert hessian.signed and filter_named("gaussian_laplace").signed
    assert not filter_named("structure_tensor_eigenvalues").signed
    assert not filter_named("gaussian_gradient_magnitude").signed


def test_the_reach_is_the_full_reach_of_both_scales():
    image = np.zeros((30, 40))
    tensor = BlurSettings(sigma=1, filter="structure_tensor_eigenvalues", rho=2)
    assert tensor.check(image, image).reach == (4 + 8, 4 + 8)
    dog = BlurSettings(sigma=1, filter="difference_of_gaussians")
    assert dog.check(image, image).reach == (6, 6)  # 1.6 sigma: radius 6
    assert BlurSettings(sigma=1, filter="gaussian_laplace").check(
        image, image
    ).reach == (4, 4)


@pytest.mark.parametrize("mode", ["reflect", "wrap", "nearest", "mirror"])
@pytest.mark.parametrize(
    "name", ["hessian_eigenvalues", "gaussian_laplace", "difference_of_gaussians"]
)
def test_the_displayed_plane_by_taps_is_the_whole_result_in_every_mode(name, mode, rng):
    image, mask = volume(rng)
    image = image.astype(np.float32)
    image[5, 7, 6] = np.nan  # missing data within the plane's reach
    settings = BlurSettings(sigma=(1.5, 1.0, 1.2), filter=name, mode=mode)
    options = settings.check(image, mask)
    whole = run_piece(image, mask, options, None)
    for z in (0, 6, 13):  # at the borders too
        region = (slice(z, z + 1), slice(0, 22), slice(0, 20))
        piece = run_piece(image, mask, options, region)
        np.testing.assert_allclose(piece, whole[(..., *region)], rtol=1e-4, atol=1e-3)


def test_every_level_of_a_pyramid_gives_derivatives_per_full_resolution_pixel():
    pytest.importorskip("dask.array")
    from napari_masked_blur._api.route import run_lazy

    _, x = np.mgrid[0:128, 0:128].astype(np.float32)
    ramp = 30000 + 3.0 * x
    mask = np.ones(ramp.shape, bool)
    levels = [ramp, ramp[::2, ::2], ramp[::4, ::4]]
    options = BlurSettings(sigma=4.0, filter="gaussian_gradient_magnitude").check(
        ramp, mask
    )
    for level in run_lazy(levels, mask, options):
        middle = level.shape[0] // 2
        assert level[middle, middle].compute() == pytest.approx(3.0, rel=1e-3)
