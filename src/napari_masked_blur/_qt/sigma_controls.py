"""The widget's axes and sigma controls: which axes are smoothed, sigma per axis.

"smooth over" shows which axes of the image are smoothed (time and channel
axes are frames, see :mod:`napari_masked_blur._math.frames`) and lets the user
choose others; with "sigma per axis" on, each smoothed axis gets its own
sigma field, labelled with the axis name and, with "physical units", its
unit.  Otherwise the sigma slider applies to every smoothed axis.
"""

from __future__ import annotations

from collections.abc import Callable

import napari
from magicgui.widgets import CheckBox, ComboBox, Container, FloatSlider, FloatSpinBox

from napari_masked_blur._live.smooth_over import smooth_over_choices
from napari_masked_blur._math.frames import axis_names, is_frame_label
from napari_masked_blur._qt.words import TOOLTIPS

SIGMA_MAX = 50.0


class AxesControls:
    """The sigma slider, "smooth over", "sigma per axis" and the per-axis fields.

    Parameters
    ----------
    on_change : callable
        Called with no argument whenever a control changes the options.
    """

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._choices: list[tuple[str, tuple[int, ...]]] = []
        self.sigma = FloatSlider(
            name="sigma", label="sigma (px)", min=0.0, max=SIGMA_MAX, value=3.0
        )
        self.smooth_over = ComboBox(
            name="smooth_over",
            label="smooth over",
            # A callable: the widget's reset_choices would otherwise bring
            # back the choices given here.
            choices=lambda _: self._choices,
        )
        self.per_axis = CheckBox(name="per_axis", text="sigma per axis")
        self.fields = Container(
            name="sigma_axes", label=" ", labels=True, visible=False
        )
        self.physical = CheckBox(name="physical", text="sigma in image units")
        self._image: napari.layers.Image | None = None
        self._layout: tuple = ()  # (axis labels, ndim) the choices were made for
        self.sigma.changed.connect(self._changed)
        self.smooth_over.changed.connect(self._on_axes)
        self.per_axis.changed.connect(self._on_per_axis)
        self.physical.changed.connect(self._on_physical)

    def widgets(self) -> list:
        """The controls, in the order the widget shows them."""
        return [self.sigma, self.smooth_over, self.per_axis, self.fields, self.physical]

    # -- the image ----------------------------------------------------------
    def show_image(self, image: napari.layers.Image | None) -> None:
        """Offer the axes of ``image``; keep the user's choice for the same axes."""
        layout = () if image is None else (tuple(image.axis_labels), image.ndim)
        if image is self._image and layout == self._layout:
            return
        self._image = image
        if layout != self._layout:
            self._layout = layout
            choices = [] if image is None else smooth_over_choices(layout[0])
            self._choices = choices
            with self.smooth_over.changed.blocked():
                self.smooth_over.reset_choices()
                if choices:
                    self.smooth_over.value = choices[0][1]
            self.smooth_over.visible = len(choices) > 1
        self._build_fields()

    @property
    def axes(self) -> tuple[int, ...] | None:
        """The smoothed axes of the image's data (None: no image)."""
        return self.smooth_over.value

    def names(self) -> tuple[str, ...]:
        """A short name per axis of the image (its label, or z, y, x)."""
        return () if self._image is None else axis_names(self._image.axis_labels)

    def value(self) -> float | tuple[float, ...]:
        """Sigma for ``BlurSettings``: one value, or one per smoothed axis."""
        if self.per_axis.value and len(self.fields):
            return tuple(field.value for field in self.fields)
        return self.sigma.value

    # -- reacting -----------------------------------------------------------
    def _changed(self, _value=None) -> None:
        self._on_change()

    def _on_axes(self, _value=None) -> None:
        self._build_fields()
        self._on_change()

    def _on_per_axis(self, _value=None) -> None:
        for field in self.fields:  # start from the slider's value
            with field.changed.blocked():
                field.value = self.sigma.value
        self._show_fields()
        self._on_change()

    def _on_physical(self, _value=None) -> None:
        self._convert(to_units=self.physical.value)
        self._build_fields()
        self._on_change()

    def _convert(self, to_units: bool) -> None:
        """Give sigma in the new unit, so that the blur stays the same.

        In pixels a sigma ``s`` is ``s * scale`` in the layer's units.  One
        slider value that becomes different numbers per axis (anisotropic
        pixels) becomes "sigma per axis".
        """
        if self._image is None or not self.axes:
            return
        scale = [float(self._image.scale[a]) for a in self.axes]
        factors = [s if to_units else 1 / s for s in scale]
        fields = list(self.fields)
        if self.per_axis.value and fields:
            values = [f.value * k for f, k in zip(fields, factors, strict=True)]
        elif len(set(factors)) == 1:
            with self.sigma.changed.blocked():
                self.sigma.value = min(self.sigma.value * factors[0], SIGMA_MAX)
            return
        else:
            values = [self.sigma.value * k for k in factors]
            with self.per_axis.changed.blocked():
                self.per_axis.value = True
        for field, value in zip(fields, values, strict=True):
            with field.changed.blocked():
                field.value = min(value, SIGMA_MAX)

    def _build_fields(self) -> None:
        """One sigma field per smoothed axis, keeping values of axes still there."""
        old = {field.name: field.value for field in self.fields}
        self.fields.clear()
        image, axes = self._image, self.axes or ()
        names = axis_names(image.axis_labels) if image is not None else ()
        for axis in axes:
            name = f"sigma_{axis}"
            field = FloatSpinBox(
                name=name,
                label=f"{names[axis]} ({self.unit(axis)})",
                min=0.0,
                max=SIGMA_MAX,
                step=0.5,
                value=old.get(name, self.sigma.value),
                tooltip=TOOLTIPS["sigma_axes"],
            )
            field.changed.connect(self._changed)
            self.fields.append(field)
        self._show_fields()
        self.sigma.label = f"sigma ({self.unit(axes[-1] if axes else -1)})"

    def _show_fields(self) -> None:
        # The fields replace the slider: a live slider beside them would show
        # a sigma that is not the one used.
        shown = bool(self.per_axis.value and len(self.fields))
        self.fields.visible = shown
        self.sigma.enabled = not shown

    def unit(self, axis: int) -> str:
        """The unit sigma is given in along data axis ``axis``: "px", "frames"
        (a time axis) or the layer's unit."""
        if self._image is not None and is_frame_label(self._image.axis_labels[axis]):
            return "frames"
        if not self.physical.value or self._image is None:
            return "px"
        unit = f"{self._image.units[axis]:~}"
        return "px" if unit in ("pixel", "px") else unit
