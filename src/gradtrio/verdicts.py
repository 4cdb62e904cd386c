"""Verdicts on a gradient that need no hand-set tolerance.

- :func:`taylor_test` — the Taylor-remainder test (:mod:`gradtrio.oracles.taylor`): the slope of the
  remainder against the step, 2 for a correct gradient and 1 for a wrong one.
- :func:`adjoint_test` — the dot-product test between JAX forward mode and the hand-written backward pass
  (:mod:`gradtrio.oracles.adjoint`): both analytic, so they agree to rounding.
- :func:`kink_check` — one-sided slopes for costs with switch points (:mod:`gradtrio.oracles.kink`).

Their names are importable from here as before.
"""

from __future__ import annotations

from .oracles.adjoint import (  # noqa: F401  (re-exported: their home was here)
    ADJOINT_EPS_FACTOR,
    ADJOINT_RTOL,
    AdjointResult,
    adjoint_test,
)
from .oracles.kink import KinkResult, kink_check
from .oracles.noise import NOISE_POINTS  # noqa: F401  (re-exported)
from .oracles.taylor import (  # noqa: F401  (re-exported: their home was here)
    FIT_POINTS,
    LINEAR_FLOOR,
    MAX_LOCAL_SLOPE,
    MIN_LOCAL_SLOPE,
    NOISE_FLOOR,
    SLOPE_THRESHOLD,
    TAYLOR_H_MAX,
    TaylorResult,
    taylor_test,
)

__all__ = [
    "TaylorResult",
    "AdjointResult",
    "KinkResult",
    "taylor_test",
    "adjoint_test",
    "kink_check",
    "SLOPE_THRESHOLD",
    "ADJOINT_RTOL",
]
