"""The Taylor-remainder test: a verdict on a gradient that needs no tolerance on a gradient difference.

For a direction ``d``, ``r(h) = |f(θ + h d) − f(θ) − h ⟨g, d⟩|`` is ``O(h²)`` when ``g`` is the gradient
and ``≈ h |⟨g − ∇f, d⟩|`` when it is not: on a log-log plot its slope is 2 or 1. The verdict is the slope
itself (> 1.5, the midpoint between the two hypotheses), read off the smallest steps whose remainder stands
clear of the cost's measured noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..tolerances import ANALYTIC_SAFETY, BUG_SIZE, judged
from ._compat import legacy
from .function import Function, as_function, flat_vector, gradient_of, rng_of
from .noise import NOISE_POINTS, estimate_noise, noise_level

__all__ = ["TaylorResult", "taylor_test", "SLOPE_THRESHOLD", "TAYLOR_H_MAX"]

#: A correct gradient gives slope 2, a wrong one slope 1: the verdict is which one is nearer.
SLOPE_THRESHOLD = 1.5
#: Remainders below this multiple of the cost's noise σ are dropped: at 100σ, the noise moves
#: log10 r by less than 0.005, so a slope fitted on a factor-8 range of h moves by < 0.01.
NOISE_FLOOR = 100.0
#: The slope is fitted on this many of the smallest steps above the floor (consecutive halvings,
#: a factor 8 in h): far enough apart to measure a slope, close enough to see the small-h regime.
FIT_POINTS = 4
#: A remainder must also stand this many times above h·U, where U = Σ|e_i d_i| bounds what the
#: gradient's own rounding e adds to the linear term: a float32 gradient is itself rounded, and its
#: rounding, not a bug, gives slope 1 at the smallest steps (seen on raw pixel data). At 10× the slope
#: fitted on the remaining points moves by < 0.05.
LINEAR_FLOOR = 10.0
#: Between consecutive fitted steps (a factor 2), the remainder must grow by at least 2^MIN_LOCAL_SLOPE:
#: a correct gradient gives 2² and a wrong one 2¹ in the range of the Taylor expansion; growth below
#: 2^0.7 means the steps are beyond it (seen on float32 trained nets with data of scale 100, where the
#: noise floor pushed the fit to h ~ 0.1 and the remainders fell: slopes 0.90 and −0.17).
MIN_LOCAL_SLOPE = 0.7
#: ... and by at most 2^MAX_LOCAL_SLOPE: a correct gradient whose curvature term cancels along the
#: direction gives slope 3 (the cubic term); a jump of 2^6 between two steps (the same study) is the
#: cost leaving the range of its expansion.
MAX_LOCAL_SLOPE = 3.5
#: Largest step, for a direction with O(1) entries (every weight moves by about h): the quadratic
#: model of J must hold; the sigmoid network's curvature varies on the scale of its weights
#: (O(0.1..1)), so 0.1 keeps the cubic term small.
TAYLOR_H_MAX = 0.1


@dataclass
class TaylorResult:
    """Outcome of :func:`taylor_test`.

    Attributes
    ----------
    slope : float
        Least-squares slope of log r against log h over the fitted points (nan if inconclusive).
    passed : bool
        The verdict is "pass": conclusive, slope above ``SLOPE_THRESHOLD``, and fine enough
        resolution.
    conclusive : bool
        At least two remainders stood above ``NOISE_FLOOR`` × noise and ``LINEAR_FLOOR`` × the
        gradient's own rounding, growing by at least ``2^MIN_LOCAL_SLOPE`` from each step to the next.
    steps, remainders : ndarray of shape (n_steps,)
    fitted : ndarray of bool, shape (n_steps,)
        Which points the slope was fitted on.
    noise : float
    evaluations : int
    """

    slope: float
    passed: bool
    conclusive: bool
    steps: np.ndarray
    remainders: np.ndarray
    fitted: np.ndarray
    noise: float
    evaluations: int
    resolution: float = 0.0
    bug_size: float = BUG_SIZE

    @property
    def verdict(self) -> str:
        """"fail" (conclusive slope below the threshold), "inconclusive" (too few remainders above the
        noise, or a resolution coarser than ``bug_size``) or "pass"."""
        if not self.conclusive:
            return "inconclusive"
        return judged(not self.slope > SLOPE_THRESHOLD, self.resolution, self.bug_size)

    def __str__(self) -> str:
        note = {"inconclusive": (" (inconclusive: too few remainders above the noise and the gradient's own "
                                 "rounding, growing as a power of h; float64 or another h_max would resolve it)"
                                 if not self.conclusive else
                                 f" (inconclusive: it resolves errors of {self.resolution:.3g} x the largest "
                                 f"entry, coarser than {self.bug_size:g})")}.get(self.verdict, "")
        return (f"Taylor test: {self.verdict.upper()}, slope {self.slope:.3f} (2 = correct gradient, 1 = wrong)"
                f"{note}; {self.evaluations} cost evaluations")


def _direction(theta: np.ndarray, direction: ArrayLike | None, step_scale: ArrayLike | None,
               rng: np.random.Generator) -> np.ndarray:
    if direction is None:
        d = rng.standard_normal(theta.size)
    else:
        d = np.asarray(direction, dtype=np.float64).ravel()
        if d.size != theta.size or not np.all(np.isfinite(d)) or not np.any(d):
            raise ValueError(f"direction must be a finite, nonzero vector of {theta.size} entries")
    if step_scale is not None:
        d = d / flat_vector(np.asarray(step_scale, dtype=np.float64), theta.size, "step_scale")
    return d


def _remainders(value: Callable, g: np.ndarray, theta: np.ndarray, d: np.ndarray, J0: float,
                steps: np.ndarray) -> np.ndarray:
    """``|f(θ + h d) − f(θ) − ⟨g, realized step⟩|`` at each step h."""
    rem = np.empty(steps.size)
    for k, h in enumerate(steps):
        moved = (theta + (h * d).astype(theta.dtype)).astype(theta.dtype)
        realized = moved.astype(np.float64) - theta.astype(np.float64)  # the step actually taken
        rem[k] = abs(float(value(moved)) - J0 - float(g @ realized))
    if not np.all(np.isfinite(rem)):
        k = int(np.flatnonzero(~np.isfinite(rem))[0])
        raise FloatingPointError(
            f"the cost is not finite at theta + h·d for h = {steps[k]:.3g}: no Taylor test is possible "
            "(pass a smaller h)")
    return rem


def _fitted(above: np.ndarray) -> np.ndarray:
    """The smallest steps above the floor, consecutive from the last one that stands clear of it."""
    fitted = np.zeros(above.size, dtype=bool)
    idx = np.flatnonzero(above)
    if idx.size:
        last = idx[-1]
        run = [last]
        while run[-1] - 1 >= 0 and above[run[-1] - 1] and len(run) < FIT_POINTS:
            run.append(run[-1] - 1)
        fitted[run] = True
    return fitted


def _grows_as_a_power(fitted: np.ndarray, rem: np.ndarray, noise: float) -> bool:
    """Whether the fitted remainders grow between consecutive steps as one power law of h can.

    Both hypotheses are power laws (slope 2 or 1) in the range of the Taylor expansion. Remainders
    that fall, or barely grow, from one step to the next twice as large come from steps beyond it
    (a saturating cost at large h), and so does a jump onto the fitted steps from the next smaller
    step that stood above the noise (excluded only for the gradient's rounding): no slope read
    there is evidence either way.
    """
    points = np.flatnonzero(fitted)
    below = int(points[-1]) + 1
    if below < rem.size and rem[below] > NOISE_FLOOR * noise:
        points = np.append(points, below)
    local = np.diff(np.log2(rem[points][::-1]))  # from the smallest step up
    return bool(np.all((local >= MIN_LOCAL_SLOPE) & (local <= MAX_LOCAL_SLOPE)))


@legacy(("f", "grad", "theta"), lambda args, kwargs: False, "", {"cost_fn": "f", "h_max": "h"})
def taylor_test(
    f: Callable[[np.ndarray], float] | Function,
    grad: ArrayLike | Sequence[ArrayLike] | Callable[[np.ndarray], ArrayLike] | None,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | np.random.Generator | None = 0,
    direction: ArrayLike | None = None,
    n_steps: int | None = None,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> TaylorResult:
    """Taylor-remainder test of a gradient: the slope of ``log r(h)`` against ``log h``.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` on an unrolled vector of shape ``(n,)``.
    grad : array_like of shape (n,), list of matrices, callable, or None
        The gradient under test at ``theta`` (``grad(theta)`` for a callable, ``f.grad`` for None).
    theta : array_like of shape (n,)
        Its dtype (float64 or float32) is the working precision.
    h : float, optional
        The largest step along the direction (the others halve it), default :data:`TAYLOR_H_MAX`.
    seed : int or numpy.random.Generator, default 0
        The default direction and the noise measurement's line.
    direction : array_like of shape (n,), optional
        Used as given. Default: standard normal entries, so that every weight moves by about h
        (a unit vector would move each of 10⁵ weights by only h/300, and the remainder of a
        correct gradient would sink into float32's noise).
    n_steps : int, optional
        Number of halvings of h; default reaches down to ``sqrt(ε)``, where even a correct
        gradient's ``h²`` remainder meets the rounding floor.
    noise_floor : float, default 0
        Least noise σ assumed for the cost (gradtrio's own cost: ``ε·S_J``, :mod:`gradtrio.rounding`).
    grad_error : array_like of shape (n,), optional
        Per-entry bound on the gradient's own rounding (gradtrio's backprop: ``ANALYTIC_SAFETY·ε·G``);
        default ``ANALYTIC_SAFETY·ε·max(|g|, 1)`` (terms of order one at least). Remainders that this
        rounding could explain are not fitted.
    step_scale : array_like of shape (n,), optional
        Values >= 1 that divide the direction's entries (gradtrio's own problems: the sensitivity of the
        logits to each weight, :func:`gradtrio.rounding.checker_options`), so that a step h moves every
        pre-activation by about h whatever the data's scale.
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`
        "inconclusive" when the smallest fitted step cannot show one wrong entry of ``bug_size`` ×
        the largest entry (its linear term would stay below the fitted remainders).

    Notes
    -----
    The error term ``h |⟨e, d⟩|`` shows only at steps where it exceeds the curvature term
    ``h² dᵀ∇²J d / 2`` *and* the remainder stands clear of the noise. In float64 the steps reach
    ~1e-7 and any error above ~1e-9 relative shows. In float32 the noise stops the fit near
    h ≈ 1e-2; a strongly curved cost (large λ/m) then hides gradient errors of ~10%, and the slope
    stays near 2. Use :func:`gradtrio.verdicts.adjoint_test` or :func:`gradtrio.oracles.localize` there.

    Returns
    -------
    TaylorResult
        ``.slope`` ≈ 2 for a correct gradient, ≈ 1 for a wrong one; costs ``n_steps + 13``
        evaluations (f(θ) and 12 for the noise estimate).
    """
    fn = as_function(f)
    theta = np.asarray(theta)
    if theta.ndim != 1 or theta.dtype.kind != "f":
        raise ValueError(f"theta must be a flat real floating vector; got shape {theta.shape}, dtype {theta.dtype}")
    g = flat_vector(gradient_of(fn, grad, theta), theta.size, "grad").astype(np.float64)
    rng = rng_of(seed)
    eps = float(np.finfo(theta.dtype).eps)
    d = _direction(theta, direction, step_scale, rng)
    h_max = TAYLOR_H_MAX if h is None else float(h)
    if n_steps is None:
        n_steps = int(np.ceil(np.log2(h_max / np.sqrt(eps))))
    if n_steps < FIT_POINTS:
        raise ValueError(f"n_steps must be at least {FIT_POINTS} (points of the slope fit); got {n_steps}")
    J0 = float(fn.value(theta))
    if not np.isfinite(J0):
        raise FloatingPointError(f"the cost is not finite at theta (J = {J0}): no Taylor test is possible")
    noise = noise_level(estimate_noise(fn.value, theta, seed=rng), J0, theta.dtype, noise_floor)
    g_err = (ANALYTIC_SAFETY * eps * np.maximum(np.abs(g), 1.0) if grad_error is None
             else flat_vector(np.asarray(grad_error, dtype=np.float64), theta.size, "grad_error"))
    steps = h_max * 0.5 ** np.arange(n_steps)
    rem = _remainders(fn.value, g, theta, d, J0, steps)
    U = float(g_err @ np.abs(d))  # the most the gradient's own rounding adds to |⟨g, d⟩|
    fitted = _fitted((rem > NOISE_FLOOR * noise) & (rem > LINEAR_FLOOR * steps * U))
    conclusive = int(fitted.sum()) >= 2 and _grows_as_a_power(fitted, rem, noise)
    slope = float(np.polyfit(np.log(steps[fitted]), np.log(rem[fitted]), 1)[0]) if conclusive else float("nan")
    # A wrong entry e_i adds h·|e_i d_i| to r(h). The slope read over the fitted steps falls to ~1 only
    # where that linear term dominates the curvature over all of them, up to the largest fitted step
    # h_top: the test resolves |e_i| ≈ r(h_top) / h_top (for |d_i| ≈ 1), relative to max|g|. (Resolved
    # at the smallest step instead, a linear term twice the curvature there read as slopes 1.5-1.6:
    # the false-alarm study's planted entries.)
    top = float(np.max(np.abs(g)))
    if conclusive:
        k = int(np.flatnonzero(fitted)[0])
        resolution = float(rem[k] / steps[k] / top) if top > 0 else 0.0
    else:
        resolution = float("inf")
    res = TaylorResult(slope, False, conclusive, steps, rem, fitted, noise, n_steps + 1 + NOISE_POINTS,
                       resolution, float(bug_size))
    res.passed = res.verdict == "pass"
    return res
