"""The public functions, their registry and the one router below them.

- :mod:`.gaussian`: :func:`~.gaussian.masked_gaussian` and
  :func:`~.gaussian.normalized_convolution`;
- :mod:`.registry`: :data:`~.registry.FILTERS`, each filter's name to its
  public function;
- :mod:`.route`: from checked settings to the in-memory, dask, file-window
  and live paths, with the same warnings on every one.

Every entrance (the public functions, the widget, the command line) checks
its settings once (:meth:`napari_masked_blur.BlurSettings.check`) and hands
the checked options to :mod:`.route`.  May import :mod:`~napari_masked_blur._math`
and, inside functions only, :mod:`~napari_masked_blur._lazy` (dask is optional).
"""
