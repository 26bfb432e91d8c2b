"""The docked widget: controls and layer choices only.

``MaskedBlurWidget`` reads its controls and the chosen layers into checked
:class:`~napari_masked_blur._math.options.BlurOptions` and hands them to its
:class:`~napari_masked_blur._qt.session.LiveSession`, which keeps the output
layer, ``"<image name> masked blur"``, caught up: the whole image, then
patches where the mask is painted; for volumes the displayed plane first.
No blur math lives here.

How it treats the cases napari leaves open:

- The mask has the image's shape (without the RGB axis), or fewer axes: a
  2D mask over a time-lapse serves every frame, as napari draws it (aligned
  to the last axes).  Painting it updates every frame, the displayed one
  first.  A mask that does not broadcast gets a notification naming both
  shapes, and the output is left as it was.
- Axes labelled as time or channels are frames, never smoothed; an
  unlabelled 4D image is frames of volumes (see
  :mod:`napari_masked_blur._math.frames`).  "smooth over" shows and changes
  which axes are smoothed (:mod:`napari_masked_blur._qt.sigma_controls`).
- RGB(A) layers are blurred per channel (``channel_axis=-1``).
- An Image layer as mask is a certainty map (float weights); then the
  ``labels`` and ``per_label`` controls do not apply and are disabled.
- Per-axis sigma: one field per smoothed axis, named after it; when "sigma
  per axis" is on they replace the slider.  With "physical units" on, sigma
  (slider or per-axis) is in the image layer's units and divided by its
  ``scale`` to give pixels.
"""

import contextlib

import napari
from magicgui.widgets import CheckBox, ComboBox, Container, Label, PushButton
from napari.utils.notifications import show_warning
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication

from napari_masked_blur._api.registry import FILTERS
from napari_masked_blur._api.route import checked
from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.options import MODES, BlurOptions
from napari_masked_blur._qt.choices import (
    LabelChoices,
    image_choices,
    mask_choices,
    mask_shape_only,
)
from napari_masked_blur._qt.connections import CloseWatcher, Connections
from napari_masked_blur._qt.control_settings import controls_settings
from napari_masked_blur._qt.grid import button_text, grid_of, toggle_side_by_side
from napari_masked_blur._qt.repeat_buttons import RepeatButtons
from napari_masked_blur._qt.runner import LatestRunner
from napari_masked_blur._qt.session import LiveSession
from napari_masked_blur._qt.sigma_controls import AxesControls
from napari_masked_blur._qt.warm import LoopWarmer

NO_IMAGE_HINT = "Add an image layer (File > Open Sample > Masked blur for a demo)."
NO_MASK_HINT = "Add a Labels layer as mask (Layers > New Labels) and paint in it."


class MaskedBlurWidget(Container):
    """Live Gaussian blur of an image layer inside a mask layer.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose layers are offered and where the output goes.
    """

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self._viewer = viewer
        # numba's loops, queued as soon as the layers are known (numpy's
        # routes until they are ready).
        self._warmer = LoopWarmer(self.options)
        self._label_list = LabelChoices()  # the mask's ids, read once per change
        self._make_controls()
        super().__init__(widgets=self._controls())
        # Patches while painting, the displayed plane of a volume first, lazy
        # outputs for dask and multiscale layers: all the session's work.
        self._session = LiveSession(viewer, on_status=self._show_status)
        self._repeat = RepeatButtons(self, viewer)  # a row above the status line
        self._viewer_connections = Connections()
        self._layer_connections = Connections()  # to the chosen image and mask
        self._wired_pair: tuple[object, object] = (None, None)  # (image, mask)
        self._check_scheduled = False
        self._last_warning = ""
        self._closed = False
        self._connect()
        self.reset_choices()  # wires the layers when it picks an image
        if self._wired_pair == (None, None):
            self._on_image_chosen()  # nothing to pick: say what to add

    # -- building ---------------------------------------------------------
    def _make_controls(self) -> None:
        self._hint = Label(name="hint", label="", value="", visible=False)
        self._image = ComboBox(
            name="image", choices=lambda _: image_choices(self._viewer)
        )
        self._mask = ComboBox(
            name="mask",
            choices=lambda _: mask_choices(self._viewer, _chosen(self, "_image")),
        )
        self._filter = ComboBox(  # hidden while there is one filter
            name="filter",
            choices=[(filter_named(name).title, name) for name in FILTERS],
            visible=len(FILTERS) > 1,
        )
        # sigma, smooth over, sigma per axis, the per-axis fields, units
        self._axes = AxesControls(self._on_option)
        self._outside = ComboBox(  # the policies the chosen filter allows
            name="outside", choices=lambda _: filter_named(self._filter.value).outside
        )
        self._label_ids = ComboBox(
            name="labels", choices=lambda _: self._label_list(_chosen(self, "_mask"))
        )
        self._per_label = CheckBox(name="per_label", text="each label on its own")
        self._mode = ComboBox(name="mode", label="border", choices=MODES)
        self._live = CheckBox(name="live", text="live update", value=True)
        self._run = PushButton(name="run", text="Run")
        self._grid = PushButton(name="grid", text="Side by side")
        self._status = Label(name="status", label="", value="")

    def _controls(self) -> list:
        return [
            self._hint,
            self._image,
            self._mask,
            self._filter,
            *self._axes.widgets(),
            self._outside,
            self._label_ids,
            self._per_label,
            self._mode,
            self._live,
            self._run,
            self._grid,
            # Rows added later (e.g. settings buttons) go here, above the
            # status line: see insert_row.
            self._status,
        ]

    def insert_row(self, row) -> None:
        """Add a widget (e.g. a row of buttons) just above the status line."""
        self.insert(self.index(self._status), row)

    def _connect(self) -> None:
        self._image.changed.connect(self._on_image_chosen)
        self._mask.changed.connect(self._on_mask_chosen)
        self._filter.changed.connect(self._outside.reset_choices)
        options = (self._filter, self._outside, self._label_ids, self._per_label)
        for widget in (*options, self._mode):
            widget.changed.connect(self._on_option)
        self._live.changed.connect(self._on_option)
        self._run.clicked.connect(lambda: self.request(force=True))
        self._grid.clicked.connect(self.toggle_grid)
        layer_events, viewer = self._viewer.layers.events, self._viewer_connections
        viewer.connect(layer_events.inserted, self._on_layers_changed)
        viewer.connect(layer_events.removed, self._on_layers_changed)
        viewer.connect(grid_of(self._viewer).events.enabled, self._on_grid_changed)
        self._watcher = CloseWatcher(self._on_close)
        self.native.installEventFilter(self._watcher)
        self.native.destroyed.connect(self._on_close)
        QApplication.instance().aboutToQuit.connect(self._on_quit)

    # -- reacting to the user and the layers ------------------------------
    def _on_layers_changed(self, event=None) -> None:
        if self._closed:
            return
        removed = event is not None and event.type == "removed"
        if removed and event.value in (self._image.value, self._mask.value):
            self._session.stop()  # its results would be for a layer now gone
        self.reset_choices()
        # A combo box that runs out of choices goes to None without `changed`.
        if (self._image.value, self._mask.value) != self._wired_pair:
            self._on_image_chosen()

    def _on_image_chosen(self, _value=None) -> None:
        self._mask.reset_choices()
        self._axes.show_image(self._image.value)
        self._on_mask_chosen()

    def _on_mask_chosen(self, _value=None) -> None:
        self._wire_layers()
        self._label_ids.reset_choices()
        is_label_mask = isinstance(self._mask.value, napari.layers.Labels)
        self._label_ids.enabled = self._per_label.enabled = is_label_mask
        self._warmer.warm_for(self._image.value, self._mask.value)
        self.request()

    def _on_option(self, _value=None) -> None:
        self.request()

    def _wire_layers(self) -> None:
        """Follow data changes of the chosen image and mask (and only those)."""
        layers = self._layer_connections
        layers.disconnect_all()
        image, mask = self._image.value, self._mask.value
        self._wired_pair = (image, mask)
        if image is not None:
            layers.connect(image.events.data, self._on_option)
        if mask is not None:
            layers.connect(mask.events.data, self._schedule_mask_check)
            # The session's EditWatcher follows painting, undo and redo.
            if isinstance(mask, napari.layers.Labels):
                layers.connect(mask.events.paint, self._on_painted)

    def _schedule_mask_check(self, _event=None) -> None:
        # New mask data: start over on the next turn of the event loop, once
        # for a burst of events.
        if not self._check_scheduled:
            self._check_scheduled = True
            QTimer.singleShot(0, self._check_mask)

    def _check_mask(self) -> None:
        self._check_scheduled = False
        if self._closed or self._mask.value is None:
            return
        self._label_list.forget()
        self._label_ids.reset_choices()
        self.request()

    def _on_painted(self, _event=None) -> None:
        # A label id painted for the first time joins the "labels" choices.
        # Only then: listing the ids takes a pass over the whole mask.  An
        # erased id goes at the next listing.
        self._label_list.forget()
        if self._mask.value.selected_label not in self._label_ids.choices:
            QTimer.singleShot(0, self._label_ids.reset_choices)

    # -- computing --------------------------------------------------------
    def request(self, force: bool = False) -> int | None:
        """Blur the chosen image with the current settings, in the background.

        Does nothing while ``live`` is off unless ``force`` (the Run button).
        Returns the newest job's token, or None when nothing was started.
        """
        if self._closed or not (force or self._live.value):
            return None
        image, mask = self._image.value, self._mask.value
        hint = NO_IMAGE_HINT if image is None else NO_MASK_HINT if mask is None else ""
        self._hint.value = hint
        self._hint.visible = bool(hint)
        if hint:
            return None
        try:
            options = self.options(image, mask)
        except ValueError as exc:
            return self._refuse(f"{image.name!r} / {mask.name!r}: {exc}")
        self._last_warning = ""
        self._warmer.warm_for(image, mask, options)  # new options, new loops
        smoothed = [
            s for a, s in enumerate(options.sigma) if a not in options.frame_axes
        ]
        description = f"{image.name!r}, sigma {_format_sigma(smoothed)} px"
        if not self.runner.busy:
            # Not on every tick of a slider drag: each new text relayouts the
            # dock, and that repaint holds the interpreter the worker needs
            # (measured: 3 instead of 5 plane updates a second).
            self._status.value = f"blurring {description} …"
        self._repeat.started(image, mask)
        self._session.start(image, mask, options, description)
        return self.runner.last_token

    def options(
        self, image: napari.layers.Image, mask: napari.layers.Layer
    ) -> BlurOptions:
        """The controls' options for ``image`` and ``mask``, checked.

        Raises
        ------
        ValueError
            A control's value does not fit these layers (the message says
            which and why).
        """
        self._axes.show_image(image)
        settings = controls_settings(self, image, mask)
        return checked(image.data, mask_shape_only(mask), settings)

    def _refuse(self, message: str) -> None:
        """Tell the user (once per distinct message) and leave the output alone."""
        self._session.stop()
        self._status.value = message
        if message != self._last_warning:
            self._last_warning = message
            show_warning(f"Masked blur: {message}")
        return None

    def _show_status(self, text: str) -> None:
        self._status.value = text

    def output_layer(self, image: napari.layers.Image) -> napari.layers.Image | None:
        """The output layer of ``image`` in the viewer, or None."""
        return self._session.outputs.find(image)

    # -- side by side -----------------------------------------------------
    def toggle_grid(self) -> None:
        """Switch between overlay and a grid of original and result."""
        image = self._image.value
        trio = [image, self._mask.value, image and self.output_layer(image)]
        toggle_side_by_side(self._viewer, trio)

    def _on_grid_changed(self, _event=None) -> None:
        self._grid.text = button_text(self._viewer)

    # -- shutting down ----------------------------------------------------
    def _on_close(self, *_args) -> None:
        """Stop all work and undo every connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._session.close()
        self._warmer.close()
        self._layer_connections.disconnect_all()
        self._viewer_connections.disconnect_all()
        # At interpreter exit Qt objects go in no fixed order, and an exception
        # escaping a Qt slot aborts the process.
        with contextlib.suppress(RuntimeError):
            QApplication.instance().aboutToQuit.disconnect(self._on_quit)

    def _on_quit(self) -> None:
        # The thread must not outlive the interpreter's shutdown.
        self._on_close()
        self.runner.wait(timeout=30.0)
        self._warmer.wait(timeout=30.0)

    @property
    def session(self) -> LiveSession:
        """The live session: runner, plan, progress bars, output layers."""
        return self._session

    @property
    def runner(self) -> LatestRunner:
        """The background runner (tests wait on ``runner.busy``)."""
        return self._session.runner


def _chosen(widget: MaskedBlurWidget, name: str):
    """The value of the widget's combo box ``name``; None while it is built."""
    combo = getattr(widget, name, None)
    return None if combo is None else combo.value


def _format_sigma(sigma: list[float]) -> str:
    values = {round(s, 2) for s in sigma}
    if len(values) == 1:
        return f"{values.pop():g}"
    return "(" + ", ".join(f"{s:.2f}".rstrip("0").rstrip(".") for s in sigma) + ")"
