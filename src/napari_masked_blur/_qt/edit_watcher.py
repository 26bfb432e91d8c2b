"""Follows the mask layer and the viewer: what was edited, what is on display.

:class:`EditWatcher` turns napari's events into the two things the live
session needs to know: "the mask changed inside this box" (a brush stroke
ended, a drag is under way, an undo or redo, or a script wrote into the
data) and "the view moved" (another plane, 2D/3D, another axis order).
Boxes are computed by :mod:`napari_masked_blur._live.edits`; here only the
events are followed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import napari
import numpy as np
from qtpy.QtCore import QTimer

from napari_masked_blur._live.edits import (
    changed_box,
    mask_box,
    paint_box,
    update_box,
)
from napari_masked_blur._live.plan import LivePlan
from napari_masked_blur._math.boxes import Box
from napari_masked_blur._qt.connections import Connections


class EditWatcher:
    """Reports edits of a mask layer and moves of the viewer's view.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose dims say what is on display.
    on_edit : callable
        ``on_edit(box)`` as soon as an edit is announced; for programmatic
        edits napari announces them before their pixels are written, so
        whatever reads the mask should wait a turn of the event loop.
    on_view : callable
        ``on_view()`` when the displayed plane, 2D/3D or the axis order changed.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        on_edit: Callable[[Box], None],
        on_view: Callable[[], None],
    ) -> None:
        self._viewer = viewer
        self._on_edit = on_edit
        self._on_view = on_view
        self.plan: LivePlan | None = None  # the session's; read for undo checks
        self.image: napari.layers.Image | None = None
        self.mask: napari.layers.Layer | None = None
        self._connections = Connections()
        self._snapshot: tuple[Box | None, np.ndarray] | None = None
        self._history: tuple[int, int] | None = None  # (undo, redo) lengths
        self._closed = False

    def follow(self, image: napari.layers.Image, mask: napari.layers.Layer) -> None:
        """Follow ``mask``'s edits and the viewer's dims (for ``image``)."""
        connections = self._connections
        connections.disconnect_all()
        self.image, self.mask = image, mask
        self._history = _history_lengths(mask)
        dims = self._viewer.dims.events
        for emitter in (dims.current_step, dims.ndisplay, dims.order):
            connections.connect(emitter, self._view_moved)
        if isinstance(mask, napari.layers.Labels):
            connections.connect(mask.events.paint, self._on_paint)
            connections.connect(mask.events.labels_update, self._on_drag)
            connections.connect(mask.events.set_data, self._on_refresh)

    def close(self) -> None:
        """Stop following; safe to call twice."""
        self._closed = True
        self._connections.disconnect_all()

    def view(
        self, layer: napari.layers.Layer | None = None
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Data index of the displayed point and the displayed data axes.

        In the data coordinates of ``layer`` (default: the image).
        """
        layer, dims = layer or self.image, self._viewer.dims
        point = np.round(layer.world_to_data(dims.point)).astype(int)
        shift = dims.ndim - layer.ndim
        displayed = tuple(d - shift for d in dims.displayed if d >= shift)
        return tuple(int(p) for p in point), displayed

    def snapshot(self) -> None:
        """Keep a copy of the mask (of the displayed plane, for volumes).

        An edit napari does not announce (a script writing into the data)
        shows later as a difference from it.  The plane is cut to the mask's
        own axes: a 2D mask over a movie is kept whole.
        """
        plan = self.plan
        if not isinstance(self.mask, napari.layers.Labels) or plan is None:
            self._snapshot = None
            return
        plane = plan.displayed_plane() if plan.volume else None
        if plan.volume and plane is None:
            self._snapshot = None  # 3D view: no cheap way to spot an undo
            return
        self._snapshot = (plane, np.array(self._mask_part(plane), copy=True))

    def _mask_part(self, plane: Box | None) -> Any:
        """The mask under the image's ``plane`` (all of it for None)."""
        data = self.mask.data
        return data if plane is None else data[mask_box(plane, data.shape)]

    # -- napari's events ---------------------------------------------------
    def _view_moved(self, _event: Any = None) -> None:
        self._on_view()

    def _on_paint(self, event: Any) -> None:
        # Fires once per stroke, fill or polygon, and for programmatic edits
        # before the pixels are written: note the box now, report it later.
        self._history = _history_lengths(self.mask)
        box = paint_box(event.value, self.mask.data.shape)
        if box is not None:
            self._edited(box)

    def _on_drag(self, event: Any) -> None:
        position, displayed = self.view(self.mask)
        offset = event.offset
        block = np.shape(event.data)[: len(offset)]
        self._edited(update_box(offset, block, displayed, position))

    def _on_refresh(self, _event: Any = None) -> None:
        # Undo and redo announce themselves only by a refresh (as does every
        # re-slice): see whether an edit moved between napari's undo and
        # redo histories since last seen.
        QTimer.singleShot(0, self._check_history)

    def _edited(self, box: Box) -> None:
        self._on_edit(box)
        QTimer.singleShot(0, lambda: self._written(box))

    def _written(self, box: Box) -> None:
        # By now the edit's pixels are in the mask: the snapshot takes them,
        # so that the refresh napari sends next is not taken for an edit.
        if self._closed or self._snapshot is None:
            return
        if self._snapshot[0] is None:
            self._snapshot[1][box] = self.mask.data[box]
        else:
            self.snapshot()

    # -- undo, redo and unannounced edits ----------------------------------
    def _check_history(self) -> None:
        if self.plan is None or self._closed:
            return
        moved = _moved_edits(self.mask, self._history)
        self._history = _history_lengths(self.mask)
        if not moved:
            # No undo or redo seen: an edit a script wrote into the data, or
            # a mere re-slice; the displayed part, compared with the last
            # snapshot, tells.
            self._check_snapshot()
            return
        atoms = (atom for item in moved for atom in item)
        box = paint_box(atoms, self.mask.data.shape)
        if box is not None:
            self._edited(box)

    def _check_snapshot(self) -> None:
        if self._snapshot is None or self.plan is None:
            return
        plane, seen = self._snapshot
        if plane is not None and plane != self.plan.displayed_plane():
            return  # a re-slice to another plane: nothing was edited
        now = np.asarray(self._mask_part(plane))
        if now.shape != seen.shape:
            return  # new mask data: the widget starts over (events.data)
        box = changed_box(seen, now)
        if box is not None:
            if plane is not None:
                part = mask_box(plane, self.mask.data.shape)
                box = tuple(
                    slice(p.start + b.start, p.start + b.stop)
                    for p, b in zip(part, box, strict=True)
                )
            self._edited(box)


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
