"""Numerical gradients that carry their own error bound, measured on the problem at hand.

The names of :mod:`gradtrio.oracles.bounded` (where the bound is explained), importable from here as before.
"""

from __future__ import annotations

from .oracles.bounded import (  # noqa: F401  (re-exported: their home was here)
    BATCH,
    SCHEMES,
    BoundedGradient,
    bounded_difference,
)

__all__ = ["BoundedGradient", "bounded_difference"]
