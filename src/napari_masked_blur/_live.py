"""Which region a paint or a plane change needs, and computing only that.

The output at a pixel depends on the image and mask within the kernel radius
``r`` of it (and, at the image border, on the border rule).  So when a paint
changes the mask inside a box ``B``:

- only the output over ``B`` grown by ``r`` can change, and
- that output is determined exactly by the input over ``B`` grown by ``2 r``
  (see :func:`napari_masked_blur._core.region_window`).

For a volume shown plane by plane the same holds along the hidden axes: the
displayed plane needs only the planes within ``r`` of it.  Because the
Gaussian is separable, the hidden axes can be reduced to the wanted planes
first, by a small matrix of kernel taps (one matrix product, which BLAS does
at memory speed), and the displayed axes smoothed afterwards on those planes
alone.

Everything here is numpy only: the widget calls it from a worker thread and
writes the results into its layers on the main thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from napari_masked_blur._core import (
    _ENGINE_MODE,
    apply_outside,
    check_image,
    check_mask_shape,
    check_options,
    inside_labels,
    mask_to_weights,
    masked_gaussian,
    output_dtype,
    region_window,
    sigma_in_pixels,
    spatial_shape,
)
from napari_masked_blur._engines import gaussian_smooth, kernel_radius

Box = tuple[slice, ...]

# Pixels of input per block when reducing the tapped axes: small enough to
# stay in cache between making the products and reducing them (1 MB per
# float32 array).  A 1024 x 1024 plane at sigma 3 took 311 ms with blocks of
# 2**20 pixels, 68 ms with 2**18 (same run, busy 2-core machine).
_BLOCK_PIXELS = 2**18

# Default working set of one whole-volume chunk, in bytes.
CHUNK_BUDGET = 512 * 2**20

# Bytes of scratch per pixel of an input window: the image and weights as
# float32, the numerator, the quotient and a boolean mask (see masked_gaussian).
_SCRATCH_BYTES_PER_PIXEL = 20


# --------------------------------------------------------------------- boxes


def box_union(a: Box | None, b: Box | None) -> Box | None:
    """Smallest box holding both; None stands for "nothing"."""
    if a is None:
        return b
    if b is None:
        return a
    return tuple(
        slice(min(x.start, y.start), max(x.stop, y.stop))
        for x, y in zip(a, b, strict=True)
    )


def grow_box(
    box: Box, radius: Sequence[int], shape: Sequence[int], *, wrap: bool = False
) -> Box:
    """``box`` grown by ``radius`` per axis, clipped to ``shape``.

    With ``wrap`` the image is periodic: an axis where the grown box would
    cross the border is taken whole, since the far side is within reach.
    """
    grown = []
    for s, r, n in zip(box, radius, shape, strict=True):
        lo, hi = s.start - r, s.stop + r
        if wrap and r > 0 and (lo < 0 or hi > n):
            lo, hi = 0, n
        grown.append(slice(max(lo, 0), min(hi, n)))
    return tuple(grown)


def _clip(box: Box, shape: Sequence[int]) -> Box | None:
    clipped = tuple(
        slice(max(s.start, 0), min(s.stop, n)) for s, n in zip(box, shape, strict=True)
    )
    return None if any(s.start >= s.stop for s in clipped) else clipped


def atom_box(atom: Any, shape: Sequence[int]) -> Box | None:
    """Bounding box of one paint-history atom, clipped to ``shape``.

    napari >= 0.8 records brush, fill and polygon edits as objects with a
    ``slice_key`` (the edit's bounding box as slices); ``data_setitem`` and
    older napari record ``(indices, old_values, new_values)`` with one index
    array per axis.  Both are read by duck typing.
    """
    key = getattr(atom, "slice_key", None)
    if key is not None:
        box = tuple(
            slice(*s.indices(n)[:2]) if isinstance(s, slice) else slice(s, s + 1)
            for s, n in zip(key, shape, strict=True)
        )
        return _clip(box, shape)
    indices = atom[0]
    if len(indices) == 0 or np.size(indices[0]) == 0:
        return None
    box = tuple(slice(int(np.min(i)), int(np.max(i)) + 1) for i in indices)
    return _clip(box, shape)


def paint_box(atoms: Iterable[Any], shape: Sequence[int]) -> Box | None:
    """Box holding every edit of a paint event (``events.paint``'s ``value``)."""
    box = None
    for atom in atoms:
        box = box_union(box, atom_box(atom, shape))
    return box


def update_box(
    offset: Sequence[int],
    block_shape: Sequence[int],
    displayed: Sequence[int],
    position: Sequence[int],
) -> Box:
    """Data box of a ``labels_update`` block sent while the user drags.

    Parameters
    ----------
    offset, block_shape : sequence of int
        Start and size of the updated block along the displayed axes, in the
        order napari displays them.
    displayed : sequence of int
        The data axes on display, in display order.
    position : sequence of int
        Current data index on every axis; the hidden axes sit at the
        displayed plane.
    """
    box = [slice(int(p), int(p) + 1) for p in position]
    for axis, start, size in zip(displayed, offset, block_shape, strict=True):
        box[axis] = slice(int(start), int(start) + int(size))
    return tuple(box)


def changed_box(before: np.ndarray, after: np.ndarray) -> Box | None:
    """Bounding box of the pixels where two same-shaped arrays differ.

    Used for undo and redo, which napari announces only by a refresh.
    """
    differ = before != after
    if not differ.any():
        return None
    box = []
    for axis in range(differ.ndim):
        others = tuple(a for a in range(differ.ndim) if a != axis)
        hit = np.flatnonzero(differ.any(axis=others))
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(box)


def plane_box(
    shape: Sequence[int], displayed: Sequence[int], position: Sequence[int]
) -> Box:
    """The displayed plane: whole along ``displayed``, one index elsewhere."""
    return tuple(
        slice(0, n) if axis in displayed else slice(int(p), int(p) + 1)
        for axis, (n, p) in enumerate(zip(shape, position, strict=True))
    )


# ---------------------------------------------------------- regional output


def blur_region(
    image: np.ndarray,
    mask: np.ndarray,
    region: Box,
    sigma: float | Sequence[float],
    *,
    outside: str = "keep",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: float | Sequence[float] | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
) -> np.ndarray:
    """``masked_gaussian(image, mask, sigma, ...)[region]``, reading only its reach.

    Arguments are those of :func:`napari_masked_blur.masked_gaussian`;
    ``region`` is a box over the spatial axes (no channel axis).  Only the
    input window ``region`` grown by the kernel radius is read, so the cost
    follows the region, not the image.  ``image`` and ``mask`` may be any
    arrays that numpy-index with slices (memory maps, zarr arrays, ...).

    Returns
    -------
    ndarray
        The output over ``region`` (channel axis included), equal to the
        full computation up to float rounding.
    """
    space = spatial_shape(tuple(image.shape), channel_axis)
    check_mask_shape(tuple(image.shape), tuple(mask.shape), channel_axis)
    check_options(mode, truncate, outside)
    region = _checked_region(region, space)
    sigma_px = sigma_in_pixels(sigma, len(space), spacing)
    radius = kernel_radius(sigma_px, truncate)
    window, inner = region_window(region, space, radius, mode)
    image_w = np.asarray(image[_with_channel(window, channel_axis)])
    mask_w = np.asarray(mask[window])
    check_image(image_w)
    tapped = _tapped_axes(inner, mask_w.shape, radius)
    if per_label or channel_axis is not None or not tapped:
        out = masked_gaussian(
            image_w,
            mask_w,
            sigma_px,
            outside=outside,
            labels=labels,
            per_label=per_label,
            mode=mode,
            truncate=truncate,
            channel_axis=channel_axis,
            method=method,
        )
        return out[_with_channel(inner, channel_axis)]
    return _blur_tapped(
        image_w, mask_w, inner, sigma_px, tapped,
        outside=outside, labels=labels, mode=mode, truncate=truncate, method=method,
    )  # fmt: skip


def update_patch(
    output: np.ndarray,
    image: np.ndarray,
    mask: np.ndarray,
    changed: Box,
    sigma: float | Sequence[float],
    **options: Any,
) -> Box:
    """Bring ``output`` up to date after the mask changed inside ``changed``.

    Recomputes the output over ``changed`` grown by the kernel radius and
    writes it into ``output`` (the full masked blur computed before the
    change).  Returns the box written.
    """
    box, values = patch(image, mask, changed, sigma, **options)
    output[_with_channel(box, options.get("channel_axis"))] = values
    return box


def patch(
    image: np.ndarray,
    mask: np.ndarray,
    changed: Box,
    sigma: float | Sequence[float],
    **options: Any,
) -> tuple[Box, np.ndarray]:
    """The output box a mask change in ``changed`` touches, and its new values.

    The box is ``changed`` grown by the kernel radius; the values are
    :func:`blur_region` over it.  Split from :func:`update_patch` so a worker
    can compute and the main thread write.
    """
    space = spatial_shape(tuple(image.shape), options.get("channel_axis"))
    sigma_px = sigma_in_pixels(sigma, len(space), options.pop("spacing", None))
    radius = kernel_radius(sigma_px, options.get("truncate", 4.0))
    wrap = options.get("mode") == "wrap"
    box = grow_box(_checked_region(changed, space), radius, space, wrap=wrap)
    return box, blur_region(image, mask, box, sigma_px, **options)


def _checked_region(region: Box, shape: Sequence[int]) -> Box:
    if len(region) != len(shape):
        raise ValueError(
            f"region {region} has {len(region)} axes, the mask {len(shape)}"
        )
    box = tuple(slice(*s.indices(n)[:2]) for s, n in zip(region, shape, strict=True))
    if any(s.start >= s.stop for s in box):
        raise ValueError(f"region {region} is empty in shape {tuple(shape)}")
    return box


def _with_channel(box: Box, channel_axis: int | None) -> Box:
    if channel_axis is None:
        return box
    axis = channel_axis % (len(box) + 1)
    return (*box[:axis], slice(None), *box[axis:])


def _tapped_axes(
    inner: Box, window_shape: Sequence[int], radius: Sequence[int]
) -> list[int]:
    """Axes where the region is thin enough to reduce by a tap matrix.

    Reducing a line of ``n`` to ``m`` outputs costs ``m n`` multiply-adds,
    filtering it whole about ``n (r + 1)``: taps win for ``m <= r + 1``.
    """
    return [
        axis
        for axis, (s, n, r) in enumerate(zip(inner, window_shape, radius, strict=True))
        if r > 0 and s.stop - s.start <= r + 1 and s.stop - s.start < n
    ]


def _blur_tapped(
    image: np.ndarray,
    mask: np.ndarray,
    inner: Box,
    sigma: tuple[float, ...],
    tapped: list[int],
    *,
    outside: str,
    labels: Any,
    mode: str,
    truncate: float,
    method: str,
) -> np.ndarray:
    """The masked blur of a window, over ``inner`` only.

    Along the ``tapped`` axes the Gaussian is evaluated at the rows of
    ``inner`` alone, as ``taps @ array``; the remaining axes are then
    smoothed by the engine on what is left.  Separability makes this equal
    to smoothing everything and cropping.
    """
    dtype = output_dtype(image.dtype)
    taps = {
        axis: tap_matrix(
            image.shape[axis], inner[axis], sigma[axis], truncate, mode
        ).astype(dtype)
        for axis in tapped
    }
    numerator, weights = _tapped_products(image, mask, labels, taps, dtype)
    rest = [0.0 if axis in taps else s for axis, s in enumerate(sigma)]
    numerator, certainty = gaussian_smooth(
        [np.ascontiguousarray(numerator), np.ascontiguousarray(weights)],
        rest,
        mode=_ENGINE_MODE.get(mode, mode),
        truncate=truncate,
        method=method,
    )
    crop = tuple(slice(None) if a in tapped else s for a, s in enumerate(inner))
    numerator, certainty = numerator[crop], certainty[crop]
    reached = certainty > 0
    quotient = np.full(numerator.shape, np.nan, dtype=dtype)
    np.divide(numerator, certainty, out=quotient, where=reached)
    inside = (
        inside_labels(mask[inner], labels)
        if mask.dtype.kind != "f"
        else mask[inner] > 0
    )
    return apply_outside(image[inner], quotient, inside, outside, None)


def _tapped_products(
    image: np.ndarray,
    mask: np.ndarray,
    labels: Any,
    taps: dict[int, np.ndarray],
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    """``taps`` applied to ``image * w`` and to ``w`` along their axes.

    Done in blocks along an axis without taps, on two threads (numpy and
    BLAS release the GIL): each block's products stay in cache between
    being made and being reduced, instead of going out to memory and back.
    """
    shape = [taps[a].shape[0] if a in taps else n for a, n in enumerate(image.shape)]
    numerator, weights = np.empty(shape, dtype), np.empty(shape, dtype)
    free = [a for a in range(image.ndim) if a not in taps]
    split = free[0] if free else 0
    per_row = image.size // image.shape[split]
    rows = max(1, _BLOCK_PIXELS // per_row) if free else image.shape[split]

    def reduce_block(start: int) -> None:
        key = tuple(
            slice(start, start + rows) if a == split else slice(None)
            for a in range(image.ndim)
        )
        n, w = _products(image[key], mask[key], labels, dtype)
        for axis, matrix in taps.items():
            n, w = _apply_taps(matrix, n, axis), _apply_taps(matrix, w, axis)
        numerator[key], weights[key] = n, w

    starts = range(0, image.shape[split], rows)
    if len(starts) == 1:
        reduce_block(0)
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(reduce_block, starts))
    return numerator, weights


def _products(
    image: np.ndarray, mask: np.ndarray, labels: Any, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """``(image * w, w)`` in ``dtype``; non-finite image pixels get ``w = 0``."""
    weights = mask_to_weights(mask, labels).astype(dtype, copy=False)
    # The product is made in the output type straight from the image's own
    # type: a separate astype would cost a second pass over memory.
    numerator = np.multiply(image, weights, dtype=dtype)
    if image.dtype.kind == "f":
        missing = ~np.isfinite(image)
        if missing.any():
            weights[missing] = 0
            numerator[missing] = 0
    return numerator, weights


def _apply_taps(taps: np.ndarray, array: np.ndarray, axis: int) -> np.ndarray:
    """``taps`` (m, n) applied along ``axis`` (length n) of ``array``.

    ``einsum`` rather than ``tensordot``: it runs in numpy's own loop, while
    BLAS would start its thread pool on top of ours and, on a busy machine,
    spin (2-3x slower, measured).
    """
    axes = list(range(array.ndim))
    out_axes = [array.ndim if a == axis else a for a in axes]
    return np.einsum(taps, [array.ndim, axis], array, axes, out_axes)


def tap_matrix(
    n: int, rows: slice, sigma: float, truncate: float, mode: str
) -> np.ndarray:
    """The 1-D Gaussian filter of a length-``n`` line, at ``rows`` only.

    Row ``i`` of the result holds the weight of every input sample in output
    sample ``rows.start + i``: the kernel of
    :func:`scipy.ndimage.gaussian_filter1d`, ``exp(-x**2 / (2 sigma**2))`` normalised
    over ``|x| <= radius``, with taps beyond the line folded back by the
    border ``mode`` (``"missing"`` drops them).
    """
    radius = kernel_radius([sigma], truncate)[0]
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (x / sigma) ** 2) if sigma > 0 else (x == 0) * 1.0
    kernel /= kernel.sum()
    out_rows = np.arange(rows.start, rows.stop)
    taps = np.zeros((out_rows.size, n))
    for k, weight in zip(x, kernel, strict=True):
        source = _fold(out_rows + k, n, mode)
        keep = source >= 0
        np.add.at(taps, (np.flatnonzero(keep), source[keep]), weight)
    return taps


def _fold(index: np.ndarray, n: int, mode: str) -> np.ndarray:
    """Map indices beyond ``[0, n)`` back inside by the border rule; -1 = none."""
    if mode == "missing":
        return np.where((index >= 0) & (index < n), index, -1)
    if mode == "nearest":
        return np.clip(index, 0, n - 1)
    if mode == "wrap":
        return index % n
    if mode == "reflect":  # d c b a | a b c d | d c b a
        folded = index % (2 * n)
        return np.where(folded < n, folded, 2 * n - 1 - folded)
    if n == 1:  # mirror of a single sample is itself
        return np.zeros_like(index)
    folded = index % (2 * n - 2)  # mirror: d c b | a b c d | c b a
    return np.where(folded < n, folded, 2 * n - 2 - folded)


# -------------------------------------------------------------- whole volume


def chunk_boxes(
    shape: Sequence[int],
    axes: Sequence[int],
    steps: Sequence[int],
    start: Sequence[int],
) -> list[Box]:
    """Boxes tiling ``shape`` along ``axes``, nearest to ``start`` first.

    Each box spans the other axes whole and ``steps[i]`` pixels along
    ``axes[i]``.  Ordered by distance (in chunks) from the chunk holding
    index ``start`` (one per axis in ``axes``), so the planes around the one
    on display are finished first.
    """
    ranges = [range(0, shape[a], s) for a, s in zip(axes, steps, strict=True)]
    home = [p // s for p, s in zip(start, steps, strict=True)]

    def distance(corner: tuple[int, ...]) -> int:
        return sum(abs(c // s - h) for c, s, h in zip(corner, steps, home, strict=True))

    boxes = []
    for corner in sorted(itertools.product(*ranges), key=distance):
        box = [slice(0, n) for n in shape]
        for axis, c, s in zip(axes, corner, steps, strict=True):
            box[axis] = slice(c, min(c + s, shape[axis]))
        boxes.append(tuple(box))
    return boxes


def chunk_steps(
    shape: Sequence[int],
    axes: Sequence[int],
    radius: Sequence[int],
    budget: int = CHUNK_BUDGET,
) -> list[int]:
    """Chunk size along ``axes``: small, and within ``budget`` bytes.

    Every axis of ``axes`` but the last gets 1 (one plane at a time).  The
    last gets ``r + 1`` planes, the most for which reducing that axis by a
    tap matrix pays (see :func:`blur_region`), fewer if their scratch would
    not fit in ``budget``, at least 1.  Small chunks also keep a chunk
    short, so the widget can turn to a new plane soon.
    """
    extents = [1 + 2 * radius[a] if a in axes else n for a, n in enumerate(shape)]
    extents[axes[-1]] = 1
    plane_bytes = _SCRATCH_BYTES_PER_PIXEL * int(np.prod(extents))
    planes = min(radius[axes[-1]] + 1, budget // plane_bytes)
    return [1] * (len(axes) - 1) + [int(max(planes, 1))]


def blur_chunks(
    image: np.ndarray,
    mask: np.ndarray,
    boxes: Iterable[Box],
    sigma: float | Sequence[float],
    **options: Any,
) -> Iterator[tuple[Box, np.ndarray]]:
    """Yield ``(box, output over box)`` for each box, one at a time.

    A generator: the caller may stop between chunks (a napari
    ``GeneratorWorker`` does at each ``yield`` when quit), and at most one
    chunk's window and result are alive at once, so memory stays the output
    plus that bounded working set.
    """
    for box in boxes:
        yield box, blur_region(image, mask, box, sigma, **options)
