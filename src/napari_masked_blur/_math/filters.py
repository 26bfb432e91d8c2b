"""The masked filters, in the order every entrance offers them.

Adding a filter is one module in this room describing it (a
:class:`~.filter.Filter`), one line here, its public function in
:mod:`napari_masked_blur._api` and its tests: the widget, the command line,
the settings file, "Copy as Python", the dask and the live paths read the
description from here.
"""

from __future__ import annotations

from napari_masked_blur._math.derivatives import (
    GRADIENT_MAGNITUDE,
    HESSIAN_EIGENVALUES,
    LAPLACE,
)
from napari_masked_blur._math.filter import Filter
from napari_masked_blur._math.gaussian import GAUSSIAN
from napari_masked_blur._math.statistics import STATISTICS
from napari_masked_blur._math.two_scales import (
    DIFFERENCE_OF_GAUSSIANS,
    STRUCTURE_TENSOR_EIGENVALUES,
)

DESCRIPTIONS: tuple[Filter, ...] = (
    GAUSSIAN,
    *STATISTICS,
    GRADIENT_MAGNITUDE,
    LAPLACE,
    DIFFERENCE_OF_GAUSSIANS,
    HESSIAN_EIGENVALUES,
    STRUCTURE_TENSOR_EIGENVALUES,
)
"""Every filter, in the order the widget, ``--filter`` and ``FILTERS`` list them."""

FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in DESCRIPTIONS)


def filter_named(name: str) -> Filter:
    """The description of the filter called ``name``.

    Raises
    ------
    ValueError
        No filter has that name (the message lists the names there are).
    """
    for description in DESCRIPTIONS:
        if description.name == name:
            return description
    raise ValueError(f"unknown filter {name!r}; expected one of {FILTER_NAMES}")
