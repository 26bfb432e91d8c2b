"""The displayed plane's products, paired by distance and kept between sigmas.

While a sigma slider is dragged over a volume shown in 2D, every new value
needs the displayed plane ``c`` again.  Along the hidden axis 0 that is

    N(c) = sum over |k| <= r of t_k (image * w)[c + k],   W(c) likewise for w,

with planes beyond the ends folded back by the border rule, and then the
plane is smoothed in 2D.  Making the products from the uint16 image and the
label mask is most of that work (74 ms for the 25 planes of 1024 x 1024 that
sigma 3 needs, where reducing ready products takes 6 ms; one core, measured).
The products do not depend on sigma, so they are made once and kept here.

The Gaussian's taps are symmetric, ``t_-k = t_k``, so the two planes at
distance ``k`` are kept added up, ``S_k = P[c - k] + P[c + k]``, and
``N(c) = sum over k = 0..r of t_k S_k``: half the planes to read and convert
for each sigma (measured on 1024 x 1024 planes at sigma 4: 9 instead of 16 ms
for numerator and weights).  A larger sigma makes only the pairs it adds.

Numpy only.  One worker thread uses a cache; the main thread only calls
:meth:`PlaneProducts.invalidate` (the mask was edited, the view moved) and
:meth:`PlaneProducts.release`.
"""

from __future__ import annotations

import math
import queue
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from napari_masked_blur._core import (
    _ENGINE_MODE,
    mask_inside,
    mask_to_weights,
    zero_missing,
)
from napari_masked_blur._engines._band import extend_index

# The most the kept pairs may take.  For 1024 x 1024 planes of a uint16 image
# and a label mask (5 bytes a pixel per pair, see storage_dtypes) that is 102
# pairs, the reach of sigma 25 at truncate 4.
BUDGET_BYTES = 512 * 2**20
# Pairs made per numpy call.
_BLOCK_PAIRS = 4


class PlaneProducts:
    """Pair sums of ``image * w`` and ``w`` around one plane of axis 0.

    Parameters
    ----------
    budget : int
        Most bytes the two stacks may take; a request beyond it is refused
        (:meth:`reduced` returns None) and the caller computes as usual.
    """

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self._budget = budget
        self._generation = 0
        self._lock = threading.Lock()
        self._pairs: _Pairs | None = None
        self._spare: tuple[np.ndarray, np.ndarray] | None = None  # its memory
        self._scratch: tuple[tuple, queue.SimpleQueue] | None = None
        # (key, how many calls in a row) of the last calls
        self._asked: tuple | None = None

    def invalidate(self) -> None:
        """The mask or image changed, or the view moved: forget what is kept.

        The memory stays for the next plane (touching fresh memory costs
        time, see :func:`storage_dtypes`); :meth:`release` frees it.
        """
        with self._lock:
            self._generation += 1
            if self._pairs is not None:
                self._spare = (self._pairs.numerator, self._pairs.weights)
            self._pairs = None

    def release(self) -> None:
        """Forget what is kept and free its memory."""
        with self._lock:
            self._generation += 1
            self._pairs = self._spare = self._scratch = None

    def _scratch_for(self, buffers: tuple[np.ndarray, np.ndarray]) -> queue.SimpleQueue:
        """Room for one plane of each stack per thread, reused from plane to plane
        (fresh memory is slow to touch)."""
        like = tuple((a.shape[1:], a.dtype) for a in buffers)
        scratch = self._scratch  # once: release() may clear it meanwhile
        if scratch is None or scratch[0] != like:
            rooms: queue.SimpleQueue = queue.SimpleQueue()
            for _ in range(2):
                rooms.put(tuple(np.empty_like(a[:1]) for a in buffers))
            scratch = self._scratch = (like, rooms)
        return scratch[1]

    def reduced(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        plane: int,
        taps: np.ndarray,
        mode: str,
        labels: Any,
        dtype: np.dtype,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``(N(c), W(c))`` for plane ``c = plane`` of axis 0, in ``dtype``.

        ``taps`` are ``t_0 .. t_r``, the kernel from its centre out; ``mode``
        the border rule along axis 0 (``"missing"``, ``"reflect"``, ...).
        Returns None (the caller computes as usual, which is faster once)
        until the same plane is asked for a third time in a row: a third
        sigma for one plane is a slider being dragged, while a move to a
        plane and one change of sigma there is not.  From then on the pairs
        are kept, and made only as far out as not made yet.  None also when
        they would not fit in the budget.  Non-finite image pixels get
        ``w = 0``, as everywhere.
        """
        key = (
            weakref.ref(image), weakref.ref(mask), _labels_key(labels),
            np.dtype(dtype), mode, plane,
        )  # fmt: skip
        asked = self._asked
        calls = asked[1] + 1 if asked is not None and _same_key(asked[0], key) else 1
        self._asked = (key, calls)
        with self._lock:
            generation, pairs = self._generation, self._pairs
            spare = self._spare if pairs is None else (pairs.numerator, pairs.weights)
        if pairs is None or not _same_key(pairs.key, key):
            if calls < 3:
                return None
            dtypes = storage_dtypes(image.dtype, mask.dtype, dtype)
            buffers = _buffers(spare, image.shape, dtypes, self._budget)
            pairs = _Pairs(key, buffers, self._scratch_for(buffers))
        if taps.size > pairs.numerator.shape[0]:
            return None
        pairs.fill(image, mask, taps.size, labels)
        with self._lock:
            if generation == self._generation:  # no edit while they were made
                self._pairs = pairs
        return pairs.reduce(taps, dtype)


class _Pairs:
    """Room for the pair sums ``S_0, S_1, ...`` of one plane, made as needed.

    Their pages cost memory only once touched, so memory follows the pairs
    actually made.
    """

    def __init__(
        self,
        key: tuple,
        buffers: tuple[np.ndarray, np.ndarray],
        scratch: queue.SimpleQueue,
    ) -> None:
        self.key = key
        self.numerator, self.weights = buffers
        self.made = 0  # S_0 .. S_(made - 1) are ready
        self._scratch = scratch  # room for one far plane per thread

    def fill(self, image: np.ndarray, mask: np.ndarray, count: int, labels: Any):
        """Make ``S_made .. S_(count - 1)``, a block of pairs per numpy call."""
        mode, plane = self.key[4], self.key[5]
        firsts = range(self.made, count, _BLOCK_PAIRS)

        def make(first: int) -> None:
            distances = np.arange(first, min(first + _BLOCK_PAIRS, count))
            rows = slice(first, first + distances.size)
            scratch = self._scratch.get()
            try:
                _make_pairs(
                    image, mask, plane, distances, mode, labels,
                    self.numerator[rows], self.weights[rows], scratch,
                )  # fmt: skip
            finally:
                self._scratch.put(scratch)

        if len(firsts) <= 1:  # the pair or two a slightly wider kernel adds
            for first in firsts:
                make(first)
        else:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(make, firsts))
        self.made = max(self.made, count)

    def reduce(
        self, taps: np.ndarray, dtype: np.dtype
    ) -> tuple[np.ndarray, np.ndarray]:
        """``sum over k of taps[k] S_k`` for numerator and weights, in ``dtype``."""
        count = taps.size
        return reduce_kept(
            taps.astype(dtype)[np.newaxis],
            (self.numerator[:count], self.weights[:count]),
            dtype,
        )


def _make_pairs(
    image: np.ndarray,
    mask: np.ndarray,
    plane: int,
    distances: np.ndarray,
    mode: str,
    labels: Any,
    numerator: np.ndarray,
    weights: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
) -> None:
    """``S_k`` for ``k`` in ``distances`` (consecutive) into the two stacks.

    ``S_0`` is the plane itself; a plane the border rule leaves out
    ("missing") adds nothing.  Written in place, with views of the image where
    the planes lie inside it, and ``scratch`` (room for one plane of each)
    for the far side: with a new array for each block instead, the first
    pairs of a drag under Xvfb took 266 ms, in place 61 ms (one run each).
    """
    lower = _planes(plane - distances, image.shape[0], mode)
    _write_products(image, mask, lower, labels, numerator, weights)
    first = 1 if distances[0] == 0 else 0  # S_0 counts its plane once
    if distances.size == first:
        return
    upper = _planes(plane + distances[first:], image.shape[0], mode)
    for row, one in enumerate(_each(upper), start=first):
        _write_products(image, mask, one, labels, *scratch)
        numerator[row] += scratch[0][0]
        weights[row] += scratch[1][0]


def _each(planes: Any) -> list:
    """The planes of a slice or index array one by one, as length-1 indices."""
    if isinstance(planes, slice):
        return [slice(i, i + 1) for i in range(*planes.indices(2**62))]
    return [planes[i : i + 1] for i in range(planes.size)]


def _planes(wanted: np.ndarray, length: int, mode: str) -> Any:
    """Where planes ``wanted`` are read: a slice when all lie inside the image,
    else indices folded by the border rule, -1 for none."""
    if wanted.min() >= 0 and wanted.max() < length:
        step = int(wanted[1] - wanted[0]) if wanted.size > 1 else 1
        stop = int(wanted[-1]) + step
        return slice(int(wanted[0]), stop if stop >= 0 else None, step)
    folded, valid = extend_index(wanted, length, _ENGINE_MODE.get(mode, mode))
    return np.where(valid, folded, -1)


def _write_products(
    image: np.ndarray,
    mask: np.ndarray,
    planes: Any,
    labels: Any,
    numerator: np.ndarray,
    weights: np.ndarray,
) -> None:
    """``image * w`` and ``w`` of ``planes`` (a slice, or indices with -1 = none)."""
    if isinstance(planes, slice):
        source, missing = planes, None
    else:
        missing = planes < 0
        source = np.where(missing, 0, planes)
    values = np.asarray(image[source])
    if weights.dtype == np.uint8:  # a label mask: 0 or 1
        weights[...] = mask_inside(np.asarray(mask[source]), labels)
    else:
        weights[...] = mask_to_weights(np.asarray(mask[source]), labels)
    if missing is not None:
        weights[missing] = 0
    np.multiply(values, weights, out=numerator, casting="unsafe")
    zero_missing(values, weights, numerator)


def _buffers(
    spare: tuple[np.ndarray, np.ndarray] | None,
    shape: tuple[int, ...],
    dtypes: tuple[np.dtype, np.dtype],
    budget: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``spare`` when it fits planes of ``shape`` and ``dtypes``, else new buffers."""
    fits = spare is not None and spare[0].shape[1:] == shape[1:]
    if fits and (spare[0].dtype, spare[1].dtype) == dtypes:
        return spare
    pair_bytes = sum(np.dtype(d).itemsize for d in dtypes) * math.prod(shape[1:])
    # More pairs than planes only for kernels wider than the volume: refused.
    room = (min(budget // pair_bytes, shape[0]), *shape[1:])
    return np.empty(room, dtypes[0]), np.empty(room, dtypes[1])


def storage_dtypes(
    image_dtype: np.dtype, mask_dtype: np.dtype, dtype: np.dtype
) -> tuple[np.dtype, np.dtype]:
    """How the pair sums of ``image * w`` and ``w`` are kept: exactly, in few bytes.

    A label (or bool) mask gives weights 0 or 1, so pair sums 0 to 2, kept as
    uint8; times an integer image that is the sum of two of its values, kept
    in the next wider integer type.  Anything else is kept in ``dtype``, the
    type of the result.  Fewer bytes matter: first writes to fresh memory
    cost 0.14 ms a MB with the transparent huge pages numpy asks for, 0.8
    without (measured on 256 MB), and a drag keeps up to the budget's worth.
    """
    binary = np.dtype(mask_dtype).kind in "biu"
    weights = np.dtype(np.uint8) if binary else np.dtype(dtype)
    image_dtype = np.dtype(image_dtype)
    if not binary or image_dtype.kind not in "biu" or image_dtype.itemsize == 8:
        return np.dtype(dtype), weights
    if image_dtype.kind == "b":
        return np.dtype(np.uint8), weights
    wider = f"{image_dtype.kind}{2 * image_dtype.itemsize}"
    return np.dtype(wider), weights


def reduce_kept(
    taps: np.ndarray, stacks: tuple[np.ndarray, ...], dtype: np.dtype
) -> tuple[np.ndarray, ...]:
    """``taps`` (1, n) applied along axis 0 of each stack (n, ...), in ``dtype``.

    ``einsum`` converts the kept integers as it goes (no converted copy), on
    two threads, each over half of the pixels of every stack: about a float32
    matrix product's time (measured).
    """
    flats = [stack.reshape(stack.shape[0], -1) for stack in stacks]
    outs = [np.empty(flat.shape[1], dtype) for flat in flats]

    def reduce(half: int) -> None:
        for flat, out in zip(flats, outs, strict=True):
            part = (
                slice(0, flat.shape[1] // 2)
                if half == 0
                else slice(flat.shape[1] // 2, None)
            )
            np.einsum(
                "k,kp->p", taps[0], flat[:, part], out=out[part], dtype=dtype,
                casting="unsafe",
            )  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(reduce, (0, 1)))
    return tuple(
        out.reshape(stack.shape[1:]) for out, stack in zip(outs, stacks, strict=True)
    )


def _same_key(kept: tuple, key: tuple) -> bool:
    """Same living image and mask objects, same labels and dtype."""
    image, mask = kept[0](), kept[1]()
    alive = image is not None and mask is not None
    return alive and image is key[0]() and mask is key[1]() and kept[2:] == key[2:]


def _labels_key(labels: Any) -> Any:
    return None if labels is None else tuple(np.atleast_1d(labels).tolist())
