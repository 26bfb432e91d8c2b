"""``FILTERS``: every masked filter's name and its public function, in order.

The order and the names are those of the descriptions
(:data:`~napari_masked_blur._math.filters.DESCRIPTIONS`); each name ``n``
has its function ``masked_n`` here.  The widget's filter choice, the
command line's ``--filter`` and the settings file's ``filter`` offer
exactly these names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from napari_masked_blur._api.derivatives import (
    masked_difference_of_gaussians,
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_hessian_eigenvalues,
    masked_structure_tensor_eigenvalues,
)
from napari_masked_blur._api.gaussian import masked_gaussian
from napari_masked_blur._api.statistics import (
    masked_local_correlation,
    masked_local_mean,
    masked_local_std,
    masked_local_variance,
    masked_local_zscore,
)
from napari_masked_blur._math.filters import FILTER_NAMES

_PUBLIC = (
    masked_gaussian,
    masked_local_mean,
    masked_local_variance,
    masked_local_std,
    masked_local_zscore,
    masked_local_correlation,
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_difference_of_gaussians,
    masked_hessian_eigenvalues,
    masked_structure_tensor_eigenvalues,
)


def _registry(functions: tuple[Callable[..., Any], ...]) -> Mapping[str, Callable]:
    by_name = {f.__name__.removeprefix("masked_"): f for f in functions}
    if set(by_name) != set(FILTER_NAMES):
        raise RuntimeError(
            f"public filters {sorted(by_name)} do not match the descriptions "
            f"{list(FILTER_NAMES)}"
        )
    return MappingProxyType({name: by_name[name] for name in FILTER_NAMES})


FILTERS: Mapping[str, Callable[..., Any]] = _registry(_PUBLIC)
"""Read-only: a filter's name (its function's name without ``masked_``) to
its public function, in the order the widget and the command line list them.

>>> from napari_masked_blur import FILTERS
>>> list(FILTERS)[:4]
['gaussian', 'local_mean', 'local_variance', 'local_std']
"""
