"""Per-label smoothing: each label blurred with its own pixels only.

For label ``k`` the weights are ``w_k = (mask == k)``, and the output at the
pixels of ``k`` is ``G*(x w_k) / G*w_k``: a touching label contributes
nothing, so no value bleeds across a label boundary.  Each label is computed
in its bounding box grown by the kernel radius (see
:func:`napari_masked_blur._core.region_window`), which is exact and keeps the
cost proportional to the labels' size, not to their number times the image.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur._core import (
    _per_channel,
    apply_outside,
    inside_labels,
    output_dtype,
    region_window,
    spatial_shape,
    with_channel,
)
from napari_masked_blur._engines import kernel_radius


def per_label_blur(
    image: np.ndarray,
    mask: np.ndarray,
    sigma: tuple[float, ...],
    *,
    outside: str,
    labels: int | Sequence[int] | None,
    channel_axis: int | None,
    mode: str,
    truncate: float,
    method: str,
) -> np.ndarray:
    """:func:`masked_gaussian` with ``per_label=True``; arguments checked there.

    Pixels outside every (selected) label follow ``outside``; with "fill" they
    get the normalized result over all selected labels together.
    """
    if mask.dtype.kind not in "biu":
        raise ValueError(
            f"per_label needs an integer or bool label mask, got dtype {mask.dtype}"
        )
    inside = inside_labels(mask, labels)
    if not inside.any():
        return apply_outside(image, None, inside, outside, channel_axis)
    options: dict[str, Any] = {"mode": mode, "truncate": truncate, "method": method}
    if outside == "fill":
        out, _ = _per_channel(image, inside, sigma, channel_axis, **options)
    else:
        out = np.full(image.shape, np.nan, dtype=output_dtype(image.dtype))
    space = spatial_shape(image.shape, channel_axis)
    radius = kernel_radius(sigma, truncate)

    def blur_one_label(own_id: Any, box: tuple[slice, ...]) -> None:
        window, inner = region_window(box, space, radius, mode)
        own = own_id(window)
        quotient, _ = _per_channel(
            image[with_channel(window, channel_axis)],
            own,
            sigma,
            channel_axis,
            **options,
        )
        inner_c = with_channel(inner, channel_axis)
        target = out[with_channel(window, channel_axis)][inner_c]
        where = _broadcast_channel(own[inner], target.shape, channel_axis)
        # Each label writes only its own pixels, so threads never collide.
        np.copyto(target, quotient[inner_c], where=where)

    # Labels are many small, independent jobs: spread them over both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(blur_one_label, own_id, box)
            for own_id, box in label_boxes(np.where(inside, mask, 0))
        ]
        for job in jobs:
            job.result()
    return apply_outside(image, out, inside, outside, channel_axis)


def label_boxes(
    label_image: np.ndarray,
) -> Iterator[tuple[Any, tuple[slice, ...]]]:
    """Each nonzero label as ``(own, box)``.

    ``own(window)`` gives the boolean pixels of that label inside ``window``;
    ``box`` is the label's bounding box.  Ids that are negative or far larger
    than the image are renumbered first, since ``find_objects`` makes one slot
    per id up to the largest.
    """
    compact = _compact_ids(label_image)
    for index, box in enumerate(ndi.find_objects(compact), start=1):
        if box is not None:
            yield (lambda window, k=index: compact[window] == k), box


def _compact_ids(label_image: np.ndarray) -> np.ndarray:
    if label_image.dtype == bool:
        return label_image.view(np.uint8)
    low, high = int(label_image.min()), int(label_image.max())
    if low >= 0 and high <= 2 * label_image.size + 1024 and high < 2**31:
        return label_image.astype(np.int32, copy=False)
    _, inverse = np.unique(label_image, return_inverse=True)
    compact = inverse.reshape(label_image.shape).astype(np.int32) + 1
    compact[label_image == 0] = 0
    return compact


def _broadcast_channel(
    own: np.ndarray, shape: tuple[int, ...], channel_axis: int | None
) -> np.ndarray:
    if channel_axis is None:
        return own
    return np.broadcast_to(np.expand_dims(own, channel_axis % len(shape)), shape)
