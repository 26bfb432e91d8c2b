"""The bench command: what it measures and how it reports, on tiny cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from napari_masked_blur._bench import command as bench
from napari_masked_blur._bench.command import shortfalls, table
from napari_masked_blur._bench.measure import (
    CaseResult,
    from_json,
    run_case,
    to_json,
)
from napari_masked_blur._bench.peers import (
    OpenCVFloor,
    disk_case,
    opencv_recipe,
    ours,
    seed_recipe,
)


def test_disk_case_is_uint16_noise_with_a_centred_disk():
    image, mask = disk_case((30, 60))
    assert image.dtype == np.uint16 and image.max() < 1000
    assert mask[15, 30] and not mask[0, 0] and not mask[15, 5]


def test_ours_matches_the_seed_recipe_inside_the_mask():
    contenders = {"ours": ours, "seed recipe": seed_recipe}
    result = run_case((40, 50), (2.0, 3.0), contenders, rounds=2)
    assert result.error < 1e-5
    assert all(ms > 0 for ms in result.ms.values())
    assert 0 < result.memory < 10


@pytest.mark.parametrize(
    ("shape", "sigma"),
    [
        ((60, 70), (2.0, 3.0)),
        ((12, 40, 50), (3.0, 2.0, 2.0)),
        ((12, 40, 50), (0, 1, 2)),
    ],
)
def test_the_opencv_recipe_in_place_is_the_seed_recipe_inside_the_mask(shape, sigma):
    pytest.importorskip("cv2")
    image, mask = disk_case(shape)
    expected = seed_recipe(image, mask, sigma)[mask]
    out = opencv_recipe(image, mask, sigma)[mask]
    assert np.max(np.abs(out - expected)) <= 1e-5 * np.ptp(expected)


def test_the_floor_blurs_two_ready_arrays_and_leaves_volumes_out():
    pytest.importorskip("cv2")
    image, mask = disk_case((60, 70))
    floor = OpenCVFloor()
    weights = floor(image, mask, (2.0, 2.0))
    assert weights.dtype == np.float32 and weights.shape == image.shape
    assert 0 < weights[30, 35] <= 1
    assert floor(*disk_case((5, 20, 20)), (1.0,) * 3) is None


def test_a_peer_that_cannot_take_a_case_shows_a_dash():
    def two_d_only(image, mask, sigma):
        return None if image.ndim != 2 else seed_recipe(image, mask, sigma)

    contenders = {"ours": ours, "seed recipe": seed_recipe}
    result = run_case((6, 20, 20), (1.0,) * 3, {**contenders, "2D": two_d_only}, 1)
    assert result.ms["2D"] is None
    assert "| - |" in table([result], ["2D"])


def table_case():
    result = CaseResult((2048, 2048), (3.0, 3.0))
    result.ms = {"ours": 20.0, "seed recipe": 300.0, "A": 50.0, "B": 30.0}
    result.ms["floor"] = 10.0
    result.error, result.memory = 2e-7, 1.25
    return result


def test_table_gives_ratios_of_the_medians():
    row = table([table_case()], ["A", "B"]).splitlines()[-1]
    assert row == (
        "| 2048x2048 sigma=3 | 20.0 | 300 | 50.0 | 30.0 | 10.0 | 15.0x | 0.67x "
        "| 2.00x | 1.25x | 2.0e-07 |"
    )


def test_shortfalls_name_each_missed_target_and_by_how_much():
    result = table_case()
    assert shortfalls([result], ["A", "B"]) == [
        "2048x2048 sigma=3: 2.00x the floor, not 1.2x"
    ]
    result.ms["B"], result.memory = 22.0, 2.02
    assert shortfalls([result], ["A", "B"]) == [
        "2048x2048 sigma=3: 0.91x the fastest peer, not 0.8x",
        "2048x2048 sigma=3: 2.00x the floor, not 1.2x",
        "2048x2048 sigma=3: peak memory 2.02x, not 1.5x",
    ]


def test_results_survive_a_trip_through_json():
    text = to_json([table_case()], command="napari-masked-blur bench")
    results, about = from_json(text)
    assert about == {"command": "napari-masked-blur bench"}
    assert results == [table_case()]
    assert json.loads(text)["cases"][0]["ms"]["floor"] == 10.0


def test_bad_rounds_exit_with_a_message(capsys):
    with pytest.raises(SystemExit) as raised:
        bench.main(["--rounds", "0"])
    assert raised.value.code != 0
    assert "--rounds must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_first_calls_are_measured_in_fresh_processes():
    # The probe runs as its own script: every import it names must exist.
    # Large enough for the fused pass, whose loops it waits for.
    found = bench.first_calls((400, 400), 1.0)
    assert set(found) == {"install", "session"}
    for probe in found.values():
        assert all(math.isfinite(probe[k]) for k in ("first", "later", "ready"))


def test_json_is_written_whole_and_alone(tmp_path, capsys):
    path = tmp_path / "bench.json"
    arguments = ["--cases", "no such case", "--no-first-call", "--json", str(path)]
    assert bench.main(arguments) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]
    assert json.loads(path.read_text())["cases"] == []
