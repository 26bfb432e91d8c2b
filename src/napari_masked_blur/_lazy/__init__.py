"""Lazy masked blur: dask arrays, files bigger than memory, pyramids.

- :mod:`.overlap`: dask arrays in, lazy dask arrays out, chunk by chunk with
  ``map_overlap`` (what :func:`napari_masked_blur.masked_gaussian` calls for
  dask input);
- :mod:`.windows`: every chunk reads its own window (streaming files);
- :mod:`.multiscale`: a pyramid, level by level.

Files are read and written by :mod:`napari_masked_blur._files`.

Calls :mod:`napari_masked_blur._math` for every chunk, never the public
functions above it.  May import dask, zarr and tifffile; never napari or Qt.
"""
