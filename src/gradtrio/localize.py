"""Find a wrong gradient entry with O(log N) cost evaluations, and bound every entry's error.

The names of :mod:`gradtrio.oracles.bisection`, :mod:`gradtrio.oracles.entries`,
:mod:`gradtrio.oracles.probes` and :mod:`gradtrio.oracles.noise`, importable from here as before, and
:func:`problem_functions`, which turns a network problem into the flat function and gradient they check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .network import unroll
from .oracles.bisection import LocalizeResult, localize
from .oracles.entries import EntryBounds, entry_bounds
from .oracles.noise import (  # noqa: F401  (re-exported: their home was here)
    NOISE_ORDER,
    NOISE_POINTS,
    NOISE_RETRIES,
    NOISE_SPACING,
    NOISE_WIDEN,
    estimate_noise,
)
from .oracles.probes import ProbeRecord, Suspect, suspect_at

__all__ = [
    "Suspect",
    "ProbeRecord",
    "LocalizeResult",
    "EntryBounds",
    "estimate_noise",
    "suspect_at",
    "localize",
    "entry_bounds",
    "problem_functions",
]


def problem_functions(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    *,
    backward: Callable | None = None,
    cost: Callable | None = None,
) -> tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray, tuple[int, ...]]:
    """The flat ``(cost_fn, grad, theta, sizes)`` of a network problem, ready for :func:`localize`
    (``localize(cost_fn, grad, theta, sizes=sizes)``).

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``; their dtype (with ``X``'s) is the precision.
    X : array_like of shape (m, s_1)
    Y : array_like of shape (m, K), one-hot
    lam : float
    backward : callable, optional
        A function with the signature of :func:`gradtrio.backprop.cost_and_grad` (default: that
        one); it supplies both the cost and the gradient under test, so a bug in either shows.

    Returns
    -------
    cost_fn : callable
        ``cost_fn(vector) -> float``, the cost of ``backward`` at ``roll(vector, sizes)``.
    grad : ndarray of shape (n,)
        ``unroll`` of ``backward``'s gradient at ``thetas``.
    theta : ndarray of shape (n,)
        ``unroll(thetas)``.
    sizes : tuple of int
    """
    from . import backprop
    from .network import roll, sizes_of

    backward = backprop.cost_and_grad if backward is None else backward
    sizes = sizes_of(thetas)
    _, grads = backward(thetas, X, Y, lam)

    def cost_fn(vector: np.ndarray) -> float:
        thetas_v = roll(vector, sizes)
        return float(cost(thetas_v, X, Y, lam) if cost is not None else backward(thetas_v, X, Y, lam)[0])

    return cost_fn, unroll(grads), unroll(thetas), sizes
