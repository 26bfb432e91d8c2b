"""Repeat it: Copy as Python, Save settings…, Load settings….

:class:`RepeatButtons` is a row of three buttons that the widget docks below
its controls:

- **Copy as Python** (``copy_python``) puts on the clipboard the snippet of
  :func:`~napari_masked_blur._qt.snippet.python_snippet` for the output of the
  chosen image, built from the record in the output layer's metadata (so it
  rebuilds the output as it is, even after the controls moved with live
  update off).
- **Save settings…** writes the controls as a settings file
  (:func:`~napari_masked_blur._files.settings_file.save_settings`).
- **Load settings…** sets the controls from one; a file the widget cannot
  follow is refused with a notification naming the key and the value, and the
  controls stay as they were.

The widget tells the buttons when it starts a computation
(:meth:`RepeatButtons.started`); they hand the record of it to the output
layers.  The file dialogs are the module's :func:`ask_save_path` and
:func:`ask_open_path`, replaced in tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import napari
from magicgui.widgets import Container, PushButton
from napari.utils.notifications import show_info, show_warning
from qtpy.QtWidgets import QApplication, QFileDialog

from napari_masked_blur._files.settings_file import load_settings, save_settings
from napari_masked_blur._math.settings import BlurSettings
from napari_masked_blur._qt.control_settings import (
    control_steps,
    controls_settings,
    set_controls,
)
from napari_masked_blur._qt.output_layers import METADATA_KEY, output_record
from napari_masked_blur._qt.snippet import LayerSource, python_snippet

FILE_FILTER = "Settings (*.json);;All files (*)"
DEFAULT_NAME = "masked-blur-settings.json"


def ask_save_path(parent: Any) -> str | None:
    """Where to save settings (a file dialog); None when cancelled."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save settings", DEFAULT_NAME, FILE_FILTER
    )
    return path or None


def ask_open_path(parent: Any) -> str | None:
    """Which settings file to load (a file dialog); None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, "Load settings", "", FILE_FILTER)
    return path or None


class RepeatButtons(Container):
    """The buttons that repeat a blur elsewhere: in Python, a file, another time.

    They place themselves in ``widget``, above its last control (the status
    line).

    Parameters
    ----------
    widget : MaskedBlurWidget
        The widget whose controls are saved and loaded; read through its
        controls' names (``widget["sigma"]``...), its ``session`` and
        ``output_layer``.
    viewer : napari.viewer.Viewer
        Where the layers named in a record are looked up.
    """

    def __init__(self, widget: Any, viewer: napari.viewer.Viewer) -> None:
        # Not `_widget`: magicgui keeps its Qt backend under that name.
        self._owner = widget
        self._layers_of = viewer
        buttons = [
            PushButton(name="copy_python", text="Copy as Python"),
            PushButton(name="save_settings", text="Save settings…"),
            PushButton(name="load_settings", text="Load settings…"),
        ]
        super().__init__(
            name="repeat", label=" ", layout="horizontal", labels=False, widgets=buttons
        )
        self.margins = (0, 0, 0, 0)
        buttons[0].clicked.connect(self.copy_python)
        buttons[1].clicked.connect(self.save_settings)
        buttons[2].clicked.connect(self.load_settings)
        widget.insert_row(self)

    # -- the record of each computation ------------------------------------
    def started(self, image: napari.layers.Image, mask: napari.layers.Layer) -> None:
        """The widget starts blurring ``image`` in ``mask`` with its controls."""
        try:
            settings = controls_settings(self._owner, image, mask)
        except ValueError:
            # The widget checked these controls already; should the record
            # still refuse them, the output is left with none rather than
            # with the previous computation's.
            self._owner.session.outputs.describe(image, None)
            return
        self._owner.session.outputs.describe(
            image, output_record(settings, image, mask)
        )

    # -- the buttons ---------------------------------------------------------
    def copy_python(self) -> str | None:
        """Put the snippet that rebuilds the chosen image's output on the clipboard.

        Returns the snippet, or None (with a notification saying why) when
        there is no output to rebuild.
        """
        try:
            text = self.snippet()
        except ValueError as exc:
            show_warning(f"Masked blur: nothing copied: {exc}")
            return None
        QApplication.clipboard().setText(text)
        show_info("Masked blur: Python code copied; paste it into the console")
        return text

    def snippet(self) -> str:
        """The snippet for the output of the chosen image.

        Raises
        ------
        ValueError
            No output yet, or the layers it was made from are gone.
        """
        image = self._owner["image"].value
        out = None if image is None else self._owner.output_layer(image)
        record = None if out is None else out.metadata.get(METADATA_KEY)
        if record is None:
            raise ValueError("no output yet")
        layers = {}
        for role in ("image", "mask"):
            name = record[role]
            if name not in self._layers_of.layers:
                raise ValueError(f"the {role} layer {name!r} is no longer there")
            layers[role] = self._layers_of.layers[name]
        return python_snippet(
            BlurSettings.from_dict(record["settings"]),
            layer_source(layers["image"]),
            layer_source(layers["mask"], mask=True),
            record["version"],
        )

    def save_settings(self, path: str | Path | None = None) -> Path | None:
        """Write the controls' settings to ``path`` (asked for when None).

        Returns the path written, or None when cancelled or refused (with a
        notification).
        """
        try:
            settings = controls_settings(
                self._owner, self._owner["image"].value, self._owner["mask"].value
            )
        except ValueError as exc:
            show_warning(f"Masked blur: settings not saved: {exc}")
            return None
        path = path or ask_save_path(self.native)
        if not path:
            return None
        try:
            save_settings(settings, path)
        except OSError as exc:
            show_warning(f"Masked blur: settings not saved: {exc}")
            return None
        return Path(path)

    def load_settings(self, path: str | Path | None = None) -> BlurSettings | None:
        """Set the controls from the settings file ``path`` (asked for when None).

        All or nothing: a file that cannot be read, is not valid settings, or
        asks for what the widget has no control for, leaves every control as
        it was and says why in a notification.  Returns the settings applied.
        """
        path = path or ask_open_path(self.native)
        if not path:
            return None
        try:
            settings = load_settings(path)
            steps = control_steps(self._owner, settings, source=path)
        except (OSError, ValueError) as exc:
            show_warning(f"Masked blur: settings not loaded: {exc}")
            return None
        set_controls(self._owner, steps)
        return settings


def layer_source(layer: napari.layers.Layer, mask: bool = False) -> LayerSource:
    """What the snippet needs of ``layer``: name, file, multiscale, weights.

    A ``mask`` that is an Image layer of integers is read as float32
    certainty weights, as the widget reads it.
    """
    dtype_kind = (layer.data[0] if layer.multiscale else layer.data).dtype.kind
    return LayerSource(
        name=layer.name,
        path=layer.source.path,
        multiscale=bool(layer.multiscale),
        ndim=int(layer.ndim) + bool(getattr(layer, "rgb", False)),
        as_weights=mask
        and isinstance(layer, napari.layers.Image)
        and dtype_kind != "f",
    )
