"""Gaussian blur inside a mask by normalized convolution, for napari and Python.

The array API (``masked_gaussian``, ``normalized_convolution``, the local
statistics ``masked_local_mean``, ``masked_local_variance``,
``masked_local_std``, ``masked_local_zscore`` and
``masked_local_correlation``, the Gaussian derivatives
``masked_gaussian_gradient_magnitude``, ``masked_gaussian_laplace``,
``masked_difference_of_gaussians``, ``masked_hessian_eigenvalues`` and
``masked_structure_tensor_eigenvalues``, and ``FILTERS``: every masked
filter's name and its function) runs on
numpy, scipy and OpenCV; regions of volumes also on numba.  ``BlurSettings``
(with ``load_settings`` and ``save_settings``) holds the options as one JSON
document, shared by the widget, scripts and the command line.
``MaskedBlurWidget`` needs napari and is imported lazily.
"""

from napari_masked_blur._api.derivatives import (
    masked_difference_of_gaussians,
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_hessian_eigenvalues,
    masked_structure_tensor_eigenvalues,
)
from napari_masked_blur._api.gaussian import masked_gaussian, normalized_convolution
from napari_masked_blur._api.registry import FILTERS
from napari_masked_blur._api.statistics import (
    masked_local_correlation,
    masked_local_mean,
    masked_local_std,
    masked_local_variance,
    masked_local_zscore,
)
from napari_masked_blur._files.settings_file import load_settings, save_settings
from napari_masked_blur._math.settings import BlurSettings

__version__ = "0.1.0"
__all__ = [
    "FILTERS",
    "BlurSettings",
    "MaskedBlurWidget",
    "load_settings",
    "masked_difference_of_gaussians",
    "masked_gaussian",
    "masked_gaussian_gradient_magnitude",
    "masked_gaussian_laplace",
    "masked_hessian_eigenvalues",
    "masked_local_correlation",
    "masked_local_mean",
    "masked_local_std",
    "masked_local_variance",
    "masked_local_zscore",
    "masked_structure_tensor_eigenvalues",
    "normalized_convolution",
    "save_settings",
]


def __getattr__(name: str):
    # The widget pulls in napari and Qt; only load them when asked for.
    if name == "MaskedBlurWidget":
        from napari_masked_blur._qt.widget import MaskedBlurWidget

        return MaskedBlurWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
