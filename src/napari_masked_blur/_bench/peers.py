"""The contenders of ``napari-masked-blur bench``: ours, the seed recipe, the peers.

Each takes ``(image, mask, sigma)`` and returns the masked blur (inside the
mask; what each leaves outside differs), or None where it cannot take the
case.  ``floor`` is not a contender but the reference two blurs pay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur._api.gaussian import masked_gaussian

Contender = Callable[[np.ndarray, np.ndarray, tuple[float, ...]], np.ndarray | None]


def disk_case(shape: Sequence[int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint16 noise in [0, 1000), and a centred disk (ball) mask: 1/3 of each axis."""
    rng = np.random.default_rng(seed)
    image = (rng.random(shape, dtype=np.float32) * 1000).astype(np.uint16)
    grids = np.indices(shape, sparse=True)
    r2 = sum(((g - s / 2) / (s / 3)) ** 2 for g, s in zip(grids, shape, strict=True))
    return image, r2 < 1


def ours(image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]) -> np.ndarray:
    return masked_gaussian(image, mask, sigma)


def seed_recipe(
    image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]
) -> np.ndarray:
    """The four lines everyone writes first; float64, zeros beyond the border."""
    weights = mask.astype(np.float64)
    numerator = ndi.gaussian_filter(image * weights, sigma, mode="constant")
    denominator = ndi.gaussian_filter(weights, sigma, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mask, numerator / denominator, image)


def opencv_recipe(
    image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]
) -> np.ndarray:
    """The fastest route by hand: ``cv2.GaussianBlur`` in float32, in place.

    As a skilled user writes it: one conversion, the weighing in place, two
    blurs with a kernel 8 sigma + 1 wide, one division in place.  3D: each
    plane, then along the first axis as the columns of a 2D view.
    """
    numerator = image.astype(np.float32)
    weights = mask.astype(np.float32)
    numerator *= weights
    numerator = _opencv_blur(numerator, sigma)
    weights = _opencv_blur(weights, sigma)
    np.divide(numerator, weights, out=numerator, where=weights > 0)
    return numerator


class OpenCVFloor:
    """Two bare ``cv2.GaussianBlur`` calls on float32 arrays made beforehand (2D).

    Not a recipe: the memory-bound reference any method that filters two
    arrays pays.  Its arrays are made outside the timing, on the first call
    for an image (and returned then, so that call is not timed alike:
    :func:`~napari_masked_blur._bench.measure.run_case` warms up).
    """

    def __init__(self) -> None:
        self._ready: tuple[int, np.ndarray, np.ndarray] | None = None

    def __call__(
        self, image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]
    ) -> np.ndarray | None:
        if image.ndim != 2:
            return None
        if self._ready is None or self._ready[0] != id(image):
            ready = image.astype(np.float32), mask.astype(np.float32)
            self._ready = (id(image), *ready)
        _, numerator, weights = self._ready
        _opencv_blur(numerator, sigma)
        return _opencv_blur(weights, sigma)


def _opencv_blur(array: np.ndarray, sigma: tuple[float, ...]) -> np.ndarray:
    """``cv2.GaussianBlur`` of a 2D array (a new one), or of a volume in place."""
    import cv2

    def blur(
        plane: np.ndarray, sigma_y: float, sigma_x: float, dst: np.ndarray | None
    ) -> np.ndarray:
        # A sigma of 0 is a kernel 1 pixel wide: that axis is left alone.
        size = (2 * round(4 * sigma_x) + 1, 2 * round(4 * sigma_y) + 1)
        return cv2.GaussianBlur(
            plane, size, sigma_x, dst=dst, sigmaY=sigma_y,
            borderType=cv2.BORDER_CONSTANT,
        )  # fmt: skip

    if array.ndim == 2:
        return blur(array, *sigma, None)
    for plane in array:
        blur(plane, *sigma[1:], plane)
    columns = array.reshape(array.shape[0], -1)
    blur(columns, sigma[0], 0.0, columns)
    return array


def diplib_peer(
    image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]
) -> np.ndarray:
    """DIPlib's NormalizedConvolution; its default border adds zeros (missing)."""
    import diplib as dip

    # DIPlib orders sigmas x first, the reverse of numpy's axes.
    out = dip.NormalizedConvolution(
        image.astype(np.float32), mask.astype(np.float32), list(sigma[::-1])
    )
    return np.where(mask, np.asarray(out), image)


def astropy_peer(
    image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]
) -> np.ndarray | None:
    """astropy's convolve_fft, masked pixels as NaN, zeros beyond the border."""
    from astropy.convolution import Gaussian2DKernel, convolve_fft

    if image.ndim != 2:
        return None
    data = np.where(mask, image.astype(np.float64), np.nan)
    kernel = Gaussian2DKernel(x_stddev=sigma[1], y_stddev=sigma[0])
    out = convolve_fft(
        data, kernel, boundary="fill", nan_treatment="interpolate", allow_huge=True
    )
    return np.where(mask, out, image)


PEERS = {
    "OpenCV in place": ("cv2", opencv_recipe),
    "DIPlib": ("diplib", diplib_peer),
    "astropy": ("astropy", astropy_peer),
}


def installed_peers() -> dict[str, Contender]:
    """The peers whose package imports here."""
    found = {}
    for name, (module, contender) in PEERS.items():
        try:
            __import__(module)
        except ImportError:
            continue
        found[name] = contender
    return found
