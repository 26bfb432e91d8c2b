"""No numba compile or cache load on the widget's threads, in a scripted session.

numba announces every compile of a loop as a "numba:compile" event, and
every compile or load from its cache as a "numba:compiler_lock" event, on
the thread that does it.  A listener
records the thread of each event while a user's session runs: the layers
chosen, sigma moved several times, a patch painted in a plane of a volume
(at its first plane, where the patch's window is part of a plane and thin
along z, and in the middle), with and without chosen labels, and a 2D
image that takes the fused pass.  The types are ones no other test uses,
so the loops really are got ready during the session.  The main thread and
the runner's, or the threads they start, must never show up: the
loader's worker alone (and the listener hears it).
"""

import threading

import numba.core.event as numba_event
import numpy as np

from napari_masked_blur._engines import compiled_loops, wait_for_loops
from napari_masked_blur._engines._compiled import WORKER_NAME
from napari_masked_blur._math.loop_keys import live_loop_keys
from tests.qt.conftest import dock

TIMEOUT_MS = 120_000


class CompileThreads(numba_event.Listener):
    """The name of the thread of each numba compile (or cache load)."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def on_start(self, event) -> None:
        thread = threading.current_thread()
        name = "main" if thread is threading.main_thread() else thread.name
        self.threads.append(name)

    def on_end(self, event) -> None:
        pass


def wait_idle(qtbot, widget):
    live = widget.session
    qtbot.waitUntil(
        lambda: live.plan is not None and live.plan.complete and not widget.runner.busy,
        timeout=TIMEOUT_MS,
    )


def move_sigma(qtbot, widget, values):
    for sigma in values:
        widget["sigma"].value = sigma
        qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)
    wait_idle(qtbot, widget)


def paint(qtbot, widget, labels, point, value):
    """A dab of the brush that changes the mask (napari paints the shown plane)."""
    labels.brush_size = 3
    labels.selected_label = value
    before = labels.data.copy()
    labels.paint(point, value)
    assert (labels.data != before).any(), "the dab changed the mask"
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)
    wait_idle(qtbot, widget)


def session_steps(qtbot, viewer, widget, labels, round_):
    """Sigma moved four times; dabs at the first plane and in the middle."""
    move_sigma(qtbot, widget, (1.5, 2.0, 1.0, 2.0))
    spot, value = 6 + 7 * round_, 3 + round_  # a new place, a new id
    if labels.ndim == 2:
        paint(qtbot, widget, labels, (spot, spot), value)
        return
    middle = viewer.dims.current_step[0]
    # The first plane: the patch is thin along z (radius 8 at sigma 2) and
    # its window is part of each plane, not C-ordered.
    viewer.dims.set_current_step(0, 0)
    wait_idle(qtbot, widget)
    paint(qtbot, widget, labels, (0, spot, spot), value)
    viewer.dims.set_current_step(0, middle)
    wait_idle(qtbot, widget)
    paint(qtbot, widget, labels, (middle, spot + 3, spot), value)


def test_the_widget_threads_never_compile_or_load_numbas_loops(
    make_napari_viewer, qtbot
):
    rng = np.random.default_rng(12)
    volume = rng.integers(0, 60_000, (14, 40, 48), dtype=np.uint32)
    mask = rng.integers(0, 3, volume.shape).astype(np.uint16)
    flat = rng.integers(0, 60_000, (300, 280), dtype=np.uint32)
    flat_mask = rng.integers(0, 3, flat.shape).astype(np.uint16)
    listener = CompileThreads()
    viewer = make_napari_viewer(strict_qt=True)
    with (
        numba_event.install_listener("numba:compile", listener),
        numba_event.install_listener("numba:compiler_lock", listener),
    ):
        widget = dock(viewer)
        image = viewer.add_image(volume, name="volume")
        viewer.dims.set_current_step(0, 7)
        labels = viewer.add_labels(mask, name="cells")  # the layers chosen
        options = widget.options(image, labels)
        keys = live_loop_keys(volume.shape, volume.dtype, mask.dtype, options)
        assert keys and all(compiled_loops(k) is None for k in keys), "fresh types"
        wait_idle(qtbot, widget)
        round_ = 0
        for ready in (False, True):  # while the loops load, then once ready
            for chosen in (0, 1):  # all labels; label 1 alone: a bool mask
                widget["labels"].value = chosen
                session_steps(qtbot, viewer, widget, labels, round_)
                round_ += 1
            if not ready:
                assert wait_for_loops(TIMEOUT_MS / 1000)
        widget["labels"].value = 0
        viewer.layers.clear()
        viewer.add_image(flat, name="flat")  # 2D: the fused pass
        labels = viewer.add_labels(flat_mask, name="roi")
        wait_idle(qtbot, widget)
        for _ in range(2):  # while the fused loops load, then once ready
            for chosen in (0, 2):
                widget["labels"].value = chosen
                session_steps(qtbot, viewer, widget, labels, round_)
                round_ += 1
            assert wait_for_loops(TIMEOUT_MS / 1000)
    # Not the widget's threads, nor threads they started (the loops' own).
    assert set(listener.threads) == {WORKER_NAME}, "the warm-up's thread alone"
    flat_keys = live_loop_keys(flat.shape, flat.dtype, flat_mask.dtype, options)
    assert flat_keys and all(compiled_loops(k) is not None for k in flat_keys)
