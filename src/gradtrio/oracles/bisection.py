"""Find a wrong gradient entry with O(log N) cost evaluations, and bound every entry's error.

A full central-difference gradient costs 2N evaluations of the cost; a random-direction check
costs two, but dilutes a single wrong entry by ~1/sqrt(N) and then cannot say *where* it is.
:func:`localize` does both jobs at logarithmic cost:

1. **Probes.** A probe is a unit direction ``u`` supported on a set ``S`` of entries (random
   signs ``±1/sqrt(|S|)`` on ``S``, zero elsewhere). It compares the analytic directional derivative
   ``⟨g, u⟩`` with a central difference along ``u`` and judges the gap against that probe's
   *own* error bound (:mod:`gradtrio.oracles.probes`). The first probes are one per layer (``S`` = all of Θ(l)) and a
   few on random halves of all the entries.
2. **Bisection.** The support of a failing probe is cut in two halves (contiguous in the
   unrolled order, so halves follow layers and rows), each half is probed, and every failing
   half is cut again, until single entries are left. One wrong entry among N costs
   ``2 log2 N`` probes. The result names each wrong entry as layer, row and column.
3. **Per-entry bounds** (:func:`gradtrio.oracles.entry_bounds`): the same bound for single coordinates, with the
   ratio ``|analytic − FD| / bound`` and the worst entries of each layer.

The error bound of each probe, and the names of entries, are those of :mod:`gradtrio.oracles.probes`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ..network import theta_shapes
from ..tolerances import BUG_SIZE, judged
from ._compat import legacy, located_order
from .function import Function, as_function, gradient_of
from .probes import Prober, ProbeRecord, Suspect, check_inputs, suspect_at

__all__ = ["LocalizeResult", "localize"]


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


class _Search:
    """The probes of one :func:`localize` call: each is recorded, and layer probes set the resolution."""

    def __init__(self, pr: Prober, g: np.ndarray, sizes: tuple[int, ...]):
        self.pr, self.g, self.sizes = pr, g, sizes
        self.signs = pr.rng.choice(np.array([-1, 1], dtype=np.int8), size=g.size)
        self.records: list[ProbeRecord] = []
        self.resolution = 0.0
        self.overall = float(np.max(np.abs(g)))

    def run(self, kind: str, support: np.ndarray) -> bool:
        """Probe ``support``; True when the probe failed."""
        a, d, _, _, bound = self.pr.probe(support, self.signs[support])
        ratio = abs(a - d) / bound if bound > 0 else (np.inf if a != d else 0.0)
        failed = bool(ratio > 1.0)
        self.records.append(ProbeRecord(kind, int(support.size), suspect_at(int(support[0]), self.sizes),
                                        float(ratio), failed))
        if kind == "layer":  # a wrong entry e moves this probe by e/sqrt(|S|): what it can resolve
            top = float(np.max(np.abs(self.g[support]))) or self.overall  # a zero layer: relative to the whole
            res = bound * np.sqrt(support.size) / top if top > 0 else (0.0 if bound == 0 else np.inf)
            self.resolution = max(self.resolution, float(res))
        return failed

    def first(self, n_random: int) -> list[np.ndarray]:
        """One probe per layer, then ``n_random`` on random halves of all entries: the failing supports."""
        starts = np.cumsum([0] + [r * c for r, c in theta_shapes(self.sizes)])
        layers = [np.arange(a, b) for a, b in zip(starts[:-1], starts[1:])]
        n = self.g.size
        # the random halves are drawn before any probe runs (probes draw nothing), so that a batched cost
        # gets every first probe's points in one prefetch
        subsets = [np.sort(self.pr.rng.choice(n, size=max(1, n // 2), replace=False))
                   for _ in range(n_random if n > 1 else 0)]
        self.pr.prefetch([(s, self.signs[s]) for s in layers + subsets])
        failing = [layer for layer in layers if self.run("layer", layer)]
        return failing + [subset for subset in subsets if self.run("random", subset)]

    def bisect(self, failing: list[np.ndarray], max_suspects: int) -> tuple[list[Suspect], list[Suspect]]:
        """Halve each failing support down to single entries: ``(suspects, unresolved)``."""
        suspects: list[Suspect] = []
        unresolved: list[Suspect] = []
        found: set[int] = set()
        for top in failing:
            support = np.setdiff1d(top, np.fromiter(found, dtype=np.int64, count=len(found)))
            if support.size == 0 or len(suspects) >= max_suspects:
                continue
            if support.size < top.size and not self.run("bisect", support):
                continue  # the probe's failure is explained by entries already named
            stack = [support]
            while stack and len(suspects) < max_suspects:
                block = stack.pop()
                if block.size == 1:
                    s = suspect_at(int(block[0]), self.sizes)
                    suspects.append(s)
                    found.add(s.index)
                    continue
                halves = [block[: block.size // 2], block[block.size // 2 :]]
                self.pr.prefetch([(half, self.signs[half]) for half in halves])
                verdicts = [self.run("bisect", half) for half in halves]
                if not any(verdicts):
                    unresolved.append(suspect_at(int(block[0]), self.sizes))
                    continue
                # Depth first, left half on top: suspects come out in unrolled order.
                stack.extend(half for half, bad in reversed(list(zip(halves, verdicts))) if bad)
        return suspects, unresolved


def _positive(name: str, value: object, least: int) -> None:
    if not isinstance(value, (int, np.integer)) or value < least:
        kind = "a positive" if least == 1 else "a non-negative"
        raise ValueError(f"{name} must be {kind} integer; got {value!r}")


@legacy(("grad", "f", "theta", "sizes"), located_order, "(grad, cost_fn, theta, sizes)", {"cost_fn": "f"})
def localize(
    f: Callable[[np.ndarray], float] | Function,
    grad: ArrayLike | Sequence[ArrayLike] | Callable[[np.ndarray], ArrayLike] | None,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | np.random.Generator | None = 0,
    sizes: Sequence[int],
    n_random: int = 4,
    max_suspects: int = 10,
    noise: float | None = None,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> LocalizeResult:
    """Check an analytic gradient with cheap probes, and bisect failing probes to the wrong entries.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` on an unrolled vector of shape ``(n,)`` (the cost whose gradient
        ``grad`` claims to be). A batched ``f`` (``f.batched``: ``(B, n) -> (B,)`` too) gets the points of
        the first probes, and of the two halves of each bisection, in one call
        (:meth:`gradtrio.oracles.probes.Prober.prefetch`).
    grad : array_like of shape (n,), list of matrices, callable, or None
        The analytic gradient at ``theta`` (unrolled, or in the shapes of ``thetas``), a
        function ``grad(theta)`` that returns it, or None for ``f.grad``.
    theta : array_like of shape (n,)
        ``unroll(thetas)``; its dtype (float64 or float32) is the working precision.
    h : float, optional
        Step; by default the dtype's central-difference step (:func:`gradtrio.oracles.default_step`).
    seed : int or numpy.random.Generator, default 0
        Probe signs and random subsets.
    sizes : sequence of int
        Layer sizes, ``n = num_params(sizes)``; used to name entries.
    n_random : int, default 4
        Probes on random halves of all entries, besides the one probe per layer.
    max_suspects : int, default 10
        Bisection stops after naming this many wrong entries (a systematic bug makes most entries
        wrong; the first few are enough to find it, and the cost stays bounded).
    noise : float, optional
        The cost's noise σ, if known; measured by :func:`gradtrio.oracles.estimate_noise` otherwise.
    noise_floor : float, default 0
        The least noise σ assumed for the cost (gradtrio's own problems pass ``ε·S_J`` of
        :func:`gradtrio.rounding.rounding_scales`); the measured noise is used when larger.
    grad_error : array_like of shape (n,), optional
        Bound on the analytic gradient's own rounding, entry by entry (default
        ``GRAD_ROUND_SAFETY·ε·max(|g|, 1)``; :func:`gradtrio.rounding.checker_options` measures it).
    step_scale : array_like of shape (n,), optional
        Values >= 1 that divide the step of the entries they belong to (see :mod:`gradtrio.oracles.bounded`).
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`
        The verdict is "inconclusive" when a wrong entry of ``bug_size`` × its layer's largest entry
        could hide in a layer probe's bound.

    Returns
    -------
    LocalizeResult
        ``.suspects`` names the wrong entries (layer from 1, row and column 0-based);
        ``.evaluations`` counts cost evaluations: at most ``4·(L − 1 + 2·n_random + 2·⌈log2 N⌉·k) + 13``
        for ``k`` wrong entries (4 per probe, 13 for θ and the noise estimate), plus 2 for each halving of a
        probe's step where the expansion was not asymptotic (:data:`gradtrio.oracles.probes.MAX_HALVINGS`).
    """
    fn = as_function(f)
    theta_arr = np.asarray(theta)
    g, theta_arr, sizes = check_inputs(gradient_of(fn, grad, theta_arr), theta_arr, sizes)
    _positive("max_suspects", max_suspects, 1)
    _positive("n_random", n_random, 0)
    pr = Prober(fn.value, g, theta_arr, h, noise, seed, noise_floor, grad_error, step_scale,
                batched=fn.batched, batch_size=fn.batch_size)
    search = _Search(pr, g, sizes)
    suspects, unresolved = search.bisect(search.first(n_random), max_suspects)
    records = [r._replace(kind="entry") if r.size == 1 and r.failed else r for r in search.records]
    suspects.sort(key=lambda s: s.index)
    result = LocalizeResult(suspects=suspects, passed=False, evaluations=pr.evaluations, noise=pr.noise, step=pr.h,
                            probes=records, unresolved=unresolved, resolution=search.resolution,
                            bug_size=float(bug_size))
    result.passed = result.verdict == "pass"
    return result
