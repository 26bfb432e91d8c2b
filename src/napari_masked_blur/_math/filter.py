"""What a masked filter is, described once: the type every entrance reads.

Every filter of this package is a normalized convolution of a few *terms*
followed by a pointwise *finish*.  With ``w`` the weights (the mask as 0/1,
or a certainty map), ``x`` the image and ``c`` a shift (the value of one
weighted pixel in float32, 0 in float64, see :mod:`.dense`), a term of
power ``p`` and derivative order ``o`` is smoothed as::

    S_(p, o) = G_o * ((x - c)**p · w)

where ``G_o`` is the Gaussian differentiated ``o[i]`` times along axis
``i`` (the engines take the order as ``scipy.ndimage.gaussian_filter``
does).  The masked Gaussian is ``S_(1,0) / S_(0,0) + c``; a local variance
adds ``S_(2,0)``; derivatives add terms of order 1 and 2.  A filter of two
images (a local correlation) also smooths powers ``q`` of the second image
``y`` about its own shift ``d``: ``G * ((x - c)**p (y - d)**q · w)``; and a
filter that compares each pixel with its neighbourhood (a z-score) asks for
the pixel itself, ``(x - c)**p``, not weighted nor smoothed.

A :class:`Filter` says which terms are smoothed, how the result is finished
from them, how far the result at a pixel reaches into the input (the margin
of a dask chunk, of a live patch, of a region's window), and which
``outside`` policies make sense for it.  The public functions, the dask and
live paths, the command line, the settings file, "Copy as Python" and the
widget all read these descriptions through :mod:`.filters`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import kernel_radius

if TYPE_CHECKING:
    from napari_masked_blur._math.options import BlurOptions


@dataclass(frozen=True)
class Term:
    """One smoothed array: ``G_order * ((x - c)**power (y - d)**other · w)``.

    Attributes
    ----------
    power : int
        The power of the shifted image; 0 (with ``other`` 0) smooths the
        weights themselves.
    order : int or tuple of int
        The derivative order: one int for every smoothed axis (0: plain
        smoothing), or one per smoothed axis (the Hessian's cross term of
        a volume is ``(1, 1, 0)``).  Axes not smoothed (frames) are never
        differentiated.
    other : int
        The power of the second image ``y`` shifted by its own ``d`` (a
        filter whose parameters hold ``"other"``); 0 for filters of one image.
    pixel : bool
        The term is the pixel itself, ``(x - c)**power``: neither weighted
        nor smoothed, NaN where the image is missing.
    scale : int
        Which sigma smooths it: 0 the filter's sigma, ``k > 0`` the k-th of
        the description's :attr:`Filter.scales` (a second scale: the
        difference of Gaussians' high sigma).
    """

    power: int
    order: int | tuple[int, ...] = 0
    other: int = 0
    pixel: bool = False
    scale: int = 0


Finish = Callable[[Sequence[np.ndarray], float], np.ndarray]
"""``finish(smoothed, shift)``: the result from the smoothed terms.

``smoothed`` holds one array per term, in the order of :attr:`Filter.terms`;
all but the last are scratch (the finish may write into them and return
one), the last is the certainty ``G*w``, returned beside the result and
only read; ``shift`` is ``c``.  Where no weight is in reach every term
is an exact 0, and the finish must give NaN there.  A filter with
``outputs`` returns them stacked on a new leading axis.
"""

Compute = Callable[
    [np.ndarray, np.ndarray, "BlurOptions"], tuple[np.ndarray, np.ndarray]
]
"""``compute(image, weights, options)``: ``(result, G*w)`` of one channel.

For a filter that is more than one normalized convolution finished pointwise
(two scales, a tensor averaged again): it computes its result from
:func:`~.dense.smooth_terms`.  ``weights`` are read, never written.
"""


@dataclass(frozen=True)
class Filter:
    """One masked filter, described once.

    Attributes
    ----------
    name : str
        The filter's name: its public function is ``masked_<name>``, the key
        of :data:`napari_masked_blur.FILTERS`, the command line's
        ``--filter`` and the settings file's ``filter``.
    title : str
        What the widget and the output layer call it ("Gaussian blur").
    terms : tuple of Term
        What is smoothed, in the order ``finish`` receives it.  The last
        term is always the weights (power 0, order 0): its smoothed array
        is the *certainty* of each output pixel.
    finish : Finish
        The result from the smoothed terms.
    outside : tuple of str
        The ``outside`` policies that make sense for this filter.
    default_outside : str
        The policy used when none is given: ``"keep"`` for filters whose
        result is an intensity like the input's, a policy of ``outside``
        otherwise (a derivative's is 0).
    parameters : tuple of str
        The inputs the filter takes besides the image, the mask and sigma,
        by their keyword names, in the order the entrances show them:
        ``"other"`` (a second image), or further settings such as
        ``"high_sigma"``, ``"rho"`` or ``"order"``.  Empty for the Gaussian.
    outputs : tuple of str
        Names of the results stacked on a new leading axis (the eigenvalues,
        largest first); empty when the result is one array shaped like the
        image.  The widget shows one layer for each.
    signed : bool
        Whether the result is centred on 0 (a derivative, a z-score): shown
        with a diverging colormap whose middle is 0.
    outside_refusal : str
        Why the policies not in ``outside`` are refused, said in the error
        that refuses them ("" when every policy applies).
    specialize : callable, optional
        ``specialize(options) -> Filter``: the description for checked
        options, for a filter whose terms, finish or reach depend on them
        (the number of smoothed axes, ``spacing``, ``order``, ``high_sigma``,
        ``rho``).  It raises ``ValueError`` for settings it cannot take;
        :meth:`for_options` calls it, and every path reads the filter
        through :attr:`BlurOptions.filter <.options.BlurOptions.filter>`,
        which does.
    compute : Compute, optional
        How the result is computed when it is not the terms finished
        pointwise (see :data:`Compute`); None: the terms and ``finish``.
    margin : tuple of int, optional
        The reach per spatial axis when it exceeds the kernel radius (a
        second scale: difference of Gaussians, structure tensor); set by
        ``specialize``, which sees the settings it needs.
    name_outputs : callable, optional
        ``name_outputs(ndim_smoothed)``: the names of the outputs when
        their number follows the number of smoothed axes (eigenvalues);
        None: ``outputs`` whatever the axes.
    scales : tuple of tuple of float
        Further sigmas, in pixels per spatial axis, for the terms whose
        ``scale`` is ``k > 0`` (``scales[k - 1]``); set by ``specialize``.
    """

    name: str
    title: str
    terms: tuple[Term, ...]
    finish: Finish
    outside: tuple[str, ...]
    default_outside: str = "keep"
    parameters: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    signed: bool = False
    outside_refusal: str = ""
    specialize: Callable[[BlurOptions], Filter] | None = None
    compute: Compute | None = None
    margin: tuple[int, ...] | None = None
    name_outputs: Callable[[int], tuple[str, ...]] | None = None
    scales: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self) -> None:
        if self.default_outside not in self.outside:
            raise ValueError(
                f"default_outside {self.default_outside!r} of the {self.name} "
                f"filter is not among its policies {self.outside}"
            )

    def reach(self, sigma: Sequence[float], truncate: float) -> tuple[int, ...]:
        """How far, in pixels per axis, the result at a pixel reads the input.

        The margin of a dask chunk, of a live patch and of a region's
        window: the kernel radius ``int(truncate * sigma + 0.5)``, or the
        description's ``margin`` where it reaches further (a filter whose
        reach depends on other settings gets its margin from
        ``specialize``: read it through ``BlurOptions.reach``).
        """
        radius = kernel_radius(sigma, truncate)
        if self.margin is None:
            return radius
        return tuple(max(r, m) for r, m in zip(radius, self.margin, strict=True))

    def for_options(self, options: BlurOptions) -> Filter:
        """The description for these checked options (see ``specialize``)."""
        return self if self.specialize is None else self.specialize(options)

    def output_names(self, ndim_smoothed: int) -> tuple[str, ...]:
        """The names of the outputs for ``ndim_smoothed`` smoothed axes.

        Empty for a filter whose result is one array shaped like the image;
        otherwise one name per entry of the result's new leading axis
        (eigenvalues: one per smoothed axis, largest first).
        """
        if self.name_outputs is None:
            return self.outputs
        return self.name_outputs(ndim_smoothed)

    @property
    def is_quotient(self) -> bool:
        """Whether the result is ``S_(1,0) / S_(0,0) + c``, the masked Gaussian.

        The fused pass and the kernel taps of thin regions compute exactly
        this quotient; other filters take the terms' general route.
        """
        return self.terms == (Term(1), Term(0)) and self.compute is None
