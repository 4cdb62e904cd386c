"""Numerical Hessian-vector products: central differences of a gradient along V, and its complex step.

Two references for ``H v`` that use no second-order formula at all, only a gradient:

- **Central differences of the gradient** along ``v`` (:func:`central_hvp`)::

      D(h) = (∇J(θ + h v) − ∇J(θ − h v)) / (2h) = H v + h² ∂³(∇J)[v, v, v] / 6 + O(h⁴)

  reasoned as the gradient's central differences are (:mod:`gradtrio.oracles`): truncation ``c h²``,
  rounding ``e / h`` with ``e`` the rounding of one gradient entry (each of the two evaluations is off by
  up to ``e``, and their difference is divided by ``2h``). The step balancing them is ``∝ ε^(1/3)``; the
  default is :func:`gradtrio.oracles.default_step`'s ``5 ε^(1/3)`` divided by how far ``v`` moves the
  logits per unit step (``‖step_scale ⊙ v‖₂``, at least 1), so that no logit moves by much more than
  ``h``. The error is *measured*: ``D(2h)`` is evaluated too, and ``|D(h) − D(2h)| / 3`` estimates the
  truncation of ``D(h)`` (``D(2h) − D(h) = 3 c h²`` in the asymptotic range), times
  :data:`gradtrio.tolerances.TRUNC_SAFETY`; the rounding is ``grad_error / h`` with ``grad_error`` the
  gradient's rounding bound (safety included: :mod:`gradtrio.rounding` for gradtrio's own networks), or,
  for a black-box gradient, :data:`gradtrio.tolerances.GRAD_ROUND_SAFETY`·ε·``|∇J|`` (its magnitudes:
  its terms' scale is unknown). 4 gradient evaluations.

- **The complex step of a complex-safe gradient** (:func:`complex_step_hvp`): ``Im ∇J(θ + i h v) / h``.
  No difference is taken, so ``h`` can be tiny (:data:`gradtrio.oracles.COMPLEX_STEP` divided by the same
  scale): the truncation ``h² |∂³∇J| / 6`` is below ε·``|H v|`` by 20 orders and the result is exact to
  rounding. It needs a gradient analytic in θ: :func:`complex_gradient` is backprop written in complex
  arithmetic on the model's complex-safe forward pass (:mod:`gradtrio.model.forward`), with the
  activations' complex-safe ``g'`` (:attr:`gradtrio.model.Activation.complex_derivative`) and complex-safe
  residuals ``H − Y`` (the complex sigmoid, the softmax shifted by ``max Re z``, the identity).

Kinks
-----
relu and leaky_relu have no second derivative at 0. Off the kink ``g'' = 0``, and every method agrees
with the hand-written product (whose ``g''`` term is 0 there). The complex step's ``g'`` branches on
``Re z``, which ``i h v`` moves by O(h²) only: it is the derivative of the *subgradient* along v, 0 for
relu' at the kink, and equals the convention's product when the unit sits on the convention's branch.
Central differences whose stencil ``θ + t v`` (t in ±h, ±2h) moves some relu/leaky unit's pre-activation
across its kink mix two branches of ``g'`` and are no derivative: ``D(h)`` is off by O(jump/h). Which
entries the jump reaches depends on the network's wiring (all layers below the unit, through its
example), so :func:`stencil_crosses_kink` flags the *whole* product (every entry), as
:mod:`gradtrio.oracles.branches` flags an entry of the gradient: such a product is judged inconclusive,
never a fail. The complex step is flagged likewise where a unit is within rounding of a kink at θ, or
where its real part moves off the kink to the side that is not the convention's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..model import Architecture, Problem, forward
from ..model.activations import complex_sigmoid
from ..tolerances import GRAD_ROUND_SAFETY, TRUNC_SAFETY
from .steps import default_step

__all__ = [
    "HvpEstimate",
    "hvp_step",
    "central_hvp",
    "complex_step_hvp",
    "complex_gradient",
    "complex_gradient_fn",
    "stencil_crosses_kink",
    "complex_output",
]

FlatGrad = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class HvpEstimate:
    """A numerical ``H v`` with a per-entry error bound.

    Attributes
    ----------
    hv : ndarray of shape (n,)
        The estimate (float64).
    error : ndarray of shape (n,)
        A bound on ``|hv − H v|`` per entry: measured truncation plus rounding for central
        differences; 0 for the complex step, whose error is rounding only (its callers bound it as they
        bound an exact method's).
    h : float
        The step taken.
    evaluations : int
        Gradient evaluations spent.
    truncation : ndarray of shape (n,)
        Central differences: ``|D(h) − D(2h)| / 3`` (before the safety factor); zeros otherwise.
    """

    hv: np.ndarray
    error: np.ndarray
    h: float
    evaluations: int
    truncation: np.ndarray


def _scale(v: np.ndarray, step_scale: np.ndarray | None) -> float:
    """How far a unit step along v moves the logits, at least 1: ``‖step_scale ⊙ v‖₂`` (``‖v‖₂`` without
    a scale). Random signs add in quadrature, hence the 2-norm rather than ``Σ |s_k v_k|``."""
    s = v if step_scale is None else np.asarray(step_scale, dtype=np.float64) * v
    return max(1.0, float(np.linalg.norm(s)))


def hvp_step(method: str, v: np.ndarray, dtype: np.dtype, step_scale: np.ndarray | None = None) -> float:
    """The default step of ``method`` ("central" or "complex") along ``v``: the gradient's default step
    (:func:`gradtrio.oracles.default_step`) divided by :func:`_scale` (module docstring)."""
    return default_step(method, dtype) / _scale(np.asarray(v, dtype=np.float64), step_scale)


def _prepared_step(method: str, theta: np.ndarray, v: np.ndarray, h: float | None,
                   step_scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.dtype, float]:
    """``(theta, v in float64, the working dtype, the step)``: :func:`hvp_step` of ``method`` when ``h`` is
    None, and a given step refused unless positive and finite."""
    theta = np.asarray(theta)
    v64 = np.asarray(v, dtype=np.float64)
    dt = theta.dtype if theta.dtype.kind == "f" else np.dtype(np.float64)
    if h is None:
        h = hvp_step(method, v64, dt, step_scale)
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"the step must be a positive finite number; got {h!r}")
    return theta, v64, dt, float(h)


def central_hvp(grad: FlatGrad, theta: np.ndarray, v: np.ndarray, *, h: float | None = None,
                grad_error: np.ndarray | float | None = None,
                step_scale: np.ndarray | None = None) -> HvpEstimate:
    """``(∇J(θ + h v) − ∇J(θ − h v)) / 2h`` with its error measured from a second step 2h.

    Parameters
    ----------
    grad : callable
        ``grad(theta) -> ndarray of shape (n,)``, the gradient of the cost (e.g. backprop's).
    theta : ndarray of shape (n,)
        The point; its dtype is the working precision.
    v : ndarray of shape (n,)
        The direction.
    h : float, optional
        The step; by default :func:`hvp_step` of "central".
    grad_error : ndarray of shape (n,) or float, optional
        A bound on the rounding of one gradient evaluation, per entry (safety included). By default
        ``GRAD_ROUND_SAFETY·ε·max(|∇J(θ + h v)|, |∇J(θ − h v)|)``.
    step_scale : ndarray of shape (n,), optional
        Per-parameter gain on the logits (:attr:`gradtrio.rounding.RoundingScales.sensitivity`).

    Returns
    -------
    HvpEstimate
        ``error = TRUNC_SAFETY·|D(h) − D(2h)|/3 + grad_error/h``: the truncation measured, the rounding of
        the two evaluations (each off by ``grad_error``) over the divisor 2h. The points ``θ ± t v`` are
        rounded to the dtype, which changes the direction by ``ε|θ|/h`` relative; that is below ``ε^(2/3)``
        for the steps above and is covered by the rounding term's safety factor.
    """
    theta, v64, dt, h = _prepared_step("central", theta, v, h, step_scale)
    eps = float(np.finfo(dt).eps)
    vt = v64.astype(dt)
    gs = {t: np.asarray(grad((theta + t * vt).astype(dt)), dtype=np.float64) for t in (h, -h, 2 * h, -2 * h)}
    D1 = (gs[h] - gs[-h]) / (2 * h)
    D2 = (gs[2 * h] - gs[-2 * h]) / (4 * h)
    trunc = np.abs(D1 - D2) / 3.0
    if grad_error is None:
        e = GRAD_ROUND_SAFETY * eps * np.maximum(np.abs(gs[h]), np.abs(gs[-h]))
    else:
        e = np.broadcast_to(np.asarray(grad_error, dtype=np.float64), D1.shape)
    return HvpEstimate(D1, TRUNC_SAFETY * trunc + e / h, float(h), 4, trunc)


def complex_step_hvp(cgrad: FlatGrad, theta: np.ndarray, v: np.ndarray, *, h: float | None = None,
                     step_scale: np.ndarray | None = None) -> HvpEstimate:
    """``Im ∇J(θ + i h v) / h`` of a complex-safe gradient: ``H v`` exact to rounding.

    Parameters
    ----------
    cgrad : callable
        ``cgrad(theta) -> ndarray of shape (n,)`` for complex ``theta``, analytic in it
        (:func:`complex_gradient_fn` for gradtrio's networks).
    theta, v : ndarray of shape (n,)
    h : float, optional
        By default :func:`hvp_step` of "complex": 1e-20 (float64) over the step scale, far above the
        underflow of ``h·|H v|`` and far below any truncation.
    step_scale : ndarray of shape (n,), optional

    Returns
    -------
    HvpEstimate
        ``error`` is 0: the error is rounding, ``≈ ε·|terms of H v|``, which the caller bounds as it bounds
        an exact method's.
    """
    theta, v64, dt, h = _prepared_step("complex", theta, v, h, step_scale)
    cdt = np.complex64 if dt == np.float32 else np.complex128
    point = np.asarray(theta, dtype=cdt)
    point = point + np.asarray((1j * h) * v64.astype(dt), dtype=cdt)
    g = np.asarray(cgrad(point))
    if g.dtype.kind != "c":
        raise TypeError("the gradient returned a real array for a complex input: it is not complex-safe")
    hv = g.imag.astype(np.float64) / h
    zero = np.zeros_like(hv)
    return HvpEstimate(hv, zero, float(h), 1, zero)


# --------------------------------------------------------------------------------------------------
# gradtrio's own networks: the complex-safe gradient and the kink test
# --------------------------------------------------------------------------------------------------


def complex_output(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """``H = output(z)`` analytic and overflow-free for complex logits: the complex sigmoid, the softmax
    shifted by the row maximum of ``Re z`` (:attr:`gradtrio.model.Output.value`, complex-safe), the identity."""
    from ..model import output

    if name == "sigmoid":
        return complex_sigmoid
    return output(name).value


def complex_gradient(problem: Problem, mats: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The gradient of the cost by backprop in complex arithmetic: analytic in the weights.

    ``δ(L) = H(z) − Y`` with :func:`complex_output`; ``D(l) = (1/m) [Σ δ, δᵀ a(l)] + (λ/m) [0, W]``;
    ``δ(l) = (δ(l+1) W) ⊙ g'(z(l))`` with :attr:`gradtrio.model.Activation.complex_derivative`. On real
    weights it is backprop's gradient to rounding.

    Parameters
    ----------
    problem : Problem
        Validated (:func:`gradtrio.model.validate`).
    mats : sequence of ndarray
        Complex (or real) weights of ``problem.arch``.

    Returns
    -------
    list of ndarray
        Complex gradient matrices, the shapes of ``mats``.
    """
    arch, X, Y, lam = problem.arch, problem.X, problem.Y, problem.lam
    m = X.shape[0]
    cdt = np.complex64 if problem.dtype == np.float32 else np.complex128
    mats = [np.asarray(T, dtype=cdt) for T in mats]
    p = forward(arch, mats, X, keep=True)
    delta = complex_output(arch.output)(p.logits) - Y
    grads: list[np.ndarray] = [np.empty(0)] * len(mats)
    for l in range(len(mats) - 1, -1, -1):
        T = mats[l]
        G = np.empty_like(T)
        G[:, 0] = delta.sum(axis=0)
        G[:, 1:] = delta.T @ p.acts[l]
        G /= m
        if lam:
            G[:, 1:] += (lam / m) * T[:, 1:]
        grads[l] = G
        if l > 0:
            g = arch.hidden[l - 1]
            if g.complex_derivative is None:
                raise TypeError(f"activation {g.name!r} has no complex_derivative: no complex-step Hessian")
            delta = (delta @ T[:, 1:]) * g.complex_derivative(p.zs[l - 1])
    return grads


def complex_gradient_fn(problem: Problem) -> FlatGrad:
    """``θ -> ∇J(θ)`` on unrolled complex vectors (:func:`complex_gradient`), for :func:`complex_step_hvp`."""
    arch = problem.arch

    def cgrad(theta: np.ndarray) -> np.ndarray:
        return np.concatenate([G.ravel() for G in complex_gradient(problem, arch.cut(theta))])

    return cgrad


def _hidden_z(arch: Architecture, mats: Sequence[np.ndarray], X: np.ndarray) -> list[np.ndarray]:
    return forward(arch, mats, X, keep=True).zs


def stencil_crosses_kink(problem: Problem, mats: Sequence[np.ndarray], vmats: Sequence[np.ndarray],
                         offsets: Sequence[complex], z_error: Sequence[np.ndarray] | None = None) -> int:
    """How many (example, unit) pre-activations of hidden layers with a kink of ``g'`` or ``g''``
    (:func:`gradtrio.rounding_second.curvature_kinks`) change side of it between
    θ and some point ``θ + t V`` of the stencil (``t`` real for differences, ``i h`` for the complex step,
    whose real parts decide the branch), or sit within rounding of it at θ and are moved by ``V``.

    A unit within ``TIE_SAFETY·ε·err(z)`` of its kink (:func:`gradtrio.rounding.near_kink`) is on neither
    side; one exactly at the kink with no rounding behind it (``err(z) = 0``) is on the convention's side
    (``z <= 0``) and counts only if the stencil moves it to the other.

    Returns
    -------
    int
        0 when no stencil point crosses a kink (the product is a derivative there).
    """
    from ..rounding import TIE_SAFETY, scales_of
    from ..rounding_second import curvature_kinks

    arch = problem.arch
    if not any(curvature_kinks(g) for g in arch.hidden):
        return 0
    eps = float(np.finfo(problem.dtype).eps)
    if z_error is None:
        z_error = scales_of(problem, mats).z_error
    X = problem.X
    complex_stencil = any(complex(t).imag != 0 for t in offsets)
    wdt = (np.complex64 if problem.dtype == np.float32 else np.complex128) if complex_stencil else problem.dtype
    base = _hidden_z(arch, [np.asarray(T, dtype=wdt) for T in mats], X)
    count = 0
    for l, g in enumerate(arch.hidden):
        if not curvature_kinks(g):
            continue
        k = curvature_kinks(g)[0]
        band = TIE_SAFETY * eps * z_error[l]
        z0 = base[l].real
        side0 = np.where(z0 - k > band, 1, np.where(k - z0 > band, -1, 0))
        tie0 = (side0 == 0) & (band > 0)
        moved = np.zeros(z0.shape, dtype=bool)
        crossed = np.zeros(z0.shape, dtype=bool)
        for t in offsets:
            pts = [np.asarray(np.asarray(T, dtype=wdt) + t * np.asarray(V, dtype=wdt)) for T, V in zip(mats, vmats)]
            zt = _hidden_z(arch, pts, X)[l].real
            moved |= zt != z0
            st = np.where(zt > k, 1, -1)  # the branch taken at the stencil point (z <= k: the convention's)
            ref = np.where(side0 == 0, np.where(z0 > k, 1, -1), side0)
            crossed |= st != ref
        count += int(np.sum(crossed | (tie0 & moved)))
    return count
