"""Repeat it: Copy as Python, Save settings…, Load settings….

:class:`RepeatButtons` is a row of three buttons that the widget docks below
its controls:

- **Copy as Python** (``copy_python``) puts on the clipboard the snippet of
  :func:`~napari_masked_blur._qt.snippet.python_snippet` for the output of the
  chosen image, built from the record in the output layer's metadata (so it
  rebuilds the output as it is, even after the controls moved with live
  update off).
- **Save settings…** writes the controls as a settings file
  (:func:`~napari_masked_blur._blur.settings.save_settings`).
- **Load settings…** sets the controls from one; a file the widget cannot
  follow is refused with a notification naming the key and the value, and the
  controls stay as they were.

The widget tells the buttons when it starts a computation
(:meth:`RepeatButtons.started`); they hand the record of it to the output
layers.  The file dialogs are the module's :func:`ask_save_path` and
:func:`ask_open_path`, replaced in tests.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import napari
from magicgui.widgets import Container, PushButton
from napari.utils.notifications import show_info, show_warning
from qtpy.QtWidgets import QApplication, QFileDialog

from napari_masked_blur._blur.settings import (
    BlurSettings,
    load_settings,
    save_settings,
)
from napari_masked_blur._qt.choices import per_axis_sigma
from napari_masked_blur._qt.output import METADATA_KEY, output_record
from napari_masked_blur._qt.snippet import LayerSource, python_snippet

FILE_FILTER = "Settings (*.json);;All files (*)"
DEFAULT_NAME = "masked-blur-settings.json"
# What the widget does for the options it has no control for.
WIDGET_FIXED = {"truncate": 4.0, "method": "auto"}


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
            name="repeat", layout="horizontal", labels=False, widgets=buttons
        )
        self.margins = (0, 0, 0, 0)
        buttons[0].clicked.connect(self.copy_python)
        buttons[1].clicked.connect(self.save_settings)
        buttons[2].clicked.connect(self.load_settings)
        widget.insert(len(widget) - 1, self)  # above the widget's status line

    # -- the record of each computation ------------------------------------
    def started(self, image: napari.layers.Image, mask: napari.layers.Layer) -> None:
        """The widget starts blurring ``image`` in ``mask`` with its controls."""
        settings = controls_settings(self._owner, image, mask)
        record = output_record(settings, image, mask)
        self._owner.session.outputs.describe(image, record)

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
            values = control_values(self._owner, settings, source=path)
        except (OSError, ValueError) as exc:
            show_warning(f"Masked blur: settings not loaded: {exc}")
            return None
        set_controls(self._owner, values)
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
        as_weights=mask
        and isinstance(layer, napari.layers.Image)
        and dtype_kind != "f",
    )


def controls_settings(
    widget: Any,
    image: napari.layers.Image | None,
    mask: napari.layers.Layer | None,
) -> BlurSettings:
    """The settings of the widget's controls for ``image`` and ``mask``.

    The same options the widget blurs with: ``BlurOptions.check(image.data,
    mask, **settings.kwargs)`` equals the widget's ``options(image, mask)``.
    ``spacing`` and ``units`` are the image layer's scale and units when
    "sigma in image units" is on; ``channel_axis`` is -1 for RGB.

    Raises
    ------
    ValueError
        The per-axis sigma field is not a list of numbers.
    """
    sigma = per_axis_sigma(widget["sigma_per_axis"].value) or widget["sigma"].value
    physical = widget["physical"].value and image is not None
    label_mask = isinstance(mask, napari.layers.Labels)
    return BlurSettings(
        sigma=sigma,
        units=_unit_names(image.units) if physical else None,
        spacing=tuple(float(s) for s in image.scale) if physical else None,
        outside=widget["outside"].value,
        labels=(widget["labels"].value or None) if label_mask else None,
        per_label=bool(widget["per_label"].value and label_mask),
        mode=widget["mode"].value,
        channel_axis=-1 if image is not None and image.rgb else None,
        **WIDGET_FIXED,
    )


def _unit_names(units: tuple) -> str | tuple[str, ...]:
    names = tuple(str(unit) for unit in units)
    return names[0] if len(set(names)) == 1 else names


def control_values(
    widget: Any, settings: BlurSettings, source: str | Path = "settings"
) -> dict[str, Any]:
    """The value of each control that gives ``settings`` (read from ``source``).

    ``spacing`` and ``channel_axis`` are not controls: the widget takes them
    from the image layer (its scale when sigma is physical; RGB).

    Raises
    ------
    ValueError
        The widget has no control for a value (naming ``source``, the key
        and the value).
    """
    try:
        return _control_values(widget, settings)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def _control_values(widget: Any, settings: BlurSettings) -> dict[str, Any]:
    for key, fixed in WIDGET_FIXED.items():
        value = getattr(settings, key)
        if value != fixed:
            raise ValueError(
                f"{key} {value!r}: the widget has no control for it (it uses "
                f"{fixed!r}); the library and the command line take it"
            )
    labels = 0 if settings.labels is None else settings.labels
    if labels != 0 and (len(labels) != 1 or labels[0] not in widget["labels"].choices):
        raise ValueError(
            f"labels {list(labels)!r}: the widget takes one label id of the mask "
            f"(present: {[c for c in widget['labels'].choices if c]})"
        )
    sigma = settings.sigma
    slider = widget["sigma"]
    on_slider = isinstance(sigma, float) and slider.min <= sigma <= slider.max
    return {
        "sigma": sigma if on_slider else slider.value,
        "sigma_per_axis": "" if on_slider else _sigma_text(sigma),
        "physical": settings.spacing is not None or settings.needs_spacing,
        "outside": settings.outside,
        "labels": labels if labels == 0 else labels[0],
        "per_label": settings.per_label,
        "mode": settings.mode,
    }


def _sigma_text(sigma: float | tuple[float, ...]) -> str:
    values = sigma if isinstance(sigma, tuple) else (sigma,)
    return ", ".join(repr(v) for v in values)


def set_controls(widget: Any, values: dict[str, Any]) -> None:
    """Set the controls to ``values``, then blur once (if live update is on).

    Live update is held off meanwhile, so the controls do not each start a
    computation of their own.
    """
    live = widget["live"]
    was_live = live.value
    with contextlib.ExitStack() as stack:
        stack.callback(setattr, live, "value", was_live)  # blurs once, if on
        live.value = False
        for name, value in values.items():
            widget[name].value = value
