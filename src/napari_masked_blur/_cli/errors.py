"""The errors of the ``napari-masked-blur`` subcommands."""

from __future__ import annotations


class InputError(Exception):
    """Bad arguments or input files: reported as a message, exit status 2."""
