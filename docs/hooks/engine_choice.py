"""mkdocs hook: which engine ``method="auto"`` picks, read from the code.

A line ``<!-- auto-engine -->`` in a page becomes a table of the engine
:func:`choose_engine` picks for a 2048 x 2048 float32 image with the default
border, over a range of sigmas, asked of the code when the site is built, so
the page follows every change to the thresholds.
"""

from __future__ import annotations

import numpy as np

from napari_masked_blur._engines import choose_engine, kernel_radius

PLACEHOLDER = "<!-- auto-engine -->"
SHAPE = (2048, 2048)
SIGMAS = (1, 3, 5, 10, 30, 100, 300)
TRUNCATE = 4.0


def auto_table() -> str:
    """Markdown: sigma, kernel radius and the engine picked, one column each."""
    # The default border, "missing", reaches the engines as zeros beyond the
    # edge for both numerator and weights: scipy's "constant".
    mode = "constant"
    picks = [
        choose_engine(SHAPE, (s, s), mode, np.dtype(np.float32), TRUNCATE)
        for s in SIGMAS
    ]
    radii = [kernel_radius((s,), TRUNCATE)[0] for s in SIGMAS]
    rows = [
        "| sigma (px) | " + " | ".join(str(s) for s in SIGMAS) + " |",
        "|---" * (len(SIGMAS) + 1) + "|",
        "| radius (px) | " + " | ".join(str(r) for r in radii) + " |",
        "| `auto` picks | " + " | ".join(f"`{p}`" for p in picks) + " |",
    ]
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_: object) -> str:
    """Replace the placeholder with the table."""
    if PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, auto_table())
