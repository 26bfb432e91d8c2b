"""The bench command: what it measures and how it reports, on tiny cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_masked_blur._cli import bench
from napari_masked_blur._cli.bench import CaseResult, run_case, table
from napari_masked_blur._cli.bench_peers import disk_case, ours, seed_recipe


def test_disk_case_is_uint16_noise_with_a_centred_disk():
    image, mask = disk_case((30, 60))
    assert image.dtype == np.uint16 and image.max() < 1000
    assert mask[15, 30] and not mask[0, 0] and not mask[15, 5]


def test_ours_matches_the_seed_recipe_inside_the_mask():
    contenders = {"ours": ours, "seed recipe": seed_recipe}
    result = run_case((40, 50), (2.0, 3.0), contenders, rounds=2)
    assert result.error < 1e-5
    assert all(ms > 0 for ms in result.ms.values())


def test_a_peer_that_cannot_take_a_case_shows_a_dash():
    def two_d_only(image, mask, sigma):
        return None if image.ndim != 2 else seed_recipe(image, mask, sigma)

    contenders = {"ours": ours, "seed recipe": seed_recipe}
    result = run_case((6, 20, 20), (1.0,) * 3, {**contenders, "2D": two_d_only}, 1)
    assert result.ms["2D"] is None
    assert "| - |" in table([result], ["2D"])


def test_table_gives_ratios_of_the_medians():
    result = CaseResult((2048, 2048), (3.0, 3.0))
    result.ms = {"ours": 20.0, "seed recipe": 300.0, "A": 50.0, "B": 30.0}
    result.error = 2e-7
    row = table([result], ["A", "B"]).splitlines()[-1]
    assert (
        row
        == "| 2048x2048 sigma=3 | 20.0 | 300 | 50.0 | 30.0 | 15.0x | 1.50x | 2.0e-07 |"
    )


def test_bad_rounds_exit_with_a_message(capsys):
    with pytest.raises(SystemExit) as raised:
        bench.main(["--rounds", "0"])
    assert raised.value.code != 0
    assert "--rounds must be >= 1" in capsys.readouterr().err


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    results = []
    for sigma in (1.0, 3.0):
        result = CaseResult((64, 64), (sigma, sigma))
        result.ms = {"ours": sigma, "seed recipe": 10 * sigma}
        results.append(result)
    path = tmp_path / "images" / "plot.png"
    bench.plot(results, ["ours", "seed recipe"], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_first_call_penalty_is_measured_in_a_fresh_process():
    # The probe runs as its own script: every import it names must exist.
    penalty = bench.first_call_penalty((32, 32), 1.0)
    assert isinstance(penalty, float) and math.isfinite(penalty)
