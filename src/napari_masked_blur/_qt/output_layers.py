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
from napari_masked_blur._math.settings import BlurSettings, package_version

OUTPUT_SUFFIX = " masked blur"
# Marks our output layers (value: the source image's name) so they are never
# offered as inputs and a user's own layer of the same name is not overwritten.
OUTPUT_KEY = "napari-masked-blur output of"
# How the output was made: {"settings", "version", "image", "mask"}.
METADATA_KEY = "napari-masked-blur"


def output_name(image: napari.layers.Layer) -> str:
    """Name of the layer holding ``image``'s masked blur."""
    return f"{image.name}{OUTPUT_SUFFIX}"


def output_kwargs(image: napari.layers.Image) -> dict:
    """Layer options that make the output line up with ``image`` and look alike."""
    return {
        "name": output_name(image),
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
    """Whether ``layer`` is one of our output layers."""
    return OUTPUT_KEY in layer.metadata


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


class OutputLayers:
    """Writes results into the output layers of a viewer's images.

    Writing a region refreshes the layer only where it shows; refreshes put
    off while more work runs (the thumbnail, a 3D view) are made by
    :meth:`refresh_stale`.

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
        """The output layer of ``image`` in the viewer, or None."""
        name = output_name(image)
        if name in self._viewer.layers:
            layer = self._viewer.layers[name]
            if layer.metadata.get(OUTPUT_KEY) == image.name:
                return layer
        return None

    def write_full(self, image: napari.layers.Image, data: Any) -> None:
        """Make ``data`` (numpy, dask or a multiscale list) the output of ``image``.

        The layer keeps the user's view settings when it can take the data;
        otherwise (another number of axes, RGB or multiscale) it is made anew.
        """
        out = self.find(image)
        multiscale = isinstance(data, list)
        same_kind = out is not None and (out.ndim, out.rgb, out.multiscale) == (
            image.ndim,
            image.rgb,
            multiscale,
        )
        if same_kind:
            self._stamp(image, out)
            out.data = data  # in place: keeps the user's view settings
            return
        if out is not None:
            self._viewer.layers.remove(out)
        out = self._viewer.add_image(
            data, multiscale=multiscale, **output_kwargs(image)
        )
        self._stamp(image, out)

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
        out = self._writable(image, values.dtype)
        out.data[with_channel(box, channel_axis)] = values
        self._stamp(image, out)
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

    def refresh_stale(self) -> None:
        """Make the refreshes put off while work ran."""
        stale, self._stale = self._stale, {}
        view, thumbnail = stale.get("view"), stale.get("thumbnail")
        if view is not None and view in self._viewer.layers:
            view.refresh(extent=False, highlight=False)
        elif thumbnail is not None and thumbnail in self._viewer.layers:
            thumbnail.refresh(data_displayed=False, extent=False, highlight=False)

    def _stamp(self, image: napari.layers.Image, out: napari.layers.Image) -> None:
        """Write the record of the computation under way into ``out``'s metadata."""
        if self._record is None or self._record[0] is not image:
            return
        # In place: no event, and nothing to copy for every patch.
        if self._record[1] is None:
            out.metadata.pop(METADATA_KEY, None)
        else:
            out.metadata[METADATA_KEY] = self._record[1]

    def _writable(self, image: napari.layers.Image, dtype: np.dtype):
        """The output layer, made (zeros, allocated lazily) if it can't take writes."""
        out = self.find(image)
        shape = image.data.shape
        fits = (
            out is not None
            and isinstance(out.data, np.ndarray)
            and out.data.shape == shape
            and out.data.dtype == dtype
            and out.data.flags.writeable
        )
        if not fits:
            self.write_full(image, np.zeros(shape, output_dtype(dtype)))
            out = self.find(image)
        return out
