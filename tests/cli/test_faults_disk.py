"""A full disk: the run fails (exit 1), says so in one line, and leaves the
folder as it was.  Needs a small tmpfs, so root and a system that lets us
mount one; skipped elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur._cli import blur as blur_command


@pytest.mark.parametrize("name", ["out.npy", "out.tif", "out.zarr"])
def test_full_disk_fails_cleanly_and_keeps_the_old_output(
    tmp_path, small_disk, capsys, name
):
    rng = np.random.default_rng(1)
    np.save(tmp_path / "image.npy", rng.random((16, 64, 64), np.float32))  # 256 KiB
    np.save(tmp_path / "mask.npy", np.ones((16, 64, 64), bool))
    (small_disk / "keep.txt").write_text("mine")
    status = blur_command.main(
        [
            str(tmp_path / "image.npy"),
            str(tmp_path / "mask.npy"),
            "--sigma",
            "1",
            "-o",
            str(small_disk / name),
            "--chunks",
            "4,32,32",
        ]
    )
    assert status == 1
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    (said,) = [line for line in lines if line.startswith("napari-masked-blur")]
    assert "No space left on device" in said
    assert not any("Traceback" in line for line in lines)
    assert [p.name for p in small_disk.iterdir()] == ["keep.txt"]
