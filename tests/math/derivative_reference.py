"""A float64 reference of the masked derivatives, written from their formulas.

``N_o = G_o*(f·w)``, ``D_o = G_o*w`` with scipy's ``gaussian_filter(order=o)``,
``B = N/D``, ``∂_iB = (N_i - B·D_i)/D``,
``∂_ijB = (N_ij - ∂_iB·D_j - ∂_jB·D_i - B·D_ij)/D``; per unit of spacing.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage as ndi

SCIPY_MODE = {"missing": "constant"}


def _smoother(image, weights, sigma, mode, truncate):
    x = np.asarray(image, np.float64)
    w = np.asarray(weights, np.float64) * np.isfinite(x)
    x = np.where(np.isfinite(x), x, 0.0)
    kw = {"mode": SCIPY_MODE.get(mode, mode), "truncate": truncate, "cval": 0.0}

    def smooth(array, order):
        return ndi.gaussian_filter(array, sigma, order=order, **kw)

    return x * w, w, smooth


def unit(n, *axes):
    order = [0] * n
    for a in axes:
        order[a] += 1
    return tuple(order)


def derivatives(image, weights, sigma, mode="missing", truncate=4.0, spacing=None):
    """``(B, {i: ∂_iB}, {(i, j): ∂_ijB})`` in float64, NaN where ``D == 0``."""
    fw, w, smooth = _smoother(image, weights, sigma, mode, truncate)
    n = np.ndim(fw)
    spacing = (1.0,) * n if spacing is None else tuple(np.broadcast_to(spacing, n))
    zero = (0,) * n
    with np.errstate(invalid="ignore", divide="ignore"):
        d = smooth(w, zero)
        d = np.where(d > 0, d, np.nan)
        b = smooth(fw, zero) / d
        first = {}
        for i in range(n):
            o = unit(n, i)
            first[i] = (smooth(fw, o) - b * smooth(w, o)) / d
        second = {}
        for i, j in itertools.combinations_with_replacement(range(n), 2):
            o = unit(n, i, j)
            second[i, j] = (
                smooth(fw, o)
                - first[i] * smooth(w, unit(n, j))
                - first[j] * smooth(w, unit(n, i))
                - b * smooth(w, o)
            ) / d
    first = {i: g / spacing[i] for i, g in first.items()}
    second = {k: h / (spacing[k[0]] * spacing[k[1]]) for k, h in second.items()}
    return b, first, second


def gradient_magnitude(*args, **kwargs):
    _, first, _ = derivatives(*args, **kwargs)
    return np.sqrt(sum(g * g for g in first.values()))


def laplace(*args, **kwargs):
    _, _, second = derivatives(*args, **kwargs)
    return sum(h for (i, j), h in second.items() if i == j)


def hessian_eigenvalues(*args, **kwargs):
    _, _, second = derivatives(*args, **kwargs)
    n = max(i for i, _ in second) + 1
    first = next(iter(second.values()))
    matrix = np.zeros((*first.shape, n, n))
    for (i, j), h in second.items():
        matrix[..., i, j] = matrix[..., j, i] = h
    missing = ~np.isfinite(matrix).all(axis=(-2, -1))
    matrix[missing] = 0
    values = np.linalg.eigvalsh(matrix)[..., ::-1]
    values[missing] = np.nan
    return np.moveaxis(values, -1, 0)


def masked_blur(image, weights, sigma, mode="missing", truncate=4.0):
    fw, w, smooth = _smoother(image, weights, sigma, mode, truncate)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = smooth(w, 0)
        return smooth(fw, 0) / np.where(d > 0, d, np.nan)


def structure_tensor_eigenvalues(
    image, weights, sigma, rho, mode="missing", truncate=4.0, spacing=None
):
    _, first, _ = derivatives(image, weights, sigma, mode, truncate, spacing)
    w = np.asarray(weights, np.float64) * np.isfinite(np.asarray(image, float))
    n = len(first)
    kw = {"mode": SCIPY_MODE.get(mode, mode), "truncate": truncate, "cval": 0.0}
    with np.errstate(invalid="ignore", divide="ignore"):
        total = ndi.gaussian_filter(w, rho, **kw)
        matrix = np.zeros((*w.shape, n, n))
        for i, j in itertools.combinations_with_replacement(range(n), 2):
            product = np.nan_to_num(first[i] * first[j]) * w
            s = ndi.gaussian_filter(product, rho, **kw) / total
            matrix[..., i, j] = matrix[..., j, i] = s
    missing = ~np.isfinite(matrix).all(axis=(-2, -1))
    matrix[missing] = 0
    values = np.linalg.eigvalsh(matrix)[..., ::-1]
    values[missing] = np.nan
    return np.moveaxis(values, -1, 0)


def assert_close_inside(out, expected, inside, tolerance=1e-3):
    """Agreement inside the mask to ``tolerance`` of the reference's range there."""
    out, expected = np.asarray(out, np.float64), np.asarray(expected)
    lead = out.ndim - inside.ndim
    where = np.broadcast_to(inside, out.shape) & np.isfinite(expected)
    assert where.any()
    values = expected[where]
    scale = max(float(values.max() - values.min()), 1e-12)
    error = np.abs(out[where] - values).max()
    assert error <= tolerance * scale, (error, scale, lead)
