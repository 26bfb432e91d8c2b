"""The ``outside`` policy, written once: what the pixels outside the mask get.

- ``"keep"``: the image's own value;
- ``"zero"``: 0;
- ``"nan"``: NaN;
- ``"fill"``: the filter's result there too, wherever weight is in reach
  (holes filled, the mask extrapolated), NaN where none is.

Every path that writes a result (the whole image, a box of it, each label,
a thin region's taps) goes through :func:`set_outside`.  The fused pass of
the engines (:mod:`napari_masked_blur._engines`) writes the same rule row by
row as it divides, for speed, and is tested equal to this one.
"""

from __future__ import annotations

import numpy as np

from napari_masked_blur._math.boxes import Box, with_channel
from napari_masked_blur._math.dtypes import output_dtype

OUTSIDE_POLICIES = ("keep", "zero", "nan", "fill")


def set_outside(
    out: np.ndarray, image: np.ndarray, where: np.ndarray | None, outside: str
) -> None:
    """Write the ``outside`` policy into ``out`` where ``where`` (None: everywhere).

    ``out`` and ``image`` have one shape; ``where`` broadcasts to it.
    "fill" writes nothing: the result is already there.
    """
    if outside == "fill":
        return
    if outside == "keep":
        if where is None:
            np.copyto(out, image, casting="unsafe")
        else:
            np.copyto(out, image, where=where, casting="unsafe")
        return
    value = 0 if outside == "zero" else np.nan
    if where is None:
        out[...] = value
    else:
        np.copyto(out, out.dtype.type(value), where=where)


def apply_outside(
    image: np.ndarray,
    result: np.ndarray | None,
    inside: np.ndarray,
    outside: str,
    channel_axis: int | None,
    outputs: int = 0,
) -> np.ndarray:
    """Set the pixels outside the mask by the ``outside`` policy, in place.

    ``result`` is the filter's result (written into and returned), or None
    when nothing is inside: then a fresh array of NaN is made (no weight in
    reach anywhere), with ``outputs`` entries stacked in front when the
    filter has outputs.  A result with outputs stacked in front gets the
    policy in each.
    """
    if result is None:
        shape = (outputs, *image.shape) if outputs else image.shape
        result = np.full(shape, np.nan, dtype=output_dtype(image.dtype))
    if outside != "fill":
        inside = with_channel_axis(inside, channel_axis)
        where = np.broadcast_to(~inside, image.shape)
        for part in each_output(result, image.ndim):
            set_outside(part, image, where, outside)
    return result


def each_output(result: np.ndarray, ndim: int) -> list[np.ndarray]:
    """The image-shaped parts of ``result``: itself, or each of its outputs."""
    return [result] if result.ndim == ndim else list(result)


def place_region(
    image: np.ndarray,
    result: np.ndarray,
    region: Box,
    inside: np.ndarray,
    outside: str,
    channel_axis: int | None,
) -> np.ndarray:
    """The full result: ``result`` over ``region``, the outside policy elsewhere.

    Outside ``region`` no weight is in reach, so "fill" gives NaN there.
    """
    dtype = output_dtype(image.dtype)
    shape = result.shape[: result.ndim - image.ndim] + image.shape  # outputs
    if outside == "zero":  # calloc: pages no box reaches are never written
        out = np.zeros(shape, dtype)
    else:
        out = np.empty(shape, dtype)
        for part in each_output(out, image.ndim):
            set_outside(part, image, None, "nan" if outside == "fill" else outside)
    target = out[(..., *with_channel(region, channel_axis))]
    if outside == "fill":
        target[...] = result
        return out
    np.copyto(target, result, where=with_channel_axis(inside[region], channel_axis))
    return out


def fill_around(out: np.ndarray, image: np.ndarray, box: Box, outside: str) -> None:
    """Write the ``outside`` policy into ``out`` everywhere but ``box``.

    No weight reaches there, so with "fill" the result is 0/0: NaN.
    """
    policy = "nan" if outside == "fill" else outside
    for axis, span in enumerate(box):
        for part in (
            (*box[:axis], slice(0, span.start)),
            (*box[:axis], slice(span.stop, None)),
        ):
            set_outside(out[part], image[part], None, policy)


def with_channel_axis(inside: np.ndarray, channel_axis: int | None) -> np.ndarray:
    """``inside`` with a length-1 axis where the image has its channels."""
    if channel_axis is None:
        return inside
    return np.expand_dims(inside, channel_axis % (inside.ndim + 1))
