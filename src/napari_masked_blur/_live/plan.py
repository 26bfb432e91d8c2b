"""What to compute next so the output catches up: a plan, numpy only.

One :class:`LivePlan` covers one image, mask and set of options (a
"generation"); new options mean a new plan.  The live session asks
:meth:`~LivePlan.next` for one piece of work whenever its single background
thread is free, runs it (:func:`napari_masked_blur._api.route.run_piece`)
and reports back with :meth:`~LivePlan.finished` (or
:meth:`~LivePlan.dropped`).  Asking only when the thread is free is what
makes a drag "latest wins": whatever changed while a piece ran is folded
into the next one.

Images with at most two spatial axes are computed whole, then patched where
the mask changes.  Volumes are tracked plane by plane (every axis but the
last two): the displayed plane comes first, then mask patches, then the
rest of the volume in chunks, nearest to the displayed plane first.

Time-lapses: the frame axes (those not smoothed, such as time) have radius
0.  The rest of a movie is done frame by frame, the displayed frame first,
then its neighbours; a patch that reaches several frames (a 2D mask painted
over a movie) is done in the displayed frame first, then in all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from napari_masked_blur._live.chunks import chunk_boxes, chunk_steps
from napari_masked_blur._live.edits import frame_part, plane_box
from napari_masked_blur._math.boxes import Box, box_union, grow_box

# Scratch bytes of one chunk of a volume (20 bytes a pixel, see chunk_steps):
# one plane of 1024 x 1024 (more of smaller planes), well under a tenth of a
# second of work, so that a move to another plane never waits long behind
# the chunk in progress.  Bigger chunks finish a volume sooner (3 planes:
# about half the time) but made that wait 60 ms longer (measured).
LIVE_CHUNK_BUDGET = 32 * 2**20


@dataclass(frozen=True)
class Work:
    """One piece of work: ``kind`` over ``region`` (spatial; None = everything).

    kind is "full" (the whole image at once), "plane" (the displayed plane
    of a volume), "patch" (the output a mask change reaches: the changed
    box grown by the kernel radius) or "chunk" (a slab of the volume).
    """

    kind: str
    region: Box | None


class LivePlan:
    """The pieces still missing from the output of one generation.

    Parameters
    ----------
    shape : tuple of int
        Spatial shape of the image (and mask).
    radius : tuple of int
        Kernel radius per axis (see ``kernel_radius``).
    wrap : bool
        Border mode "wrap": a change near one border reaches the other.
    budget : int
        Working-set bytes for one chunk of a volume.
    frames : tuple of int
        The frame axes (not smoothed): the displayed frame is done first.
    """

    def __init__(
        self,
        shape: Sequence[int],
        radius: Sequence[int],
        *,
        wrap: bool = False,
        budget: int = LIVE_CHUNK_BUDGET,
        frames: Sequence[int] = (),
    ) -> None:
        self.shape = tuple(shape)
        self._frames = tuple(frames)
        self._rest: Box | None = None  # patches of the frames not on display
        self._radius = tuple(radius)
        self._wrap = wrap
        self.volume = len(self.shape) > 2
        self._dirty: Box | None = None
        self._position = (0,) * len(self.shape)
        self._displayed: tuple[int, ...] = tuple(range(len(self.shape)))[-2:]
        self._full_pending = not self.volume
        if self.volume:
            planes = tuple(range(len(self.shape) - 2))
            self._steps = chunk_steps(self.shape, planes, radius, budget)
            self.done = np.zeros(self.shape[:-2], bool)
        else:
            self.done = np.zeros((), bool)

    # -- what happened ----------------------------------------------------
    def view(self, position: Sequence[int], displayed: Sequence[int]) -> None:
        """The viewer now shows ``displayed`` axes at data index ``position``."""
        self._position = tuple(
            int(np.clip(p, 0, n - 1)) for p, n in zip(position, self.shape, strict=True)
        )
        self._displayed = tuple(displayed)

    def changed(self, box: Box) -> None:
        """The mask changed inside ``box``."""
        self._dirty = box_union(self._dirty, box)

    # -- what to do -------------------------------------------------------
    def next(self, background: bool = True) -> Work | None:
        """The most urgent missing piece, now taken out of the plan.

        With ``background`` False the volume's remaining chunks are held
        back (while a slider is dragged only what is on display counts).
        """
        if self._full_pending:
            self._full_pending = False
            self._dirty = None  # the full computation reads the mask as it is now
            return Work("full", None)
        plane = self.displayed_plane()
        if plane is not None and not self.is_done(plane):
            return Work("plane", plane)
        if self._dirty is not None:
            box, self._dirty = self._dirty, None
            grown = grow_box(box, self._radius, self.shape, wrap=self._wrap)
            shown = frame_part(grown, self._frames, self._position)
            if shown is None:
                return Work("patch", grown)
            self._rest = box_union(self._rest, grown)
            return Work("patch", shown)
        if self._rest is not None:
            rest, self._rest = self._rest, None
            return Work("patch", rest)
        if self.volume and background:
            for box in self._chunks():
                if not self.is_done(box):
                    return Work("chunk", box)
        return None

    def finished(self, work: Work) -> None:
        """``work``'s result is in the output."""
        if self.volume and work.kind in ("plane", "chunk"):
            self.done[work.region[:-2]] = True
        elif work.kind == "full":
            self.done[()] = True

    def dropped(self, work: Work) -> None:
        """``work`` failed or was never applied: put it back."""
        if work.kind == "full":
            self._full_pending = True
        elif work.kind == "patch":
            self._rest = box_union(self._rest, work.region)

    # -- state --------------------------------------------------------------
    def displayed_plane(self) -> Box | None:
        """The box on display in a 2D view of a volume; None otherwise."""
        if not self.volume or len(self._displayed) != 2:
            return None
        return plane_box(self.shape, self._displayed, self._position)

    def is_done(self, box: Box) -> bool:
        """Whether the output over ``box`` is complete.

        Tracked per plane of the leading axes, so only boxes whole along
        the last two axes can be done.
        """
        whole = all(
            s.start == 0 and s.stop == n
            for s, n in zip(box[-2:], self.shape[-2:], strict=True)
        )
        return whole and bool(self.done[box[:-2]].all())

    @property
    def complete(self) -> bool:
        """Nothing left to compute."""
        pending = self._dirty is not None or self._rest is not None
        return bool(self.done.all()) and not pending and not self._full_pending

    def progress(self) -> tuple[int, int]:
        """(planes done, planes in all) for a progress bar."""
        return int(self.done.sum()), int(self.done.size)

    def _chunks(self) -> list[Box]:
        planes = tuple(range(len(self.shape) - 2))
        start = self._position[:-2]
        return chunk_boxes(self.shape, planes, self._steps, start, self._frames)
