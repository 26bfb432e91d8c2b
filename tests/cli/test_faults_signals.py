"""Signals mid-write, in a real process: what is left on disk, what is said.

The command runs in a subprocess whose first chunk, after saying so on
stdout, waits until its stdin is closed; the test sends the signal only
then, so the run is always caught mid-write, with its partial output on
disk, and never waits on a clock.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from napari_masked_blur._cli import blur as blur_command

DRIVER = textwrap.dedent(
    """
    import sys, threading
    from napari_masked_blur._cli import blur
    from napari_masked_blur._lazy import windows

    original, first = windows._window_block, threading.Lock()

    def gated_block(*, block_info, **kwargs):
        if first.acquire(blocking=False):
            print("computing", flush=True)
            sys.stdin.read()
        return original(block_info=block_info, **kwargs)

    windows._window_block = gated_block
    sys.exit(blur.main(sys.argv[1:]))
    """
)


def wait_for(stream, text: str, timeout: float = 60.0) -> str:
    """Read ``stream`` until ``text`` has come; return all that was read."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    read, deadline = b"", time.monotonic() + timeout
    while text.encode() not in read:
        left = deadline - time.monotonic()
        assert left > 0 and selector.select(left), f"no {text!r} in {read!r}"
        chunk = os.read(stream.fileno(), 4096)
        assert chunk, f"stream closed before {text!r}: {read!r}"
        read += chunk
    return read.decode()


@pytest.fixture
def run(tmp_path):
    """Start the gated command on a small volume; yield (process, folder)."""
    rng = np.random.default_rng(8)
    np.save(tmp_path / "image.npy", rng.random((4, 32, 32), np.float32))
    np.save(tmp_path / "mask.npy", rng.random((4, 32, 32)) > 0.2)
    command = [sys.executable, "-c", DRIVER]
    command += [str(tmp_path / "image.npy"), str(tmp_path / "mask.npy")]
    command += ["--sigma", "1", "-o", str(tmp_path / "out.npy"), "--chunks", "2,16,16"]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, **pipes)
    wait_for(process.stdout, "computing")
    yield process, tmp_path
    process.stdin.close()  # the gated chunk goes on, if it still waits
    process.wait(60)
    process.stdout.close()
    process.stderr.close()


def partials(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize(
    ("signum", "status", "name"),
    [
        (signal.SIGINT, 130, "Ctrl-C"),
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGHUP, 129, "SIGHUP"),
    ],
)
def test_stop_signal_removes_the_partial_output(run, signum, status, name):
    process, folder = run
    assert len(partials(folder)) == 1  # caught mid-write
    process.send_signal(signum)
    said = wait_for(process.stderr, "the partial one removed")
    assert f"stopped by {name}; no output written" in said
    assert partials(folder) == []  # removed before the chunk under way ends
    process.stdin.close()  # the chunk under way ends; its write is dropped
    assert process.wait(60) == status
    said += process.stderr.read().decode()
    assert "Traceback" not in said
    assert sorted(p.name for p in folder.iterdir()) == ["image.npy", "mask.npy"]


def test_partial_left_by_a_killed_run_is_removed_by_the_next_run(run, capsys):
    process, folder = run
    (left,) = partials(folder)
    process.kill()
    assert process.wait(60) == -signal.SIGKILL
    assert partials(folder) == [left]  # SIGKILL cannot be caught
    arguments = [folder / "image.npy", folder / "mask.npy", "--sigma", "1"]
    status = blur_command.main([str(a) for a in (*arguments, "-o", folder / "b.npy")])
    assert status == 0
    said = capsys.readouterr().err
    assert f"removed '{folder / left}', left by process {process.pid} that died" in said
    assert sorted(p.name for p in folder.iterdir()) == [
        "b.npy",
        "b.npy.json",  # the output's record
        "image.npy",
        "mask.npy",
    ]


def test_partial_of_a_live_run_is_left_alone(run, capsys):
    process, folder = run
    (left,) = partials(folder)
    arguments = [folder / "image.npy", folder / "mask.npy", "--sigma", "1"]
    status = blur_command.main([str(a) for a in (*arguments, "-o", folder / "b.npy")])
    assert status == 0
    assert "removed" not in capsys.readouterr().err
    assert left in partials(folder)
    assert process.poll() is None


@pytest.fixture
def cluster_run(tmp_path):
    """Start the command with ``--workers 2`` in its own process group, as a
    terminal would; yield (process, folder)."""
    pytest.importorskip("distributed")
    rng = np.random.default_rng(9)
    np.save(tmp_path / "image.npy", rng.random((48, 256, 256), np.float32))
    np.save(tmp_path / "mask.npy", rng.random((48, 256, 256)) > 0.2)
    command = [sys.executable, "-m", "napari_masked_blur", "blur"]
    command += [str(tmp_path / "image.npy"), str(tmp_path / "mask.npy")]
    command += ["--sigma", "3", "-o", str(tmp_path / "out.npy")]
    command += ["--chunks", "8,64,64", "--workers", "2"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, start_new_session=True)
    yield process, tmp_path
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(60)
    process.stderr.close()


def ctrl_c(process) -> None:
    """What a terminal's Ctrl-C does: SIGINT to the whole process group."""
    os.killpg(process.pid, signal.SIGINT)


@pytest.mark.slow
def test_ctrl_c_with_workers_prints_no_worker_tracebacks(cluster_run):
    process, folder = cluster_run
    said = wait_for(process.stderr, "% Completed")  # the workers are computing
    ctrl_c(process)
    assert process.wait(120) == 130
    said += process.stderr.read().decode()
    assert "Traceback" not in said
    assert "stopped by Ctrl-C; no output written" in said
    assert sorted(p.name for p in folder.iterdir()) == ["image.npy", "mask.npy"]


@pytest.mark.slow
def test_ctrl_c_while_the_workers_start_prints_no_tracebacks(cluster_run):
    process, folder = cluster_run
    deadline = time.monotonic() + 60
    while not partials(folder):  # written before the cluster starts
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.01)
    ctrl_c(process)
    # One pressed while the cluster starts may be lost (see signals_held):
    # press again once the progress bar shows, as a user would.
    said = ""
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    while process.poll() is None and "% Completed" not in said:
        if selector.select(1):
            said += os.read(process.stderr.fileno(), 4096).decode()
    if process.poll() is None:
        ctrl_c(process)
    assert process.wait(120) == 130
    said += process.stderr.read().decode()
    assert "Traceback" not in said
    assert sorted(p.name for p in folder.iterdir()) == ["image.npy", "mask.npy"]
