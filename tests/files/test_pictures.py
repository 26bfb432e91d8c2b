"""Pictures (PNG, JPEG, BMP) read like any other format, by OpenCV."""

import cv2
import numpy as np
import pytest

from napari_masked_blur._files.formats import open_image, pixel_info


def test_a_gray_png_reads_as_it_was_written(tmp_path):
    pixels = (np.arange(20 * 30).reshape(20, 30) * 97 % 65536).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "gray.png"), pixels)  # 16 bits kept
    read = open_image(tmp_path / "gray.png")
    np.testing.assert_array_equal(read, pixels)
    assert not read.flags.writeable  # inputs are read-only
    assert pixel_info(tmp_path / "gray.png").axes == "YX"


def test_a_colour_png_is_rgb_with_its_colours_last(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    cv2.imwrite(str(tmp_path / "red.png"), rgb[..., ::-1])  # OpenCV writes BGR
    read = open_image(tmp_path / "red.png")
    np.testing.assert_array_equal(read, rgb)
    info = pixel_info(tmp_path / "red.png")
    assert info.axes == "YXS" and info.channel_axis == 2


def test_a_damaged_picture_names_the_file(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    with pytest.raises(ValueError, match=r"broken\.png"):
        open_image(tmp_path / "broken.png")


def test_a_missing_picture_is_no_such_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        open_image(tmp_path / "nowhere.png")
