"""The command line's work: ``blur`` (files, folders, chunk by chunk) and the demo.

- :mod:`.blur`: ``napari-masked-blur blur``, files of any size, chunk by chunk;
- :mod:`.batch` with :mod:`.sources` and :mod:`.resume`: folders and globs,
  pairing, resuming only what was made with the same settings;
- :mod:`.repeat_options`: ``--settings``, ``--units`` and the record outputs
  carry;
- :mod:`.arguments`, :mod:`.errors`: argument types and the one-line errors;
- :mod:`.store`: chunks computed and written on threads or a cluster;
- :mod:`.signals`: SIGTERM and SIGHUP handled like Ctrl-C;
- :mod:`.demo`: napari opened with the widget docked.

The dispatcher is :mod:`napari_masked_blur._command`.  May import every room
but :mod:`napari_masked_blur._qt` (the demo reaches the widget through the
plugin manifest, as napari does) and :mod:`napari_masked_blur._bench`.
"""
