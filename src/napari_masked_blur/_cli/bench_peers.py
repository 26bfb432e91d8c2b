"""The contenders of ``napari-masked-blur bench``: ours, the seed recipe, the peers.

Each takes ``(image, mask, sigma)`` and returns the masked blur (the
original image outside the mask), or None where it cannot take the case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur._api import masked_gaussian

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
    """The seed recipe on ``cv2.GaussianBlur``, float32, its kernel 8 sigma + 1 wide.

    3D: each plane, then along the first axis as the columns of a 2D view.
    """
    weights = mask.astype(np.float32)
    numerator = _opencv_blur(image * weights, sigma)
    denominator = _opencv_blur(weights, sigma)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mask, numerator / denominator, image)


def _opencv_blur(array: np.ndarray, sigma: tuple[float, ...]) -> np.ndarray:
    import cv2

    def blur(plane: np.ndarray, sigma_y: float, sigma_x: float) -> np.ndarray:
        size = (2 * round(4 * sigma_x) + 1, 2 * round(4 * sigma_y) + 1)
        return cv2.GaussianBlur(
            plane, size, sigma_x, sigmaY=sigma_y, borderType=cv2.BORDER_CONSTANT
        )

    if array.ndim == 2:
        return blur(array, *sigma)
    out = np.stack([blur(plane, *sigma[1:]) for plane in array])
    columns = out.reshape(out.shape[0], -1)
    # A 1-wide kernel across: OpenCV takes any sigma there and leaves rows alone.
    return blur(columns, sigma[0], 1.0).reshape(out.shape)


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
    "OpenCV": ("cv2", opencv_recipe),
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
