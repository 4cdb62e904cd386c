"""One-sided slopes along a direction, for costs with switch points (ReLU, max).

At a kink a central difference averages two different slopes and any tolerance gives a false verdict.
:func:`kink_check` measures the left and right slopes separately, reports a kink when they differ by more
than a smooth cost allows, and accepts an analytic directional derivative that lies between them (the
convention of scikit-learn, PyTorch and JAX: any element of the subdifferential). gradtrio's sigmoid
networks have no kinks; this is the oracle for a :class:`gradtrio.oracles.Function` flagged ``kinked``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._compat import legacy
from .function import Function, as_function, flat_vector, gradient_of, rng_of
from .noise import estimate_noise, noise_level

__all__ = ["KinkResult", "kink_check", "OneSided", "KINK_BLOCK", "stencil_offsets", "stencil_crosses",
           "one_sided_derivatives"]


@dataclass
class KinkResult:
    """Outcome of :func:`kink_check`.

    Attributes
    ----------
    left, right : float
        One-sided slopes ``(J(θ) − J(θ − h d))/h`` and ``(J(θ + h d) − J(θ))/h``.
    analytic : float
        ``⟨g, d⟩``.
    kink : bool
        The one-sided slopes differ by more than a smooth function allows (``h·|J''|`` estimated from
        the step 2h, plus rounding): a switch point lies within h of θ along d.
    accepted : bool
        The analytic value lies between the one-sided slopes (widened by their error bound).
    bound : float
    """

    left: float
    right: float
    analytic: float
    kink: bool
    accepted: bool
    bound: float


@legacy(("f", "grad", "theta", "direction"), lambda args, kwargs: False, "", {"cost_fn": "f"})
def kink_check(
    f: Callable[[np.ndarray], float] | Function,
    grad: ArrayLike | Sequence[ArrayLike] | Callable[[np.ndarray], ArrayLike] | None,
    theta: ArrayLike,
    direction: ArrayLike | None = None,
    *,
    h: float | None = None,
    seed: int | np.random.Generator | None = 0,
    noise: float | None = None,
) -> KinkResult:
    """One-sided slopes along ``direction``: detect a switch point and accept a bracketed gradient.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` on a flat vector of shape ``(n,)``.
    grad : array_like of shape (n,), list of matrices, callable, or None
        The analytic gradient (at a kink: any element of the subdifferential); ``f.grad`` for None.
    theta : array_like of shape (n,)
    direction : array_like of shape (n,), optional
        Normalized to unit length; by default a Gaussian direction drawn from ``seed``.
    h : float, optional
        Step; default ``sqrt(ε)``, the optimum of a one-sided difference.
    seed : int or numpy.random.Generator, default 0
        The default direction and the noise measurement's line.
    noise : float, optional
        The cost's noise σ; measured by :func:`gradtrio.oracles.estimate_noise` if not given.

    Returns
    -------
    KinkResult
        Costs 5 evaluations (12 more when the noise is measured).
    """
    fn = as_function(f)
    value = fn.value
    theta = np.asarray(theta)
    g = flat_vector(gradient_of(fn, grad, theta), theta.size, "grad").astype(np.float64)
    rng = rng_of(seed)
    d = rng.standard_normal(theta.size) if direction is None else np.asarray(direction, dtype=np.float64).ravel()
    if d.size != theta.size or not np.any(d):
        raise ValueError(f"direction must be a nonzero vector of {theta.size} entries; got shape {d.shape}")
    d = d / np.linalg.norm(d)
    eps = float(np.finfo(theta.dtype).eps)
    h = float(np.sqrt(eps)) if h is None else float(h)
    J0 = float(value(theta))
    sigma = noise_level(estimate_noise(value, theta, seed=rng) if noise is None else float(noise), J0, theta.dtype)

    def J(t: float) -> float:
        return float(value((theta + (t * d).astype(theta.dtype)).astype(theta.dtype)))

    Jp, Jm, Jp2, Jm2 = J(h), J(-h), J(2 * h), J(-2 * h)
    right, left = (Jp - J0) / h, (J0 - Jm) / h
    # On a smooth side, slope(h) − slope(2h) ≈ −J''h/2, so |J''|h ≈ 2|slope(h) − slope(2h)|: how far a
    # smooth cost's one-sided slopes may differ; plus the rounding of the two slopes, 2σ/h each.
    curv = 2 * max(abs(right - (Jp2 - J0) / (2 * h)), abs(left - (J0 - Jm2) / (2 * h)))
    bound = 2 * curv + 8 * sigma / h
    a = float(g @ d)
    lo, hi = min(left, right), max(left, right)
    return KinkResult(left, right, a, kink=bool(hi - lo > bound), accepted=bool(lo - bound <= a <= hi + bound),
                      bound=bound)


# --------------------------------------------------------------------------------------------------
# gradtrio's own networks: which entries' stencils cross a kink, and their one-sided derivatives
# --------------------------------------------------------------------------------------------------

#: Entries per block of the batched passes below: a block holds ``KINK_BLOCK × points × m × units``
#: pre-activations (64 × 4 × 300 × 25 floats = 15 MB for the study's largest problems).
KINK_BLOCK = 64


def _has_kinks(arch: Any) -> bool:
    return any(g.kinks for g in arch.hidden)


def stencil_offsets(method: str, steps: np.ndarray) -> np.ndarray:
    """The displacements of coordinate i at which ``method`` evaluates the cost, shape ``(n, points)``.

    Central and batched differences use ``±s, ±2s`` (the step and the truncation's second step),
    Richardson ``±s/2, ±s``, forward differences ``s, 2s`` (``s`` the entry's step)."""
    s = np.asarray(steps, dtype=np.float64)[:, None]
    if method in ("central", "batched"):
        return np.concatenate([-2 * s, -s, s, 2 * s], axis=1)
    if method == "richardson":
        return np.concatenate([-s, -s / 2, s / 2, s], axis=1)
    if method == "forward":
        return np.concatenate([s, 2 * s], axis=1)
    raise ValueError(f"no difference stencil for method {method!r}; known: central, batched, richardson, forward")


def _entry_layers(arch: Any) -> list[tuple[int, int, int]]:
    """``(layer, start, stop)`` of each weight matrix's entries in the flat vector."""
    out, start = [], 0
    for l, (r, c) in enumerate(arch.shapes):
        out.append((l, start, start + r * c))
        start += r * c
    return out


def _side(g: Any, z: np.ndarray, band: np.ndarray) -> np.ndarray:
    """-1 / +1 strictly below / above every kink of ``g`` by more than ``band``; 0 within it (ties)."""
    side = np.zeros(z.shape, dtype=np.int8)
    for k in g.kinks:  # one kink per activation here; several would each need their own side
        side = np.where(z - k > band, 1, np.where(k - z > band, -1, 0)).astype(np.int8)
    return side


def stencil_crosses(problem: Any, mats: Sequence[np.ndarray], offsets: np.ndarray,
                    z_error: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Which entries' difference stencils move some hidden unit's pre-activation across a kink.

    Computed, not guessed: for every entry i and every displacement ``t`` of ``offsets[i]``, the
    pre-activations of every hidden layer at ``θ + t e_i`` (the perturbed value as stored in the
    problem's dtype) are compared with those at θ. Entry i is flagged when, for some example and some
    unit of a layer whose activation has kinks, the pre-activation changes within the stencil and its
    side of the kink is not the same strict side at every point (a value within the rounding band
    ``TIE_SAFETY·ε·z_error`` of the kink counts as on neither side).

    Parameters
    ----------
    problem : gradtrio.model.Problem
    mats : sequence of ndarray
        The weight matrices, in the problem's dtype.
    offsets : ndarray of shape (n, points)
        :func:`stencil_offsets`.
    z_error : list of ndarray, optional
        :attr:`gradtrio.rounding.RoundingScales.z_error`; by default measured here.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    from ..model import forward
    from ..rounding import TIE_SAFETY, scales_of

    arch = problem.arch
    n = arch.num_params
    crosses = np.zeros(n, dtype=bool)
    if not _has_kinks(arch):
        return crosses
    dt = problem.dtype
    eps = float(np.finfo(dt).eps)
    if z_error is None:
        z_error = scales_of(problem, mats).z_error
    X = problem.X.astype(np.float64)
    M64 = [np.asarray(T, dtype=np.float64) for T in mats]
    base = forward(arch, M64, X, keep=True)
    L = len(mats)
    bands = [TIE_SAFETY * eps * e for e in z_error]
    sides0 = [_side(g, z, b) for g, z, b in zip(arch.hidden, base.zs, bands)]
    offsets = np.asarray(offsets, dtype=np.float64)
    for l, start, stop in _entry_layers(arch):
        if l == L - 1:
            continue  # the output layer's weights move no hidden pre-activation
        rows, cols = arch.shapes[l]
        for b0 in range(start, stop, KINK_BLOCK):
            idx = np.arange(b0, min(b0 + KINK_BLOCK, stop))
            r, c = np.divmod(idx - start, cols)  # row-major within the matrix, as unroll lays it
            T = mats[l]
            stored = (T[r, c][:, None] + offsets[idx].astype(dt)).astype(dt).astype(np.float64)
            P = offsets.shape[1]
            Tb = np.repeat(M64[l][None], idx.size * P, axis=0).reshape(idx.size, P, rows, cols)
            Tb[np.arange(idx.size), :, r, c] = stored
            a = base.acts[l]
            hit = np.zeros(idx.size, dtype=bool)
            for j in range(l, L - 1):
                Tj = Tb if j == l else M64[j]
                z = a @ np.swapaxes(Tj[..., 1:], -1, -2) + Tj[..., None, :, 0]  # (B, P, m, u)
                g = arch.hidden[j]
                if g.kinks:
                    moved = np.any(z != base.zs[j], axis=1)  # (B, m, u): z changes within the stencil
                    s = _side(g, z, bands[j])
                    same = np.all(s == sides0[j], axis=1) & (sides0[j] != 0)
                    hit |= np.any(moved & ~same, axis=(1, 2))
                a = g(z)
            crosses[idx] = hit
    return crosses


@dataclass(frozen=True)
class OneSided:
    """The one-sided derivatives of gradtrio's cost along coordinates, from the branches of each unit.

    Attributes
    ----------
    index : ndarray of int, shape (k,)
        The flat entries.
    lo, hi : ndarray of shape (k,)
        ``[lo, hi]`` holds the left derivative ``−J'(θ; −e_i)``, the right derivative ``J'(θ; e_i)`` and the
        convention's value: ``[left, right]`` (in order) when the units at kinks sit there exactly and
        the convention's value is one of the two (one unit at a kink); the derivative itself
        (``lo == hi``) when no unit is at a kink. Units within rounding of a kink but not exactly at it
        may be on either side in exact arithmetic: they take both branches (the interval widens to hold
        every choice).
    convention : ndarray of shape (k,)
        The derivative with every unit on the branch its ``derivative`` gives at the kink (relu'(0) = 0,
        leaky_relu'(0) = 0.01: the left branch), as backprop, JAX and the complex step compute it.
    error : ndarray of shape (k,)
        Bound on the rounding of ``lo``, ``hi`` and ``convention`` (``ANALYTIC_SAFETY`` applied).
    ties : ndarray of int, shape (k,)
        Per entry, the (example, unit) pairs it moves whose pre-activation is at a kink to within rounding.
    """

    index: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    convention: np.ndarray
    error: np.ndarray
    ties: np.ndarray


def _branch_slopes(g: Any) -> tuple[float, float]:
    """``(left, right)`` limits of ``g'`` at its kink (its derivative just below and just above it)."""
    k = np.array([g.kinks[0]])
    return (float(g.derivative(np.nextafter(k, -np.inf))[0]), float(g.derivative(np.nextafter(k, np.inf))[0]))


def one_sided_derivatives(problem: Any, mats: Sequence[np.ndarray], index: ArrayLike,
                          scales: Any | None = None) -> OneSided:
    """Left and right derivatives of the cost along coordinates ``index``, exactly, from the branches.

    Forward mode along ``e_i`` with interval tangents: a unit whose pre-activation is at a kink to within
    rounding (:func:`gradtrio.rounding.near_kink`, or exactly at it) takes the slope interval
    ``[g'(k⁻), g'(k⁺)]`` (its branch depends on the side the step goes to), every other unit the point
    slope ``g'(z)``; the output contributes ``Σ (h − y) ż_L / m`` and the penalty ``(λ/m) θ_i``. The
    interval holds the left and the right derivative (and every selection of branches); for one unit
    at a kink its ends are the two. No finite difference is taken: no step, no truncation, rounding
    only (bounded with the same running error analysis as the analytic gradients).

    Parameters
    ----------
    problem : gradtrio.model.Problem
    mats : sequence of ndarray
    index : array_like of int
        Flat entries (the layout of :meth:`gradtrio.model.Architecture.unroll`).
    scales : gradtrio.rounding.RoundingScales, optional
        Measured here if not given.

    Returns
    -------
    OneSided
    """
    from ..model import forward
    from ..rounding import TIE_SAFETY, scales_of
    from ..tolerances import ANALYTIC_SAFETY

    arch = problem.arch
    index = np.asarray(index, dtype=np.int64).ravel()
    k = index.size
    lo, hi, conv, err, ties = np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k, dtype=np.int64)
    if k == 0:
        return OneSided(index, lo, hi, conv, err, ties)
    sc = scales_of(problem, mats) if scales is None else scales
    eps = float(np.finfo(problem.dtype).eps)
    M64 = [np.asarray(T, dtype=np.float64) for T in mats]
    X, Y = problem.X.astype(np.float64), problem.Y.astype(np.float64)
    m, L, lam = X.shape[0], len(mats), problem.lam
    base = forward(arch, M64, X, keep=True)
    R = arch.out.residual(base.logits, Y)
    H = arch.out.value(base.logits)
    outer = np.abs(R) + np.abs(H) + np.abs(Y)  # what the output sum's terms round on
    G = sc.grad_error() / eps  # in units of ε, flat
    # Per hidden layer: the point slope g'(z), and where units sit at a kink: exactly (the directional
    # chain rule picks the branch by the sign of the unit's tangent) or within rounding of it (either
    # branch may be the true one: the slope interval [g'(k⁻), g'(k⁺)]).
    slopes, exact, band, branches = [], [], [], []
    for j, g in enumerate(arch.hidden):
        slopes.append(g.derivative(base.zs[j]).astype(np.float64))
        ex = np.zeros(base.zs[j].shape, dtype=bool)
        near = np.zeros(base.zs[j].shape, dtype=bool)
        for kk in g.kinks:
            ex |= base.zs[j] == kk
            near |= np.abs(base.zs[j] - kk) <= TIE_SAFETY * eps * sc.z_error[j]
        exact.append(ex)
        band.append(near & ~ex)
        branches.append(_branch_slopes(g) if g.kinks else (0.0, 0.0))
    width = max(max(arch.sizes), m * arch.sizes[-1])
    layers = _entry_layers(arch)

    def tangents(l: int, zc: np.ndarray, sign: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Propagate ż (centre, radius) from layer l to the logits, along ``sign·e_i`` (None: the
        convention's slopes everywhere); returns centre, radius, |terms| and the tie count."""
        zc = zc if sign is None else sign * zc
        zr, zabs = np.zeros_like(zc), np.abs(zc)
        ntie = np.zeros(zc.shape[0], dtype=np.int64)
        for j in range(l, L - 1):
            s = slopes[j][None]
            sl, sr = branches[j]
            moving = zabs > 0
            ntie += np.sum(moving & (exact[j] | band[j])[None], axis=(1, 2))
            if sign is None:
                sc_, sr_ = np.broadcast_to(s, zc.shape), np.zeros(zc.shape)
            else:
                determined = zr < np.abs(zc)
                chosen = np.where(zc > 0, sr, sl)  # the branch the step enters
                at = exact[j][None]
                hull = (at & ~determined) | band[j][None]
                sc_ = np.where(at & determined, chosen, np.where(hull, (sl + sr) / 2, s))
                sr_ = np.where(hull, abs(sr - sl) / 2, 0.0)
            ac = sc_ * zc
            ar = np.abs(sc_) * zr + sr_ * (np.abs(zc) + zr)
            aab = np.maximum(np.abs(s), np.where(exact[j] | band[j], max(abs(sl), abs(sr)), 0.0)) * zabs
            W = M64[j + 1][:, 1:]
            zc, zr, zabs = ac @ W.T, ar @ np.abs(W).T, aab @ np.abs(W).T
        centre = np.einsum("bmu,mu->b", zc, R) / m
        radius = np.einsum("bmu,mu->b", zr, np.abs(R)) / m
        return centre, radius, np.einsum("bmu,mu->b", zabs, outer) / m, ntie

    for pos in range(0, k, KINK_BLOCK):
        sel = np.arange(pos, min(pos + KINK_BLOCK, k))
        for l, start, stop in layers:
            mine = sel[(index[sel] >= start) & (index[sel] < stop)]
            if mine.size == 0:
                continue
            rows, cols = arch.shapes[l]
            r_, c_ = np.divmod(index[mine] - start, cols)
            B = mine.size
            # ż of layer l: only unit r_ moves, by its input a_c (1 for the bias column)
            zc = np.zeros((B, m, rows))
            seed = np.where(c_[None, :] == 0, 1.0, base.acts[l][:, np.maximum(c_ - 1, 0)])  # (m, B)
            zc[np.arange(B), :, r_] = seed.T
            pen = np.where(c_ == 0, 0.0, lam / m * M64[l][r_, c_])
            cR, rR, terms, ntie = tangents(l, zc, 1.0)
            cL, rL, _, _ = tangents(l, zc, -1.0)
            point, _, _, _ = tangents(l, zc, None)
            right = (cR - rR, cR + rR)  # J'(θ; e_i)
            left = (-(cL + rL), -(cL - rL))  # −J'(θ; −e_i)
            lo[mine] = np.minimum(np.minimum(right[0], left[0]), point) + pen
            hi[mine] = np.maximum(np.maximum(right[1], left[1]), point) + pen
            conv[mine] = point + pen
            err[mine] = ANALYTIC_SAFETY * eps * (G[index[mine]] + np.sqrt(width + 1.0) * terms)
            ties[mine] = ntie
    return OneSided(index, lo, hi, conv, err, ties)
