"""The docked widget: controls and layer choices only.

``MaskedBlurWidget`` reads its controls and the chosen layers into checked
:class:`~napari_masked_blur._math.options.BlurOptions` and hands them to its
:class:`~napari_masked_blur._qt.session.LiveSession`, which keeps the output
layers (``"<image name> masked blur"`` for the blur, one per result of
another filter) caught up: the whole image, then patches where the mask is
painted; for volumes the displayed plane first.  No math lives here.

How it treats the cases napari leaves open:

- The mask has the image's shape (without the RGB axis), or fewer axes: a
  2D mask over a time-lapse serves every frame.  A mask that does not
  broadcast gets a notification naming both shapes; the output is left.
- Axes labelled as time or channels are frames, never smoothed (see
  :mod:`napari_masked_blur._math.frames`); "smooth over" changes which axes
  are smoothed (:mod:`napari_masked_blur._qt.sigma_controls`).
- RGB(A) layers are blurred per channel (``channel_axis=-1``).
- An Image layer as mask is a certainty map (float weights); then the
  label controls do not apply and are disabled.
- The chosen filter shows its own parameters' controls only
  (:mod:`napari_masked_blur._qt.filter_controls`).
"""

import contextlib

import napari
from magicgui.widgets import CheckBox, ComboBox, Container, Label, PushButton
from qtpy.QtWidgets import QApplication

from napari_masked_blur._api.route import checked
from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.options import BlurOptions
from napari_masked_blur._math.settings import BlurSettings
from napari_masked_blur._qt.choices import (
    check_other,
    image_choices,
    mask_choices,
    mask_shape_only,
)
from napari_masked_blur._qt.connections import CloseWatcher, Connections
from napari_masked_blur._qt.control_settings import controls_settings
from napari_masked_blur._qt.filter_controls import FilterControls
from napari_masked_blur._qt.label_controls import LabelControls, LayerWires
from napari_masked_blur._qt.repeat_buttons import RepeatButtons
from napari_masked_blur._qt.result_view import ResultView
from napari_masked_blur._qt.runner import LatestRunner
from napari_masked_blur._qt.session import LiveSession
from napari_masked_blur._qt.sigma_controls import AxesControls
from napari_masked_blur._qt.status import StatusLine, describe
from napari_masked_blur._qt.warm import LoopWarmer
from napari_masked_blur._qt.words import give_tooltips, option_choices

NO_IMAGE_HINT = "Add an image layer (File > Open Sample > Masked blur for a demo)."
NO_MASK_HINT = "Add a Labels layer as mask (Layers > New Labels) and paint in it."
RESULT_REMOVED = "the result layer was removed: press Run"


class MaskedBlurWidget(Container):
    """Live masked filters (the Gaussian blur first) of an image layer in a mask.

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
        self._make_controls()
        super().__init__(widgets=self._controls())
        # Patches while painting, the displayed plane of a volume first, lazy
        # outputs for dask and multiscale layers: all the session's work.
        self._session = LiveSession(viewer, on_status=self._status_line.report)
        self._repeat = RepeatButtons(self, viewer)  # a row above the status line
        give_tooltips(self)
        self._viewer_connections = Connections()
        self._wires = LayerWires(
            self._on_data, self._on_mask_data, self._label_ids.painted
        )
        self._ran_with: tuple | None = None  # what the shown result was made of
        self._closed = False
        self._connect()
        self.reset_choices()  # wires the layers when it picks an image
        if self._wires.layers == (None, None, None):
            self._on_image_chosen()  # nothing to pick: say what to add

    # -- building ---------------------------------------------------------
    def _make_controls(self) -> None:
        viewer = self._viewer
        self._image = ComboBox(name="image", choices=lambda _: image_choices(viewer))
        self._mask = ComboBox(
            name="mask",
            choices=lambda _: mask_choices(viewer, _chosen(self, "_image")),
        )
        # hidden while there is one filter; "outside" offers what it allows
        self._filter, self._outside, self._mode = option_choices()
        self._params = FilterControls(  # the chosen filter's own parameters
            viewer, self._on_option, lambda: _chosen(self, "_image")
        )
        # sigma, smooth over, sigma per axis, the per-axis fields, units
        self._axes = AxesControls(self._on_option)
        self._status = Label(name="status", label=" ", value="")
        self._run = PushButton(name="run", text="Run")
        self._status_line = StatusLine(self._status, self._run)
        self._label_ids = LabelControls(
            lambda: _chosen(self, "_mask"), self._on_option, self._status_line.note
        )
        self._live = CheckBox(name="live", text="live update", value=True)
        self._result_view = ResultView(
            viewer,
            lambda: self._session.outputs,
            lambda: (self._image.value, self._mask.value),
            self._kept_as,
        )

    def _controls(self) -> list:
        return [
            self._image,
            self._mask,
            self._filter,
            self._params.other,
            *self._axes.widgets(),
            *self._params.widgets()[1:],
            self._outside,
            *self._label_ids.widgets(),
            self._mode,
            self._live,
            self._run,
            *self._result_view.widgets(),
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
        for widget in (self._outside, self._mode, self._live):
            widget.changed.connect(self._on_option)
        self._params.other.changed.connect(self._on_other_chosen)
        self._run.clicked.connect(lambda: self.request(force=True))
        layer_events, viewer = self._viewer.layers.events, self._viewer_connections
        viewer.connect(layer_events.inserted, self._on_layers_changed)
        viewer.connect(layer_events.removed, self._on_layers_changed)
        self._watcher = CloseWatcher(self._on_close)
        self.native.installEventFilter(self._watcher)
        self.native.destroyed.connect(self._on_close)
        QApplication.instance().aboutToQuit.connect(self._on_quit)

    # -- reacting to the user and the layers ------------------------------
    def _on_layers_changed(self, event=None) -> None:
        if self._closed:
            return
        gone = event.value if event is not None and event.type == "removed" else None
        other = self._params.other_layer(filter_named(self._filter.value))
        if gone is not None and gone in (self._image.value, self._mask.value, other):
            self._session.stop()  # its results would be for a layer now gone
        self.reset_choices()
        # A combo box that runs out of choices goes to None without `changed`.
        if (self._image.value, self._mask.value) != self._wires.layers[:2]:
            self._on_image_chosen()
        elif gone is not None and gone is other:
            self._on_other_chosen()
        elif self._session.outputs.removed_by_user(gone, self._image.value):
            self._ran_with = None
            self._status_line.refused(RESULT_REMOVED)

    def _on_image_chosen(self, _value=None) -> None:
        self._mask.reset_choices()
        self._params.other.reset_choices()
        self._axes.show_image(self._image.value)
        self._on_mask_chosen()

    def _on_mask_chosen(self, _value=None) -> None:
        image, mask = self._image.value, self._mask.value
        self._wires.follow(image, mask, self._params.other.value)
        self._label_ids.show_mask()
        self._warmer.warm_for(image, mask)
        self.request()

    def _on_other_chosen(self, _value=None) -> None:
        if "other" in filter_named(self._filter.value).parameters:
            self._on_mask_chosen()  # follows the second image too

    def _on_filter_chosen(self, value: str) -> None:
        flt, before = filter_named(value), self._outside.value
        with self._outside.changed.blocked():
            self._outside.reset_choices()
            if before not in flt.outside:  # the filter's own default, then
                self._outside.value = flt.default_outside
        self._on_option()

    def _on_option(self, _value=None) -> None:
        self.request()

    def _on_data(self, _event=None) -> None:
        self._ran_with = None  # the result is of the data before
        self.request()

    def _on_mask_data(self) -> None:
        if not self._closed and self._mask.value is not None:
            self._label_ids.mask_changed()
            self._on_data()

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
        other = self._params.other_layer(filter_named(self._filter.value))
        try:
            settings = self.settings(image, mask)
            options = self._checked(image, mask, settings, other)
        except ValueError as exc:
            return self._refuse(f"{image.name!r} / {mask.name!r}: {exc}")
        self._warmer.warm_for(image, mask, options)  # new options, new loops
        self._status_line.accepted()
        self._status_line.note(self._label_ids.note())
        made_of = (image, mask, other, settings)
        if not (force or self._live.value):
            if made_of != self._ran_with:
                self._status_line.out_of_date()
            return None
        self._ran_with = made_of
        description = describe(image.name, options, self._axes.unit)
        if not self.runner.busy:
            # Not on every tick of a slider drag: each new text relayouts the
            # dock, and that repaint holds the interpreter the worker needs
            # (measured: 3 instead of 5 plane updates a second).
            self._status_line.running(description, options.filter)
        self._repeat.started(image, mask)
        self._session.start(image, mask, options, description, other)
        return self.runner.last_token

    def settings(
        self, image: napari.layers.Image, mask: napari.layers.Layer
    ) -> BlurSettings:
        """The controls' settings for ``image`` and ``mask`` (not yet checked)."""
        self._axes.show_image(image)
        names = self._axes.names()
        axes = tuple((a, names[a]) for a in self._axes.axes or ())
        flt = filter_named(self._filter.value)
        self._params.show(flt, axes, self._axes.unit(-1))
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
        other = self._params.other_layer(filter_named(self._filter.value))
        return self._checked(image, mask, self.settings(image, mask), other)

    def _checked(self, image, mask, settings, other) -> BlurOptions:
        check_other(filter_named(settings.filter), image, other)
        return checked(image.data, mask_shape_only(mask), settings)

    @property
    def parameters(self) -> FilterControls:
        """The controls of the filters' own parameters (high_sigma, order...)."""
        return self._params

    def _refuse(self, message: str) -> None:
        """Tell the user (once per distinct message) and leave the output alone."""
        self._session.stop()
        self._ran_with = None
        self._status_line.refused(message, notify=True)

    def output_layer(self, image: napari.layers.Image) -> napari.layers.Image | None:
        """The (first) output layer of ``image`` in the viewer, or None."""
        return self._session.outputs.find(image)

    def _kept_as(self) -> str | None:
        """What a kept result is named after ("sigma 3 px"); None: no result."""
        if self._ran_with is None:
            return None
        return self._status_line.text.split(":")[0].split(", ", 1)[-1]

    # -- shutting down ----------------------------------------------------
    def _on_close(self, *_args) -> None:
        """Stop all work and undo every connection; safe to call twice."""
        if self._closed:
            return
        self._closed = self._label_ids.closed = True
        self._session.close()
        self._warmer.close()
        self._wires.close()
        self._viewer_connections.disconnect_all()
        self._result_view.close()
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
