"""``napari-masked-blur [IMAGE [MASK]]``: napari with the widget docked and wired.

Without files it opens the coins sample (or ``--sample volume``, the 3D
one, or ``--sample timelapse``, the drifting cells movie); with files
it opens IMAGE and MASK through the reader the command line uses
(:mod:`napari_masked_blur._files.formats`: TIFF, OME-TIFF, Zarr, OME-Zarr,
.npy, PNG/JPEG, and what bioio reads), so the layers get the file's axis
names (a time axis is frames, never smoothed) and pixel sizes (``scale``).
An integer/bool mask becomes a Labels layer, a float one an Image layer used
as certainty; no MASK gives an empty Labels layer to paint in.  The window
fills most of the screen, the images fitted to it; the first blur is shown
side by side with the original, and the mask is selected with the brush
ready.  ``--screenshot PNG`` saves the window once that first blur is shown
and exits instead of running the event loop.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

PLUGIN = "napari-masked-blur"
WIDGET = "Masked Gaussian blur"
SAMPLES = ("coins", "volume", "timelapse")


def main(argv: Sequence[str] | None = None) -> int:
    """Open the demo; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return int(exc.code or 0)
    try:
        files = [read_file(Path(p)) for p in (args.image, args.mask) if p]
    except (OSError, ValueError) as exc:
        print(f"napari-masked-blur: {exc}", file=sys.stderr)
        return 1

    import napari

    viewer, widget = open_viewer(files, args.sample)
    if args.screenshot is None:
        napari.run()
        return 0
    shown = wait_until(lambda: not widget.runner.busy, timeout_s=120)
    wait_until(lambda: False, timeout_s=0.5)  # let the redraw happen
    viewer.screenshot(str(args.screenshot), canvas_only=False)
    layers = ", ".join(layer.name for layer in viewer.layers)
    print(f"saved {args.screenshot} (first blur shown: {shown}; layers: {layers})")
    viewer.close()
    return 0 if shown else 1


def demo_options() -> str:
    """The options part of the demo's ``--help`` (for the top-level help)."""
    text = _parser().format_help()
    options = text[text.index("options:") + len("options:\n") :].splitlines()
    return "".join(line + "\n" for line in options if "--help" not in line)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur",
        description="Open napari with the masked Gaussian blur widget docked.",
    )
    parser.add_argument("image", nargs="?", help="image file (.tif, .npy, .png, ...)")
    parser.add_argument("mask", nargs="?", help="mask file, same shape as the image")
    parser.add_argument(
        "--sample", choices=SAMPLES, default="coins", help="sample without files"
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save the window once the first blur is shown, then exit",
    )
    return parser


File = tuple[str, np.ndarray, dict]  # (layer name, pixels, layer options)


def read_file(path: Path) -> File:
    """The layer name, pixels and layer options of the file at ``path``.

    Read by the command line's reader: ``axis_labels`` from the file's axis
    names, ``scale`` and ``units`` from its pixel sizes (when it has them),
    ``rgb`` for a picture's colours.

    Raises
    ------
    ValueError
        The file does not exist or cannot be read (the message names it).
    """
    from napari_masked_blur._cli.sources import split_name
    from napari_masked_blur._files.formats import open_image, pixel_info
    from napari_masked_blur._files.io import open_input

    if not path.exists():
        raise ValueError(f"no such file: {path}")
    array = open_input(path, opener=open_image)
    pixels = np.asarray(array[(slice(None),) * array.ndim])
    info = pixel_info(path)
    labels = list(info.labels(pixels.ndim))
    options: dict = {}
    if info.channel_axis == pixels.ndim - 1 and pixels.shape[-1] in (3, 4):
        options["rgb"] = True  # colours: napari's RGB, not an axis
        labels.pop()
    if any(labels):
        options["axis_labels"] = tuple(labels)
    sizes = info.sizes[: len(labels)] if info.sizes is not None else None
    if sizes is not None and any(s is not None for s in sizes):
        options["scale"] = tuple(1.0 if s is None else s for s in sizes)
        options["units"] = tuple(
            "pixel" if s is None else info.unit or "micrometer" for s in sizes
        )
    return split_name(path.name)[0], pixels, options


def open_viewer(files: list[File], sample: str = "coins"):
    """A viewer with the image, its mask and the docked widget, first blur shown.

    ``files`` holds :func:`read_file`'s (name, pixels, options) for the
    image and optionally the mask; empty means the plugin's ``sample``.
    Returns ``(viewer, widget)``.
    """
    import napari

    viewer = napari.Viewer(title="napari-masked-blur")
    _fit_to_screen(viewer)
    if files:
        _add_files(viewer, files)
    else:
        viewer.open_sample(PLUGIN, sample)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    if wait_until(lambda: not widget.runner.busy, timeout_s=120):
        widget["view"].value = "side by side"
    _ready_to_paint(viewer, widget["mask"].value)
    wait_until(lambda: False, timeout_s=0.2)  # the dock takes its place
    viewer.reset_view()  # the images fill the canvas left beside the dock
    return viewer, widget


def _fit_to_screen(viewer) -> None:
    """Most of the screen (85 %), centred; images are fitted to it later."""
    from qtpy.QtWidgets import QApplication

    screen = QApplication.primaryScreen().availableGeometry()
    viewer.window.resize(int(screen.width() * 0.85), int(screen.height() * 0.85))


def _add_files(viewer, files: list[File]) -> None:
    (image_name, image, options), *rest = files
    layer = viewer.add_image(image, name=image_name, **options)
    if not rest:
        mask_shape = image.shape[:-1] if layer.rgb else image.shape
        keep = {k: v for k, v in options.items() if k != "rgb"}
        viewer.add_labels(np.zeros(mask_shape, np.uint8), name="mask", **keep)
        return
    mask_name, mask, mask_options = rest[0]
    if mask.dtype.kind in "biu":
        labels = mask.astype(np.int32, copy=False)
        viewer.add_labels(labels, name=mask_name, **mask_options)
    else:
        viewer.add_image(
            mask, name=mask_name, colormap="gray", opacity=0.5, **mask_options
        )


def _ready_to_paint(viewer, mask) -> None:
    """Select the mask with the brush on a new label id, if it is a Labels layer."""
    import napari

    if isinstance(mask, napari.layers.Labels):
        viewer.layers.selection.active = mask
        mask.selected_label = int(np.max(mask.data)) + 1
        mask.mode = "paint"
        mask.brush_size = 20


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the Qt event loop until ``condition()`` holds; False on timeout."""
    from qtpy.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=20)
    timer.timeout.connect(
        lambda: (condition() or time.monotonic() > deadline) and loop.quit()
    )
    timer.start()
    if not condition():
        loop.exec_()
    timer.stop()
    return condition()
