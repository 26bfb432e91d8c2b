"""The package keeps its shape: sizes within limits, the array API light to import.

The rooms and their one-way dependencies are import-linter contracts
(``lint-imports``, run by the test command); here what those cannot see:

- no module over 400 lines, no class over 250 and no function over 80, not
  counting docstrings, so that every piece can be read at once;
- importing the package, and blurring an in-memory image with it, loads
  neither napari, Qt, magicgui, dask nor numba (the contracts let a few
  imports stand inside functions; this checks that they stay there).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import napari_masked_blur

PACKAGE = Path(napari_masked_blur.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MODULE_LINES, CLASS_LINES, FUNCTION_LINES = 400, 250, 80
HEAVY = ("napari", "qtpy", "magicgui", "superqt", "vispy", "PyQt5", "PyQt6", "dask")


def docstring_lines(node: ast.AST) -> set[int]:
    """Line numbers of the docstrings of ``node`` and of everything inside it."""
    lines: set[int] = set()
    for inner in ast.walk(node):
        if not isinstance(
            inner, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ):
            continue
        body = inner.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def code_lines(node: ast.AST) -> int:
    """Lines ``node`` spans (decorators included), docstrings aside."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    spanned = set(range(first, node.end_lineno + 1))
    return len(spanned - docstring_lines(node))


def too_long(path: Path) -> list[str]:
    """Every class and function of the module at ``path`` over its limit."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            limit = CLASS_LINES
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            limit = FUNCTION_LINES
        else:
            continue
        if (lines := code_lines(node)) > limit:
            found.append(f"{node.name} (line {node.lineno}): {lines} > {limit}")
    return found


def test_code_lines_count_everything_but_docstrings():
    source = 'def f():\n    """Doc,\n    two lines."""\n    x = 1\n\n    return x\n'
    (function,) = ast.parse(source).body
    assert code_lines(function) == 4  # def, x = 1, the blank line, return


def test_every_module_of_every_room_is_measured():
    rooms = {p.relative_to(PACKAGE).parts[0] for p in MODULES}
    assert {"_math", "_engines", "_files", "_lazy", "_live", "_qt", "_cli"} <= rooms
    assert {"_bench", "_api.py", "_command.py"} <= rooms


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_classes_and_functions_keep_their_size_limits(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LINES, f"{lines} lines > {MODULE_LINES}"
    assert too_long(path) == []


PROBE = """
import json, sys
import numpy as np
from napari_masked_blur import masked_gaussian, normalized_convolution
image = np.arange(64.0).reshape(8, 8)
masked_gaussian(image, image > 20, 1.5, outside="fill")
masked_gaussian(image, (image % 3).astype(np.uint8), 1.0, per_label=True)
normalized_convolution(image, np.ones((8, 8)), 2.0)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_array_api_loads_no_gui_no_dask_and_no_numba():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "napari_masked_blur" in loaded
    assert loaded.isdisjoint({*HEAVY, "numba"}), loaded & {*HEAVY, "numba"}


def test_a_region_of_a_volume_loads_numba_but_no_gui_and_no_dask():
    probe = PROBE.replace(
        "normalized_convolution(image, np.ones((8, 8)), 2.0)",
        "from napari_masked_blur._math.options import BlurOptions\n"
        "from napari_masked_blur._math.region import blur_region\n"
        "volume = np.ones((9, 8, 8))\n"
        "options = BlurOptions.check(volume, volume > 0, 2.0)\n"
        "blur_region(volume, volume > 0, (slice(4, 5), slice(0, 8), slice(0, 8)),"
        " options)",
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "numba" in loaded  # the compiled plane loop ran
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
