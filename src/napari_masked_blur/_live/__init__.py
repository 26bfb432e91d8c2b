"""What the live view computes next, and why: no napari, no Qt.

- :mod:`.plan`: :class:`~.plan.LivePlan`, the pieces still missing from one
  output (the whole image, the displayed plane, patches where the mask was
  painted, the rest of a volume in chunks), most urgent first, and
  :func:`~.plan.compute_piece`, which computes one;
- :mod:`.edits`: the box an edit changed (napari's paint events read by duck
  typing, an undo seen as a difference) and the displayed plane;
- :mod:`.chunks`: the chunks of a volume, nearest to the displayed plane first.

May import :mod:`napari_masked_blur._blur`; never napari, Qt or dask.
"""
