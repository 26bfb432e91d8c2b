"""How the result is shown: overlay or side by side, and "Keep this result".

The view choice follows napari's own grid button too.  Keeping a result
copies the output layers to layers of their own (see
:meth:`~napari_masked_blur._qt.output_layers.OutputLayers.keep`), to compare
sigmas or filters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import napari
from magicgui.widgets import PushButton, RadioButtons

from napari_masked_blur._qt.connections import Connections
from napari_masked_blur._qt.grid import VIEWS, grid_of, set_side_by_side, view_of


class ResultView:
    """The "view" choice and the "Keep this result" button.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose grid mode "side by side" is.
    outputs : callable
        ``outputs()``: the session's :class:`~.output_layers.OutputLayers`.
    chosen : callable
        ``chosen()``: the chosen (image, mask) layers.
    kept_as : callable
        ``kept_as()``: what a kept copy is named after ("sigma 3 px"), or
        None when there is no result to keep.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        outputs: Callable[[], Any],
        chosen: Callable[[], tuple],
        kept_as: Callable[[], str | None],
    ) -> None:
        self._viewer = viewer
        self._outputs, self._chosen, self._kept_as = outputs, chosen, kept_as
        self.view = RadioButtons(
            name="view",
            label=" ",
            choices=VIEWS,
            value=view_of(viewer),
            orientation="horizontal",
        )
        # Its choices never change, and magicgui's reset (at every layer
        # added or removed) makes new buttons, leaving the old ones without
        # a parent: top-level widgets that live on.
        self.view.reset_choices = lambda *_: None
        self.keep = PushButton(name="keep", text="Keep this result")
        self.view.changed.connect(self._on_view_chosen)
        self.keep.clicked.connect(self.keep_result)
        self._connections = Connections()
        self._connections.connect(grid_of(viewer).events.enabled, self._on_grid)

    def widgets(self) -> list:
        """The controls, in the order the widget shows them."""
        return [self.view, self.keep]

    def toggle(self) -> None:
        """Switch between overlay and side by side."""
        self.view.value = VIEWS[1] if self.view.value == VIEWS[0] else VIEWS[0]

    def keep_result(self) -> list:
        """Copy the output layers of the chosen image to layers of their own."""
        image, _ = self._chosen()
        detail = self._kept_as()
        if image is None or detail is None:
            return []
        return self._outputs().keep(image, detail)

    def stack(self) -> list:
        """The layers shown, bottom to top: [image, outputs..., mask]."""
        image, mask = self._chosen()
        outputs = [] if image is None else self._outputs().find_all(image)
        return [image, *outputs, mask]

    def close(self) -> None:
        """Undo the connection to the viewer's grid; safe to call twice."""
        self._connections.disconnect_all()

    def _on_view_chosen(self, value: str) -> None:
        set_side_by_side(self._viewer, value == VIEWS[1], self.stack())

    def _on_grid(self, _event=None) -> None:
        with self.view.changed.blocked():
            self.view.value = view_of(self._viewer)
