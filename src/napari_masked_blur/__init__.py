"""Gaussian blur inside a mask by normalized convolution, for napari and Python.

The array API (``masked_gaussian``, ``normalized_convolution``) runs on
numpy, scipy and OpenCV; regions of volumes also on numba.
``MaskedBlurWidget`` needs napari and is imported lazily.
"""

from napari_masked_blur._api import masked_gaussian, normalized_convolution

__version__ = "0.1.0"
__all__ = ["MaskedBlurWidget", "masked_gaussian", "normalized_convolution"]


def __getattr__(name: str):
    # The widget pulls in napari and Qt; only load them when asked for.
    if name == "MaskedBlurWidget":
        from napari_masked_blur._qt.widget import MaskedBlurWidget

        return MaskedBlurWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
