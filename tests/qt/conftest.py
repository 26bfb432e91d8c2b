"""GUI tests: napari, Qt and a display (pytest-xvfb starts Xvfb).

Settings and caches go to a fresh temporary directory, so neither the user's
napari settings nor magicgui's persisted values leak into (or out of) a run.
Viewers are made with ``strict_qt=True``: a leaked Qt widget fails the test.
Every test ends with no worker left in Qt's thread pool.

Also the helpers the widget's test modules share (imported from
``tests.qt.conftest``): the small ramp and its labels, docking the widget
through the real manifest, and waiting until its runner is idle.
"""

import importlib.util
import os
import tempfile

import numpy as np
import pytest

PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"
TIMEOUT_MS = 30_000

_HOME = tempfile.mkdtemp(prefix="napari-masked-blur-gui-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, "cache")
os.environ["XDG_RUNTIME_DIR"] = os.path.join(_HOME, "runtime")
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
os.environ.setdefault("QT_API", "pyqt6")

if importlib.util.find_spec("napari") is None:  # the array API alone is installed
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/qt/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _no_worker_left(qapp):
    yield
    from qtpy.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(30_000), "a worker kept running"


@pytest.fixture
def regions(monkeypatch):
    """The region of every piece the widget computes, in order (None = whole)."""
    import napari_masked_blur._qt.session as session_module

    seen = []
    real = session_module.run_piece

    def recording(image, mask, options, region=None):
        seen.append(region)
        return real(image, mask, options, region)

    monkeypatch.setattr(session_module, "run_piece", recording)
    return seen


def ramp_and_labels(shape=(40, 50)):
    """A uint16 ramp (3 a row, 1 a column, 3 a plane) with a bright stripe
    (5000, columns 30-32) outside the mask, and labels 1 and 2 either side."""
    grid = np.indices(shape)
    image = (grid[:-1].sum(axis=0) * 3 + grid[-1]).astype(np.uint16)
    image[..., 30:33] = 5000  # outside the mask: must not leak in
    mask = np.zeros(shape, np.uint8)
    mask[..., 5:35, 5:30] = 1
    mask[..., 5:35, 33:45] = 2
    return image, mask


def dock(viewer):
    """The plugin's widget, docked in ``viewer`` through its manifest."""
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    return widget


def wait_idle(qtbot, widget):
    """Wait until the widget's runner has no job left."""
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)
