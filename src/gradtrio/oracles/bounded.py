"""Numerical gradients that carry their own error bound, measured on the problem at hand.

A finite difference is only evidence when its error is known. Instead of an a-priori tolerance (which
holds only for the inputs it was derived for), every entry here comes with an error bound built from
two things measured on the problem:

- **truncation**, from a second step: central differences satisfy ``D(h) = g + c h² + O(h⁴)``, so
  ``D(2h) − D(h) ≈ 3 c h²`` and ``|D(h) − D(2h)| / 3`` estimates the truncation of ``D(h)``, entry by
  entry. (Forward differences: ``F(2h) − F(h) ≈ c h``. Richardson's ``(4 D(h/2) − D(h)) / 3`` has only
  O(h⁴) left; its bound uses the truncation of ``D(h/2)``, which is larger whenever the expansion holds.)
- **rounding**, from the cost's noise σ: each evaluation of J is off by about σ, so ``D(h)`` is off by
  about ``σ / h``. σ is the larger of the noise *measured* along a random line
  (:func:`gradtrio.oracles.estimate_noise`, Moré & Wild 2011) and a floor given by the caller — for
  gradtrio's own cost, ``ε·S_J`` of :func:`gradtrio.rounding.rounding_scales`, the rounding of the sum of
  the absolute values of the cost's terms (never ``ε|J|``, which a well-fitted network makes tiny while
  its terms stay large).

The bound of an entry is ``ROUND_SAFETY·(rounding) + TRUNC_SAFETY·(truncation)``, the safety factors of
:mod:`gradtrio.tolerances`. Steps may differ per entry (``step_scale``): gradtrio's own problems pass
the sensitivity of :func:`gradtrio.rounding.rounding_scales` — how far the output logits move per unit
change of each weight — so that for raw pixel counts (0..16) a first-layer step is divided by 16, and
below layers of huge weights (10³, as L-BFGS-B reaches at λ = 0 on a few examples) by the gain they
give, keeping every entry's expansion in its asymptotic range (needed in float32, where
``h = 5 ε^(1/3) = 0.025``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..tolerances import ROUND_SAFETY, TRUNC_SAFETY
from ._compat import estimator_order, legacy
from .function import Function, as_function, as_theta
from .noise import estimate_noise, noise_level
from .steps import checked_step

__all__ = ["BoundedGradient", "bounded_difference", "BATCH", "SCHEMES"]

#: Coordinates perturbed per call of a batched cost (``f.batched``) that states no ``batch_size`` of its own:
#: the rows of one call are ``2·BATCH`` perturbed vectors (+h and −h), small enough for the activations to
#: stay in cache. (``check_gradients``' JAX cost states ``BATCH`` times the device count: a share each.)
BATCH = 32

#: The finite-difference schemes :func:`bounded_difference` knows.
SCHEMES = ("central", "forward", "richardson")


@dataclass(frozen=True)
class BoundedGradient:
    """A numerical gradient with a per-entry error bound.

    Attributes
    ----------
    grad : ndarray of shape (n,)
        The numerical gradient, float64.
    error : ndarray of shape (n,)
        Bound on ``|grad − ∇J|`` per entry (safety factors applied).
    rounding, truncation : ndarray of shape (n,)
        The two estimates behind ``error``, before the safety factors.
    steps : ndarray of shape (n,)
        The step of each entry.
    noise : float
        σ, the cost's noise used for the rounding term.
    evaluations : int
        Calls of J counted per vector (a batched call of B rows counts B).
    """

    grad: np.ndarray
    error: np.ndarray
    rounding: np.ndarray
    truncation: np.ndarray
    steps: np.ndarray
    noise: float
    evaluations: int


class _Evaluator:
    """Evaluates J on many perturbed copies of θ, batched when J supports it, counting vectors."""

    def __init__(self, f: Function, theta: np.ndarray):
        self.J, self.theta, self.evaluations = f.value, theta, 0
        self.batched, self.batch_size = f.batched, f.batch_size
        self.incremental = f.coordinate_differences

    def one(self, v: np.ndarray) -> float:
        self.evaluations += 1
        return float(np.real(self.J(v)))

    def moved(self, idx: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Costs at θ + delta_r e_{idx_r} for each r, and the displacement actually stored."""
        theta = self.theta
        P = np.repeat(theta[None, :], idx.size, axis=0)
        r = np.arange(idx.size)
        P[r, idx] = theta[idx] + delta.astype(theta.dtype)
        realized = P[r, idx].astype(np.float64) - theta[idx].astype(np.float64)
        self.evaluations += idx.size
        if self.batched:
            costs = np.real(np.asarray(self.J(P))).astype(np.float64)
        else:
            costs = np.array([float(np.real(self.J(p))) for p in P])
        if not np.all(np.isfinite(costs)):
            raise FloatingPointError("the cost is not finite at a perturbed point; use a smaller step")
        return costs, realized


def _differences(ev: _Evaluator, steps: np.ndarray, scheme: str,
                 J0: float) -> tuple[np.ndarray, np.ndarray | None]:
    """``D`` at the given per-entry steps: central ``(J₊ − J₋)/(realized span)``, forward ``(J₊ − J₀)/h``;
    and, when the cost computes its own coordinate differences, their rounding over the span (else None)."""
    n = steps.size
    if ev.incremental is not None:
        idx = np.arange(n)
        diff, span, rounding = ev.incremental(idx, steps, np.zeros(n) if scheme == "forward" else -steps)
        ev.evaluations += n if scheme == "forward" else 2 * n
        if not np.all(np.isfinite(diff)):
            raise FloatingPointError("the cost is not finite at a perturbed point; use a smaller step")
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = span != 0
            return (np.where(ok, diff / np.where(ok, span, 1.0), np.nan),
                    np.where(ok, rounding / np.abs(np.where(ok, span, 1.0)), np.inf))
    out = np.empty(n)
    B = (ev.batch_size or BATCH) if ev.batched else n
    for start in range(0, n, B):
        idx = np.arange(start, min(start + B, n))
        Jp, rp = ev.moved(idx, steps[idx])
        if scheme == "forward":
            span, diff = rp, Jp - J0
        else:
            Jm, rm = ev.moved(idx, -steps[idx])
            span, diff = rp - rm, Jp - Jm
        with np.errstate(divide="ignore", invalid="ignore"):
            # An entry whose step rounds away (theta + h == theta in the dtype: a step divided by a
            # large gain, on a large weight) has no difference: NaN, and an infinite bound below.
            out[idx] = np.where(span != 0, diff / np.where(span != 0, span, 1.0), np.nan)
    return out, None


@legacy(("f", "theta", "h"), estimator_order, "(J, theta, h)", {"J": "f"})
def bounded_difference(
    f: Callable[[np.ndarray], float] | Function,
    grad: Any,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int = 0,
    scheme: str = "central",
    step_scale: ArrayLike | None = None,
    noise_floor: float = 0.0,
) -> BoundedGradient:
    """A finite-difference gradient and a bound on each entry's error, both measured.

    Parameters
    ----------
    f : callable or Function
        ``f(vector) -> float`` for a vector of shape ``(n,)`` in θ's dtype. If ``f`` is batched, it also
        maps ``(B, n)`` to ``(B,)`` (as :func:`gradtrio.model.closures.complex_cost_fn` does).
    grad : None
        Not read (this oracle estimates the gradient); the slot gives every oracle one signature.
    theta : array_like of shape (n,)
        float32 stays float32 (f is evaluated there); anything else is float64.
    h : float, optional
        The base step; by default :func:`gradtrio.oracles.default_step` of the scheme and dtype.
    seed : int, default 0
        Seeds the random line of the noise measurement.
    scheme : {"central", "forward", "richardson"}
    step_scale : array_like of shape (n,), optional
        Entry i uses the step ``h / step_scale[i]`` (values >= 1; see the module docstring).
    noise_floor : float, default 0
        The least noise σ assumed for f (e.g. ``ε·S_J`` from :func:`gradtrio.rounding.rounding_scales`).

    Returns
    -------
    BoundedGradient
        An entry whose step rounds back to θ in its dtype gets ``grad`` 0 and an infinite ``error``
        (the comparison is then inconclusive there, never a failure). Central and Richardson cost
        ``4n + 13`` evaluations (two steps, and the noise measurement);
        forward ``2n + 13``. A cost with ``coordinate_differences`` (:class:`Function`) is differenced by
        them, with their own rounding bound instead of σ/h, and no noise measurement (``noise`` is NaN).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}")
    theta = as_theta(theta)
    h = checked_step(h, "forward" if scheme == "forward" else "central", theta.dtype)
    scale = np.ones(theta.size) if step_scale is None else np.asarray(step_scale, dtype=np.float64).ravel()
    if scale.shape != theta.shape or not np.all(scale >= 1):
        raise ValueError(f"step_scale must hold {theta.size} values >= 1; got shape {scale.shape}")
    steps = h / scale
    ev = _Evaluator(as_function(f), theta)
    if ev.incremental is not None:
        # The cost differences itself and bounds its own rounding: no noise measurement, no J(θ).
        J0, sigma = float("nan"), float("nan")
    else:
        J0 = ev.one(theta)
        sigma = noise_level(estimate_noise(ev.one, theta, seed=seed), J0, theta.dtype, noise_floor)
    grad_, rounding, truncation = _estimates(ev, steps, scheme, J0, sigma)
    error = ROUND_SAFETY * rounding + TRUNC_SAFETY * truncation
    lost = ~np.isfinite(grad_) | ~np.isfinite(error)
    if np.any(lost):  # no step of the dtype resolves these entries: nothing can be said of them
        grad_, error = np.where(lost, 0.0, grad_), np.where(lost, np.inf, error)
    return BoundedGradient(grad_, error, rounding, truncation, steps, sigma, ev.evaluations)


def _estimates(ev: _Evaluator, steps: np.ndarray, scheme: str, J0: float,
               sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(gradient, rounding, truncation)`` of a scheme, before the safety factors.

    The rounding is ``σ/h`` of the cost's noise σ, or, for a cost that computes its own coordinate
    differences, the rounding bound each difference comes with."""
    if scheme == "richardson":
        D1, r1 = _differences(ev, steps, "central", J0)
        D2, r2 = _differences(ev, steps / 2, "central", J0)
        grad = (4 * D2 - D1) / 3
        # (4·σ/(h/2)·(1/√2)... + σ/h·(1/√2)) / 3 < 3σ/h; the coordinate differences' own: (4 r₂ + r₁)/3
        rounding = 3 * sigma / steps if r1 is None or r2 is None else (4 * r2 + r1) / 3
        truncation = np.abs(D1 - D2) / 3  # the truncation of D(h/2): above Richardson's O(h⁴)
        return grad, rounding, truncation
    if scheme == "forward":
        F1, r1 = _differences(ev, steps, "forward", J0)
        F2, _ = _differences(ev, 2 * steps, "forward", J0)
        return F1, 2 * sigma / steps if r1 is None else r1, np.abs(F2 - F1)
    D1, r1 = _differences(ev, steps, "central", J0)
    D2, _ = _differences(ev, 2 * steps, "central", J0)
    return D1, sigma / steps if r1 is None else r1, np.abs(D2 - D1) / 3
