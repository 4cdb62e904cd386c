"""Kinks of gradtrio's own networks: which difference stencils cross one, and the one-sided derivatives.

A central difference ``(J(θ + h e_i) − J(θ − h e_i)) / 2h`` whose stencil moves some hidden unit's
pre-activation across a kink of its activation (relu, leaky_relu: ``Activation.kinks``) mixes two
branches: it is no derivative, and no tolerance makes it one (torch issue 114234; caffe's "check
subgradients at kinks"). For gradtrio's own cost nothing needs guessing:

- :func:`stencil_crosses` computes the pre-activations of every hidden layer at every point of each
  entry's stencil and flags the entries where one of them changes side;
- :func:`one_sided_derivatives` gives, for those entries, the left derivative ``−J'(θ; −e_i)`` and the
  right derivative ``J'(θ; e_i)`` exactly (to rounding), by forward mode with the directional chain
  rule ``relu'(0; ż) = max(ż, 0)``: a unit sitting exactly at its kink takes the branch the step enters.
  A unit within rounding of a kink but not on it (:func:`gradtrio.rounding.near_kink`) could be on
  either side in exact arithmetic: it takes the slope interval of both branches. The convention's
  value (``relu'(0) = 0``, ``leaky_relu'(0) = 0.01``: the left branch, as scikit-learn, PyTorch and JAX,
  and gradtrio's backprop) is computed too.

A correct gradient lies in ``[lo, hi]``, the range of the left derivative, the right derivative and
the convention's value (for one unit at a kink, the convention's value is one of the two; when several
sit at kinks at once, the convention's composite can lie outside ``[left, right]``, and is no bug).
:mod:`gradtrio.check` judges those entries so. The complex step branches on the real part: exact
away from a kink; at an exact tie where ``Re z`` stays 0 (only relu, leaky_relu or identity units, or
none, feed the unit), ``relu`` and ``leaky_relu`` take their ``z <= 0`` branch, the convention's value.
Where a smooth unit upstream moves ``Re z`` off the kink by O(h²), it takes the branch of that side: one
of the one-sided derivatives. :func:`stencil_crosses` with the complex offsets finds those entries
(computed in the complex dtype), and they are judged as the others are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["OneSided", "KINK_BLOCK", "stencil_offsets", "stencil_crosses", "one_sided_derivatives"]

#: Entries per block of the batched passes below: a block holds ``KINK_BLOCK × points × m × units``
#: pre-activations (64 × 4 × 300 × 25 floats = 15 MB for the study's largest problems).
KINK_BLOCK = 64


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
    """``(layer, start, stop)`` of each weight matrix's entries in the flat vector (:attr:`offsets`)."""
    o = arch.offsets
    return [(l, o[l], o[l + 1]) for l in range(len(arch.shapes))]


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
        :func:`stencil_offsets`; complex offsets ``i h`` for the complex step, whose branches follow the
        real parts: they stay exactly on a kink through relu, leaky_relu and identity units, but a
        smooth unit upstream moves them by O(h²) (``Re g(x + ih) = g(x) − h² g''(x)/2 + ...``), which
        picks a side.
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
    if not arch.kinked:
        return crosses
    dt = problem.dtype
    eps = float(np.finfo(dt).eps)
    if z_error is None:
        z_error = scales_of(problem, mats).z_error
    # The unmoved point first: each stencil point is compared with θ computed the same way (complex
    # arithmetic rounds real parts differently from real arithmetic: no change may be read from that).
    offsets = np.asarray(offsets)
    offsets = np.concatenate([np.zeros((offsets.shape[0], 1), dtype=offsets.dtype), offsets], axis=1)
    # A complex stencil (the complex step's θ + i h e_i) is computed in the complex dtype the complex
    # step uses; its real parts decide the branches. A real one in float64 from the stored perturbed values.
    wdt: np.dtype = np.dtype(np.float64)
    if np.iscomplexobj(offsets):
        wdt = np.dtype(np.complex64 if dt == np.float32 else np.complex128)
    X = problem.X.astype(wdt)
    M = [np.asarray(T).astype(wdt) for T in mats]
    base = forward(arch, [np.asarray(T, dtype=np.float64) for T in mats], problem.X.astype(np.float64), keep=True)
    L = len(mats)
    bands = [TIE_SAFETY * eps * e for e in z_error]
    sides0 = [_side(g, z, b) for g, z, b in zip(arch.hidden, base.zs, bands)]
    acts0 = [X] + [g(z.astype(wdt)) for g, z in zip(arch.hidden, base.zs)]
    for l, start, stop in _entry_layers(arch):
        if l == L - 1:
            continue  # the output layer's weights move no hidden pre-activation
        rows, cols = arch.shapes[l]
        for b0 in range(start, stop, KINK_BLOCK):
            idx = np.arange(b0, min(b0 + KINK_BLOCK, stop))
            r, c = np.divmod(idx - start, cols)  # row-major within the matrix, as unroll lays it
            T = np.asarray(mats[l])
            if wdt.kind == "c":
                stored = T[r, c][:, None].astype(wdt) + offsets[idx].astype(wdt)
            else:
                stored = (T[r, c][:, None] + offsets[idx].astype(dt)).astype(dt).astype(np.float64)
            P = offsets.shape[1]
            Tb = np.repeat(M[l][None], idx.size * P, axis=0).reshape(idx.size, P, rows, cols)
            Tb[np.arange(idx.size), :, r, c] = stored
            a = acts0[l]
            hit = np.zeros(idx.size, dtype=bool)
            for j in range(l, L - 1):
                Tj = Tb if j == l else M[j]
                z = a @ np.swapaxes(Tj[..., 1:], -1, -2) + Tj[..., None, :, 0]  # (B, P, m, u)
                g = arch.hidden[j]
                if g.kinks:
                    zr = z.real.astype(np.float64)
                    moved = np.any(zr[:, 1:] != zr[:, :1], axis=1)  # (B, m, u): z changes within the stencil
                    same = np.all(_side(g, zr, bands[j]) == sides0[j], axis=1) & (sides0[j] != 0)
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


class _Linearization:
    """The network at θ, as forward mode along one coordinate needs it: the pass, the residual, and per
    hidden layer the point slope ``g'(z)``, where units sit exactly at a kink (the directional chain rule
    picks the branch by the sign of the unit's tangent) and where within rounding of one (either branch
    may be the true one: the slope interval ``[g'(k⁻), g'(k⁺)]``)."""

    def __init__(self, problem: Any, mats: Sequence[np.ndarray], z_error: Sequence[np.ndarray]):
        from ..model import forward
        from ..rounding import TIE_SAFETY

        arch = self.arch = problem.arch
        eps = float(np.finfo(problem.dtype).eps)
        self.M = [np.asarray(T, dtype=np.float64) for T in mats]
        X, Y = problem.X.astype(np.float64), problem.Y.astype(np.float64)
        self.m, self.L = X.shape[0], len(mats)
        self.base = forward(arch, self.M, X, keep=True)
        self.R = arch.out.residual(self.base.logits, Y)
        self.outer = np.abs(self.R) + np.abs(arch.out.value(self.base.logits)) + np.abs(Y)  # the terms' scale
        self.slopes, self.exact, self.band, self.branches = [], [], [], []
        for j, g in enumerate(arch.hidden):
            z = self.base.zs[j]
            self.slopes.append(g.derivative(z).astype(np.float64))
            ex, near = np.zeros(z.shape, dtype=bool), np.zeros(z.shape, dtype=bool)
            for kk in g.kinks:
                ex |= z == kk
                near |= np.abs(z - kk) <= TIE_SAFETY * eps * z_error[j]
            self.exact.append(ex)
            self.band.append(near & ~ex)
            self.branches.append(_branch_slopes(g) if g.kinks else (0.0, 0.0))

    def seed(self, l: int, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """ż of layer l along ``e_i`` for the entries ``(r, c)`` of ``mats[l]``: only unit r moves, by
        its input a_c (1 for the bias column); shape ``(B, m, units)``."""
        zc = np.zeros((r.size, self.m, self.arch.shapes[l][0]))
        inputs = np.where(c[None, :] == 0, 1.0, self.base.acts[l][:, np.maximum(c - 1, 0)])  # (m, B)
        zc[np.arange(r.size), :, r] = inputs.T
        return zc

    def _layer(self, j: int, zc: np.ndarray, zr: np.ndarray, sign: float | None) -> tuple[np.ndarray, np.ndarray]:
        """The slope (centre, radius) of hidden layer j for tangents ``(zc ± zr)`` along ``sign·e_i``."""
        s, (sl, sr) = self.slopes[j][None], self.branches[j]
        if sign is None:
            return np.broadcast_to(s, zc.shape), np.zeros(zc.shape)
        at, band = self.exact[j][None], self.band[j][None]
        determined = zr < np.abs(zc)
        chosen = np.where(zc > 0, sr, sl)  # the branch the step enters
        hull = (at & ~determined) | band
        return (np.where(at & determined, chosen, np.where(hull, (sl + sr) / 2, s)),
                np.where(hull, abs(sr - sl) / 2, 0.0))

    def tangents(self, l: int, zc: np.ndarray, sign: float | None) -> tuple[np.ndarray, ...]:
        """Propagate ż (centre, radius) from layer l to the logits along ``sign·e_i`` (None: the
        convention's slopes everywhere); returns dJ's centre and radius, the |terms| and the tie count."""
        zc = zc if sign is None else sign * zc
        zr, zabs = np.zeros_like(zc), np.abs(zc)
        ntie = np.zeros(zc.shape[0], dtype=np.int64)
        for j in range(l, self.L - 1):
            tie = self.exact[j] | self.band[j]
            ntie += np.sum((zabs > 0) & tie[None], axis=(1, 2))
            c_, r_ = self._layer(j, zc, zr, sign)
            sl, sr = self.branches[j]
            top = np.maximum(np.abs(self.slopes[j]), np.where(tie, max(abs(sl), abs(sr)), 0.0))
            W = self.M[j + 1][:, 1:]
            zc, zr, zabs = ((c_ * zc) @ W.T, (np.abs(c_) * zr + r_ * (np.abs(zc) + zr)) @ np.abs(W).T,
                            (top * zabs) @ np.abs(W).T)
        m = self.m
        return (np.einsum("bmu,mu->b", zc, self.R) / m, np.einsum("bmu,mu->b", zr, np.abs(self.R)) / m,
                np.einsum("bmu,mu->b", zabs, self.outer) / m, ntie)


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
    from ..rounding import scales_of
    from ..tolerances import ANALYTIC_SAFETY

    arch = problem.arch
    index = np.asarray(index, dtype=np.int64).ravel()
    k = index.size
    lo, hi, conv, err, ties = np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k, dtype=np.int64)
    if k == 0:
        return OneSided(index, lo, hi, conv, err, ties)
    sc = scales_of(problem, mats) if scales is None else scales
    eps = float(np.finfo(problem.dtype).eps)
    lin = _Linearization(problem, mats, sc.z_error)
    G = sc.grad_error() / eps  # in units of ε, flat
    width = max(max(arch.sizes), lin.m * arch.sizes[-1])
    for pos in range(0, k, KINK_BLOCK):
        sel = np.arange(pos, min(pos + KINK_BLOCK, k))
        for l, start, stop in _entry_layers(arch):
            mine = sel[(index[sel] >= start) & (index[sel] < stop)]
            if mine.size == 0:
                continue
            r_, c_ = np.divmod(index[mine] - start, arch.shapes[l][1])
            zc = lin.seed(l, r_, c_)
            pen = np.where(c_ == 0, 0.0, problem.lam / lin.m * lin.M[l][r_, c_])
            cR, rR, terms, ntie = lin.tangents(l, zc, 1.0)  # J'(θ; e_i): the right derivative
            cL, rL, _, _ = lin.tangents(l, zc, -1.0)  # J'(θ; −e_i) = −(the left derivative)
            point = lin.tangents(l, zc, None)[0]
            lo[mine] = np.minimum(np.minimum(cR - rR, -(cL + rL)), point) + pen
            hi[mine] = np.maximum(np.maximum(cR + rR, -(cL - rL)), point) + pen
            conv[mine] = point + pen
            err[mine] = ANALYTIC_SAFETY * eps * (G[index[mine]] + np.sqrt(width + 1.0) * terms)
            ties[mine] = ntie
    return OneSided(index, lo, hi, conv, err, ties)
