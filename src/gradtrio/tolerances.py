"""Tolerances are data: one table keyed by (dtype, method pair), each number derived from its step.

Two gradients ``a`` and ``b`` of one layer *agree* when either

- the relative error ``‖a - b‖ / ‖a + b‖`` is at most ``rtol``, or
- the largest absolute difference ``max |a - b|`` is at most ``atol · max(1, |J|)``.

The second clause exists because finite-difference rounding is *absolute* (about ``ε|J|/h``, whatever
the size of the gradient): a layer whose true gradient is tiny (saturated units) has a large relative
error and yet no bug. Any real bug of the classic kinds moves entries by far more than either bound.

Where the numbers come from
---------------------------
ε is ``np.finfo(dtype).eps``; per-method error budgets below, and the budget of a pair is the sum of
its two methods' budgets.

- **Analytic** (``backprop``, ``loop``, ``autodiff``) and **complex step** (``complex``): rounding
  only. A gradient entry is a sum over m examples of products through <= 5 layers; the recursive
  error bound is about (m + depth·width)·ε relative to the sum of ``|terms|``, and in practice
  (pairwise summation, random signs) far less. Budget ``256 ε`` for both bounds: 5.7e-14 in float64
  (the DESIGN's "around 1e-13 relative or tighter" for a pair), 3.1e-5 in float32.
- **Central differences** at the step ``h = 5 ε^(1/3)`` of :func:`gradtrio.oracles.default_step`:
  truncation ``h² |J'''| / 6`` plus rounding ``c ε |J| / h = (c/5) ε^(2/3) |J|``; both ``∝ ε^(2/3)``
  (3.7e-11 in float64, 2.4e-5 in float32). Measured (see ``oracles.CENTRAL_SCALE``): ``max |a-b|``
  is ``0.2 ε^(2/3) |J|`` (c ≈ 1) and the layer relative error at most 3 ε^(2/3), in both dtypes.
  The truncation term does *not* scale with ``|J|``: at h = 5 ε^(1/3) it is ``(25/6) |J'''| ε^(2/3)``, and a
  nearly perfect fit (J ≈ 1e-4) can keep ``|J'''| ≈ 0.7`` per entry (Hypothesis found such a draw:
  4-4-9-12-1, m = 18, X = 0, error 2.9 ε^(2/3)). For these sigmoid networks with bounded weights and
  inputs, ``|J'''|`` per entry is a product of sigmoid derivatives (``|softplus'''| ≤ 0.1``) and of bounded
  activations, at most ~2. Budget: ``atol = 10 ε^(2/3)`` (covers ``|J'''| ≤ 2.4``) and
  ``rtol = 30 ε^(2/3)`` (1.1e-9 float64, 7.3e-4 float32): ten times the measured worst relative
  error, and still 20 times below a 2 % error in float32.
  ``batched`` is the same arithmetic in JAX: same budget.
- **Richardson** cancels the h² term, leaving rounding ``≈ 3 c ε |J| / h`` (the (4 D(h/2) - D(h)) / 3
  combination triples it): three times the central atol, the central rtol.
- **Forward differences** at ``h = ε^(1/2)``: truncation ``h |J''| / 2`` plus rounding ``2 ε |J| / h``,
  both ``∝ ε^(1/2)`` (1.5e-8, 3.5e-4). Budget ``100 ε^(1/2)`` for both bounds: 1.5e-6 and 3.5e-2
  (float32 forward differences show why nobody should use them; they are not a check).

Measured bounds: what the verdicts use
--------------------------------------
The numbers above hold for the inputs they were derived for (``|x| ≲ 3``, ``|J| ≈ 1``, untrained weights).
They stay here as documented expectations (the step-size study and the tests compare against them),
but no verdict is decided by them any more. Every verdict of :mod:`gradtrio.check`,
:mod:`gradtrio.localize`, :mod:`gradtrio.verdicts` and the directional check bounds its error from what it
measures on the problem in front of it:

- finite differences: truncation from a second step (``|D(h) − D(2h)| / 3``) and rounding ``σ/h`` from
  the cost's noise σ, measured (Moré & Wild) and floored at ``ε·S_J``, the rounding of the sum of the
  absolute values of the cost's terms (:mod:`gradtrio.rounding`, :mod:`gradtrio.measured`);
- analytic gradients (backprop, the loop, JAX, the complex step): ``ε·G_ij``, the rounding of the sum
  of the absolute values of the terms of each gradient entry, from the same running error analysis.

Each estimate is multiplied by a safety factor (below). An entry *fails* when its difference exceeds
the sum of the two methods' bounds. A comparison is *inconclusive* when nothing failed but its
resolution — the largest bound, relative to the largest entry it compares — is above ``bug_size``
(default :data:`BUG_SIZE`): a wrong entry of that relative size could then hide in the noise, so
passing would be a claim the measurement cannot back. The floors keep a bound from being zero when
both sides are exactly zero (a saturated unit), and never decide a verdict on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from numpy.typing import DTypeLike

from ._deprecate import module_getattr

__all__ = [
    "Tolerance",
    "METHOD_ERROR",
    "TOLERANCES",
    "tolerance",
    "GRADIENT_METHODS",
    "ROUND_SAFETY",
    "TRUNC_SAFETY",
    "ANALYTIC_SAFETY",
    "GRAD_ROUND_SAFETY",
    "BUG_SIZE",
    "FLOOR_EPS",
    "FLOOR_TINY",
    "VERDICTS",
    "judged",
    "verdict_of",
]

#: Safety factor on a rounding estimate σ/h. σ is a standard-deviation-like estimate and the noise
#: of a central difference is sqrt(2)·σ/(2h) ≈ 0.7 σ/h, so 8 σ/h is more than 10 standard deviations;
#: it also absorbs a measured σ that came out low by a factor of 2-3 (12 samples of noise).
ROUND_SAFETY = 8.0
#: Safety factor on the truncation estimate ``|D(h) − D(2h)|/3``, which neglects the O(h⁴) term and can
#: come out small when c h² and the rounding noise cancel; 3 covers both while h is in the asymptotic
#: range (which the per-entry steps of :mod:`gradtrio.measured` keep it in, and which the probes of
#: :mod:`gradtrio.oracles.probes` check on their own evaluations, halving the step where it fails).
TRUNC_SAFETY = 3.0
#: Safety factor on an analytic gradient's running error scale ε·G (:mod:`gradtrio.rounding`): G
#: already counts sqrt(n) for every sum of n terms (the random-walk growth of rounding), so 8 is about
#: eight standard deviations; the worst case (n ε per sum, every rounding of one sign) does not occur
#: in blocked BLAS sums with mixed-sign terms.
ANALYTIC_SAFETY = 8.0
#: Safety factor on the rounding of the analytic side of a directional probe, ε·Σ|g_i u_i| for a
#: black-box gradient whose term scale is unknown (sums of 10⁴ terms at random-walk growth).
GRAD_ROUND_SAFETY = 100.0
#: The relative size of a bug a verdict must be able to see: an error of BUG_SIZE × the largest entry
#: of the compared layer, in any one entry. A ×1.1 error on an entry at least half the largest is
#: above it, and so is every bug of the catalog (O(1) relative errors). 5 % also keeps float32 checks
#: of raw pixel data conclusive: their central-difference bounds resolve 1.5-3 % there (measured by
#: ``python -m benchmarks.false_alarms``). Callers pass ``bug_size`` to ask for finer resolution.
BUG_SIZE = 5e-2
#: Every per-entry bound is at least FLOOR_EPS·ε·max|entry| of its layer: two results that are both
#: exactly zero, or equal to the last bit, agree without a zero bound dividing anything.
FLOOR_EPS = 4.0
#: ... and at least FLOOR_TINY·tiny/ε (tiny the dtype's smallest normal number: 4e-31 in float32,
#: 4e-292 in float64). XLA on the CPU flushes subnormal inputs and results to zero where NumPy keeps
#: them (Hypothesis found float32 weights of 1e-38), which moves what is computed from them by tiny
#: times their multipliers (λ/m, ``|x|``, ``|Θ|``); 1/ε covers multipliers up to 8e6 in float32. No gradient
#: entry that small can be resolved in the dtype anyway.
FLOOR_TINY = 4.0

#: The outcomes of a verdict, worst first: a failure outranks an inconclusive part, which outranks a pass.
VERDICTS = ("fail", "inconclusive", "pass")


def judged(failed: bool, resolution: float, bug_size: float) -> str:
    """The rule every checker's verdict follows: "fail" when something is beyond its measured bound,
    else "inconclusive" when the check's ``resolution`` is coarser than ``bug_size``, else "pass"."""
    if failed:
        return "fail"
    return "inconclusive" if resolution > bug_size else "pass"


def verdict_of(parts: list[str] | tuple[str, ...]) -> str:
    """The verdict of several parts: "fail" if any failed, else "inconclusive" if any was, else "pass"."""
    for v in VERDICTS:
        if v in parts:
            return v
    return "pass"


@dataclass(frozen=True)
class Tolerance:
    """Agreement bounds for one (dtype, method pair).

    Attributes
    ----------
    rtol : float
        Bound on ``‖a - b‖ / ‖a + b‖`` for a layer.
    atol : float
        Bound on ``max |a - b|`` for a layer, in units of ``max(1, |J|)``.
    why : str
        Where the numbers come from.
    """

    rtol: float
    atol: float
    why: str

    def agrees(self, rel_err: float, max_abs: float, J: float = 1.0) -> bool:
        """True when either bound holds (see the module docstring)."""
        return bool(rel_err <= self.rtol or max_abs <= self.atol * max(1.0, abs(J)))


_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)


def _eps(dt: np.dtype) -> float:
    return float(np.finfo(dt).eps)


#: Per-method error budget relative to the exact gradient, by dtype: (rtol, atol, reasoning).
METHOD_ERROR: dict[tuple[np.dtype, str], tuple[float, float, str]] = {}
for _dt in (_F64, _F32):
    _e = _eps(_dt)
    for _m in ("backprop", "loop", "autodiff", "complex"):
        METHOD_ERROR[(_dt, _m)] = (256 * _e, 256 * _e, "rounding only: 256 ε")
    _c = _e ** (2 / 3)
    for _m in ("central", "batched"):
        METHOD_ERROR[(_dt, _m)] = (30 * _c, 10 * _c,
                                   "central differences at h = 5 ε^(1/3): rtol 30 ε^(2/3), atol 10 ε^(2/3)")
    METHOD_ERROR[(_dt, "richardson")] = (30 * _c, 6 * _c,
                                         "Richardson: rounding tripled: rtol 30 ε^(2/3), atol 6 ε^(2/3)")
    METHOD_ERROR[(_dt, "forward")] = (100 * _e**0.5, 100 * _e**0.5, "forward differences at h = ε^(1/2): 100 ε^(1/2)")

#: The gradient methods that have an entry.
GRADIENT_METHODS: tuple[str, ...] = tuple(dict.fromkeys(m for _, m in METHOD_ERROR))

#: ``METHODS`` named optimizers in train, finite-difference methods in stepsize and these here.
__getattr__ = module_getattr(__name__, {"METHODS": ("GRADIENT_METHODS", GRADIENT_METHODS)})

#: The table: (dtype, (method_a, method_b)) → Tolerance, for every unordered pair (both orders stored).
TOLERANCES: dict[tuple[np.dtype, tuple[str, str]], Tolerance] = {}
for _dt in (_F64, _F32):
    for _a, _b in combinations_with_replacement(GRADIENT_METHODS, 2):
        _ra, _aa, _wa = METHOD_ERROR[(_dt, _a)]
        _rb, _ab, _wb = METHOD_ERROR[(_dt, _b)]
        _tol = Tolerance(rtol=_ra + _rb, atol=_aa + _ab, why=f"{_a}: {_wa}; {_b}: {_wb}; summed")
        TOLERANCES[(_dt, (_a, _b))] = TOLERANCES[(_dt, (_b, _a))] = _tol


def tolerance(dtype: DTypeLike, method_a: str, method_b: str) -> Tolerance:
    """Look up the tolerance of a method pair in a dtype.

    Parameters
    ----------
    dtype : numpy dtype
        float64 or float32 (complex dtypes map to their real part; other floats to the nearest).
    method_a, method_b : str
        Names from :data:`GRADIENT_METHODS`.

    Returns
    -------
    Tolerance
    """
    dt = np.dtype(dtype)
    if dt.kind == "c":
        dt = _F32 if dt == np.complex64 else _F64
    dt = _F32 if dt.kind == "f" and dt.itemsize <= 4 else _F64
    try:
        return TOLERANCES[(dt, (method_a, method_b))]
    except KeyError:
        unknown = [m for m in (method_a, method_b) if m not in GRADIENT_METHODS]
        raise ValueError(f"no tolerance for methods {unknown}; known methods: {', '.join(GRADIENT_METHODS)}") from None
