"""The live plan: which piece of the output to compute next."""

from __future__ import annotations

import numpy as np

from napari_masked_blur import masked_gaussian
from napari_masked_blur._api.route import run_piece
from napari_masked_blur._live.plan import LivePlan, Work
from napari_masked_blur._math.settings import check_options


def do(work, image, mask, options, out):
    """One piece, as the widget does it: compute, then write where it belongs."""
    region = work.region
    out[... if region is None else region] = run_piece(image, mask, options, region)


def run_to_completion(plan, image, mask, options, out):
    """Do every piece the plan hands out; their kinds in order."""
    kinds = []
    while (work := plan.next()) is not None:
        do(work, image, mask, options, out)
        plan.finished(work)
        kinds.append(work.kind)
    return kinds


def test_a_2d_image_is_computed_whole_then_patched_where_painted():
    plan = LivePlan((20, 30), radius=(4, 4))
    assert plan.next() == Work("full", None)
    assert plan.next() is None
    plan.changed((slice(2, 3), slice(5, 7)))
    plan.changed((slice(10, 11), slice(1, 2)))
    # the union of both boxes, grown by the radius and clipped to the image
    assert plan.next() == Work("patch", (slice(0, 15), slice(0, 11)))
    assert plan.next() is None


def test_with_wrap_a_change_at_the_border_reaches_across():
    plan = LivePlan((20, 30), radius=(4, 4), wrap=True)
    plan.next()
    plan.changed((slice(1, 2), slice(10, 11)))
    assert plan.next() == Work("patch", (slice(0, 20), slice(6, 15)))


def test_a_change_while_the_full_image_is_computed_is_patched_after_it():
    plan = LivePlan((20, 30), radius=(4, 4))
    plan.changed((slice(0, 1), slice(0, 1)))  # before: the full pass reads it
    assert plan.next().kind == "full"
    plan.changed((slice(5, 6), slice(5, 6)))  # while the full pass runs
    assert plan.next() == Work("patch", (slice(1, 10), slice(1, 10)))


def test_dropped_work_comes_back():
    plan = LivePlan((20, 30), radius=(4, 4))
    full = plan.next()
    plan.dropped(full)
    assert plan.next() == full
    plan.changed((slice(8, 9), slice(8, 9)))
    patch = plan.next()
    plan.dropped(patch)
    assert plan.next() == patch  # the same region again, not grown twice


def test_volume_displayed_plane_first_then_chunks_nearest_first():
    plan = LivePlan((30, 8, 9), radius=(2, 2, 2))
    plan.view(position=(20, 0, 0), displayed=(1, 2))
    first = plan.next()
    assert first == Work("plane", (slice(20, 21), slice(0, 8), slice(0, 9)))
    plan.finished(first)
    chunk = plan.next()
    assert chunk.kind == "chunk" and chunk.region[0].start <= 20 < chunk.region[0].stop
    assert chunk.region[0].stop - chunk.region[0].start == 3  # radius + 1 planes


def test_volume_chunks_wait_while_the_view_is_busy():
    plan = LivePlan((30, 8, 9), radius=(2, 2, 2))
    plan.finished(plan.next())
    assert plan.next(background=False) is None
    assert plan.next(background=True).kind == "chunk"


def test_moving_to_a_done_plane_needs_nothing_and_to_a_new_one_needs_it():
    plan = LivePlan((30, 8, 9), radius=(2, 2, 2))
    plan.view((0, 0, 0), (1, 2))
    plan.finished(plan.next())
    plan.view((0, 0, 0), (1, 2))
    assert plan.next(background=False) is None
    plan.view((17, 0, 0), (1, 2))
    assert plan.next(background=False) == Work(
        "plane", (slice(17, 18), slice(0, 8), slice(0, 9))
    )


def test_3d_display_has_no_plane_and_computes_every_chunk():
    plan = LivePlan((10, 8, 9), radius=(1, 1, 1))
    plan.view((5, 0, 0), displayed=(0, 1, 2))
    kinds = {plan.next().kind for _ in range(5)}
    assert kinds == {"chunk"}


def test_volume_plan_assembles_the_full_result_with_a_paint_in_between():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(12, 10, 11)).astype(np.float32)
    mask = rng.integers(0, 3, size=(12, 10, 11)).astype(np.uint8)
    plan = LivePlan(image.shape, radius=(6, 6, 6))  # sigma 1.5
    options = check_options(image, mask, 1.5)
    plan.view((4, 0, 0), (1, 2))
    out = np.zeros_like(image)
    work = plan.next()
    do(work, image, mask, options, out)
    mask[6:8, 2:5, 3:4] = 2  # painted after the plane was computed
    plan.changed((slice(6, 8), slice(2, 5), slice(3, 4)))
    plan.finished(work)
    kinds = run_to_completion(plan, image, mask, options, out)
    assert kinds[0] == "patch" and set(kinds[1:]) == {"chunk"}
    assert plan.complete and plan.progress() == (12, 12)
    np.testing.assert_allclose(out, masked_gaussian(image, mask, 1.5), atol=1e-5)


def test_the_plan_hands_out_one_chunk_at_a_time_each_read_from_its_own_window():
    class CountingMask(np.ndarray):
        reads = 0

        def __getitem__(self, key):
            CountingMask.reads += 1
            return np.asarray(self)[key]

    image = np.ones((8, 5, 5), np.float32)
    mask = np.ones((8, 5, 5), bool).view(CountingMask)
    options = check_options(image, mask, 1.0)
    plan = LivePlan(image.shape, options.radius)
    plan.view((0, 0, 0), displayed=(0, 1, 2))  # a 3D view: chunks only
    first_work = plan.next()
    assert CountingMask.reads == 0  # handing out work computes nothing
    first = run_piece(image, mask, options, first_work.region)
    assert CountingMask.reads == 1  # one window, read once
    # radius int(4 * 1 + 0.5) = 4: chunks of r + 1 = 5 planes, the first at 0
    assert first_work == Work("chunk", (slice(0, 5), slice(0, 5), slice(0, 5)))
    np.testing.assert_allclose(first, 1)
    plan.finished(first_work)
    assert plan.next() == Work("chunk", (slice(5, 8), slice(0, 5), slice(0, 5)))
    assert CountingMask.reads == 1  # nothing more until the next one is computed


# --- time-lapses: frames (radius 0) -------------------------------------------


def test_a_movie_finishes_the_displayed_frame_before_its_neighbours():
    plan = LivePlan((4, 10, 8, 9), radius=(0, 2, 2, 2), frames=(0,))
    plan.view(position=(2, 5, 0, 0), displayed=(2, 3))
    first = plan.next()
    assert first == Work("plane", (slice(2, 3), slice(5, 6), *FULL_YX))
    plan.finished(first)
    frames = []
    while (work := plan.next()) is not None:
        assert work.kind == "chunk"
        frames.append(work.region[0].start)
        plan.finished(work)
    # every chunk of frame 2 first, then frames 1 and 3, then 0
    assert frames[: frames.count(2)] == [2] * frames.count(2)
    assert set(frames[frames.count(2) : -frames.count(0)]) == {1, 3}
    assert plan.complete


def test_a_patch_over_every_frame_does_the_displayed_frame_first():
    plan = LivePlan((5, 20, 30), radius=(0, 4, 4), frames=(0,))
    plan.view(position=(3, 0, 0), displayed=(1, 2))
    for _ in range(2):  # the displayed plane, then one chunk
        plan.finished(plan.next())
    plan.changed((slice(0, 5), slice(10, 11), slice(10, 12)))  # a 2D mask's dab
    grown = (slice(10 - 4, 11 + 4), slice(10 - 4, 12 + 4))
    assert plan.next(background=False) == Work("patch", (slice(3, 4), *grown))
    assert plan.next(background=False) == Work("patch", (slice(0, 5), *grown))
    assert plan.next(background=False) is None


def test_patches_of_a_movie_assemble_the_full_result():
    rng = np.random.default_rng(8)
    image = rng.normal(size=(3, 12, 13)).astype(np.float32)
    mask = (rng.random((12, 13)) > 0.5).astype(np.uint8)
    options = check_options(image, mask, 1.5, axes=(1, 2))
    out = np.zeros_like(image)
    plan = LivePlan(image.shape, options.radius, frames=options.frame_axes)
    plan.view(position=(1, 0, 0), displayed=(1, 2))
    run_to_completion(plan, image, mask, options, out)
    mask[4:6, 4:7] = 1 - mask[4:6, 4:7]
    plan.changed((slice(0, 3), slice(4, 6), slice(4, 7)))
    kinds = run_to_completion(plan, image, mask, options, out)
    assert kinds == ["patch", "patch"]
    expected = masked_gaussian(image, mask, 1.5, axes=(1, 2))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


FULL_YX = (slice(0, 8), slice(0, 9))
