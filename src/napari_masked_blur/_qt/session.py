"""The live side of the widget: keeps one output layer caught up, piece by piece.

:class:`LiveView` listens to the mask layer (paint strokes, the drag in
progress, undo/redo) and to the viewer's dims (plane, 2D/3D), tells its
:class:`~napari_masked_blur._live_plan.LivePlan` what changed, and whenever
the background runner is free hands it the plan's most urgent piece.  Each
piece's result is written into the output layer on the main thread.  No
math here: regions come from ``_live``, the blur from ``_live_plan.compute``.

Dask-backed and multiscale images take another road: their output is a lazy
dask array (``_lazy``), which napari computes only where it is displayed.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import napari
import numpy as np
from napari.utils import progress
from napari.utils.notifications import show_error
from qtpy.QtCore import QTimer

from napari_masked_blur._blur.boxes import Box, box_pixels, with_channel
from napari_masked_blur._blur.options import BlurOptions, output_dtype
from napari_masked_blur._live.edits import changed_box, paint_box, update_box
from napari_masked_blur._live.plan import LivePlan, Work, compute_piece
from napari_masked_blur._qt.runner import LatestRunner, Result

# The rest of a volume waits until the view has been still this long, so a
# slider drag or a run of plane changes is never queued behind a chunk.
SETTLE_MS = 250
# In 3D the whole volume is on screen; re-upload it at most this often.
REFRESH_3D_S = 1.0
# Patches up to this many output pixels are computed on the main thread
# (see LiveView.pump): a brush of 100 px at sigma 10 is (100 + 2 * 40)**2.
INLINE_PIXELS = 2**16


@dataclass(frozen=True)
class LiveJob:
    """What a submitted piece was for (the runner's job context)."""

    plan: LivePlan
    work: Work
    image: napari.layers.Image
    description: str


class LiveView:
    """Keeps the output of one image and mask up to date while the user works.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose dims say what is on display.
    runner : LatestRunner
        The widget's background runner; ``pump`` submits only while it idles,
        and the widget calls ``pump`` when it goes idle.
    write_full : callable
        ``write_full(image, data)`` replaces (or creates) the output layer's
        data with ``data`` (numpy, dask or a multiscale list).
    output_layer : callable
        ``output_layer(image)`` gives the output layer, or None.
    compute : callable
        ``compute(image, mask, settings, region)``, run in the worker:
        :func:`~napari_masked_blur._live.plan.compute_piece` unless given.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        runner: LatestRunner,
        *,
        write_full: Callable[[napari.layers.Image, Any], None],
        output_layer: Callable[[napari.layers.Image], napari.layers.Image | None],
        compute: Callable[..., np.ndarray] = compute_piece,
    ) -> None:
        self._viewer = viewer
        self._compute = compute
        self._runner = runner
        self._write_full = write_full
        self._output_layer = output_layer
        self._plan: LivePlan | None = None
        self._image: napari.layers.Image | None = None
        self._mask: napari.layers.Layer | None = None
        self._settings: BlurOptions | None = None
        self._description = ""
        self._wired: list[tuple[Any, Callable]] = []
        self._snapshot: tuple[Box | None, np.ndarray] | None = None
        self._history: tuple[int, int] | None = None  # (undo, redo) lengths
        self._progress: progress | None = None
        self._last_3d_refresh = 0.0
        self._settle = QTimer(singleShot=True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.pump)
        # Output refreshes put off while the runner works: "view" (3D shows
        # chunks at most every REFRESH_3D_S) and "thumbnail".
        self._stale: dict[str, napari.layers.Image] = {}
        self._lazy = False  # the output is a dask graph, not computed here
        self._lazy_pending = False
        self._closed = False

    # -- the widget's side ------------------------------------------------
    def start(
        self,
        image: napari.layers.Image,
        mask: napari.layers.Layer,
        settings: BlurOptions,
        description: str,
    ) -> None:
        """Recompute everything for these layers and settings, then follow edits."""
        if (image, mask) != (self._image, self._mask):
            self._follow(image, mask)
        self._settings, self._description = settings, description
        self._close_progress()
        self._lazy = _is_lazy(image.data) or image.multiscale
        if self._lazy:
            self._plan = None
            self._write_full(image, self._lazy_output())
            return
        space = tuple(self._mask.data.shape)
        self._plan = LivePlan(space, settings.radius, wrap=settings.mode == "wrap")
        self._plan.view(*self._view())
        self._take_snapshot()
        self._settle.start()
        self.pump(urgent=True)

    def pump(self, urgent: bool = False) -> None:
        """Start the plan's most urgent piece, if the runner is free.

        With ``urgent`` (new settings, another plane on display) the piece
        is queued even while the runner works, so its thread takes it up
        the moment the running piece ends, without a round trip through the
        main thread.

        Small patches (a dab of the brush) are computed right here: about a
        millisecond of numpy, where a worker thread would first wait for the
        interpreter until Qt has repainted the window (40-60 ms measured
        under Xvfb, since Qt paints holding the GIL).  Everything else runs
        on the runner's thread.
        """
        while (work := self._next_work(urgent)) is not None:
            job = LiveJob(self._plan, work, self._image, self._description)
            args = (
                np.asarray(self._image.data),
                _mask_array(self._mask),
                self._settings,
                work.region,
            )
            inline = work.kind == "patch" and box_pixels(work.region) <= INLINE_PIXELS
            if self._runner.busy or not inline:
                self._runner.submit(self._compute, *args, context=job)
                return
            try:
                values = self._compute(*args)
            except Exception as exc:  # shown like a worker's error
                self.on_error(job)
                show_error(f"Masked blur of {job.description} failed: {exc}")
                return
            self._apply(job, values)

    def on_idle(self) -> None:
        """The runner is free: catch up on refreshes put off meanwhile, go on."""
        stale, self._stale = self._stale, {}
        view, thumbnail = stale.get("view"), stale.get("thumbnail")
        if view is not None and view in self._viewer.layers:
            view.refresh(extent=False, highlight=False)
        elif thumbnail is not None and thumbnail in self._viewer.layers:
            thumbnail.refresh(data_displayed=False, extent=False, highlight=False)
        self.pump()

    def _next_work(self, urgent: bool = False) -> Work | None:
        plan = self._plan
        if self._closed or plan is None or self._runner.has_pending:
            return None
        if self._runner.busy and not urgent:
            return None
        work = plan.next(background=not self._settle.isActive())
        if work is None and plan.complete:
            self._close_progress()
        elif work is not None:
            self._show_progress(work)
        return work

    def on_result(self, result: Result) -> None:
        """Write a finished piece into the output layer (main thread)."""
        job: LiveJob = result.job.context
        if job.image not in self._viewer.layers or self._plan is None:
            return
        if job.plan is not self._plan:
            # Older settings.  While a slider is dragged every result is, by
            # the time it lands: show the whole image or the displayed plane
            # anyway (the plan of the newest settings still owes it).
            if job.work.kind in ("full", "plane") and job.image is self._image:
                self._show_stale(job, result.value)
            return
        self._apply(job, result.value)

    def _apply(self, job: LiveJob, values: np.ndarray) -> None:
        if job.work.region is None:
            self._write_full(job.image, values)
        else:
            self._write_region(job, job.work.region, values)
        job.plan.finished(job.work)
        if self._progress is not None:
            self._progress.n = job.plan.progress()[0]
            self._progress.refresh()

    def on_dropped(self, job: LiveJob) -> None:
        """A queued piece was replaced before it ran: the plan still owes it."""
        if job.plan is self._plan:
            job.plan.dropped(job.work)

    def on_error(self, job: LiveJob) -> None:
        """A piece failed: stop this plan (the widget shows the error)."""
        if job.plan is self._plan:
            self._plan = None
            self._close_progress()

    def stop(self) -> None:
        """Drop the current plan and whatever the runner is doing for it."""
        self._plan, self._lazy = None, False
        self._runner.cancel()
        # At interpreter exit Qt may already have deleted the timer and the
        # progress bar's widgets; an exception escaping a Qt slot would abort.
        with contextlib.suppress(RuntimeError):
            self._settle.stop()
            self._close_progress()

    def close(self) -> None:
        """Stop following the layers and the viewer; safe to call twice."""
        self.stop()
        self._closed = True
        self._unwire()

    @property
    def plan(self) -> LivePlan | None:
        """The plan of the current settings (None for lazy outputs)."""
        return self._plan

    # -- following the layers and the viewer ---------------------------------
    def _follow(self, image: napari.layers.Image, mask: napari.layers.Layer) -> None:
        self._unwire()
        self._image, self._mask = image, mask
        self._history = _history_lengths(mask)
        dims = self._viewer.dims.events
        for emitter in (dims.current_step, dims.ndisplay, dims.order):
            self._wire(emitter, self._on_view)
        if isinstance(mask, napari.layers.Labels):
            self._wire(mask.events.paint, self._on_paint)
            self._wire(mask.events.labels_update, self._on_drag)
            self._wire(mask.events.set_data, self._on_refresh)

    def _wire(self, emitter: Any, callback: Callable) -> None:
        emitter.connect(callback)
        self._wired.append((emitter, callback))

    def _unwire(self) -> None:
        for emitter, callback in self._wired:
            emitter.disconnect(callback)
        self._wired = []

    def _on_paint(self, event: Any) -> None:
        # Fires once per stroke, fill or polygon, and for programmatic edits
        # before the pixels are written: note the box now, read it later.
        self._history = _history_lengths(self._mask)
        box = paint_box(event.value, self._mask.data.shape)
        if box is not None:
            self._changed(box)

    def _on_drag(self, event: Any) -> None:
        position, displayed = self._view(self._mask)
        offset = event.offset
        block = np.shape(event.data)[: len(offset)]
        self._changed(update_box(offset, block, displayed, position))

    def _on_refresh(self, _event: Any = None) -> None:
        # Undo and redo announce themselves only by a refresh (as does every
        # re-slice): see whether an edit moved between napari's undo and
        # redo histories since last seen.
        QTimer.singleShot(0, self._check_history)

    def _check_history(self) -> None:
        if self._plan is None or self._closed:
            return
        moved = _moved_edits(self._mask, self._history)
        self._history = _history_lengths(self._mask)
        if not moved:
            # No undo or redo seen: an edit a script wrote into the data, or
            # a mere re-slice; the displayed part, compared with the last
            # snapshot, tells.
            self._check_snapshot()
            return
        box = paint_box((atom for item in moved for atom in item), self._plan.shape)
        if box is not None:
            self._changed(box)

    def _on_view(self, _event: Any = None) -> None:
        if self._plan is None or not self._plan.volume:
            return
        self._plan.view(*self._view())
        self._take_snapshot()
        self._settle.start()
        self.pump(urgent=True)

    def _changed(self, box: Box) -> None:
        if self._lazy:
            if not self._lazy_pending:  # once for a burst (a drag)
                self._lazy_pending = True
                QTimer.singleShot(0, self._restart_lazy)
            return
        if self._plan is None:
            return
        self._plan.changed(box)
        QTimer.singleShot(0, functools.partial(self._after_edit, box))

    def _after_edit(self, box: Box) -> None:
        # By now the edit's pixels are written.
        if self._snapshot is not None and self._snapshot[0] is None:
            self._snapshot[1][box] = self._mask.data[box]
        elif self._snapshot is not None:
            self._take_snapshot()
        self.pump()

    def _restart_lazy(self) -> None:
        # A new graph reading the mask as it is now; napari recomputes what
        # it shows.
        self._lazy_pending = False
        if self._lazy and not self._closed:
            self._write_full(self._image, self._lazy_output())

    def _view(self, layer: napari.layers.Layer | None = None):
        """Data index of the displayed point and the displayed data axes.

        In the data coordinates of ``layer`` (default: the image).
        """
        layer, dims = layer or self._image, self._viewer.dims
        point = np.round(layer.world_to_data(dims.point)).astype(int)
        shift = dims.ndim - layer.ndim
        displayed = tuple(d - shift for d in dims.displayed if d >= shift)
        return tuple(int(p) for p in point), displayed

    # -- undo and redo: what changed since last seen -------------------------
    def _take_snapshot(self) -> None:
        """Keep a copy of the mask (of the displayed plane, for volumes)."""
        if not isinstance(self._mask, napari.layers.Labels) or self._plan is None:
            self._snapshot = None
            return
        data = self._mask.data
        plane = self._plan.displayed_plane() if self._plan.volume else None
        if self._plan.volume and plane is None:
            self._snapshot = None  # 3D view: no cheap way to spot an undo
            return
        part = data if plane is None else data[plane]
        self._snapshot = (plane, np.array(part, copy=True))

    def _check_snapshot(self) -> None:
        if self._snapshot is None or self._plan is None or self._closed:
            return
        plane, seen = self._snapshot
        if self._mask.data.shape != self._plan.shape:
            return  # new mask data: the widget starts over (events.data)
        if plane is not None and plane != self._plan.displayed_plane():
            return  # a re-slice to another plane: nothing was edited
        now = self._mask.data if plane is None else self._mask.data[plane]
        box = changed_box(seen, np.asarray(now))
        if box is not None:
            if plane is not None:
                box = tuple(
                    slice(p.start + b.start, p.start + b.stop)
                    for p, b in zip(plane, box, strict=True)
                )
            self._changed(box)

    # -- writing results ------------------------------------------------------
    def _show_stale(self, job: LiveJob, values: np.ndarray) -> None:
        if job.work.region is None:
            self._write_full(job.image, values)
        elif job.work.region == self._plan.displayed_plane():
            self._write_region(job, job.work.region, values)

    def _write_region(self, job: LiveJob, box: Box, values: np.ndarray) -> None:
        out = self._output_for(job.image, values.dtype)
        key = with_channel(box, self._settings.channel_axis)
        out.data[key] = values
        busy = self._runner.busy
        if self._shows(box):
            # The layer's shape stays, so its extent does too.  Its thumbnail
            # is redrawn once no other piece runs or waits (on_idle): during a
            # slider drag the layer list repainted each new thumbnail for
            # 8.6 ms of the main thread (profiled: 0.23 s over 27 updates).
            out.refresh(thumbnail=not busy, extent=False, highlight=False)
            if busy:
                self._stale["thumbnail"] = out
        elif self._plan.displayed_plane() is None:
            self._stale["view"] = out  # 3D, refreshed a moment ago: later

    def _output_for(self, image: napari.layers.Image, dtype: np.dtype):
        """The output layer, made (zeros, allocated lazily) if it can't take writes."""
        out = self._output_layer(image)
        shape = image.data.shape
        fits = (
            out is not None
            and isinstance(out.data, np.ndarray)
            and out.data.shape == shape
            and out.data.dtype == dtype
            and out.data.flags.writeable
        )
        if not fits:
            self._write_full(image, np.zeros(shape, output_dtype(dtype)))
            out = self._output_layer(image)
        return out

    def _shows(self, box: Box) -> bool:
        """Whether ``box`` is on screen now (3D: at most every REFRESH_3D_S)."""
        if not self._plan.volume:
            return True
        plane = self._plan.displayed_plane()
        if plane is None:
            now = time.monotonic()
            if now - self._last_3d_refresh < REFRESH_3D_S and not self._plan.complete:
                return False
            self._last_3d_refresh = now
            return True
        return all(
            b.start < p.stop and p.start < b.stop
            for b, p in zip(box, plane, strict=True)
        )

    def _lazy_output(self) -> Any:
        from napari_masked_blur._lazy.multiscale import multiscale_masked_gaussian
        from napari_masked_blur._lazy.overlap import masked_gaussian_lazy

        settings, image = self._settings, self._image
        mask = self._mask.data
        if isinstance(self._mask, napari.layers.Image) and not self._mask.multiscale:
            mask = _as_certainty(mask)
        if image.multiscale:
            levels = list(image.data)
            mask = list(mask) if self._mask.multiscale else mask
            return multiscale_masked_gaussian(levels, mask, settings)
        return masked_gaussian_lazy(image.data, mask, settings)

    # -- progress -------------------------------------------------------------
    def _show_progress(self, work: Work) -> None:
        if work.kind == "chunk" and self._progress is None:
            done, total = self._plan.progress()
            self._progress = progress(total=total, desc="Masked blur: volume")
            self._progress.n = done
            self._progress.refresh()

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None


def _history_lengths(mask: napari.layers.Layer) -> tuple[int, int] | None:
    """Lengths of a Labels layer's undo and redo histories (None: not readable)."""
    undo = getattr(mask, "_undo_history", None)
    redo = getattr(mask, "_redo_history", None)
    if undo is None or redo is None:
        return None
    return len(undo), len(redo)


def _moved_edits(mask: napari.layers.Layer, before: tuple[int, int] | None) -> list:
    """The history items undone or redone since the lengths were ``before``.

    An undo moves the newest item of the undo history to the redo history,
    a redo moves it back; each item is the list of atoms of one edit.
    Empty when nothing moved or the histories cannot tell (none to read, or
    changed some other way).
    """
    now = _history_lengths(mask)
    if now is None or before is None:
        return []
    undone, redone = before[0] - now[0], before[1] - now[1]
    if undone > 0 and redone == -undone:
        return list(mask._redo_history)[-undone:]
    if undone < 0 and redone == -undone:
        return list(mask._undo_history)[undone:]
    return []


def _is_lazy(data: Any) -> bool:
    """Anything but an in-memory numpy array (dask, zarr, ...) stays lazy."""
    return not isinstance(data, np.ndarray)


def _mask_array(mask: napari.layers.Layer) -> np.ndarray:
    """The mask layer's data as the blur reads it: an Image layer is a certainty map."""
    data = np.asarray(mask.data)
    if isinstance(mask, napari.layers.Image):
        return _as_certainty(data)
    return data


def _as_certainty(data: Any) -> Any:
    return data if data.dtype.kind == "f" else data.astype(np.float32)
