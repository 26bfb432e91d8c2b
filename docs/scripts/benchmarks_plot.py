"""The Benchmarks page's table and plot, from the JSON that `bench` wrote.

    napari-masked-blur bench --rounds 7 --json docs/snippets/benchmarks.json
    python docs/scripts/benchmarks_plot.py [docs/snippets/benchmarks.json]

Writes ``docs/snippets/benchmarks_table.md`` (the command, the machine, the
table, the targets missed and the first calls; the page includes it) and
``docs/images/bench_time_vs_sigma.png`` (milliseconds against sigma, one
panel per 2D size, one line per contender, the floor dashed).  Nothing is
measured here: every figure comes from the JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt

from napari_masked_blur._bench.command import shortfalls, table
from napari_masked_blur._bench.measure import CaseResult, from_json

DOCS = Path(__file__).resolve().parents[1]
SOURCE = DOCS / "snippets" / "benchmarks.json"
SNIPPET = DOCS / "snippets" / "benchmarks_table.md"
PLOT = DOCS / "images" / "bench_time_vs_sigma.png"


def snippet(results: list[CaseResult], about: dict) -> str:
    """The markdown the page includes: provenance, table, shortfalls, first calls."""
    peers = about["peers"]
    lines = [
        f"Made by `{about['command']}` on {about['machine']}; median of "
        f"{about['rounds']} rounds (a contender slower than {about['slow_s']:g} s "
        "runs once).",
        "",
        table(results, peers),
        "",
    ]
    missed = shortfalls(results, peers)
    if missed:
        lines += ["Targets missed in this run:", ""]
        lines += [f"- {line}" for line in missed]
    else:
        lines.append("Every target was met in this run.")
    first = about.get("first_call")
    if first:
        lines += ["", "First call of a fresh process, 2048x2048 sigma=3:", ""]
        names = {"install": "after an install", "session": "in a later session"}
        for name, probe in first.items():
            slower = 1e3 * (probe["first"] - probe["later"])
            lines.append(
                f"- {names.get(name, name)}: {slower:.0f} ms slower than the calls "
                f"after it; the fused loops were ready {probe['ready']:.2f} s "
                "after it started"
            )
    return "\n".join(lines) + "\n"


def plot(results: list[CaseResult], names: list[str], path: Path) -> None:
    """Log-log milliseconds against sigma: a panel per 2D size, a line per name."""
    sizes = sorted({r.shape for r in results if len(r.shape) == 2})
    figure, panels = plt.subplots(
        1, len(sizes), figsize=(5.2 * len(sizes), 4.2), layout="constrained",
        squeeze=False,
    )  # fmt: skip
    for panel, size in zip(panels[0], sizes, strict=True):
        cases = sorted((r for r in results if r.shape == size), key=lambda r: r.sigma)
        for name in names:
            points = [(r.sigma[0], r.ms[name]) for r in cases if r.ms.get(name)]
            if points:
                style = "--" if name == "floor" else "-"
                panel.plot(*zip(*points, strict=True), style, marker="o", label=name)
        panel.set(xscale="log", yscale="log", xlabel="sigma (pixels)", ylabel="ms")
        panel.set_title(f"{size[0]}x{size[1]} uint16, disk mask")
        panel.grid(True, which="both", alpha=0.3)
    panels[0][0].legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    results, about = from_json(source.read_text(encoding="utf-8"))
    SNIPPET.write_text(snippet(results, about), encoding="utf-8")
    names = ["ours", "seed recipe", *about["peers"], "floor"]
    plot(results, names, PLOT)
    print(f"wrote {SNIPPET} and {PLOT}")


if __name__ == "__main__":
    main()
