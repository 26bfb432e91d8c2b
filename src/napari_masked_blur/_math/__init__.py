"""The masked blur of in-memory arrays: numpy and scipy, nothing above.

- :mod:`.options`: :class:`~.options.BlurOptions`, every check of the
  options, made once where they enter;
- :mod:`.axes`: the smoothed axes (``axes=``), the frames, and a mask with
  fewer axes broadcast as a view;
- :mod:`.boxes`: boxes of pixels and the kernel's reach;
- :mod:`.weights`: from the mask to the weights, and the ``outside`` policy;
- :mod:`.dense`: the normalized convolution of a whole image;
- :mod:`.labels`: each label with its own pixels only;
- :mod:`.region`: the whole, or one region from the window it needs;
- :mod:`.taps` and :mod:`.plane_taps`: thin regions reduced by kernel taps
  (``plane_taps`` compiles with numba, imported only when a region of a
  volume is computed);
- :mod:`.warm`: numba's plane loop loaded ahead, numpy's taps meanwhile.

May import :mod:`napari_masked_blur._engines`, numpy and scipy (numba in
``plane_taps``); never napari, Qt, dask or the rooms above it.
"""
