"""The whole masked blur in one pass over the image: the fused engine.

The engines of :func:`gaussian_smooth` take a numerator and weights that
someone made, and return two smoothed arrays that someone divides: at small
sigma those elementwise passes (convert, weigh, shift, divide, the outside
policy) cost as much as the filters, each one reading and writing the whole
image.  Here one compiled loop (:mod:`._fused_loops`) reads the image and
the mask once, weighs, filters along every axis, divides and applies the
outside policy row by row, with every intermediate in a row-sized buffer,
on two threads.  Same kernel, borders and truncation as every engine
(``gaussian_kernel1d``, :func:`extend_index`), in float32 or float64.

For wide kernels the engines are faster (their cost grows more slowly with
the radius); see :func:`fused_suits`.

No compile pause: numba's import (0.4 s) and the compiled loops (compiled
once per type of image, mask and result, a few seconds, then loaded from
numba's cache) are got ready by the loader's worker (:mod:`._compiled`) the
first time a large image asks for them.  Until they are,
:func:`fused_masked_blur` answers False and the caller takes the engines of
:func:`gaussian_smooth`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from napari_masked_blur._engines._compiled import (
    compiled_loops,
    loop_key,
    prepare_loops,
)
from napari_masked_blur._engines._kernel import gaussian_kernel1d, kernel_radius
from napari_masked_blur._engines._separable import extend_index

POLICIES = {"fill": 0, "keep": 1, "zero": 2, "nan": 3}
# Types the compiled loops take; anything else goes to the other engines.
_IMAGE_KINDS = "uif"
_MASK_KINDS = "buif"
# Below this many output pixels the engines are fast enough, and a small
# blur (a test, a paint patch) does not start numba.
FUSED_FROM_SIZE = 2**16
# Mean kernel radius up to which the fused pass is used.  2048x2048 uint16,
# disk mask, 2 cores, CPU time of both threads, fused against the engines'
# route (min of 7, same run): sigma 1 19/25 ms, 3 30/26, 5 45/35, 10 101/42.
# At sigma 3 it keeps the pass: its peak memory is the output alone (1.04x
# the image as float32 against 1.47x).
_FUSED_MAX_RADIUS = 12
# Below this many output pixels a second thread costs more than it saves.
_THREADS_FROM_SIZE = 2**15
# Bytes of the ring of filtered rows (numerator and weights): columns go in
# stripes narrow enough that the ring stays in a core's 2 MB L2 cache.
_RING_BYTES = 2**20


def fused_masked_blur(
    image: np.ndarray,
    mask: np.ndarray,
    out: np.ndarray,
    box: Sequence[slice],
    sigma: Sequence[float],
    *,
    mode: str,
    truncate: float,
    shift: float,
    certainty: bool,
    outside: str,
    wait: bool = False,
    start: bool = True,
) -> bool:
    """Write the masked blur of ``image`` over ``box`` into ``out[box]``.

    ``out[box] = G*((x - shift) w) / G*w + shift`` where the mask is inside
    (``w`` the mask's value if ``certainty``, else 1 where it is nonzero; 0
    where ``x`` is not finite), and the ``outside`` policy (``"fill"``: the
    quotient everywhere; ``"keep"``: ``x``; ``"zero"``; ``"nan"``) where it
    is not.  0/0 (no weight in reach) is NaN.

    Parameters
    ----------
    image, mask : ndarray
        2D or 3D, same shape, C-contiguous; read only.
    out : ndarray
        float32 or float64, C-contiguous, shaped like ``image``; only
        ``out[box]`` is written.  The sums are made in its type.
    box : tuple of slice
        The output region, with explicit starts and stops.
    sigma, mode, truncate
        As for :func:`gaussian_smooth`; any border rule.
    shift : float
        A value of the data near its middle (float32 rounds relative to the
        spread around it), 0 for none.
    wait : bool
        Get numba and the compiled loops ready on this thread (or wait for
        the loader's worker) instead of answering False.
    start : bool
        Start getting them ready in the background if they are not (else
        leave that to :func:`prepare_fused`).

    Returns
    -------
    bool
        False, with ``out`` untouched, when the input is not one the loops
        take (:func:`fused_refusal`) or the loops are not ready yet.  Any
        sigma is taken; whether the pass is the fastest is
        :func:`fused_suits`'s question.
    """
    if fused_refusal(image, mask, out) is not None:
        return False
    key = loop_key("fused", image.dtype, mask.dtype, out.dtype)
    loops = compiled_loops(key, now=wait)
    if loops is None:
        if start:
            prepare_loops(key)
        return False
    if image.ndim == 2:
        image, mask, out = image[None], mask[None], out[None]
        box, sigma = (slice(0, 1), *box), (0.0, *sigma)
    # Read-only views: the one layout the loops are warmed for (_fused_loops.warm).
    image, mask = image.view(), mask.view()
    image.flags.writeable = mask.flags.writeable = False
    kind = out.dtype.type
    axes = [
        _axis(s, b, n, mode, truncate, kind)
        for s, b, n in zip(sigma, box, image.shape, strict=True)
    ]
    spans = [(b.start, b.stop) for b in box]
    radius_y = axes[1][0].size // 2
    stripe = _stripe(spans[2], radius_y, out.itemsize)
    constants = (
        image, mask, out, bool(certainty), image.dtype.kind == "f",
        kind(shift), kind, POLICIES[outside],
    )  # fmt: skip

    def run(task: tuple[tuple[int, int], ...]) -> None:
        scratch_row = np.empty((2, image.shape[2]), out.dtype)
        scratch_ring = np.empty((2, 2 * radius_y + 1, stripe), out.dtype)
        scratch_sum = np.empty((2, stripe), out.dtype)
        loops.fused_block(
            *constants, *axes[0], *axes[1], *axes[2], *task, stripe,
            scratch_row, scratch_ring, scratch_sum,
        )  # fmt: skip

    _run_halves(run, box)
    return True


def _run_halves(run, box: Sequence[slice]) -> None:
    """``run(task)`` over ``box`` (a volume's), in halves on two threads if large."""
    spans = [(b.start, b.stop) for b in box]
    tasks = _split(spans, math.prod(b - a for a, b in spans))
    if len(tasks) == 1:
        run(tasks[0])
    else:
        with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
            list(pool.map(run, tasks))


def fused_suits(
    shape: Sequence[int],
    sigma: Sequence[float],
    mode: str,
    dtype: np.dtype,
    truncate: float,
) -> bool:
    """Whether the fused pass is the fastest route for such an input.

    Its filters are direct FIRs, whose cost grows with the radius; the band
    and low-rank engines win for wide kernels (see ``_FUSED_MAX_RADIUS``).
    """
    radii = [r for r in kernel_radius(sigma, truncate) if r > 0]
    if not radii or sum(radii) / len(radii) > _FUSED_MAX_RADIUS:
        return False
    # A volume smoothed along its first axis: the loops would weigh each
    # input plane again for every output plane within reach (64x512x512,
    # sigma 3: twice the CPU time of the engines, measured), so no.
    return len(shape) == 2 or (len(shape) == 3 and sigma[0] == 0)


def fused_refusal(image: np.ndarray, mask: np.ndarray, out: np.ndarray) -> str | None:
    """Why the fused loops cannot take these arrays, or None when they can."""
    if image.shape != out.shape:
        return "image and output differ in shape"
    if not out.flags.c_contiguous:
        return "the output is not C-contiguous"
    return _input_refusal(image, mask, out.dtype)


def _input_refusal(image: np.ndarray, mask: np.ndarray, dtype: np.dtype) -> str | None:
    if image.ndim not in (2, 3):
        return f"{image.ndim} axes; the fused loops take 2 or 3"
    if image.shape != mask.shape:
        return "image and mask differ in shape"
    if image.dtype.kind not in _IMAGE_KINDS or image.dtype.itemsize < 1:
        return f"images of {image.dtype} go to the other engines"
    if image.dtype == np.float16 or mask.dtype == np.float16:
        return "float16 goes to the other engines"
    if mask.dtype.kind not in _MASK_KINDS:
        return f"masks of {mask.dtype} go to the other engines"
    if np.dtype(dtype) not in (np.float32, np.float64):
        return f"output type {dtype}: float32 or float64 only"
    for name, array in (("image", image), ("mask", mask)):
        if not array.flags.c_contiguous:
            return f"the {name} is not C-contiguous"
    return None


def fused_takes(image: np.dtype, mask: np.dtype, out: np.dtype) -> bool:
    """Whether the fused loops take images, masks and outputs of these types."""
    pixel = (np.empty((1, 1), image), np.empty((1, 1), mask))
    return _input_refusal(*pixel, np.dtype(out)) is None


def prepare_fused(key: tuple[np.dtype, np.dtype, np.dtype]) -> None:
    """Start getting the loops for ``(image, mask, out)`` types ready; no wait."""
    prepare_loops(loop_key("fused", *key))


def fused_ready(key: tuple[np.dtype, np.dtype, np.dtype], wait: bool = False) -> bool:
    """Whether the loops for ``(image, mask, out)`` types are compiled and loaded.

    ``wait``: get them ready first (a benchmark's warm-up, a test).
    """
    return compiled_loops(loop_key("fused", *key), now=wait) is not None


def _axis(
    sigma: float, span: slice, length: int, mode: str, truncate: float, kind: type
) -> tuple[np.ndarray, np.ndarray, int]:
    """Taps, where the border rule reads each position within reach, its base."""
    radius = kernel_radius([sigma], truncate)[0]
    taps = gaussian_kernel1d(sigma, radius) if radius > 0 else np.ones(1)
    base = span.start - radius
    index, valid = extend_index(np.arange(base, span.stop + radius), length, mode)
    index = np.where(valid, index, -1).astype(np.int64)
    return taps.astype(kind), index, base


def _split(
    spans: list[tuple[int, int]], size: int
) -> list[tuple[tuple[int, int], ...]]:
    """One task, or two halves: of the planes when there are several, else rows."""
    planes, rows, columns = spans
    if size < _THREADS_FROM_SIZE:
        return [(planes, rows, columns)]
    axis = 0 if planes[1] - planes[0] >= 2 else 1
    start, stop = spans[axis]
    middle = (start + stop) // 2
    halves = []
    for half in ((start, middle), (middle, stop)):
        task = list(spans)
        task[axis] = half
        halves.append(tuple(task))
    return halves


def _stripe(columns: tuple[int, int], radius_y: int, itemsize: int) -> int:
    """Columns per stripe: the ring of ``2 r + 1`` rows of two arrays in cache."""
    width = columns[1] - columns[0]
    fits = _RING_BYTES // ((2 * radius_y + 1) * 2 * itemsize)
    return max(1, min(width, max(256, fits)))
