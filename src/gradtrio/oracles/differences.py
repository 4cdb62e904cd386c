"""Finite-difference gradients, one coordinate at a time or many per call, and Richardson's extrapolation.

These estimate the gradient; they carry no error bound of their own (:func:`gradtrio.oracles.bounded_difference`
measures one). The divisor of every difference is the step actually taken in the dtype
(``fl(θ_i + h) − fl(θ_i − h)``), not ``2h``, which removes the representation error of the step (it matters
in float32).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._compat import estimator_order, legacy
from .function import Function, as_function, as_theta
from .steps import check_step_taken, checked_step

__all__ = ["numerical_gradient", "numerical_gradient_batched", "richardson"]

#: Coordinates per call of :func:`numerical_gradient_batched` when neither the call nor ``f`` says.
BATCHED_DEFAULT = 128

_OLD = {"eps": "h", "J": "f", "J_batch": "f"}


@legacy(("f", "theta", "h"), estimator_order, "(J, theta, eps)", _OLD)
def numerical_gradient(
    f: Callable[[np.ndarray], float] | Function,
    grad: Any,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | None = 0,
    scheme: str = "central",
) -> np.ndarray:
    """Finite-difference gradient, one coordinate at a time (the course's ``computeNumericalGradient``).

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` for a vector of shape ``(n,)``. It receives a work array that is
        modified between calls: it must not keep a reference to it.
    grad : None
        Not read (this oracle estimates the gradient); the slot gives every oracle one signature.
    theta : array_like of shape (n,)
        float32 stays float32 (f is then evaluated in float32); anything else is float64.
    h : float, optional
        The step; by default :func:`gradtrio.oracles.default_step` of ``scheme`` and the dtype.
    seed : int, optional
        Not read (no randomness); in the signature so that every oracle is called alike.
    scheme : {"central", "forward"}
        Central: ``(f(θ+h e_i) - f(θ-h e_i)) / 2h``, 2n evaluations. Forward:
        ``(f(θ+h e_i) - f(θ)) / h``, n+1 evaluations.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    value = as_function(f).value
    work = as_theta(theta)
    if scheme not in ("central", "forward"):
        raise ValueError(f"scheme must be 'central' or 'forward'; got {scheme!r}")
    h = checked_step(h, scheme, work.dtype)
    out = np.empty(work.size, dtype=np.float64)
    J0 = float(value(work)) if scheme == "forward" else 0.0
    for i in range(work.size):
        t = work[i]
        work[i] = t + h
        tp = work[i]
        Jp = float(value(work))
        if scheme == "central":
            work[i] = t - h
            tm = work[i]
            Jm = float(value(work))
        else:
            tm, Jm = t, J0
        work[i] = t
        check_step_taken(work, tp, tm, h)
        out[i] = (Jp - Jm) / (float(tp) - float(tm))
    return out


def _perturbed(theta: np.ndarray, idx: np.ndarray, h: float, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` copies of theta; row r < len(idx) moved by +h along coordinate idx[r], the rest unmoved.

    Returns the matrix and the perturbed values actually stored (for the exact step)."""
    P = np.repeat(theta[None, :], rows, axis=0)
    r = np.arange(idx.size)
    P[r, idx] += np.asarray(h, dtype=theta.dtype)
    return P, P[r, idx].astype(np.float64)


@legacy(("f", "theta", "h", "batch_size"), estimator_order, "(J_batch, theta, eps, batch_size)", _OLD)
def numerical_gradient_batched(
    f: Callable[[np.ndarray], np.ndarray] | Function,
    grad: Any,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | None = 0,
    batch_size: int | None = None,
) -> np.ndarray:
    """Central-difference gradient, evaluating many perturbations per call.

    The same numbers as :func:`numerical_gradient` (up to the rounding of f), but each call of ``f``
    receives ``2·batch_size`` perturbed vectors (``+h`` then ``-h``), so a vectorized cost
    (:func:`gradtrio.model.closures.cost_batch_fn`: ``jit(vmap(cost))``) does the work in a few big calls
    instead of 2n Python-level ones. The last chunk is padded with unperturbed copies so that every call
    has the same shape (no recompilation).

    Parameters
    ----------
    f : callable or Function
        Maps an array of shape ``(B, n)`` (one parameter vector a row) to costs of shape ``(B,)``.
    grad : None
        Not read (see :func:`numerical_gradient`).
    theta : array_like of shape (n,)
    h : float, optional
        The step; by default ``default_step("central", dtype)``.
    seed : int, optional
        Not read (no randomness).
    batch_size : int, optional
        Coordinates per call; by default ``f``'s ``batch_size`` if it has one, else
        :data:`BATCHED_DEFAULT`. The best size depends on the machine and the problem:
        ``python -m benchmarks.fd_batch_sweep`` measures it.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    fn = as_function(f)
    theta = as_theta(theta)
    n = theta.size
    h = checked_step(h, "central", theta.dtype)
    B = (fn.batch_size or BATCHED_DEFAULT) if batch_size is None else batch_size
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < 1:
        raise ValueError(f"batch_size must be a positive integer; got {B!r}")
    B = int(min(B, n))
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, B):
        idx = np.arange(start, min(start + B, n))
        Pp, tp = _perturbed(theta, idx, h, B)
        Pm, tm = _perturbed(theta, idx, -h, B)
        check_step_taken(theta, tp, tm, h)
        costs = np.asarray(fn.value(np.concatenate([Pp, Pm])), dtype=np.float64)
        if costs.shape != (2 * B,):
            raise ValueError(f"f must return one cost per row, shape ({2 * B},); got {costs.shape}")
        out[idx] = (costs[: idx.size] - costs[B : B + idx.size]) / (tp - tm)
    return out


@legacy(("f", "theta", "h"), estimator_order, "(J, theta, eps)", _OLD)
def richardson(
    f: Callable[[np.ndarray], float] | Function,
    grad: Any,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Richardson-extrapolated central differences and an estimate of the truncation error.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float``.
    grad : None
        Not read (see :func:`numerical_gradient`).
    theta : array_like of shape (n,)
    h : float, optional
        The larger step h (the other is h/2); by default ``default_step("central", dtype)``.
    seed : int, optional
        Not read (no randomness).

    Returns
    -------
    grad : ndarray of shape (n,)
        ``(4 D(h/2) - D(h)) / 3``: the h² term cancels, leaving O(h⁴) truncation.
    error : ndarray of shape (n,)
        ``|D(h) - D(h/2)|``, which is ``(3/4) h² |J'''| / 6`` plus rounding: three quarters of the
        truncation error of plain central differences at step h.
    """
    theta = as_theta(theta)
    h = checked_step(h, "richardson", theta.dtype)
    D1 = numerical_gradient(f, None, theta, h=h)
    D2 = numerical_gradient(f, None, theta, h=h / 2)
    return (4 * D2 - D1) / 3, np.abs(D1 - D2)
