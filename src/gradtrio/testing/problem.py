"""The problem every gradient method takes: ``(thetas, X, Y, lam)`` as one named tuple."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Problem"]


class Problem(NamedTuple):
    """One problem: the arguments of every ``cost_and_grad``, unpacked as ``thetas, X, Y, lam = problem``.

    Attributes
    ----------
    thetas : list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, the bias in column 0.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, s_L), one-hot
    lam : float
    """

    thetas: list[np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    lam: float

    @property
    def sizes(self) -> tuple[int, ...]:
        """The layer sizes ``(s_1, ..., s_L)``."""
        return (self.X.shape[1],) + tuple(t.shape[0] for t in self.thetas)

    @property
    def m(self) -> int:
        """The number of examples."""
        return self.X.shape[0]

    def __repr__(self) -> str:  # short, for Hypothesis' "Falsifying example"
        w = max(float(np.abs(t).max()) for t in self.thetas)
        return (f"Problem(sizes={self.sizes}, m={self.m}, lam={self.lam!r}, dtype={self.X.dtype}, "
                f"max|Θ|={w:.3g}, max|X|={float(np.abs(self.X).max()):.3g})")
