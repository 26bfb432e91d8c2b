"""The docs tell the truth: their examples run and their links resolve.

- Every docstring example (``>>>``) in the package's modules runs as a doctest,
  for each module that imports without napari or Qt (the GUI modules are
  exercised by the GUI tests instead).
- Every ```python block in README.md and docs/*.md runs, the blocks of one
  page in order in one namespace, in a scratch folder.  A block with a title
  (```python title="...") is shown but not run: the title says why (code that
  opens a napari window and runs its event loop).
- Every relative link in README.md points at a file in the repository (mkdocs
  checks the links of docs/ itself when the site is built with --strict).
- Every room of the package (each sub-package and top-level module) is a row
  of the rooms table in docs/architecture.md, a layer of the import-linter
  contract in pyproject.toml, and a box of the architecture drawing.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import napari_masked_blur

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GUI_PACKAGES = (
    "napari",
    "qtpy",
    "magicgui",
    "superqt",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "vispy",
)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def imports_gui(path: Path) -> bool:
    """Whether the module at ``path`` imports a GUI package at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name.split(".")[0] in GUI_PACKAGES for name in names):
            return True
    return False


def array_modules() -> list[str]:
    """Names of the package's modules that import no GUI package."""
    found = []
    for info in pkgutil.walk_packages(
        napari_masked_blur.__path__, prefix="napari_masked_blur."
    ):
        if info.name.endswith("__main__"):
            continue  # running it is the command itself
        spec = importlib.util.find_spec(info.name)
        if not imports_gui(Path(spec.origin)):
            found.append(info.name)
    return found


def test_the_array_modules_are_found():
    modules = array_modules()
    assert "napari_masked_blur._api" in modules
    assert "napari_masked_blur._math.dense" in modules
    assert "napari_masked_blur._engines" in modules
    # every room below the GUI, down to its modules
    for name in ("_math.options", "_files.io", "_lazy.overlap", "_live.plan"):
        assert f"napari_masked_blur.{name}" in modules
    assert "napari_masked_blur._cli.blur" in modules


@pytest.mark.parametrize("name", array_modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def python_blocks(page: Path) -> list[str]:
    return PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name
)
def test_python_blocks_in_pages_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, block in enumerate(python_blocks(page), start=1):
        code = compile(block, f"{page.name}, python block {number}", "exec")
        exec(code, namespace)


def test_readme_links_point_at_files():
    readme = ROOT / "README.md"
    targets = MARKDOWN_LINK.findall(readme.read_text(encoding="utf-8"))
    local = [t for t in targets if "://" not in t]
    assert local, "the README links into the docs"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_engine_accuracy_table_lists_every_engine():
    # The table is measured by docs/scripts/engine_accuracy.py; an engine
    # added since the last run would be missing from it.
    from napari_masked_blur._engines import METHODS

    table = (ROOT / "docs" / "snippets" / "engine_accuracy.md").read_text("utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)
    assert set(listed) == {m for m in METHODS if m != "auto"}


def package_rooms() -> set[str]:
    """Every sub-package and top-level module of the package, ``__main__``
    aside (``python -m``, which imports only the command)."""
    found = pkgutil.iter_modules(napari_masked_blur.__path__)
    return {info.name for info in found} - {"__main__"}


def rooms_table() -> set[str]:
    """The names in the first column of the table under "## The rooms"."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page.split("\n## The rooms\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {
        name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])
    }


def test_the_rooms_are_found():
    assert {"_api", "_math", "_engines", "_files", "_qt", "_command"} <= package_rooms()


def test_every_room_is_a_row_of_the_architecture_page():
    missing = package_rooms() - rooms_table()
    assert not missing, f"docs/architecture.md's rooms table lacks {sorted(missing)}"


def test_every_room_is_a_layer_of_the_import_contract():
    tomllib = pytest.importorskip("tomllib", reason="TOML is read from Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    named = {room.strip() for layer in layers for room in layer.split("|")}
    missing = package_rooms() - named
    assert not missing, f"the import-linter layers lack {sorted(missing)}"


def test_every_room_has_a_place_in_the_architecture_drawing(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.syspath_prepend(str(ROOT / "docs" / "scripts"))
    monkeypatch.delitem(sys.modules, "architecture", raising=False)
    architecture = importlib.import_module("architecture")
    drawn = set(architecture.ROOMS) - {architecture.MANIFEST, "__init__", "__main__"}
    assert drawn == package_rooms()
