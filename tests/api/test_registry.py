"""FILTERS and the filter descriptions: one list that every entrance offers."""

from __future__ import annotations

import numpy as np
import pytest

import napari_masked_blur
from napari_masked_blur import FILTERS, BlurSettings, masked_gaussian
from napari_masked_blur._cli.blur import build_parser
from napari_masked_blur._math.filters import DESCRIPTIONS, FILTER_NAMES, filter_named


def test_filters_maps_each_name_to_its_public_function_in_order():
    assert list(FILTERS) == list(FILTER_NAMES)
    assert FILTER_NAMES[0] == "gaussian"
    assert FILTERS["gaussian"] is masked_gaussian
    for name, function in FILTERS.items():
        assert function.__name__ == f"masked_{name}"
        assert getattr(napari_masked_blur, function.__name__) is function


def test_filters_is_read_only():
    with pytest.raises(TypeError):
        FILTERS["gaussian"] = print  # type: ignore[index]
    with pytest.raises(TypeError):
        del FILTERS["gaussian"]  # type: ignore[attr-defined]


def test_every_description_ends_with_the_weights_term():
    for description in DESCRIPTIONS:
        assert description.terms[-1].power == 0
        assert description.terms[-1].order == 0


def test_an_unknown_filter_is_refused_with_the_names_there_are():
    with pytest.raises(
        ValueError, match=r"unknown filter 'median'; expected one of \('gaussian', "
    ):
        filter_named("median")
    with pytest.raises(ValueError, match="unknown filter 'median'"):
        BlurSettings(sigma=1, filter="median")


def test_settings_written_before_the_filter_key_read_as_the_gaussian():
    settings = BlurSettings.from_json('{"format": 1, "sigma": 2}')
    assert settings.filter == "gaussian"
    assert settings.function_name == "masked_gaussian"
    assert "filter" not in settings.kwargs  # it chooses the function


def test_settings_document_records_the_filter():
    doc = BlurSettings(sigma=2).to_dict()
    assert doc["filter"] == "gaussian"
    assert BlurSettings.from_dict(doc) == BlurSettings(sigma=2)


def test_the_command_line_offers_exactly_the_filters():
    parser = build_parser()
    (action,) = [a for a in parser._actions if "--filter" in a.option_strings]
    assert list(action.choices) == list(FILTERS)
    assert action.default == "gaussian"
    with pytest.raises(SystemExit):
        parser.parse_args(["a.tif", "b.tif", "-o", "c.tif", "--filter", "median"])


def test_settings_check_gives_the_options_of_the_public_function():
    image = np.arange(30.0).reshape(5, 6)
    mask = image > 8
    settings = BlurSettings(sigma=1.5, outside="nan", mode="reflect")
    options = settings.check(image, mask)
    assert options.settings is settings
    assert options.filter is filter_named("gaussian")
    assert options.sigma == (1.5, 1.5)
    assert options.reach == (6, 6)  # int(4 * 1.5 + 0.5)
    np.testing.assert_array_equal(
        napari_masked_blur._api.route.run(image, mask, options),
        masked_gaussian(image, mask, **settings.kwargs),
    )
