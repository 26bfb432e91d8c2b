"""Settings files are read within bounds: size and depth capped, errors named."""

from __future__ import annotations

import pytest

from napari_masked_blur._files.settings_file import (
    MAX_BYTES,
    MAX_DEPTH,
    load_settings,
    nesting_depth,
    save_settings,
)
from napari_masked_blur._math.settings import BlurSettings


def test_an_endless_file_is_refused_after_the_cap_not_read_to_its_end():
    with pytest.raises(ValueError, match=r"^/dev/zero: larger than 1 MiB"):
        load_settings("/dev/zero")


def test_a_deeply_nested_document_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=r"deep\.json: nested 100000 levels deep"):
        load_settings(path)


def test_the_caps_are_at_their_edges(tmp_path):
    document = '{"format": 1, "sigma": 2}'
    path = tmp_path / "edge.json"
    path.write_text(document + " " * (MAX_BYTES - len(document)))
    assert load_settings(path).sigma == 2.0  # exactly the cap: read
    path.write_text(document + " " * (MAX_BYTES - len(document) + 1))
    with pytest.raises(ValueError, match="larger than"):
        load_settings(path)
    path.write_text("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(ValueError, match="settings"):  # deep enough to parse
        load_settings(path)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[{{{", "b": "\\"[["}', 1),  # brackets in strings, escapes
        (b"]]]][", 0),  # not JSON: the parser says so
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth


def test_saved_settings_load_back(tmp_path):
    settings = BlurSettings(sigma=(1.0, 2.0), outside="nan")
    save_settings(settings, tmp_path / "s.json")
    assert load_settings(tmp_path / "s.json") == settings
