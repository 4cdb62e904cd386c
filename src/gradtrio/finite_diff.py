"""Numerical derivatives of the cost: the third of the three gradients.

The black-box differentiators live in :mod:`gradtrio.oracles` (the error model of each method is written
there); this module keeps their names where they have always been importable from, the network's cost
closures of :mod:`gradtrio.model.closures` beside them, and :func:`gradient`, the DESIGN's signature for a
cost of a list of matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._deprecate import renamed_keyword
from .model.closures import (  # noqa: F401  (re-exported: their home was here)
    BATCH_NUMBERS,
    complex_cost_fn,
    complex_sigmoid,
    complex_sigmoid_softplus,
    complex_softplus,
    cost_batch_fn,
    cost_fn,
)
from .network import roll, unroll
from .oracles import (  # noqa: F401  (re-exported: their home was here)
    CENTRAL_SCALE,
    COMPLEX_STEP,
    FORWARD_SCALE,
    ComplexStepError,
    DirectionalResult,
    complex_step_gradient,
    default_step,
    directional_check,
    estimate,
    numerical_gradient,
    numerical_gradient_batched,
    richardson,
)
from .oracles.complex_step import TRUNCATION_SHRINK, UNSAFE_REL  # noqa: F401  (re-exported)

__all__ = [
    "COMPLEX_STEP",
    "default_step",
    "numerical_gradient",
    "numerical_gradient_batched",
    "richardson",
    "cost_fn",
    "cost_batch_fn",
    "complex_cost_fn",
    "complex_step_gradient",
    "ComplexStepError",
    "DirectionalResult",
    "directional_check",
    "gradient",
]


def gradient(
    cost_fn: Callable[[list[np.ndarray]], Any],
    thetas: Sequence[ArrayLike],
    method: str = "central",
    *,
    h: float | None = None,
    **kw: Any,
) -> list[np.ndarray]:
    """Numerical gradient of a cost of a list of matrices, with the structure of ``thetas``.

    The signature of DESIGN.md: ``grads = gradtrio.finite_diff.gradient(cost_fn, thetas)``.

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(thetas) -> float`` (complex-safe for ``method="complex"``), e.g.
        ``lambda th: gradtrio.backprop.cost(th, X, Y, lam)``.
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    method : {"central", "forward", "complex", "richardson"}
        A name of :data:`gradtrio.oracles.NUMERICAL_METHODS` whose oracle takes a plain cost.
    h : float, optional
        The step; by default the method's :func:`gradtrio.oracles.default_step`.
    **kw
        Passed on to the oracle (``cross_check`` for the complex step).

    Returns
    -------
    list of ndarray
        ``grads[l]`` of the shape of ``thetas[l]``, float64.
    """
    from .network import sizes_of

    h = renamed_keyword(kw, "eps", "h", h, "gradtrio.finite_diff.gradient")
    mats = [np.asarray(t) for t in thetas]
    sizes = sizes_of(mats)

    def J(v: np.ndarray) -> Any:
        return cost_fn(roll(v, sizes))

    flat = estimate(method, J, unroll(mats), h=h, **kw)
    return [np.array(t) for t in roll(flat, sizes)]
