"""The masked filters of in-memory arrays: numpy and scipy, nothing above.

What a filter is:

- :mod:`.filter`: :class:`~.filter.Filter`, a filter described once (the
  terms it smooths, how it finishes them, its reach, its ``outside``
  policies);
- :mod:`.gaussian`: the masked Gaussian, the first filter;
- :mod:`.filters`: every filter, in the order every entrance offers them.

Its settings, checked once:

- :mod:`.settings`: :class:`~.settings.BlurSettings`, the one settings type
  (as the user gave them; its JSON document), and its values
  (:mod:`.setting_values`);
- :mod:`.options`: :class:`~.options.BlurOptions`, the settings checked
  against an image and a mask, what the computation reads;
- :mod:`.axes` and :mod:`.frames`: the smoothed axes (``axes=``), the
  frames, a mask with fewer axes broadcast as a view;
- :mod:`.dtypes`: the result's dtype.

How it is computed:

- :mod:`.weights`: from the mask to the weights;
- :mod:`.outside`: the ``outside`` policy, written once;
- :mod:`.boxes`: boxes of pixels and the filter's reach;
- :mod:`.dense`: the terms smoothed and finished over a whole image;
- :mod:`.labels`: each label with its own pixels only;
- :mod:`.region`: the whole, or one region from the window it needs;
- :mod:`.taps`: thin regions of the masked Gaussian reduced by kernel taps
  (the planes of a volume by a loop compiled by numba, asked of the
  engines' loader; numpy's taps while it is being got ready elsewhere).

May import :mod:`napari_masked_blur._engines`, numpy and scipy; never numba,
napari, Qt, dask or the rooms above it.
"""
