"""The text of "Copy as Python": a snippet that rebuilds an output layer.

Pure text from plain values (no napari, no Qt), so it is tested without a
display.  The snippet runs in napari's console, where ``viewer`` is the
viewer: it reads the image and mask layers by name, calls
:func:`napari_masked_blur.masked_gaussian` with every option that differs
from its default, and binds the result to ``blurred``.  Where the layers came
from files, a comment gives the same blur from the files.

No text from outside (a layer's name, a file's path, a unit) can become
code: each is written as a string literal, or inside a comment, with every
character that is not printable escaped, so no name can end a literal or
start a new line, whatever line breaks the reader knows (``\n``, ``\r``,
``\x85``, ``\u2028``...).  The shell line quotes the same way, with
``$'...'`` (POSIX.1-2024, bash, zsh, ksh) for a name holding such characters.

A filter of two images (the local correlation) reads its second layer too
and passes it as ``other``, before the mask, as its function takes it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.settings import BlurSettings

# Output files the ``blur`` command writes, by the image's ending.
_CLI_ENDINGS = (".tif", ".tiff", ".zarr", ".npy")
# Readers a script can use without napari, by ending.
_READERS = {
    ".tif": ("import tifffile", "tifffile.imread({path})"),
    ".tiff": ("import tifffile", "tifffile.imread({path})"),
    ".npy": ("import numpy as np", "np.load({path})"),
}


@dataclass(frozen=True)
class LayerSource:
    """What the snippet needs to know of a layer besides its name.

    Attributes
    ----------
    name : str
        The layer's name in the viewer.
    path : str, optional
        The file it was read from (napari's ``layer.source.path``).
    multiscale : bool
        A multiscale layer: the snippet blurs its full resolution.
    as_weights : bool
        A mask that is an Image layer of integers: the widget reads it as
        float32 certainty weights, and so must the snippet.
    ndim : int
        The number of axes of its data (0: not known).
    """

    name: str
    path: str | None = None
    multiscale: bool = False
    as_weights: bool = False
    ndim: int = 0

    def expression(self) -> str:
        """Python for the layer's data as the blur reads it."""
        text = f"viewer.layers[{_text(self.name)}].data"
        if self.multiscale:
            text += "[0]"  # the full resolution
        if self.as_weights:
            text += '.astype("float32")'
        return text


def python_snippet(
    settings: BlurSettings,
    image: LayerSource,
    mask: LayerSource,
    version: str,
    other: LayerSource | None = None,
) -> str:
    """Python that rebuilds the masked blur of ``image`` in ``mask``.

    Parameters
    ----------
    settings : BlurSettings
        The options the output was made with.
    image, mask : LayerSource
        The two layers.
    version : str
        The package version that made the output (for the header comment).
    other : LayerSource, optional
        The second image of a filter that takes one (``local_correlation``).

    Returns
    -------
    str
        Lines ending in a newline; run with ``viewer`` in the namespace,
        they bind ``blurred`` to the same array as the output layer's data.

    Raises
    ------
    ValueError
        The settings have a physical sigma but no spacing (the widget always
        gives one: the image layer's scale); the filter takes a second image
        and ``other`` is None (or the other way round).
    """
    _check_other(settings, other)
    kwargs = [f"{key}={_literal(value)}" for key, value in settings.changed().items()]
    arrays = ["image", "mask"] if other is None else ["image", "other", "mask"]
    lines = [
        f"# Masked blur of {_text(image.name)} inside {_text(mask.name)}"
        f" (napari-masked-blur {version}).",
        "# Run in napari's console (Window > Console), where `viewer` exists.",
        f"from napari_masked_blur import {settings.function_name}",
        "",
        f"image = {image.expression()}",
        *([] if other is None else [f"other = {other.expression()}"]),
        f"mask = {mask.expression()}",
    ]
    if settings.spacing is not None and settings.units is not None:
        lines.append(f"# sigma and spacing in {_escaped(_units(settings.units))}")
    lines += _call(f"blurred = {settings.function_name}(", [*arrays, *kwargs])
    if image.path is not None:
        lines += ["", *_from_files(settings, image, mask, other)]
    return "\n".join(lines) + "\n"


def _check_other(settings: BlurSettings, other: LayerSource | None) -> None:
    takes = "other" in filter_named(settings.filter).parameters
    if takes != (other is not None):
        given = "without" if other is None else "with"
        raise ValueError(
            f"a snippet of the {settings.filter} filter {given} a second image"
        )


def _literal(value: Any) -> str:
    """Python for an option's value: repr, which gives floats back exactly."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, tuple) and len(value) == 1:
        return repr(value[0])  # labels=(3,) reads better as labels=3
    return repr(value)


def _text(value: str) -> str:
    """A Python string literal in double quotes, as ruff and black write them.

    Made of printable characters only (see :func:`_escaped`): the literal
    is one line of any editor or console, and evaluates to ``value``.
    """
    return '"' + _escaped(value, '"') + '"'


# The escapes of Python (and of the shell's $'...') that read best.
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(value: str, quote: str = "") -> str:
    """``value`` with a backslash before ``\\`` and ``quote``, and every
    character that is not printable (controls, line and paragraph
    separators, format characters, lone surrogates, unassigned code points)
    written as a Python escape: ``\\n``, ``\\x85``, ``\\u2028``, ``\\U000e0001``.
    """
    out = []
    for char in value:
        if char == "\\" or char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        else:
            code = ord(char)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    return "".join(out)


def _shell_word(word: str) -> str:
    """``word`` quoted for a POSIX shell, as one printable line.

    ``shlex.quote`` where every character is printable; else ``$'...'``,
    whose escapes give the name's bytes back (a name read from a file
    system that is not UTF-8 holds lone surrogates for its bytes).
    """
    if word.isprintable():
        return shlex.quote(word)
    out = []
    for char in word:
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        else:
            out += [f"\\x{byte:02x}" for byte in _bytes(char)]
    return "$'" + "".join(out) + "'"


def _bytes(char: str) -> bytes:
    """The bytes of one character of a file name, as the file system has them."""
    try:
        return char.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system decoding makes
        return char.encode("utf-8", "surrogatepass")


def _units(units: str | tuple[str, ...]) -> str:
    return units if isinstance(units, str) else ", ".join(units)


def _call(head: str, arguments: list[str]) -> list[str]:
    """A call on one line when it fits in 88 characters, else one argument a line."""
    line = head + ", ".join(arguments) + ")"
    if len(line) <= 88:
        return [line]
    return [head, *(f"    {argument}," for argument in arguments), ")"]


def _from_files(
    settings: BlurSettings,
    image: LayerSource,
    mask: LayerSource,
    other: LayerSource | None = None,
) -> list[str]:
    """Comment lines: the same blur read from the files, in Python and in a shell."""
    mask_path = mask.path or f"{mask.name}.tif"
    lines = ["# The same from the files, without napari:"]
    for layer, path in [(mask, mask_path), *_other_file(other)]:
        if layer.path is None:
            lines.append(
                f"# (save the layer {_text(layer.name)} to {_text(path)} first)"
            )
    paths = [image.path, mask_path, *(p for _, p in _other_file(other))]
    readers = [_READERS.get(PurePath(p).suffix.lower()) for p in paths]
    layers = [image, mask, *(() if other is None else (other,))]
    if all(readers) and not any(layer.multiscale for layer in layers):
        imports = dict.fromkeys(reader[0] for reader in readers)
        weights = '.astype("float32")' if mask.as_weights else ""
        arrays = "image, mask" if other is None else "image, other, mask"
        lines += [
            *(f"#   {statement}" for statement in imports),
            f"#   image = {readers[0][1].format(path=_text(image.path))}",
            f"#   mask = {readers[1][1].format(path=_text(mask_path))}{weights}",
            *(
                f"#   other = {readers[2][1].format(path=_text(paths[2]))}"
                for _ in _other_file(other)
            ),
            f"#   blurred = {settings.function_name}({arrays}, ...)  # as above",
        ]
    command = _command(settings, image, mask_path, *(p for _, p in _other_file(other)))
    lines += ["# or in a shell:", "#   " + command]
    return lines


def _other_file(other: LayerSource | None) -> list[tuple[LayerSource, str]]:
    """The second image's layer and file (its own, or where to save it)."""
    return [] if other is None else [(other, other.path or f"{other.name}.tif")]


def _command(
    settings: BlurSettings,
    image: LayerSource,
    mask_path: str,
    other_path: str | None = None,
) -> str:
    """The ``napari-masked-blur blur`` command line for the same options.

    Without ``--axes`` the command picks the frames from the file's axis
    order, so every axis smoothed here is named (for 3 axes or more).
    """
    path = PurePath(image.path)
    ending = path.suffix.lower() if path.suffix.lower() in _CLI_ENDINGS else ".tif"
    output = f"{path.stem}_blurred{ending}"
    words = ["napari-masked-blur", "blur", image.path, mask_path, "-o", output]
    if other_path is not None:
        words += ["--other", other_path]
    changed = settings.changed()
    if settings.filter != "gaussian":  # the command's default
        changed = {"filter": settings.filter, **changed}
    channel = settings.channel_axis
    if settings.axes is None and image.ndim - (channel is not None) >= 3:
        every = [
            a for a in range(image.ndim) if channel is None or a != channel % image.ndim
        ]
        changed["axes"] = tuple(every)
    for key, value in changed.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            words.append(flag)
            continue
        values = value if isinstance(value, tuple) else (value,)
        text = ",".join(_number(v) for v in values)
        # "-1" or "-2,-1" after a flag would read as another flag.
        words += [f"{flag}={text}"] if text.startswith("-") else [flag, text]
    return " ".join(_shell_word(word) for word in words)


def _number(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)
