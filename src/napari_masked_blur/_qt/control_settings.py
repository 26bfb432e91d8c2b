"""The widget's controls as settings, and settings as the widget's controls.

:func:`controls_settings` reads the controls into a
:class:`~napari_masked_blur._math.settings.BlurSettings` holding the options
the widget blurs with; :func:`control_steps` turns settings back into
control values, refusing (before anything is set) what the widget has no
control for; :func:`set_controls` sets them.  Controls are reached by their
names (``widget["sigma"]``), as a script would.

The sigma controls are "smooth over" (``smooth_over``), "sigma per axis"
(``per_axis``) and one field per smoothed axis (in the container
``sigma_axes``, fields ``sigma_<axis>``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import napari

from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.settings import BlurSettings

# What the widget uses for the options it has no control for.
WIDGET_FIXED = {"truncate": 4.0, "method": "auto"}

Step = tuple[tuple[str, ...], Any]  # (names down to the control, its value)


def controls_settings(
    widget: Any,
    image: napari.layers.Image | None,
    mask: napari.layers.Layer | None,
) -> BlurSettings:
    """The settings of the widget's controls for ``image`` and ``mask``.

    The widget reads its controls through this alone: its ``options(image,
    mask)`` are these settings checked against the layers.
    ``spacing`` and ``units`` are the image layer's scale and units when
    "sigma in image units" is on; ``channel_axis`` is -1 for RGB; ``axes``
    is None when every axis is smoothed.
    """
    sigma, axes = _sigma_and_axes(widget, image)
    physical = widget["physical"].value and image is not None
    label_mask = isinstance(mask, napari.layers.Labels)
    flt = filter_named(widget["filter"].value)
    fields = dict(
        sigma=sigma,
        filter=flt.name,
        units=_unit_names(image.units) if physical else None,
        spacing=tuple(float(s) for s in image.scale) if physical else None,
        axes=axes,
        outside=widget["outside"].value,
        labels=(tuple(widget["labels"].value) or None) if label_mask else None,
        per_label=bool(widget["per_label"].value and label_mask),
        mode=widget["mode"].value,
        channel_axis=-1 if image is not None and image.rgb else None,
        **WIDGET_FIXED,
        **widget.parameters.settings_fields(flt),
    )
    try:
        return BlurSettings(**fields)
    except TypeError as exc:  # a parameter these settings have no field for
        raise ValueError(f"the {flt.name} filter: {exc}") from None


def _sigma_and_axes(widget: Any, image: napari.layers.Image | None):
    fields = widget["sigma_axes"]
    per_axis = widget["per_axis"].value and len(fields)
    sigma = tuple(f.value for f in fields) if per_axis else widget["sigma"].value
    axes = widget["smooth_over"].value
    every = None if image is None else tuple(range(image.ndim))
    return sigma, None if axes is None or tuple(axes) == every else tuple(axes)


def _unit_names(units: tuple) -> str | tuple[str, ...]:
    names = tuple(str(unit) for unit in units)
    return names[0] if len(set(names)) == 1 else names


def control_steps(
    widget: Any, settings: BlurSettings, source: str | Path = "settings"
) -> list[Step]:
    """The control values that give ``settings`` (read from ``source``), in order.

    ``spacing`` and ``channel_axis`` are not controls: the widget takes them
    from the image layer (its scale when sigma is physical; RGB).

    Raises
    ------
    ValueError
        The widget has no control for a value (naming ``source``, the key
        and the value).
    """
    try:
        _check_fixed(settings)
        steps = [
            (("filter",), settings.filter),
            (("physical",), settings.spacing is not None or settings.needs_spacing),
            *_field_steps(widget, settings),
            (("outside",), settings.outside),
            (("labels",), _label_ids(widget, settings.labels)),
            (("per_label",), settings.per_label),
            (("mode",), settings.mode),
            *_parameter_steps(settings),
        ]
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return steps


def _check_fixed(settings: BlurSettings) -> None:
    for key, fixed in WIDGET_FIXED.items():
        value = getattr(settings, key)
        if value != fixed:
            raise ValueError(
                f"{key} {value!r}: the widget has no control for it (it uses "
                f"{fixed!r}); the library and the command line take it"
            )


def _label_ids(widget: Any, labels: tuple[int, ...] | None) -> list[int]:
    if labels is None:
        return []  # none chosen: every label
    present = list(widget["labels"].choices)
    absent = [i for i in labels if i not in present]
    if absent:
        raise ValueError(
            f"labels {list(labels)!r}: the widget takes label ids of the "
            f"mask (present: {present}, absent: {absent})"
        )
    return list(labels)


def _parameter_steps(settings: BlurSettings) -> list[Step]:
    """The controls of the filter's own parameters (see ``filter_controls``)."""
    steps: list[Step] = []
    for name in filter_named(settings.filter).parameters:
        value = getattr(settings, name, None)
        if name in ("high_sigma", "rho"):
            if isinstance(value, tuple):
                raise ValueError(
                    f"{name} {value!r}: the widget takes one value for every axis"
                )
            steps.append(((name,), value or 0.0))
        elif name == "order":
            steps.append((("order",), value))
    return steps


def _field_steps(widget: Any, settings: BlurSettings) -> list[Step]:
    image = widget["image"].value
    axes = settings.axes
    if axes is None and image is not None:
        axes = tuple(range(image.ndim))
    choices = list(widget["smooth_over"].choices)
    if axes not in choices:
        raise ValueError(
            f"axes {settings.axes!r}: the widget offers {choices} for this image"
        )
    sigma, top = settings.sigma, widget["sigma"].max
    values = sigma if isinstance(sigma, tuple) else (sigma,)
    if max(values) > top:
        raise ValueError(f"sigma {sigma!r}: the widget's sigma goes up to {top}")
    steps: list[Step] = [(("smooth_over",), axes)]
    if not isinstance(sigma, tuple):
        return [*steps, (("per_axis",), False), (("sigma",), sigma)]
    if len(sigma) != len(axes):
        raise ValueError(
            f"sigma {sigma!r} has {len(sigma)} values but the widget smooths "
            f"{len(axes)} axes {axes}"
        )
    fields = [
        (("sigma_axes", f"sigma_{a}"), s) for a, s in zip(axes, sigma, strict=True)
    ]
    return [*steps, (("per_axis",), True), *fields]


def set_controls(widget: Any, steps: list[Step]) -> None:
    """Set the controls in order, then blur once (if live update is on).

    Live update is held off meanwhile, so the controls do not each start a
    computation of their own.
    """
    live = widget["live"]
    was_live = live.value
    with contextlib.ExitStack() as stack:
        stack.callback(setattr, live, "value", was_live)  # blurs once, if on
        live.value = False
        for names, value in steps:
            if names == ("order",):
                _set_orders(widget["order"], value)
                continue
            control = widget
            for name in names:
                control = control[name]
            control.value = value


def _set_orders(fields: Any, order: int | tuple[int, ...]) -> None:
    """One order per smoothed axis (one int: the same for every axis)."""
    orders = order if isinstance(order, tuple) else (order,) * len(fields)
    if len(orders) != len(fields):
        raise ValueError(
            f"order {order!r} has {len(orders)} values but the widget smooths "
            f"{len(fields)} axes"
        )
    for field, value in zip(fields, orders, strict=True):
        field.value = value
