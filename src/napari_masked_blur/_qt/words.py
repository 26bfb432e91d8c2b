"""What the widget calls things: row labels, choices in words, tooltips.

The values behind the choices stay the settings' own (``"missing"``,
``"nan"``...): the settings file, "Copy as Python" and the command line
speak those; the widget shows words a microscopist reads without the docs.
Every control gets a tooltip from :data:`TOOLTIPS` (a GUI test checks that
none is without).
"""

from __future__ import annotations

from typing import Any

from magicgui.widgets import ComboBox, Container

from napari_masked_blur._math import filters
from napari_masked_blur._math.options import MODES

# The row labels of the controls, by the control's name.
LABELS = {
    "image": "image",
    "mask": "mask",
    "filter": "filter",
    "smooth_over": "smooth over",
    "outside": "outside the mask",
    "labels": "label ids",
    "mode": "beyond the image edge",
    "other": "second image",
    "view": "view",
}

# ``mode``: what the blur reads beyond the image's edge.
MODE_WORDS = {
    "missing": "no data",
    "reflect": "mirrored",
    "nearest": "edge pixel repeated",
    "mirror": "mirrored about the edge pixel",
    "wrap": "wrapped around",
}

# ``outside``: what the pixels outside the mask get.
OUTSIDE_WORDS = {
    "keep": "keep",
    "zero": "0",
    "nan": "NaN",
    "fill": "fill from the mask",
}

TOOLTIPS = {
    "image": "The image layer to blur. The result goes to a new layer above it.",
    "mask": "Where the blur reads the image: a Labels layer you paint in, or an "
    "Image layer of weights (0 = ignore, 1 = trust, in between = partly).",
    "filter": "What to compute from the pixels inside the mask.",
    "sigma": "How far the blur reaches: the width of the Gaussian (one standard "
    "deviation). Drag it and watch the result.",
    "smooth_over": "The axes blurred. The others (time, channels) are frames, "
    "each blurred on its own.",
    "per_axis": "Give each axis its own sigma, e.g. less along z than in-plane.",
    "sigma_axes": "Sigma along each smoothed axis.",
    "physical": "Give sigma in the image's units (its scale, e.g. µm) instead of "
    "pixels. Switching converts the numbers, so the blur stays the same.",
    "outside": "What the pixels outside the mask show: keep the image, 0, NaN "
    "(no value: shown as the colormap's low end) or the result filled in from "
    "the mask nearby.",
    "labels": "Which label ids of the mask to use. None selected: every "
    "painted pixel (any id). Ctrl-click to pick several.",
    "per_label": "Blur each label on its own: pixels of one label never mix "
    "with another's.",
    "mode": "What the blur assumes beyond the image's edge. 'No data' uses only "
    "the pixels there are; the others pad the image.",
    "live": "Recompute while you drag a slider or paint. Off: press Run.",
    "run": "Compute the result now with these settings.",
    "view": "Overlay: the result over the image, the mask on top. Side by side: "
    "the original next to the result (with the mask over it).",
    "keep": "Copy the current result to a layer of its own, to compare it with "
    "the next settings.",
    "status": "What the widget is doing, or why it waits.",
    "other": "The second image the filter compares with the first (same shape).",
    "high_sigma": "The wider Gaussian of the difference (0: 1.6 times sigma).",
    "rho": "How far the structure tensor is averaged (0: the filter's default).",
    "order": "How many times the Gaussian is differentiated along each axis "
    "(0: plain smoothing).",
    "repeat": "Repeat this result elsewhere: as Python code, or as a settings "
    "file to load later or give to the command line.",
    "copy_python": "Copy Python code that rebuilds the result, for the console "
    "or a script.",
    "save_settings": "Save these settings to a file (the command line's "
    "--settings reads it).",
    "load_settings": "Set the controls from a settings file.",
}


def option_choices() -> tuple[ComboBox, ComboBox, ComboBox]:
    """The "filter", "outside the mask" and "beyond the image edge" choices.

    The filters are those of :data:`~napari_masked_blur._math.filters.DESCRIPTIONS`
    (read at each reset, so a test may add one); "filter" is hidden while
    there is one; "outside the mask" offers the policies the chosen filter
    allows.
    """
    chosen = ComboBox(
        name="filter",
        choices=lambda _: [(f.title, f.name) for f in filters.DESCRIPTIONS],
        visible=len(filters.DESCRIPTIONS) > 1,
    )
    outside = ComboBox(
        name="outside",
        label=LABELS["outside"],
        choices=lambda _: word_choices(
            OUTSIDE_WORDS, filters.filter_named(chosen.value).outside
        ),
    )
    mode = ComboBox(
        name="mode", label=LABELS["mode"], choices=word_choices(MODE_WORDS, MODES)
    )
    return chosen, outside, mode


def word_choices(words: dict[str, str], values) -> list[tuple[str, str]]:
    """``(words, value)`` pairs for a combo box, in the order of ``values``."""
    return [(words.get(value, value), value) for value in values]


def give_tooltips(container: Any) -> None:
    """Set the tooltip of every control in ``container`` (and nested ones) from
    :data:`TOOLTIPS`, by the control's name; ``sigma_<axis>`` fields share one."""
    for control in container:
        name = control.name
        key = "sigma_axes" if name.startswith("sigma_") and name[6:].isdigit() else name
        key = "order" if name.startswith("order_") else key
        if key in TOOLTIPS:
            control.tooltip = TOOLTIPS[key]
        if isinstance(control, Container):
            give_tooltips(control)
