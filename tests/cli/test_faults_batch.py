"""A batch run again, run twice at once, or stopped: what it keeps, what it says.

- a resumed batch skips only outputs that are whole and made with the same
  settings; any other existing output refuses the batch before any work;
- a second batch writing into the same folder is refused, naming the first;
  the lock of a run killed by SIGKILL is taken over by the next run;
- a batch stopped by a signal says how many outputs it wrote.

The concurrent and stopped runs are real processes, held mid-write by a chunk
that waits on stdin (as in :mod:`tests.cli.test_faults_signals`).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._files.atomic import host_tag
from napari_masked_blur._files.lock import LOCK_NAME
from tests.cli.test_faults_signals import wait_for

SHAPE = (12, 14)

# The command, its first chunk of the image named in argv[1] held until
# stdin closes, after saying "computing" on stdout.
GATED = textwrap.dedent(
    """
    import sys, threading
    from napari_masked_blur._cli import blur
    from napari_masked_blur._lazy import windows

    gate_on, gate, current = sys.argv.pop(1), threading.Lock(), [""]
    original_block, original_files = windows._window_block, blur.blur_files

    def gated_block(*, block_info, **kwargs):
        if current[0].endswith(gate_on) and gate.acquire(blocking=False):
            print("computing", flush=True)
            sys.stdin.read()
        return original_block(block_info=block_info, **kwargs)

    def noted_files(args):
        current[0] = str(args.image)
        return original_files(args)

    windows._window_block, blur.blur_files = gated_block, noted_files
    sys.exit(blur.main(sys.argv[1:]))
    """
)


def blur(*arguments) -> int:
    return blur_command.main([str(a) for a in arguments])


@pytest.fixture
def folders(tmp_path):
    """images/{a,b,c}.npy and masks/{a,b,c}.npy; outputs go to out/."""
    for name in ("images", "masks"):
        (tmp_path / name).mkdir()
    rng = np.random.default_rng(5)
    for stem in "abc":
        np.save(tmp_path / "images" / f"{stem}.npy", rng.random(SHAPE, np.float32))
        np.save(tmp_path / "masks" / f"{stem}.npy", rng.random(SHAPE) > 0.3)
    return tmp_path


def batch(root, *options) -> list[str]:
    return [
        str(root / "images"),
        str(root / "masks"),
        "-o",
        str(root / "out"),
        *map(str, options),
    ]


def error_of(capsys) -> str:
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    said = [line for line in lines if line.startswith("napari-masked-blur blur:")]
    assert len(said) == 1, lines
    return said[0]


def stamps(folder) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


# Resume


def test_resume_keeps_only_outputs_made_with_the_same_settings(folders, capsys):
    assert blur(*batch(folders, "--sigma", "12")) == 0
    before = stamps(folders / "out")
    capsys.readouterr()

    assert blur(*batch(folders, "--sigma", "3")) == 2
    said = error_of(capsys)
    assert "3 of 3 output(s) exist but are not what this run would write" in said
    assert "made with other settings: sigma 12.0 there, 3.0 now" in said
    assert "pass --overwrite to redo them" in said
    assert stamps(folders / "out") == before  # nothing done

    assert blur(*batch(folders, "--sigma", "12")) == 0
    assert "skipping 3 of 3" in capsys.readouterr().err
    assert stamps(folders / "out") == before

    assert blur(*batch(folders, "--sigma", "3", "--overwrite")) == 0
    record = json.loads((folders / "out" / "a.npy.json").read_text())
    assert record["settings"]["sigma"] == 3.0


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("cut", "incomplete or damaged"),
        ("no record", "no record of how it was made"),
        ("other shape", "incomplete or damaged"),
    ],
)
def test_resume_does_not_take_a_damaged_output_for_complete(
    folders, capsys, damage, reason
):
    assert blur(*batch(folders, "--sigma", "1")) == 0
    output = folders / "out" / "b.npy"
    if damage == "cut":  # as a copy cut short leaves it
        output.write_bytes(output.read_bytes()[:-100])
    elif damage == "no record":  # as a full disk left it before the fix
        (folders / "out" / "b.npy.json").unlink()
    else:
        np.save(output, np.zeros((3, 3), np.float32))
    capsys.readouterr()
    assert blur(*batch(folders, "--sigma", "1")) == 2
    said = error_of(capsys)
    assert "1 of 3 output(s) exist" in said and f"'{output}' ({reason}" in said


def test_resume_reads_the_records_of_tiff_and_zarr_outputs(folders, capsys):
    for suffix in (".tif", ".zarr"):
        pattern = folders / "out" / f"{{stem}}{suffix}"
        arguments = [folders / "images", folders / "masks", "-o", pattern]
        assert blur(*arguments, "--sigma", "2") == 0
        capsys.readouterr()
        assert blur(*arguments, "--sigma", "2") == 0
        assert "skipping 3 of 3" in capsys.readouterr().err
        assert blur(*arguments, "--sigma", "2.5") == 2
        assert "sigma 2.0 there, 2.5 now" in error_of(capsys)
    tiff = folders / "out" / "a.tif"
    tiff.write_bytes(tiff.read_bytes()[:-8])
    assert (
        blur(
            folders / "images",
            folders / "masks",
            "-o",
            folders / "out" / "{stem}.tif",
            "--sigma",
            "2",
        )
        == 2
    )
    assert "incomplete or damaged" in error_of(capsys)


# Two batches at once; a killed batch's lock


def start(root, gate_on: str, *options) -> subprocess.Popen:
    """The batch in a child process, held in the first chunk of ``gate_on``."""
    command = [sys.executable, "-c", GATED, gate_on, *batch(root, *options)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, **pipes)
    wait_for(process.stdout, "computing")
    return process


def finish(process: subprocess.Popen) -> str:
    """Let the held chunk go; wait for the end; what was said on stderr."""
    if process.poll() is None:
        process.stdin.close()
    process.wait(120)
    said = process.stderr.read().decode()
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    return said


def test_a_second_batch_into_the_folder_is_refused_naming_the_first(folders, capsys):
    first = start(folders, "a.npy", "--sigma", "1")
    try:
        assert blur(*batch(folders, "--sigma", "1")) == 2
        said = error_of(capsys)
        assert f"another batch (process {first.pid} on {host_tag()})" in said
        assert "is writing into" in said and "wait until it ends" in said
    finally:
        first_said = finish(first)
    assert first.returncode == 0, first_said
    assert "done: 3 written, 0 skipped (complete), 0 failed" in first_said
    assert sorted(p.name for p in (folders / "out").iterdir()) == [
        f"{stem}.npy{end}" for stem in "abc" for end in ("", ".json")
    ]


def test_the_lock_of_a_killed_batch_is_taken_over(folders, capsys):
    killed = start(folders, "b.npy", "--sigma", "1")
    killed.kill()
    finish(killed)
    assert killed.returncode == -signal.SIGKILL
    assert (folders / "out" / LOCK_NAME).read_text() == f"{host_tag()} {killed.pid}\n"

    assert blur(*batch(folders, "--sigma", "1")) == 0
    said = capsys.readouterr().err
    assert f"left by process {killed.pid} that died" in said
    assert "took over" in said and "skipping 1 of 3" in said
    assert sorted(p.name for p in (folders / "out").iterdir()) == [
        f"{stem}.npy{end}" for stem in "abc" for end in ("", ".json")
    ]


# A batch stopped by a signal


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)]
)
def test_a_stopped_batch_says_how_many_outputs_it_wrote(folders, signum, status):
    process = start(folders, "b.npy", "--sigma", "1")
    process.send_signal(signum)
    said = wait_for(process.stderr, "resumes there") + finish(process)
    assert process.returncode == status
    assert "1 of 3 output(s) written by this run (0 complete before, 0 failed)" in said
    assert "no output written" not in said and "Traceback" not in said
    assert sorted(p.name for p in (folders / "out").iterdir()) == [
        "a.npy",
        "a.npy.json",
    ]


# Outputs written among the images


def test_outputs_beside_the_images_are_not_taken_for_images_next_time(folders, capsys):
    arguments = [folders / "images", folders / "masks", "--sigma", "1"]
    arguments += ["-o", folders / "images" / "{stem}_smooth.tif"]
    assert blur(*arguments) == 0
    capsys.readouterr()
    assert blur(*arguments) == 0
    said = capsys.readouterr().err
    assert "leaving out 3 file(s) written by an earlier run, not images" in said
    assert "skipping 3 of 3" in said
    assert sorted(p.name for p in (folders / "images").iterdir()) == [
        f"{stem}{end}" for stem in "abc" for end in (".npy", "_smooth.tif")
    ]
