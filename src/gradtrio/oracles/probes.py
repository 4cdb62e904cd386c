"""One probe of a gradient along a direction, judged against its own measured error bound.

The error bound of one probe
----------------------------
With step ``h`` (the dtype's central-difference step, :func:`gradtrio.oracles.default_step`),
``D(h) = (J(θ+hu) − J(θ−hu)) / 2h`` differs from the true ``⟨∇J, u⟩`` by

- **rounding**: each evaluation of J carries an error of size σ (the cost's noise), so
  ``D(h)`` carries about ``σ/h``. σ is *measured* once per call, from the high-order differences
  of J along a random line (the method of Moré & Wild, "Estimating computational noise", SIAM J.
  Sci. Comput. 33, 2011), and never taken below ``ε·|J|``, the rounding of the result itself;
- **truncation**: ``c h² + O(h⁴)``. It is *estimated* from the same probe at step 2h:
  ``D(2h) − D(h) ≈ 3 c h²``, so the truncation of ``D(h)`` is about ``|D(h) − D(2h)| / 3``;
- **the analytic side**: ⟨g, u⟩ is itself a rounded dot product of a rounded gradient,
  ``≈ ε Σ|g_i u_i|`` times a few.

A probe fails when ``|⟨g, u⟩ − D(h)|`` exceeds the sum of these terms, each multiplied by the
safety factor written beside its constant. Steps are realized in the working dtype: the
displacement actually applied, ``fl(θ + hu) − fl(θ − hu)``, is what the analytic side is dotted
with, so float32 representation error does not count as a gradient error.

Numbering: a :class:`Suspect` names ``layer`` from 1 (``Theta(1)`` is ``thetas[0]``, as in the
course) and ``row``, ``col`` as 0-based indices into that matrix, so ``col == 0`` is the bias
column, matching the ``Θ_ij, j = 0`` of the course's formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ..network import check_sizes, num_params, theta_shapes
from ..tolerances import GRAD_ROUND_SAFETY, ROUND_SAFETY, TRUNC_SAFETY
from .function import flat_vector, rng_of
from .noise import estimate_noise, noise_level
from .steps import default_step

__all__ = ["Suspect", "ProbeRecord", "suspect_at", "Prober", "check_inputs"]


class Suspect(NamedTuple):
    """One gradient entry, named as in the course: ``Theta(layer)[row, col]``.

    Attributes
    ----------
    layer : int
        From 1: ``Theta(1)`` is ``thetas[0]``.
    row, col : int
        0-based indices into ``thetas[layer - 1]``; ``col == 0`` is the bias column.
    index : int
        Position in the unrolled vector (``unroll(thetas)[index]``).
    """

    layer: int
    row: int
    col: int
    index: int  # type: ignore[assignment]  # the unrolled position; tuple.index is not used on a Suspect

    def __str__(self) -> str:
        return f"Theta({self.layer})[{self.row}, {self.col}]" + (" (bias)" if self.col == 0 else "")


class ProbeRecord(NamedTuple):
    """One probe: its support size, where it lies, its error ratio and verdict.

    ``ratio = |⟨g, u⟩ − D(h)| / bound``; the probe fails when ``ratio > 1``.
    """

    kind: str  # "layer", "random", "bisect" or "entry"
    size: int
    first: Suspect
    ratio: float
    failed: bool


def suspect_at(index: int, sizes: Sequence[int]) -> Suspect:
    """Name the unrolled position ``index`` as ``Theta(layer)[row, col]``.

    Parameters
    ----------
    index : int
        In ``0 .. num_params(sizes) - 1``.
    sizes : sequence of int

    Returns
    -------
    Suspect
    """
    start = 0
    for layer, (r, c) in enumerate(theta_shapes(sizes), start=1):
        if index < start + r * c:
            row, col = divmod(index - start, c)
            return Suspect(layer, row, col, int(index))
        start += r * c
    raise ValueError(f"index {index} is outside the {start} parameters of sizes={tuple(sizes)}")



def check_inputs(grad, theta, sizes) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The gradient as a flat vector, θ, and the checked sizes whose parameters θ must hold."""
    sizes = check_sizes(sizes)
    n = num_params(sizes)
    theta = np.asarray(theta)
    if theta.ndim != 1 or theta.size != n:
        raise ValueError(f"theta must be the unrolled vector of {n} parameters of sizes={sizes}; "
                         f"got shape {theta.shape}")
    return flat_vector(grad, n, "the analytic gradient"), theta, sizes


class Prober:
    """Evaluates probes of one (cost, gradient, θ) and counts cost evaluations.

    ``noise_floor`` is the least noise σ assumed for the cost (e.g. ``ε·S_J`` of
    :func:`gradtrio.rounding.rounding_scales`); the measured noise is used when it is larger.
    ``grad_error`` (shape ``(n,)``) bounds the analytic gradient's own rounding entry by entry; without
    it, ``GRAD_ROUND_SAFETY·ε·max(|g_i|, 1)`` is assumed: the terms summed into an entry are taken to be of
    order one at least (for the cross-entropy, ``h − y`` of each example), since a black-box gradient that
    cancels to nearly zero still carries their rounding. ``step_scale`` (shape ``(n,)``, values >= 1) divides
    the step of a probe by its root mean square on the probe's support (see :mod:`gradtrio.oracles.bounded`).
    """

    def __init__(self, cost_fn: Callable[[np.ndarray], float], g: np.ndarray, theta: np.ndarray,
                 h: float | None, noise: float | None, seed: int | np.random.Generator | None,
                 noise_floor: float = 0.0, grad_error: ArrayLike | None = None,
                 step_scale: ArrayLike | None = None):
        if theta.dtype.kind != "f":
            raise TypeError(f"theta must be a real floating vector; got dtype {theta.dtype}")
        self.cost_fn, self.theta, self.dtype = cost_fn, theta, theta.dtype
        self.g = g.astype(np.float64)
        self.eps = float(np.finfo(self.dtype).eps)
        self.h = float(default_step("central", self.dtype)) if h is None else float(h)
        if not (np.isfinite(self.h) and self.h > 0):
            raise ValueError(f"step h must be a positive finite number; got {h!r}")
        n = theta.size
        self.grad_error = (GRAD_ROUND_SAFETY * self.eps * np.maximum(np.abs(self.g), 1.0) if grad_error is None
                           else flat_vector(np.asarray(grad_error, dtype=np.float64), n, "grad_error"))
        self.step_scale = np.ones(n) if step_scale is None else flat_vector(np.asarray(step_scale, float), n,
                                                                           "step_scale")
        if np.any(self.step_scale < 1):
            raise ValueError("step_scale values must be >= 1")
        self.rng = rng_of(seed)
        self.evaluations = 0
        self.J0 = self._J(theta)
        measured = estimate_noise(self._J, theta, seed=self.rng) if noise is None else float(noise)
        self.noise = noise_level(measured, self.J0, self.dtype, noise_floor)

    def _J(self, v: np.ndarray) -> float:
        self.evaluations += 1
        val = float(self.cost_fn(v))
        if not np.isfinite(val):
            raise FloatingPointError(f"the cost is not finite ({val}) at a probe point; "
                                     "use a smaller step h or check the cost function")
        return val

    def probe(self, support: np.ndarray, signs: np.ndarray) -> tuple[float, float, float, float, float]:
        """Probe along ``u = signs/sqrt(|S|)`` on ``support``.

        Returns ``(analytic, fd, rounding, truncation, bound)`` for the unit direction.
        """
        theta = self.theta
        # random signs on the support move the logits by about h·rms(step_scale) (one entry: its own)
        h = self.h / max(1.0, float(np.sqrt(np.mean(self.step_scale[support] ** 2))))
        u = signs.astype(np.float64) / np.sqrt(support.size)
        D, A = [], []
        for step in (h, 2 * h):
            plus, minus = theta.copy(), theta.copy()
            plus[support] = theta[support] + (step * u).astype(self.dtype)
            minus[support] = theta[support] - (step * u).astype(self.dtype)
            realized = plus[support].astype(np.float64) - minus[support].astype(np.float64)
            D.append((self._J(plus) - self._J(minus)) / (2 * step))
            A.append(float(self.g[support] @ realized) / (2 * step))  # ⟨g, realized displacement⟩
        rounding = self.noise / h
        truncation = abs((D[0] - A[0]) - (D[1] - A[1])) / 3.0
        analytic_round = float(self.grad_error[support] @ np.abs(u))
        bound = ROUND_SAFETY * rounding + TRUNC_SAFETY * truncation + analytic_round
        return A[0], D[0], rounding, truncation, bound


