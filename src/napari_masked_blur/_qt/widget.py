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
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    Label,
    PushButton,
    RadioButtons,
    Select,
)
from napari.utils.notifications import show_warning
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication

from napari_masked_blur._api.route import checked
from napari_masked_blur._math import filters
from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.options import MODES, BlurOptions
from napari_masked_blur._math.settings import BlurSettings
from napari_masked_blur._qt.choices import (
    LabelChoices,
    image_choices,
    mask_choices,
    mask_shape_only,
)
from napari_masked_blur._qt.connections import CloseWatcher, Connections
from napari_masked_blur._qt.control_settings import controls_settings
from napari_masked_blur._qt.filter_controls import FilterControls
from napari_masked_blur._qt.grid import VIEWS, grid_of, set_side_by_side, view_of
from napari_masked_blur._qt.output_layers import output_of
from napari_masked_blur._qt.repeat_buttons import RepeatButtons
from napari_masked_blur._qt.runner import LatestRunner
from napari_masked_blur._qt.session import LiveSession
from napari_masked_blur._qt.sigma_controls import AxesControls
from napari_masked_blur._qt.status import EMPTY_MASK, StatusLine
from napari_masked_blur._qt.warm import PlaneLoopWarmer
from napari_masked_blur._qt.words import (
    LABELS,
    MODE_WORDS,
    OUTSIDE_WORDS,
    give_tooltips,
    word_choices,
)

NO_IMAGE_HINT = "Add an image layer (File > Open Sample > Masked blur for a demo)."
NO_MASK_HINT = "Add a Labels layer as mask (Layers > New Labels) and paint in it."
RESULT_REMOVED = "the result layer was removed: press Run"


class MaskedBlurWidget(Container):
    """Live Gaussian blur of an image layer inside a mask layer.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose layers are offered and where the output goes.
    """

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self._viewer = viewer
        # Planes of a volume or movie use numba's compiled loop, loaded on a
        # thread of its own when nothing runs (numpy's taps until then).
        self._warmer = PlaneLoopWarmer(busy=lambda: self.runner.busy)
        self._label_list = LabelChoices()  # the mask's ids, read once per change
        self._make_controls()
        super().__init__(widgets=self._controls())
        give_tooltips(self)
        # Patches while painting, the displayed plane of a volume first, lazy
        # outputs for dask and multiscale layers: all the session's work.
        self._session = LiveSession(
            viewer, on_status=self._show_status, on_shown=self._warmer.start_pending
        )
        self._repeat = RepeatButtons(self, viewer)  # a row above the status line
        self._viewer_connections = Connections()
        self._layer_connections = Connections()  # to the chosen image and mask
        self._wired_pair: tuple[object, object] = (None, None)  # (image, mask)
        self._ran_with: tuple | None = None  # what the shown result was made of
        self._check_scheduled = False
        self._last_warning = ""
        self._closed = False
        self._connect()
        self.reset_choices()  # wires the layers when it picks an image
        if self._wired_pair == (None, None):
            self._on_image_chosen()  # nothing to pick: say what to add

    # -- building ---------------------------------------------------------
    def _make_controls(self) -> None:
        self._image = ComboBox(
            name="image", choices=lambda _: image_choices(self._viewer)
        )
        self._mask = ComboBox(
            name="mask",
            choices=lambda _: mask_choices(self._viewer, _chosen(self, "_image")),
        )
        self._filter = ComboBox(  # hidden while there is one filter
            name="filter",
            choices=lambda _: [(f.title, f.name) for f in filters.DESCRIPTIONS],
            visible=len(filters.DESCRIPTIONS) > 1,
        )
        self._params = FilterControls(  # the chosen filter's own parameters
            self._viewer, self._on_option, lambda: _chosen(self, "_image")
        )
        # sigma, smooth over, sigma per axis, the per-axis fields, units
        self._axes = AxesControls(self._on_option)
        self._outside = ComboBox(  # the policies the chosen filter allows
            name="outside",
            label=LABELS["outside"],
            choices=lambda _: word_choices(
                OUTSIDE_WORDS, filter_named(self._filter.value).outside
            ),
        )
        self._label_ids = Select(
            name="labels",
            label=LABELS["labels"],
            choices=lambda _: self._label_list(_chosen(self, "_mask"))[1:],
        )
        self._label_ids.native.setMaximumHeight(90)
        self._per_label = CheckBox(name="per_label", text="each label on its own")
        self._mode = ComboBox(
            name="mode", label=LABELS["mode"], choices=word_choices(MODE_WORDS, MODES)
        )
        self._live = CheckBox(name="live", text="live update", value=True)
        self._run = PushButton(name="run", text="Run")
        self._view = RadioButtons(
            name="view", label="", choices=VIEWS, orientation="horizontal"
        )
        self._keep = PushButton(name="keep", text="Keep this result")
        self._status = Label(name="status", label="", value="")
        self._status_line = StatusLine(self._status, self._run)

    def _controls(self) -> list:
        return [
            self._image,
            self._mask,
            self._filter,
            self._params.other,
            *self._axes.widgets(),
            *self._params.widgets()[1:],
            self._outside,
            self._label_ids,
            self._per_label,
            self._mode,
            self._live,
            self._run,
            self._view,
            self._keep,
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
        self._filter.changed.connect(self._on_filter_chosen)
        self._label_ids.changed.connect(self._on_labels_chosen)
        for widget in (self._outside, self._per_label, self._mode, self._live):
            widget.changed.connect(self._on_option)
        self._params.other.changed.connect(self._on_other_chosen)
        self._run.clicked.connect(lambda: self.request(force=True))
        self._view.changed.connect(self._on_view_chosen)
        self._keep.clicked.connect(self.keep_result)
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
        other = self._params.other_layer(filter_named(self._filter.value))
        if removed and event.value in (self._image.value, self._mask.value, other):
            self._session.stop()  # its results would be for a layer now gone
        self.reset_choices()
        # A combo box that runs out of choices goes to None without `changed`.
        if (self._image.value, self._mask.value) != self._wired_pair:
            self._on_image_chosen()
        elif removed and event.value is other:
            self._on_other_chosen()
        elif removed and output_of(event.value) == getattr(
            self._image.value, "name", 0
        ):
            self._ran_with = None
            self._status_line.refused(RESULT_REMOVED)

    def _on_image_chosen(self, _value=None) -> None:
        self._mask.reset_choices()
        self._params.other.reset_choices()
        self._axes.show_image(self._image.value)
        self._on_mask_chosen()

    def _on_mask_chosen(self, _value=None) -> None:
        self._wire_layers()
        self._label_ids.reset_choices()
        is_label_mask = isinstance(self._mask.value, napari.layers.Labels)
        self._label_ids.enabled = self._per_label.enabled = is_label_mask
        self._warmer.warm_for(self._image.value, self._mask.value)
        self.request()
        if not self.runner.busy:  # e.g. "live update" off: nothing to wait for
            self._warmer.start_pending(idle=True)

    def _on_other_chosen(self, _value=None) -> None:
        if "other" in filter_named(self._filter.value).parameters:
            self._on_mask_chosen()  # wires the second image too

    def _on_filter_chosen(self, _value=None) -> None:
        self._outside.reset_choices()
        self._on_option()

    def _on_labels_chosen(self, _value=None) -> None:
        self._status_line.note(self._mask_note())
        self._on_option()

    def _on_option(self, _value=None) -> None:
        self.request()

    def _on_data(self, _event=None) -> None:
        self._ran_with = None  # the result is of the data before
        self.request()

    def _wire_layers(self) -> None:
        """Follow data changes of the chosen image and mask (and only those)."""
        layers = self._layer_connections
        layers.disconnect_all()
        image, mask = self._image.value, self._mask.value
        self._wired_pair = (image, mask)
        if image is not None:
            layers.connect(image.events.data, self._on_data)
        other = self._params.other.value
        if other is not None and other is not image:
            layers.connect(other.events.data, self._on_data)
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
        self._ran_with = None
        self.request()

    def _on_painted(self, _event=None) -> None:
        # A label id painted for the first time joins the "labels" choices.
        # Only then: listing the ids takes a pass over the whole mask.  An
        # erased id goes at the next listing.
        self._label_list.forget()
        if self._mask.value.selected_label not in self._label_ids.choices:
            QTimer.singleShot(0, self._new_label_painted)

    def _new_label_painted(self) -> None:
        if not self._closed:
            self._label_ids.reset_choices()
            self._status_line.note(self._mask_note())

    def _mask_note(self) -> str:
        """EMPTY_MASK when the mask has no pixel of the chosen ids, else ""."""
        mask = self._mask.value
        if not isinstance(mask, napari.layers.Labels):
            return ""
        present = {value for _, value in self._label_list(mask)[1:]}
        chosen = set(self._label_ids.value or ()) or present
        return "" if present & chosen else EMPTY_MASK

    # -- computing --------------------------------------------------------
    def request(self, force: bool = False) -> int | None:
        """Filter the chosen image with the current settings, in the background.

        Does nothing while ``live`` is off unless ``force`` (the Run button);
        the status then says whether the result is out of date.  Returns the
        newest job's token, or None when nothing was started.
        """
        if self._closed:
            return None
        image, mask = self._image.value, self._mask.value
        hint = NO_IMAGE_HINT if image is None else NO_MASK_HINT if mask is None else ""
        if hint:
            self._session.stop()
            self._ran_with = None
            self._status_line.missing(hint)
            return None
        flt = filter_named(self._filter.value)
        other = self._params.other_layer(flt)
        try:
            settings = self.settings(image, mask)
            options = self._checked(image, mask, settings, other)
        except ValueError as exc:
            return self._refuse(f"{image.name!r} / {mask.name!r}: {exc}")
        self._last_warning = ""
        self._status_line.note(self._mask_note())
        made_of = (image, mask, other, settings)
        if not (force or self._live.value):
            if made_of != self._ran_with:
                self._status_line.out_of_date()
            return None
        self._ran_with = made_of
        smoothed = [
            s for a, s in enumerate(options.sigma) if a not in options.frame_axes
        ]
        unit = "frames" if self._axes.unit(self._axes.axes[-1]) == "frames" else "px"
        description = f"{image.name!r}, sigma {_format_sigma(smoothed)} {unit}"
        if not self.runner.busy:
            # Not on every tick of a slider drag: each new text relayouts the
            # dock, and that repaint holds the interpreter the worker needs
            # (measured: 3 instead of 5 plane updates a second).
            verb = "blurring" if flt.name == "gaussian" else f"{flt.title} of"
            self._status_line.running(f"{description}", verb=verb)
        self._repeat.started(image, mask)
        self._session.start(image, mask, options, description, other)
        return self.runner.last_token

    def settings(
        self, image: napari.layers.Image, mask: napari.layers.Layer
    ) -> BlurSettings:
        """The controls' settings for ``image`` and ``mask`` (not yet checked)."""
        self._axes.show_image(image)
        flt = filter_named(self._filter.value)
        axes = self._axes.axes or ()
        names = self._axes.names()
        self._params.show(flt, tuple((a, names[a]) for a in axes), self._axes.unit(-1))
        return controls_settings(self, image, mask)

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
        flt = filter_named(self._filter.value)
        other = self._params.other_layer(flt)
        return self._checked(image, mask, self.settings(image, mask), other)

    def _checked(self, image, mask, settings, other) -> BlurOptions:
        flt = filter_named(settings.filter)
        if "other" in flt.parameters:
            if other is None:
                raise ValueError(f"the {flt.title} needs a second image layer")
            if other.data.shape != image.data.shape:
                raise ValueError(
                    f"second image {other.name!r} has shape {other.data.shape}, "
                    f"the image {image.data.shape}"
                )
        return checked(image.data, mask_shape_only(mask), settings)

    @property
    def parameters(self) -> FilterControls:
        """The controls of the filters' own parameters (high_sigma, order...)."""
        return self._params

    def _refuse(self, message: str) -> None:
        """Tell the user (once per distinct message) and leave the output alone."""
        self._session.stop()
        self._ran_with = None
        self._status_line.refused(message)
        if message != self._last_warning:
            self._last_warning = message
            show_warning(f"Masked blur: {message}")
        return None

    def _show_status(self, text: str) -> None:
        if text.startswith("failed"):
            self._status_line.failed(text)
            self._ran_with = None
        else:
            self._status_line.done(text)

    def output_layer(self, image: napari.layers.Image) -> napari.layers.Image | None:
        """The (first) output layer of ``image`` in the viewer, or None."""
        return self._session.outputs.find(image)

    # -- how the result is shown ------------------------------------------
    def keep_result(self) -> list:
        """Copy the chosen image's output to new layers ("Keep this result")."""
        image = self._image.value
        if image is None or self._ran_with is None:
            return []
        detail = self._status_line.text.split(":")[0].split(", ", 1)[-1]
        return self._session.outputs.keep(image, detail)

    def toggle_grid(self) -> None:
        """Switch between overlay and side by side (original beside the result)."""
        self._view.value = VIEWS[1] if self._view.value == VIEWS[0] else VIEWS[0]

    def _on_view_chosen(self, value: str) -> None:
        image = self._image.value
        outputs = [] if image is None else self._session.outputs.find_all(image)
        set_side_by_side(
            self._viewer, value == VIEWS[1], [image, *outputs, self._mask.value]
        )

    def _on_grid_changed(self, _event=None) -> None:
        with self._view.changed.blocked():
            self._view.value = view_of(self._viewer)

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
