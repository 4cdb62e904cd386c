"""The noise σ of a cost near θ: measured, and floored by what rounding must at least leave.

Every oracle that bounds a finite difference's rounding by ``σ/h`` takes σ from :func:`noise_level`: the
largest of the noise *measured* by :func:`estimate_noise`, a floor the caller knows (gradtrio's own cost:
``ε·S_J`` of :func:`gradtrio.rounding.rounding_scales`, the rounding of the sum of the absolute values of
the cost's terms) and ``ε|J(θ)|``, the rounding of the result itself.
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb

import numpy as np

from .function import rng_of

__all__ = ["NOISE_ORDER", "NOISE_POINTS", "NOISE_SPACING", "NOISE_WIDEN", "NOISE_RETRIES", "estimate_noise",
           "noise_level"]

#: Order of the differences used to measure the cost's noise, how many points along the line, and
#: their spacing as a multiple of ε^(1/ORDER): the smooth part of an ORDER-th difference is
#: s^ORDER·J^(ORDER), which at s = 1e-3·ε^(1/ORDER) is ~1e-12·ε·J^(ORDER), far below the noise it
#: must reveal. 12 points give 8 differences to average (one alone is a single χ²₁ draw, which
#: underestimates σ by 2× or more one time in two).
NOISE_ORDER = 4
NOISE_POINTS = 12
NOISE_SPACING = 1e-3
#: When at most half of the points give distinct values, the spacing is multiplied by NOISE_WIDEN and
#: the measurement repeated, up to NOISE_RETRIES times (Moré & Wild's ECnoise widens its spacing the
#: same way): at 100 times the spacing the smooth part of a 4th difference is still ~1e-4·ε times the
#: fourth derivative, far below the noise.
NOISE_WIDEN = 100.0
NOISE_RETRIES = 2


def estimate_noise(
    f: Callable[[np.ndarray], float],
    theta: np.ndarray,
    *,
    seed: int | np.random.Generator | None = 0,
) -> float:
    """Measure the noise σ of a cost at θ from high-order differences along a random line.

    A smooth function's ``k``-th differences at a small spacing vanish like ``s^k``; rounding
    noise does not, and for independent noise of standard deviation σ, ``E[(Δ^k J)²] = C(2k, k) σ²``
    (Moré & Wild 2011). We evaluate f at ``θ + j s d`` for ``j = 0..NOISE_POINTS-1`` along a
    Rademacher direction ``d`` (every entry moves, by ``s = NOISE_SPACING · ε^(1/NOISE_ORDER)``,
    thousands of ulps) and return ``sqrt(mean((Δ^k J)²) / C(2k, k))`` for the highest order ``k``.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float`` on a flat vector of ``theta``'s dtype.
    theta : ndarray of shape (n,)
    seed : int or numpy.random.Generator

    Returns
    -------
    float
        σ, an estimate of the standard deviation of the cost's rounding error near θ. It costs
        ``NOISE_POINTS`` evaluations, times up to ``NOISE_RETRIES + 1`` for a quantized cost.
    """
    theta = np.asarray(theta)
    rng = rng_of(seed)
    eps = float(np.finfo(theta.dtype).eps)
    s = NOISE_SPACING * eps ** (1.0 / NOISE_ORDER)
    d = rng.choice(np.array([-1.0, 1.0]), size=theta.size)
    for _ in range(NOISE_RETRIES + 1):
        vals = [float(f((theta + (j * s * d).astype(theta.dtype)).astype(theta.dtype)))
                for j in range(NOISE_POINTS)]
        # Too few distinct values: the cost is quantized at this spacing (a sum that cancels rounds to
        # multiples of eps*sum|terms|, far above eps*|J|) and its differences show nothing. As Moré &
        # Wild's ECnoise does, widen the spacing and measure again.
        if len(set(vals)) > NOISE_POINTS // 2:
            break
        s *= NOISE_WIDEN
    diffs = np.diff(np.asarray(vals), n=NOISE_ORDER)
    return float(np.sqrt(np.mean(diffs**2) / comb(2 * NOISE_ORDER, NOISE_ORDER)))


def noise_level(measured: float, value: float, dtype: np.dtype, floor: float = 0.0) -> float:
    """The σ a rounding bound uses: ``max(measured, floor, ε|value|)``.

    The measurement can come out low (a cost that cancels internally rounds to multiples of a scale far
    above its own noise); ``floor`` is what the caller knows the rounding to be at least, and ``ε|J(θ)|``
    is the rounding of the result itself, which no evaluation escapes.
    """
    return max(float(measured), float(floor), float(np.finfo(dtype).eps) * abs(float(value)))
