"""No name can become code in "Copy as Python": layer names, file paths and
units are text of any kind (a file name may hold a newline, a line separator
U+2028, a NEL U+0085, a lone surrogate from a non-UTF-8 file system...).

The snippet is compiled with ``ast`` and must hold exactly the expected
statements, each name only as a string constant of its own value; every
line must be printable, so no console or editor finds another line break;
and the shell line in its comments must give the same words back to bash.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from napari_masked_blur import BlurSettings
from napari_masked_blur._qt.snippet import LayerSource, python_snippet

# Every code point: controls, separators, surrogates, unassigned ones.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
NASTY = [
    'a\nimport os; os.remove("x")',
    "b\r\nprint('r')",
    "c\x85d",
    "e\u2028f\u2029g",
    "h\x0c\x0bi",
    "j\"\"\"k'''",
    "l\\",
    "m\udcffn",  # a byte of a non-UTF-8 name, as os.fsdecode gives it
    "o\ud800p",
    "q\x00r",
    "$(touch pwned) `id` 's'",
    "é µm \u202e",
]
EXPECTED = """\
from napari_masked_blur import masked_gaussian
image = viewer.layers["IMAGE"].data
mask = viewer.layers["MASK"].data
blurred = masked_gaussian(image, mask, sigma=(2.0, 1.0), spacing=(0.5, 0.25))
"""


EXPECTED_OTHER = """\
from napari_masked_blur import masked_local_correlation
image = viewer.layers["IMAGE"].data
other = viewer.layers["OTHER"].data
mask = viewer.layers["MASK"].data
blurred = masked_local_correlation(
    image, other, mask, sigma=(2.0, 1.0), spacing=(0.5, 0.25)
)
"""


def expected_tree(image: str, mask: str, other: str | None = None) -> str:
    """The dump of the snippet's code, the names put in as constants."""
    tree = ast.parse(EXPECTED if other is None else EXPECTED_OTHER)
    names = {"IMAGE": image, "MASK": mask, "OTHER": other}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in names:
            node.value = names[node.value]
    return ast.dump(tree)


def snippet(
    image: str, mask: str, image_path, mask_path, units: str, other=None
) -> str:
    settings = BlurSettings(
        sigma=(2.0, 1.0),
        spacing=(0.5, 0.25),
        units=units,
        filter="gaussian" if other is None else "local_correlation",
    )
    return python_snippet(
        settings,
        LayerSource(image, path=image_path, ndim=2),
        LayerSource(mask, path=mask_path, ndim=2),
        "1.0",
        other=other,
    )


def check_no_name_is_code(text: str, image: str, mask: str, other=None) -> None:
    # Only printable characters besides the newlines: one line is one line.
    assert all(line.isprintable() for line in text.split("\n")), text
    assert text.splitlines() == text.split("\n")[:-1]
    text.encode("utf-8")  # the clipboard takes it as it is
    assert ast.dump(ast.parse(text)) == expected_tree(image, mask, other)


@settings(max_examples=300, deadline=None)
@given(
    image=ANY_TEXT,
    mask=ANY_TEXT,
    image_path=st.none() | ANY_TEXT,
    mask_path=st.none() | ANY_TEXT,
    units=ANY_TEXT.filter(bool),
)
def test_no_text_in_any_name_path_or_unit_becomes_code(
    image, mask, image_path, mask_path, units
):
    text = snippet(image, mask, image_path, mask_path, units)
    check_no_name_is_code(text, image, mask)


@settings(max_examples=100, deadline=None)
@given(
    names=st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT),
    paths=st.tuples(*[st.none() | ANY_TEXT] * 3),
)
def test_nor_in_the_second_image_of_a_filter_of_two(names, paths):
    image, mask, other = names
    text = snippet(
        image, mask, paths[0], paths[1], "um", LayerSource(other, path=paths[2])
    )
    check_no_name_is_code(text, image, mask, other)


@pytest.mark.parametrize("name", NASTY)
def test_a_name_that_would_run_as_code_stays_a_name(name):
    text = snippet(name, name, f"/data/{name}.tif", f"/data/{name}.npy", name)
    check_no_name_is_code(text, name, name)
    namespace = {"viewer": _Viewer({name: "pixels"})}
    code = text[: text.index("blurred =")]  # the reads, without the blur
    exec(compile(code, "<snippet>", "exec"), namespace)
    assert namespace["image"] == namespace["mask"] == "pixels"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("name", [n for n in NASTY if "\x00" not in n])
def test_the_shell_line_gives_the_file_names_back(name):
    image_path, mask_path = f"/data/{name}.tif", f"/data/{name} mask.tif"
    text = snippet("img", "msk", image_path, mask_path, "micrometer")
    line = next(s for s in text.splitlines() if s.startswith("#   napari-masked-"))
    words = subprocess.run(
        ["bash", "-c", "printf '%s\\0' " + line.removeprefix("#   ")],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")[:-1]
    name_bytes = [_fs_bytes(p) for p in (image_path, mask_path)]
    assert words[:4] == [b"napari-masked-blur", b"blur", *name_bytes]
    assert words[4:6] == [b"-o", _fs_bytes(f"{name}_blurred.tif")]


def _fs_bytes(name: str) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")


class _Viewer:
    """What the snippet reads of napari's viewer: layers by name, their data."""

    def __init__(self, layers: dict[str, object]) -> None:
        self.layers = {
            name: type("Layer", (), {"data": data})() for name, data in layers.items()
        }
