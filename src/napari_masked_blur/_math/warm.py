"""numba's plane loop, loaded before a plane needs it, and what to do meanwhile.

The displayed plane of a volume or movie is reduced by kernel taps in a loop
compiled by numba (:mod:`.plane_taps`): compiled once per type of image and
mask (about 1.3 s), cached on disk (then about 0.2 s to load, after 0.4 s to
import numba).  The widget notes the types as soon as it knows the layers
(:func:`begin_warming`) and loads the loop on a thread of its own
(:func:`warm_plane_loop`) once nothing is being computed: when it opens with
"live update" off, else once its first result shows.  While
that runs, :func:`~.region.filter_region` reduces the planes of those types
with numpy's taps instead (:func:`is_warming`), which needs no compiled code:
the first plane of a session then comes without the wait.

Numpy only at import; numba is imported by the warm-up itself.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from napari_masked_blur._math.settings import check_options
from napari_masked_blur._math.taps import blur_tapped

# (image dtype, mask dtype) whose loop is being loaded right now.
_WARMING: set[tuple[str, str]] = set()
_LOCK = threading.Lock()


def warm_key(image_dtype: npt.DTypeLike, mask_dtype: npt.DTypeLike) -> tuple[str, str]:
    """The key of an image and mask type: their dtypes' strings."""
    return np.dtype(image_dtype).str, np.dtype(mask_dtype).str


def begin_warming(image_dtype: npt.DTypeLike, mask_dtype: npt.DTypeLike) -> tuple:
    """Note that the loop for these types is about to load (call before the thread)."""
    key = warm_key(image_dtype, mask_dtype)
    with _LOCK:
        _WARMING.add(key)
    return key


def end_warming(key: tuple[str, str]) -> None:
    """The loop for ``key``'s types is no longer being loaded."""
    with _LOCK:
        _WARMING.discard(key)


def is_warming(image_dtype: npt.DTypeLike, mask_dtype: npt.DTypeLike) -> bool:
    """Whether the loop for these types is loading (then take numpy's path)."""
    return warm_key(image_dtype, mask_dtype) in _WARMING


def warm_plane_loop(key: tuple[str, str]) -> None:
    """Run the loop once for ``key``'s types, in the layouts planes give it.

    A mask window is a plain array (writable, C order), a read-only view
    of one, or a broadcast view (a mask with fewer axes than the image):
    each is a type of its own to numba.
    """
    image_dtype, mask_dtype = (np.dtype(d) for d in key)
    try:
        image = np.zeros((5, 2, 8), image_dtype)
        mask = np.ones((5, 2, 8), mask_dtype)
        masks = (
            mask,
            np.broadcast_to(mask, mask.shape),
            np.broadcast_to(mask[0], mask.shape),
        )
        options = check_options(image, mask, 1.0)
        inner = (slice(2, 3), slice(0, 2), slice(0, 8))
        for layout in masks:
            blur_tapped(image, layout, inner, [0], options)
    finally:
        end_warming(key)
