"""``bench statistics``: its peers from a file, its table and the targets it
reads, on tiny cases (speed itself is measured by the command, not here)."""

from __future__ import annotations

import numpy as np

from napari_masked_blur._bench import statistics as bench
from napari_masked_blur._bench.peers import disk_case

PEERS = """
import numpy as np
from scipy import ndimage as ndi

def scipy_local_std(img, mask, sigma):
    f, w = img.astype(np.float64), mask.astype(np.float64)
    g = lambda a: ndi.gaussian_filter(a, sigma, mode="constant")
    s0, s1, s2 = g(w), g(f * w), g(f * f * w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(np.maximum(s2 / s0 - (s1 / s0) ** 2, 0))

def unrelated(img, mask, sigma):
    return None
"""


def test_peers_are_read_from_the_file_by_their_names(tmp_path):
    path = tmp_path / "peers.py"
    path.write_text(PEERS)
    peers = bench.load_peers(path)
    assert list(peers) == ["scipy_local_std"]
    assert bench.load_peers(None) == {}


def test_each_case_times_ours_our_gaussian_and_the_peers_that_take_it(tmp_path):
    path = tmp_path / "peers.py"
    path.write_text(PEERS)
    peers = bench.load_peers(path)
    ms = bench.time_case((40, 48), 2.0, peers, rounds=2)
    assert set(ms) == {"local_std", "local_correlation", "masked_gaussian", *peers}
    assert all(value > 0 for value in ms.values())
    # The peer computes what ours does: the recipe agrees inside the mask.
    image, mask = disk_case((40, 48))
    ours = bench.contenders(peers, 2)["local_std"](image, mask, 2.0)
    theirs = peers["scipy_local_std"](image, mask, 2.0)
    np.testing.assert_allclose(ours[mask], theirs[mask], rtol=1e-3)


def test_the_table_gives_the_ratios_and_the_shortfalls_name_the_misses():
    rows = [
        ("a", {"local_std": 30.0, "local_correlation": 90.0, "masked_gaussian": 20.0,
               "opencv_local_std": 100.0}),
    ]  # fmt: skip
    text = bench.table(rows, ["opencv_local_std"])
    assert "| a | 30.0 | 90.0 | 20.0 | 100 | 0.30x | 1.50x | 4.50x |" in text
    missed = bench.shortfalls(rows, ["opencv_local_std"], {"local_std": 31.0})
    assert missed == [
        "a: local_correlation 4.50x our masked Gaussian, not 2.5x",
        "paint latency local_std: 31.0 ms, not <= 30.0 ms",
    ]
