"""Pixel sizes and axes from the files, bioio's readers, OME outputs with scale."""

from __future__ import annotations

import json
import sys

import dask.array as da
import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur._files import formats
from napari_masked_blur._files.formats import PixelInfo, open_image, pixel_info
from napari_masked_blur._files.io import open_array
from napari_masked_blur._files.outputs import ome_axes, output_hooks, sidecar
from napari_masked_blur._files.write import write_lazy

RECORD = {"settings": {"format": 1, "sigma": 1.5}, "version": "0.1.0"}
OME_ZYX = {"axes": "ZYX", "PhysicalSizeZ": 2.0, "PhysicalSizeY": 0.5}
OME_ZYX |= {"PhysicalSizeX": 0.5}


def write(volume, path, info=None, channel_axis=None):
    create, finish = output_hooks(path, RECORD, info, channel_axis)
    array = da.from_array(volume, chunks=(3, 10, 15))
    write_lazy(array, path, create=create, finish=finish)


def test_ome_tiff_pixel_sizes_and_axes(tmp_path, volume):
    tifffile.imwrite(tmp_path / "v.ome.tif", volume, ome=True, metadata=OME_ZYX)
    info = pixel_info(tmp_path / "v.ome.tif")
    assert info == PixelInfo("ZYX", (2.0, 0.5, 0.5), "µm")
    assert info.sizes_in("nm") == (2000.0, 500.0, 500.0)


def test_imagej_tiff_pixel_sizes(tmp_path, volume):
    tifffile.imwrite(
        tmp_path / "v.tif",
        volume,
        imagej=True,
        resolution=(4.0, 4.0),  # pixels per unit: 0.25 um
        metadata={"spacing": 1.5, "unit": "um", "axes": "ZYX"},
    )
    assert pixel_info(tmp_path / "v.tif") == PixelInfo("ZYX", (1.5, 0.25, 0.25), "um")


def test_files_without_sizes_say_so(tmp_path, volume):
    tifffile.imwrite(tmp_path / "v.tif", volume)
    np.save(tmp_path / "v.npy", volume)
    assert pixel_info(tmp_path / "v.tif").sizes is None
    assert pixel_info(tmp_path / "v.npy") == PixelInfo()


def test_unknown_unit_is_named():
    with pytest.raises(ValueError, match="unknown length unit 'furlong'"):
        PixelInfo("YX", (1.0, 1.0), "um").sizes_in("furlong")


def test_ome_axes_from_the_file_or_from_the_end():
    assert ome_axes(3, PixelInfo("ZYX"), None) == "ZYX"
    assert ome_axes(3, PixelInfo("QYX"), None) == "ZYX"
    assert ome_axes(4, PixelInfo(), 0) == "CZYX"
    assert ome_axes(3, PixelInfo("YXS"), None) == "YXC"
    with pytest.raises(ValueError, match="cannot name 6 axes"):
        ome_axes(6, PixelInfo(), None)


def test_ome_zarr_output_opens_back_at_its_scale(tmp_path, volume):
    pytest.importorskip("yaozarrs")
    path = tmp_path / "out.ome.zarr"
    write(volume, path, PixelInfo("ZYX", (2.0, 0.5, 0.5), "µm"))
    attrs = zarr.open_group(path, mode="r").attrs.asdict()
    (multiscale,) = attrs["ome"]["multiscales"]
    assert [a["name"] for a in multiscale["axes"]] == ["z", "y", "x"]
    assert {a["unit"] for a in multiscale["axes"]} == {"micrometer"}
    (transform,) = multiscale["datasets"][0]["coordinateTransformations"]
    assert transform["scale"] == [2.0, 0.5, 0.5]
    assert attrs["napari-masked-blur"] == RECORD
    np.testing.assert_array_equal(open_array(path)[:], volume)
    assert pixel_info(path) == PixelInfo("ZYX", (2.0, 0.5, 0.5), "micrometer")


def test_napari_reads_the_ome_zarr_output_at_its_scale(tmp_path, volume):
    pytest.importorskip("yaozarrs")
    reader = pytest.importorskip("napari_ome_zarr._reader")
    path = tmp_path / "out.ome.zarr"
    write(volume, path, PixelInfo("ZYX", (2.0, 0.5, 0.5), "µm"))
    (layer,) = reader.napari_get_reader(str(path))(str(path))
    data, kwargs = layer[0], layer[1]
    level0 = data[0] if isinstance(data, list) else data
    np.testing.assert_array_equal(np.asarray(level0), volume)
    np.testing.assert_allclose(kwargs["scale"], (2.0, 0.5, 0.5))


def test_ome_tiff_output_keeps_the_pixel_sizes_and_the_record(tmp_path, volume):
    path = tmp_path / "out.ome.tif"
    write(volume, path, PixelInfo("ZYX", (2.0, 0.5, 0.5), "micrometer"))
    np.testing.assert_array_equal(tifffile.imread(path), volume)
    assert pixel_info(path) == PixelInfo("ZYX", (2.0, 0.5, 0.5), "µm")
    with tifffile.TiffFile(path) as tif:
        ome = tifffile.xml2dict(tif.ome_metadata)["OME"]
    value = ome["StructuredAnnotations"]["MapAnnotation"]["Value"]["M"]
    assert json.loads(value["value"]) == RECORD


def test_npy_record_is_a_sidecar_written_before_the_array(tmp_path, volume):
    path = tmp_path / "out.npy"
    write(volume, path)
    assert json.loads(sidecar(path).read_text()) == RECORD
    chunks = da.from_array(volume, chunks=(3, 10, 15))
    broken = chunks.map_blocks(_fail, dtype=volume.dtype)
    create, finish = output_hooks(tmp_path / "bad.npy", RECORD)
    with pytest.raises(RuntimeError, match="chunk failed"):
        write_lazy(broken, tmp_path / "bad.npy", create=create, finish=finish)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy", "out.npy.json"]


def _fail(block):
    raise RuntimeError("chunk failed")


def test_bioio_reads_an_ome_tiff_lazily_with_its_pixel_sizes(tmp_path, volume):
    pytest.importorskip("bioio_ome_tiff")
    tifffile.imwrite(tmp_path / "v.ome.tif", volume, ome=True, metadata=OME_ZYX)
    image = open_image(tmp_path / "v.ome.tif", reader="bioio")
    assert isinstance(image, formats.BioArray)
    assert image.shape == volume.shape and image.dtype == volume.dtype
    np.testing.assert_array_equal(image[1:4, 5:9, :7], volume[1:4, 5:9, :7])
    planes = image._image().get_image_dask_data(image.order).chunks[0]
    assert planes == (1,) * volume.shape[0]  # a window reads only its planes
    info = pixel_info(tmp_path / "v.ome.tif", reader="bioio")
    assert info.axes == "ZYX"
    assert info.sizes_in("um") == (2.0, 0.5, 0.5)


def test_bioio_keeps_a_channel_axis_and_drops_single_ones(tmp_path, rng):
    pytest.importorskip("bioio_ome_tiff")
    cyx = rng.random((3, 20, 30)).astype(np.float32)
    tifffile.imwrite(tmp_path / "c.ome.tif", cyx, ome=True, metadata={"axes": "CYX"})
    info = pixel_info(tmp_path / "c.ome.tif", reader="bioio")
    assert info.axes == "CYX" and info.channel_axis == 0
    np.testing.assert_array_equal(
        open_image(tmp_path / "c.ome.tif", reader="bioio")[:], cyx
    )


def test_without_bioio_other_formats_name_the_extra(tmp_path, monkeypatch):
    (tmp_path / "scan.czi").write_bytes(b"not a czi")
    monkeypatch.setitem(sys.modules, "bioio", None)  # import bioio fails
    formats._cached_bioimage.cache_clear()
    with pytest.raises(ValueError, match=r"napari-masked-blur\[formats\]"):
        open_image(tmp_path / "scan.czi")
    with pytest.raises(FileNotFoundError, match="no such file"):
        pixel_info(tmp_path / "absent.czi")


@pytest.mark.parametrize(
    ("axes", "ndim", "labels"),
    [
        ("TYX", 3, ("t", "y", "x")),
        ("TCZYX", 5, ("t", "c", "z", "y", "x")),
        ("SYX", 3, ("c", "y", "x")),
        # tifffile's generic axes name nothing: unlabelled.
        ("QYX", 3, ("", "", "")),
        ("IQYX", 4, ("",) * 4),
        # No order, or one that does not fit the array: unlabelled.
        (None, 2, ("", "")),
        ("TYX", 4, ("",) * 4),
    ],
)
def test_file_axes_become_labels_for_the_frames_rule(axes, ndim, labels):
    assert PixelInfo(axes=axes).labels(ndim) == labels


# --- metadata that cannot be true is refused, never written --------------------


def _ome_zarr_input(path, volume, scale, axes=("z", "y", "x")):
    """An OME-Zarr v0.4 image of ``volume`` whose scale is ``scale``."""
    group = zarr.open_group(path, mode="w", zarr_format=2)
    group.create_array("0", shape=volume.shape, dtype=volume.dtype)[:] = volume
    kinds = {"t": "time", "c": "channel"}
    group.attrs["multiscales"] = [
        {
            "version": "0.4",
            "axes": [
                {"name": a, "type": kinds.get(a, "space")}
                | ({"unit": "micrometer"} if a in "zyx" else {})
                for a in axes
            ],
            "datasets": [
                {
                    "path": "0",
                    "coordinateTransformations": [{"type": "scale", "scale": scale}],
                }
            ],
        }
    ]


@pytest.mark.parametrize("size", [0.0, -0.5, float("nan"), float("inf")])
@pytest.mark.parametrize("kind", ["ome.tif", "ome.zarr"])
def test_an_impossible_pixel_size_is_refused_naming_the_file(
    tmp_path, volume, size, kind
):
    path = tmp_path / f"v.{kind}"
    if kind == "ome.tif":
        metadata = OME_ZYX | {"PhysicalSizeY": size}
        tifffile.imwrite(path, volume, ome=True, metadata=metadata)
    else:
        _ome_zarr_input(path, volume, [2.0, size, 0.5])
    said = rf"'{path}' has a pixel size {size!r} \S+ along its axis 1 \(Y\) from its"
    said += " metadata"
    with pytest.raises(ValueError, match=said):
        pixel_info(path)


def test_an_imagej_resolution_of_no_finite_size_is_refused(tmp_path, volume):
    # 0 pixels per micrometre: a pixel of no finite size (it was dropped).
    tifffile.imwrite(
        tmp_path / "v.tif", volume, imagej=True, resolution=((0, 1), (2, 1)),
        metadata={"spacing": 1.5, "unit": "um", "axes": "ZYX"},
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"pixel size inf um along its axis 2"):
        pixel_info(tmp_path / "v.tif")


@pytest.mark.parametrize("name", ["out.ome.zarr", "out.ome.tif"])
@pytest.mark.parametrize(
    "info",
    [
        PixelInfo("ZYX", (2.0, float("nan"), 0.5), "µm"),
        PixelInfo("ZYX", (0.0, 0.5, 0.5), "µm"),
        PixelInfo("TYX", (None, 0.5, 0.5), "µm", -1.0, "s"),
    ],
)
def test_ome_writers_never_write_an_impossible_step(tmp_path, volume, name, info):
    pytest.importorskip("yaozarrs")
    with pytest.raises(ValueError, match=r"cannot write the step .* into OME"):
        write(volume, tmp_path / name, info)
    assert list(tmp_path.iterdir()) == []


# --- the time step of a time-lapse is kept ----------------------------------------


TYX_TIME = {"axes": "TYX", "PhysicalSizeY": 0.5, "PhysicalSizeX": 0.5}
TYX_TIME |= {"TimeIncrement": 2.5, "TimeIncrementUnit": "min"}


def test_time_step_and_unit_are_read_from_every_format(tmp_path, volume):
    tifffile.imwrite(tmp_path / "t.ome.tif", volume, ome=True, metadata=TYX_TIME)
    tifffile.imwrite(
        tmp_path / "t.tif", volume, imagej=True, resolution=(2.0, 2.0),
        metadata={"axes": "TYX", "finterval": 0.25, "unit": "um"},
    )  # fmt: skip
    _ome_zarr_input(tmp_path / "t.ome.zarr", volume, [3.0, 0.5, 0.5], "tyx")
    assert pixel_info(tmp_path / "t.ome.tif") == PixelInfo(
        "TYX", (None, 0.5, 0.5), "µm", 2.5, "min"
    )
    assert (
        pixel_info(tmp_path / "t.tif").time,
        pixel_info(tmp_path / "t.tif").time_unit,
    ) == (0.25, "sec")
    zarr_info = pixel_info(tmp_path / "t.ome.zarr")
    assert (zarr_info.axes, zarr_info.time, zarr_info.time_unit) == ("TYX", 3.0, None)


@pytest.mark.parametrize("name", ["out.ome.zarr", "out.ome.tif"])
def test_ome_outputs_keep_the_time_step_and_its_unit(tmp_path, volume, name):
    pytest.importorskip("yaozarrs")
    tifffile.imwrite(tmp_path / "t.ome.tif", volume, ome=True, metadata=TYX_TIME)
    write(volume, tmp_path / name, pixel_info(tmp_path / "t.ome.tif"))
    kept = pixel_info(tmp_path / name)
    assert (
        kept.axes == "TYX"
        and kept.time == 2.5
        and kept.sizes_in("um")[1:] == (0.5, 0.5)
    )
    assert kept.time_unit == ("minute" if name.endswith("zarr") else "min")
    if name.endswith("zarr"):
        (multiscale,) = zarr.open_group(tmp_path / name).attrs["ome"]["multiscales"]
        assert multiscale["axes"][0] == {"name": "t", "type": "time", "unit": "minute"}
        (scale,) = multiscale["datasets"][0]["coordinateTransformations"]
        assert scale["scale"] == [2.5, 0.5, 0.5]


def test_a_time_step_without_a_unit_is_kept_without_one(tmp_path, volume):
    pytest.importorskip("yaozarrs")
    info = PixelInfo("TYX", (None, 0.5, 0.5), "µm", 3.0)
    write(volume, tmp_path / "out.ome.tif", info)
    with tifffile.TiffFile(tmp_path / "out.ome.tif") as tif:
        pixels = tifffile.xml2dict(tif.ome_metadata)["OME"]["Image"]["Pixels"]
    assert float(pixels["TimeIncrement"]) == 3.0
    assert pixels.get("TimeIncrementUnit", "s") == "s"  # OME's default


def test_bioio_reads_the_time_step_of_an_ome_zarr(tmp_path, volume):
    pytest.importorskip("bioio_ome_zarr")
    pytest.importorskip("yaozarrs")
    info = PixelInfo("TYX", (None, 0.5, 0.5), "µm", 2.5, "min")
    write(volume, tmp_path / "t.ome.zarr", info)
    read = pixel_info(tmp_path / "t.ome.zarr", reader="bioio")
    assert (read.axes, read.time, read.time_unit) == ("TYX", 2.5, "minute")
