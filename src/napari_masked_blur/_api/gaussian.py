"""The masked Gaussian and the normalized convolution, as public functions.

Each builds its :class:`~napari_masked_blur.BlurSettings`, checks them once
against the arrays and hands the checked options to :mod:`.route`: in-memory
input goes to :mod:`napari_masked_blur._math`, dask input to
:mod:`napari_masked_blur._lazy` (imported only then: dask is optional).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from napari_masked_blur._api.route import (
    call_settings,
    checked,
    is_dask,
    run,
    run_with_certainty,
)
from napari_masked_blur._math.options import SigmaLike


def normalized_convolution(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    return_certainty: bool = False,
    axes: int | Sequence[int] | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Normalized convolution ``G*(image·weights) / G*weights``.

    Parameters
    ----------
    image : array_like
        Any real dtype and number of dimensions.  NaN and inf pixels are
        missing data: their weight is 0.
    weights : array_like
        Non-negative, finite certainty per pixel, shaped like ``image``
        without its channel axis, or broadcasting to that shape by numpy's
        rules (a ``(y, x)`` map for every frame of ``(t, y, x)``).  0/1 for a
        plain mask.
    sigma : float or sequence of float
        Gaussian standard deviation: one value, one per smoothed axis, or
        one per spatial axis (0 on those not in ``axes``); in pixels (in the
        units of ``spacing`` when given).  0 = no smoothing along that axis.
    mode : {"missing", "reflect", "nearest", "mirror", "wrap"}
        What lies beyond the image border.  "missing": nothing (weight 0), so
        a constant image stays constant up to the edge.  The others extend
        image and weights as :func:`scipy.ndimage.gaussian_filter` does.
    truncate : float
        Kernel radius in sigmas: ``radius = int(truncate * sigma + 0.5)``.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis; makes ``sigma`` physical.
    channel_axis : int, optional
        Axis of ``image`` holding channels, each smoothed alone.
    method : str
        Engine for the Gaussian; "auto" picks the fastest that fits.
    return_certainty : bool
        Also return ``G*weights``, shaped like ``image``.
    axes : int or sequence of int, optional
        The axes to smooth, as in :func:`scipy.ndimage.gaussian_filter`;
        the others (time, say) are independent frames, each computed on its
        own.  Default: every axis but ``channel_axis``.

    Returns
    -------
    out : ndarray
        float32 (float64 for float64 and 32/64-bit integer images).  NaN where
        no weight lies within the kernel's reach.  Lazy dask arrays when
        ``image`` or ``weights`` is one.
    certainty : ndarray
        Only with ``return_certainty``: ``G*weights``, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[0.0, 10.0, 20.0, 1000.0]])
    >>> weights = np.array([[1.0, 1.0, 1.0, 0.0]])
    >>> out = normalized_convolution(image, weights, 1.0)
    >>> bool(out[0, 2] < 20)  # smoothed among its neighbours, not with 1000
    True
    """
    settings = call_settings(locals(), "gaussian")
    image, weights = _arrays(image, weights)
    if weights.dtype.kind not in "biuf":
        raise ValueError(f"weights must be real-valued, got dtype {weights.dtype}")
    options = settings.check(image, weights)
    return run_with_certainty(image, weights, options, return_certainty)


def masked_gaussian(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    outside: str | None = None,
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    axes: int | Sequence[int] | None = None,
    order: int | Sequence[int] = 0,
) -> np.ndarray:
    """Gaussian blur of ``image`` inside ``mask``, by normalized convolution.

    Inside the mask, ``out = G*(image·w) / G*w`` with ``w`` the mask as
    weights: pixels outside the mask never leak in and the mask edge is not
    dragged toward zero.

    Parameters
    ----------
    image : array_like
        Any real dtype, any number of dimensions.  NaN/inf are missing data.
    mask : array_like
        Same shape as ``image`` (without its channel axis), or broadcasting
        to it by numpy's rules: a ``(y, x)`` mask serves every frame of a
        ``(t, y, x)`` or ``(t, z, y, x)`` image, a ``(z, y, x)`` mask every
        time point of ``(t, z, y, x)``; it is never copied per frame.  bool
        or integer:
        inside = nonzero (or one of ``labels``); label ids are not weights.
        Floating: a certainty map, finite and >= 0; inside = weight > 0.
    sigma : float or sequence of float
        Standard deviation: one value, one per smoothed axis (see ``axes``),
        or one per spatial axis with 0 on the axes not smoothed; pixels, or
        the units of ``spacing``.  0 on an axis = no smoothing along it.
    outside : {"keep", "zero", "nan", "fill"}, optional
        Pixels outside the mask: the original value, 0, NaN, or "fill": the
        normalized result wherever weight is in reach (fills holes,
        extrapolates), NaN where nothing is.  Default "keep"; "zero" for a
        derivative (``order``), which refuses "keep".
    labels : int or sequence of int, optional
        Only these label ids are inside.
    per_label : bool
        Smooth each label with its own pixels only: no value crosses from one
        label into a touching one.  Work is done in each label's bounding box
        grown by the kernel radius.
    mode : {"missing", "reflect", "nearest", "mirror", "wrap"}
        The image border; see :func:`normalized_convolution`.
    truncate : float
        Kernel radius in sigmas, as in scipy.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis, making ``sigma`` physical.
    channel_axis : int, optional
        Axis of ``image`` holding channels.
    method : str
        Gaussian engine; "auto" picks the fastest that fits.
    axes : int or sequence of int, optional
        The axes to smooth, counted in ``image``'s axes as in
        :func:`scipy.ndimage.gaussian_filter`; every other axis (but
        ``channel_axis``) holds independent frames: ``axes=(-2, -1)`` on a
        ``(t, y, x)`` movie blurs each frame alone, never across time.
        Default: every axis but ``channel_axis``.
    order : int or sequence of int
        Derivative order, as in :func:`scipy.ndimage.gaussian_filter`: one
        for every smoothed axis or one per smoothed axis, 0 to 2.  0: the
        blur ``B = G*(image·w) / G*w``; otherwise that derivative of ``B``,
        exactly (``∂_iB = (N_i - B·D_i) / D`` with ``N_o = G_o*(image·w)``,
        ``D_o = G_o*w``, and so on by Leibniz' rule; see
        :mod:`napari_masked_blur._math.derivatives`), per pixel, or per
        unit of ``spacing`` when given.  Frame axes are never differentiated.

    Returns
    -------
    ndarray
        Same shape as ``image``; float32, or float64 for float64 and 32/64-bit
        integer images.  The inputs are not modified.  When ``image`` or
        ``mask`` is a dask array: a lazy dask array, chunked like the image,
        equal to the in-memory result (see :mod:`napari_masked_blur._lazy`).

    Notes
    -----
    Inside pixels whose kernel reaches no weight at all (e.g. a NaN pixel
    with ``sigma=0``) are NaN.  An all-zero mask leaves every pixel outside,
    so the result is the ``outside`` policy applied everywhere (the image
    itself, as float, for "keep").

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((5, 5), 100, dtype=np.uint16)
    >>> image[:, 3:] = 60000                     # bright, but outside the mask
    >>> mask = np.zeros((5, 5), bool)
    >>> mask[:, :3] = True
    >>> out = masked_gaussian(image, mask, sigma=2)
    >>> float(out[2, 2]), float(out[2, 4])       # inside: untouched by 60000
    (100.0, 60000.0)

    A movie of 3 frames with one mask for all, each frame blurred alone:

    >>> movie = np.stack([image, 2 * image, 3 * image])
    >>> out = masked_gaussian(movie, mask, sigma=2, axes=(1, 2))
    >>> [float(frame[2, 2]) for frame in out]
    [100.0, 200.0, 300.0]
    """
    settings = call_settings(locals(), "gaussian")
    image, mask = _arrays(image, mask)
    return run(image, mask, checked(image, mask, settings))


def _arrays(*arrays: npt.ArrayLike) -> tuple:
    """numpy arrays of all; with a dask array among them, lazy ones stay lazy."""
    if any(is_dask(a) for a in arrays):
        return tuple(
            a if hasattr(a, "shape") and hasattr(a, "dtype") else np.asarray(a)
            for a in arrays
        )
    return tuple(np.asarray(a) for a in arrays)
