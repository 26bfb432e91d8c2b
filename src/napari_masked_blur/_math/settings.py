"""The settings of a masked filter: the one settings type, and its JSON document.

The widget (the output layer's metadata, Save/Load settings), the library and
the ``blur`` command share this one format.  Usage::

    from napari_masked_blur import BlurSettings, load_settings, save_settings

    settings = BlurSettings(sigma=(1.0, 0.5, 0.5), spacing=(2.0, 0.4, 0.4),
                            units="micrometer", per_label=True)
    save_settings(settings, "blur.json")        # atomic write, JSON text
    settings = load_settings("blur.json")       # ValueError names key and value
    out = masked_gaussian(image, mask, **settings.kwargs)
    options = settings.check(image, mask)        # checked against the arrays

    BlurSettings.from_json(text) / settings.to_json()
    BlurSettings.from_dict(doc) / settings.to_dict()
    settings.with_spacing(pixel_sizes)   # physical sigma, spacing from a file

A document::

    {"format": 1, "version": "0.1.0", "sigma": 2.0, "filter": "gaussian",
     "units": null,
     "spacing": null, "axes": null, "outside": "keep", "labels": null,
     "per_label": false, "mode": "missing", "truncate": 4.0,
     "method": "auto", "channel_axis": null, "order": 0,
     "high_sigma": null, "rho": null}

``order``, ``high_sigma`` and ``rho`` are the parameters of the filters that
take them (:mod:`.parameters`): the Gaussian's derivative order, the
difference of Gaussians' high sigma, the structure tensor's averaging
scale; left at their defaults by every other filter.
``filter`` names the filter (:data:`~.filters.FILTER_NAMES`); documents
written before it existed have none and mean the Gaussian. The options are
kept as the user gave them to the filter's function
(:func:`napari_masked_blur.masked_gaussian` for the Gaussian: sigma in
physical units with its ``spacing``, not yet divided), so the document reads
as the call it stands for. ``units`` names the unit of ``sigma`` and
``spacing`` and is never passed on: with no ``spacing`` and a physical unit
(not ``"pixel"``), sigma waits for the pixel size of the data
(:meth:`BlurSettings.with_spacing`). Every key but ``sigma`` may be left out
(its default); ``format`` is the version of this layout (:data:`FORMAT`),
``version`` the package version that wrote it. What needs the image (the
number of axes, a channel axis in range) is checked by
:meth:`BlurSettings.check` when the settings are used, once, where they
enter; everything below takes the checked :class:`~.options.BlurOptions`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from importlib import metadata
from typing import Any

from napari_masked_blur._engines import METHODS
from napari_masked_blur._math.derivatives import MAX_ORDER
from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.options import (
    BlurOptions,
    SigmaLike,
    check_rules,
    sigma_in_pixels,
)
from napari_masked_blur._math.parameters import (
    check_outside,
    check_parameters,
    outside_policies,
    unused_parameters,
)
from napari_masked_blur._math.setting_values import (
    axes_value,
    check_string,
    flag_value,
    integer_value,
    is_int,
    labels_value,
    number_value,
    numbers_value,
    order_value,
    scale_value,
    units_value,
)

FORMAT = 1
"""The version of the document's layout this package writes and reads."""

PIXEL_UNITS = ("pixel", "pixels", "px")
"""Unit names that mean "sigma in pixels" when no spacing is given."""

_HEADER = ("format", "version")


@functools.cache
def package_version() -> str:
    """The installed version of napari-masked-blur ("unknown" when not installed)."""
    try:
        return metadata.version("napari-masked-blur")
    except metadata.PackageNotFoundError:
        return "unknown"


def is_physical(units: str | Sequence[str] | None) -> bool:
    """Whether sigma in ``units`` is in a length unit rather than in pixels."""
    units = (units,) if isinstance(units, str) else units or ()
    return any(u.lower() not in PIXEL_UNITS for u in units)


@dataclass(frozen=True)
class BlurSettings:
    """The options of one masked blur, as given to ``masked_gaussian``.

    Values are checked on construction (``ValueError`` naming the key and
    the value); numbers become floats, sequences tuples.

    Attributes
    ----------
    sigma : float or tuple of float
        Gaussian standard deviation, one value or one per smoothed axis; in
        pixels, or in ``units`` when ``spacing`` is given.
    filter : str
        Which filter: a name of :data:`~.filters.FILTER_NAMES` (the key of
        :data:`napari_masked_blur.FILTERS`), ``"gaussian"`` by default, so
        documents written before the key existed read as they did.
    units : str or tuple of str, optional
        The unit of ``sigma`` and ``spacing`` (e.g. ``"micrometer"``), one
        for all axes or one per axis.  Informative only: never passed on.
    spacing : float or tuple of float, optional
        Pixel size per axis, in ``units``: ``sigma_pixels = sigma / spacing``.
    axes : tuple of int, optional
        The axes to smooth (None: every axis but the channel axis).
    outside : str, optional
        As in :func:`napari_masked_blur.masked_gaussian`; None (the default)
        takes the filter's own default (``"keep"`` for the Gaussian, see
        :attr:`~.filter.Filter.default_outside`).
    mode, method : str
        As in :func:`napari_masked_blur.masked_gaussian`.
    labels : tuple of int, optional
        As in ``masked_gaussian`` (one id becomes a tuple of one).
    per_label : bool
        As in ``masked_gaussian``.
    truncate : float
        As in ``masked_gaussian``.
    channel_axis : int, optional
        As in ``masked_gaussian``.
    order : int or tuple of int
        The derivative order of ``masked_gaussian``: one for every smoothed
        axis, or one per smoothed axis, 0 to 2 (0: the blur itself).
    high_sigma : float or tuple of float, optional
        The wider sigma of ``difference_of_gaussians``, given like sigma;
        None: 1.6 times sigma.
    rho : float or tuple of float, optional
        The averaging scale of ``structure_tensor_eigenvalues``, given like
        sigma; None: 2 times sigma.  ``order``, ``high_sigma`` and ``rho``
        stay at their defaults for a filter that does not take them (see
        :attr:`~.filter.Filter.parameters`).

    Examples
    --------
    >>> doc = '{"format": 1, "sigma": [1, 2], "mode": "reflect"}'
    >>> settings = BlurSettings.from_json(doc)
    >>> settings.changed()  # what a call to masked_gaussian needs to say
    {'sigma': (1.0, 2.0), 'mode': 'reflect'}
    >>> BlurSettings.from_json('{"format": 1, "sigma": 1, "mood": "edge"}')
    Traceback (most recent call last):
    ...
    ValueError: unknown key 'mood' (value 'edge') in settings; expected axes, ...
    """

    sigma: float | tuple[float, ...]
    filter: str = "gaussian"
    units: str | tuple[str, ...] | None = None
    spacing: float | tuple[float, ...] | None = None
    axes: tuple[int, ...] | None = None
    outside: str | None = None
    labels: tuple[int, ...] | None = None
    per_label: bool = False
    mode: str = "missing"
    truncate: float = 4.0
    method: str = "auto"
    channel_axis: int | None = None
    order: int | tuple[int, ...] = 0
    high_sigma: float | tuple[float, ...] | None = None
    rho: float | tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "sigma", numbers_value("sigma", self.sigma))
        set_(self, "spacing", numbers_value("spacing", self.spacing, optional=True))
        set_(self, "units", units_value(self.units))
        set_(self, "axes", axes_value(self.axes))
        set_(self, "labels", labels_value(self.labels))
        set_(self, "per_label", flag_value("per_label", self.per_label))
        set_(self, "truncate", number_value("truncate", self.truncate))
        set_(self, "channel_axis", integer_value("channel_axis", self.channel_axis))
        set_(self, "order", order_value(self.order, MAX_ORDER))
        set_(self, "high_sigma", scale_value("high_sigma", self.high_sigma))
        set_(self, "rho", scale_value("rho", self.rho))
        _check_sigma(self.sigma, self.spacing)
        check_string("filter", self.filter)
        description = filter_named(self.filter)
        check_parameters(description, self.__dict__)
        if self.outside is None:
            set_(self, "outside", outside_policies(description, self.order)[1])
        for key in ("mode", "outside", "method"):
            check_string(key, getattr(self, key))
        check_rules(self.mode, self.truncate, self.outside)
        check_outside(description, self.outside, self.order)
        if self.method not in METHODS:
            raise ValueError(
                f"unknown method {self.method!r}; expected one of {METHODS}"
            )

    # -- against the arrays ----------------------------------------------------
    def check(self, image: Any, mask: Any) -> BlurOptions:
        """The settings checked against ``image`` and ``mask``: the one check.

        Only ``shape`` and ``dtype`` are read.  See
        :meth:`~.options.BlurOptions.from_settings`.
        """
        return BlurOptions.from_settings(self, image, mask)

    # -- to the filter's public function -----------------------------------------
    @property
    def function_name(self) -> str:
        """The name of the public function of the filter: ``masked_<filter>``."""
        return f"masked_{self.filter}"

    @property
    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the filter's function, ``masked_gaussian(image,
        mask, **kwargs)`` for the Gaussian.

        ``filter`` is not among them (it chooses the function); ``axes`` is
        left out while it is None (its default), so the arguments also suit
        a ``masked_gaussian`` without it.

        Raises
        ------
        ValueError
            Sigma is in a physical unit but no ``spacing`` says how big a
            pixel is (see :meth:`with_spacing`).
        """
        if self.needs_spacing:
            raise ValueError(
                f"sigma {self.sigma!r} is in {self.units!r} but the settings "
                "have no spacing: give the pixel size (with_spacing)"
            )
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        del kwargs["units"], kwargs["filter"]
        for key in unused_parameters(filter_named(self.filter)):
            del kwargs[key]
        if kwargs["axes"] is None:
            del kwargs["axes"]
        return kwargs

    @property
    def needs_spacing(self) -> bool:
        """Sigma is in a physical unit and the pixel size is not known yet."""
        return self.spacing is None and is_physical(self.units)

    def with_spacing(self, spacing: SigmaLike | None) -> BlurSettings:
        """The same settings with the pixel size ``spacing`` (in ``units``)."""
        return replace(self, spacing=spacing)

    def changed(self) -> dict[str, Any]:
        """The keyword arguments that differ from ``masked_gaussian``'s defaults.

        ``sigma`` is always among them; ``outside`` when it is not the
        filter's default at this ``order``.
        """
        default = BlurSettings(sigma=self.sigma, filter=self.filter)
        _, outside = outside_policies(filter_named(self.filter), self.order)
        default = replace(default, outside=outside)
        return {
            key: value
            for key, value in self.kwargs.items()
            if key == "sigma" or value != getattr(default, key)
        }

    # -- to and from JSON ---------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict: ``format``, ``version``, then each option."""
        doc: dict[str, Any] = {"format": FORMAT, "version": package_version()}
        for key, value in asdict(self).items():
            doc[key] = list(value) if isinstance(value, tuple) else value
        return doc

    def to_json(self, one_line: bool = False) -> str:
        """The JSON document as text: a key a line (lists kept on it), or one line."""
        items = [
            f"{json.dumps(key)}: {json.dumps(value, allow_nan=False)}"
            for key, value in self.to_dict().items()
        ]
        if one_line:
            return "{" + ", ".join(items) + "}"
        return "{\n" + ",\n".join(f"  {item}" for item in items) + "\n}"

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> BlurSettings:
        """Settings from a parsed document (see the module's docstring).

        Raises
        ------
        ValueError
            Not a mapping, an unknown key, no or a newer ``format``, a
            missing ``sigma``, or a bad value; the message names the key
            and the value.
        """
        if not isinstance(doc, Mapping):
            raise ValueError(
                f"settings must be a JSON object, got {type(doc).__name__} {doc!r}"
            )
        _check_format(doc)
        options = {f.name for f in fields(cls)}
        for key, value in doc.items():
            if key not in options and key not in _HEADER:
                raise ValueError(
                    f"unknown key {key!r} (value {value!r}) in settings; "
                    f"expected {', '.join(sorted(options | set(_HEADER)))}"
                )
        if "sigma" not in doc:
            raise ValueError("settings have no 'sigma'")
        return cls(**{key: doc[key] for key in options if key in doc})

    @classmethod
    def from_json(cls, text: str | bytes) -> BlurSettings:
        """Settings from JSON text; ``ValueError`` as :meth:`from_dict`."""
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"settings are not JSON: {exc}") from None
        return cls.from_dict(doc)


# -- checks of one value (the message names the key and the value) -----------
def _check_format(doc: Mapping[str, Any]) -> None:
    if "format" not in doc:
        raise ValueError(f"settings have no 'format' (expected {FORMAT})")
    version = doc["format"]
    if not is_int(version) or version < 1:
        raise ValueError(f"format must be a whole number >= 1, got {version!r}")
    if version > FORMAT:
        raise ValueError(
            f"format {version} is newer than this napari-masked-blur "
            f"{package_version()} reads ({FORMAT}): update the package"
        )
    if not isinstance(doc.get("version", ""), str):
        raise ValueError(f"version must be a string, got {doc['version']!r}")


def _check_sigma(sigma: SigmaLike, spacing: SigmaLike | None) -> None:
    """Sigma >= 0 and spacing > 0, finite, with as many values as each other."""
    lengths = {len(v) for v in (sigma, spacing) if isinstance(v, tuple)}
    if len(lengths) > 1:
        raise ValueError(
            f"sigma {sigma!r} and spacing {spacing!r} have different numbers of values"
        )
    sigma_in_pixels(sigma, lengths.pop() if lengths else 1, spacing)


def check_options(
    image: Any, mask: Any, sigma: SigmaLike, **options: Any
) -> BlurOptions:
    """``BlurSettings(sigma=sigma, **options).check(image, mask)``.

    The keyword arguments are those of :class:`BlurSettings` (``filter``,
    ``outside``, ``labels``, ``per_label``, ``mode``, ``truncate``,
    ``spacing``, ``channel_axis``, ``method``, ``axes``).
    """
    return BlurSettings(sigma=sigma, **options).check(image, mask)
