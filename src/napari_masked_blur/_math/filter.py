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

import numpy as np

from napari_masked_blur._engines import kernel_radius


@dataclass(frozen=True)
class Term:
    """One smoothed array: ``G_order * ((x - c)**power (y - d)**other · w)``.

    Attributes
    ----------
    power : int
        The power of the shifted image; 0 (with ``other`` 0) smooths the
        weights themselves.
    order : int
        The derivative order along every smoothed axis (0: plain smoothing).
    other : int
        The power of the second image ``y`` shifted by its own ``d`` (a
        filter whose parameters hold ``"other"``); 0 for filters of one image.
    pixel : bool
        The term is the pixel itself, ``(x - c)**power``: neither weighted
        nor smoothed, NaN where the image is missing.
    """

    power: int
    order: int = 0
    other: int = 0
    pixel: bool = False


Finish = Callable[[Sequence[np.ndarray], float], np.ndarray]
"""``finish(smoothed, shift)``: the result from the smoothed terms.

``smoothed`` holds one array per term, in the order of :attr:`Filter.terms`;
all but the last are scratch (the finish may write into them and return
one), the last is the certainty ``G*w``, returned beside the result and
only read; ``shift`` is ``c``.  Where no weight is in reach every term
is an exact 0, and the finish must give NaN there.
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

    def __post_init__(self) -> None:
        if self.default_outside not in self.outside:
            raise ValueError(
                f"default_outside {self.default_outside!r} of the {self.name} "
                f"filter is not among its policies {self.outside}"
            )

    def reach(self, sigma: Sequence[float], truncate: float) -> tuple[int, ...]:
        """How far, in pixels per axis, the result at a pixel reads the input.

        The margin of a dask chunk, of a live patch and of a region's
        window: the kernel radius ``int(truncate * sigma + 0.5)``.
        """
        return kernel_radius(sigma, truncate)

    @property
    def is_quotient(self) -> bool:
        """Whether the result is ``S_(1,0) / S_(0,0) + c``, the masked Gaussian.

        The fused pass and the kernel taps of thin regions compute exactly
        this quotient; other filters take the terms' general route.
        """
        return self.terms == (Term(1), Term(0))
