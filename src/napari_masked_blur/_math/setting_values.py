"""The values of a settings document, each checked alone: the message names
the key and the value."""

from __future__ import annotations

import math
import numbers
from typing import Any

from napari_masked_blur._math.options import is_real, label_ids


def is_int(value: Any) -> bool:
    # numbers.Integral: numpy's integers too; True and False are not numbers here.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def plain(value: Any) -> Any:
    """A numpy array (or scalar) as Python lists and numbers; anything else as is."""
    return value.tolist() if hasattr(value, "tolist") else value


def number_value(key: str, value: Any) -> float:
    # is_real: numpy's 0-d arrays too, as the public functions take them.
    if not is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    return float(value)


def numbers_value(key: str, value: Any, optional: bool = False):
    """A number, or a non-empty list of numbers as a tuple (None if optional)."""
    value = plain(value)
    if value is None and optional:
        return None
    if is_number(value):
        return float(value)
    if isinstance(value, list | tuple) and value and all(is_number(v) for v in value):
        return tuple(float(v) for v in value)
    raise ValueError(f"{key} must be a number or a list of numbers, got {value!r}")


def integer_value(key: str, value: Any) -> int | None:
    if value is None:
        return None
    if not is_int(value):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    return int(value)


def flag_value(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return value


def check_string(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")


def units_value(value: Any) -> str | tuple[str, ...] | None:
    if value is None or (isinstance(value, str) and value):
        return value
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, str) and v for v in value)
    ):
        return tuple(value)
    raise ValueError(f"units must be a unit name or a list of them, got {value!r}")


def axes_value(value: Any) -> tuple[int, ...] | None:
    value = plain(value)
    if value is None:
        return None
    if is_int(value):
        value = [value]
    # An empty list is left to BlurSettings.check, which says no axis is left.
    if not (isinstance(value, list | tuple) and all(map(is_int, value))):
        raise ValueError(
            f"axes must be an integer or a list of integers, got {value!r}"
        )
    if len(set(value)) != len(value):
        raise ValueError(f"axes must not repeat an axis, got {value!r}")
    return tuple(int(v) for v in value)


def labels_value(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, bool) or (
        isinstance(value, list | tuple) and any(isinstance(v, bool) for v in value)
    ):
        raise ValueError(
            f"labels must be an integer or a list of integers, got {value!r}"
        )
    return label_ids(value)


def order_value(value: Any, highest: int) -> int | tuple[int, ...]:
    """A derivative order: an integer 0..highest, or a non-empty list of them."""
    value = plain(value)
    orders = value if isinstance(value, list | tuple) else [value]
    if not orders or not all(is_int(o) and 0 <= o <= highest for o in orders):
        raise ValueError(
            f"order must be an integer from 0 to {highest}, or a list of them "
            f"(one per smoothed axis), got {value!r}"
        )
    if isinstance(value, list | tuple):
        return tuple(int(o) for o in value)
    return int(value)


def scale_value(key: str, value: Any) -> float | tuple[float, ...] | None:
    """A second scale (``high_sigma``, ``rho``): None, or numbers > 0 like sigma."""
    value = numbers_value(key, value, optional=True)
    if value is None:
        return None
    values = value if isinstance(value, tuple) else (value,)
    if not all(math.isfinite(v) and v >= 0 for v in values) or not any(values):
        raise ValueError(f"{key} must be finite, >= 0 and > 0 somewhere, got {value!r}")
    return value
