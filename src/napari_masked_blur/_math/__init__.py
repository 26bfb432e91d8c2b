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
- :mod:`.taps`: thin regions reduced by kernel taps (the planes of a volume
  by a loop compiled by numba, asked of the engines' loader; numpy's taps
  while it is being got ready elsewhere).

May import :mod:`napari_masked_blur._engines`, numpy and scipy; never numba,
napari, Qt, dask or the rooms above it.
"""
