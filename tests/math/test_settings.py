"""BlurSettings: the options of a blur as one JSON document.

Round trips keep every value exactly; each bad document is refused with a
ValueError naming the key and the value; the settings drive
``masked_gaussian`` to the same numbers as the same options given by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import napari_masked_blur
from napari_masked_blur import (
    BlurSettings,
    load_settings,
    masked_gaussian,
    save_settings,
)
from napari_masked_blur._engines import METHODS
from napari_masked_blur._math.options import MODES
from napari_masked_blur._math.outside import OUTSIDE_POLICIES
from napari_masked_blur._math.settings import FORMAT

sigmas = st.floats(0, 50, allow_nan=False, allow_subnormal=False)
spacings = st.floats(1e-3, 1e3, allow_nan=False)


@st.composite
def any_settings(draw) -> BlurSettings:
    """Any valid settings, with one to four axes where a list is given."""
    ndim = draw(st.integers(1, 4))
    per_axis = draw(st.booleans())
    sigma = (
        draw(st.lists(sigmas, min_size=ndim, max_size=ndim))
        if per_axis
        else (draw(sigmas))
    )
    spacing = draw(
        st.none()
        | spacings
        | st.lists(spacings, min_size=ndim, max_size=ndim).map(tuple)
    )
    return BlurSettings(
        sigma=sigma,
        spacing=spacing,
        units=draw(st.sampled_from([None, "pixel", "micrometer", ("nm",) * ndim])),
        axes=draw(st.none() | st.just(tuple(range(-ndim, 0)))),
        outside=draw(st.sampled_from(OUTSIDE_POLICIES)),
        labels=draw(st.none() | st.lists(st.integers(0, 2**31), min_size=1)),
        per_label=draw(st.booleans()),
        mode=draw(st.sampled_from(MODES)),
        truncate=draw(st.floats(0.5, 10)),
        method=draw(st.sampled_from(METHODS)),
        channel_axis=draw(st.none() | st.integers(-3, 3)),
    )


# --- round trips --------------------------------------------------------------


@given(any_settings())
def test_json_round_trip_keeps_every_value(settings):
    assert BlurSettings.from_json(settings.to_json()) == settings


@given(any_settings())
def test_dict_round_trip_keeps_every_value(settings):
    assert BlurSettings.from_dict(settings.to_dict()) == settings


@given(any_settings())
def test_the_document_is_plain_json_with_its_format_and_version(settings):
    doc = json.loads(settings.to_json(one_line=True))
    assert doc["format"] == FORMAT
    assert doc["version"] == napari_masked_blur.__version__
    assert list(doc)[:3] == ["format", "version", "sigma"]


@given(any_settings())
def test_both_layouts_hold_the_same_document(settings):
    assert json.loads(settings.to_json()) == json.loads(settings.to_json(True))
    assert "\n" not in settings.to_json(one_line=True)


def test_file_round_trip(tmp_path):
    settings = BlurSettings(sigma=(1.0, 2.5), spacing=(0.5, 0.25), units="micrometer")
    path = tmp_path / "blur.json"
    save_settings(settings, path)
    assert load_settings(path) == settings
    assert [p.name for p in tmp_path.iterdir()] == ["blur.json"]  # no partial file


def test_missing_keys_take_masked_gaussians_defaults():
    settings = BlurSettings.from_json('{"format": 1, "sigma": 2}')
    assert settings == BlurSettings(sigma=2.0)
    assert settings.kwargs == {
        "sigma": 2.0,
        "spacing": None,
        "outside": "keep",
        "labels": None,
        "per_label": False,
        "mode": "missing",
        "truncate": 4.0,
        "method": "auto",
        "channel_axis": None,
        "order": 0,  # the Gaussian's own parameter; others take none
    }


# --- to masked_gaussian -------------------------------------------------------


def test_kwargs_give_the_same_numbers_as_the_options_by_hand():
    rng = np.random.default_rng(0)
    image = rng.random((12, 10)).astype(np.float32)
    mask = rng.integers(0, 3, (12, 10))
    settings = BlurSettings.from_json(
        '{"format": 1, "sigma": [1.5, 3], "spacing": [0.5, 1.5], '
        '"units": "micrometer", "per_label": true, "outside": "zero"}'
    )
    by_hand = masked_gaussian(
        image, mask, (1.5, 3), spacing=(0.5, 1.5), per_label=True, outside="zero"
    )
    np.testing.assert_array_equal(
        masked_gaussian(image, mask, **settings.kwargs), by_hand
    )


def test_axes_is_passed_only_when_given():
    assert "axes" not in BlurSettings(sigma=1).kwargs
    assert BlurSettings(sigma=1, axes=[-2, -1]).kwargs["axes"] == (-2, -1)


def test_changed_lists_only_what_differs_from_the_defaults():
    settings = BlurSettings(sigma=2, mode="reflect", labels=4)
    assert settings.changed() == {"sigma": 2.0, "mode": "reflect", "labels": (4,)}


def test_physical_sigma_without_spacing_waits_for_the_pixel_size():
    settings = BlurSettings(sigma=1.0, units="micrometer")
    assert settings.needs_spacing
    with pytest.raises(ValueError, match=r"'micrometer'.*no spacing"):
        settings.kwargs
    assert settings.with_spacing((2.0, 0.5)).kwargs["spacing"] == (2.0, 0.5)


@pytest.mark.parametrize("units", [None, "pixel", "px", ("pixel", "pixel")])
def test_sigma_in_pixels_needs_no_spacing(units):
    assert BlurSettings(sigma=1.0, units=units).kwargs["sigma"] == 1.0


# --- bad documents ------------------------------------------------------------

BAD_DOCUMENTS = {
    "not JSON": ("{sigma: 1}", r"not JSON"),
    "not an object": ("[1, 2]", r"JSON object, got list \[1, 2\]"),
    "no format": ('{"sigma": 1}', r"no 'format'"),
    "newer format": ('{"format": 2, "sigma": 1}', r"format 2 is newer .* \(1\)"),
    "format not a number": ('{"format": "1", "sigma": 1}', r"format .* '1'"),
    "unknown key": (
        '{"format": 1, "sigma": 1, "sigmas": 2}',
        r"unknown key 'sigmas' \(value 2\)",
    ),
    "version not text": ('{"format": 1, "version": 1, "sigma": 1}', r"version .* 1"),
    "no sigma": ('{"format": 1}', r"no 'sigma'"),
    "sigma text": ('{"format": 1, "sigma": "2"}', r"sigma .* got '2'"),
    "sigma negative": ('{"format": 1, "sigma": [1, -2]}', r"sigma .* -2"),
    "sigma NaN": ('{"format": 1, "sigma": NaN}', r"sigma .* nan"),
    "sigma empty": ('{"format": 1, "sigma": []}', r"sigma .* \[\]"),
    "spacing zero": ('{"format": 1, "sigma": 1, "spacing": 0}', r"spacing .* 0"),
    "sigma and spacing lengths": (
        '{"format": 1, "sigma": [1, 2], "spacing": [1, 2, 3]}',
        r"sigma \(1.0, 2.0\) and spacing \(1.0, 2.0, 3.0\)",
    ),
    "unknown mode": ('{"format": 1, "sigma": 1, "mode": "edge"}', r"mode 'edge'"),
    "unknown outside": (
        '{"format": 1, "sigma": 1, "outside": "inside"}',
        r"outside 'inside'",
    ),
    "unknown method": (
        '{"format": 1, "sigma": 1, "method": "fast"}',
        r"method 'fast'",
    ),
    "truncate zero": ('{"format": 1, "sigma": 1, "truncate": 0}', r"truncate .* 0"),
    "truncate true": ('{"format": 1, "sigma": 1, "truncate": true}', r"truncate.*True"),
    "labels float": ('{"format": 1, "sigma": 1, "labels": [1.5]}', r"labels .*\[1.5\]"),
    "labels bool": ('{"format": 1, "sigma": 1, "labels": true}', r"labels .* True"),
    "per_label text": (
        '{"format": 1, "sigma": 1, "per_label": "yes"}',
        r"per_label .* 'yes'",
    ),
    "channel_axis float": (
        '{"format": 1, "sigma": 1, "channel_axis": 1.0}',
        r"channel_axis .* 1.0",
    ),
    "axes repeated": ('{"format": 1, "sigma": 1, "axes": [1, 1]}', r"axes .* \[1, 1\]"),
    "axes text": ('{"format": 1, "sigma": 1, "axes": "yx"}', r"axes .* 'yx'"),
    "units number": ('{"format": 1, "sigma": 1, "units": 5}', r"units .* 5"),
}


@pytest.mark.parametrize("name", BAD_DOCUMENTS)
def test_a_bad_document_is_refused_naming_key_and_value(name):
    text, message = BAD_DOCUMENTS[name]
    with pytest.raises(ValueError, match=message):
        BlurSettings.from_json(text)


def test_a_bad_file_is_named_in_the_message(tmp_path):
    path = tmp_path / "blur.json"
    path.write_text('{"format": 1, "sigma": 1, "mode": "edge"}')
    with pytest.raises(ValueError, match=r"blur.json: unknown mode 'edge'"):
        load_settings(path)


def test_numpy_values_become_plain_numbers():
    settings = BlurSettings(
        sigma=np.array([1, 2]),
        spacing=np.float32(0.5),
        axes=np.array([1, 2]),
        labels=np.int64(3),
        channel_axis=np.int16(0),
    )
    assert settings == BlurSettings(
        sigma=(1.0, 2.0), spacing=0.5, axes=(1, 2), labels=(3,), channel_axis=0
    )
    assert BlurSettings.from_json(settings.to_json()) == settings


def test_settings_are_frozen():
    settings = BlurSettings(sigma=1)
    with pytest.raises(AttributeError):
        settings.sigma = 2.0  # type: ignore[misc]
