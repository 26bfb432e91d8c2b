"""Dask-backed and multiscale layers: a lazy output, computed where it is shown."""

import dask.array as da
import numpy as np
import pytest
import tifffile

from napari_masked_blur import masked_gaussian

PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"
TIMEOUT_MS = 30_000
SHAPE = (60, 40, 50)
CHUNKS = (10, 40, 50)


class PlaneReads:
    """A read-only array that remembers which planes were read from it."""

    def __init__(self, array):
        self.array, self.planes = array, set()
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim

    def __getitem__(self, key):
        self.planes.update(range(*key[0].indices(self.shape[0])))
        return self.array[key]


def dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    return widget


def output_layer(viewer, name):
    return viewer.layers[f"{name} masked blur"]


@pytest.fixture
def lazy_volume(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    rng = np.random.default_rng(2)
    image = rng.integers(0, 4000, SHAPE, dtype=np.uint16)
    mask = np.zeros(SHAPE, np.uint8)
    mask[5:55, 5:35, 5:45] = 1
    source = PlaneReads(image)
    viewer.add_image(da.from_array(source, chunks=CHUNKS), name="lazy")
    labels = viewer.add_labels(mask, name="mask")
    viewer.dims.set_current_step(0, 30)
    widget = dock(viewer)
    widget["sigma"].value = 1.0  # radius 4: the plane needs planes 26-34
    qtbot.waitUntil(lambda: "lazy masked blur" in viewer.layers, timeout=TIMEOUT_MS)
    return viewer, widget, image, labels, source


def test_dask_image_gives_a_lazy_output_equal_where_shown(lazy_volume):
    viewer, _, image, labels, _ = lazy_volume
    out = output_layer(viewer, "lazy")
    assert isinstance(out.data, da.Array)
    shown = np.asarray(out.data[30])
    np.testing.assert_allclose(
        shown, masked_gaussian(image, labels.data, 1.0)[30], atol=0.4
    )


def test_dask_output_reads_only_what_the_displayed_plane_needs(lazy_volume):
    viewer, _, _, _, source = lazy_volume
    source.planes.clear()
    out = output_layer(viewer, "lazy")
    np.asarray(out.data[30])  # what napari does to show plane 30
    # The chunk holding plane 30 (30-39) and its neighbours, which hold the
    # planes within the radius (dask reads whole chunks): never the volume.
    assert source.planes and source.planes <= set(range(20, 50))


def test_painting_with_a_dask_image_updates_the_lazy_output(lazy_volume, qtbot):
    viewer, _, image, labels, _ = lazy_volume
    labels.brush_size = 8
    labels.paint((30, 20, 25), 0)

    def shown_matches():
        shown = np.asarray(output_layer(viewer, "lazy").data[30])
        expected = masked_gaussian(image, labels.data, 1.0)[30]
        return np.allclose(shown, expected, atol=0.4)

    qtbot.waitUntil(shown_matches, timeout=TIMEOUT_MS)


def test_multiscale_output_level_0_exact_coarser_levels_with_scaled_sigma(
    make_napari_viewer, qtbot
):
    viewer = make_napari_viewer()
    rng = np.random.default_rng(3)
    full = rng.normal(100, 20, (128, 96)).astype(np.float32)
    levels = [full, full[::2, ::2], full[::4, ::4]]
    mask = np.zeros((128, 96), np.uint8)
    mask[10:120, 20:90] = 1
    viewer.add_image(levels, multiscale=True, name="pyramid")
    viewer.add_labels(mask, name="mask")
    widget = dock(viewer)
    widget["sigma"].value = 4.0
    qtbot.waitUntil(lambda: "pyramid masked blur" in viewer.layers, timeout=TIMEOUT_MS)
    out = output_layer(viewer, "pyramid")
    qtbot.waitUntil(lambda: out.multiscale, timeout=TIMEOUT_MS)
    assert len(out.data) == 3
    np.testing.assert_allclose(
        np.asarray(out.data[0]), masked_gaussian(full, mask, 4.0), atol=1e-3
    )
    # level 2 is 4x coarser: blurred on its own pixels with sigma 4 / 4
    np.testing.assert_allclose(
        np.asarray(out.data[2]),
        masked_gaussian(levels[2], mask[::4, ::4], 1.0),
        atol=1e-3,
    )


def test_lazy_output_can_be_saved_like_any_layer(lazy_volume, tmp_path):
    viewer, _, image, labels, _ = lazy_volume
    out = output_layer(viewer, "lazy")
    viewer.layers.selection = {out}
    path = tmp_path / "blurred.tif"
    viewer.layers.save(str(path), selected=True, plugin="napari")
    np.testing.assert_allclose(
        tifffile.imread(path), masked_gaussian(image, labels.data, 1.0), atol=0.4
    )
