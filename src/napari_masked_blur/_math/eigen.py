"""Eigenvalues of a symmetric matrix at every pixel, largest first.

The Hessian and the structure tensor are symmetric ``n x n`` matrices per
pixel, given as their upper entries ``(i, j)``, ``i <= j``.  Their
eigenvalues come back stacked on a new leading axis in decreasing order, as
:func:`skimage.feature.hessian_matrix_eigvals` gives them: in closed form
for 2 and 3 axes (no Python loop per pixel, no ``(..., n, n)`` copy), by
:func:`numpy.linalg.eigvalsh` beyond.  NaN entries give NaN eigenvalues.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def eigenvalue_names(ndim: int) -> tuple[str, ...]:
    """The names of the eigenvalues of ``ndim`` axes, largest first.

    ``("eigenvalue",)`` for one axis, ``("largest", "smallest")`` for two,
    ``("largest", "middle", "smallest")`` for three; beyond, ``"largest"``,
    ``"eigenvalue 2"``, ..., ``"smallest"``.
    """
    if ndim == 1:
        return ("eigenvalue",)
    if ndim == 3:
        return ("largest", "middle", "smallest")
    middle = tuple(f"eigenvalue {k}" for k in range(2, ndim))
    return ("largest", *middle, "smallest")


def symmetric_eigenvalues(
    entries: Mapping[tuple[int, int], np.ndarray], ndim: int
) -> np.ndarray:
    """The eigenvalues of the matrix of ``entries`` at every pixel, largest first.

    ``entries[i, j]`` (``i <= j``) are arrays of one shape and float dtype;
    they are scratch (may be overwritten).  Returns ``(ndim, *shape)``.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if ndim == 1:
            return entries[0, 0][np.newaxis]
        if ndim == 2:
            return _eigenvalues_2(entries)
        if ndim == 3:
            return _eigenvalues_3(entries)
        return _eigenvalues_any(entries, ndim)


def _eigenvalues_2(entries: Mapping[tuple[int, int], np.ndarray]) -> np.ndarray:
    """``(a + c)/2 ± sqrt(((a - c)/2)² + b²)``."""
    a, b, c = entries[0, 0], entries[0, 1], entries[1, 1]
    out = np.empty((2, *a.shape), a.dtype)
    mean = np.add(a, c, out=out[0])
    mean *= 0.5
    half = np.subtract(a, c, out=out[1])
    half *= 0.5
    radius = np.hypot(half, b, out=a)
    np.subtract(mean, radius, out=out[1])
    out[0] += radius
    return out


def _eigenvalues_3(entries: Mapping[tuple[int, int], np.ndarray]) -> np.ndarray:
    """The trigonometric solution of the characteristic cubic.

    With ``q = trace/3``, ``p = sqrt(tr((A - qI)²)/6)`` and
    ``r = det((A - qI)/p)/2 = cos(3φ)``: ``λ = q + 2p cos(φ + 2πk/3)``.
    Computed in float64 whatever the entries' type: the cubic's angle is
    ill-conditioned near repeated eigenvalues.
    """
    shape, dtype = entries[0, 0].shape, entries[0, 0].dtype
    out = np.empty((3, *shape), dtype)
    flat = [entries[key].reshape(-1) for key in ((0, 0), (1, 1), (2, 2))]
    off = [entries[key].reshape(-1) for key in ((0, 1), (0, 2), (1, 2))]
    rows = out.reshape(3, -1)
    step = 1 << 16  # float64 work in cache-sized blocks
    for start in range(0, rows.shape[1], step):
        block = slice(start, start + step)
        a, b, c = (x[block].astype(np.float64) for x in flat)
        d, e, f = (x[block].astype(np.float64) for x in off)
        _cubic_roots(a, b, c, d, e, f, rows[:, block])
    return out


def _cubic_roots(a, b, c, d, e, f, out) -> None:
    """The eigenvalues of ``[[a, d, e], [d, b, f], [e, f, c]]`` into ``out[0..2]``.

    float64 blocks, written over (steps in place, in cache).  The smallest
    root ``q + 2p cos(φ + 2π/3) = q - p (cos φ + √3 sin φ)`` takes
    ``sin φ = sqrt(1 - cos² φ)`` (``0 <= φ <= π/3``): one cosine, not two.
    """
    scratch = np.empty_like(a)
    q = np.add(a, b)
    q += c
    q /= 3.0
    a -= q
    b -= q
    c -= q
    p = np.multiply(d, d)
    p += np.multiply(e, e, out=scratch)
    p += np.multiply(f, f, out=scratch)
    p *= 2.0
    for x in (a, b, c):
        p += np.multiply(x, x, out=scratch)
    p /= 6.0
    np.sqrt(p, out=p)
    # det(A - qI) = a (b c - f²) - d (d c - f e) + e (d f - b e)
    det = np.multiply(b, c)
    det -= np.multiply(f, f, out=scratch)
    det *= a
    part = np.multiply(d, c)
    part -= np.multiply(f, e, out=scratch)
    part *= d
    det -= part
    np.multiply(d, f, out=part)
    part -= np.multiply(b, e, out=scratch)
    part *= e
    det += part
    np.multiply(p, p, out=scratch)
    scratch *= p
    scratch *= 2.0
    r = np.divide(det, scratch, out=det)
    np.clip(r, -1.0, 1.0, out=r)
    r[p == 0] = 0.0  # a multiple of the identity: every eigenvalue is q
    phi = np.arccos(r, out=r)
    phi /= 3.0
    cosine = np.cos(phi, out=scratch)
    sine = np.multiply(cosine, cosine, out=part)
    np.subtract(1.0, sine, out=sine)
    np.maximum(sine, 0.0, out=sine)
    np.sqrt(sine, out=sine)
    sine *= math.sqrt(3.0)
    sine += cosine  # cos φ + √3 sin φ
    sine *= p
    smallest = np.subtract(q, sine, out=sine)
    largest = cosine
    largest *= 2.0
    largest *= p
    largest += q
    out[0] = largest
    out[2] = smallest
    q *= 3.0  # the trace: the middle one is what the others leave of it
    q -= largest
    np.subtract(q, smallest, out=out[1])


def _eigenvalues_any(
    entries: Mapping[tuple[int, int], np.ndarray], ndim: int
) -> np.ndarray:
    """numpy's symmetric solver on the stacked matrices (4 axes and more)."""
    first = entries[0, 0]
    matrix = np.empty((*first.shape, ndim, ndim), first.dtype)
    for (i, j), entry in entries.items():
        matrix[..., i, j] = entry
        matrix[..., j, i] = entry
    missing = ~np.isfinite(matrix).all(axis=(-2, -1))
    matrix[missing] = 0.0
    values = np.linalg.eigvalsh(matrix)[..., ::-1]
    values[missing] = np.nan
    return np.moveaxis(values, -1, 0).astype(first.dtype, copy=False)
