"""How a Gaussian is computed: one small interface, several engines.

Every engine smooths a few same-shaped float arrays with one separable Gaussian
and one border rule.  The core module builds the numerator ``image * weights``
and the ``weights`` themselves and hands both here in one call, so an engine can
share work between them (threads, one FFT for both, ...).

The contract every engine keeps
-------------------------------
- ``arrays`` are float32 or float64, C-contiguous, all of one shape and dtype.
  They are scratch: an engine may overwrite them and return them.
- ``sigma`` is one value per axis, in pixels; 0 means no smoothing along that
  axis.  The kernel is the sampled Gaussian ``exp(-x**2 / (2 sigma**2))``
  normalised to sum 1 over ``|x| <= radius``, ``radius = int(truncate * sigma
  + 0.5)``, exactly as :func:`scipy.ndimage.gaussian_filter`.
- ``mode`` is a scipy border rule: ``"constant"`` (zeros beyond the border),
  ``"reflect"``, ``"nearest"``, ``"mirror"`` or ``"wrap"``.
- The result is within 1e-6 (relative to ``max |array|``) of
  ``scipy.ndimage.gaussian_filter`` in float64, and is exactly 0 wherever a
  non-negative input has no non-zero value within the kernel's reach, so that
  "no data here" stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_masked_blur._engines._scipy import smooth_scipy

BORDER_MODES = ("constant", "reflect", "nearest", "mirror", "wrap")
METHODS = ("auto", "scipy")


def kernel_radius(sigma: Sequence[float], truncate: float) -> tuple[int, ...]:
    """Reach of the truncated Gaussian along each axis, in pixels.

    ``radius = int(truncate * sigma + 0.5)``, as in scipy; 0 where sigma is 0.
    """
    return tuple(int(truncate * s + 0.5) if s > 0 else 0 for s in sigma)


def gaussian_smooth(
    arrays: Sequence[np.ndarray],
    sigma: Sequence[float],
    *,
    mode: str,
    truncate: float,
    method: str = "auto",
) -> list[np.ndarray]:
    """Smooth each array with the same separable Gaussian.

    Parameters
    ----------
    arrays : sequence of ndarray
        Same shape and float dtype; scratch space the engine may overwrite.
    sigma : sequence of float
        Standard deviation per axis, in pixels (0 = leave that axis alone).
    mode : str
        Border rule, one of :data:`BORDER_MODES`.
    truncate : float
        Kernel radius in standard deviations.
    method : str
        ``"auto"`` picks the fastest engine that can take the input;
        any other name in :data:`METHODS` forces that engine.

    Returns
    -------
    list of ndarray
        The smoothed arrays, in the order given, same shape and dtype.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if mode not in BORDER_MODES:
        raise ValueError(
            f"unknown border mode {mode!r}; expected one of {BORDER_MODES}"
        )
    return smooth_scipy(
        arrays, tuple(float(s) for s in sigma), mode=mode, truncate=truncate
    )
