"""LatestRunner: one job at a time, newest wins, cancelled results never land.

Jobs block on events the test releases, so the order of events is fixed by
the test, not by timing.
"""

import threading

import pytest

from napari_masked_blur._qt.runner import LatestRunner

TIMEOUT_MS = 10_000


class Recorder:
    def __init__(self):
        self.results, self.errors, self.busy = [], [], []

    def runner(self):
        return LatestRunner(
            lambda r: self.results.append((r.job.token, r.value)),
            lambda exc, job: self.errors.append((job.token, str(exc))),
            self.busy.append,
        )


def held(gate: threading.Event, value):
    assert gate.wait(TIMEOUT_MS / 1000)
    return value


@pytest.fixture
def recorder():
    return Recorder()


def test_jobs_submitted_while_busy_collapse_to_the_newest(qtbot, recorder):
    runner = recorder.runner()
    first, later = threading.Event(), threading.Event()
    later.set()
    runner.submit(held, first, "first")
    for value in ("second", "third", "fourth"):
        runner.submit(held, later, value)
    first.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == [(1, "first"), (4, "fourth")]
    assert recorder.busy == [True, False]


def test_cancel_drops_the_running_result(qtbot, recorder):
    runner = recorder.runner()
    gate = threading.Event()
    runner.submit(held, gate, "stale")
    runner.cancel()
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == []
    runner.submit(held, gate, "fresh")
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == [(2, "fresh")]


def test_errors_are_delivered_not_raised(qtbot, recorder):
    runner = recorder.runner()

    def fails():
        raise ValueError("sigma must be >= 0")

    runner.submit(fails)
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.errors == [(1, "sigma must be >= 0")]


def test_closed_runner_delivers_nothing_and_refuses_jobs(qtbot, recorder):
    runner = recorder.runner()
    gate = threading.Event()
    runner.submit(held, gate, "late")
    runner.close()
    gate.set()
    assert runner.wait(TIMEOUT_MS / 1000)
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == []
    with pytest.raises(RuntimeError, match="closed"):
        runner.submit(held, gate, "after")


def test_the_pending_job_starts_without_the_main_thread(qtbot, recorder):
    # No Qt events are processed between releasing the first job and the
    # second one starting: the runner's thread takes it up by itself.
    runner = recorder.runner()
    first, second_started = threading.Event(), threading.Event()

    def second():
        second_started.set()
        return "second"

    runner.submit(held, first, "first")
    runner.submit(second)
    first.set()
    assert second_started.wait(TIMEOUT_MS / 1000)
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == [(1, "first"), (2, "second")]


def test_results_arrive_on_the_main_thread(qtbot):
    threads = []
    runner = LatestRunner(
        lambda r: threads.append(threading.current_thread()), lambda exc, job: None
    )
    runner.submit(threading.current_thread)
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert threads == [threading.main_thread()]


def test_replaced_and_cancelled_pending_jobs_are_reported_dropped(qtbot):
    dropped = []
    runner = LatestRunner(lambda r: None, lambda exc, job: None, None, dropped.append)
    gate = threading.Event()
    runner.submit(held, gate, "running")
    runner.submit(held, gate, "replaced", context="a")
    runner.submit(held, gate, "cancelled", context="b")
    runner.cancel()
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert [job.context for job in dropped] == ["a", "b"]


def stepped(started: threading.Event, gate: threading.Event, value):
    """A job of two steps with a checkpoint between them."""
    from napari_masked_blur._math.steps import checkpoint

    started.set()
    assert gate.wait(TIMEOUT_MS / 1000)
    checkpoint()
    return value


def test_a_droppable_job_stops_at_its_checkpoint_for_a_newer_one(qtbot):
    results, dropped = [], []
    runner = LatestRunner(
        lambda r: results.append(r.value),
        lambda exc, job: results.append(exc),
        None,
        dropped.append,
        hold=lambda: False,  # whatever numba's loops do meanwhile
    )
    started, gate = threading.Event(), threading.Event()
    runner.submit(stepped, started, gate, "chunk", context="chunk", droppable=True)
    assert started.wait(TIMEOUT_MS / 1000)
    runner.submit(held, threading.Event(), "never")  # replaced while pending
    free = threading.Event()
    free.set()
    runner.submit(held, free, "plane", context="plane")
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert results == ["plane"], "the chunk stopped; no error delivered"
    assert [job.context for job in dropped] == [None, "chunk"]


def test_a_job_on_display_finishes_whatever_comes_after_it(qtbot, recorder):
    runner = recorder.runner()
    started, gate = threading.Event(), threading.Event()
    runner.submit(stepped, started, gate, "plane")  # not droppable
    assert started.wait(TIMEOUT_MS / 1000)
    done = threading.Event()
    done.set()
    runner.submit(held, done, "next plane")
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == [(1, "plane"), (2, "next plane")]
    assert recorder.errors == []


def test_the_runners_thread_never_compiles_numbas_loops(qtbot, recorder):
    from napari_masked_blur._engines._compiled import _THREAD

    runner = recorder.runner()
    runner.submit(lambda: getattr(_THREAD, "never_compile", False))
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert recorder.results == [(1, True)]


def test_a_droppable_job_waits_while_held_a_job_on_display_does_not(qtbot):
    results, held = [], threading.Event()
    held.set()
    runner = LatestRunner(
        lambda r: results.append(r.value), lambda exc, job: None, hold=held.is_set
    )
    started = threading.Event()
    runner.submit(lambda: started.set() or "chunk", droppable=True)
    assert not started.wait(0.2), "held: not started"
    assert runner.busy and not runner.has_pending, "there to be replaced"
    runner.submit(lambda: "plane")  # replaces it, and starts at once
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert results == ["plane"]
    runner.submit(lambda: started.set() or "chunk", droppable=True)
    assert not started.wait(0.2)
    held.clear()  # e.g. the loops are ready: it starts
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert results == ["plane", "chunk"]
