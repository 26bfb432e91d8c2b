"""Files: read lazily, written chunk by chunk and moved into place atomically.

- :mod:`.io`: TIFF, Zarr and ``.npy`` opened without reading their pixels;
- :mod:`.formats`: axes and pixel sizes from the files (bioio for the rest);
- :mod:`.write`: a dask array written chunk by chunk under a partial name;
- :mod:`.outputs`: OME-Zarr, OME-TIFF, TIFF, Zarr and ``.npy`` outputs that
  record how they were made;
- :mod:`.atomic`: partial names, the final move that replaces nothing
  unasked, stale partials, small text files written atomically;
- :mod:`.safety`: an output may not be, hold or lie in an input;
- :mod:`.records`: an output's record read back, and whether it is whole;
- :mod:`.lock`: one batch at a time writes into a folder;
- :mod:`.settings_file`: settings documents read and written.

May import :mod:`napari_masked_blur._math`, dask, zarr and tifffile (bioio
and yaozarrs inside functions); never napari or Qt.  Importing the room
itself, or :mod:`.atomic` and :mod:`.settings_file`, loads none of them.
"""
