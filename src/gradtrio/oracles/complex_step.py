"""The complex-step gradient ``∂f/∂θ_i = Im f(θ + i h e_i) / h``, and its first-use cross-check.

No difference is taken, so there is no subtractive cancellation and ``h`` can be tiny (1e-20): the
truncation ``h² |f'''| / 6`` vanishes below rounding and the result is exact to about ``ε·|∂f/∂θ_i|``. It
needs a cost that is *complex-safe* (analytic in θ); one that is not loses the imaginary part somewhere
and gives wrong gradients silently, which is why the first use of a cost is cross-checked against
central differences whose error is measured.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..tolerances import GRAD_ROUND_SAFETY, ROUND_SAFETY, TRUNC_SAFETY
from ._compat import estimator_order, legacy
from .function import Function, as_function, as_theta
from .noise import estimate_noise, noise_level
from .steps import checked_step, default_step, rms_step

__all__ = ["ComplexStepError", "complex_step_gradient", "UNSAFE_REL", "TRUNCATION_SHRINK"]

#: NumPy >= 1.25 keeps it in numpy.exceptions; older NumPy at the top level.
_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning


class ComplexStepError(ValueError):
    """The cost cannot be differentiated by the complex step (it is not complex-safe)."""


# Costs already cross-checked by complex_step_gradient (weak, so that closures can be collected).
_COMPLEX_SAFE: weakref.WeakSet = weakref.WeakSet()

_UNSAFE_HINT = (
    "the complex step needs a cost that is analytic in theta: no abs(), float(), .real, "
    ".astype(float), np.maximum/comparisons on the values, or writes into real arrays "
    "(gradtrio.finite_diff.complex_cost_fn is a complex-safe cost of the sigmoid network; use "
    "numerical_gradient for other costs)"
)

#: A cost that is not complex-safe loses the imaginary part somewhere, and its complex-step derivative
#: is off by O(1) of the derivative (an ``abs`` gave 0.45 relative error in a measured case, a
#: ``float()`` gives exactly 0). The cross-check blames the cost only beyond this relative gap as well
#: as beyond the central difference's measured bound: a cost evaluated with internal cancellation
#: (softplus(z) − z at large z rounds to multiples of ε·|z|) can have a measured noise far below its
#: real one, and the gap it then shows (2e-6 relative, found by Hypothesis) is rounding, not unsafety.
UNSAFE_REL = 1e-3
#: In the asymptotic range, |D(h) − D(h/2)| ≈ |D(2h) − D(h)| / 4; above half of it (plus rounding) the
#: cross-check's steps are beyond the expansion and that direction is skipped.
TRUNCATION_SHRINK = 0.5


def _call_complex(J: Callable, V: np.ndarray) -> Any:
    """Call J on complex input, turning the ways a cost drops the imaginary part into ComplexStepError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", _ComplexWarning)
            out = J(V)
    except _ComplexWarning as exc:
        raise ComplexStepError(f"the cost discarded an imaginary part ({exc}); {_UNSAFE_HINT}") from None
    except TypeError as exc:
        raise ComplexStepError(f"the cost refused a complex input ({exc}); {_UNSAFE_HINT}") from None
    arr = np.asarray(out)
    if arr.dtype.kind != "c":
        raise ComplexStepError(f"the cost returned a real {type(out).__name__} for a complex input; {_UNSAFE_HINT}")
    return arr


def _complex_dtype(theta: np.ndarray) -> type:
    return np.complex64 if theta.dtype == np.float32 else np.complex128


def _central_along(real_cost: Callable, theta: np.ndarray, v: np.ndarray, hc: float, d_cs: float,
                   Jc: Any) -> list[float]:
    """Central differences along ``v`` at steps hc, 2hc and hc/2 (refusing a cost that is not finite)."""
    D = []
    for step in (hc, 2 * hc, hc / 2):
        Jp, Jm = real_cost(theta + step * v), real_cost(theta - step * v)
        if not all(np.isfinite([d_cs, Jp, Jm, float(Jc.real)])):
            raise FloatingPointError(
                f"the cost is not finite near theta (J = {complex(Jc)!r}, J(θ±h·v) = {Jp!r}, {Jm!r}): "
                "no derivative can be checked there")
        D.append((Jp - Jm) / (2 * step))
    return D


def _direction_agrees(d_cs: float, D: list[float], sigma: float, hc: float, eps: float, J0: float) -> None:
    """Raise ComplexStepError when the complex-step derivative ``d_cs`` is beyond the central one's bound."""
    if abs(D[0] - D[2]) > TRUNCATION_SHRINK * abs(D[1] - D[0]) + ROUND_SAFETY * sigma / hc:
        # In the range of the expansion, halving the step divides the truncation by 4; when it does
        # not (weights of 1e4 in float32, Hypothesis), the central side is no evidence either way.
        return
    if D[0] == 0 and D[1] == 0 and sigma <= eps * abs(J0):
        # f did not move at all along v, and its measured noise is nil: the cost is flat to its
        # last bit here (e.g. softplus(z) − z for saturated z, which rounds to multiples of ε·|z|),
        # so the central side cannot bound anything. Such a direction is no evidence either way.
        return
    d_cd = D[0]
    allowed = (ROUND_SAFETY * sigma / hc + TRUNC_SAFETY * abs(D[0] - D[1]) / 3
               + GRAD_ROUND_SAFETY * eps * abs(d_cs))
    gap = abs(d_cs - d_cd)
    if not (gap <= allowed or gap <= UNSAFE_REL * max(abs(d_cs), abs(d_cd))):
        raise ComplexStepError(
            f"complex-step and central-difference directional derivatives disagree: {d_cs:.6g} vs "
            f"{d_cd:.6g} (|difference| {abs(d_cs - d_cd):.3g} > {allowed:.3g}, the central difference's "
            f"measured error bound); {_UNSAFE_HINT}"
        )


def _cross_check_complex(J: Callable, theta: np.ndarray, h: float, directions: int = 2,
                         noise_floor: float = 0.0, step_scale: np.ndarray | None = None) -> None:
    """Compare complex-step and central directional derivatives along random directions (first use).

    The central difference's error is measured, not assumed: truncation from a second step
    (``|D(hc) − D(2hc)| / 3``) and rounding from the cost's noise σ measured along a random line
    (:func:`gradtrio.oracles.estimate_noise`), each times its safety factor. A cost that drops the
    imaginary part somewhere is off by O(1) of the derivative, far beyond that.
    """
    cdtype = _complex_dtype(theta)
    rng = np.random.default_rng(0)
    hc = rms_step(checked_step(None, "central", theta.dtype), step_scale)
    eps = float(np.finfo(theta.dtype).eps)

    def real_cost(v: np.ndarray) -> float:
        return float(_call_complex(J, v.astype(cdtype)).real)

    J0 = real_cost(theta)
    if not np.isfinite(J0):
        raise FloatingPointError(f"the cost is not finite near theta (J = {J0!r}): no derivative can be checked there")
    sigma = noise_level(estimate_noise(real_cost, theta, seed=rng), J0, theta.dtype, noise_floor)
    for _ in range(directions):
        v = rng.standard_normal(theta.size)
        v /= np.linalg.norm(v)
        Jc = _call_complex(J, (theta + 1j * h * v).astype(cdtype))
        d_cs = float(Jc.imag) / h
        D = _central_along(real_cost, theta, v, hc, d_cs, Jc)
        _direction_agrees(d_cs, D, sigma, hc, eps, J0)


def _checked_once(fn: Function, theta: np.ndarray, h: float, noise_floor: float, step_scale: Any) -> None:
    """Cross-check ``fn`` unless it is declared complex-safe or was checked before (by identity)."""
    if fn.complex_safe:
        return
    try:
        known = fn.value in _COMPLEX_SAFE
    except TypeError:  # not weak-referenceable: check every time
        known = False
    if known:
        return
    _cross_check_complex(fn.value, theta, h, noise_floor=noise_floor,
                         step_scale=None if step_scale is None else np.asarray(step_scale, dtype=float))
    try:
        _COMPLEX_SAFE.add(fn.value)
    except TypeError:
        pass


def _complex_step_h(h: float | None, theta: np.ndarray) -> float:
    h = checked_step(h, "complex", theta.dtype)
    fi = np.finfo(theta.dtype)
    if h < fi.tiny / fi.eps:  # below this, h·v lands among subnormals and loses its significant digits
        raise ValueError(
            f"the complex step h={h:g} underflows in {theta.dtype}: the imaginary parts h·v would be "
            f"subnormal and lose precision; use h >= {fi.tiny / fi.eps:.1g} "
            f"(the default is {default_step('complex', theta.dtype):g})")
    return h


@legacy(("f", "theta", "h"), estimator_order, "(J, theta, h)", {"J": "f"})
def complex_step_gradient(
    f: Callable[[np.ndarray], Any] | Function,
    grad: Any,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | None = 0,
    cross_check: bool = True,
    batch_size: int = 32,
    noise_floor: float = 0.0,
    step_scale: ArrayLike | None = None,
) -> np.ndarray:
    """Complex-step gradient ``∂f/∂θ_i = Im f(θ + i h e_i) / h``: exact to rounding.

    Parameters
    ----------
    f : callable or Function
        A complex-safe cost (e.g. :func:`gradtrio.model.closures.complex_cost_fn`): ``f(vector)`` for a
        complex vector of shape ``(n,)``. If ``f`` is batched, it is called with ``(B, n)`` arrays of
        perturbations.
    grad : None
        Not read (this oracle estimates the gradient); the slot gives every oracle one signature.
    theta : array_like of shape (n,)
        Real; float32 is evaluated in complex64, anything else in complex128.
    h : float, optional
        The imaginary step; by default :data:`gradtrio.oracles.COMPLEX_STEP` of the dtype (1e-20 in float64).
    seed : int, optional
        Not read (the cross-check's directions are fixed, so that a cost's verdict does not depend on
        the call).
    cross_check : bool, default True
        The first time a cost is used (unless it is a :class:`Function` declared ``complex_safe``),
        compare its complex-step directional derivatives with central differences along two random
        directions (27 evaluations: θ, the 12-point noise measurement, and steps h, 2h and h/2) and raise
        :class:`ComplexStepError` if they disagree beyond the central difference's measured error bound
        and by more than :data:`UNSAFE_REL` relative: costs that silently drop the imaginary part (an
        ``abs``, a ``float()``) otherwise give wrong gradients with no warning.
    batch_size : int, default 32
        Coordinates per call when ``f`` is batched: small enough that the ``(B, m, units)`` complex
        activations stay in the caches (``python -m benchmarks`` measures the complex step at this size).
    noise_floor : float, default 0
        The least noise assumed for f in the cross-check (gradtrio's own cost: ``ε·S_J`` of
        :func:`gradtrio.rounding.rounding_scales`).
    step_scale : array_like of shape (n,), optional
        The cross-check's central step is divided by its root mean square (gradtrio's own cost: the
        sensitivity of :func:`gradtrio.rounding.rounding_scales`).

    Returns
    -------
    ndarray of shape (n,), float64

    Raises
    ------
    ComplexStepError
        If f refuses complex input, returns a real value, raises a ComplexWarning, or fails the
        cross-check.
    """
    fn = as_function(f)
    theta = as_theta(theta)
    h = _complex_step_h(h, theta)
    cdtype = _complex_dtype(theta)
    if cross_check:
        _checked_once(fn, theta, h, noise_floor, step_scale)
    n = theta.size
    if fn.coordinate_complex is not None:  # the cost's own complex step of every coordinate
        return np.asarray(fn.coordinate_complex(np.arange(n), h), dtype=np.float64)
    out = np.empty(n, dtype=np.float64)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if fn.batched:
        B = int(min(batch_size, n))
        for start in range(0, n, B):
            idx = np.arange(start, min(start + B, n))
            P: np.ndarray = np.repeat(theta[None, :].astype(cdtype), idx.size, axis=0)
            P[np.arange(idx.size), idx] += 1j * h
            out[idx] = _call_complex(fn.value, P).imag / h
        return out
    work: np.ndarray = theta.astype(cdtype)
    for i in range(n):
        t = work[i]
        work[i] = t + 1j * h
        out[i] = float(_call_complex(fn.value, work).imag) / h
        work[i] = t
    return out
