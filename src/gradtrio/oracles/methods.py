"""The one table that picks a numerical gradient by name.

:data:`NUMERICAL_METHODS` maps each name to its oracle, its default step and what it needs of ``f``;
:func:`estimate` computes a gradient by name, :func:`measure` a gradient with a per-entry error bound.
:func:`gradtrio.check.compare`, :func:`gradtrio.finite_diff.gradient` and the step-size study all go
through them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..tolerances import GRAD_ROUND_SAFETY
from .bounded import BoundedGradient, bounded_difference
from .complex_step import complex_step_gradient
from .differences import numerical_gradient, numerical_gradient_batched, richardson
from .function import Function, as_function, as_theta
from .steps import checked_step

__all__ = ["NumericalMethod", "NUMERICAL_METHODS", "numerical_method", "estimate", "measure"]


@dataclass(frozen=True)
class NumericalMethod:
    """One numerical gradient: how it is computed and what it needs.

    Attributes
    ----------
    name : str
    step : str
        The :func:`gradtrio.oracles.default_step` method its step ``h`` defaults to.
    scheme : str or None
        The :func:`gradtrio.oracles.bounded_difference` scheme that measures its error; None for the
        complex step, which takes no difference and is exact to rounding (its error is the analytic one).
    batched : bool
        It needs a batched ``f`` (``(B, n) -> (B,)``).
    complex : bool
        It needs a complex-safe ``f``.
    oracle : callable
        ``oracle(f, grad, theta, *, h=None, seed=0, **options) -> ndarray of shape (n,)``.
    """

    name: str
    step: str
    scheme: str | None
    batched: bool
    complex: bool
    oracle: Callable[..., np.ndarray]


def _richardson_gradient(f: Any, grad: Any, theta: ArrayLike, **options: Any) -> np.ndarray:
    return richardson(f, grad, theta, **options)[0]


#: Every numerical gradient by name.
NUMERICAL_METHODS: dict[str, NumericalMethod] = {
    m.name: m for m in (
        NumericalMethod("central", "central", "central", False, False,
                        functools.partial(numerical_gradient, scheme="central")),
        NumericalMethod("forward", "forward", "forward", False, False,
                        functools.partial(numerical_gradient, scheme="forward")),
        NumericalMethod("richardson", "richardson", "richardson", False, False, _richardson_gradient),
        NumericalMethod("complex", "complex", None, False, True, complex_step_gradient),
        NumericalMethod("batched", "central", "central", True, False, numerical_gradient_batched),
    )
}


def numerical_method(name: str) -> NumericalMethod:
    """The entry of :data:`NUMERICAL_METHODS` called ``name`` (a ValueError lists the names otherwise)."""
    try:
        return NUMERICAL_METHODS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in NUMERICAL_METHODS)
        raise ValueError(f"method must be one of {known}; got {name!r}") from None


def _usable(method: NumericalMethod, f: Callable[[np.ndarray], Any] | Function) -> Function:
    fn = as_function(f)
    if method.batched and not fn.batched:
        raise ValueError(f"method {method.name!r} needs a batched f, mapping (B, n) to (B,) "
                         "(a Function with batched=True, or a callable with .batched = True)")
    return fn


def estimate(method: str, f: Callable[[np.ndarray], Any] | Function, theta: ArrayLike, *,
             h: float | None = None, seed: int | None = 0, **options: Any) -> np.ndarray:
    """The numerical gradient of ``f`` at ``theta`` by the method called ``method``.

    Parameters
    ----------
    method : str
        A key of :data:`NUMERICAL_METHODS`.
    f : callable or Function
    theta : array_like of shape (n,)
    h : float, optional
        The step; by default the method's :func:`gradtrio.oracles.default_step`.
    seed : int, optional
    **options
        Passed to the oracle (``cross_check``, ``batch_size``, ...).

    Returns
    -------
    ndarray of shape (n,), float64
    """
    m = numerical_method(method)
    return m.oracle(_usable(m, f), None, theta, h=h, seed=seed, **options)


def measure(method: str, f: Callable[[np.ndarray], Any] | Function, theta: ArrayLike, *,
            h: float | None = None, seed: int = 0, noise_floor: float = 0.0,
            step_scale: ArrayLike | None = None, exact_error: ArrayLike | None = None) -> BoundedGradient:
    """The numerical gradient by ``method`` and a bound on each entry's error, measured on ``f``.

    Parameters
    ----------
    method : str
        A key of :data:`NUMERICAL_METHODS`.
    f : callable or Function
    theta : array_like of shape (n,)
    h, seed, noise_floor, step_scale
        As in :func:`gradtrio.oracles.bounded_difference` (for the complex step: its cross-check's).
    exact_error : array_like of shape (n,), optional
        The complex step's error bound, the rounding of an analytic gradient (gradtrio's own problems:
        ``ANALYTIC_SAFETY·ε·G`` of :mod:`gradtrio.rounding`); by default ``GRAD_ROUND_SAFETY·ε·max(|g|, 1)``.

    Returns
    -------
    BoundedGradient
        For the complex step: ``error`` is ``exact_error``, no truncation, and one evaluation per entry.
    """
    m = numerical_method(method)
    fn = _usable(m, f)
    if m.scheme is not None:
        return bounded_difference(fn, None, theta, h=h, seed=seed, scheme=m.scheme, step_scale=step_scale,
                                  noise_floor=noise_floor)
    theta = as_theta(theta)
    g = complex_step_gradient(fn, None, theta, h=h, noise_floor=noise_floor, step_scale=step_scale)
    eps = float(np.finfo(theta.dtype).eps)
    error = (GRAD_ROUND_SAFETY * eps * np.maximum(np.abs(g), 1.0) if exact_error is None
             else np.asarray(exact_error, dtype=np.float64))
    if error.shape != g.shape:
        raise ValueError(f"exact_error must have the shape of theta, {g.shape}; got {error.shape}")
    zeros = np.zeros(g.size)
    return BoundedGradient(g, error, error, zeros, np.full(g.size, checked_step(h, "complex", theta.dtype)),
                           float(noise_floor), g.size)
