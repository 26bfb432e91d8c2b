"""The settings a filter takes beyond sigma, and the ``outside`` it allows.

``order`` (``masked_gaussian``: the derivative order), ``high_sigma``
(``difference_of_gaussians``) and ``rho`` (``structure_tensor_eigenvalues``)
are settings fields; a filter names those it takes in
:attr:`Filter.parameters <.filter.Filter.parameters>`, and every other
must stay at its default.  A derivative (an order > 0) allows only the
derivatives' ``outside`` policies, 0 by default.
"""

from __future__ import annotations

from typing import Any

from napari_masked_blur._math.derivatives import DERIVATIVE_OUTSIDE, DERIVATIVE_REFUSAL
from napari_masked_blur._math.filter import Filter

PARAMETER_DEFAULTS: dict[str, Any] = {"order": 0, "high_sigma": None, "rho": None}
"""Each filter parameter that is a settings field, and its default."""


def is_derivative(order: int | tuple[int, ...]) -> bool:
    """Whether ``order`` differentiates along some axis."""
    return any(order) if isinstance(order, tuple) else order != 0


def outside_policies(description: Filter, order: Any) -> tuple[tuple[str, ...], str]:
    """The ``outside`` policies of the filter at this order, and its default."""
    if is_derivative(order):
        return DERIVATIVE_OUTSIDE, "zero"
    return description.outside, description.default_outside


def check_outside(description: Filter, outside: str, order: Any) -> None:
    """Refuse a policy the filter does not allow, saying why."""
    allowed, _ = outside_policies(description, order)
    if outside in allowed:
        return
    derivative = is_derivative(order) and description.name == "gaussian"
    what = f"{description.name} filter" + (f" at order {order!r}" if derivative else "")
    why = DERIVATIVE_REFUSAL if derivative else description.outside_refusal
    raise ValueError(
        f"outside {outside!r} does not apply to the {what}; expected one of "
        f"{allowed}" + (f" ({why})" if why else "")
    )


def check_parameters(description: Filter, values: dict[str, Any]) -> None:
    """Refuse a parameter the filter does not take unless at its default."""
    for key, default in PARAMETER_DEFAULTS.items():
        if key not in description.parameters and values[key] != default:
            takes = ", ".join(description.parameters) or "none"
            raise ValueError(
                f"{key} {values[key]!r} does not apply to the {description.name} "
                f"filter (its parameters: {takes}); leave it at {default!r}"
            )


def unused_parameters(description: Filter) -> tuple[str, ...]:
    """The parameter fields the filter's function does not take."""
    return tuple(k for k in PARAMETER_DEFAULTS if k not in description.parameters)
