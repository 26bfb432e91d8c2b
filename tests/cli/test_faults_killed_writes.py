"""Small files killed mid-write by SIGKILL: the next run leaves nothing of ours.

A settings file and the record beside a ``.npy`` output are written by the
one atomic text writer, under a partial name.  Each test runs the write in a
child process whose text writer is patched to write half the text under that
name, say the name on stdout and wait on stdin; the test kills the child with
SIGKILL only then, so the partial is always caught half-written (as the OOM
killer or a power cut would leave it), and nothing waits on a clock.
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
from tests.cli.test_faults_signals import wait_for

HALF_THEN_WAIT = textwrap.dedent(
    """
    import pathlib, sys

    original = pathlib.Path.write_text

    def half_then_wait(self, text, *args, **kwargs):
        if ".partial-" not in self.name:
            return original(self, text, *args, **kwargs)
        original(self, text[: len(text) // 2], *args, **kwargs)
        print(self.name, flush=True)
        sys.stdin.read()  # until the test kills this process
        raise SystemExit("stdin closed: the test should have killed this process")

    pathlib.Path.write_text = half_then_wait
    """
)
SAVE_SETTINGS = HALF_THEN_WAIT + textwrap.dedent(
    """
    from napari_masked_blur import BlurSettings, save_settings
    save_settings(BlurSettings(sigma=1.5, outside="nan"), sys.argv[1])
    """
)
BLUR = HALF_THEN_WAIT + textwrap.dedent(
    """
    from napari_masked_blur._cli import blur
    sys.exit(blur.main(sys.argv[1:]))
    """
)


def killed_mid_write(script: str, *arguments) -> tuple[str, int]:
    """Run ``script`` until its text write is half done, then SIGKILL it.

    Returns the name of the partial it was writing and the process id.
    """
    command = [sys.executable, "-c", script, *map(str, arguments)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, **pipes)
    try:
        try:
            name = wait_for(process.stdout, "\n").strip()
        except AssertionError:
            process.kill()
            process.wait(60)
            raise AssertionError(process.stderr.read().decode()) from None
        process.kill()
        assert process.wait(60) == -signal.SIGKILL
    finally:
        if process.poll() is None:  # the test failed before the kill
            process.kill()
            process.wait(60)
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
    return name, process.pid


@pytest.fixture
def folder(tmp_path):
    """A folder holding an image and a mask to blur."""
    rng = np.random.default_rng(11)
    np.save(tmp_path / "image.npy", rng.random((12, 16), np.float32))
    np.save(tmp_path / "mask.npy", rng.random((12, 16)) > 0.3)
    return tmp_path


def blur_arguments(folder, output: str, *options: str) -> list[str]:
    """``blur`` of the folder's image and mask into ``output`` in the folder."""
    arguments = [folder / "image.npy", folder / "mask.npy", "--sigma", "1"]
    return [*map(str, arguments), "-o", str(folder / output), *options]


def removed_line(folder, name: str, pid: int) -> str:
    return f"removed '{folder / name}', left by process {pid} that died"


@pytest.mark.parametrize(
    ("settings", "partial"),
    [
        ("blur.json", ".blur.partial-{host}-{pid}.json"),
        ("settings", ".settings.partial-{host}-{pid}"),  # a name without suffix
        ("blur.v2-final", ".blur.partial-{host}-{pid}.v2-final"),
    ],
)
def test_settings_write_killed_leaves_a_partial_the_next_run_removes(
    folder, settings, partial, capsys
):
    name, pid = killed_mid_write(SAVE_SETTINGS, folder / settings)
    assert name == partial.format(host=host_tag(), pid=pid)
    assert (folder / name).read_text().startswith('{\n  "format"')  # half of it
    assert not (folder / settings).exists()  # all or nothing

    assert blur_command.main(blur_arguments(folder, "blurred.npy")) == 0
    assert removed_line(folder, name, pid) in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == [
        "blurred.npy",
        "blurred.npy.json",  # the output's record
        "image.npy",
        "mask.npy",
    ]


def test_record_write_killed_leaves_a_partial_the_rerun_removes(folder, capsys):
    name, pid = killed_mid_write(BLUR, *blur_arguments(folder, "out.npy"))
    assert name == f".out.npy.partial-{host_tag()}-{pid}.json"
    array = f".out.partial-{host_tag()}-{pid}.npy"
    assert sorted(p.name for p in folder.iterdir()) == [
        name,  # the record, half written, before the array is moved in
        array,
        "image.npy",
        "mask.npy",
    ]

    rerun = blur_arguments(folder, "out.npy")
    assert blur_command.main(rerun) == 0
    said = capsys.readouterr().err
    assert removed_line(folder, name, pid) in said
    assert removed_line(folder, array, pid) in said
    assert sorted(p.name for p in folder.iterdir()) == [
        "image.npy",
        "mask.npy",
        "out.npy",
        "out.npy.json",
    ]
    assert json.loads((folder / "out.npy.json").read_text())  # whole this time
