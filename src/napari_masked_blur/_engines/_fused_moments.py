"""Local statistics in one pass over the image: the fused moments.

A local variance, standard deviation, z-score or correlation is finished
from three (one image) or six (two images) smoothed moments, which the
engines' route (``_math.dense.smooth_filter``) makes as whole arrays: one
pass to build the weighted terms, one engine call per array, then the
finish.  Here one compiled loop (:mod:`._moment_loops`) reads the image,
the mask (and the second image) once, weighs every moment from that read,
filters each along every axis with the masked blur's row filters
(:mod:`._fused_loops`), and finishes each output row from its sums and
writes the outside policy, every intermediate in a row-sized buffer, on two
threads: the extra moments share the passes.  Same kernel, borders and
truncation as every engine, in float32 or float64.

Like the fused masked blur (:mod:`._fused`), its filters are direct FIRs
whose cost grows with the radius (:func:`moments_suit`: 2D and 3D, up to a
mean radius of 40), and its loops
are compiled in the background by the loader (:mod:`._compiled`, family
``"moments"``): until they are ready :func:`fused_moments` answers False
and the caller takes the engines' route.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_masked_blur._engines._compiled import (
    compiled_loops,
    loop_key,
    prepare_loops,
)
from napari_masked_blur._engines._fused import (
    POLICIES,
    _axis,
    _input_refusal,
    _run_halves,
)
from napari_masked_blur._engines._kernel import kernel_radius

STATISTICS = {"variance": 0, "std": 1, "zscore": 2, "correlation": 3}
"""The statistics the loops finish, by the codes they take."""
# Mean kernel radius up to which the fused moments are used.  2048x2048
# uint16, disk mask, 2 shared cores, CPU time of both threads, fused against
# the engines' route (median of 7, same run): std at sigma 5 (radius 20)
# 21/33 ms, sigma 10 (40) 38/38, sigma 20 (80) 75/64; the correlation 45/68,
# 80/85, 173/133.  Three to six moments share each read of the image, so
# the pass keeps up with the engines to wider kernels than the masked
# blur's two (``_fused._FUSED_MAX_RADIUS``).
_MOMENTS_MAX_RADIUS = 40
# Bytes of the ring of filtered rows of every moment: stripes of columns
# narrow enough that it stays in a core's 2 MB L2 cache.
_RING_BYTES = 2**20


def fused_moments(
    image: np.ndarray,
    other: np.ndarray | None,
    mask: np.ndarray,
    out: np.ndarray,
    box: Sequence[slice],
    sigma: Sequence[float],
    *,
    statistic: str,
    mode: str,
    truncate: float,
    shifts: tuple[float, float],
    certainty: bool,
    outside: str,
    variance_floor: float,
    start: bool = True,
) -> bool:
    """Write the local ``statistic`` of ``image`` over ``box`` into ``out[box]``.

    With ``x' = x - c`` and ``y' = y - d`` (``shifts``; ``y`` is ``other``,
    for the correlation), ``w`` the weights as in the masked blur (0 where
    ``x`` or ``y`` is not finite) and ``S_f = G*(f w)``::

        mean = S_x'/S_1      variance = S_x'x'/S_1 (1 - floor eps) - mean**2
        std = sqrt(variance) (a variance below 0 is 0)
        zscore = (x' - mean)/std (0 where std is 0; NaN where x is missing)
        correlation = (S_x'y'/S_1 - mean_x mean_y)/std_x/std_y in [-1, 1]
                      (NaN where not finite)

    NaN where ``S_1 == 0``; ``floor`` is ``variance_floor``, ``eps`` the
    output type's.  The ``outside`` policy (``"fill"``, ``"zero"``,
    ``"nan"``) where the mask is not inside.

    Parameters
    ----------
    image, other, mask : ndarray
        2D or 3D, one shape, C-contiguous; read only.  ``other`` (the
        correlation's, of the image's type) is None for the others.
    out : ndarray
        float32 or float64, C-contiguous, shaped like ``image``; only
        ``out[box]`` is written.  The sums are made in its type.
    box, sigma, mode, truncate
        As for :func:`._fused.fused_masked_blur`.
    start : bool
        Start getting the loops ready in the background if they are not.

    Returns
    -------
    bool
        False, with ``out`` untouched, when the inputs are not ones the
        loops take (:func:`moments_refusal`) or they are not ready yet.
    """
    if moments_refusal(image, other, mask, out, statistic) is not None:
        return False
    key = loop_key("moments", image.dtype, mask.dtype, out.dtype)
    loops = compiled_loops(key)
    if loops is None:
        if start:
            prepare_loops(key)
        return False
    other = image if other is None else other
    if image.ndim == 2:
        image, other, mask, out = image[None], other[None], mask[None], out[None]
        box, sigma = (slice(0, 1), *box), (0.0, *sigma)
    # Read-only views: the one layout the loops are warmed for (_moment_loops.warm).
    image, other, mask = image.view(), other.view(), mask.view()
    image.flags.writeable = other.flags.writeable = mask.flags.writeable = False
    kind = out.dtype.type
    axes = [
        _axis(s, b, n, mode, truncate, kind)
        for s, b, n in zip(sigma, box, image.shape, strict=True)
    ]
    count = 6 if statistic == "correlation" else 3
    slots = axes[1][0].size
    stripe = _stripe((box[2].start, box[2].stop), slots, count, out.itemsize)
    keep = kind(1 - variance_floor * np.finfo(out.dtype).eps)
    constants = (
        image, other, mask, out, bool(certainty), image.dtype.kind == "f",
        kind(shifts[0]), kind(shifts[1]), kind, POLICIES[outside],
        STATISTICS[statistic], keep,
    )  # fmt: skip

    def run(task: tuple[tuple[int, int], ...]) -> None:
        loops.moments_block(
            *constants, *axes[0], *axes[1], *axes[2], *task, stripe,
            np.empty((count, image.shape[2]), out.dtype),
            np.empty((count, slots, stripe), out.dtype),
            np.empty((count, stripe), out.dtype), np.empty(stripe, out.dtype),
        )  # fmt: skip

    _run_halves(run, box)
    return True


def moments_suit(
    shape: Sequence[int],
    sigma: Sequence[float],
    mode: str,
    dtype: np.dtype,
    truncate: float,
) -> bool:
    """Whether the fused moments are the fastest route for such an input.

    Its filters are direct FIRs, whose cost grows with the radius: up to a
    mean radius of ``_MOMENTS_MAX_RADIUS``.  Unlike the fused masked blur
    (:func:`._fused.fused_suits`) it takes volumes smoothed across their
    planes too: each input plane is weighed again for every output plane
    within reach, but that one pass feeds three to six moments, where the
    engines filter each moment as a whole volume (64 x 512 x 512 uint16,
    ball mask, CPU time of both threads, fused against the engines, same
    run: std at sigma 1 37/68 ms, sigma 3 80/114, 6 187/190, 10 265/284;
    the correlation 66/142, 163/245, 334/384, 500/607).
    """
    radii = [r for r in kernel_radius(sigma, truncate) if r > 0]
    if not radii or sum(radii) / len(radii) > _MOMENTS_MAX_RADIUS:
        return False
    return len(shape) in (2, 3)


def moments_refusal(
    image: np.ndarray,
    other: np.ndarray | None,
    mask: np.ndarray,
    out: np.ndarray,
    statistic: str,
) -> str | None:
    """Why the loops cannot take these arrays, or None when they can."""
    if statistic not in STATISTICS:
        return f"no fused loops for the statistic {statistic!r}"
    if image.shape != out.shape or not out.flags.c_contiguous:
        return "the output is not a C-contiguous array shaped like the image"
    if (other is None) != (statistic != "correlation"):
        return "the correlation takes a second image, the others none"
    if other is not None:
        if other.shape != image.shape or other.dtype != image.dtype:
            return "the second image differs from the image in shape or type"
        if not other.flags.c_contiguous:
            return "the second image is not C-contiguous"
    return _input_refusal(image, mask, out.dtype)


def moments_takes(image: np.dtype, mask: np.dtype, out: np.dtype) -> bool:
    """Whether the loops take images, masks and outputs of these types."""
    pixel = (np.empty((1, 1), image), np.empty((1, 1), mask))
    return _input_refusal(*pixel, np.dtype(out)) is None


def prepare_moments(key: tuple[np.dtype, np.dtype, np.dtype]) -> None:
    """Start getting the loops for ``(image, mask, out)`` types ready; no wait."""
    prepare_loops(loop_key("moments", *key))


def moments_ready(key: tuple[np.dtype, np.dtype, np.dtype], wait: bool = False) -> bool:
    """Whether the loops for ``(image, mask, out)`` types are ready.

    ``wait``: get them ready first (a benchmark's warm-up, a test).
    """
    return compiled_loops(loop_key("moments", *key), now=wait) is not None


def _stripe(columns: tuple[int, int], slots: int, count: int, itemsize: int) -> int:
    """Columns per stripe: the ring of ``slots`` rows of ``count`` moments in cache."""
    width = columns[1] - columns[0]
    fits = _RING_BYTES // (slots * count * itemsize)
    return max(1, min(width, max(256, fits)))
