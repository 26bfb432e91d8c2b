"""Repeat it: the output's record, Copy as Python, Save and Load settings.

The copied snippet is run with ``exec`` in a namespace holding the test's
viewer, as napari's console would run it, and must give the output layer's
data back: bit for bit for 2D images (one whole-image computation, as in
``masked_gaussian``), within float32 rounding for a volume (the live view
computes it plane by plane and chunk by chunk, whose float32 shifts differ by
a few ulps).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from qtpy.QtWidgets import QApplication

import napari_masked_blur
import napari_masked_blur._qt.repeat_buttons as repeat_module
from napari_masked_blur import BlurSettings, masked_gaussian
from napari_masked_blur._math.region import filter_whole
from napari_masked_blur._qt import control_settings
from napari_masked_blur._qt.output_layers import METADATA_KEY
from napari_masked_blur._qt.snippet import LayerSource, python_snippet
from tests.qt.conftest import TIMEOUT_MS, dock, ramp_and_labels, wait_idle

CONTROLS = ("sigma", "physical", "outside", "labels", "per_label", "mode", "live")
# Per-axis sigma: "smooth over", "sigma per axis" and one field per smoothed axis.
SIGMA_CONTROLS = ("smooth_over", "per_axis")


def output_of(viewer, name="ramp"):
    return viewer.layers[f"{name} masked blur"]


def run_copied(widget, viewer):
    """Click Copy as Python and run the clipboard's text as the console would."""
    widget["repeat"]["copy_python"].clicked.emit()
    namespace = {"viewer": viewer}
    exec(QApplication.clipboard().text(), namespace)
    return namespace["blurred"]


def control_state(widget):
    state = {name: widget[name].value for name in (*CONTROLS, *SIGMA_CONTROLS)}
    return state | {field.name: field.value for field in widget["sigma_axes"]}


def set_sigma_per_axis(widget, values):
    """Per-axis sigma: "sigma per axis" on, one value per smoothed axis."""
    widget["per_axis"].value = True
    for field, value in zip(widget["sigma_axes"], values, strict=True):
        field.value = value


def set_controls(widget, controls):
    for name, value in controls.items():
        if name == "per_axis_sigma":
            set_sigma_per_axis(widget, value)
        else:
            widget[name].value = value


@pytest.fixture
def small(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    viewer.add_image(image, name="ramp", scale=(2.0, 0.5), units="micrometer")
    viewer.add_labels(mask, name="cells", scale=(2.0, 0.5), units="micrometer")
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    return viewer, widget


@pytest.fixture
def warnings(monkeypatch):
    """The widget's warning notifications, in order."""
    seen = []
    monkeypatch.setattr(repeat_module, "show_warning", seen.append)
    return seen


# --- the snippet's text (no viewer) ------------------------------------------


def test_snippet_passes_only_the_options_that_differ_from_the_defaults():
    settings = BlurSettings(sigma=2.0, mode="reflect", labels=3)
    text = python_snippet(settings, LayerSource("a"), LayerSource("b"), "1.2")
    assert "blurred = masked_gaussian(image, mask, sigma=2.0, labels=3, " in text
    assert 'mode="reflect"' in text
    for default in ("outside", "per_label", "truncate", "method", "spacing"):
        assert default not in text
    assert "napari-masked-blur 1.2" in text
    assert "The same from the files" not in text  # neither layer has a file


def test_snippet_quotes_any_layer_name():
    name = 'it\'s "odd" \\ µm\n'
    text = python_snippet(
        BlurSettings(sigma=1), LayerSource(name), LayerSource("m"), "1"
    )
    namespace = {"viewer": SimpleNamespace(layers={name: SimpleNamespace(data=1)})}
    image_line = next(line for line in text.splitlines() if line.startswith("image"))
    exec(image_line, namespace)
    assert namespace["image"] == 1


def test_snippet_gives_floats_back_exactly():
    sigma = (0.1 + 0.2, 1 / 3)
    settings = BlurSettings(sigma=sigma, spacing=(0.7, 0.3), units="micrometer")
    text = python_snippet(settings, LayerSource("a"), LayerSource("b"), "1")
    assert f"sigma={sigma!r}" in text
    assert "# sigma and spacing in micrometer" in text


def test_snippet_reads_an_integer_image_mask_as_weights_and_multiscale_at_full():
    text = python_snippet(
        BlurSettings(sigma=1),
        LayerSource("img", multiscale=True),
        LayerSource("w", as_weights=True),
        "1",
    )
    assert 'image = viewer.layers["img"].data[0]' in text
    assert 'mask = viewer.layers["w"].data.astype("float32")' in text


def test_snippet_of_file_layers_gives_the_file_version_as_comments():
    settings = BlurSettings(sigma=(1.0, 2.0), per_label=True, channel_axis=-1)
    text = python_snippet(
        settings,
        LayerSource("cells", path="/data/my cells.tif"),
        LayerSource("nuclei"),
        "1",
    )
    files = text[text.index("# The same from the files") :]
    assert all(line.startswith("#") for line in files.strip().splitlines())
    assert 'tifffile.imread("/data/my cells.tif")' in files
    assert 'save the layer "nuclei" to "nuclei.tif" first' in files
    assert (
        "napari-masked-blur blur '/data/my cells.tif' nuclei.tif -o "
        "'my cells_blurred.tif' --sigma 1.0,2.0 --per-label --channel-axis=-1"
    ) in files


@pytest.mark.parametrize(
    ("axes", "flag"), [(None, "--axes 0,1,2"), ((1, 2), "--axes 1,2")]
)
def test_snippet_command_names_the_smoothed_axes_of_a_3d_file(axes, flag):
    # Without --axes the command would pick the frames from the file itself.
    text = python_snippet(
        BlurSettings(sigma=2.0, axes=axes),
        LayerSource("movie", path="/data/movie.tif", ndim=3),
        LayerSource("roi", path="/data/roi.tif", ndim=2),
        "1",
    )
    command = next(
        line for line in text.splitlines() if "napari-masked-blur blur" in line
    )
    assert command.count("--axes") == 1 and command.endswith(flag)


# --- the record in the output layer ------------------------------------------


def test_output_records_its_settings_version_and_layers(small):
    viewer, _ = small
    record = output_of(viewer).metadata[METADATA_KEY]
    assert record["image"] == "ramp" and record["mask"] == "cells"
    assert record["version"] == napari_masked_blur.__version__
    assert BlurSettings.from_dict(record["settings"]) == BlurSettings(sigma=3.0)
    json.dumps(record)  # plain JSON values


def test_record_follows_each_recompute_and_only_a_recompute(small, qtbot):
    viewer, widget = small
    widget["sigma"].value = 5.5
    widget["per_label"].value = True
    wait_idle(qtbot, widget)
    settings = output_of(viewer).metadata[METADATA_KEY]["settings"]
    assert (settings["sigma"], settings["per_label"]) == (5.5, True)
    widget["live"].value = False
    widget["sigma"].value = 1.0  # not applied: the record still says 5.5
    wait_idle(qtbot, widget)
    assert output_of(viewer).metadata[METADATA_KEY]["settings"]["sigma"] == 5.5
    widget["run"].clicked.emit()
    wait_idle(qtbot, widget)
    assert output_of(viewer).metadata[METADATA_KEY]["settings"]["sigma"] == 1.0


def test_a_computation_without_a_record_leaves_none_behind(small, qtbot, monkeypatch):
    viewer, widget = small

    def refusing(*_args):
        raise ValueError("not a settings document")

    monkeypatch.setattr(repeat_module, "controls_settings", refusing)
    widget["sigma"].value = 4.0
    wait_idle(qtbot, widget)
    assert METADATA_KEY not in output_of(viewer).metadata


@pytest.mark.parametrize(
    "controls",
    [
        {},
        {"per_axis_sigma": (1.5, 4.0), "outside": "fill", "mode": "wrap"},
        {"physical": True, "labels": [2], "per_label": True},
    ],
)
def test_the_settings_give_what_the_widget_blurs_with(small, controls):
    viewer, widget = small
    set_controls(widget, controls)
    image, mask = viewer.layers["ramp"], viewer.layers["cells"]
    settings = control_settings.controls_settings(widget, image, mask)
    by_widget = filter_whole(image.data, mask.data, widget.options(image, mask))
    by_settings = masked_gaussian(image.data, mask.data, **settings.kwargs)
    np.testing.assert_array_equal(by_settings, by_widget)


# --- Copy as Python -------------------------------------------------------------


@pytest.mark.parametrize(
    "controls",
    [
        {"sigma": 2.5, "outside": "zero"},
        {"per_label": True, "labels": [2], "mode": "reflect"},
    ],
    ids=["2d", "per_label"],
)
def test_copied_snippet_rebuilds_a_2d_output_exactly(small, qtbot, controls):
    viewer, widget = small
    set_controls(widget, controls)
    wait_idle(qtbot, widget)
    blurred = run_copied(widget, viewer)
    np.testing.assert_array_equal(blurred, output_of(viewer).data)


def test_copied_snippet_rebuilds_physical_units_exactly(small, qtbot):
    viewer, widget = small
    widget["physical"].value = True
    set_sigma_per_axis(widget, (3.0, 1.5))  # micrometer; pixels 1.5 and 3
    wait_idle(qtbot, widget)
    text = widget["repeat"].snippet()
    assert "spacing=(2.0, 0.5)" in text and "micrometer" in text
    blurred = run_copied(widget, viewer)
    np.testing.assert_array_equal(blurred, output_of(viewer).data)
    by_pixels = masked_gaussian(
        viewer.layers["ramp"].data, viewer.layers["cells"].data, (1.5, 3.0)
    )
    np.testing.assert_array_equal(blurred, by_pixels)


def test_copied_snippet_rebuilds_fill_and_a_certainty_mask_exactly(
    make_napari_viewer, qtbot
):
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    viewer.add_image(image, name="ramp")
    viewer.add_image((mask > 0).astype(np.uint8) * 3, name="weights")
    widget = dock(viewer)
    widget["mask"].value = viewer.layers["weights"]
    widget["outside"].value = "fill"
    widget["sigma"].value = 1.0
    wait_idle(qtbot, widget)
    text = widget["repeat"].snippet()
    assert 'image = viewer.layers["ramp"].data\n' in text  # the image as it is
    assert 'viewer.layers["weights"].data.astype("float32")' in text
    blurred = run_copied(widget, viewer)
    assert np.isnan(blurred).any()  # "fill" leaves NaN where no weight reaches
    np.testing.assert_array_equal(blurred, output_of(viewer).data)


def test_copied_snippet_rebuilds_a_volume(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels((6, 40, 50))
    viewer.add_image(image, name="ramp")
    viewer.add_labels(mask, name="cells")
    widget = dock(viewer)
    widget["sigma"].value = 1.5
    wait_idle(qtbot, widget)
    qtbot.waitUntil(lambda: widget.session.plan.complete, timeout=TIMEOUT_MS)
    blurred = run_copied(widget, viewer)
    np.testing.assert_allclose(
        blurred, output_of(viewer).data, rtol=0, atol=1e-6 * float(np.ptp(image))
    )


def test_copied_snippet_rebuilds_a_time_lapse(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels((5, 40, 50))
    image[2] += 3000  # a bright frame, which must not leak into the others
    viewer.add_image(image, name="ramp", axis_labels=("t", "y", "x"))
    viewer.add_labels(mask, name="cells", axis_labels=("t", "y", "x"))
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    qtbot.waitUntil(
        lambda: widget.session.plan is None or widget.session.plan.complete,
        timeout=TIMEOUT_MS,
    )
    assert "axes=(1, 2)" in widget["repeat"].snippet()
    blurred = run_copied(widget, viewer)
    np.testing.assert_allclose(
        blurred, output_of(viewer).data, rtol=0, atol=1e-6 * float(np.ptp(image))
    )
    frame = masked_gaussian(image[1], mask[1], widget["sigma"].value)
    np.testing.assert_allclose(
        blurred[1], frame, rtol=0, atol=1e-6 * float(np.ptp(image))
    )


def test_copy_without_an_output_says_so(make_napari_viewer, warnings):
    viewer = make_napari_viewer(strict_qt=True)
    widget = dock(viewer)
    assert widget["repeat"].copy_python() is None
    assert warnings == ["Masked blur: nothing copied: no output yet"]


# --- Save and Load settings -------------------------------------------------------


def test_save_then_load_restores_the_controls(small, qtbot, tmp_path, monkeypatch):
    viewer, widget = small
    chosen = {
        "physical": True,  # first: switching units converts the sigma shown
        "per_axis_sigma": (2.5, 1.25),
        "outside": "nan",
        "labels": [1],
        "per_label": True,
        "mode": "mirror",
    }
    set_controls(widget, chosen)
    saved = control_state(widget)
    path = tmp_path / "blur.json"
    monkeypatch.setattr(repeat_module, "ask_save_path", lambda parent: str(path))
    widget["repeat"]["save_settings"].clicked.emit()
    assert BlurSettings.from_json(path.read_text()).per_label
    set_controls(widget, {"per_axis_sigma": (1.0, 1.0), "physical": False})
    widget["per_label"].value = False
    monkeypatch.setattr(repeat_module, "ask_open_path", lambda parent: str(path))
    widget["repeat"]["load_settings"].clicked.emit()
    assert control_state(widget) == saved
    wait_idle(qtbot, widget)
    record = output_of(viewer).metadata[METADATA_KEY]["settings"]
    assert record["sigma"] == [2.5, 1.25] and record["mode"] == "mirror"


def test_a_sigma_beyond_the_slider_is_refused(small, tmp_path, warnings):
    _, widget = small
    path = tmp_path / "big.json"
    path.write_text('{"format": 1, "sigma": 80}')
    widget["repeat"].load_settings(path)
    # Every sigma control stops at the slider's end.
    assert warnings == [
        "Masked blur: settings not loaded: "
        f"{path}: sigma 80.0: the widget's sigma goes up to 50.0"
    ]


BAD_FILES = {
    "not JSON": ("{sigma: 1", "not JSON"),
    "unknown key": ('{"format": 1, "sigma": 1, "sigmas": 2}', "'sigmas' (value 2)"),
    "newer format": ('{"format": 9, "sigma": 1}', "format 9 is newer"),
    "bad value": ('{"format": 1, "sigma": 1, "mode": "edge"}', "mode 'edge'"),
    "no control": ('{"format": 1, "sigma": 1, "truncate": 3}', "truncate 3.0"),
    "absent label": ('{"format": 1, "sigma": 1, "labels": 7}', "labels [7]"),
    "nested deep": ("[" * 100_000 + "]" * 100_000, "nested 100000 levels deep"),
    "too large": ('{"format": 1, "sigma": 1}' + " " * (1 << 20), "larger than 1 MiB"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_settings_file_leaves_the_controls_and_says_why(
    small, tmp_path, warnings, name
):
    viewer, widget = small
    text, reason = BAD_FILES[name]
    path = tmp_path / "bad.json"
    path.write_text(text)
    before = control_state(widget)
    record = output_of(viewer).metadata[METADATA_KEY]
    assert widget["repeat"].load_settings(path) is None
    assert control_state(widget) == before
    assert output_of(viewer).metadata[METADATA_KEY] is record
    assert len(warnings) == 1
    assert warnings[0].startswith("Masked blur: settings not loaded:")
    assert "bad.json: " in warnings[0]
    assert reason in warnings[0]


def test_cancelled_dialogs_do_nothing(small, monkeypatch, warnings):
    _, widget = small
    monkeypatch.setattr(repeat_module, "ask_save_path", lambda parent: None)
    monkeypatch.setattr(repeat_module, "ask_open_path", lambda parent: None)
    before = control_state(widget)
    assert widget["repeat"].save_settings() is None
    assert widget["repeat"].load_settings() is None
    assert control_state(widget) == before and warnings == []
