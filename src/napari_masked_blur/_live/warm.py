"""Load numba's compiled plane loop before the first plane needs it: no napari.

The displayed plane of a volume or movie is reduced by kernel taps in a loop
compiled by numba (:mod:`napari_masked_blur._blur.plane_taps`), compiled once
per type of image and mask (about 1.3 s) and cached on disk (then about
0.2 s to load, after 0.4 s to import numba).  Run on a tiny image of the same
types, off the main thread, before the user asks for the first plane, that
pause is gone from it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from napari_masked_blur._blur.options import BlurOptions
from napari_masked_blur._blur.region import blur_region


def warm_plane_loop(image_dtype: npt.DTypeLike, mask_dtype: npt.DTypeLike) -> None:
    """Run the plane loop once for these types, full and broadcast masks alike.

    A broadcast mask (fewer axes than the image) gives the loop strided
    arrays, a type of its own, so both are run.
    """
    image = np.zeros((5, 2, 8), image_dtype)
    plane = (slice(2, 3), slice(0, 2), slice(0, 8))
    for mask in (np.ones((5, 2, 8), mask_dtype), np.ones((2, 8), mask_dtype)):
        options = BlurOptions.check(image, mask, 1.0)
        blur_region(image, mask, plane, options)
