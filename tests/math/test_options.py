"""BlurSettings.check: every option checked once where it enters, by name.

The public functions, the widget and the command line all build their
options here; what they refuse, and how they say so, is specified below,
first through :func:`masked_gaussian`, then on :meth:`BlurSettings.check`
itself.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest

from napari_masked_blur import masked_gaussian
from napari_masked_blur._math.settings import BlurSettings, check_options

# --- errors, through masked_gaussian ---------------------------------------


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(4, 6\)"):
        masked_gaussian(np.ones((4, 6)), np.ones((4, 5)), 1)


def test_shape_mismatch_with_channel_axis_names_the_spatial_shape():
    with pytest.raises(ValueError, match=r"\(4, 6, 3\).*\(4, 6\)"):
        masked_gaussian(np.ones((4, 6, 3)), np.ones((4, 5)), 1, channel_axis=-1)


@pytest.mark.parametrize("sigma", [-1, math.nan, math.inf, (1, -0.5)])
def test_bad_sigma_is_named(sigma):
    with pytest.raises(ValueError, match="sigma"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), sigma)


def test_wrong_number_of_sigmas_says_how_many():
    with pytest.raises(ValueError, match=r"3 values.*2 spatial axes"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), (1, 2, 3))


@pytest.mark.parametrize("spacing", [0, -1, (1, 2, 3), math.nan])
def test_bad_spacing_is_named(spacing):
    with pytest.raises(ValueError, match="spacing"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), 1, spacing=spacing)


def test_unknown_outside_is_named():
    with pytest.raises(ValueError, match="'outsid'"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), 1, outside="outsid")


def test_unknown_mode_is_named():
    with pytest.raises(ValueError, match="'constant'"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), 1, mode="constant")


@pytest.mark.parametrize("truncate", [0, -1, math.nan])
def test_bad_truncate_is_named(truncate):
    with pytest.raises(ValueError, match="truncate"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), 1, truncate=truncate)


def test_complex_image_is_refused():
    with pytest.raises(ValueError, match="complex"):
        masked_gaussian(np.ones((4, 4), complex), np.ones((4, 4)), 1)


def test_labels_need_an_integer_mask():
    with pytest.raises(ValueError, match=r"labels=\(3,\)"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), 1, labels=3)


def test_per_label_needs_an_integer_mask():
    with pytest.raises(ValueError, match=r"per_label.*float64"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4)), 1, per_label=True)


def test_channel_axis_out_of_range_is_named():
    with pytest.raises(ValueError, match="channel_axis 3"):
        masked_gaussian(np.ones((4, 4, 2)), np.ones((4, 4)), 1, channel_axis=3)


# --- BlurSettings.check: what comes out ---------------------------------------


def check(image=None, mask=None, sigma=1.0, **options):
    """BlurSettings.check on a (4, 6) image and bool mask unless others are given."""
    image = np.ones((4, 6)) if image is None else image
    mask = np.ones((4, 6), bool) if mask is None else mask
    return check_options(image, mask, sigma, **options)


def test_defaults_are_those_of_masked_gaussian():
    options = check()
    assert options.settings == BlurSettings(sigma=1.0)
    assert options.sigma == (1.0, 1.0)
    assert options.outside == "keep" and options.mode == "missing"
    assert options.labels is None and options.per_label is False
    assert options.truncate == 4.0 and options.channel_axis is None
    assert options.method == "auto"


def test_sigma_becomes_one_float_per_spatial_axis():
    assert check(sigma=1.5).sigma == (1.5, 1.5)
    assert check(sigma=(1, 2)).sigma == (1.0, 2.0)
    assert all(type(s) is float for s in check(sigma=(1, 2)).sigma)
    assert check(np.ones((2, 3, 4)), np.ones((2, 3, 4)), 0).sigma == (0.0,) * 3


def test_sigma_with_spacing_becomes_pixels():
    assert check(sigma=2.0, spacing=(2.0, 0.5)).sigma == (1.0, 4.0)
    assert check(sigma=(3.0, 1.0), spacing=0.5).sigma == (6.0, 2.0)


@pytest.mark.parametrize(("given", "normalised"), [(-1, 2), (2, 2), (-3, 0), (0, 0)])
def test_channel_axis_is_counted_from_zero_and_left_out_of_sigma(given, normalised):
    shape = [4, 6]
    shape.insert(normalised, 3)
    image = np.ones(shape)
    options = check(image, np.ones((4, 6)), (1.0, 2.0), channel_axis=given)
    assert options.channel_axis == normalised
    assert options.sigma == (1.0, 2.0)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (None, None),
        (3, (3,)),
        ([1, 4], (1, 4)),
        ((7,), (7,)),
        (np.array([2, 5], np.uint8), (2, 5)),
        (np.int64(9), (9,)),
    ],
)
def test_labels_become_a_tuple_of_ints(labels, expected):
    options = check(mask=np.ones((4, 6), np.uint16), labels=labels)
    assert options.labels == expected
    assert all(type(i) is int for i in options.labels or ())


def test_the_options_are_kept_as_given():
    options = check(
        mask=np.ones((4, 6), np.int32),
        per_label=True,
        outside="fill",
        mode="wrap",
        truncate=3,
        method="band",
    )
    assert options.per_label is True
    assert (options.outside, options.mode, options.method) == ("fill", "wrap", "band")
    assert options.truncate == 3.0 and type(options.truncate) is float


def test_radius_is_int_of_truncate_times_sigma_plus_a_half():
    assert check(sigma=(1.0, 2.5)).radius == (4, 10)
    assert check(sigma=(1.0, 2.5), truncate=2.0).radius == (2, 5)
    assert check(sigma=(0.0, 0.1)).radius == (0, 0)


def test_engine_mode_names_missing_as_scipy_constant():
    assert check().engine_mode == "constant"
    for mode in ("reflect", "nearest", "mirror", "wrap"):
        assert check(mode=mode).engine_mode == mode


def test_with_sigma_changes_only_sigma():
    options = check(mask=np.ones((4, 6), np.uint8), labels=2, mode="reflect")
    other = options.with_sigma([3, 0.5])
    assert other.sigma == (3.0, 0.5)
    assert other == dataclasses.replace(options, sigma=(3.0, 0.5))
    assert options.sigma == (1.0, 1.0)


def test_options_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        check().sigma = (2.0, 2.0)


def test_check_reads_only_shape_and_dtype():
    image = SimpleNamespace(shape=(5, 4, 3), dtype=np.dtype(np.uint16))
    mask = SimpleNamespace(shape=(5, 4), dtype=np.dtype(np.int32))
    options = check_options(image, mask, 2, channel_axis=-1, labels=[1])
    assert options.sigma == (2.0, 2.0) and options.channel_axis == 2


# --- BlurSettings.check: what it refuses, naming it ---------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sigma": -1}, r"sigma must be finite and >= 0, got -1"),
        ({"sigma": math.nan}, r"sigma must be finite and >= 0"),
        (
            {"sigma": (1, 2, 3)},
            r"sigma has 3 values \(1\.0, 2\.0, 3\.0\) but the image has 2 spatial axes",
        ),
        ({"sigma": [[1, 2]]}, r"sigma must be a number or a list of numbers"),
        ({"spacing": 0}, r"spacing must be finite and > 0, got 0"),
        ({"spacing": (1, 2, 3)}, r"spacing has 3 values"),
        ({"outside": "outsid"}, r"unknown outside 'outsid'; expected one of"),
        ({"mode": "constant"}, r"unknown mode 'constant'; expected one of"),
        ({"truncate": 0}, r"truncate must be > 0, got 0"),
        ({"truncate": math.inf}, r"truncate must be a finite number, got inf"),
        ({"truncate": "4"}, r"truncate must be a finite number, got '4'"),
        ({"method": "fastest"}, r"unknown method 'fastest'; expected one of"),
        ({"channel_axis": 2}, r"channel_axis 2 is out of range for 2 dimensions"),
        ({"labels": 1.5}, r"labels must be an integer or a list of integers, got 1\.5"),
        ({"labels": []}, r"labels must be an integer or a list of integers, got \[\]"),
        (
            {"image": np.ones((4, 6), complex)},
            r"image must be real-valued, got dtype complex128",
        ),
        (
            {"image": np.ones((0, 6)), "mask": np.ones((0, 6))},
            r"image must have pixels, got shape \(0, 6\)",
        ),
        (
            {"mask": np.ones((4, 6), complex)},
            r"mask must be bool, integer or float, got dtype complex128",
        ),
        (
            {"mask": np.ones((4, 5))},
            r"^mask shape \(4, 5\) does not match image shape \(4, 6\), and does not "
            r"broadcast to it$",
        ),
        (
            {"mask": np.ones((4, 6), np.float32), "labels": 3},
            r"labels=\(3,\) needs an integer or bool mask, got a float32 certainty map",
        ),
        (
            {"mask": np.ones((4, 6), np.float32), "per_label": True},
            r"labels and per_label need an integer or bool mask, got a float32",
        ),
    ],
)
def test_each_bad_value_is_refused_by_name(arguments, message):
    with pytest.raises(ValueError, match=message):
        check(**arguments)


def test_lazy_arrays_of_unknown_size_are_refused_by_name():
    da = pytest.importorskip("dask.array")
    values = da.arange(12, chunks=4)
    unknown = values[values > 5]  # its length is known only once computed
    with pytest.raises(ValueError, match=r"image has unknown chunk sizes \(nan,\)"):
        check_options(unknown, np.ones(6, bool), 1)
    with pytest.raises(ValueError, match=r"mask has unknown chunk sizes \(nan,\)"):
        check_options(np.ones(6), unknown, 1)
