"""``napari-masked-blur bench``: speed and latency beside the peers.

- :mod:`.command`: the table of times against the peers (``bench``);
- :mod:`.peers`: the peers' recipes and the cases;
- :mod:`.measure`: interleaved rounds, medians, memory;
- :mod:`.latency` with :mod:`.scrub` and :mod:`.latency_viewer`: the live
  widget's latency (``bench latency``), timed to the drawn canvas.

Sits beside :mod:`napari_masked_blur._cli`; reaches the widget only through
the plugin manifest, as napari does.
"""
