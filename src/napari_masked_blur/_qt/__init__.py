"""Everything that imports napari, magicgui or Qt: the plugin in the viewer.

- :mod:`.widget`: :class:`~.widget.MaskedBlurWidget`, the docked controls and
  layer choices; it builds checked options and hands them to a session;
- :mod:`.sigma_controls`: the sigma slider, "smooth over" (which axes are smoothed)
  and one sigma field per smoothed axis;
- :mod:`.session`: :class:`~.session.LiveSession`, the one owner of the
  background runner, the plan of what is missing and the progress bars;
- :mod:`.edit_watcher`: :class:`~.edit_watcher.EditWatcher`, napari's paint,
  drag, undo and dims events turned into "this box changed" and "the view moved";
- :mod:`.output_layers`: the output layer: found, created, written, refreshed;
- :mod:`.arrays`: what the blur reads from the layers, and lazy outputs;
- :mod:`.warm`: the engines' loader asked for numba's loops as soon as the
  layers are chosen;
- :mod:`.progress`: the busy bar and a volume's bar;
- :mod:`.runner`: :class:`~.runner.LatestRunner`, one thread, newest job wins;
- :mod:`.repeat_buttons`: Copy as Python, Save and Load settings;
- :mod:`.choices`: the layers and label ids offered;
- :mod:`.grid`: the original and the result side by side;
- :mod:`.connections`: connections undone together, the widget's close;
- :mod:`.samples`: the sample data the manifest offers.

May import every room below it (:mod:`napari_masked_blur._api`,
``_math``, ``_live``, ``_lazy``, ``_files``); nothing imports this room but the plugin
manifest and the package's lazy ``MaskedBlurWidget``.
"""
