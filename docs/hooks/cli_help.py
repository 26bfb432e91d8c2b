"""mkdocs hook: put each command's real ``--help`` into the pages.

A line ``<!-- cli-help: blur -->`` in a page becomes a code block holding the
output of ``napari-masked-blur blur --help``, run when the site is built, so
the command-line page cannot drift from the code.  ``<!-- cli-help: -->``
(nothing after the colon) gives the top-level ``napari-masked-blur --help``;
``<!-- cli-help: demo -->`` the demo's own options (``napari-masked-blur
[IMAGE [MASK]]``, whose ``--help`` the top level answers first).
"""

from __future__ import annotations

import contextlib
import io
import os
import re

from napari_masked_blur import _command

PLACEHOLDER = re.compile(r"^<!-- cli-help:(?P<command>[^>]*)-->$", re.MULTILINE)


def command_help(command: str) -> str:
    """What ``napari-masked-blur COMMAND --help`` prints."""
    words = command.split()
    if words[:1] == ["demo"]:
        from napari_masked_blur._cli.demo import main

        words = words[1:]
    else:
        main = _command.main
    argv = [*words, "--help"]
    out = io.StringIO()
    # argparse wraps to $COLUMNS; fix it so the page does not depend on the
    # terminal that built it.
    os.environ["COLUMNS"] = "88"
    with contextlib.redirect_stdout(out):
        try:
            status = main(argv)
        except SystemExit as stop:  # argparse exits after printing help
            status = stop.code
    if status not in (0, None):
        raise RuntimeError(f"napari-masked-blur {' '.join(argv)} exited {status}")
    return out.getvalue().rstrip()


def on_page_markdown(markdown: str, **_: object) -> str:
    """Replace every placeholder with its command's help, as a code block."""

    def block(match: re.Match[str]) -> str:
        return f"```text\n{command_help(match['command'].strip())}\n```"

    return PLACEHOLDER.sub(block, markdown)
