"""The output layer: one per image, found, created, written and refreshed here.

The output of image layer ``X`` is the Image layer ``"X masked blur"``,
marked in its metadata as ours (:data:`OUTPUT_KEY`), so it is never offered
as an input and a user's own layer of that name is never written over.  It
lines up with the image (scale, translate, rotate, shear, affine, units) and
looks like it (colormap, contrast limits, gamma).

It also says how it was made: ``layer.metadata[METADATA_KEY]`` holds the
settings (:class:`~napari_masked_blur._math.settings.BlurSettings` as a
dict), the package version and the names of the image and mask layers.  The
record handed to :meth:`OutputLayers.describe` when a computation starts is
written with the first result of that computation, so the record changes
together with the data it describes.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np

from napari_masked_blur._math.boxes import Box, with_channel
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.filter import Filter
from napari_masked_blur._math.settings import BlurSettings, package_version

OUTPUT_SUFFIX = " masked blur"
# Marks our output layers (value: the source image's name) so they are never
# offered as inputs and a user's own layer of the same name is not overwritten.
OUTPUT_KEY = "napari-masked-blur output of"
# How the output was made: {"settings", "version", "image", "mask"}.
METADATA_KEY = "napari-masked-blur"
# A signed result (a derivative, a z-score): diverging, 0 in the middle.
SIGNED_COLORMAP = "PiYG"


def output_name(
    image: napari.layers.Layer, filter_name: str = "gaussian", output: str = ""
) -> str:
    """Name of the layer holding ``image``'s result of ``filter_name``.

    The masked blur is ``"<image> masked blur"``; another filter's result is
    ``"<image> masked <filter name>"`` (``"cells masked local mean"``), and
    one of several results adds its name: ``"... (largest)"``.
    """
    if filter_name == "gaussian":
        base = f"{image.name}{OUTPUT_SUFFIX}"
    else:
        base = f"{image.name} masked {filter_name.replace('_', ' ')}"
    return f"{base} ({output})" if output else base


def output_names(image: napari.layers.Layer, flt: Filter, smoothed: int) -> list[str]:
    """The output layers' names of ``flt`` on ``image``: one per result.

    ``smoothed``: how many axes are smoothed (the number of a filter's
    results may depend on it, :meth:`Filter.output_names`).
    """
    names_of = getattr(flt, "output_names", None)
    outputs = names_of(smoothed) if callable(names_of) else flt.outputs
    return [output_name(image, flt.name, o) for o in outputs] or [
        output_name(image, flt.name)
    ]


def output_kwargs(image: napari.layers.Image, name: str | None = None) -> dict:
    """Layer options that make the output line up with ``image`` and look alike."""
    return {
        "name": output_name(image) if name is None else name,
        "rgb": image.rgb,
        "scale": image.scale,
        "translate": image.translate,
        "rotate": image.rotate,
        "shear": image.shear,
        "affine": image.affine,
        "units": image.units,
        "colormap": image.colormap,
        "contrast_limits": image.contrast_limits,
        "gamma": image.gamma,
        "metadata": {**image.metadata, OUTPUT_KEY: image.name},
    }


def is_output(layer: napari.layers.Layer) -> bool:
    """Whether ``layer`` is one of our (live) output layers."""
    return OUTPUT_KEY in layer.metadata


def output_of(layer: napari.layers.Layer) -> str | None:
    """The name of the image whose output ``layer`` is, or None."""
    return layer.metadata.get(OUTPUT_KEY)


def output_record(
    settings: BlurSettings, image: napari.layers.Layer, mask: napari.layers.Layer
) -> dict[str, Any]:
    """The record of how an output is made, for ``metadata[METADATA_KEY]``.

    Plain JSON values only: ``{"settings": <the settings document>,
    "version": <package version>, "image": <image layer name>, "mask":
    <mask layer name>}``.
    """
    return {
        "settings": settings.to_dict(),
        "version": package_version(),
        "image": image.name,
        "mask": mask.name,
    }


def fit_look(layer: napari.layers.Image, look: str) -> None:
    """Colormap and contrast limits of a complete result.

    ``look``: "input" keeps the input's (a blur is an intensity like it);
    "fit" sets the limits to the result's range; "signed" (a derivative, a
    z-score) a diverging colormap whose middle is 0, limits symmetric.
    """
    if look == "input" or not isinstance(layer.data, np.ndarray) or layer.rgb:
        return
    values = (
        layer.data[np.isfinite(layer.data)]
        if layer.data.dtype.kind == "f"
        else (layer.data)
    )
    low, high = (float(values.min()), float(values.max())) if values.size else (0, 0)
    if look == "signed":
        reach = max(abs(low), abs(high)) or 1.0
        layer.colormap = SIGNED_COLORMAP
        layer.contrast_limits = (-reach, reach)
    elif high > low:
        layer.contrast_limits = (low, high)


class OutputLayers:
    """Writes results into the output layers of a viewer's images.

    :meth:`aim` says which layers the next results go to (their names, their
    look, the mask they stay under); writing a region refreshes a layer only
    where it shows; refreshes put off while more work runs (the thumbnail, a
    3D view) are made by :meth:`refresh_stale`.  A result with several
    outputs (stacked on a new leading axis) goes one output per layer.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the output layers live.
    """

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self._viewer = viewer
        # Refreshes put off: "view" (a 3D view) and "thumbnail".
        self._stale: dict[str, napari.layers.Image] = {}
        # The record of the computation under way: (image layer, record).
        self._record: tuple[napari.layers.Image, dict | None] | None = None
        # True while this class removes a layer: not the user's doing.
        self.removing = False
        # Where results go: (image, output names, look, the mask above them).
        self._aim: tuple[Any, list[str], str, Any] = (None, [], "input", None)

    def aim(
        self,
        image: napari.layers.Image,
        names: list[str],
        look: str = "input",
        below: napari.layers.Layer | None = None,
    ) -> None:
        """Send the next results of ``image`` to the layers ``names``.

        ``look`` as :func:`fit_look`; the layers stay under ``below`` (the
        mask), so the mask and the brush are seen while painting.
        """
        self._aim = (image, list(names), look, below)
        self._place()

    def describe(
        self, image: napari.layers.Image, record: dict[str, Any] | None
    ) -> None:
        """Say how the next results for ``image`` are made (see :func:`output_record`).

        The output layer takes the record with the next result written into
        it, and keeps it until a later record comes; None: the next result
        removes the record.
        """
        self._record = (image, record)

    def find(self, image: napari.layers.Image) -> napari.layers.Image | None:
        """The (first) output layer of ``image`` in the viewer, or None."""
        found = self.find_all(image)
        return found[0] if found else None

    def find_all(self, image: napari.layers.Image) -> list[napari.layers.Image]:
        """The output layers of ``image`` in the viewer that results go to."""
        return [
            layer for name in self._names(image) if (layer := self._layer(image, name))
        ]

    def write_full(self, image: napari.layers.Image, data: Any) -> None:
        """Make ``data`` (numpy, dask or a multiscale list) the output of ``image``.

        A layer keeps the user's view settings when it can take the data;
        otherwise (another number of axes, RGB or multiscale) it is made anew.
        Output layers of another filter of the same image are removed.
        """
        names = self._names(image)
        for index, name in enumerate(names):
            part = data if len(names) == 1 else _part(data, index)
            out = self._write_one(image, name, part)
            if image is self._aim[0] and isinstance(part, np.ndarray):
                fit_look(out, self._aim[2])
        self._retire(image, names)

    def write_region(
        self,
        image: napari.layers.Image,
        box: Box,
        values: np.ndarray,
        channel_axis: int | None,
        *,
        refresh: str,
        busy: bool,
    ) -> None:
        """Write ``values`` over the spatial ``box`` of ``image``'s output.

        ``refresh`` says when the screen shows it: "now" (the box is on
        display; the thumbnail waits for :meth:`refresh_stale` while
        ``busy``), "later" (a 3D view refreshed a moment ago: at
        :meth:`refresh_stale`) or "never" (not on display).
        """
        names = self._names(image)
        for index, name in enumerate(names):
            part = values if len(names) == 1 else values[index]
            out = self._writable(image, name, part.dtype)
            out.data[with_channel(box, channel_axis)] = part
            self._stamp(image, out)
            self._refresh(out, refresh, busy)

    def finished(self, image: napari.layers.Image) -> None:
        """The result of ``image`` is complete: fit the look of its layers."""
        if image is self._aim[0]:
            for out in self.find_all(image):
                fit_look(out, self._aim[2])

    def keep(self, image: napari.layers.Image, detail: str) -> list:
        """Copy the current output layers of ``image`` to layers of their own.

        Named ``"<output> (<detail>)"``, no longer ours (never written
        again), placed under the live output so the mask stays on top.
        """
        kept = []
        for out in self.find_all(image):
            data = out.data.copy() if isinstance(out.data, np.ndarray) else out.data
            metadata = {k: v for k, v in out.metadata.items() if k != OUTPUT_KEY}
            kwargs = output_kwargs(image, f"{out.name} ({detail})")
            copy = self._viewer.add_image(data, **{**kwargs, "metadata": metadata})
            copy.colormap, copy.contrast_limits = out.colormap, out.contrast_limits
            layers = self._viewer.layers
            lowest = min(layers.index(o) for o in self.find_all(image))
            layers.move(layers.index(copy), lowest)
            kept.append(copy)
        return kept

    def removed_by_user(self, layer, image: napari.layers.Image | None) -> bool:
        """Whether ``layer``, just removed, was an output of ``image`` that the
        user removed (not this class, replacing it)."""
        if layer is None or image is None or self.removing:
            return False
        return output_of(layer) == image.name

    def refresh_stale(self) -> None:
        """Make the refreshes put off while work ran."""
        stale, self._stale = self._stale, {}
        view, thumbnail = stale.get("view"), stale.get("thumbnail")
        if view is not None and view in self._viewer.layers:
            view.refresh(extent=False, highlight=False)
        elif thumbnail is not None and thumbnail in self._viewer.layers:
            thumbnail.refresh(data_displayed=False, extent=False, highlight=False)

    # -- the layers ---------------------------------------------------------
    def _names(self, image: napari.layers.Image) -> list[str]:
        return self._aim[1] if image is self._aim[0] else [output_name(image)]

    def _layer(self, image: napari.layers.Image, name: str):
        if name in self._viewer.layers:
            layer = self._viewer.layers[name]
            if layer.metadata.get(OUTPUT_KEY) == image.name:
                return layer
        return None

    def _write_one(self, image: napari.layers.Image, name: str, data: Any):
        out = self._layer(image, name)
        multiscale = isinstance(data, list)
        same_kind = out is not None and (out.ndim, out.rgb, out.multiscale) == (
            image.ndim,
            image.rgb,
            multiscale,
        )
        if same_kind:
            self._stamp(image, out)
            out.data = data  # in place: keeps the user's view settings
            return out
        if out is not None:
            self._remove(out)
        out = self._viewer.add_image(
            data, multiscale=multiscale, **output_kwargs(image, name)
        )
        self._stamp(image, out)
        self._place()
        return out

    def _retire(self, image: napari.layers.Image, names: list[str]) -> None:
        """Remove ``image``'s output layers of another filter (or outputs)."""
        for layer in list(self._viewer.layers):
            mine = layer.metadata.get(OUTPUT_KEY) == image.name
            if mine and layer.name not in names:
                self._remove(layer)

    def _remove(self, layer: napari.layers.Layer) -> None:
        """Remove one of our layers (:attr:`removing` meanwhile)."""
        self.removing = True
        try:
            self._viewer.layers.remove(layer)
        finally:
            self.removing = False

    def _place(self) -> None:
        """Keep the aimed output layers under the mask (the mask on top)."""
        image, _, _, below = self._aim
        layers = self._viewer.layers
        if image is None or below is None or below not in layers:
            return
        for out in self.find_all(image):
            if layers.index(out) > layers.index(below):
                layers.move(layers.index(out), layers.index(below))

    def _refresh(self, out: napari.layers.Image, refresh: str, busy: bool) -> None:
        if refresh == "now":
            # The layer's shape stays, so its extent does too.  Its thumbnail
            # is redrawn once no other piece runs or waits: during a slider
            # drag the layer list repainted each new thumbnail for 8.6 ms of
            # the main thread (profiled: 0.23 s over 27 updates).
            out.refresh(thumbnail=not busy, extent=False, highlight=False)
            if busy:
                self._stale["thumbnail"] = out
        elif refresh == "later":
            self._stale["view"] = out

    def _stamp(self, image: napari.layers.Image, out: napari.layers.Image) -> None:
        """Write the record of the computation under way into ``out``'s metadata."""
        if self._record is None or self._record[0] is not image:
            return
        # In place: no event, and nothing to copy for every patch.
        if self._record[1] is None:
            out.metadata.pop(METADATA_KEY, None)
        else:
            out.metadata[METADATA_KEY] = self._record[1]

    def _writable(self, image: napari.layers.Image, name: str, dtype: np.dtype):
        """The output layer, made (zeros, allocated lazily) if it can't take writes."""
        out = self._layer(image, name)
        shape = image.data.shape
        fits = (
            out is not None
            and isinstance(out.data, np.ndarray)
            and out.data.shape == shape
            and out.data.dtype == dtype
            and out.data.flags.writeable
        )
        if not fits:
            out = self._write_one(image, name, np.zeros(shape, output_dtype(dtype)))
            self._retire(image, self._names(image))
        return out


def _part(data: Any, index: int) -> Any:
    """Output ``index`` of a stacked result (a pyramid: of each level)."""
    if isinstance(data, list):
        return [level[index] for level in data]
    return data[index]
