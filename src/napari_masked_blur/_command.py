"""The ``napari-masked-blur`` command: dispatches to the demo, batch blur, benchmarks.

``napari-masked-blur [IMAGE [MASK]]`` opens napari with the widget docked;
``napari-masked-blur blur ...`` blurs files in batch (no GUI);
``napari-masked-blur bench ...`` prints and writes the benchmark table.
Each subcommand lives in its own room (:mod:`napari_masked_blur._cli`,
:mod:`napari_masked_blur._bench`) and is imported only when used, so
``blur`` works without napari or Qt installed.  Sits above every room but
never imports :mod:`napari_masked_blur._qt` (the demo reaches the widget
through the plugin manifest, as napari does).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """\
usage: napari-masked-blur [IMAGE [MASK]]        open napari with the widget docked
       napari-masked-blur blur IMAGE MASK ...   blur files in batch (see blur --help)
       napari-masked-blur bench ...             benchmark against the peers

Without arguments the demo opens the sample data, ready to drag sigma and paint.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        from napari_masked_blur._cli.demo import demo_options

        print(USAGE + "\nThe demo's options:\n" + demo_options(), end="")
        return 0
    if args and args[0] == "blur":
        from napari_masked_blur._cli.blur import main as blur_main

        return blur_main(args[1:])
    if args and args[0] == "bench":
        from napari_masked_blur._bench.command import main as bench_main

        return bench_main(args[1:])
    from napari_masked_blur._cli.demo import main as demo_main

    return demo_main(args)
