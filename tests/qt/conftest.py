"""GUI tests: napari, Qt and a display (pytest-xvfb starts Xvfb).

Settings and caches go to a fresh temporary directory, so neither the user's
napari settings nor magicgui's persisted values leak into (or out of) a run.
Viewers are made with ``strict_qt=True``: a leaked Qt widget fails the test.
Every test ends with no worker left in Qt's thread pool.
"""

import importlib.util
import os
import tempfile

import pytest

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
    real = session_module.compute_piece

    def recording(image, mask, options, region=None):
        seen.append(region)
        return real(image, mask, options, region)

    monkeypatch.setattr(session_module, "compute_piece", recording)
    return seen
