"""A live session: keeps one output layer caught up, piece by piece.

:class:`LiveSession` is the one owner of the background runner, the plan of
what is still missing and the progress bars.  The widget hands it an image,
a mask and checked options (:meth:`LiveSession.start`); from then on its
:class:`~napari_masked_blur._qt.edit_watcher.EditWatcher` reports edits and view
moves, the :class:`~napari_masked_blur._live.plan.LivePlan` says what to
compute next, the :class:`~napari_masked_blur._qt.runner.LatestRunner`
computes it off the main thread, and the result is written into the output
layer (:mod:`napari_masked_blur._qt.output_layers`) on the main thread.  No math
here: pieces are computed by :func:`~napari_masked_blur._api.route.run_piece`.

Dask-backed and multiscale images take another road: their output is a lazy
dask array (:mod:`napari_masked_blur._lazy`), which napari computes only
where it is displayed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import napari
import numpy as np
from napari.utils.notifications import show_error
from qtpy.QtCore import QTimer

from napari_masked_blur._api.route import run_piece
from napari_masked_blur._engines import never_compile
from napari_masked_blur._live.edits import broadcast_box
from napari_masked_blur._live.plan import LivePlan, Work
from napari_masked_blur._math.boxes import Box, box_pixels
from napari_masked_blur._math.options import BlurOptions, spatial_shape
from napari_masked_blur._qt.arrays import lazy_output, mask_array
from napari_masked_blur._qt.edit_watcher import EditWatcher
from napari_masked_blur._qt.output_layers import OutputLayers, output_names
from napari_masked_blur._qt.progress import ProgressBars
from napari_masked_blur._qt.runner import Job, LatestRunner, Result

# The rest of a volume waits until the view has been still this long, so a
# slider drag or a run of plane changes is never queued behind a chunk.
SETTLE_MS = 250
# In 3D the whole volume is on screen; re-upload it at most this often.
REFRESH_3D_S = 1.0
# Patches up to this many output pixels are computed on the main thread
# (see LiveSession.pump): a brush of 100 px at sigma 10 is (100 + 2 * 40)**2.
INLINE_PIXELS = 2**16


@dataclass(frozen=True)
class LiveJob:
    """What a submitted piece was for (the runner's job context)."""

    plan: LivePlan
    work: Work
    image: napari.layers.Image
    options: BlurOptions
    description: str
    other: napari.layers.Image | None = None


class LiveSession:
    """Keeps the output of one image and mask up to date while the user works.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the layers and the output live.
    on_status : callable
        ``on_status(text)``: a line for the widget's status label (done, or
        failed).
    on_shown : callable, optional
        ``on_shown()`` after each result is written into the output.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        on_status: Callable[[str], None],
        on_shown: Callable[[], None] | None = None,
    ) -> None:
        self._viewer = viewer
        self._on_status = on_status
        self._on_shown = on_shown
        self.runner = LatestRunner(
            self._on_result, self._on_error, self._on_busy, self._on_dropped
        )
        self.outputs = OutputLayers(viewer)
        self.watcher = EditWatcher(viewer, self._edited, self._view_moved)
        self.progress = ProgressBars(self._wants_busy_bar)
        self.plan: LivePlan | None = None  # None: nothing to do, or a lazy output
        self._image: napari.layers.Image | None = None
        self._mask: napari.layers.Layer | None = None
        self._options: BlurOptions | None = None
        self._description = ""
        self._other: napari.layers.Image | None = None
        self._last_3d_refresh = 0.0
        self._settle = QTimer(singleShot=True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.pump)
        self._lazy = False  # the output is a dask graph, not computed here
        self._lazy_pending = False
        self._closed = False

    def start(
        self,
        image: napari.layers.Image,
        mask: napari.layers.Layer,
        options: BlurOptions,
        description: str,
        other: napari.layers.Image | None = None,
    ) -> None:
        """Recompute everything for these layers and options, then follow edits.

        ``other``: the second image of a filter that takes one.
        """
        if (image, mask) != (self._image, self._mask):
            self._image, self._mask = image, mask
            self.watcher.follow(image, mask)
        self._options, self._description, self._other = options, description, other
        self.outputs.aim(image, *_outputs_of(image, options), below=mask)
        self.progress.volume_done()
        self._lazy = not isinstance(image.data, np.ndarray) or image.multiscale
        if self._lazy:
            self.plan = self.watcher.plan = None
            self.outputs.write_full(image, lazy_output(image, mask, options, other))
            return
        self.plan = LivePlan(
            spatial_shape(image.data.shape, options.channel_axis),
            options.reach,
            wrap=options.mode == "wrap",
            frames=options.frame_axes,
        )
        self.plan.view(*self.watcher.view())
        self.watcher.plan = self.plan
        self.watcher.snapshot()
        self._settle.start()
        self.pump(urgent=True)

    def pump(self, urgent: bool = False) -> None:
        """Start the plan's most urgent piece, if the runner is free.

        With ``urgent`` (new options, another plane on display) the piece is
        queued even while the runner works, so its thread takes it up the
        moment the running piece ends, without a round trip through the
        main thread.

        Small patches (a dab of the brush) are computed right here: about a
        millisecond of numpy, where a worker thread would first wait for the
        interpreter until Qt has repainted the window (40-60 ms measured
        under Xvfb, since Qt paints holding the GIL).  Everything else runs
        on the runner's thread.
        """
        while (work := self._next_work(urgent)) is not None:
            job = LiveJob(
                self.plan,
                work,
                self._image,
                self._options,
                self._description,
                self._other,
            )
            args = (
                np.asarray(self._image.data),
                mask_array(self._mask),
                self._options,
                work.region,
                None if self._other is None else np.asarray(self._other.data),
            )
            inline = work.kind == "patch" and box_pixels(work.region) <= INLINE_PIXELS
            if self.runner.busy or not inline:
                # Chunks of a volume stop between steps for a newer piece.
                droppable = work.kind == "chunk"
                self.runner.submit(_compute, *args, context=job, droppable=droppable)
                return
            try:
                values = _compute(*args)
            except Exception as exc:  # shown like a worker's error
                self._failed(exc, job)
                return
            self._apply(job, values)

    def stop(self) -> None:
        """Drop the current plan and whatever the runner is doing for it."""
        self.plan = self.watcher.plan = None
        self._lazy = False
        self.runner.cancel()
        # At interpreter exit Qt may already have deleted the timer and the
        # progress bar's widgets; an exception escaping a Qt slot would abort.
        with contextlib.suppress(RuntimeError):
            self._settle.stop()
            self.progress.volume_done()

    def close(self) -> None:
        """Stop all work and every connection; safe to call twice."""
        if self._closed:
            return
        self.stop()
        self._closed = True
        self.watcher.close()
        self.runner.close()
        self.progress.close()

    # -- what to do next ----------------------------------------------------
    def _next_work(self, urgent: bool = False) -> Work | None:
        plan = self.plan
        if self._closed or plan is None or self.runner.has_pending:
            return None
        if self.runner.busy and not urgent:
            return None
        work = plan.next(background=not self._settle.isActive())
        if work is None and plan.complete:
            self.progress.volume_done()
        elif work is not None and work.kind == "chunk":
            self.progress.volume(*plan.progress())
        return work

    def _edited(self, box: Box) -> None:
        if self._lazy:
            if not self._lazy_pending:  # once for a burst (a drag)
                self._lazy_pending = True
                QTimer.singleShot(0, self._restart_lazy)
            return
        if self.plan is not None:
            # A mask with fewer axes than the image serves every frame.
            self.plan.changed(
                broadcast_box(box, self._mask.data.shape, self.plan.shape)
            )
            # Programmatic edits are announced before their pixels are
            # written: read the mask a turn of the event loop later.
            QTimer.singleShot(0, self.pump)

    def _view_moved(self) -> None:
        if self.plan is None or not self.plan.volume:
            return
        self.plan.view(*self.watcher.view())
        self.watcher.snapshot()
        self._settle.start()
        self.pump(urgent=True)

    def _restart_lazy(self) -> None:
        # A new graph reading the mask as it is now; napari recomputes what
        # it shows.
        self._lazy_pending = False
        if self._lazy and not self._closed:
            output = lazy_output(self._image, self._mask, self._options, self._other)
            self.outputs.write_full(self._image, output)

    # -- the runner's news (main thread) ------------------------------------
    def _on_result(self, result: Result) -> None:
        job: LiveJob = result.job.context
        self._take(job, result.value)
        if self.plan is None or self.plan.complete:  # else: more pieces to come
            if job.plan is self.plan and job.image in self._viewer.layers:
                self.outputs.finished(job.image)
            seconds = f"{result.seconds:.2f} s"
            done = seconds if job.work.region is None else "up to date"
            self._on_status(f"{job.description}: {done}")

    def _take(self, job: LiveJob, values: np.ndarray) -> None:
        if job.image not in self._viewer.layers or self.plan is None:
            return
        if job.plan is not self.plan:
            # Older options.  While a slider is dragged every result is, by
            # the time it lands: show the whole image or the displayed plane
            # anyway (the plan of the newest options still owes it).
            if job.work.kind in ("full", "plane") and job.image is self._image:
                self._show_stale(job, values)
            return
        self._apply(job, values)

    def _on_error(self, exc: BaseException, job: Job) -> None:
        self._failed(exc, job.context)

    def _failed(self, exc: BaseException, job: LiveJob) -> None:
        """A piece failed: stop its plan, say so in the status and a notification."""
        if job.plan is self.plan:
            self.plan = self.watcher.plan = None
            self.progress.volume_done()
        self._on_status(f"failed: {exc}")
        show_error(f"Masked blur of {job.description} failed: {exc}")

    def _on_dropped(self, job: Job) -> None:
        # A queued piece was replaced before it ran: the plan still owes it.
        live_job: LiveJob = job.context
        if live_job.plan is self.plan:
            live_job.plan.dropped(live_job.work)

    def _on_busy(self, busy: bool) -> None:
        self.progress.busy(busy)
        if not busy:  # the runner is free: refreshes put off meanwhile, go on
            self.outputs.refresh_stale()
            self.pump()

    def _wants_busy_bar(self) -> bool:
        volume = self.plan is not None and self.plan.volume
        return self.runner.busy and not self._closed and not volume

    # -- writing results ----------------------------------------------------
    def _apply(self, job: LiveJob, values: np.ndarray) -> None:
        if job.work.region is None:
            self.outputs.write_full(job.image, values)
        else:
            self._write_region(job, values)
        job.plan.finished(job.work)
        self.progress.advance(job.plan.progress()[0])
        if self._on_shown is not None:
            self._on_shown()

    def _show_stale(self, job: LiveJob, values: np.ndarray) -> None:
        if job.work.region is None:
            self.outputs.write_full(job.image, values)
        elif job.work.region == self.plan.displayed_plane():
            self._write_region(job, values)

    def _write_region(self, job: LiveJob, values: np.ndarray) -> None:
        box = job.work.region
        self.outputs.write_region(
            job.image,
            box,
            values,
            job.options.channel_axis,
            refresh=self._refresh_when(box),
            busy=self.runner.busy,
        )

    def _refresh_when(self, box: Box) -> str:
        """When the screen should show ``box``: "now", "later" (3D) or "never"."""
        if not self.plan.volume:
            return "now"
        plane = self.plan.displayed_plane()
        if plane is None:  # 3D: re-upload the volume at most every REFRESH_3D_S
            now = time.monotonic()
            if now - self._last_3d_refresh < REFRESH_3D_S and not self.plan.complete:
                return "later"
            self._last_3d_refresh = now
            return "now"
        crosses = all(
            b.start < p.stop and p.start < b.stop
            for b, p in zip(box, plane, strict=True)
        )
        return "now" if crosses else "never"


def _outputs_of(image: napari.layers.Image, options: BlurOptions) -> tuple:
    """The output layers' names, and how they look (see
    :func:`~.output_layers.fit_look`): the blur like its input, a signed
    result (a derivative too) centred on 0, any other fitted to its range."""
    flt = options.filter
    names = output_names(image, flt, len(options.sigma) - len(options.frame_axes))
    if flt.signed or any(o > 0 for o in np.atleast_1d(getattr(options, "order", 0))):
        return names, "signed"
    return names, "input" if flt.name == "gaussian" else "fit"


def _compute(*args: Any) -> np.ndarray:
    """What every piece runs: ``run_piece``, looked up at each call.

    The last argument is the second image, passed as ``other=`` to the
    filters that take one (and only to them).  Never compiling numba's loops
    on this thread: they are got ready on the engines' loader (numpy's
    routes meanwhile).
    """
    *args, other = args
    with never_compile():
        if other is None:
            return run_piece(*args)
        return run_piece(*args, other=other)
