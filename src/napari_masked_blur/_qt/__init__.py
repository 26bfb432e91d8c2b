"""Everything that imports napari, magicgui or Qt: the plugin in the viewer.

- :mod:`.widget`: :class:`~.widget.MaskedBlurWidget`, the docked controls and
  layer choices; it builds checked options and hands them to a session;
- :mod:`.filter_controls`: the chosen filter's own parameters (a second
  image, high sigma, rho, the derivative orders);
- :mod:`.label_controls`: the label ids (several), and the chosen layers'
  data followed;
- :mod:`.status`: the status line and the Run button, always true;
- :mod:`.result_view`: overlay or side by side, and "Keep this result";
- :mod:`.words`: row labels, choices in words, a tooltip for every control;
- :mod:`.layer_functions`: every filter as a plain layer-in, layer-out
  function, for the manifest;
- :mod:`.sigma_controls`: the sigma slider, "smooth over" (which axes are smoothed)
  and one sigma field per smoothed axis;
- :mod:`.session`: :class:`~.session.LiveSession`, the one owner of the
  background runner, the plan of what is missing and the progress bars;
- :mod:`.edit_watcher`: :class:`~.edit_watcher.EditWatcher`, napari's paint,
  drag, undo and dims events turned into "this box changed" and "the view moved";
- :mod:`.output_layers`: the output layers (one per result): found, created,
  written, refreshed, kept, under the mask;
- :mod:`.arrays`: what the blur reads from the layers, and lazy outputs;
- :mod:`.warm`: the engines' loader asked for numba's loops as soon as the
  layers are chosen;
- :mod:`.progress`: the busy bar and a volume's bar;
- :mod:`.runner`: :class:`~.runner.LatestRunner`, one thread, newest job wins;
- :mod:`.repeat_buttons`: Copy as Python, Save and Load settings;
- :mod:`.choices`: the layers and label ids offered;
- :mod:`.grid`: the original and the result side by side, the mask on top;
- :mod:`.connections`: connections undone together, the widget's close;
- :mod:`.samples`: the sample data the manifest offers.

May import every room below it (:mod:`napari_masked_blur._api`,
``_math``, ``_live``, ``_lazy``, ``_files``); nothing imports this room but the plugin
manifest (the widget, the samples, the layer functions) and the package's
lazy ``MaskedBlurWidget``.
"""
