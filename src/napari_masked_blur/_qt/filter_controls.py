"""The controls of a filter's own parameters, shown for the chosen filter only.

A filter's description lists the inputs it takes besides the image, the
mask and sigma (:attr:`~napari_masked_blur._math.filter.Filter.parameters`);
each name has its control here:

- ``"other"``: a second Image layer (passed to the router as ``other=``,
  never a settings field);
- ``"high_sigma"``, ``"rho"``: sliders like sigma's, in sigma's unit; 0 is
  the filter's default (None in the settings);
- ``"order"``: the derivative order along each smoothed axis (0, 1 or 2),
  one choice per axis.

Every other name is a settings field of the same name, so a filter whose
parameter has no control here cannot be chosen (its settings are refused
with the name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import napari
from magicgui.widgets import ComboBox, Container, FloatSlider

from napari_masked_blur._math.filter import Filter
from napari_masked_blur._qt.choices import image_choices
from napari_masked_blur._qt.words import LABELS, TOOLTIPS

SIGMA_MAX = 50.0
ORDERS = (0, 1, 2)


class FilterControls:
    """The parameter controls of every filter, the chosen filter's visible.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose image layers the "second image" offers.
    on_change : callable
        Called with no argument whenever a control changes the options.
    chosen_image : callable
        ``chosen_image()``: the image being filtered (not offered as second).
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        on_change: Callable[[], None],
        chosen_image: Callable[[], Any],
    ) -> None:
        self._on_change = on_change
        self.other = ComboBox(
            name="other",
            label=LABELS["other"],
            choices=lambda _: [
                c for c in image_choices(viewer) if c[1] is not chosen_image()
            ],
            visible=False,
        )
        self.high_sigma = FloatSlider(
            name="high_sigma", label="high sigma (px)", max=SIGMA_MAX, visible=False
        )
        self.rho = FloatSlider(
            name="rho", label="rho (px)", max=SIGMA_MAX, visible=False
        )
        self.order = Container(name="order", label=" ", labels=True, visible=False)
        self._axes: tuple[tuple[int, str], ...] = ()
        for control in (self.other, self.high_sigma, self.rho):
            control.changed.connect(self._changed)

    def widgets(self) -> list:
        """The controls, in the order the widget shows them."""
        return [self.other, self.high_sigma, self.rho, self.order]

    def show(self, flt: Filter, axes: tuple[tuple[int, str], ...], unit: str) -> None:
        """Show the controls of ``flt``'s parameters only.

        ``axes``: (data axis, name) of each smoothed axis, for the order
        choices; ``unit``: sigma's unit, for the sliders' labels.
        """
        wanted = set(flt.parameters)
        self.other.visible = "other" in wanted
        self.high_sigma.visible = "high_sigma" in wanted
        self.rho.visible = "rho" in wanted
        self.high_sigma.label = f"high sigma ({unit})"
        self.rho.label = f"rho ({unit})"
        if axes != self._axes:
            self._axes = axes
            self._build_orders()
        self.order.visible = "order" in wanted

    def settings_fields(self, flt: Filter) -> dict[str, Any]:
        """The settings fields of ``flt``'s parameters (``other`` is not one)."""
        return {name: self._value(name) for name in flt.parameters if name != "other"}

    def other_layer(self, flt: Filter) -> napari.layers.Image | None:
        """The second image, when ``flt`` takes one."""
        return self.other.value if "other" in flt.parameters else None

    def _value(self, name: str) -> Any:
        if name in ("high_sigma", "rho"):
            value = getattr(self, name).value
            return value or None  # 0: the filter's default
        if name == "order":
            orders = tuple(int(c.value) for c in self.order)
            return orders[0] if len(set(orders)) <= 1 and orders else orders or 0
        raise ValueError(f"the widget has no control for the parameter {name!r}")

    def _build_orders(self) -> None:
        old = {c.name: c.value for c in self.order}
        self.order.clear()
        for axis, name in self._axes:
            key = f"order_{axis}"
            choice = ComboBox(
                name=key,
                label=f"order along {name}",
                choices=ORDERS,
                value=old.get(key, 0),
                tooltip=TOOLTIPS["order"],
            )
            choice.changed.connect(self._changed)
            self.order.append(choice)

    def _changed(self, _value=None) -> None:
        self._on_change()
