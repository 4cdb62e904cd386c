"""One-sided slopes along a direction, for costs with switch points (ReLU, max).

At a kink a central difference averages two different slopes and any tolerance gives a false verdict.
:func:`kink_check` measures the left and right slopes separately, reports a kink when they differ by more
than a smooth cost allows, and accepts an analytic directional derivative that lies between them (the
convention of scikit-learn, PyTorch and JAX: any element of the subdifferential). This is the oracle
for a black-box :class:`gradtrio.oracles.Function` flagged ``kinked``, along one direction; for
gradtrio's own networks (relu, leaky_relu units), :mod:`gradtrio.oracles.branches` finds the entries
whose stencils cross a kink from the pre-activations themselves and gives their one-sided derivatives
exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._compat import legacy
from .function import Function, as_function, flat_vector, gradient_of, rng_of
from .noise import estimate_noise, noise_level

__all__ = ["KinkResult", "kink_check"]


@dataclass
class KinkResult:
    """Outcome of :func:`kink_check`.

    Attributes
    ----------
    left, right : float
        One-sided slopes ``(J(θ) − J(θ − h d))/h`` and ``(J(θ + h d) − J(θ))/h``.
    analytic : float
        ``⟨g, d⟩``.
    kink : bool
        The one-sided slopes differ by more than a smooth function allows (``h·|J''|`` estimated from
        the step 2h, plus rounding): a switch point lies within h of θ along d.
    accepted : bool
        The analytic value lies between the one-sided slopes (widened by their error bound).
    bound : float
    """

    left: float
    right: float
    analytic: float
    kink: bool
    accepted: bool
    bound: float


@legacy(("f", "grad", "theta", "direction"), lambda args, kwargs: False, "", {"cost_fn": "f"})
def kink_check(
    f: Callable[[np.ndarray], float] | Function,
    grad: ArrayLike | Sequence[ArrayLike] | Callable[[np.ndarray], ArrayLike] | None,
    theta: ArrayLike,
    direction: ArrayLike | None = None,
    *,
    h: float | None = None,
    seed: int | np.random.Generator | None = 0,
    noise: float | None = None,
) -> KinkResult:
    """One-sided slopes along ``direction``: detect a switch point and accept a bracketed gradient.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` on a flat vector of shape ``(n,)``.
    grad : array_like of shape (n,), list of matrices, callable, or None
        The analytic gradient (at a kink: any element of the subdifferential); ``f.grad`` for None.
    theta : array_like of shape (n,)
    direction : array_like of shape (n,), optional
        Normalized to unit length; by default a Gaussian direction drawn from ``seed``.
    h : float, optional
        Step; default ``sqrt(ε)``, the optimum of a one-sided difference.
    seed : int or numpy.random.Generator, default 0
        The default direction and the noise measurement's line.
    noise : float, optional
        The cost's noise σ; measured by :func:`gradtrio.oracles.estimate_noise` if not given.

    Returns
    -------
    KinkResult
        Costs 5 evaluations (12 more when the noise is measured).
    """
    fn = as_function(f)
    value = fn.value
    theta = np.asarray(theta)
    g = flat_vector(gradient_of(fn, grad, theta), theta.size, "grad").astype(np.float64)
    rng = rng_of(seed)
    d = rng.standard_normal(theta.size) if direction is None else np.asarray(direction, dtype=np.float64).ravel()
    if d.size != theta.size or not np.any(d):
        raise ValueError(f"direction must be a nonzero vector of {theta.size} entries; got shape {d.shape}")
    d = d / np.linalg.norm(d)
    eps = float(np.finfo(theta.dtype).eps)
    h = float(np.sqrt(eps)) if h is None else float(h)
    J0 = float(value(theta))
    sigma = noise_level(estimate_noise(value, theta, seed=rng) if noise is None else float(noise), J0, theta.dtype)

    def J(t: float) -> float:
        return float(value((theta + (t * d).astype(theta.dtype)).astype(theta.dtype)))

    Jp, Jm, Jp2, Jm2 = J(h), J(-h), J(2 * h), J(-2 * h)
    right, left = (Jp - J0) / h, (J0 - Jm) / h
    # On a smooth side, slope(h) − slope(2h) ≈ −J''h/2, so |J''|h ≈ 2|slope(h) − slope(2h)|: how far a
    # smooth cost's one-sided slopes may differ; plus the rounding of the two slopes, 2σ/h each.
    curv = 2 * max(abs(right - (Jp2 - J0) / (2 * h)), abs(left - (J0 - Jm2) / (2 * h)))
    bound = 2 * curv + 8 * sigma / h
    a = float(g @ d)
    lo, hi = min(left, right), max(left, right)
    return KinkResult(left, right, a, kink=bool(hi - lo > bound), accepted=bool(lo - bound <= a <= hi + bound),
                      bound=bound)

