"""The directional check: ``gᵀv`` against a central difference along k random unit directions.

4k evaluations (steps h and 2h) however many parameters there are. Each direction gets its own error
bound: rounding ``σ/h`` with σ the cost's noise *measured* at θ (never ``ε|J|`` alone, which a well-fitted
network makes tiny while its terms stay large), plus the truncation estimated from the two steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..tolerances import BUG_SIZE, GRAD_ROUND_SAFETY, ROUND_SAFETY, TRUNC_SAFETY, judged
from ._compat import gradient_first, legacy
from .function import Function, as_function, as_theta, gradient_of, rng_of
from .noise import NOISE_POINTS, estimate_noise, noise_level
from .steps import checked_step, rms_step

__all__ = ["DirectionalResult", "directional_check"]


@dataclass(frozen=True)
class DirectionalResult:
    """The outcome of :func:`directional_check`.

    Attributes
    ----------
    analytic : ndarray of shape (k,)
        ``gᵀv`` for each direction.
    numeric : ndarray of shape (k,)
        Central difference ``(f(θ+hv) - f(θ-hv)) / 2h``.
    bound : ndarray of shape (k,)
        The error allowed for each direction: measured rounding and truncation times their safety
        factors, plus the analytic side's rounding.
    step : float
    evaluations : int
        Calls of f (4 per direction, steps h and 2h, plus 13 for θ and the noise measurement).
    noise : float
        The cost's noise σ (measured, floored at ``noise_floor`` and ε|J|).
    resolution : float
        ``sqrt(n)·max(bound) / max|g|``: the relative size of one wrong entry the directions can see.
    bug_size : float
        Above this resolution a check that found nothing is inconclusive.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    bound: np.ndarray
    step: float
    evaluations: int
    noise: float = 0.0
    resolution: float = 0.0
    bug_size: float = BUG_SIZE

    @property
    def abs_err(self) -> np.ndarray:
        """``|gᵀv - D(h)|`` for each direction."""
        return np.abs(self.analytic - self.numeric)

    @property
    def ratio(self) -> np.ndarray:
        """``abs_err / bound``: below 1 passes."""
        return self.abs_err / self.bound

    @property
    def verdict(self) -> str:
        """"fail" when a direction is beyond its bound; "inconclusive" when none is but the bounds
        cannot resolve one wrong entry of ``bug_size`` × the largest; else "pass"."""
        return judged(not np.all(self.abs_err <= self.bound), self.resolution, self.bug_size)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __str__(self) -> str:
        lines = [f"directional check: {len(self.analytic)} directions, step {self.step:.3g}, "
                 f"{self.evaluations} evaluations: {self.verdict.upper()}",
                 f"{'dir':>4} {'g.v':>14} {'central':>14} {'|error|':>10} {'bound':>10}"]
        for i, (a, d, e, b) in enumerate(zip(self.analytic, self.numeric, self.abs_err, self.bound)):
            lines.append(f"{i:>4} {a:>14.8g} {d:>14.8g} {e:>10.3g} {b:>10.3g}{'' if e <= b else '  FAIL'}")
        if self.verdict == "inconclusive":
            lines.append(f"inconclusive: one wrong entry is seen only above {self.resolution:.3g} x the largest entry "
                         f"(asked: {self.bug_size:g}); use float64, more directions, or a full check")
        return "\n".join(lines)


def _along(cost: Callable[[np.ndarray], float], g: np.ndarray, theta: np.ndarray, v: np.ndarray,
           h: float) -> tuple[float, float, float]:
    """``(gᵀv, D(h), truncation)`` along the unit direction ``v``: central differences at h and 2h, the
    analytic side dotted with the displacement actually taken."""
    D, A = [], []
    for step in (h, 2 * h):
        plus, minus = (theta + step * v).astype(theta.dtype), (theta - step * v).astype(theta.dtype)
        span = plus.astype(np.float64) - minus.astype(np.float64)  # the displacement actually taken
        D.append((cost(plus) - cost(minus)) / (2 * step))
        A.append(float(g @ span) / (2 * step))
    return A[0], D[0], abs((D[1] - A[1]) - (D[0] - A[0])) / 3


@legacy(("grad", "f", "theta", "k", "h", "seed"), gradient_first, "(grad, J, theta, k, eps, seed)",
        {"eps": "h", "J": "f"})
def directional_check(
    f: Callable[[np.ndarray], float] | Function,
    grad: ArrayLike | Callable[[np.ndarray], ArrayLike] | None,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | np.random.Generator | None = 0,
    k: int = 10,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> DirectionalResult:
    """Check an analytic gradient along k random unit directions: O(k) evaluations for any size.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` (a complex result is read by its real part).
    grad : array_like of shape (n,), callable, or None
        The analytic gradient at ``theta`` (flat, e.g. ``unroll(grads)``), ``grad(theta)``, or None for
        ``f.grad``.
    theta : array_like of shape (n,)
    h : float, optional
        The step; by default ``default_step("central", dtype)``, divided by the root mean square of
        ``step_scale``.
    seed : int or Generator, default 0
        The noise measurement's line and the directions.
    k : int, default 10
        Number of directions (Gaussian, normalized: uniform on the unit sphere).
    noise_floor : float, default 0
        Least noise σ assumed for f (gradtrio's own cost: ``ε·S_J``, :mod:`gradtrio.rounding`).
    grad_error : array_like of shape (n,), optional
        Per-entry bound on the analytic gradient's rounding (default ``GRAD_ROUND_SAFETY·ε·max(|g|, 1)``:
        the terms of an entry are taken to be of order one at least, which a cancelled gradient still carries).
    step_scale : array_like of shape (n,), optional
        Values >= 1; the step is divided by their root mean square, the scale a random unit direction
        moves the logits by (see :mod:`gradtrio.oracles.bounded`).
    bug_size : float, default 0.05 (:data:`gradtrio.tolerances.BUG_SIZE`)
        See :attr:`DirectionalResult.resolution`.

    Returns
    -------
    DirectionalResult
        Each direction passes when ``|gᵀv - D(h)| <= ROUND_SAFETY·σ/h + TRUNC_SAFETY·|D(2h) - D(h)|/3
        + Σ|grad_error_i v_i|``, with σ the cost's noise measured at θ (never below ``noise_floor``):
        rounding plus the truncation error estimated from two steps (``D(2h) - D(h) = 3 c h²`` when
        ``D(h) = d + c h²``).
    """
    fn = as_function(f)
    theta = as_theta(theta)
    g = np.asarray(gradient_of(fn, grad, theta), dtype=np.float64)
    if g.shape != theta.shape:
        raise ValueError(f"grad must have the shape of theta, {theta.shape}; got {g.shape}")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    h = rms_step(checked_step(h, "central", theta.dtype), step_scale)
    rng = rng_of(seed)
    eps = float(np.finfo(theta.dtype).eps)
    g_err = GRAD_ROUND_SAFETY * eps * np.maximum(np.abs(g), 1.0) if grad_error is None else np.abs(
        np.asarray(grad_error, dtype=np.float64)).ravel()

    def cost(v: np.ndarray) -> float:
        return float(np.real(fn.value(v)))

    J0 = cost(theta)
    sigma = noise_level(estimate_noise(cost, theta, seed=rng), J0, theta.dtype, noise_floor)
    analytic, numeric, bound = np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        v = rng.standard_normal(theta.size)
        v /= np.linalg.norm(v)
        analytic[j], numeric[j], truncation = _along(cost, g, theta, v, h)
        bound[j] = (ROUND_SAFETY * sigma / h + TRUNC_SAFETY * truncation + float(g_err @ np.abs(v))
                    + np.finfo(np.float64).tiny)
    top = float(np.max(np.abs(g)))
    resolution = float(np.sqrt(theta.size) * bound.max() / top) if top > 0 else 0.0
    return DirectionalResult(analytic, numeric, bound, h, 4 * k + 1 + NOISE_POINTS, sigma, resolution,
                             float(bug_size))


