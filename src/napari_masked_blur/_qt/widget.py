"""The docked widget: GUI state and layer wiring only.

``MaskedBlurWidget`` reads its controls and the chosen layers and hands them
to a :class:`~napari_masked_blur._live_view.LiveView`, which runs
:func:`napari_masked_blur._recompute.recompute` piece by piece on a
:class:`~napari_masked_blur._runner.LatestRunner` (work off the main thread,
newest result wins): the whole image, then patches where the mask is painted;
for volumes the displayed plane first.  Results go into one output layer per
image, ``"<image name> masked blur"``, in place.  No blur math lives here.

Choices where the brief left room:

- The mask must have the image's shape (without the RGB axis).  napari would
  show a 2D mask over a 3D image aligned to the last axes, but a blur needs
  one weight per pixel, so any other shape gets a notification naming both
  shapes, and the output is left as it was.
- RGB(A) layers are blurred per channel (``channel_axis=-1``).
- An Image layer as mask is a certainty map (float weights); then the
  ``labels`` and ``per_label`` controls do not apply and are disabled.
- Per-axis sigma: a text field ("1, 2, 2"); when filled it replaces the slider.
  With "physical units" on, sigma (slider or per-axis) is in the image layer's
  units and divided by its ``scale`` to give pixels.
"""

import contextlib
from dataclasses import dataclass
from types import SimpleNamespace

import napari
import numpy as np
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSlider,
    Label,
    LineEdit,
    PushButton,
)
from napari.utils import progress
from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QEvent, QObject, QTimer
from qtpy.QtWidgets import QApplication

from napari_masked_blur._blur.labels import present_label_ids
from napari_masked_blur._blur.options import MODES, OUTSIDE_POLICIES, BlurOptions
from napari_masked_blur._live.plan import compute_piece
from napari_masked_blur._qt.runner import Job, LatestRunner, Result
from napari_masked_blur._qt.session import LiveJob, LiveView

OUTPUT_SUFFIX = " masked blur"
# Marks our output layers (value: the source image's name) so they are never
# offered as inputs and a user's own layer of the same name is not overwritten.
OUTPUT_KEY = "napari-masked-blur output of"
SIGMA_MAX = 50.0
_PROGRESS_AFTER_MS = 300  # show a busy bar only for work longer than this
NO_IMAGE_HINT = "Add an image layer (File > Open Sample > Masked blur for a demo)."
NO_MASK_HINT = "Add a Labels layer as mask (Layers > New Labels) and paint in it."


@dataclass(frozen=True)
class Request:
    """What a submitted job was for, so its result lands in the right place."""

    image: napari.layers.Image
    settings: BlurOptions
    description: str


def output_name(image: napari.layers.Layer) -> str:
    """Name of the layer holding ``image``'s masked blur."""
    return f"{image.name}{OUTPUT_SUFFIX}"


def output_kwargs(image: napari.layers.Image) -> dict:
    """Layer options that make the output line up with ``image`` and look alike."""
    return {
        "name": output_name(image),
        "rgb": image.rgb,
        "scale": image.scale,
        "translate": image.translate,
        "rotate": image.rotate,
        "shear": image.shear,
        "affine": image.affine,
        "units": image.units,
        "colormap": image.colormap,
        "contrast_limits": image.contrast_limits,
        "gamma": image.gamma,
        "metadata": {**image.metadata, OUTPUT_KEY: image.name},
    }


class _CloseWatcher(QObject):
    """Calls back when the widget is closed or taken out of its dock."""

    def __init__(self, callback) -> None:
        super().__init__()
        self._callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        closed = event.type() == QEvent.Type.Close
        undocked = event.type() == QEvent.Type.ParentChange and obj.parent() is None
        if closed or undocked:
            self._callback()
        return False


class MaskedBlurWidget(Container):
    """Live Gaussian blur of an image layer inside a mask layer.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose layers are offered and where the output goes.
    """

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self._viewer = viewer
        self._make_controls()
        super().__init__(widgets=self._controls())
        self._runner = LatestRunner(
            self._on_result,
            self._on_error,
            self._on_busy,
            on_dropped=lambda job: self._live_view.on_dropped(job.context),
        )
        # Patches while painting, the displayed plane of a volume first, lazy
        # outputs for dask and multiscale layers: all scheduled by LiveView.
        self._live_view = LiveView(
            viewer,
            self._runner,
            write_full=self._write_output,
            output_layer=self.output_layer,
            compute=_blur,
        )
        self._wired: list[tuple[object, object]] = []  # (emitter, callback)
        self._wired_pair: tuple[object, object] = (None, None)  # (image, mask)
        self._check_scheduled = False
        self._last_warning = ""
        self._progress: progress | None = None
        # No Qt parent: it must outlive the native widget for _on_close.
        self._progress_timer = QTimer(singleShot=True)
        self._progress_timer.setInterval(_PROGRESS_AFTER_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        self._closed = False
        self._connect()
        self.reset_choices()  # wires the layers when it picks an image
        if self._wired_pair == (None, None):
            self._on_image_chosen()  # nothing to pick: say what to add

    # -- building ---------------------------------------------------------
    def _make_controls(self) -> None:
        self._hint = Label(name="hint", label="", value="", visible=False)
        self._image = ComboBox(name="image", choices=self._image_choices)
        self._mask = ComboBox(name="mask", choices=self._mask_choices)
        self._sigma = FloatSlider(
            name="sigma", label="sigma (px)", min=0.0, max=SIGMA_MAX, value=3.0
        )
        self._sigma_per_axis = LineEdit(
            name="sigma_per_axis",
            label="per-axis sigma",
            tooltip="One sigma per axis, e.g. '1, 2, 2'; replaces the slider.",
        )
        self._physical = CheckBox(name="physical", text="sigma in image units")
        self._outside = ComboBox(name="outside", choices=OUTSIDE_POLICIES)
        self._label_ids = ComboBox(name="labels", choices=self._label_choices)
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
            self._sigma,
            self._sigma_per_axis,
            self._physical,
            self._outside,
            self._label_ids,
            self._per_label,
            self._mode,
            self._live,
            self._run,
            self._grid,
            self._status,
        ]

    def _connect(self) -> None:
        self._image.changed.connect(self._on_image_chosen)
        self._mask.changed.connect(self._on_mask_chosen)
        options = (self._sigma, self._sigma_per_axis, self._outside, self._label_ids)
        for widget in (*options, self._per_label, self._mode):
            widget.changed.connect(self._on_option)
        self._physical.changed.connect(self._on_physical)
        self._live.changed.connect(self._on_option)
        self._run.clicked.connect(lambda: self.request(force=True))
        self._grid.clicked.connect(self.toggle_grid)
        layer_events = self._viewer.layers.events
        layer_events.inserted.connect(self._on_layers_changed)
        layer_events.removed.connect(self._on_layers_changed)
        _grid(self._viewer).events.enabled.connect(self._on_grid_changed)
        self._watcher = _CloseWatcher(self._on_close)
        self.native.installEventFilter(self._watcher)
        self.native.destroyed.connect(self._on_close)
        QApplication.instance().aboutToQuit.connect(self._on_quit)

    # -- choices ----------------------------------------------------------
    def _image_choices(self, _widget=None) -> list:
        return [
            (layer.name, layer)
            for layer in self._viewer.layers
            if isinstance(layer, napari.layers.Image)
            and OUTPUT_KEY not in layer.metadata
        ]

    def _mask_choices(self, _widget=None) -> list:
        image = self._image.value if hasattr(self, "_image") else None
        kinds = (napari.layers.Labels, napari.layers.Image)
        candidates = [
            layer
            for layer in self._viewer.layers
            if isinstance(layer, kinds)
            and layer is not image
            and OUTPUT_KEY not in layer.metadata
        ]
        # Labels first: they are what a mask usually is.
        candidates.sort(key=lambda layer: not isinstance(layer, napari.layers.Labels))
        return [(layer.name, layer) for layer in candidates]

    def _label_choices(self, _widget=None) -> list:
        mask = self._mask.value if hasattr(self, "_mask") else None
        ids = [] if mask is None else present_label_ids(mask.data)
        return [("all", 0)] + [(str(i), i) for i in ids]

    # -- reacting to the user and the layers ------------------------------
    def _on_layers_changed(self, event=None) -> None:
        if self._closed:
            return
        removed = event is not None and event.type == "removed"
        if removed and event.value in (self._image.value, self._mask.value):
            self._live_view.stop()  # its results would be for a layer now gone
        self.reset_choices()
        # A combo box that runs out of choices goes to None without `changed`.
        if (self._image.value, self._mask.value) != self._wired_pair:
            self._on_image_chosen()

    def _on_image_chosen(self, _value=None) -> None:
        self._mask.reset_choices()
        self._update_sigma_label()
        self._on_mask_chosen()

    def _on_mask_chosen(self, _value=None) -> None:
        self._wire_layers()
        self._label_ids.reset_choices()
        is_label_mask = isinstance(self._mask.value, napari.layers.Labels)
        self._label_ids.enabled = self._per_label.enabled = is_label_mask
        self.request()

    def _on_option(self, _value=None) -> None:
        self.request()

    def _on_physical(self, _value=None) -> None:
        self._update_sigma_label()
        self.request()

    def _update_sigma_label(self) -> None:
        image = self._image.value
        unit = "px"
        if self._physical.value and image is not None:
            unit = f"{image.units[-1]:~}"
        self._sigma.label = f"sigma ({unit})"

    def _wire_layers(self) -> None:
        """Follow data changes of the chosen image and mask (and only those)."""
        self._unwire_layers()
        image, mask = self._image.value, self._mask.value
        self._wired_pair = (image, mask)
        if image is not None:
            self._wire(image.events.data, self._on_option)
        if mask is not None:
            self._wire(mask.events.data, self._schedule_mask_check)
            # Painting, undo and redo of a Labels mask: LiveView patches the
            # output where they reach (see _live_view).
            if isinstance(mask, napari.layers.Labels):
                self._wire(mask.events.paint, self._on_painted)

    def _wire(self, emitter, callback) -> None:
        emitter.connect(callback)
        self._wired.append((emitter, callback))

    def _unwire_layers(self) -> None:
        for emitter, callback in self._wired:
            emitter.disconnect(callback)
        self._wired = []

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
        self._label_ids.reset_choices()
        self.request()

    def _on_painted(self, _event=None) -> None:
        # A label id painted for the first time joins the "labels" choices.
        # Only then: listing the ids takes a pass over the whole mask, more
        # than the live update of a stroke.
        if self._mask.value.selected_label not in self._label_ids.choices:
            QTimer.singleShot(0, self._label_ids.reset_choices)

    # -- computing --------------------------------------------------------
    def request(self, force: bool = False) -> int | None:
        """Blur the chosen image with the current settings, in the background.

        Does nothing while ``live`` is off unless ``force`` (the Run button).
        Returns the job's token, or None when nothing was submitted.
        """
        if self._closed or not (force or self._live.value):
            return None
        job = self._prepare()
        if job is None:
            return None
        if not self._runner.busy:
            # Not on every tick of a slider drag: each new text relayouts the
            # dock, and that repaint holds the interpreter the worker needs
            # (measured: 3 instead of 5 plane updates a second).
            self._status.value = f"blurring {job.description} …"
        self._live_view.start(
            job.image, self._mask.value, job.settings, job.description
        )
        return self._runner.last_token

    def _prepare(self) -> Request | None:
        image, mask = self._image.value, self._mask.value
        hint = NO_IMAGE_HINT if image is None else NO_MASK_HINT if mask is None else ""
        self._hint.value = hint
        self._hint.visible = bool(hint)
        if hint:
            return None
        try:
            settings = self._options(image, mask)
        except ValueError as exc:
            return self._refuse(f"{image.name!r} / {mask.name!r}: {exc}")
        description = f"{image.name!r}, sigma {_format_sigma(settings.sigma)} px"
        self._last_warning = ""
        return Request(image, settings, description)

    def _options(self, image: napari.layers.Image, mask: napari.layers.Layer):
        """The controls' options for ``image`` and ``mask``, checked."""
        text = self._sigma_per_axis.value.strip()
        try:
            sigma = [float(v) for v in text.replace(",", " ").split()] or None
        except ValueError:
            raise ValueError(
                f"per-axis sigma {text!r} is not a list of numbers"
            ) from None
        channel_axis = -1 if image.rgb else None
        spacing = tuple(image.scale) if self._physical.value else None
        label_mask = isinstance(mask, napari.layers.Labels)
        return BlurOptions.check(
            image.data,
            _mask_shape_only(mask),
            sigma or self._sigma.value,
            spacing=spacing,
            outside=self._outside.value,
            labels=(self._label_ids.value or None) if label_mask else None,
            per_label=self._per_label.value and label_mask,
            mode=self._mode.value,
            channel_axis=channel_axis,
        )

    def _refuse(self, message: str) -> None:
        """Tell the user (once per distinct message) and leave the output alone."""
        self._live_view.stop()
        self._status.value = message
        if message != self._last_warning:
            self._last_warning = message
            show_warning(f"Masked blur: {message}")
        return None

    # -- results (main thread) --------------------------------------------
    def _on_result(self, result: Result) -> None:
        job: LiveJob = result.job.context
        self._live_view.on_result(result)
        plan = self._live_view.plan
        if plan is not None and not plan.complete:
            return  # more pieces to come: say so once, at the end
        done = f"{result.seconds:.2f} s" if job.work.region is None else "up to date"
        self._status.value = f"{job.description}: {done}"

    def _on_error(self, exc: BaseException, job: Job) -> None:
        self._live_view.on_error(job.context)
        self._status.value = f"failed: {exc}"
        show_error(f"Masked blur of {job.context.description} failed: {exc}")

    def output_layer(self, image: napari.layers.Image) -> napari.layers.Image | None:
        """The output layer of ``image`` in the viewer, or None."""
        name = output_name(image)
        if name in self._viewer.layers:
            layer = self._viewer.layers[name]
            if layer.metadata.get(OUTPUT_KEY) == image.name:
                return layer
        return None

    def _write_output(self, image: napari.layers.Image, data: np.ndarray) -> None:
        out = self.output_layer(image)
        multiscale = isinstance(data, list)
        same_kind = out is not None and (out.ndim, out.rgb, out.multiscale) == (
            image.ndim,
            image.rgb,
            multiscale,
        )
        if same_kind:
            out.data = data  # in place: keeps the user's view settings
            return
        if out is not None:
            self._viewer.layers.remove(out)
        self._viewer.add_image(data, multiscale=multiscale, **output_kwargs(image))

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self._progress_timer.start()
            return
        self._progress_timer.stop()
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        self._live_view.on_idle()  # the runner is free: next piece, if any

    def _show_progress(self) -> None:
        # Not for a volume: its chunks have their own bar, and its planes take
        # a fraction of a second each.  Dragging sigma keeps the runner busy
        # plane after plane, and the bar's animation cost repaints that hold
        # the interpreter (measured under Xvfb: 8.5 plane updates a second
        # with it, 9.4 without, medians of two runs each).
        plan = self._live_view.plan
        volume = plan is not None and plan.volume
        idle = not self._runner.busy or self._closed
        if not idle and not volume and self._progress is None:
            self._progress = progress(total=0, desc="Masked blur")

    # -- side by side -----------------------------------------------------
    def toggle_grid(self) -> None:
        """Switch between overlay and a grid of original and result.

        With exactly [image, mask, output] in the viewer the grid shows the
        image under its mask next to the result; otherwise one layer per cell.
        """
        grid = _grid(self._viewer)
        if not grid.enabled:
            image = self._image.value
            trio = [image, self._mask.value, image and self.output_layer(image)]
            grid.stride = 2 if list(self._viewer.layers) == trio else 1
        grid.enabled = not grid.enabled
        self._viewer.reset_view()

    def _on_grid_changed(self, _event=None) -> None:
        self._grid.text = "Overlay" if _grid(self._viewer).enabled else "Side by side"

    # -- shutting down ----------------------------------------------------
    def _on_close(self, *_args) -> None:
        """Stop all work and undo every connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._live_view.close()
        self._runner.close()
        self._unwire_layers()
        layer_events = self._viewer.layers.events
        layer_events.inserted.disconnect(self._on_layers_changed)
        layer_events.removed.disconnect(self._on_layers_changed)
        _grid(self._viewer).events.enabled.disconnect(self._on_grid_changed)
        # At interpreter exit Qt objects go in no fixed order, and an exception
        # escaping a Qt slot aborts the process.
        with contextlib.suppress(RuntimeError):
            QApplication.instance().aboutToQuit.disconnect(self._on_quit)
            self._progress_timer.stop()
            self._on_busy(False)

    def _on_quit(self) -> None:
        # The thread must not outlive the interpreter's shutdown.
        self._on_close()
        self._runner.wait(timeout=30.0)

    @property
    def runner(self) -> LatestRunner:
        """The background runner (tests wait on ``runner.busy``)."""
        return self._runner


def _grid(viewer: napari.viewer.Viewer):
    """The viewer's grid settings (``viewer.canvas.grid`` since napari 0.9)."""
    canvas = getattr(viewer, "canvas", None)
    return canvas.grid if canvas is not None else viewer.grid


def _mask_shape_only(mask: napari.layers.Layer) -> SimpleNamespace:
    """Shape and dtype of the mask as the blur reads it (no pixels read).

    An Image layer is a certainty map, so its weights are floating.
    """
    dtype = np.dtype(mask.data.dtype)
    if isinstance(mask, napari.layers.Image) and dtype.kind != "f":
        dtype = np.dtype(np.float32)
    return SimpleNamespace(shape=tuple(mask.data.shape), dtype=dtype)


def _blur(*args):
    """What every background job runs: ``compute_piece``, looked up at each call."""
    return compute_piece(*args)


def _format_sigma(sigma: tuple[float, ...]) -> str:
    values = {round(s, 2) for s in sigma}
    if len(values) == 1:
        return f"{values.pop():g}"
    return "(" + ", ".join(f"{s:.2f}".rstrip("0").rstrip(".") for s in sigma) + ")"
