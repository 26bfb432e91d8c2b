"""What the live view computes next, and why: no napari, no Qt.

- :mod:`.plan`: :class:`~.plan.LivePlan`, the pieces still missing from one
  output (the whole image, the displayed plane, patches where the mask was
  painted, the rest of a volume in chunks), most urgent first (each computed
  by :func:`napari_masked_blur._api.route.run_piece`);
- :mod:`.edits`: the box an edit changed (napari's paint events read by duck
  typing, an undo seen as a difference; a 2D mask's edit over every frame)
  and the displayed plane;
- :mod:`.chunks`: the chunks of a volume, the displayed frame first, then
  nearest to the displayed plane;
- :mod:`.smooth_over`: which axes of a layer are smoothed, from its axis labels.

May import :mod:`napari_masked_blur._math`; never napari, Qt or dask.
"""
