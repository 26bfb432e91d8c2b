"""Masked Gaussian derivatives as public functions.

With ``N_o = G_o*(f·w)``, ``D_o = G_o*w`` (``G_o`` the Gaussian
differentiated by the multi-order ``o``, as
``scipy.ndimage.gaussian_filter(order=o)``) and ``B = N/D`` the masked
blur, the derivatives are those of the masked blur field, exactly::

    ∂_i B  = (N_i  - B·D_i) / D
    ∂_ij B = (N_ij - ∂_iB·D_j - ∂_jB·D_i - B·D_ij) / D

so values outside the mask never reach a result and the mask edge is not
an edge.  Derivatives are per pixel, or per unit of ``spacing`` when it is
given; only the smoothed axes are differentiated (never a frame axis, see
``axes``).  Outside the mask the result is 0 by default (``outside``:
"zero", "nan" or "fill"; "keep" is refused: the image's intensities are
not derivatives).  Each function builds its
:class:`~napari_masked_blur.BlurSettings` and hands them to :mod:`.route`,
as :func:`~napari_masked_blur.masked_gaussian` does; dask input gives a
lazy dask array whose chunks overlap by the filter's full reach.

The keywords shared with ``masked_gaussian`` (``outside``, ``labels``,
``per_label``, ``mode``, ``truncate``, ``spacing``, ``channel_axis``,
``method``, ``axes``) mean what they mean there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from napari_masked_blur._api.gaussian import _arrays
from napari_masked_blur._api.route import call_settings, checked, run
from napari_masked_blur._math.options import SigmaLike


def _call(name: str, arguments: dict) -> tuple:
    """The settings of a call to the filter ``name``, and its image and mask."""
    settings = call_settings(arguments, name)
    return (settings, *_arrays(arguments["image"], arguments["mask"]))


def masked_gaussian_gradient_magnitude(
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
) -> np.ndarray:
    """Gradient magnitude of the masked blur: ``sqrt(Σ_i (∂_iB)²)``.

    The masked counterpart of :func:`scipy.ndimage.gaussian_gradient_magnitude`:
    the gradient of ``B = G*(image·w) / G*w`` (see the module), over the
    smoothed axes, per pixel or per unit of ``spacing``.

    Returns
    -------
    ndarray
        Shaped like ``image``; float32 (float64 for float64 and 32/64-bit
        integer images); 0 outside the mask unless ``outside`` says.

    Examples
    --------
    A ramp of slope 3 inside the mask, bright outside: far from the mask's
    edge (4 sigma) the gradient is the slope, and nothing leaks in; near
    the edge the blur leans on the pixels inside, so its slope is less.

    >>> import numpy as np
    >>> ramp = np.tile(np.arange(24.0) * 3, (24, 1))   # slope 3 along x
    >>> ramp[:, 16:] = 5000                             # outside the mask
    >>> mask = np.zeros((24, 24), bool)
    >>> mask[:, :16] = True
    >>> out = masked_gaussian_gradient_magnitude(ramp, mask, 1.0, mode="nearest")
    >>> round(float(out[12, 8]), 3), float(out[12, 20])
    (3.0, 0.0)
    """
    settings, image, mask = _call("gaussian_gradient_magnitude", locals())
    return run(image, mask, checked(image, mask, settings))


def masked_gaussian_laplace(
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
) -> np.ndarray:
    """Laplacian of the masked blur: ``Σ_i ∂_iiB``.

    The masked counterpart of :func:`scipy.ndimage.gaussian_laplace`: the
    second derivatives of ``B = G*(image·w) / G*w`` (see the module) summed
    over the smoothed axes, per pixel² or per unit² of ``spacing``.  A bright
    blob inside the mask gives a negative minimum at its centre.

    Returns
    -------
    ndarray
        Shaped like ``image``; float32 (float64 for float64 and 32/64-bit
        integer images); 0 outside the mask unless ``outside`` says.
    """
    settings, image, mask = _call("gaussian_laplace", locals())
    return run(image, mask, checked(image, mask, settings))


def masked_difference_of_gaussians(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    high_sigma: SigmaLike | None = None,
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
) -> np.ndarray:
    """Band-pass inside the mask: ``B(sigma) - B(high_sigma)``.

    The masked counterpart of :func:`skimage.filters.difference_of_gaussians`
    (whose ``low_sigma`` is ``sigma`` here): the masked blur ``B = G*(image·w)
    / G*w`` at ``sigma`` minus the masked blur at ``high_sigma``.

    Parameters
    ----------
    sigma : float or sequence of float
        The low sigma, given as in ``masked_gaussian``.
    high_sigma : float or sequence of float, optional
        The high sigma, given like ``sigma`` (in the units of ``spacing``
        when given); ``>= sigma`` on every axis.  Default: ``1.6 · sigma``
        (scikit-image's).

    Returns
    -------
    ndarray
        Shaped like ``image``; float32 (float64 for float64 and 32/64-bit
        integer images); 0 outside the mask unless ``outside`` says.  Its
        reach (the dask margin) is ``high_sigma``'s kernel radius.
    """
    settings, image, mask = _call("difference_of_gaussians", locals())
    return run(image, mask, checked(image, mask, settings))


def masked_hessian_eigenvalues(
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
) -> np.ndarray:
    """Eigenvalues of the Hessian ``∂_ijB`` of the masked blur, largest first.

    As :func:`skimage.feature.hessian_matrix_eigvals` orders them: stacked
    on a new leading axis in decreasing order, one per smoothed axis (for
    2 axes ``[largest, smallest]``).  A bright ridge inside the mask gives
    a strongly negative smallest eigenvalue across it.

    Returns
    -------
    ndarray
        Shape ``(n, *image.shape)`` for ``n`` smoothed axes; float32
        (float64 for float64 and 32/64-bit integer images); 0 outside the
        mask unless ``outside`` says.
    """
    settings, image, mask = _call("hessian_eigenvalues", locals())
    return run(image, mask, checked(image, mask, settings))


def masked_structure_tensor_eigenvalues(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    rho: SigmaLike | None = None,
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
) -> np.ndarray:
    """Eigenvalues of the masked structure tensor, largest first.

    ``S_ij = G_rho*(∂_iB·∂_jB·w) / G_rho*w``: the gradient of the masked
    blur at ``sigma``, its outer product averaged at ``rho`` over the
    weighted pixels only.  Largest first on a new leading axis, one per
    smoothed axis; both are >= 0 (up to rounding).  Their difference
    measures how oriented the texture is.

    Parameters
    ----------
    rho : float or sequence of float, optional
        The averaging scale, given like ``sigma``; default ``2 · sigma``.

    Returns
    -------
    ndarray
        Shape ``(n, *image.shape)`` for ``n`` smoothed axes; 0 outside the
        mask unless ``outside`` says.  Its reach (the dask margin) is the
        derivative's kernel radius plus rho's.
    """
    settings, image, mask = _call("structure_tensor_eigenvalues", locals())
    return run(image, mask, checked(image, mask, settings))
