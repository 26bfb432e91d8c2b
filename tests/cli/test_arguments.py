"""Argument types of ``blur``, and chunks too small to be worth their cost."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._cli.arguments import (
    MAX_SMALL_CHUNKS,
    MIN_CHUNK_BYTES,
    grown_chunks,
)
from napari_masked_blur._cli.store import store_chunks


@given(
    shape=st.lists(st.integers(0, 3000), min_size=1, max_size=4).map(tuple),
    data=st.data(),
    itemsize=st.sampled_from([4, 8]),
)
def test_grown_chunks_are_never_tiny_and_never_beyond_the_image(shape, data, itemsize):
    chunks = tuple(data.draw(st.integers(1, max(n, 1))) for n in shape)
    grown = grown_chunks(chunks, shape, itemsize)
    assert all(
        c <= g <= max(n, 1) for c, g, n in zip(chunks, grown, shape, strict=True)
    )
    least = min(MIN_CHUNK_BYTES, math.prod(shape) * itemsize // MAX_SMALL_CHUNKS)
    whole = all(g == max(n, 1) for g, n in zip(grown, shape, strict=True))
    assert whole or math.prod(grown) * itemsize >= least - itemsize
    if math.prod(chunks) * itemsize >= least:
        assert grown == chunks  # chunks worth their cost are kept as given


def test_chunks_of_one_pixel_are_grown_and_said(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "image.npy", rng.random((512, 512), np.float32))
    np.save(tmp_path / "mask.npy", rng.random((512, 512)) > 0.3)
    tasks = []

    def counting_store(result, target, args):
        tasks.append(result.npartitions)
        store_chunks(result, target, args)

    monkeypatch.setattr(blur_command, "store_chunks", counting_store)
    arguments = [tmp_path / "image.npy", tmp_path / "mask.npy", "--sigma", "1"]
    arguments += ["-o", tmp_path / "out.npy", "--chunks", "1"]
    assert blur_command.main([str(a) for a in arguments]) == 0
    assert "--chunks 1,1 grown to 8,512: smaller chunks cost more" in (
        capsys.readouterr().err
    )
    assert tasks == [MAX_SMALL_CHUNKS]  # 512 rows in chunks of 8, not 512² tasks
    assert np.load(tmp_path / "out.npy").shape == (512, 512)


@pytest.mark.parametrize("chunks", ["4,16,16", "2,7,9"])
def test_small_chunks_on_a_small_image_are_kept(tmp_path, capsys, chunks):
    np.save(tmp_path / "image.npy", np.ones((6, 20, 24), np.float32))
    np.save(tmp_path / "mask.npy", np.ones((6, 20, 24), bool))
    arguments = [tmp_path / "image.npy", tmp_path / "mask.npy", "--sigma", "1"]
    arguments += ["-o", tmp_path / "out.npy", "--chunks", chunks]
    assert blur_command.main([str(a) for a in arguments]) == 0
    assert "grown" not in capsys.readouterr().err
