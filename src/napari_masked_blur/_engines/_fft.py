"""Gaussian by FFT, axis by axis: the cost no longer grows with sigma.

Along each smoothed axis the array is extended by the border rule (by the
kernel radius on both sides, or not at all for "wrap", where the transform's
own periodicity *is* the border rule) and multiplied in frequency space by
the transform of the exact truncated kernel.  Everything runs in float64:
in float32 the rounding noise of a transform is relative to the largest value
along the line, which swamps small certainties (an isolated mask pixel next
to a large region at sigma 30 would be off by ~1e-3 of the range).

Rounding noise also lands where the exact answer is 0.  The contract needs an
exact 0 wherever no non-zero input is within reach, so the reach is computed
exactly (a running maximum over the kernel's width of ``array != 0``) and
everything outside it is set to 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import fft as sfft
from scipy import ndimage as ndi

from napari_masked_blur._engines._kernel import gaussian_kernel1d, kernel_radius

# np.pad's names for scipy's border rules.
_PAD_MODES = {
    "constant": "constant",
    "reflect": "symmetric",
    "mirror": "reflect",
    "nearest": "edge",
}
_WORKERS = 2


def smooth_fft(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
) -> list[np.ndarray]:
    """Smooth each array by FFT; see :mod:`._engines` for the contract."""
    radii = kernel_radius(sigma, truncate)
    return [_smooth_array(a, sigma, radii, mode) for a in arrays]


def _smooth_array(
    array: np.ndarray, sigma: tuple[float, ...], radii: tuple[int, ...], mode: str
) -> np.ndarray:
    reach = _reach(array, radii, mode)
    result = array.astype(np.float64)
    for axis, (s, radius) in enumerate(zip(sigma, radii, strict=True)):
        if radius > 0:
            result = _smooth_axis(result, axis, gaussian_kernel1d(s, radius), mode)
    out = result.astype(array.dtype, copy=False)
    out[~reach] = 0
    return out


def _reach(array: np.ndarray, radii: tuple[int, ...], mode: str) -> np.ndarray:
    """Where any non-zero value lies within the kernel's box, by the same border."""
    reach = (array != 0).view(np.uint8)
    for axis, radius in enumerate(radii):
        if radius > 0:
            reach = ndi.maximum_filter1d(
                reach, 2 * radius + 1, axis=axis, mode=mode, cval=0
            )
    return reach.view(bool)


def _smooth_axis(
    array: np.ndarray, axis: int, kernel: np.ndarray, mode: str
) -> np.ndarray:
    """Convolve float64 ``array`` with the centred ``kernel`` along ``axis``."""
    length = array.shape[axis]
    radius = kernel.size // 2
    if mode == "wrap":
        size, lead = length, 0
    elif mode == "constant":
        # Zeros appended by the transform stand in for the border on both sides
        # (the far side wraps around onto them).
        size, lead = sfft.next_fast_len(length + radius, real=True), 0
    else:
        pad = [(0, 0)] * array.ndim
        pad[axis] = (radius, radius)
        array = np.pad(array, pad, mode=_PAD_MODES[mode])
        size, lead = sfft.next_fast_len(length + 2 * radius, real=True), radius
    spectrum = sfft.rfft(array, n=size, axis=axis, workers=_WORKERS)
    shape = [1] * array.ndim
    shape[axis] = -1
    spectrum *= _kernel_spectrum(kernel, size).reshape(shape)
    smoothed = sfft.irfft(spectrum, n=size, axis=axis, workers=_WORKERS)
    inside = [slice(None)] * array.ndim
    inside[axis] = slice(lead, lead + length)
    return smoothed[tuple(inside)]


def _kernel_spectrum(kernel: np.ndarray, size: int) -> np.ndarray:
    """Real transform of ``kernel`` centred on index 0 of a period of ``size``.

    Taps beyond one period wrap around and add up, which is what scipy's
    "wrap" border does with a kernel wider than the image.
    """
    radius = kernel.size // 2
    periodic = np.zeros(size)
    np.add.at(periodic, np.arange(-radius, radius + 1) % size, kernel)
    # The kernel is symmetric, so its transform is real.
    return sfft.rfft(periodic).real
