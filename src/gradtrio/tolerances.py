"""Tolerances are data: one table keyed by (dtype, method pair), each number derived from its step.

Two gradients ``a`` and ``b`` of one layer *agree* when either

- the relative error ``‖a - b‖ / ‖a + b‖`` is at most ``rtol``, or
- the largest absolute difference ``max |a - b|`` is at most ``atol · max(1, |J|)``.

The second clause exists because finite-difference rounding is *absolute* (about ε|J|/h, whatever
the size of the gradient): a layer whose true gradient is tiny (saturated units) has a large relative
error and yet no bug. Any real bug of the classic kinds moves entries by far more than either bound.

Where the numbers come from (ε = ``np.finfo(dtype).eps``; per-method error budgets below, and the
budget of a pair is the sum of its two methods' budgets)
------------------------------------------------------------------------------------------------
- **Analytic** (``backprop``, ``loop``, ``autodiff``) and **complex step** (``complex``): rounding
  only. A gradient entry is a sum over m examples of products through <= 5 layers; the recursive
  error bound is about (m + depth·width)·ε relative to the sum of |terms|, and in practice
  (pairwise summation, random signs) far less. Budget ``256 ε`` for both bounds: 5.7e-14 in float64
  (the DESIGN's "around 1e-13 relative or tighter" for a pair), 3.1e-5 in float32.
- **Central differences** at the step ``h = 5 ε^(1/3)`` of :func:`gradtrio.finite_diff.default_step`:
  truncation ``h² |J'''| / 6`` plus rounding ``c ε |J| / h = (c/5) ε^(2/3) |J|``; both ``∝ ε^(2/3)``
  (3.7e-11 in float64, 2.4e-5 in float32). Measured (see ``finite_diff.CENTRAL_SCALE``): max |a-b|
  is 0.2 ε^(2/3) |J| (c ≈ 1) and the layer relative error at most 3 ε^(2/3), in both dtypes.
  The truncation term does *not* scale with |J|: at h = 5 ε^(1/3) it is (25/6) |J'''| ε^(2/3), and a
  nearly perfect fit (J ≈ 1e-4) can keep |J'''| ≈ 0.7 per entry (Hypothesis found such a draw:
  4-4-9-12-1, m = 18, X = 0, error 2.9 ε^(2/3)). For these sigmoid networks with bounded weights and
  inputs, |J'''| per entry is a product of sigmoid derivatives (|softplus'''| ≤ 0.1) and of bounded
  activations, at most ~2. Budget: ``atol = 10 ε^(2/3)`` (covers |J'''| ≤ 2.4) and
  ``rtol = 30 ε^(2/3)`` (1.1e-9 float64, 7.3e-4 float32): ten times the measured worst relative
  error, and still 20 times below a 2 % error in float32.
  ``batched`` is the same arithmetic in JAX: same budget.
- **Richardson** cancels the h² term, leaving rounding ``≈ 3 c ε |J| / h`` (the (4 D(h/2) - D(h)) / 3
  combination triples it): three times the central atol, the central rtol.
- **Forward differences** at ``h = ε^(1/2)``: truncation ``h |J''| / 2`` plus rounding ``2 ε |J| / h``,
  both ``∝ ε^(1/2)`` (1.5e-8, 3.5e-4). Budget ``100 ε^(1/2)`` for both bounds: 1.5e-6 and 3.5e-2
  (float32 forward differences show why nobody should use them; they are not a check).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["Tolerance", "METHOD_ERROR", "TOLERANCES", "tolerance", "METHODS"]


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
        METHOD_ERROR[(_dt, _m)] = (30 * _c, 10 * _c, "central differences at h = 5 ε^(1/3): rtol 30 ε^(2/3), atol 10 ε^(2/3)")
    METHOD_ERROR[(_dt, "richardson")] = (30 * _c, 6 * _c, "Richardson: rounding tripled: rtol 30 ε^(2/3), atol 6 ε^(2/3)")
    METHOD_ERROR[(_dt, "forward")] = (100 * _e**0.5, 100 * _e**0.5, "forward differences at h = ε^(1/2): 100 ε^(1/2)")

#: The methods that have an entry.
METHODS: tuple[str, ...] = tuple(dict.fromkeys(m for _, m in METHOD_ERROR))

#: The table: (dtype, (method_a, method_b)) → Tolerance, for every unordered pair (both orders stored).
TOLERANCES: dict[tuple[np.dtype, tuple[str, str]], Tolerance] = {}
for _dt in (_F64, _F32):
    for _a, _b in combinations_with_replacement(METHODS, 2):
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
        Names from :data:`METHODS`.

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
        unknown = [m for m in (method_a, method_b) if m not in METHODS]
        raise ValueError(f"no tolerance for methods {unknown}; known methods: {', '.join(METHODS)}") from None
