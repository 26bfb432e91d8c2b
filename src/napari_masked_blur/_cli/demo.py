"""``napari-masked-blur [IMAGE [MASK]]``: napari with the widget docked and wired.

Without files it opens the coins sample (or ``--sample volume``, the 3D
one, or ``--sample timelapse``, the drifting cells movie); with files
it opens IMAGE and MASK (an integer/bool mask becomes a Labels layer, a float
one an Image layer used as certainty; no MASK gives an empty Labels layer to
paint in).  The first blur is shown side by side with the original, and the
mask is selected with the brush ready.  ``--screenshot PNG`` saves the window
once that first blur is shown and exits instead of running the event loop.
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
        arrays = [read_array(Path(p)) for p in (args.image, args.mask) if p]
    except (OSError, ValueError) as exc:
        print(f"napari-masked-blur: {exc}", file=sys.stderr)
        return 1
    names = [Path(p).stem for p in (args.image, args.mask) if p]

    import napari

    viewer, widget = open_viewer(list(zip(names, arrays, strict=True)), args.sample)
    if args.screenshot is None:
        napari.run()
        return 0
    shown = wait_until(lambda: not widget.runner.busy, timeout_s=120)
    viewer.window.resize(1400, 800)
    wait_until(lambda: False, timeout_s=0.5)  # let the resize and redraw happen
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


def read_array(path: Path) -> np.ndarray:
    """Pixels of ``path``: .npy by numpy, TIFF by tifffile, others by imageio."""
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix in (".tif", ".tiff"):
        import tifffile

        return tifffile.imread(path)
    import imageio.v3 as iio

    return iio.imread(path)


def open_viewer(files: list[tuple[str, np.ndarray]], sample: str = "coins"):
    """A viewer with the image, its mask and the docked widget, first blur shown.

    ``files`` holds (name, pixels) for the image and optionally the mask;
    empty means the plugin's ``sample``.  Returns ``(viewer, widget)``.
    """
    import napari

    viewer = napari.Viewer(title="napari-masked-blur")
    if files:
        _add_files(viewer, files)
    else:
        viewer.open_sample(PLUGIN, sample)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    if wait_until(lambda: not widget.runner.busy, timeout_s=120):
        widget["view"].value = "side by side"
    _ready_to_paint(viewer, widget["mask"].value)
    return viewer, widget


def _add_files(viewer, files: list[tuple[str, np.ndarray]]) -> None:
    (image_name, image), *rest = files
    layer = viewer.add_image(image, name=image_name)
    if not rest:
        mask_shape = image.shape[:-1] if layer.rgb else image.shape
        viewer.add_labels(np.zeros(mask_shape, np.uint8), name="mask")
        return
    mask_name, mask = rest[0]
    if mask.dtype.kind in "biu":
        viewer.add_labels(mask.astype(np.int32, copy=False), name=mask_name)
    else:
        viewer.add_image(mask, name=mask_name, colormap="gray", opacity=0.5)


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
