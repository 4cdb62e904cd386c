"""Rounding scales of the Hessian- and Gauss-Newton-vector products, measured on the problem at hand.

The same running error analysis as :mod:`gradtrio.rounding` (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., §3): every quantity of the R-operator's forward and backward passes
(:func:`gradtrio.backprop.hvp`) carries a first-order error scale, in units of ε, built from the
absolute values of the terms it sums (a sum of n terms counted with ``sqrt(n)``, as the gradient's
scales are) and from the errors it inherits:

- ``R{z} = R{a} Wᵀ + a V_Wᵀ + v_b`` inherits the errors of ``R{a}`` and ``a`` through ``|W|`` and ``|V_W|``;
- ``R{a} = g'(z) R{z}`` and the ``g''(z) R{z}`` term inherit the errors of ``g'`` and ``g''``: the slope's
  from :func:`gradtrio.rounding` (kinks included: a unit within rounding of a relu kink carries the jump
  of ``g'``), the bend's from ``|g'''|·err(z)`` (a central difference of ``g''``) and the jump of ``g''``
  where it has one (the ELU at 0, whose ``g'`` is continuous but ``g''`` is not);
- the output's ``C R{z}`` (:attr:`gradtrio.model.Output.curvature`) inherits ``err(R{z})`` through ``|C|``
  and the error of ``C`` itself (a few roundings of ``h``, ``1 − h``, the softmax's shift);
- the backward pass's products inherit ``E(δ)`` (the gradient's) and ``err(R{δ})``.

:func:`hvp_rounding` returns ``ε·err`` for every entry of ``H V`` (or ``G V``): what two correct
computations of the product (NumPy's fused batch, the per-example loop, JAX) can differ by, before the
safety factor the callers apply (:data:`HVP_SAFETY`). It is a first-order estimate with unit
constants, computed in float64 at about the cost of three products.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import Problem, forward
from .model.activations import IDENTITY, SIGMOID_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY, Activation
from .rounding import FUNCTION_ULPS, SATURATED_STEP, TIE_SAFETY, _residual_error, _slope_error, near_kink

__all__ = ["hvp_rounding", "HVP_SAFETY", "curvature_kinks"]

#: What the callers multiply :func:`hvp_rounding` by before calling a difference a bug: 8, as
#: :data:`gradtrio.tolerances.ANALYTIC_SAFETY` for gradients (the scales count sqrt(n) per sum, so 8 is
#: about eight standard deviations of the rounding they describe).
HVP_SAFETY = 8.0


#: The bound on ``|d g''/d a|`` for units whose ``g''`` an engine may write from the output ``a`` (gradtrio's
#: sigmoid ``g'(1 − 2a)``, tanh ``−2a g'``; XLA's derivatives of its own tanh and logistic): there ``g''``
#: carries this times the output's error, which ``|g'''|·err(z)`` does not see where the unit saturates
#: (at z = 19, ``1 − a`` is 4e-9 and the sigmoid's g'' from a is off by ~ε, g''' ~ 4e-9). 4 is tanh's
#: ``|6a² − 2|`` at ``a = ±1``, the largest of the smooth units (the sigmoid's and softplus's are at most 1).
BEND_FROM_OUTPUT = 4.0


#: Operations per summed term whose underflow (or flush to zero) the floor of :func:`hvp_rounding` counts
#: (each product's forward, R-forward, curvature and backward steps, with room to spare).
UNDERFLOW_OPS = 16.0


def _jump(f, k: float) -> float:
    """``|f(k+) − f(k−)|``: the jump of ``f`` at ``k`` (0 where ``f`` is continuous)."""
    right = float(f(np.nextafter(np.array([k]), np.inf))[0])
    left = float(f(np.nextafter(np.array([k]), -np.inf))[0])
    return abs(right - left)


def curvature_kinks(g: Activation) -> tuple[float, ...]:
    """Where the Hessian of a network of ``g`` units jumps: the kinks of ``g'`` (relu, leaky_relu) and the
    points where ``g''`` jumps though ``g'`` does not (the ELU at 0, where ``g''`` goes from 1 to 0). A
    stencil across one measures no Hessian, though the gradient may be smooth there."""
    if g.kinks:
        return g.kinks
    return (0.0,) if _jump(g.second_derivative, 0.0) else ()


def _bend_error(g: Activation, z: np.ndarray, err_z: np.ndarray, err_a: np.ndarray, slope: np.ndarray,
                eps: float) -> np.ndarray:
    """The error of ``g''(z)`` in units of ε: ``|g'''|·err(z)`` (a central difference of ``g''`` of step
    :data:`gradtrio.rounding.SATURATED_STEP`, enough for a bound), a few roundings of the formula, the
    error the output carries into it when ``g''`` is written from it (:data:`BEND_FROM_OUTPUT`), and the
    jump of ``g''`` at 0
    for units within rounding of it."""
    g2 = g.second_derivative
    d = SATURATED_STEP
    third = np.abs(g2(z + d) - g2(z - d)) / (2 * d)
    err = third * err_z + (3.0 + FUNCTION_ULPS) * np.abs(g2(z))
    if g.derivative_from_output is not None and not g.kinks and g is not IDENTITY:
        err = err + BEND_FROM_OUTPUT * err_a
    jump = _jump(g2, 0.0)
    if jump:
        err = err + np.where(np.abs(z) < TIE_SAFETY * eps * err_z, jump / eps, 0.0)
    return err


def hvp_rounding(pb: Problem, mats: Sequence[np.ndarray], vmats: Sequence[np.ndarray], *,
                 gauss_newton: bool = False) -> list[np.ndarray]:
    """The rounding error scale of every entry of ``H V`` (or ``G V``) on a validated problem.

    Parameters
    ----------
    pb : Problem
        From :func:`gradtrio.model.validate`.
    mats, vmats : sequence of ndarray
        The weights and the direction, validated (``vmats[l]`` of the shape of ``mats[l]``).
    gauss_newton : bool
        The scales of :func:`gradtrio.backprop.gvp` (no ``δ`` terms) instead of :func:`~gradtrio.backprop.hvp`.

    Returns
    -------
    list of ndarray
        ``E[l]`` of the shape of ``mats[l]``: entry ``(l, i, j)`` of a correct product carries a rounding
        error of about ``E[l][i, j]`` (absolute, already multiplied by the dtype's ε; the safety factor
        :data:`HVP_SAFETY` is the caller's).
    """
    arch, lam, m = pb.arch, pb.lam, pb.m
    eps = float(np.finfo(pb.dtype).eps)
    mats = [T.astype(np.float64) for T in mats]
    vmats = [V.astype(np.float64) for V in vmats]
    X, Y = pb.X.astype(np.float64), pb.Y.astype(np.float64)
    values = forward(arch, mats, X, keep=True)
    acts = values.acts
    last = len(mats) - 1
    # Forward and R-forward, each value with its error scale (units of ε).
    a, err_a = X, np.zeros_like(X)
    Ra, err_Ra = np.zeros_like(X), np.zeros_like(X)
    slopes, slope_errs, Racts, Ra_errs, bends, bend_errs, err_as = [], [], [Ra], [err_Ra], [], [], [err_a]
    for l, (T, V) in enumerate(zip(mats, vmats)):
        W, VW = T[:, 1:], V[:, 1:]
        aW, aVW = np.abs(W), np.abs(VW)
        root = np.sqrt(W.shape[1] + 1.0)
        z = values.zs[l] if l < last else values.logits
        err_z = root * (np.abs(a) @ aW.T + np.abs(T[:, 0])) + err_a @ aW.T
        Rz = Ra @ W.T + a @ VW.T + V[:, 0]
        err_Rz = (root * (np.abs(Ra) @ aW.T + np.abs(a) @ aVW.T + np.abs(V[:, 0]))
                  + err_Ra @ aW.T + err_a @ aVW.T)
        if l == last:
            break
        g = arch.hidden[l]
        a = acts[l + 1]
        slope = np.abs(g.derivative(z))
        err_a = slope * err_z + FUNCTION_ULPS * np.abs(a)
        err_slope = _slope_error(g, z, a, err_z, err_a, slope, near_kink(g, z, err_z, eps), eps)
        Ra = g.derivative(z) * Rz
        err_Ra = slope * err_Rz + np.abs(Rz) * err_slope + np.abs(Ra)
        slopes.append(g.derivative(z))
        slope_errs.append(err_slope)
        Racts.append(Ra)
        Ra_errs.append(err_Ra)
        err_as.append(err_a)
        if not gauss_newton:
            bend = g.second_derivative(z)
            bends.append(bend * Rz)
            bend_errs.append(np.abs(bend) * err_Rz + np.abs(Rz) * _bend_error(g, z, err_z, err_a, slope, eps)
                             + np.abs(bend * Rz))
    # Output: δ = H − Y with the gradient's error scale; R{δ} = C R{z} with its own.
    out = arch.out
    H = out.value(z)
    delta = out.residual(z, Y)
    E = _residual_error(out, z, Y, H, err_z)
    Rdelta = out.curvature(z, Rz)
    if out is SIGMOID_CROSS_ENTROPY:
        # c = h(1 − h): exact-ish as σ(z)σ(−z) (gradtrio), but the classic h(1 − h) (the loop, JAX's sigmoid
        # derivative) forms 1 − h from a rounded h: an absolute error of FUNCTION_ULPS·h·ε, all of c when
        # h ≈ 1 (z > 37 gives c = 0 or ε). Plus |c'| err(z) <= c err(z) and a few roundings.
        c = out.curvature(z, np.ones_like(z))
        err_c = (2 * FUNCTION_ULPS + 3.0 + err_z) * c + FUNCTION_ULPS * H * H
        err_Rd = c * err_Rz + np.abs(Rz) * err_c
    elif out is SOFTMAX_CROSS_ENTROPY:  # p ⊙ (R − p·R): |C| R <= p ⊙ (|R| + p·|R|)
        s = z - np.max(z, axis=-1, keepdims=True)

        def mag(R):
            return H * (R + (H * R).sum(axis=-1, keepdims=True))

        spread = (H * err_z).sum(axis=-1, keepdims=True)
        err_Rd = (mag(err_Rz) + np.sqrt(H.shape[-1] + 1.0) * mag(np.abs(Rz))
                  * (FUNCTION_ULPS + 3.0 + err_z + spread + np.abs(s)))
    else:  # identity: R{δ} = R{z} exactly
        err_Rd = err_Rz
    # Backward. Underflow errs absolutely, which the relative analysis above does not see: X of 1e-309 makes
    # every product subnormal, which NumPy keeps and XLA on the CPU flushes to zero, so each operation may
    # lose up to the smallest normal number: a floor of UNDERFLOW_OPS of them per term summed.
    underflow = UNDERFLOW_OPS * (m + arch.num_params) * float(np.finfo(pb.dtype).tiny)
    sq_m = np.sqrt(float(m))
    result: list[np.ndarray] = [np.empty(0)] * len(mats)
    for l in range(last, -1, -1):
        T, V = mats[l], vmats[l]
        A, err_A = acts[l], err_as[l]
        aRd, ad = np.abs(Rdelta), np.abs(delta)
        e = np.empty_like(T)
        e[:, 0] = (sq_m * aRd.sum(axis=0) + err_Rd.sum(axis=0)) / m
        e[:, 1:] = (sq_m * (aRd.T @ np.abs(A)) + err_Rd.T @ np.abs(A) + aRd.T @ err_A) / m
        if l > 0 and not gauss_newton:
            e[:, 1:] += (sq_m * (ad.T @ np.abs(Racts[l])) + E.T @ np.abs(Racts[l]) + ad.T @ Ra_errs[l]) / m
        e[:, 1:] += lam / m * np.abs(V[:, 1:])  # the penalty's (λ/m) V and its addition
        result[l] = eps * e + underflow
        if l > 0:
            W, VW = T[:, 1:], V[:, 1:]
            aW, aVW = np.abs(W), np.abs(VW)
            root = np.sqrt(T.shape[0] + 1.0)
            gp, err_gp = slopes[l - 1], slope_errs[l - 1]
            Rback = Rdelta @ W
            err_Rback = root * (aRd @ aW) + err_Rd @ aW
            back = delta @ W
            err_back = root * (ad @ aW) + E @ aW
            if not gauss_newton:
                Rback = Rback + delta @ VW
                err_Rback = err_Rback + root * (ad @ aVW) + E @ aVW
                bend = bends[l - 1]
                err_Rd = (err_Rback * np.abs(gp) + np.abs(Rback) * err_gp
                          + err_back * np.abs(bend) + np.abs(back) * bend_errs[l - 1])
                Rdelta = Rback * gp + back * bend
            else:
                err_Rd = err_Rback * np.abs(gp) + np.abs(Rback) * err_gp
                Rdelta = Rback * gp
            E = err_back * np.abs(gp) + np.abs(back) * err_gp
            delta = back * gp
    return result
