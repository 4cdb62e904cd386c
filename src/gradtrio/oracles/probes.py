"""One probe of a gradient along a direction, judged against its own measured error bound.

The error bound of one probe
----------------------------
With step ``h`` (the dtype's central-difference step, :func:`gradtrio.oracles.default_step`),
``D(h) = (J(θ+hu) − J(θ−hu)) / 2h`` differs from the true ``⟨∇J, u⟩`` by

- **rounding**: each evaluation of J carries an error of size σ (the cost's noise), so
  ``D(h)`` carries about ``σ/h``. σ is *measured* once per call, from the high-order differences
  of J along a random line (the method of Moré & Wild, "Estimating computational noise", SIAM J.
  Sci. Comput. 33, 2011), and never taken below ``ε·|J|``, the rounding of the result itself;
- **truncation**: ``c h² + d h⁴ + O(h⁶)``. It is *estimated* from the same probe at step 2h:
  ``D(2h) − D(h) ≈ 3 c h²``, so the truncation of ``D(h)`` is about ``|D(h) − D(2h)| / 3``. That
  estimate is off by ``4 d h⁴ = J⁽⁵⁾h⁴/30``, negligible only in the asymptotic range; outside it the
  two terms can cancel in ``D(2h) − D(h)`` while ``D(h)`` stays as far off (float32's ``h = 0.025`` on
  data of ``|x| ≈ 40`` moves a logit by 1 per step: false alarms of 1-27× the bound). The four evaluations
  of the probe also give J's even part, whose fourth difference measures the quartic term
  (:data:`ASYMPTOTIC_RATIO`); where it is not negligible, the probe halves its step (two evaluations
  a halving) until the Romberg table of its three finest steps is consistent, and bounds ``D(s)`` with
  the ``s⁴`` term that table measures (:data:`ROMBERG_CONSISTENCY`);
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
from .bounded import BATCH
from .function import flat_vector, rng_of
from .noise import estimate_noise, noise_level
from .steps import default_step

__all__ = ["Suspect", "ProbeRecord", "suspect_at", "Prober", "check_inputs", "ASYMPTOTIC_RATIO", "QUARTIC_NOISE",
           "ROMBERG_CONSISTENCY", "MAX_HALVINGS", "VERIFY_FRACTION", "PREFETCH_PROBES", "PREFETCH_NUMBERS"]

#: The two-step truncation estimate ``|D(h) − D(2h)|/3`` is exact up to ``J⁽⁵⁾h⁴/30``; it stands only where
#: the quartic term of J along the probe is small beside the quadratic one. The same four evaluations
#: measure both, on J's even part: ``Δ²J = J(h) + J(−h) − 2J = J″h² + J⁗h⁴/12`` and the fourth difference
#: ``Δ⁴J = Δ²J(2h) − 4Δ²J(h) = J⁗h⁴ + O(h⁶)``, so ``γ = |Δ⁴J| / (12|Δ²J|) ≈ |J⁗|h²/(12|J″|)`` is the
#: expansion's parameter (for one logit moving by x·h: about (xh)²/24). A step is *asymptotic* when
#: γ <= ASYMPTOTIC_RATIO, or when Δ⁴J is within QUARTIC_NOISE standard deviations of its rounding
#: (``sqrt(70)·σ``, Moré & Wild's C(8, 4) = 70). Measured on sums of 1-7 softplus ridges with
#: |x·h| from 0.0025 to 3 and float32 noise (10⁵ draws), every draw whose two-step bound failed had
#: γ >= 5e-4 and Δ⁴J >= 23 σ·sqrt(70): 1e-4 and 4 leave a factor 5. (A draw that is *not* asymptotic
#: is not wrong: it costs two evaluations a halving, below.)
ASYMPTOTIC_RATIO = 1e-4
QUARTIC_NOISE = 4.0
#: Outside the asymptotic range a probe halves its step (two evaluations each) until the Romberg table of
#: its three finest steps is consistent — ``t₂`` (the truncation of D(2s)) within ROMBERG_CONSISTENCY·|t₂|,
#: plus rounding, of ``4 t₁`` (four times that of D(s)), so that the s⁴ term is at most half the s² term
#: and its own O(s⁶) remainder negligible — or the step is asymptotic, at most MAX_HALVINGS times (the
#: rounding σ/s grows 32-fold: the resolution then says what was lost). A probe no step settles has an
#: infinite bound: it cannot fail, and its check is inconclusive.
ROMBERG_CONSISTENCY = 0.5
MAX_HALVINGS = 5
#: Probes a batched call of :meth:`Prober.prefetch` evaluates (4 rows each) when the cost names no
#: ``batch_size``: :data:`gradtrio.oracles.BATCH`, the coordinates of a call of the bounded differences.
#: A cost that names one gets ``batch_size // 2`` probes a call: the ``2·batch_size`` rows a call of
#: :func:`gradtrio.oracles.numerical_gradient_batched` sends it.
PREFETCH_PROBES = BATCH
#: The most numbers of perturbed vectors :meth:`Prober.prefetch` holds at once (``4 · probes · n``):
#: 2²⁴, 128 MiB of float64, as the activation budget of one batched call (``BATCH_NUMBERS`` of
#: :mod:`gradtrio.model.closures`).
PREFETCH_NUMBERS = 2**24
#: The quartic test reads J's even part, which a mixture of examples can keep small while the odd part is
#: far from asymptotic (Hypothesis: 6-10, m = 20, |x| up to 97, J = 307: Δ⁴J within its noise, D(h) off by
#: 4x its bound). So a probe whose gap |⟨g, u⟩ − D(h)| exceeds VERIFY_FRACTION of its two-step bound is also
#: verified by halving before its verdict is taken, when the spread of its secant slopes says truncation could
#: account for the gap (a gap far beyond it, as a planted bug's, stands at four evaluations). 1: only a probe
#: that would fail is verified. Below it the two-step bound held in every draw measured (worst 0.99 of it on
#: raw pixel data), while halving a probe whose cost is quantized far above the measured σ (a sum of large
#: cancelling terms) can land on steps where J(θ ± s) moves by a few quanta and turn a sound pass into a
#: false "fail" (Hypothesis found one at 0.5): a smaller fraction needs a better noise estimate first.
VERIFY_FRACTION = 1.0


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
    ``batched`` says the cost also maps ``(B, n)`` to ``(B,)``: :meth:`prefetch` then evaluates the points of
    many probes a call (``batch_size // 2`` probes, the rows of one call of the batched differences; by
    default :data:`PREFETCH_PROBES`).
    """

    def __init__(self, cost_fn: Callable[[np.ndarray], float], g: np.ndarray, theta: np.ndarray,
                 h: float | None, noise: float | None, seed: int | np.random.Generator | None,
                 noise_floor: float = 0.0, grad_error: ArrayLike | None = None,
                 step_scale: ArrayLike | None = None, *, batched: bool = False, batch_size: int | None = None):
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
        self.batched = bool(batched)
        self.per_call = max(1, int(batch_size) // 2) if batch_size else PREFETCH_PROBES
        self._known: dict[tuple[bytes, bytes, float], float] = {}  # costs evaluated ahead (prefetch)
        self.J0 = self._J(theta)
        measured = estimate_noise(self._J, theta, seed=self.rng) if noise is None else float(noise)
        self.noise = noise_level(measured, self.J0, self.dtype, noise_floor)

    def _J(self, v: np.ndarray, key: tuple[bytes, bytes, float] | None = None) -> float:
        """J(v), or the value :meth:`prefetch` evaluated for the point named ``key`` (counted then)."""
        known = self._known.pop(key, None) if key is not None else None
        if known is None:
            self.evaluations += 1
            val = float(self.cost_fn(v))
        else:
            val = known
        if not np.isfinite(val):
            raise FloatingPointError(f"the cost is not finite ({val}) at a probe point; "
                                     "use a smaller step h or check the cost function")
        return val

    def _base_step(self, support: np.ndarray) -> float:
        """The step of a probe on ``support``: random signs on it move the logits by about
        ``h·rms(step_scale)`` (one entry: its own), so ``h`` is divided by that root mean square."""
        return self.h / max(1.0, float(np.sqrt(np.mean(self.step_scale[support] ** 2))))

    def _points(self, support: np.ndarray, u: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
        """The stored points ``fl(θ ± step·u)`` of one central difference."""
        theta = self.theta
        plus, minus = theta.copy(), theta.copy()
        plus[support] = theta[support] + (step * u).astype(self.dtype)
        minus[support] = theta[support] - (step * u).astype(self.dtype)
        return plus, minus

    @staticmethod
    def _key(support: np.ndarray, u: np.ndarray, step: float, side: int) -> tuple[bytes, bytes, float]:
        return support.tobytes(), u.tobytes(), float(side * step)

    def prefetch(self, probes: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Evaluate the base-step points of many probes ahead, in batched calls of the cost.

        For a batched cost (``batched=True``: ``(B, n) -> (B,)``) the four points ``θ ± s u``, ``θ ± 2s u`` of
        each ``(support, signs)`` are evaluated :attr:`per_call` probes (4 rows each) a call, so that a
        cost that splits its rows over devices (:mod:`gradtrio.sharding`) gets them all at once; the
        :meth:`probe` of each then reads its values instead of calling the cost, in any order. The values,
        the counts of :attr:`evaluations` and every result are those of the probes one by one (to the
        rounding of the cost's batched evaluation). Nothing is done for a cost that is not batched.
        """
        if not self.batched or not probes:
            return
        # rows held at once: a call's batch, and at most PREFETCH_NUMBERS numbers of perturbed vectors
        per_call = max(1, min(self.per_call, PREFETCH_NUMBERS // (4 * self.theta.size)))
        for start in range(0, len(probes), per_call):
            keys: list[tuple[bytes, bytes, float]] = []
            rows, seen = [], set(self._known)
            for support, signs in probes[start : start + per_call]:
                h = self._base_step(support)
                u = signs.astype(np.float64) / np.sqrt(support.size)
                for step in (h, 2 * h):
                    plus, minus = self._points(support, u, step)
                    for side, point in ((1, plus), (-1, minus)):
                        key = self._key(support, u, step, side)
                        if key not in seen:  # a point already known, or given twice: evaluated once
                            seen.add(key)
                            keys.append(key)
                            rows.append(point)
            if not rows:
                continue
            costs = np.asarray(self.cost_fn(np.stack(rows)), dtype=np.float64)
            if costs.shape != (len(rows),):
                raise ValueError(f"a batched cost must return one value a row, shape ({len(rows)},); "
                                 f"got {costs.shape}")
            self.evaluations += len(rows)
            self._known.update(zip(keys, costs.tolist()))

    def _central(self, support: np.ndarray, u: np.ndarray, step: float) -> tuple[float, float, float, float]:
        """One central difference along ``u`` at ``step``, two evaluations: ``(D, A, even, leak)``.

        ``D = (J₊ − J₋)/2step``; ``A = ⟨g, r₊ − r₋⟩/2step``, the analytic side dotted with the displacement
        actually stored (``r± = fl(θ ± step·u) − θ``); ``even = J₊ + J₋ − 2J(θ)``, the second difference;
        ``leak = Σ|g_i|·|r₊ + r₋|_i``, what the stored points' asymmetry adds to ``even`` at first order (a
        wrong ``g`` only widens this allowance, which keeps the plain two-step bound: it cannot hide a bug).
        """
        plus, minus = self._points(support, u, step)
        t0 = self.theta[support].astype(np.float64)
        rp, rm = plus[support].astype(np.float64) - t0, minus[support].astype(np.float64) - t0
        Jp, Jm = self._J(plus, self._key(support, u, step, 1)), self._J(minus, self._key(support, u, step, -1))
        g = self.g[support]
        leak = float(np.abs(g) @ np.abs(rp + rm))
        return (Jp - Jm) / (2 * step), float(g @ (rp - rm)) / (2 * step), Jp + Jm - 2 * self.J0, leak

    def _asymptotic(self, at_s: tuple[float, float, float, float], at_2s: tuple[float, float, float, float],
                    noise: float) -> bool:
        """Whether the quartic term of J along the probe is negligible at step s (module docstring):
        ``|Δ⁴J| <= max(ASYMPTOTIC_RATIO·12·|Δ²J|, QUARTIC_NOISE·sqrt(70)·σ + leaks)``."""
        even = at_s[2]
        allowance = QUARTIC_NOISE * np.sqrt(70.0) * noise + at_2s[3] + 4.0 * at_s[3]
        return bool(abs(_quartic(at_s, at_2s)) <= max(ASYMPTOTIC_RATIO * 12.0 * abs(even), allowance))

    def probe(self, support: np.ndarray, signs: np.ndarray) -> tuple[float, float, float, float, float]:
        """Probe along ``u = signs/sqrt(|S|)`` on ``support``.

        Returns ``(analytic, fd, rounding, truncation, bound)`` for the unit direction, at the step the probe
        settled on: the base step, or a halving of it where the base step could not be trusted (below).
        """
        h = self._base_step(support)
        u = signs.astype(np.float64) / np.sqrt(support.size)
        at_s, at_2s = self._central(support, u, h), self._central(support, u, 2 * h)
        # e(s) = D(s) − A(s) = c s² + d s⁴ + …: the error of D(s) (A takes out ⟨g, ·⟩ of the stored displacement).
        e_s, e_2s = at_s[0] - at_s[1], at_2s[0] - at_2s[1]
        # (e(2s) − e(s))/3 = c s² + 5 d s⁴: the truncation of D(s), up to −4 d s⁴ = −J⁽⁵⁾s⁴/30.
        truncation, s, noise = abs(e_2s - e_s) / 3.0, h, self.noise
        analytic_round = float(self.grad_error[support] @ np.abs(u))
        bound = ROUND_SAFETY * noise / h + TRUNC_SAFETY * truncation + analytic_round
        untruncated = ROUND_SAFETY * noise / h + analytic_round  # the bound less its truncation term
        if not self._asymptotic(at_s, at_2s, noise) or _truncation_could_explain(at_s, at_2s, h, untruncated, bound):
            # The neglected 4 d s⁴ can cancel c s² in e(2s) − e(s) while e(s) stays as large (false alarms of
            # 1.1-27× the bound in float32 at |x| ≈ 20-100, h·|x| ≈ 0.5-2.5). Halve the step (two evaluations
            # each) until the Romberg table of the three finest steps is consistent, and bound D(s) with the
            # s⁴ term that table measures: with t₁ = (e(2s) − e(s))/3 = c s² + 5 d s⁴ and
            # t₂ = (e(4s) − e(2s))/3 = 4 c s² + 80 d s⁴, t₂ − 4 t₁ = 60 d s⁴ and e(s) = t₁ − (t₂ − 4 t₁)/15.
            truncation = np.inf  # no step of MAX_HALVINGS settled: nothing is certified (inconclusive)
            for _ in range(MAX_HALVINGS):
                s /= 2.0
                coarse = _quartic(at_s, at_2s)
                at_s, at_2s = self._central(support, u, s), at_s
                # A smooth J's Δ⁴ shrinks 16-fold a halving; what the finer one keeps beyond Q/16 is noise the
                # measurement missed (a cost quantized far above ε|J| by the cancelling sums it is made of: a
                # step then halved below that quantum sees J not move at all). Read as Moré & Wild's estimator
                # (one sample of Δ⁴, variance (70 + 70/256) σ²), it floors this probe's σ from here on.
                noise = max(noise, abs(_quartic(at_s, at_2s) - coarse / 16.0) / np.sqrt(70.0 * (1 + 1 / 256)))
                e_s, e_2s, e_4s = at_s[0] - at_s[1], e_s, e_2s
                t1, t2 = (e_2s - e_s) / 3.0, (e_4s - e_2s) / 3.0
                romberg = abs(t2 - 4.0 * t1)
                slack = ROUND_SAFETY * noise / s  # t₂ − 4t₁'s rounding: std ≈ 1.1 σ/s (e(ks) carries σ/(√2 ks))
                if romberg <= ROMBERG_CONSISTENCY * abs(t2) + slack:
                    # The consistent table bounds both D(s), by |t₁| + |t₂ − 4t₁|/15, and D(2s), by
                    # |t₂| + 16|t₂ − 4t₁|/15 (e(2s) = 4 c s² + 16 d s⁴ = t₂ − 64 d s⁴) at half the rounding: report
                    # the one with the smaller bound (where rounding dominates, halving only coarsened it).
                    fine = ROUND_SAFETY * noise / s + TRUNC_SAFETY * (abs(t1) + romberg / 15.0)
                    coarse_bound = ROUND_SAFETY * noise / (2 * s) + TRUNC_SAFETY * (abs(t2) + 16.0 * romberg / 15.0)
                    if coarse_bound < fine:
                        at_s, s, truncation = at_2s, 2 * s, abs(t2) + 16.0 * romberg / 15.0
                    else:
                        truncation = abs(t1) + romberg / 15.0
                    break
            bound = ROUND_SAFETY * noise / s + TRUNC_SAFETY * truncation + analytic_round
        return at_s[1], at_s[0], noise / s, truncation, bound


def _truncation_could_explain(at_s: tuple[float, float, float, float], at_2s: tuple[float, float, float, float],
                              h: float, untruncated: float, bound: float) -> bool:
    """Whether a probe that uses more than VERIFY_FRACTION of its two-step ``bound`` is within what truncation
    could do at step h.

    ``D(h)`` is the mean of J's slope over [−h, h], so it is off from ``J'(0)`` by at most the slope's variation
    there. The four secant slopes of [−2h, −h], [−h, 0], [0, h], [h, 2h] (from D and Δ²J at h and 2h) show
    that variation at the step's scale (their own rounding, √2 σ/h each, included): the most a truncation can
    add to what the bound's rounding and analytic terms already cover. A gap beyond that is no truncation: the
    failure stands without more evaluations (a planted bug, as a rule); within it, the step is verified by
    halving before "fail" is said.
    """
    D1, A, E1 = at_s[0], at_s[1], at_s[2]
    D2, E2 = at_2s[0], at_2s[2]
    gap = abs(D1 - A)
    if gap <= VERIFY_FRACTION * bound:
        return False
    inner, outer = E1 / (2 * h), (E2 - E1) / (2 * h)  # J(±h) − J(0) = ±h·D1 + E1/2, J(±2h) − J(±h) likewise
    secants = (D1 + inner, D1 - inner, 2 * D2 - D1 + outer, 2 * D2 - D1 - outer)
    return gap - untruncated <= max(secants) - min(secants)


def _quartic(at_s: tuple[float, float, float, float], at_2s: tuple[float, float, float, float]) -> float:
    """Δ⁴J at spacing s, ``Δ²J(2s) − 4Δ²J(s) = J⁗s⁴ + O(s⁶)`` (``Δ²J(s) = J″s² + J⁗s⁴/12 + …``)."""
    return at_2s[2] - 4.0 * at_s[2]
