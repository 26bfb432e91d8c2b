"""The errors of the ``napari-masked-blur`` subcommands, and how they are said.

Every error is one line on stderr, ``PROG: error: MESSAGE``, and exit
status 2 for bad arguments or input: :class:`OneLineParser` says argparse's
own errors so (without the usage text before them), :func:`one_line` keeps
any message on one line.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class InputError(Exception):
    """Bad arguments or input files: reported as a message, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``PROG: error: MESSAGE``,
    with exit status 2; ``--help`` still prints the whole usage."""

    def error(self, message: str) -> NoReturn:
        """Say ``message`` on one line of stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def one_line(message: str) -> str:
    """``message`` on one line: its lines joined with ``"; "`` (with a space
    after a line that ends in a colon, the head of a list).

    Messages quote names with ``repr``, which escapes line breaks; this is
    for lists of problems, and the text of others (a library's error), that
    hold several lines.
    """
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    joined = lines[:1]
    for line in lines[1:]:
        joined.append((" " if joined[-1].endswith(":") else "; ") + line)
    return "".join(joined)


def say(prog: str, message: str, status: int) -> int:
    """Print ``PROG: MESSAGE`` on one line of stderr; return ``status``."""
    print(f"{prog}: {one_line(message)}", file=sys.stderr)
    return status
