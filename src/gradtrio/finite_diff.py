"""Numerical derivatives of the cost: the third of the three gradients.

Every function here differentiates a black-box cost ``J`` of one flat parameter vector (the layout
of :func:`gradtrio.network.unroll`); :func:`gradient` wraps them for a cost of a list of matrices.

How each method's error follows from its step
---------------------------------------------
ε is the machine epsilon of the dtype, ``np.finfo(dtype).eps``; the a-priori tolerances in
:mod:`gradtrio.tolerances` are built from these.

- **Central differences** ``(J(θ+h e_i) - J(θ-h e_i)) / 2h``: truncation ``h² |J'''| / 6`` plus
  rounding ``≈ ε |J| / h`` (each evaluation of J is wrong by about ε|J|, and the difference is
  divided by 2h). The sum is smallest at ``h* = (3 ε |J| / |J'''|)^(1/3) ∝ ε^(1/3)``, where the error is
  ``∝ ε^(2/3)``: about 4e-11 in float64 and 2e-5 in float32 (times the scale of J). One fixed
  step for every dtype (1e-4, the course's) is fine in float64 but wrong in float32, which is why
  :func:`default_step` derives the step from the dtype.
- **Forward differences** ``(J(θ+h e_i) - J(θ)) / h``: truncation ``h |J''| / 2`` plus rounding
  ``≈ 2 ε |J| / h``; optimum ``h ∝ ε^(1/2)``, error ``∝ ε^(1/2)`` (1.5e-8 in float64).
- **Complex step** ``Im J(θ + i h e_i) / h``: no difference is taken, so there is no subtractive
  cancellation and h can be tiny (1e-20): the truncation ``h² |J'''| / 6`` vanishes below rounding
  and the result is exact to about ``ε·|∂J/∂θ_i|``. It needs a cost that is *complex-safe* (analytic in
  θ: no ``abs``, ``float()``, ``.real``, ``.astype(float)`` or writes into real arrays).
  :func:`complex_cost_fn` is one for the sigmoid network, and :func:`complex_step_gradient`
  cross-checks a new cost against a loose central difference before trusting it.
- **Richardson** (:func:`richardson`): central differences at h and h/2 combined as
  ``(4 D(h/2) - D(h)) / 3`` cancel the h² term; ``|D(h) - D(h/2)| = (3/4) c h²`` estimates the
  truncation error ``c h²`` of D(h) (three quarters of it; three times that of D(h/2)).
- **Directional check** (:func:`directional_check`): ``gᵀv`` against a central difference along k
  random unit directions v — 4k evaluations (steps h and 2h) however many parameters there are;
  each direction gets its own error bound: rounding ``σ/h`` with σ the cost's noise *measured* at θ
  (never ``ε|J|``, which a well-fitted network makes tiny while its terms stay large), plus the
  truncation estimated from the two steps.

Numerical gradients that carry a measured per-entry error bound are in :mod:`gradtrio.measured`.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

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
from .tolerances import BUG_SIZE, judged

#: NumPy >= 1.25 keeps it in numpy.exceptions; older NumPy at the top level.
_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning

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

#: Complex-step sizes by real dtype. Any h works as long as ``h² |J'''|`` is far below ε (truncation
#: vanishes: h² = 1e-40 ≪ 2.2e-16 in float64, 1e-20 ≪ 1.2e-7 in float32) and ``h·|∂J/∂θ|`` stays far
#: above the smallest normal number (2.2e-308 in float64, 1.2e-38 in float32), so the imaginary part
#: does not underflow. 1e-20 is the customary float64 choice (MyGrad, Martins et al. 2003).
COMPLEX_STEP = {np.dtype(np.float64): 1e-20, np.dtype(np.float32): 1e-10}

#: Central step = CENTRAL_SCALE · ε^(1/3): 3.0e-5 in float64, 2.5e-2 in float32. The optimum is
#: (3 ε |J| / |J'''|)^(1/3), and for the sigmoid network |J| / |J'''| is large (J''' is damped by
#: g''' <= 1/8 and by small weights), so the optimum sits above ε^(1/3). Measured against the
#: complex step (float64 and float32, the 3-5-3 debug problem and random 2-5 layer nets with weights
#: in ±2, λ up to 10): factors 1, 2, 5, 10, 30 gave worst relative errors 4e-10, 2e-10, 1e-10, 2e-10,
#: 2e-9 in float64 and 2e-4, 1e-4, 5e-5, 1e-4, 1e-3 in float32; 5 is best in both.
CENTRAL_SCALE = 5.0

#: Forward step = FORWARD_SCALE · ε^(1/2) (optimum 2 (ε |J| / |J''|)^(1/2)): 1.5e-8 in float64.
FORWARD_SCALE = 1.0

class ComplexStepError(ValueError):
    """The cost cannot be differentiated by the complex step (it is not complex-safe)."""


def _real_dtype(theta: np.ndarray) -> np.dtype:
    return np.dtype(np.float32) if theta.dtype == np.float32 else np.dtype(np.float64)


def default_step(method: str, dtype: DTypeLike = np.float64) -> float:
    """The finite-difference step for a method, derived from the dtype's machine epsilon.

    Parameters
    ----------
    method : {"central", "forward", "complex", "richardson"}
        ``"richardson"`` uses the central step (and half of it).
    dtype : numpy dtype, default float64
        The precision J is evaluated in (float64 or float32; complex dtypes map to their real part).

    Returns
    -------
    float
        central ``5 ε^(1/3)`` (3.0e-5 float64, 2.5e-2 float32); forward ``ε^(1/2)`` (1.5e-8, 3.5e-4);
        complex :data:`COMPLEX_STEP` (1e-20, 1e-10). See the module docstring for why.
    """
    dt = np.dtype(dtype)
    if dt.kind == "c":
        dt = np.dtype(np.float32) if dt == np.complex64 else np.dtype(np.float64)
    if dt.kind != "f":
        dt = np.dtype(np.float64)
    if dt not in COMPLEX_STEP:  # float16 / longdouble: use float64's rules
        dt = np.dtype(np.float64) if dt.itemsize > 4 else np.dtype(np.float32)
    eps = float(np.finfo(dt).eps)
    if method in ("central", "richardson"):
        return CENTRAL_SCALE * eps ** (1 / 3)
    if method == "forward":
        return FORWARD_SCALE * eps**0.5
    if method == "complex":
        return COMPLEX_STEP[dt]
    raise ValueError(f"method must be 'central', 'forward', 'complex' or 'richardson'; got {method!r}")


def _as_theta(theta: ArrayLike) -> np.ndarray:
    """A copy of ``theta`` as a 1-D float32/float64 vector, with an actionable error otherwise."""
    arr = np.asarray(theta)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"theta must be a real numeric vector; got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(
            f"theta must be a 1-D parameter vector (use gradtrio.network.unroll); got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("theta must be finite")
    return arr.astype(_real_dtype(arr), copy=True)


def _step(h: float | None, method: str, dtype: np.dtype) -> float:
    h = default_step(method, dtype) if h is None else float(h)
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"the step must be a positive finite number; got {h!r}")
    return h


def _check_step_taken(theta: np.ndarray, tp: Any, tm: Any, h: float) -> None:
    """Refuse a step so small that ``θ ± h`` rounds back to ``θ`` (the difference would be 0/0)."""
    if np.any(np.asarray(tp) == np.asarray(tm)):
        raise ValueError(
            f"the step h={h:g} is below the resolution of {theta.dtype} at |theta| up to "
            f"{float(np.max(np.abs(theta))):.3g}: theta + h rounds back to theta; use a larger step "
            f"(default_step gives {default_step('central', theta.dtype):.3g})"
        )


def numerical_gradient(
    J: Callable[[np.ndarray], float],
    theta: ArrayLike,
    eps: float | None = None,
    *,
    scheme: str = "central",
) -> np.ndarray:
    """Finite-difference gradient, one coordinate at a time (the course's ``computeNumericalGradient``).

    Parameters
    ----------
    J : callable
        ``J(theta) -> float`` for a vector of shape ``(n,)``. It receives a work array that is
        modified between calls: it must not keep a reference to it.
    theta : array_like of shape (n,)
        float32 stays float32 (J is then evaluated in float32); anything else is float64.
    eps : float, optional
        The step; by default :func:`default_step` of ``scheme`` and the dtype.
    scheme : {"central", "forward"}
        Central: ``(J(θ+h e_i) - J(θ-h e_i)) / 2h``, 2n evaluations. Forward:
        ``(J(θ+h e_i) - J(θ)) / h``, n+1 evaluations.

    Returns
    -------
    ndarray of shape (n,), float64
        The divisor is the step actually taken in the dtype (``fl(θ_i+h) - fl(θ_i-h)``), not 2h,
        which removes the representation error of the step (it matters in float32).
    """
    work = _as_theta(theta)
    if scheme not in ("central", "forward"):
        raise ValueError(f"scheme must be 'central' or 'forward'; got {scheme!r}")
    h = _step(eps, scheme, work.dtype)
    grad = np.empty(work.size, dtype=np.float64)
    J0 = float(J(work)) if scheme == "forward" else 0.0
    for i in range(work.size):
        t = work[i]
        work[i] = t + h
        tp = work[i]
        Jp = float(J(work))
        if scheme == "central":
            work[i] = t - h
            tm = work[i]
            Jm = float(J(work))
        else:
            tm, Jm = t, J0
        work[i] = t
        _check_step_taken(work, tp, tm, h)
        grad[i] = (Jp - Jm) / (float(tp) - float(tm))
    return grad


def _perturbed(theta: np.ndarray, idx: np.ndarray, h: float, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` copies of theta; row r < len(idx) moved by +h along coordinate idx[r], the rest unmoved.

    Returns the matrix and the perturbed values actually stored (for the exact step)."""
    P = np.repeat(theta[None, :], rows, axis=0)
    r = np.arange(idx.size)
    P[r, idx] += np.asarray(h, dtype=theta.dtype)
    return P, P[r, idx].astype(np.float64)


def numerical_gradient_batched(
    J_batch: Callable[[np.ndarray], np.ndarray],
    theta: ArrayLike,
    eps: float | None = None,
    batch_size: int | None = None,
) -> np.ndarray:
    """Central-difference gradient, evaluating many perturbations per call.

    The same numbers as :func:`numerical_gradient` (up to the rounding of J), but each call of
    ``J_batch`` receives ``2·batch_size`` perturbed vectors (``+h`` then ``-h``), so a vectorized cost
    (:func:`cost_batch_fn`: ``jit(vmap(cost))``) does the work in a few big calls instead of 2n
    Python-level ones. The last chunk is padded with unperturbed copies so that every call has the
    same shape (no recompilation).

    Parameters
    ----------
    J_batch : callable
        Maps an array of shape ``(B, n)`` (one parameter vector a row) to costs of shape ``(B,)``.
    theta : array_like of shape (n,)
    eps : float, optional
        The step; by default ``default_step("central", dtype)``.
    batch_size : int, optional
        Coordinates per call; by default ``J_batch.batch_size`` if it has one, else 128.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    theta = _as_theta(theta)
    n = theta.size
    h = _step(eps, "central", theta.dtype)
    B = (getattr(J_batch, "batch_size", None) or 128) if batch_size is None else batch_size
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < 1:
        raise ValueError(f"batch_size must be a positive integer; got {B!r}")
    B = int(min(B, n))
    grad = np.empty(n, dtype=np.float64)
    for start in range(0, n, B):
        idx = np.arange(start, min(start + B, n))
        Pp, tp = _perturbed(theta, idx, h, B)
        Pm, tm = _perturbed(theta, idx, -h, B)
        _check_step_taken(theta, tp, tm, h)
        costs = np.asarray(J_batch(np.concatenate([Pp, Pm])), dtype=np.float64)
        if costs.shape != (2 * B,):
            raise ValueError(f"J_batch must return one cost per row, shape ({2 * B},); got {costs.shape}")
        grad[idx] = (costs[: idx.size] - costs[B : B + idx.size]) / (tp - tm)
    return grad


def richardson(
    J: Callable[[np.ndarray], float], theta: ArrayLike, eps: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Richardson-extrapolated central differences and an estimate of the truncation error.

    Parameters
    ----------
    J : callable
        ``J(theta) -> float``.
    theta : array_like of shape (n,)
    eps : float, optional
        The larger step h (the other is h/2); by default ``default_step("central", dtype)``.

    Returns
    -------
    grad : ndarray of shape (n,)
        ``(4 D(h/2) - D(h)) / 3``: the h² term cancels, leaving O(h⁴) truncation.
    error : ndarray of shape (n,)
        ``|D(h) - D(h/2)|``, which is ``(3/4) h² |J'''| / 6`` plus rounding: three quarters of the
        truncation error of plain central differences at step h.
    """
    theta = _as_theta(theta)
    h = _step(eps, "richardson", theta.dtype)
    D1 = numerical_gradient(J, theta, h)
    D2 = numerical_gradient(J, theta, h / 2)
    return (4 * D2 - D1) / 3, np.abs(D1 - D2)


# Costs already cross-checked by complex_step_gradient (weak, so that closures can be collected).
_COMPLEX_SAFE: weakref.WeakSet = weakref.WeakSet()

_UNSAFE_HINT = (
    "the complex step needs a cost that is analytic in theta: no abs(), float(), .real, "
    ".astype(float), np.maximum/comparisons on the values, or writes into real arrays "
    "(gradtrio.finite_diff.complex_cost_fn is a complex-safe cost of the sigmoid network; use "
    "numerical_gradient for other costs)"
)


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


def _cross_check_complex(J: Callable, theta: np.ndarray, h: float, directions: int = 2,
                         noise_floor: float = 0.0, step_scale: np.ndarray | None = None) -> None:
    """Compare complex-step and central directional derivatives along random directions (first use).

    The central difference's error is measured, not assumed: truncation from a second step
    (``|D(hc) − D(2hc)| / 3``) and rounding from the cost's noise σ measured along a random line
    (:func:`gradtrio.localize.estimate_noise`), each times its safety factor. A cost that drops the
    imaginary part somewhere is off by O(1) of the derivative, far beyond that.
    """
    from .localize import estimate_noise
    from .tolerances import GRAD_ROUND_SAFETY, ROUND_SAFETY, TRUNC_SAFETY

    cdtype = np.complex64 if theta.dtype == np.float32 else np.complex128
    rng = np.random.default_rng(0)
    hc = _step(None, "central", theta.dtype)
    if step_scale is not None:  # a random direction moves the logits by about hc·rms(step_scale)
        hc /= max(1.0, float(np.sqrt(np.mean(np.asarray(step_scale, dtype=np.float64) ** 2))))
    eps = float(np.finfo(theta.dtype).eps)

    def real_cost(v: np.ndarray) -> float:
        return float(_call_complex(J, v.astype(cdtype)).real)

    J0 = real_cost(theta)
    if not np.isfinite(J0):
        raise FloatingPointError(f"the cost is not finite near theta (J = {J0!r}): no derivative can be checked there")
    sigma = max(estimate_noise(real_cost, theta, seed=rng), float(noise_floor), eps * abs(J0))
    for _ in range(directions):
        v = rng.standard_normal(theta.size)
        v /= np.linalg.norm(v)
        Jc = _call_complex(J, (theta + 1j * h * v).astype(cdtype))
        d_cs = float(Jc.imag) / h
        D = []
        for step in (hc, 2 * hc, hc / 2):
            Jp, Jm = real_cost(theta + step * v), real_cost(theta - step * v)
            if not all(np.isfinite([d_cs, Jp, Jm, float(Jc.real)])):
                raise FloatingPointError(
                    f"the cost is not finite near theta (J = {complex(Jc)!r}, J(θ±h·v) = {Jp!r}, {Jm!r}): "
                    "no derivative can be checked there")
            D.append((Jp - Jm) / (2 * step))
        d_cd = D[0]
        if abs(D[0] - D[2]) > TRUNCATION_SHRINK * abs(D[1] - D[0]) + ROUND_SAFETY * sigma / hc:
            # In the range of the expansion, halving the step divides the truncation by 4; when it does
            # not (weights of 1e4 in float32, Hypothesis), the central side is no evidence either way.
            continue
        if D[0] == 0 and D[1] == 0 and sigma <= eps * abs(J0):
            # J did not move at all along v, and its measured noise is nil: the cost is flat to its
            # last bit here (e.g. softplus(z) − z for saturated z, which rounds to multiples of ε·|z|),
            # so the central side cannot bound anything. Such a direction is no evidence either way.
            continue
        allowed = (ROUND_SAFETY * sigma / hc + TRUNC_SAFETY * abs(D[0] - D[1]) / 3
                   + GRAD_ROUND_SAFETY * eps * abs(d_cs))
        gap = abs(d_cs - d_cd)
        if not (gap <= allowed or gap <= UNSAFE_REL * max(abs(d_cs), abs(d_cd))):
            raise ComplexStepError(
                f"complex-step and central-difference directional derivatives disagree: {d_cs:.6g} vs "
                f"{d_cd:.6g} (|difference| {abs(d_cs - d_cd):.3g} > {allowed:.3g}, the central difference's "
                f"measured error bound); {_UNSAFE_HINT}"
            )


def complex_step_gradient(
    J: Callable[[np.ndarray], Any],
    theta: ArrayLike,
    h: float | None = None,
    *,
    cross_check: bool = True,
    batch_size: int = 32,
    noise_floor: float = 0.0,
    step_scale: ArrayLike | None = None,
) -> np.ndarray:
    """Complex-step gradient ``∂J/∂θ_i = Im J(θ + i h e_i) / h``: exact to rounding.

    Parameters
    ----------
    J : callable
        A complex-safe cost (e.g. :func:`complex_cost_fn`): ``J(vector)`` for a complex vector of shape
        ``(n,)``. If ``J.batched`` is true, it is called with ``(B, n)`` arrays of perturbations.
    theta : array_like of shape (n,)
        Real; float32 is evaluated in complex64, anything else in complex128.
    h : float, optional
        The imaginary step; by default :data:`COMPLEX_STEP` of the dtype (1e-20 in float64).
    cross_check : bool, default True
        The first time a cost is used, compare its complex-step directional derivatives with
        central differences along two random directions (27 evaluations: θ, the 12-point noise
        measurement, and steps h, 2h and h/2) and raise :class:`ComplexStepError` if they disagree beyond
        the central difference's measured error bound and by more than :data:`UNSAFE_REL` relative:
        costs that silently drop the imaginary part (an ``abs``, a ``float()``) otherwise give wrong
        gradients with no warning.
    noise_floor : float, default 0
        The least noise assumed for J in the cross-check (gradtrio's own cost: ``ε·S_J`` of
        :func:`gradtrio.rounding.rounding_scales`).
    step_scale : array_like of shape (n,), optional
        The cross-check's central step is divided by its root mean square (gradtrio's own cost: the
        sensitivity of :func:`gradtrio.rounding.rounding_scales`).
    batch_size : int, default 32
        Coordinates per call when ``J.batched``. 32 measured best at the course size (5000 × 400-25-10,
        2-core CPU): 7.9 ms per coordinate against 12.4 ms at 256, where the (B, m, units) complex
        activations no longer fit the caches (one real cost: 3.4 ms).

    Returns
    -------
    ndarray of shape (n,), float64

    Raises
    ------
    ComplexStepError
        If J refuses complex input, returns a real value, raises a ComplexWarning, or fails the
        cross-check.
    """
    theta = _as_theta(theta)
    h = _step(h, "complex", theta.dtype)
    fi = np.finfo(theta.dtype)
    if h < fi.tiny / fi.eps:  # below this, h·v lands among subnormals and loses its significant digits
        raise ValueError(
            f"the complex step h={h:g} underflows in {theta.dtype}: the imaginary parts h·v would be "
            f"subnormal and lose precision; use h >= {fi.tiny / fi.eps:.1g} "
            f"(the default is {default_step('complex', theta.dtype):g})")
    cdtype = np.complex64 if theta.dtype == np.float32 else np.complex128
    if cross_check:
        try:
            known = J in _COMPLEX_SAFE
        except TypeError:  # not weak-referenceable: check every time
            known = False
        if not known:
            _cross_check_complex(J, theta, h, noise_floor=noise_floor,
                                 step_scale=None if step_scale is None else np.asarray(step_scale, dtype=float))
            try:
                _COMPLEX_SAFE.add(J)
            except TypeError:
                pass
    n = theta.size
    grad = np.empty(n, dtype=np.float64)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if getattr(J, "batched", False):
        B = int(min(batch_size, n))
        for start in range(0, n, B):
            idx = np.arange(start, min(start + B, n))
            P = np.repeat(theta[None, :].astype(cdtype), idx.size, axis=0)
            P[np.arange(idx.size), idx] += 1j * h
            grad[idx] = _call_complex(J, P).imag / h
        return grad
    work = theta.astype(cdtype)
    for i in range(n):
        t = work[i]
        work[i] = t + 1j * h
        grad[i] = float(_call_complex(J, work).imag) / h
        work[i] = t
    return grad


@dataclass(frozen=True)
class DirectionalResult:
    """The outcome of :func:`directional_check`.

    Attributes
    ----------
    analytic : ndarray of shape (k,)
        ``gᵀv`` for each direction.
    numeric : ndarray of shape (k,)
        Central difference ``(J(θ+hv) - J(θ-hv)) / 2h``.
    bound : ndarray of shape (k,)
        The error allowed for each direction: measured rounding and truncation times their safety
        factors, plus the analytic side's rounding.
    step : float
    evaluations : int
        Calls of J (4 per direction, steps h and 2h, plus 13 for θ and the noise measurement).
    noise : float
        The cost's noise σ (measured, floored at ``noise_floor`` and ε|J|).
    resolution : float
        ``sqrt(n)·max(bound) / max|g|``: the relative size of one wrong entry the directions can see.
    bug_size : float
        Above this resolution a check that found nothing is inconclusive.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    bound: np.ndarray
    step: float
    evaluations: int
    noise: float = 0.0
    resolution: float = 0.0
    bug_size: float = BUG_SIZE

    @property
    def abs_err(self) -> np.ndarray:
        """``|gᵀv - D(h)|`` for each direction."""
        return np.abs(self.analytic - self.numeric)

    @property
    def ratio(self) -> np.ndarray:
        """``abs_err / bound``: below 1 passes."""
        return self.abs_err / self.bound

    @property
    def verdict(self) -> str:
        """"fail" when a direction is beyond its bound; "inconclusive" when none is but the bounds
        cannot resolve one wrong entry of ``bug_size`` × the largest; else "pass"."""
        return judged(not np.all(self.abs_err <= self.bound), self.resolution, self.bug_size)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __str__(self) -> str:
        lines = [f"directional check: {len(self.analytic)} directions, step {self.step:.3g}, "
                 f"{self.evaluations} evaluations: {self.verdict.upper()}",
                 f"{'dir':>4} {'g.v':>14} {'central':>14} {'|error|':>10} {'bound':>10}"]
        for i, (a, d, e, b) in enumerate(zip(self.analytic, self.numeric, self.abs_err, self.bound)):
            lines.append(f"{i:>4} {a:>14.8g} {d:>14.8g} {e:>10.3g} {b:>10.3g}{'' if e <= b else '  FAIL'}")
        if self.verdict == "inconclusive":
            lines.append(f"inconclusive: one wrong entry is seen only above {self.resolution:.3g} x the largest entry "
                         f"(asked: {self.bug_size:g}); use float64, more directions, or a full check")
        return "\n".join(lines)


def directional_check(
    grad: ArrayLike,
    J: Callable[[np.ndarray], float],
    theta: ArrayLike,
    k: int = 10,
    eps: float | None = None,
    seed: int | np.random.Generator | None = 0,
    *,
    h: float | None = None,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> DirectionalResult:
    """Check an analytic gradient along k random unit directions: O(k) evaluations for any size.

    Parameters
    ----------
    grad : array_like of shape (n,)
        The analytic gradient at ``theta`` (flat, e.g. ``unroll(grads)``).
    J : callable
        ``J(theta) -> float``.
    theta : array_like of shape (n,)
    k : int, default 10
        Number of directions (Gaussian, normalized: uniform on the unit sphere).
    eps : float, optional
        Deprecated spelling of ``h``.
    seed : int or Generator, default 0
    h : float, optional
        The step; by default ``default_step("central", dtype)``, divided by ``max(step_scale)``.
    noise_floor : float, default 0
        Least noise σ assumed for J (gradtrio's own cost: ``ε·S_J``, :mod:`gradtrio.rounding`).
    grad_error : array_like of shape (n,), optional
        Per-entry bound on the analytic gradient's rounding (default ``GRAD_ROUND_SAFETY·ε·max(|g|, 1)``:
        the terms of an entry are taken to be of order one at least, which a cancelled gradient still carries).
    step_scale : array_like of shape (n,), optional
        Values >= 1; the step is divided by their root mean square, the scale a random unit direction
        moves the logits by (see :mod:`gradtrio.measured`).
    bug_size : float, default 0.05 (:data:`gradtrio.tolerances.BUG_SIZE`)
        See :attr:`DirectionalResult.resolution`.

    Returns
    -------
    DirectionalResult
        Each direction passes when ``|gᵀv - D(h)| <= ROUND_SAFETY·σ/h + TRUNC_SAFETY·|D(2h) - D(h)|/3
        + Σ|grad_error_i v_i|``, with σ the cost's noise measured at θ (never below ``noise_floor``):
        rounding plus the truncation error estimated from two steps (``D(2h) - D(h) = 3 c h²`` when
        ``D(h) = d + c h²``).
    """
    from .localize import estimate_noise
    from .tolerances import GRAD_ROUND_SAFETY, ROUND_SAFETY, TRUNC_SAFETY

    theta = _as_theta(theta)
    g = np.asarray(grad, dtype=np.float64)
    if g.shape != theta.shape:
        raise ValueError(f"grad must have the shape of theta, {theta.shape}; got {g.shape}")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    if eps is not None:
        if h is not None:
            raise TypeError("give the step as h (eps is its old spelling), not both")
        warnings.warn("directional_check(eps=...) is now h=...; eps means machine epsilon", DeprecationWarning,
                      stacklevel=2)
        h = eps
    # A random unit direction moves the logits by about h·rms(step_scale) (random signs): that, not the
    # largest entry's gain, is the scale its step must follow.
    scale = 1.0 if step_scale is None else float(np.sqrt(np.mean(np.asarray(step_scale, dtype=np.float64) ** 2)))
    h = _step(h, "central", theta.dtype) / max(1.0, scale)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    eps_m = float(np.finfo(theta.dtype).eps)
    g_err = GRAD_ROUND_SAFETY * eps_m * np.maximum(np.abs(g), 1.0) if grad_error is None else np.abs(
        np.asarray(grad_error, dtype=np.float64)).ravel()

    def cost(v: np.ndarray) -> float:
        return float(np.real(J(v)))

    J0 = cost(theta)
    sigma = max(estimate_noise(cost, theta, seed=rng), float(noise_floor), eps_m * abs(J0))
    analytic, numeric, bound = np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        v = rng.standard_normal(theta.size)
        v /= np.linalg.norm(v)
        D, A = [], []
        for step in (h, 2 * h):
            plus, minus = (theta + step * v).astype(theta.dtype), (theta - step * v).astype(theta.dtype)
            span = plus.astype(np.float64) - minus.astype(np.float64)  # the displacement actually taken
            D.append((cost(plus) - cost(minus)) / (2 * step))
            A.append(float(g @ span) / (2 * step))
        analytic[j] = A[0]
        numeric[j] = D[0]
        truncation = abs((D[1] - A[1]) - (D[0] - A[0])) / 3
        bound[j] = (ROUND_SAFETY * sigma / h + TRUNC_SAFETY * truncation + float(g_err @ np.abs(v))
                    + np.finfo(np.float64).tiny)
    top = float(np.max(np.abs(g)))
    resolution = float(np.sqrt(theta.size) * bound.max() / top) if top > 0 else 0.0
    return DirectionalResult(analytic, numeric, bound, h, 4 * k + 1 + 12, sigma, resolution, float(bug_size))


def gradient(
    cost_fn: Callable[[list[np.ndarray]], Any],
    thetas: Sequence[ArrayLike],
    method: str = "central",
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
    **kw
        Passed on: ``eps`` (central, forward, richardson) or ``h`` (complex), ``cross_check``.

    Returns
    -------
    list of ndarray
        ``grads[l]`` of the shape of ``thetas[l]``, float64.
    """
    mats = [np.asarray(t) for t in thetas]
    from .network import sizes_of

    sizes = sizes_of(mats)
    vector = unroll(mats)

    def J(v: np.ndarray) -> Any:
        return cost_fn(roll(v, sizes))

    if method in ("central", "forward"):
        flat = numerical_gradient(J, vector, kw.pop("eps", None), scheme=method, **kw)
    elif method == "complex":
        flat = complex_step_gradient(J, vector, kw.pop("h", None), **kw)
    elif method == "richardson":
        flat, _ = richardson(J, vector, kw.pop("eps", None), **kw)
    else:
        raise ValueError(f"method must be 'central', 'forward', 'complex' or 'richardson'; got {method!r}")
    return [np.array(t) for t in roll(flat, sizes)]
