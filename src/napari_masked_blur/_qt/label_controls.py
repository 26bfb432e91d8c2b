"""The mask's label ids (several may be chosen), and following the chosen layers.

:class:`LabelControls` offers the ids the mask holds (listed once per
change of the mask, see :class:`~napari_masked_blur._qt.choices.LabelChoices`)
and tells whether the mask has any pixel of the chosen ids; a label id
painted for the first time joins the choices.  :class:`LayerWires` follows
the data of the chosen image, second image and mask, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import napari
from magicgui.widgets import CheckBox, Select
from qtpy.QtCore import QTimer

from napari_masked_blur._qt.choices import LabelChoices
from napari_masked_blur._qt.connections import Connections
from napari_masked_blur._qt.status import EMPTY_MASK
from napari_masked_blur._qt.words import LABELS


class LabelControls:
    """ "label ids" (none chosen: every label) and "each label on its own".

    Parameters
    ----------
    chosen_mask : callable
        ``chosen_mask()``: the mask layer chosen (or None).
    on_change : callable
        Called with no argument when a control changes the options.
    on_note : callable
        ``on_note(text)``: :data:`EMPTY_MASK` or "" whenever that may change.
    """

    def __init__(
        self,
        chosen_mask: Callable[[], napari.layers.Layer | None],
        on_change: Callable[[], None],
        on_note: Callable[[str], None],
    ) -> None:
        self._chosen_mask, self._on_note = chosen_mask, on_note
        self.list = LabelChoices()  # the mask's ids, read once per change
        self.ids = Select(
            name="labels",
            label=LABELS["labels"],
            choices=lambda _: self.list(chosen_mask())[1:],
        )
        self.ids.native.setMaximumHeight(90)  # a long list scrolls
        self.per_label = CheckBox(name="per_label", text="each label on its own")
        self.ids.changed.connect(lambda _: (on_note(self.note()), on_change()))
        self.per_label.changed.connect(lambda _: on_change())
        self.closed = False

    def widgets(self) -> list:
        """The controls, in the order the widget shows them."""
        return [self.ids, self.per_label]

    def show_mask(self) -> None:
        """Offer the chosen mask's ids; only a Labels mask has any."""
        self.ids.reset_choices()
        is_labels = isinstance(self._chosen_mask(), napari.layers.Labels)
        self.ids.enabled = self.per_label.enabled = is_labels

    def mask_changed(self) -> None:
        """The mask got new data: list its ids again."""
        self.list.forget()
        self.ids.reset_choices()

    def painted(self, _event=None) -> None:
        """A stroke was painted: a new id joins the choices.

        Only a new id lists them again (a pass over the whole mask); an
        erased id goes at the next listing.  The paint event comes before
        the pixels are written: the list is read a turn of the loop later.
        """
        self.list.forget()
        mask = self._chosen_mask()
        if mask is not None and mask.selected_label not in self.ids.choices:
            QTimer.singleShot(0, self._new_id_painted)

    def note(self) -> str:
        """:data:`EMPTY_MASK` when the mask has no pixel of the chosen ids."""
        mask = self._chosen_mask()
        if not isinstance(mask, napari.layers.Labels):
            return ""
        present = {value for _, value in self.list(mask)[1:]}
        chosen = set(self.ids.value or ()) or present
        return "" if present & chosen else EMPTY_MASK

    def _new_id_painted(self) -> None:
        if not self.closed:
            self.ids.reset_choices()
            self._on_note(self.note())


class LayerWires:
    """Follows the data of the chosen layers (and only those).

    Parameters
    ----------
    on_data : callable
        The image or the second image got new data.
    on_mask_data : callable
        The mask got new data: called once for a burst of events, on the
        next turn of the event loop.
    on_painted : callable
        A stroke was painted into a Labels mask.
    """

    def __init__(
        self,
        on_data: Callable[..., None],
        on_mask_data: Callable[[], None],
        on_painted: Callable[..., None],
    ) -> None:
        self._on_data, self._on_mask_data = on_data, on_mask_data
        self._on_painted = on_painted
        self._connections = Connections()
        self._scheduled = False
        self.layers: tuple = (None, None, None)  # (image, mask, other) followed

    def follow(self, image, mask, other) -> None:
        """Follow these layers' data instead of the previous ones'."""
        connections = self._connections
        connections.disconnect_all()
        self.layers = (image, mask, other)
        for layer in {image, other} - {None}:
            connections.connect(layer.events.data, self._on_data)
        if mask is not None:
            connections.connect(mask.events.data, self._schedule)
            # The session's EditWatcher follows painting, undo and redo.
            if isinstance(mask, napari.layers.Labels):
                connections.connect(mask.events.paint, self._on_painted)

    def close(self) -> None:
        """Follow nothing any more; safe to call twice."""
        self._connections.disconnect_all()

    def _schedule(self, _event=None) -> None:
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._mask_data)

    def _mask_data(self) -> None:
        self._scheduled = False
        self._on_mask_data()
