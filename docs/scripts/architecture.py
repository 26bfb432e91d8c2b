"""Draw the package's rooms and the imports between them, read from the code.

Every module under ``src/napari_masked_blur`` is parsed with :mod:`ast`, not
imported (so napari, Qt and dask need not be installed), and its imports are
collected: at module level and inside functions alike.  They are grouped by
room, the first package below ``napari_masked_blur`` (``_math``, ``_lazy``,
...), and one arrow is drawn for each room that imports from another: solid
when some module imports it at module level, dashed when only inside
functions (imported when first used).  The ``python_name`` entries of the
plugin manifest add a dotted arrow from ``napari.yaml``.  Each box lists the
room's modules and the third-party packages they import.

Only where the boxes stand and the one line saying what each room is for are
written here by hand.  A room found in the code but not placed here stops
the script, and an import of a module that does not exist is reported, so
the picture cannot drift from the code.

Writes ``docs/images/architecture.png``.  Run:
``python docs/scripts/architecture.py``.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "napari_masked_blur"
NAME = PACKAGE.name
MANIFEST = "napari.yaml"
FIGURE = ROOT / "docs" / "images" / "architecture.png"
PNG_METADATA = {"Software": None}  # no version stamp: re-runs give the same file

# The canvas, in data units: 1 unit = 1 inch, so text sizes in points convert
# to box sizes without asking the renderer.
WIDTH, HEIGHT = 14.0, 11.4
POINT = 1 / 72  # one typographic point, in data units


@dataclass(frozen=True)
class Room:
    """Where a room's box stands (its centre), how wide it is, what it is for."""

    centre: tuple[float, float]
    width: float
    role: str


# Each row imports only the rows below it (the import-linter layers), but for
# the arrows that run sideways: the package's lazy __getattr__ reaches the
# widget, python -m reaches the command, the blur reaches the engines.  Gaps
# are left in the rows where arrows pass down to the rooms below.
ROOMS = {
    MANIFEST: Room((2.0, 10.45), 2.6, "the plugin manifest"),
    "_command": Room((8.9, 10.45), 3.0, "napari-masked-blur: the dispatcher"),
    "__main__": Room((12.55, 10.45), 2.5, "python -m napari_masked_blur"),
    "_qt": Room((2.05, 8.05), 3.7, "napari, magicgui, Qt: the widget"),
    "__init__": Room((5.6, 8.15), 2.4, "the public names"),
    "_cli": Room((8.9, 8.1), 3.0, "blur files and folders; the demo"),
    "_bench": Room((12.3, 8.1), 3.0, "the benchmark table and latency"),
    "_api": Room((4.2, 6.1), 2.2, "FILTERS; check once, route"),
    "_live": Room((1.75, 4.15), 3.0, "what the live view computes next"),
    "_lazy": Room((6.5, 4.15), 2.2, "dask: overlap, windows, pyramids"),
    "_files": Room((10.6, 4.0), 2.8, "files read lazily, written atomically"),
    "_math": Room((5.0, 1.95), 5.6, "the masked filters, described once; in memory"),
    "_engines": Room((11.9, 1.95), 4.0, "the Gaussian, fast: one contract"),
}
# Arrows that would cross a box bend around it (matplotlib's arc3 ``rad``),
# or aim at another point of the target than its centre (an x on its
# centre line).
AIMS = {("_bench", "_math"): 6.5}
BENDS = {
    ("_qt", "_lazy"): -0.3,
    ("_cli", "_math"): 0.4,
    ("_cli", "_engines"): -0.45,
}
TITLE_PT, BODY_PT, SMALL_PT = 10.5, 8.5, 8.0  # font sizes
LINE = 1.2  # line spacing, in font sizes
ARROW_COLOR, MANIFEST_COLOR, PACKAGE_COLOR = "#2f3f4f", "#8a6a20", "#6a5a3a"


@dataclass(frozen=True)
class Import:
    """One import statement's target, as seen from the module holding it."""

    module: str  # the importing module, dotted
    target: str  # what is imported, dotted: a module, or a name in one
    lazy: bool  # inside a function: runs when the function is first called


def module_name(path: Path) -> str:
    """The dotted name of the module in ``path`` (a package for __init__.py)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    """The room a dotted module name belongs to; the package itself is __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_in(path: Path) -> list[Import]:
    """Every import in the module at ``path``, with relative ones resolved."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(module, a.name, lazy) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            # ``from package import module`` imports the module; anything
            # else named is a name in ``base`` (resolve tells which).
            found.extend(
                Import(module, base if a.name == "*" else f"{base}.{a.name}", lazy)
                for a in node.names
            )
        inside = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), lazy=False)
    return found


def resolve(target: str, files: dict[str, Path]) -> str | None:
    """The package module ``target`` names, or None if there is none.

    ``target`` is a module, or a name inside one (``from module import
    name``); a name must be defined at the top of its module or listed in
    its ``__all__``, so an import of a module that is gone is caught.
    """
    module, _, name = target, "", ""
    while module not in files:
        module, _, last = module.rpartition(".")
        name = last if not name else f"{last}.{name}"
        if not module:
            return None
    return module if not name or name.split(".")[0] in defined(files[module]) else None


def defined(path: Path) -> set[str]:
    """The names the module at ``path`` defines at its top, and its __all__."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            # Names, and the names a tuple assignment unpacks (A, B = 0, 1).
            flat = [e for t in targets for e in getattr(t, "elts", [t])]
            assigned = {t.id for t in flat if isinstance(t, ast.Name)}
            names |= assigned
            if "__all__" in assigned and isinstance(node.value, ast.List | ast.Tuple):
                names |= {
                    e.value for e in node.value.elts if isinstance(e, ast.Constant)
                }
    return names


@dataclass
class Graph:
    """What the parsed imports say, module by module and room by room."""

    modules: dict[str, list[str]]  # room -> its modules' short names
    packages: dict[str, set[str]]  # room -> third-party packages it imports
    edges: dict[tuple[str, str], bool]  # (importer, imported room) -> at load
    manifest: set[str]  # rooms the plugin manifest names
    # module -> what it imports at module level: package modules, packages
    at_load: dict[str, tuple[set[str], set[str]]]

    def loaded_by(self, module: str) -> set[str]:
        """Third-party packages that importing ``module`` loads.

        Follows module-level imports from ``module`` (and the packages each
        module lies in, which Python imports first); imports inside
        functions run later, when their function is called.
        """
        seen, todo, packages = set(), [module], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            parent = current.rpartition(".")[0]
            modules, third_party = self.at_load.get(current, (set(), set()))
            packages |= third_party
            todo += [*modules, *([parent] if parent else [])]
        return packages


def read_graph() -> Graph:
    """Parse the package and its manifest into a :class:`Graph`."""
    files = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    graph = Graph({}, {}, {}, set(), {})
    for module, path in files.items():
        room = room_of(module)
        graph.modules.setdefault(room, [])
        graph.packages.setdefault(room, set())
        if module.count(".") > 1:  # a module inside a room's package
            graph.modules[room].append(module.split(".", 2)[2])
        modules, third_party = graph.at_load.setdefault(module, (set(), set()))
        for imp in imports_in(path):
            top = imp.target.split(".")[0]
            if top != NAME:
                if top not in sys.stdlib_module_names:
                    graph.packages[room].add(top)
                    if not imp.lazy:
                        third_party.add(top)
                continue
            target = resolve(imp.target, files)
            if target is None:
                print(f"{module} imports {imp.target}: no such module", file=sys.stderr)
                continue
            if not imp.lazy:
                modules.add(target)
            if room_of(target) != room:
                key = (room, room_of(target))
                graph.edges[key] = graph.edges.get(key, False) or not imp.lazy
    manifest = (PACKAGE / MANIFEST).read_text(encoding="utf-8")
    for name in re.findall(r"python_name:\s*([\w.]+):", manifest):
        graph.manifest.add(room_of(name))
    return graph


def box_text(room: str, graph: Graph) -> tuple[str, str]:
    """The body of a room's box (what it is for, its modules) and its packages."""
    spec = ROOMS[room]
    chars = int(spec.width / (0.6 * BODY_PT * POINT)) - 2  # average glyph width
    if room == MANIFEST:
        return spec.role, ""
    lines = textwrap.wrap(spec.role, chars)
    lines += textwrap.wrap(" · ".join(graph.modules[room]), chars)
    packages = textwrap.wrap(", ".join(sorted(graph.packages[room])), chars)
    return "\n".join(lines), "\n".join(packages)


def draw(graph: Graph) -> Figure:
    """The rooms as boxes, one arrow per room that imports another."""
    fig = Figure(figsize=(WIDTH, HEIGHT))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.set_axis_off()
    boxes = {room: draw_room(ax, room, graph) for room in ROOMS}
    for (source, target), at_load in sorted(graph.edges.items()):
        arrow(ax, boxes, source, target, "-" if at_load else "--", ARROW_COLOR)
    for room in sorted(graph.manifest):
        arrow(ax, boxes, MANIFEST, room, ":", MANIFEST_COLOR)
    title = "An arrow points from a room to a room it imports"
    ax.text(WIDTH / 2, HEIGHT - 0.15, title, ha="center", va="top", fontsize=12)
    legend = [
        Line2D([], [], color=color, linestyle=style, label=label)
        for color, style, label in (
            (ARROW_COLOR, "-", "imported at the top of a module"),
            (ARROW_COLOR, "--", "imported only inside functions, when first called"),
            (MANIFEST_COLOR, ":", "named in the manifest: napari imports it"),
        )
    ]
    legend.append(
        Line2D(
            [],
            [],
            color=PACKAGE_COLOR,
            linestyle="none",
            marker="$abc$",
            markersize=14,
            label="third-party packages the room imports",
        )
    )
    ax.legend(
        handles=legend,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.04),
        ncols=2,
        frameon=False,
        fontsize=9,
        handlelength=3,
    )
    loaded = ", ".join(sorted(graph.loaded_by(NAME)))
    footer = (
        f"import {NAME} loads no third-party package but {loaded}; "
        "the others load when a function that needs them first runs"
    )
    ax.text(
        WIDTH / 2,
        0.15,
        footer,
        ha="center",
        va="bottom",
        fontsize=10,
        color=PACKAGE_COLOR,
    )
    return fig


def draw_room(ax, room: str, graph: Graph) -> FancyBboxPatch:
    """One room's box: its name, what it is for, its modules, its packages."""
    spec = ROOMS[room]
    body, packages = box_text(room, graph)
    body_lines = body.count("\n") + 1
    package_lines = packages.count("\n") + 1 if packages else 0
    height = TITLE_PT + 24 + LINE * (BODY_PT * body_lines + SMALL_PT * package_lines)
    height *= POINT
    x, y = spec.centre
    top = y + height / 2
    box = FancyBboxPatch(
        (x - spec.width / 2, y - height / 2),
        spec.width,
        height,
        boxstyle="round,pad=0,rounding_size=0.08",
        facecolor="#f7f4ea" if room == MANIFEST else "#eef3f8",
        edgecolor="#4a5a6a",
        linewidth=1.2,
        zorder=3,  # over the arrows: one that passes a box goes behind it
    )
    ax.add_patch(box)
    title = {MANIFEST: MANIFEST, "__init__": NAME}.get(room, f"{NAME}.{room}")
    below = top - 6 * POINT
    ax.text(
        x,
        below,
        title,
        ha="center",
        va="top",
        fontsize=TITLE_PT,
        fontweight="bold",
        family="monospace",
        zorder=4,
    )
    below -= (TITLE_PT + 5) * POINT
    ax.text(
        x,
        below,
        body,
        ha="center",
        va="top",
        fontsize=BODY_PT,
        linespacing=LINE,
        zorder=4,
    )
    below -= (LINE * BODY_PT * body_lines + 1) * POINT
    ax.text(
        x,
        below,
        packages,
        ha="center",
        va="top",
        fontsize=SMALL_PT,
        color=PACKAGE_COLOR,
        style="italic",
        linespacing=LINE,
        zorder=4,
    )
    return box


def arrow(ax, boxes, source: str, target: str, style: str, color: str) -> None:
    """An arrow from box ``source`` to box ``target``, clipped at their edges."""
    for room in (source, target):
        if room not in boxes:
            raise SystemExit(f"the manifest names room {room!r}, not in ROOMS")
    rad = BENDS.get((source, target), 0.0)
    ax.add_patch(
        FancyArrowPatch(
            ROOMS[source].centre,
            (
                AIMS.get((source, target), ROOMS[target].centre[0]),
                ROOMS[target].centre[1],
            ),
            patchA=boxes[source],
            patchB=boxes[target],
            shrinkA=3,
            shrinkB=3,
            arrowstyle="-|>",
            mutation_scale=15,
            connectionstyle=f"arc3,rad={rad}",
            linestyle=style,
            linewidth=1.4,
            color=color,
        )
    )


def main() -> None:
    graph = read_graph()
    # A room added or removed in the code must be placed or dropped here.
    unplaced = set(graph.modules) - set(ROOMS)
    if unplaced:
        raise SystemExit(f"rooms in the code but not in ROOMS: {sorted(unplaced)}")
    gone = set(ROOMS) - set(graph.modules) - {MANIFEST}
    if gone:
        raise SystemExit(f"rooms in ROOMS but not in the code: {sorted(gone)}")
    fig = draw(graph)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=100, metadata=PNG_METADATA)
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
