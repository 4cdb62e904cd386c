"""Find a wrong gradient entry with O(log N) cost evaluations, and bound every entry's error.

A full central-difference gradient costs 2N evaluations of the cost; a random-direction check
costs two, but dilutes a single wrong entry by ~1/sqrt(N) and then cannot say *where* it is.
:func:`localize` does both jobs at logarithmic cost:

1. **Probes.** A probe is a unit direction ``u`` supported on a set ``S`` of entries (random
   signs ``±1/sqrt(|S|)`` on ``S``, zero elsewhere). It compares the analytic directional derivative
   ``⟨g, u⟩`` with a central difference along ``u`` and judges the gap against that probe's
   *own* error bound (below). The first probes are one per layer (``S`` = all of Θ(l)) and a
   few on random halves of all the entries.
2. **Bisection.** The support of a failing probe is cut in two halves (contiguous in the
   unrolled order, so halves follow layers and rows), each half is probed, and every failing
   half is cut again, until single entries are left. One wrong entry among N costs
   ``2 log2 N`` probes. The result names each wrong entry as layer, row and column.
3. **Per-entry bounds** (:func:`entry_bounds`): the same bound for single coordinates, with the
   ratio ``|analytic − FD| / bound`` and the worst entries of each layer.

The error bound of one probe
----------------------------
With step ``h`` (the dtype's central-difference step, ≈ ε^(1/3)), ``D(h) = (J(θ+hu) − J(θ−hu)) / 2h``
differs from the true ``⟨∇J, u⟩`` by

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
from dataclasses import dataclass, field
from math import comb
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .network import check_sizes, num_params, theta_shapes, unroll

# The safety factors live with the other tolerances (one table, documented there).
from .tolerances import BUG_SIZE, GRAD_ROUND_SAFETY, ROUND_SAFETY, TRUNC_SAFETY, judged

__all__ = [
    "Suspect",
    "ProbeRecord",
    "LocalizeResult",
    "EntryBounds",
    "estimate_noise",
    "suspect_at",
    "localize",
    "entry_bounds",
    "problem_functions",
]

#: Order of the differences used to measure the cost's noise, how many points along the line, and
#: their spacing as a multiple of ε^(1/ORDER): the smooth part of an ORDER-th difference is
#: s^ORDER·J^(ORDER), which at s = 1e-3·ε^(1/ORDER) is ~1e-12·ε·J^(ORDER), far below the noise it
#: must reveal. 12 points give 8 differences to average (one alone is a single χ²₁ draw, which
#: underestimates σ by 2× or more one time in two).
NOISE_ORDER = 4
NOISE_POINTS = 12
NOISE_SPACING = 1e-3
#: When at most half of the points give distinct values, the spacing is multiplied by NOISE_WIDEN and
#: the measurement repeated, up to NOISE_RETRIES times (Moré & Wild's ECnoise widens its spacing the
#: same way): at 100 times the spacing the smooth part of a 4th difference is still ~1e-4·ε times the
#: fourth derivative, far below the noise.
NOISE_WIDEN = 100.0
NOISE_RETRIES = 2


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


@dataclass
class LocalizeResult:
    """What :func:`localize` found.

    Attributes
    ----------
    suspects : list of Suspect
        The entries whose single-coordinate probe failed, in unrolled order. Empty when no probe
        failed.
    passed : bool
        True when the verdict is "pass": no probe failed, at the resolution asked for.
    evaluations : int
        Cost evaluations spent (noise estimate, probes and bisection).
    noise : float
        The measured noise σ of the cost at θ (already floored at ε|J|).
    step : float
        The central-difference step h.
    probes : list of ProbeRecord
    unresolved : list of Suspect
        First entries of failing supports whose halves both passed (the failure was spread
        thin); empty in the single-bug case.
    """

    suspects: list[Suspect]
    passed: bool
    evaluations: int
    noise: float
    step: float
    probes: list[ProbeRecord] = field(default_factory=list)
    unresolved: list[Suspect] = field(default_factory=list)
    resolution: float = 0.0
    bug_size: float = BUG_SIZE

    @property
    def verdict(self) -> str:
        """"fail" when a probe failed; "inconclusive" when none did but :attr:`resolution` is above
        :attr:`bug_size` (a wrong entry of that size could hide in a layer probe's bound); else "pass"."""
        return judged(any(r.failed for r in self.probes), self.resolution, self.bug_size)

    def __str__(self) -> str:
        word = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}[self.verdict]
        head = (
            f"localize: {word} after {self.evaluations} cost evaluations "
            f"({len(self.probes)} probes, h = {self.step:.3g}, noise σ = {self.noise:.3g})"
        )
        lines = [head]
        for s in self.suspects:
            ratio = max((p.ratio for p in self.probes if p.kind == "entry" and p.first == s), default=np.nan)
            lines.append(f"  wrong entry {s}: |analytic - FD| = {ratio:.3g} x its bound")
        for s in self.unresolved:
            lines.append(f"  failing block starting at {s} could not be split further")
        if self.verdict == "inconclusive":
            lines.append(f"  inconclusive: the probes resolve errors of {self.resolution:.3g} x a layer's largest "
                         f"entry, above the {self.bug_size:g} asked for (float64, or fewer parameters, "
                         "would resolve it)")
        return "\n".join(lines)


@dataclass
class EntryBounds:
    """Per-entry comparison of an analytic gradient with central differences.

    All arrays have shape ``(k,)``, one value per checked entry, aligned with ``indices``.

    Attributes
    ----------
    indices : ndarray of int
        Unrolled positions of the checked entries.
    analytic, fd : ndarray
        The analytic entry and its central difference ``D(h)``.
    rounding, truncation : ndarray
        The two error estimates (before safety factors), see the module docstring.
    bound : ndarray
        The bound the error is judged against (safety factors applied).
    ratio : ndarray
        ``|analytic − fd| / bound``; an entry fails when its ratio is > 1.
    sizes : tuple of int
    evaluations : int
    noise, step : float
    """

    indices: np.ndarray
    analytic: np.ndarray
    fd: np.ndarray
    rounding: np.ndarray
    truncation: np.ndarray
    bound: np.ndarray
    ratio: np.ndarray
    sizes: tuple[int, ...]
    evaluations: int
    noise: float
    step: float
    resolution: float = 0.0
    bug_size: float = BUG_SIZE

    @property
    def verdict(self) -> str:
        """"fail" when an entry's ratio is > 1; "inconclusive" when none is but :attr:`resolution` (the
        largest bound of a layer over its largest entry) is above :attr:`bug_size`; else "pass"."""
        return judged(bool(np.any(self.ratio > 1.0)), self.resolution, self.bug_size)

    @property
    def passed(self) -> bool:
        """True when the verdict is "pass": every entry within its bound, at the resolution asked for."""
        return self.verdict == "pass"

    def failing(self) -> list[Suspect]:
        """The entries whose ratio is > 1, in unrolled order."""
        return [suspect_at(int(i), self.sizes) for i in self.indices[self.ratio > 1.0]]

    def worst(self, k: int = 3) -> dict[int, list[tuple[Suspect, float]]]:
        """The ``k`` largest ratios of each layer: ``{layer: [(Suspect, ratio), ...]}``."""
        out: dict[int, list[tuple[Suspect, float]]] = {}
        named = [suspect_at(int(i), self.sizes) for i in self.indices]
        for layer in sorted({s.layer for s in named}):
            pos = [j for j, s in enumerate(named) if s.layer == layer]
            top = sorted(pos, key=lambda j: -self.ratio[j])[:k]
            out[layer] = [(named[j], float(self.ratio[j])) for j in top]
        return out

    def __str__(self) -> str:
        lines = [
            f"entry bounds: {self.verdict.upper()}, {self.indices.size} entries, "
            f"{self.evaluations} cost evaluations, h = {self.step:.3g}, noise σ = {self.noise:.3g}",
            f"  {'entry':<22}{'analytic':>13}{'FD':>13}{'bound':>11}{'ratio':>9}",
        ]
        pos = {int(i): j for j, i in enumerate(self.indices)}
        for items in self.worst().values():
            for s, r in items:
                j = pos[s.index]
                lines.append(
                    f"  {str(s):<22}{self.analytic[j]:>13.5g}{self.fd[j]:>13.5g}{self.bound[j]:>11.3g}{r:>9.3g}"
                )
        return "\n".join(lines)


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


def _central_step(dtype: np.dtype) -> float:
    """The central-difference step for ``dtype``: gradtrio.finite_diff's when it is available.

    The optimum of O(h²) truncation against O(ε/h) rounding is h ≈ ε^(1/3) (for J and J''' of
    order one): 6.1e-6 in float64, 4.9e-3 in float32.
    """
    try:
        from .finite_diff import default_step
    except ImportError:
        return float(np.finfo(dtype).eps ** (1.0 / 3.0))
    return float(default_step("central", dtype))


def _flat(grad: ArrayLike | Sequence[ArrayLike], n: int, what: str) -> np.ndarray:
    if isinstance(grad, (list, tuple)):
        g = unroll(grad)
    else:
        g = np.asarray(grad)
    if g.ndim != 1 or g.size != n:
        raise ValueError(f"{what} must have {n} entries (the parameters of sizes), as a flat vector "
                         f"or a list of matrices; got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError(f"{what} has non-finite entries (first at unrolled index {int(np.argmin(np.isfinite(g)))})")
    return g


class _Prober:
    """Evaluates probes of one (cost, gradient, θ) and counts cost evaluations.

    ``noise_floor`` is the least noise σ assumed for the cost (e.g. ``ε·S_J`` of
    :func:`gradtrio.rounding.rounding_scales`); the measured noise is used when it is larger.
    ``grad_error`` (shape ``(n,)``) bounds the analytic gradient's own rounding entry by entry; without
    it, ``GRAD_ROUND_SAFETY·ε·max(|g_i|, 1)`` is assumed: the terms summed into an entry are taken to be of
    order one at least (for the cross-entropy, ``h − y`` of each example), since a black-box gradient that
    cancels to nearly zero still carries their rounding. ``step_scale`` (shape ``(n,)``, values >= 1) divides
    the step of a probe by its root mean square on the probe's support (see :mod:`gradtrio.measured`).
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
        self.h = _central_step(self.dtype) if h is None else float(h)
        if not (np.isfinite(self.h) and self.h > 0):
            raise ValueError(f"step h must be a positive finite number; got {h!r}")
        n = theta.size
        self.grad_error = (GRAD_ROUND_SAFETY * self.eps * np.maximum(np.abs(self.g), 1.0) if grad_error is None
                           else _flat(np.asarray(grad_error, dtype=np.float64), n, "grad_error"))
        self.step_scale = np.ones(n) if step_scale is None else _flat(np.asarray(step_scale, float), n, "step_scale")
        if np.any(self.step_scale < 1):
            raise ValueError("step_scale values must be >= 1")
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.evaluations = 0
        self.J0 = self._J(theta)
        measured = estimate_noise(cost_fn, theta, seed=self.rng, _counter=self) if noise is None else float(noise)
        self.noise = max(measured, float(noise_floor), self.eps * abs(self.J0))

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


def estimate_noise(
    cost_fn: Callable[[np.ndarray], float],
    theta: np.ndarray,
    *,
    seed: int | np.random.Generator | None = 0,
    _counter: _Prober | None = None,
) -> float:
    """Measure the noise σ of a cost at θ from high-order differences along a random line.

    A smooth function's ``k``-th differences at a small spacing vanish like ``s^k``; rounding
    noise does not, and for independent noise of standard deviation σ, ``E[(Δ^k J)²] = C(2k, k) σ²``
    (Moré & Wild 2011). We evaluate J at ``θ + j s d`` for ``j = 0..NOISE_POINTS-1`` along a
    Rademacher direction ``d`` (every entry moves, by ``s = NOISE_SPACING · ε^(1/NOISE_ORDER)``,
    thousands of ulps) and return ``sqrt(mean((Δ^k J)²) / C(2k, k))`` for the highest order ``k``.

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(theta) -> float`` on a flat vector of ``theta``'s dtype.
    theta : ndarray of shape (n,)
    seed : int or numpy.random.Generator

    Returns
    -------
    float
        σ, an estimate of the standard deviation of the cost's rounding error near θ. It costs
        ``NOISE_POINTS`` evaluations, times up to ``NOISE_RETRIES + 1`` for a quantized cost.
    """
    theta = np.asarray(theta)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    eps = float(np.finfo(theta.dtype).eps)
    s = NOISE_SPACING * eps ** (1.0 / NOISE_ORDER)
    d = rng.choice(np.array([-1.0, 1.0]), size=theta.size)
    for _ in range(NOISE_RETRIES + 1):
        vals = []
        for j in range(NOISE_POINTS):
            v = (theta + (j * s * d).astype(theta.dtype)).astype(theta.dtype)
            vals.append(_counter._J(v) if _counter is not None else float(cost_fn(v)))
        # Too few distinct values: the cost is quantized at this spacing (a sum that cancels rounds to
        # multiples of eps*sum|terms|, far above eps*|J|) and its differences show nothing. As Moré &
        # Wild's ECnoise does, widen the spacing and measure again.
        if len(set(vals)) > NOISE_POINTS // 2:
            break
        s *= NOISE_WIDEN
    diffs = np.diff(np.asarray(vals), n=NOISE_ORDER)
    return float(np.sqrt(np.mean(diffs**2) / comb(2 * NOISE_ORDER, NOISE_ORDER)))


def _check_inputs(grad, theta, sizes) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    sizes = check_sizes(sizes)
    n = num_params(sizes)
    theta = np.asarray(theta)
    if theta.ndim != 1 or theta.size != n:
        raise ValueError(f"theta must be the unrolled vector of {n} parameters of sizes={sizes}; "
                         f"got shape {theta.shape}")
    return _flat(grad, n, "the analytic gradient"), theta, sizes


def localize(
    grad: ArrayLike | Sequence[ArrayLike] | Callable[[np.ndarray], ArrayLike],
    cost_fn: Callable[[np.ndarray], float],
    theta: ArrayLike,
    sizes: Sequence[int],
    *,
    n_random: int = 4,
    max_suspects: int = 10,
    h: float | None = None,
    noise: float | None = None,
    seed: int | np.random.Generator | None = 0,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> LocalizeResult:
    """Check an analytic gradient with cheap probes, and bisect failing probes to the wrong entries.

    Parameters
    ----------
    grad : array_like of shape (n,), list of matrices, or callable
        The analytic gradient at ``theta`` (unrolled, or in the shapes of ``thetas``), or a
        function ``grad(theta)`` that returns it.
    cost_fn : callable
        ``cost_fn(theta) -> float`` on an unrolled vector of shape ``(n,)`` (the cost whose gradient
        ``grad`` claims to be).
    theta : array_like of shape (n,)
        ``unroll(thetas)``; its dtype (float64 or float32) is the working precision.
    sizes : sequence of int
        Layer sizes, ``n = num_params(sizes)``; used to name entries.
    n_random : int, default 4
        Probes on random halves of all entries, besides the one probe per layer.
    max_suspects : int, default 10
        Bisection stops after naming this many wrong entries (a systematic bug makes most entries
        wrong; the first few are enough to find it, and the cost stays bounded).
    h : float, optional
        Step; by default the dtype's central-difference step (≈ ε^(1/3)).
    noise : float, optional
        The cost's noise σ, if known; measured by :func:`estimate_noise` otherwise.
    seed : int or numpy.random.Generator, default 0
        Probe signs and random subsets.
    noise_floor : float, default 0
        The least noise σ assumed for the cost (gradtrio's own problems pass ``ε·S_J`` of
        :func:`gradtrio.rounding.rounding_scales`); the measured noise is used when larger.
    grad_error : array_like of shape (n,), optional
        Bound on the analytic gradient's own rounding, entry by entry (default
        ``GRAD_ROUND_SAFETY·ε·max(|g|, 1)``; :func:`gradtrio.rounding.checker_options` measures it).
    step_scale : array_like of shape (n,), optional
        Values >= 1 that divide the step of the entries they belong to (see :mod:`gradtrio.measured`).
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`
        The verdict is "inconclusive" when a wrong entry of ``bug_size`` × its layer's largest entry
        could hide in a layer probe's bound.

    Returns
    -------
    LocalizeResult
        ``.suspects`` names the wrong entries (layer from 1, row and column 0-based);
        ``.evaluations`` counts cost evaluations: at most ``4·(L − 1 + 2·n_random + 2·⌈log2 N⌉·k) + 13``
        for ``k`` wrong entries (4 per probe, 13 for θ and the noise estimate).
    """
    theta_arr = np.asarray(theta)
    g = grad(theta_arr) if callable(grad) else grad
    g, theta_arr, sizes = _check_inputs(g, theta_arr, sizes)
    if not isinstance(max_suspects, (int, np.integer)) or max_suspects < 1:
        raise ValueError(f"max_suspects must be a positive integer; got {max_suspects!r}")
    if not isinstance(n_random, (int, np.integer)) or n_random < 0:
        raise ValueError(f"n_random must be a non-negative integer; got {n_random!r}")
    pr = _Prober(cost_fn, g, theta_arr, h, noise, seed, noise_floor, grad_error, step_scale)
    n = g.size
    signs = pr.rng.choice(np.array([-1, 1], dtype=np.int8), size=n)
    records: list[ProbeRecord] = []
    resolution = [0.0]
    overall = float(np.max(np.abs(g)))

    def run(kind: str, support: np.ndarray) -> bool:
        a, d, _, _, bound = pr.probe(support, signs[support])
        ratio = abs(a - d) / bound if bound > 0 else (np.inf if a != d else 0.0)
        failed = bool(ratio > 1.0)
        records.append(ProbeRecord(kind, int(support.size), suspect_at(int(support[0]), sizes), float(ratio), failed))
        if kind == "layer":  # a wrong entry e moves this probe by e/sqrt(|S|): what it can resolve
            top = float(np.max(np.abs(g[support]))) or overall  # a zero layer: relative to the whole
            res = bound * np.sqrt(support.size) / top if top > 0 else (0.0 if bound == 0 else np.inf)
            resolution[0] = max(resolution[0], float(res))
        return failed

    starts = np.cumsum([0] + [r * c for r, c in theta_shapes(sizes)])
    failing = [np.arange(a, b) for a, b in zip(starts[:-1], starts[1:]) if run("layer", np.arange(a, b))]
    for _ in range(n_random if n > 1 else 0):
        subset = np.sort(pr.rng.choice(n, size=max(1, n // 2), replace=False))
        if run("random", subset):
            failing.append(subset)

    suspects: list[Suspect] = []
    unresolved: list[Suspect] = []
    found: set[int] = set()
    for top in failing:
        support = np.setdiff1d(top, np.fromiter(found, dtype=np.int64, count=len(found)))
        if support.size == 0 or len(suspects) >= max_suspects:
            continue
        if support.size < top.size and not run("bisect", support):
            continue  # the probe's failure is explained by entries already named
        stack = [support]
        while stack and len(suspects) < max_suspects:
            block = stack.pop()
            if block.size == 1:
                s = suspect_at(int(block[0]), sizes)
                suspects.append(s)
                found.add(s.index)
                continue
            halves = [block[: block.size // 2], block[block.size // 2 :]]
            verdicts = [run("bisect", half) for half in halves]
            if not any(verdicts):
                unresolved.append(suspect_at(int(block[0]), sizes))
                continue
            # Depth first, left half on top: suspects come out in unrolled order.
            stack.extend(half for half, bad in reversed(list(zip(halves, verdicts))) if bad)
    for k, r in enumerate(records):
        if r.size == 1 and r.failed:
            records[k] = r._replace(kind="entry")
    suspects.sort(key=lambda s: s.index)
    result = LocalizeResult(
        suspects=suspects,
        passed=False,
        evaluations=pr.evaluations,
        noise=pr.noise,
        step=pr.h,
        probes=records,
        unresolved=unresolved,
        resolution=resolution[0],
        bug_size=float(bug_size),
    )
    result.passed = result.verdict == "pass"
    return result


def entry_bounds(
    grad: ArrayLike | Sequence[ArrayLike],
    cost_fn: Callable[[np.ndarray], float],
    theta: ArrayLike,
    sizes: Sequence[int],
    *,
    indices: ArrayLike | None = None,
    h: float | None = None,
    noise: float | None = None,
    seed: int | np.random.Generator | None = 0,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> EntryBounds:
    """Compare each gradient entry with its central difference, against a per-entry error bound.

    For each entry ``i``: ``D_i(h)`` and ``D_i(2h)`` by central differences along the coordinate
    ``e_i``; rounding ``σ/h`` with σ measured (:func:`estimate_noise`); truncation
    ``|D_i(h) − D_i(2h)|/3``; the ratio ``|g_i − D_i(h)| / bound_i``. See the module docstring.

    Parameters
    ----------
    grad : array_like of shape (n,) or list of matrices
        The analytic gradient at ``theta``.
    cost_fn : callable
        ``cost_fn(theta) -> float`` on an unrolled vector of shape ``(n,)``.
    theta : array_like of shape (n,)
    sizes : sequence of int
    indices : array_like of int, optional
        Unrolled positions to check (default: all ``n``; each costs 4 evaluations).
    h, noise, seed, noise_floor, grad_error, step_scale
        As in :func:`localize`.
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`
        "inconclusive" when some layer's largest bound exceeds ``bug_size`` × its largest entry.

    Returns
    -------
    EntryBounds
        ``.ratio`` per entry, ``.worst(k)`` the worst entries by layer, ``str()`` a table.
    """
    g, theta_arr, sizes = _check_inputs(grad, np.asarray(theta), sizes)
    idx = np.arange(g.size) if indices is None else np.asarray(indices, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= g.size):
        raise ValueError(f"indices must lie in 0..{g.size - 1}; got {int(idx.min())}..{int(idx.max())}")
    pr = _Prober(cost_fn, g, theta_arr, h, noise, seed, noise_floor, grad_error, step_scale)
    one = np.ones(1, dtype=np.int8)
    rows = np.array([pr.probe(np.array([i]), one) for i in idx], dtype=np.float64).reshape(-1, 5)
    analytic, fd, rounding, truncation, bound = rows.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(bound > 0, np.abs(analytic - fd) / bound, np.where(analytic == fd, 0.0, np.inf))
    resolution = 0.0
    starts = np.cumsum([0] + [r * c for r, c in theta_shapes(sizes)])
    for a, b in zip(starts[:-1], starts[1:]):
        inside = (idx >= a) & (idx < b)
        if np.any(inside):
            top = float(np.max(np.abs(g[a:b]))) or float(np.max(np.abs(g)))
            worst = float(np.max(bound[inside]))
            resolution = max(resolution, worst / top if top > 0 else (0.0 if worst == 0 else np.inf))
    return EntryBounds(idx, analytic, fd, rounding, truncation, bound, ratio, sizes, pr.evaluations, pr.noise, pr.h,
                       resolution, float(bug_size))


def problem_functions(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    *,
    backward: Callable | None = None,
    cost: Callable | None = None,
) -> tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray, tuple[int, ...]]:
    """The flat ``(cost_fn, grad, theta, sizes)`` of a network problem, ready for :func:`localize`.

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``; their dtype (with ``X``'s) is the precision.
    X : array_like of shape (m, s_1)
    Y : array_like of shape (m, K), one-hot
    lam : float
    backward : callable, optional
        A function with the signature of :func:`gradtrio.backprop.cost_and_grad` (default: that
        one); it supplies both the cost and the gradient under test, so a bug in either shows.

    Returns
    -------
    cost_fn : callable
        ``cost_fn(vector) -> float``, the cost of ``backward`` at ``roll(vector, sizes)``.
    grad : ndarray of shape (n,)
        ``unroll`` of ``backward``'s gradient at ``thetas``.
    theta : ndarray of shape (n,)
        ``unroll(thetas)``.
    sizes : tuple of int
    """
    from . import backprop
    from .network import roll, sizes_of

    backward = backprop.cost_and_grad if backward is None else backward
    sizes = sizes_of(thetas)
    _, grads = backward(thetas, X, Y, lam)

    def cost_fn(vector: np.ndarray) -> float:
        thetas_v = roll(vector, sizes)
        return float(cost(thetas_v, X, Y, lam) if cost is not None else backward(thetas_v, X, Y, lam)[0])

    return cost_fn, unroll(grads), unroll(thetas), sizes
