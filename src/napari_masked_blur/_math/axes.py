"""Which axes are smoothed, and how a mask with fewer axes serves the image.

``axes`` (scipy's name) lists the axes that are smoothed, counted in the
image's axes; the others (but the channel axis) are *frame* axes, time or a
stack of independent images, each frame blurred on its own.  A frame axis is
an axis with sigma 0, so radius 0: nothing below needs to know about frames.

A mask broadcasts against the image's spatial shape by numpy's rules: a
``(y, x)`` mask serves every frame of ``(t, y, x)``, as napari draws it.  It is
broadcast as a view (:func:`numpy.broadcast_to`), never copied per frame.
Numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def axis_names(axes: Sequence[int]) -> str:
    """Axes as a list for a message: "2, 3"."""
    return ", ".join(str(a) for a in axes)


def smoothed_axes(
    axes: int | Sequence[int] | None, ndim: int, channel_axis: int | None
) -> tuple[int, ...] | None:
    """``axes`` counted from 0, ascending; None (every spatial axis) stays None.

    Raises
    ------
    ValueError
        An axis out of range, given twice, the channel axis, or no axis.
    """
    if axes is None:
        return None
    given = np.atleast_1d(np.asarray(axes))
    if given.size == 0:
        raise ValueError(f"axes {axes!r} leaves no axis to smooth")
    if given.dtype.kind not in "iu" or given.ndim != 1:
        raise ValueError(f"axes must be an integer or a list of integers, got {axes!r}")
    for a in given.tolist():
        if not -ndim <= a < ndim:
            raise ValueError(
                f"axes {axes!r}: axis {a} is out of range for {ndim} dimensions"
            )
    counted = [int(a) % ndim for a in given.tolist()]
    if len(set(counted)) != len(counted):
        raise ValueError(f"axes {axes!r} names an axis more than once")
    if channel_axis is not None and channel_axis in counted:
        raise ValueError(
            f"axes {axes!r} includes the channel axis {channel_axis}, whose "
            "channels are never smoothed together"
        )
    return tuple(sorted(counted))


def spatial_positions(
    axes: Sequence[int] | None, channel_axis: int | None
) -> tuple[int, ...] | None:
    """Image axes (channel axis excluded) renumbered among the spatial axes."""
    if axes is None:
        return None
    if channel_axis is None:
        return tuple(axes)
    return tuple(a - (a > channel_axis) for a in axes)


def mask_broadcasts(mask_shape: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Whether ``mask_shape`` broadcasts to ``shape`` (numpy's rules, one way)."""
    if len(mask_shape) > len(shape):
        return False
    tail = shape[len(shape) - len(mask_shape) :]
    return all(m in (1, n) for m, n in zip(mask_shape, tail, strict=True))


def broadcast_mask(mask: Any, shape: Sequence[int]) -> Any:
    """``mask`` as an array of ``shape``: itself, or a read-only broadcast view.

    Works for numpy and (through ``__array_function__``) dask arrays.
    """
    if tuple(mask.shape) == tuple(shape):
        return mask
    return np.broadcast_to(mask, tuple(shape))


def mask_window(mask: Any, window: Sequence[slice]) -> np.ndarray:
    """``broadcast_mask(mask, shape)[window]``, reading only the window's pixels.

    ``window`` is a box of explicit slices over the spatial shape; ``mask``
    anything that slices (numpy, zarr, memory maps, dask), with as many axes
    as the window or fewer.  Axes the mask lacks, or has with length 1, are
    read once and broadcast.
    """
    lead = len(window) - len(mask.shape)
    index = tuple(
        slice(None) if n == 1 else s
        for s, n in zip(window[lead:], mask.shape, strict=True)
    )
    part = mask[index]
    compute = getattr(part, "compute", None)
    part = np.asarray(compute() if compute is not None else part)
    shape = tuple(s.stop - s.start for s in window)
    # A window of a full mask stays a plain array (no read-only view).
    return part if part.shape == shape else np.broadcast_to(part, shape)
