"""The products ``image * w`` and ``w`` around a displayed plane, kept between sigmas.

While a sigma slider is dragged over a volume shown in 2D, every new value
needs the displayed plane again: the planes within the kernel radius along
the hidden axis are reduced by a few kernel taps, then the plane is smoothed.
Making the products from the uint16 image and the label mask is most of
that work (74 ms for the 25 planes of 1024 x 1024 that sigma 3 needs, where
reducing ready float32 products takes 6 ms; one core, measured).  The
products do not depend on sigma, so they are made once and kept here, plane
by plane: a larger sigma makes only the planes it adds.

Numpy only.  One worker thread uses a cache; the main thread only calls
:meth:`PlaneProducts.invalidate` (the mask was edited, the view moved) and
:meth:`PlaneProducts.release`.
"""

from __future__ import annotations

import math
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from napari_masked_blur._core import mask_inside, mask_to_weights, zero_missing

# The most the kept products may take.  For 1024 x 1024 planes of a uint16
# image and a label mask (3 bytes a pixel, see storage_dtypes) that is 170
# planes, the reach of sigma 21 at truncate 4; in float32, 64 planes.
BUDGET_BYTES = 512 * 2**20
# Planes made per numpy call.
_BLOCK_PLANES = 8


class PlaneProducts:
    """``image * w`` and ``w`` for planes along axis 0 around one plane.

    Parameters
    ----------
    budget : int
        Most bytes the two stacks may take; a request beyond it is refused
        (:meth:`products` returns None) and the caller computes as usual.
    """

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self._budget = budget
        self._generation = 0
        self._lock = threading.Lock()
        self._stack: _Stack | None = None
        self._spare: tuple[np.ndarray, np.ndarray] | None = None  # its memory
        # (key, output planes, how many calls in a row) of the last calls
        self._asked: tuple | None = None

    def invalidate(self) -> None:
        """The mask or image changed, or the view moved: forget what is kept.

        The memory stays for the next planes (touching fresh memory costs
        0.8 ms a MB on these machines, measured); :meth:`release` frees it.
        """
        with self._lock:
            self._generation += 1
            if self._stack is not None:
                self._spare = (self._stack.numerator, self._stack.weights)
            self._stack = None

    def release(self) -> None:
        """Forget what is kept and free its memory."""
        with self._lock:
            self._generation += 1
            self._stack = self._spare = None

    def products(
        self,
        image: np.ndarray,
        mask: np.ndarray,
        planes: slice,
        output: slice,
        labels: Any,
        dtype: np.dtype,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``(image * w, w)`` over ``planes`` of axis 0, all of the other axes.

        ``planes`` is the window that the ``output`` planes need.  Returns
        None (the caller computes as usual, which is faster once) until the
        same output planes are asked for a third time in a row: a third
        sigma for one plane is a slider being dragged, while a move to a
        plane and one change of sigma there is not.  From then on the
        products are kept, and made only for planes not kept yet.  None
        also when they would not fit in the budget.  Non-finite image
        pixels get ``w = 0``, as everywhere.
        """
        key = (weakref.ref(image), weakref.ref(mask), _labels_key(labels), dtype)
        asked = self._asked
        again = asked is not None and _same_key(asked[0], key) and asked[1] == output
        calls = asked[2] + 1 if again else 1
        self._asked = (key, output, calls)
        with self._lock:
            generation, stack = self._generation, self._stack
            spare = self._spare if stack is None else (stack.numerator, stack.weights)
        if stack is None or not stack.serves(key, output):
            if calls < 3:
                return None
            dtypes = storage_dtypes(image.dtype, mask.dtype, dtype)
            buffers = _buffers(spare, image.shape, dtypes, self._budget)
            stack = _Stack(key, output, image.shape[0], buffers)
        if not stack.holds(planes):
            return None
        stack.fill(image, mask, planes, labels)
        with self._lock:
            if generation == self._generation:  # no edit while they were made
                self._stack = stack
        return stack.view(planes)


class _Stack:
    """Room for the products of planes around ``output``, filled as needed.

    ``numerator`` and ``weights`` hold planes ``start:stop`` of the image;
    their pages cost memory only once touched, so memory follows the planes
    actually made.
    """

    def __init__(
        self,
        key: tuple,
        output: slice,
        length: int,
        buffers: tuple[np.ndarray, np.ndarray],
    ) -> None:
        capacity = buffers[0].shape[0]
        middle = (output.start + output.stop) // 2
        self.start = int(np.clip(middle - capacity // 2, 0, length - capacity))
        self.stop = self.start + capacity
        self.key, self.output = key, output
        self.numerator, self.weights = buffers
        self.made = np.zeros(capacity, bool)

    def serves(self, key: tuple, output: slice) -> bool:
        return output == self.output and _same_key(self.key, key)

    def holds(self, planes: slice) -> bool:
        return self.start <= planes.start and planes.stop <= self.stop

    def fill(self, image: np.ndarray, mask: np.ndarray, planes: slice, labels: Any):
        rows = slice(planes.start - self.start, planes.stop - self.start)
        missing = np.flatnonzero(~self.made[rows]) + rows.start
        # Runs of consecutive missing planes: a wider kernel adds one each side.
        for run in np.split(missing, np.flatnonzero(np.diff(missing) > 1) + 1):
            if run.size:
                lo, hi = int(run[0]), int(run[-1]) + 1
                _make_products(
                    image, mask, self.start, (lo, hi), labels, self.numerator,
                    self.weights,
                )  # fmt: skip
                self.made[lo:hi] = True

    def view(self, planes: slice) -> tuple[np.ndarray, np.ndarray]:
        rows = slice(planes.start - self.start, planes.stop - self.start)
        return self.numerator[rows], self.weights[rows]


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
    plane_bytes = sum(np.dtype(d).itemsize for d in dtypes) * math.prod(shape[1:])
    capacity = min(budget // plane_bytes, shape[0])
    room = (capacity, *shape[1:])
    return np.empty(room, dtypes[0]), np.empty(room, dtypes[1])


def storage_dtypes(
    image_dtype: np.dtype, mask_dtype: np.dtype, dtype: np.dtype
) -> tuple[np.dtype, np.dtype]:
    """How ``image * w`` and ``w`` are kept: exactly, in as few bytes as can be.

    A label (or bool) mask gives weights 0 or 1, kept as uint8; times an
    integer image that is the image's own value or 0, kept in the image's
    type.  Anything else is kept in ``dtype``, the type of the result.
    Fewer bytes matter: first writes to fresh memory cost 0.8-1.9 ms a MB on
    these machines (measured), and a drag keeps up to the budget's worth.
    """
    binary = np.dtype(mask_dtype).kind in "biu"
    weights = np.dtype(np.uint8) if binary else np.dtype(dtype)
    whole = binary and np.dtype(image_dtype).kind in "biu"
    numerator = np.dtype(image_dtype) if whole else np.dtype(dtype)
    if numerator.kind == "b":
        numerator = np.dtype(np.uint8)
    return numerator, weights


def reduce_kept(taps: np.ndarray, stack: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``taps`` (m, n) applied along axis 0 of ``stack`` (n, ...), in ``dtype``.

    ``einsum`` converts the kept integers as it goes (no converted copy), on
    two threads, each over half of the pixels: 7-9 ms for 25 planes of
    1024 x 1024, about a float32 matrix product's time (measured).
    """
    flat = stack.reshape(stack.shape[0], -1)
    out = np.empty((taps.shape[0], flat.shape[1]), dtype)

    def reduce(part: slice) -> None:
        np.einsum(
            "mk,kp->mp", taps, flat[:, part], out=out[:, part], dtype=dtype,
            casting="unsafe",
        )  # fmt: skip

    half = flat.shape[1] // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(reduce, [slice(0, half), slice(half, None)]))
    return out.reshape(taps.shape[0], *stack.shape[1:])


def _same_key(kept: tuple, key: tuple) -> bool:
    """Same living image and mask objects, same labels and dtype."""
    image, mask = kept[0](), kept[1]()
    alive = image is not None and mask is not None
    return alive and image is key[0]() and mask is key[1]() and kept[2:] == key[2:]


def _labels_key(labels: Any) -> Any:
    return None if labels is None else tuple(np.atleast_1d(labels).tolist())


def _make_products(
    image: np.ndarray,
    mask: np.ndarray,
    offset: int,
    rows: tuple[int, int],
    labels: Any,
    numerator: np.ndarray,
    weights: np.ndarray,
) -> None:
    """Fill ``rows`` of the stacks (plane ``offset + row`` of the image).

    In blocks of planes on two threads: few large numpy calls rather than
    many small ones, since each call may wait for the interpreter while the
    main thread repaints (an 8-call-a-plane version took up to a second for
    49 planes during a slider drag under Xvfb, measured).
    """

    def make(first: int) -> None:
        block = slice(first, min(first + _BLOCK_PLANES, rows[1]))
        source = slice(offset + block.start, offset + block.stop)
        planes = np.asarray(image[source])
        w = weights[block]
        if w.dtype == np.uint8:  # a label mask: 0 or 1
            w[...] = mask_inside(np.asarray(mask[source]), labels)
        else:
            w[...] = mask_to_weights(np.asarray(mask[source]), labels)
        np.multiply(planes, w, out=numerator[block], casting="unsafe")
        zero_missing(planes, w, numerator[block])

    firsts = range(rows[0], rows[1], _BLOCK_PLANES)
    if len(firsts) == 1:  # the planes a slightly wider kernel adds
        make(firsts[0])
        return
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(make, firsts))
