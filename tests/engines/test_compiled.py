"""The loader of compiled loops: one queue, one load at a time, asked by everyone.

A fake ``load`` stands for numba: it logs when it starts and ends, and the
first one waits on an event the test sets, so the order is observed, never
timed.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from napari_masked_blur._engines import loop_key
from napari_masked_blur._engines._compiled import LoopLoader

TIMEOUT_S = 60


def key(name: str):
    """A distinct key per name: the image type carries the name."""
    return loop_key("planes", np.dtype(name), np.uint8, np.float32)


class FakeLoad:
    """``load(key)``: logs start and end; keys in ``held`` wait for ``release``."""

    def __init__(self, held=(), fail=()) -> None:
        self.log: list[tuple[str, str]] = []
        self.held, self.fail = set(held), set(fail)
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, k):
        name = k[1].name
        self.log.append(("start", name))
        if name in self.held:
            self.started.set()
            assert self.release.wait(TIMEOUT_S)
        self.log.append(("end", name))
        if name in self.fail:
            raise RuntimeError(f"cannot compile {name}")
        return f"loops for {name}"


def one_at_a_time(log):
    """Whether every start is followed by its own end before any other start."""
    return all(
        log[i] == ("start", name) and log[i + 1] == ("end", name)
        for i, (_, name) in zip(range(0, len(log), 2), log[::2], strict=True)
    )


def test_the_queue_loads_one_key_at_a_time_in_the_order_asked():
    load = FakeLoad(held={"int8"})
    loader = LoopLoader(load)
    first = loader.prepare(key("int8"))
    assert load.started.wait(TIMEOUT_S)  # the worker holds the first key
    later = [loader.prepare(key(name)) for name in ("int16", "uint16", "float64")]
    assert loader.coming(key("int16")) and loader.loops(key("int16")) is None
    load.release.set()
    assert all(done.wait(TIMEOUT_S) for done in (first, *later))
    assert loader.wait(TIMEOUT_S)
    assert [name for what, name in load.log if what == "start"] == [
        "int8", "int16", "uint16", "float64"
    ]  # fmt: skip
    assert one_at_a_time(load.log)
    assert loader.loops(key("uint16")) == "loops for uint16"
    assert not loader.coming(key("uint16"))


def test_a_load_on_a_callers_thread_never_overlaps_the_workers():
    load = FakeLoad(held={"int8"})
    loader = LoopLoader(load)
    loader.prepare(key("int8"))
    assert load.started.wait(TIMEOUT_S)
    got = []
    caller = threading.Thread(
        target=lambda: got.append(loader.loops(key("int16"), now=True))
    )
    caller.start()
    load.release.set()
    caller.join(TIMEOUT_S)
    assert loader.wait(TIMEOUT_S) and not caller.is_alive()
    assert got == ["loops for int16"]
    assert one_at_a_time(load.log) and len(load.log) == 4


def test_a_key_asked_again_is_loaded_once():
    load = FakeLoad()
    loader = LoopLoader(load)
    assert loader.loops(key("int8"), now=True) == "loops for int8"
    assert loader.prepare(key("int8")).is_set()  # ready: nothing queued
    assert loader.prepare(key("int16")) is loader.prepare(key("int16"))
    assert loader.wait(TIMEOUT_S)
    assert loader.loops(key("int16"), now=True) == "loops for int16"
    assert [name for what, name in load.log if what == "start"] == ["int8", "int16"]


def test_loops_that_cannot_load_fail_once_and_leave_the_callers_their_route():
    load = FakeLoad(fail={"int8"})
    loader = LoopLoader(load)
    loader.expect(key("int8"))
    assert loader.coming(key("int8"))
    assert loader.prepare(key("int8")).wait(TIMEOUT_S)
    assert loader.wait(TIMEOUT_S)
    assert loader.loops(key("int8"), now=True) is None
    assert not loader.coming(key("int8")), "failed: not coming any more"
    assert load.log == [("start", "int8"), ("end", "int8")], "tried once"


def test_expected_loops_are_coming_until_ready_or_taken_back():
    loader = LoopLoader(FakeLoad())
    assert not loader.coming(key("int8"))
    loader.expect(key("int8"))
    assert loader.coming(key("int8")) and loader.loops(key("int8")) is None
    loader.unexpect(key("int8"))
    assert not loader.coming(key("int8"))
    loader.expect(key("int8"))
    loader.loops(key("int8"), now=True)
    assert not loader.coming(key("int8"))
    loader.expect(key("int8"))  # a ready key is never expected again
    assert not loader.coming(key("int8"))


def test_a_key_asked_after_the_worker_ended_starts_another():
    loader = LoopLoader(FakeLoad())
    loader.prepare(key("int8"))
    assert loader.wait(TIMEOUT_S)  # the worker ended with the queue empty
    assert loader.prepare(key("int16")).wait(TIMEOUT_S)
    assert loader.wait(TIMEOUT_S)
    assert loader.loops(key("int16")) == "loops for int16"


def test_an_unknown_family_is_refused_by_name():
    with pytest.raises(ValueError, match="'blocks'"):
        loop_key("blocks", np.uint8, np.uint8, np.float32)


def test_plane_loops_compiled_where_numba_has_no_place_for_its_cache():
    from napari_masked_blur._engines._plane_loops import _compiled

    namespace = {}
    exec("def double(x):\n    return 2 * x\n", namespace)  # no file, no cache
    assert _compiled(namespace["double"])(21) == 42


def test_a_thread_that_must_not_wait_queues_the_key_instead_of_loading_it():
    from napari_masked_blur._engines._compiled import never_compile_here

    load = FakeLoad(held={"int8"})
    loader = LoopLoader(load)
    got = []

    def widget_thread():
        never_compile_here()
        got.append(loader.loops(key("int8"), now=True))
        got.append(loader.coming(key("int8")))

    thread = threading.Thread(target=widget_thread)
    thread.start()
    thread.join(TIMEOUT_S)
    assert got == [None, True], "no wait: queued, and coming"
    assert load.started.wait(TIMEOUT_S)  # loaded by the worker, not that thread
    load.release.set()
    assert loader.wait(TIMEOUT_S)
    assert loader.loops(key("int8")) == "loops for int8"
    # This thread was never marked: it loads at once.
    assert loader.loops(key("int16"), now=True) == "loops for int16"


def test_the_worker_fills_the_cache_elsewhere_first_callers_load_at_once():
    order = []
    load = FakeLoad()
    loader = LoopLoader(
        lambda k: order.append(("load", k[1].name)) or load(k),
        compile_first=lambda k: order.append(("elsewhere", k[1].name)),
    )
    assert loader.prepare(key("int8")).wait(TIMEOUT_S)
    assert loader.wait(TIMEOUT_S)
    loader.loops(key("int16"), now=True)
    loader.prepare(key("int16"))  # ready: nothing queued, nothing compiled
    assert loader.wait(TIMEOUT_S)
    assert order == [("elsewhere", "int8"), ("load", "int8"), ("load", "int16")]


def test_pending_while_any_key_is_expected_queued_or_loading():
    load = FakeLoad(held={"int8"})
    loader = LoopLoader(load)
    assert not loader.pending()
    loader.expect(key("int16"))
    assert loader.pending()
    loader.unexpect(key("int16"))
    loader.prepare(key("int8"))
    assert load.started.wait(TIMEOUT_S) and loader.pending()
    load.release.set()
    assert loader.wait(TIMEOUT_S)
    assert not loader.pending()


def test_the_child_process_fills_numbas_cache_and_the_load_finds_it(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from napari_masked_blur._engines import _compiled\n"
        "key = _compiled.loop_key('planes', np.uint16, np.uint8, np.float32)\n"
        "_compiled._compile_in_child(key)\n"
        "loops = _compiled._load(key)\n"
        "stats = loops._reduce_rows.stats\n"
        "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=600, check=True,
    )  # fmt: skip
    assert any(tmp_path.rglob("*.nbc")), "the child wrote numba's cache"
    hits, misses = map(int, done.stdout.split())
    assert hits > 0 and misses == 0, "loaded from the cache: nothing compiled"


def test_a_child_runs_once_per_key_and_cache(tmp_path, monkeypatch):
    from napari_masked_blur._engines import _compiled

    runs = []
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(
        _compiled.subprocess,
        "run",
        lambda command, **kwargs: (
            runs.append(command[-4:])
            or _compiled.subprocess.CompletedProcess(command, 0)
        ),
    )
    first, other = key("uint16"), loop_key("fused", np.uint16, np.uint8, np.float32)
    _compiled._compile_in_child(first)
    _compiled._compile_in_child(first)  # the cache holds it: no child
    _compiled._compile_in_child(other)
    assert runs == [["planes", "<u2", "|u1", "<f4"], ["fused", "<u2", "|u1", "<f4"]]
    assert len(list((tmp_path / "napari-masked-blur").iterdir())) == 2


def test_never_compile_holds_for_its_block_alone():
    from napari_masked_blur._engines._compiled import never_compile

    load = FakeLoad(held={"int8"})
    loader = LoopLoader(load)
    with never_compile():
        assert loader.loops(key("int8"), now=True) is None  # queued instead
        assert loader.coming(key("int8"))
    assert load.started.wait(TIMEOUT_S)
    load.release.set()
    assert loader.wait(TIMEOUT_S)
    assert loader.loops(key("int16"), now=True) == "loops for int16"  # here, now
