"""The three-way gradient comparison and its report: the classic ``checkNNGradients``, for any net.

:func:`check_gradients` builds the course's deterministic debug problem
(:func:`gradtrio.network.debug_problem`) and :func:`compare_gradients` computes the gradient of the
cost by every requested method, then compares each method with the reference (the first method),
entry by entry.

Methods
-------
- ``backprop``: :func:`gradtrio.backprop.cost_and_grad` (vectorized, hand-written NumPy)
- ``loop``: :func:`gradtrio.backprop.cost_and_grad_loop` (the per-example course algorithm)
- ``autodiff``: :func:`gradtrio.autodiff.cost_and_grad` (``jax.grad`` of the same cost)
- ``central``: central differences of the cost at steps h and 2h, every coordinate
  (``computeNumericalGradient``, with its truncation measured). By default each perturbed cost is
  computed incrementally (:mod:`gradtrio.incremental`: only what the moved weight changes, the
  difference summed over the changed terms, with its own rounding bound); ``incremental=False`` evaluates
  the NumPy cost in full, many perturbations per call
- ``batched``: central differences, each call a ``jit(vmap(cost))`` of the JAX cost in full (the black-box path)
- ``complex``: the complex step, incremental by default (the GELU's, and ``incremental=False``: on
  :func:`gradtrio.finite_diff.complex_cost_fn`)
- ``forward``: forward differences (to show why central ones are used)
- ``richardson``: central differences at h and h/2, extrapolated
- ``directional``: ``gᵀv`` of the reference against central differences along random directions
  (one row, layer "all"; the only method that uses ``seed``)

Every entry is judged against error bounds measured on the problem (:mod:`gradtrio.tolerances`
explains the rule); each row and the report have a verdict: "pass", "fail" or "inconclusive".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _docs, backprop, oracles
from ._incremental_scope import pays, supports  # not the engine: that imports JAX
from .model import Architecture, Problem, closures, validate
from .model import cost as model_cost
from .network import debug_problem, one_hot, roll, unroll
from .oracles import branches
from .rounding import scales_of
from .tolerances import ANALYTIC_SAFETY, BUG_SIZE, FLOOR_EPS, FLOOR_TINY, judged, verdict_of

__all__ = [
    "DEFAULT_METHODS",
    "KNOWN_METHODS",
    "Row",
    "GradientReport",
    "compare_gradients",
    "check_gradients",
]

DEFAULT_METHODS: tuple[str, ...] = ("backprop", "loop", "autodiff", "central", "complex")
KNOWN_METHODS: tuple[str, ...] = DEFAULT_METHODS + ("batched", "forward", "richardson", "directional")

GradFn = Callable[[list[np.ndarray], np.ndarray, np.ndarray, float], Sequence[np.ndarray]]


def _grad_backprop(th, X, Y, lam, **units):
    return backprop.cost_and_grad(th, X, Y, lam, **units)[1]


def _grad_loop(th, X, Y, lam, **units):
    return backprop.cost_and_grad_loop(th, X, Y, lam, **units)[1]


def _grad_autodiff(th, X, Y, lam, **units):
    from . import autodiff

    return autodiff.cost_and_grad(th, X, Y, lam, **units)[1]


#: The analytic gradients by name; each takes ``(thetas, X, Y, lam, **units)`` with the units'
#: keywords of :attr:`gradtrio.model.Architecture.unit_keywords` (none on the course's network, so a
#: backprop monkeypatched in by a test, or a function that predates the keywords, works there).
_ANALYTIC: dict[str, Callable[..., Sequence[np.ndarray]]] = {
    "backprop": _grad_backprop, "loop": _grad_loop, "autodiff": _grad_autodiff}


def _jax_batched_cost(problem: Problem) -> oracles.Function:
    """``jit(vmap(cost))`` as a batched :class:`gradtrio.oracles.Function`: every call is padded to
    :data:`gradtrio.oracles.BATCH` rows per JAX device (its ``batch_size``: the coordinates
    :func:`gradtrio.oracles.bounded_difference` then sends at a time), so one compiled shape serves the whole
    gradient and every device gets a share of each call (:mod:`gradtrio.sharding`)."""
    from . import sharding

    J_batch = closures.cost_batch_fn(problem)
    B = oracles.BATCH * sharding.device_count()

    def J(V: np.ndarray) -> Any:
        V = np.asarray(V)
        rows = np.atleast_2d(V)
        out = np.empty(rows.shape[0])
        for start in range(0, rows.shape[0], B):
            chunk = rows[start : start + B]
            k = chunk.shape[0]
            if k < B:
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], B - k, axis=0)])
            out[start : start + k] = np.asarray(J_batch(chunk))[:k]
        return out[0] if V.ndim == 1 else out

    return oracles.Function(J, batched=True, batch_size=B)


class _Problem:
    """One validated problem and what every method needs of it: the flat θ, the costs, the scales."""

    def __init__(self, problem: Problem, mats: list[np.ndarray], incremental: bool | str = "auto",
                 step_progress: Callable[[str, int, int], None] | None = None):
        self.problem, self.mats = problem, mats
        if incremental == "auto":
            incremental = pays(problem)
        self.incremental, self.step_progress = bool(incremental), step_progress
        self._engine: Any = None
        self.X, self.Y, self.lam, self.dtype = problem.X, problem.Y, problem.lam, problem.dtype
        self.sizes = problem.arch.sizes
        self.theta = problem.arch.unroll(mats)
        self.scales = scales_of(problem, mats)  # the problem is validated: not again
        self.eps = float(np.finfo(self.dtype).eps)
        self.evaluations: dict[str, int] = {}
        self.intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.one_sided: dict[str, branches.OneSided] = {}

    def analytic_error(self) -> np.ndarray:
        return ANALYTIC_SAFETY * self.scales.grad_error()

    def _covers(self, method: str) -> bool:
        return supports(self.problem, "complex" if method == "complex" else "central")

    def _incremental(self, method: str) -> Any:
        """The incremental engine at this point (built once), reporting ``(method, done, total)``."""
        hook = self.step_progress
        if hook is not None:  # before the engine imports JAX, or compiles this method's kernels (see step_progress)
            hook(method, 0, self.problem.arch.num_params)
        if self._engine is None:
            from .incremental import IncrementalCost

            self._engine = IncrementalCost(self.problem, self.mats)
        self._engine.progress = None if hook is None else (lambda done, total: hook(method, done, total))
        return self._engine

    def numeric(self, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(flat gradient, flat error bound, kink entries) of a numerical method, picked by name in
        :data:`gradtrio.oracles.NUMERICAL_METHODS`: the JAX cost for "batched", else the NumPy cost (many
        perturbations per call); the complex step's bound is the analytic one.

        On a network with kinked units (relu, leaky_relu) the entries whose difference stencil moves a
        hidden pre-activation across a kink (:func:`gradtrio.oracles.branches.stencil_crosses`: computed at
        every point of the stencil) are no derivative: for them the gradient is the convention's
        derivative and ``self.intervals[method]`` the range ``[lo, hi]`` of the one-sided derivatives
        (:func:`gradtrio.oracles.branches.one_sided_derivatives`), with their rounding bound; the third
        value is their flat indices (None for a network without kinks). The complex step chooses each
        branch by the real part: exact away from a kink, and at an exact tie the branch of ``z <= k``
        (the convention's) while ``Re z`` stays on it; its kink entries are those where a smooth unit
        upstream moves ``Re z`` off the kink by O(h²) (computed from its own stencil ``θ + i h e_i``)."""
        kinked = self.problem.arch.kinked
        f = (_jax_batched_cost(self.problem) if method == "batched"
             else closures.complex_cost_fn(self.problem))
        if self.incremental and method != "batched" and self._covers(method):
            f = self._incremental(method).function(f)
        elif kinked and method == "complex":
            # The model's complex cost is complex-safe by construction (tested against JAX); the
            # complex step's first-use self-check compares it with central differences along random
            # directions, which cross kinks: on a kinked network that check proves nothing.
            f = oracles.Function(f, batched=True, complex_safe=True, kinked=True)
        res = oracles.measure(method, f, self.theta, noise_floor=self.scales.cost_error(),
                              step_scale=self.scales.flat_sensitivity(), exact_error=self.analytic_error())
        self.evaluations[method] = res.evaluations
        grad, error = res.grad, res.error
        if not kinked:
            return grad, error, None
        offsets = 1j * res.steps[:, None] if method == "complex" else branches.stencil_offsets(method, res.steps)
        hit = np.flatnonzero(branches.stencil_crosses(self.problem, self.mats, offsets, self.scales.z_error))
        sided = branches.one_sided_derivatives(self.problem, self.mats, hit, self.scales)
        grad, error = grad.copy(), error.copy()
        lo, hi = grad.copy(), grad.copy()
        grad[hit], error[hit], lo[hit], hi[hit] = sided.convention, sided.error, sided.lo, sided.hi
        self.intervals[method] = (lo, hi)
        self.one_sided[method] = sided
        return grad, error, hit


@dataclass(frozen=True)
class Row:
    """One comparison: a method pair on one layer, judged entry by entry against measured bounds.

    Attributes
    ----------
    method_a, method_b : str
        ``method_a`` is the reference.
    layer : str
        ``"Theta(1)"`` ... (course numbering: ``Theta(1)`` is ``thetas[0]``), or ``"all"``.
    max_abs : float
        ``max |a - b|`` over the layer.
    rel_err : float
        ``‖a - b‖ / ‖a + b‖`` (0 when both are zero), shown for the record; not what decides.
    bound : float
        The largest per-entry bound of the layer (the two methods' error bounds added).
    ratio : float
        ``max_i |a_i - b_i| / bound_i``: above 1 is a failure.
    resolution : float
        ``bound / max_i max(|a_i|, |b_i|)``: the smallest relative error this comparison can see.
    bug_size : float
        The resolution asked for: above it, a row that did not fail is inconclusive.
    """

    method_a: str
    method_b: str
    layer: str
    max_abs: float
    rel_err: float
    bound: float
    ratio: float
    resolution: float
    bug_size: float = BUG_SIZE

    @property
    def verdict(self) -> str:
        """"fail" (an entry beyond its bound), "inconclusive" (resolution coarser than bug_size) or "pass"."""
        return judged(not self.ratio <= 1.0, self.resolution, self.bug_size)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def pair(self) -> str:
        return f"{self.method_a} vs {self.method_b}"

    def describe(self) -> str:
        """One sentence saying what failed (or passed, or could not be told) and by how much."""
        if self.verdict == "inconclusive":
            return (f"{self.pair} INCONCLUSIVE on {self.layer}: no entry beyond its bound, but the bounds "
                    f"({self.bound:.3g}) resolve only errors of {self.resolution:.3g} x the largest entry, "
                    f"coarser than the {self.bug_size:g} asked for; float64, fewer examples or an exact method "
                    "(complex step, autodiff) would resolve it")
        verdict = "agree" if self.passed else "DISAGREE"
        return (f"{self.pair} {verdict} on {self.layer}: max |a-b| {self.max_abs:.3g}, "
                f"{self.ratio:.3g} x its measured bound (bound up to {self.bound:.3g}); "
                f"relative error {self.rel_err:.3g}")


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The course's relative error ``‖a − b‖ / ‖a + b‖`` (0 when a == b, inf when a == -b != 0)."""
    num = float(np.linalg.norm(a - b))
    den = float(np.linalg.norm(a + b))
    if num == 0.0:
        return 0.0
    return num / den if den > 0 else math.inf


def floored(bound: np.ndarray, top: float, eps: float, tiny: float = 0.0) -> np.ndarray:
    """``bound`` floored at ``FLOOR_EPS·ε·top`` and ``FLOOR_TINY·tiny/ε``: the floors of :func:`judge_layer`
    (``top`` the largest entry compared), which keep two exact zeros from meeting a zero bound."""
    return np.maximum(bound, max(FLOOR_EPS * eps * top, FLOOR_TINY * tiny / eps))


def judge_layer(
    a: np.ndarray, b: np.ndarray, bound: np.ndarray, eps: float, overall: float = 0.0, tiny: float = 0.0,
    diff: np.ndarray | None = None,
) -> tuple[float, float, float, float]:
    """``(max_abs, ratio, bound_max, resolution)`` of two arrays against per-entry bounds.

    The bound of every entry is floored at ``FLOOR_EPS·ε·max(|a|, |b|)`` of the layer (see
    :mod:`gradtrio.tolerances`). The resolution is relative to the layer's largest entry, or, for a
    layer that is zero throughout (saturated units), to ``overall``, the largest entry of the whole
    gradient: a bug there shows as an entry that should be zero and is not. No bound is below
    ``FLOOR_TINY·tiny/ε`` (``tiny`` the dtype's smallest normal number): XLA flushes to zero what NumPy
    keeps as subnormal numbers, which moves whatever is computed from them by ``tiny`` times their
    multipliers, and neither result is an error of the gradient. ``diff`` replaces ``|a − b|`` (the
    distance between ranges, where one side is a range of one-sided derivatives at a kink)."""
    diff = np.abs(a - b) if diff is None else diff
    top = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    top = top if top > 0 else float(overall)
    bnd = floored(bound, top, eps, tiny)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(bnd > 0, diff / bnd, np.where(diff == 0, 0.0, np.inf))
    bmax = float(np.max(bnd))
    resolution = bmax / top if top > 0 else (0.0 if np.isfinite(bmax) else math.inf)
    return float(np.max(diff)), float(np.max(r)), bmax, resolution


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def row_table(rows: Sequence[Row], verdicts: Sequence[str]) -> list[str]:
    """The report's table: a header line, then one line per row with its verdict (ok, FAIL, INCONCLUSIVE)."""
    w = max([len(r.pair) for r in rows] + [4])
    lines = [f"{'pair':<{w}}  {'layer':<9} {'max |a-b|':>10} {'|a-b|/|a+b|':>12} {'err/bound':>10} "
             f"{'resolution':>10}  result"]
    word = {"pass": "ok", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}
    for r, v in zip(rows, verdicts):
        lines.append(f"{r.pair:<{w}}  {r.layer:<9} {r.max_abs:>10.2e} {r.rel_err:>12.2e} "
                     f"{r.ratio:>10.2e} {r.resolution:>10.1e}  {word[v]}")
    return lines


def summary_line(verdict: str, n: int, n_fail: int, n_inc: int) -> str:
    """``PASSED: 7/8 comparisons agree, 0 disagree, 1 inconclusive`` (the report's last line, unexplained)."""
    summary = {"pass": "PASSED", "fail": "FAILED", "inconclusive": "INCONCLUSIVE"}[verdict]
    return f"{summary}: {n - n_fail - n_inc}/{n} comparisons agree, {n_fail} disagree, {n_inc} inconclusive"


@dataclass
class GradientReport:
    """The result of :func:`compare_gradients` / :func:`check_gradients`.

    Attributes
    ----------
    rows : list of Row
        One per (method pair, layer).
    sizes : tuple of int
    m : int
    lam : float
    dtype : str
    J : float
        The cost (by backprop).
    gradients : dict of str to list of ndarray
        Every method's gradient, with the structure of ``thetas``.
    evaluations : dict of str to int
        Cost evaluations spent by each numerical method.
    kinks : dict of str to list of int
        For each finite-difference method on a network with kinked units: the flat entries whose
        stencil moved a hidden pre-activation across a kink. They are judged not by the difference
        quotient but by the one-sided derivatives: the other side must lie in their range (the
        convention at an exact tie: relu'(0) = 0, leaky_relu'(0) = 0.01, as scikit-learn, PyTorch and JAX).
    kink_entries : dict of str to list of dict
        Per method, one record per kink entry: ``entry`` (e.g. ``"Theta(1)[2, 0]"``), ``left_right``
        (the range ``[lo, hi]`` of the one-sided derivatives), ``convention`` and ``ties`` (how many
        (example, unit) pairs it moves sit at a kink at θ; 0: the stencil crossed one, θ is not on it).
    """

    rows: list[Row]
    sizes: tuple[int, ...]
    m: int
    lam: float
    dtype: str
    J: float
    gradients: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)
    evaluations: dict[str, int] = field(default_factory=dict)
    kinks: dict[str, list[int]] = field(default_factory=dict)
    kink_entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def n_kinks(self) -> int:
        """The most kink entries of any finite-difference method (0 on a smooth network)."""
        return max((len(v) for v in self.kinks.values()), default=0)

    def kink_summary(self) -> str:
        """One line saying how many entries each method judged by one-sided derivatives ("" if none
        was asked for: a smooth network, or no finite difference)."""
        if not self.kinks:
            return ""
        n = Architecture(self.sizes).num_params
        counts = ", ".join(f"{name} {len(v)}/{n}" for name, v in self.kinks.items())
        ties = max((sum(1 for r in v if r["ties"]) for v in self.kink_entries.values()), default=0)
        return (f"kink entries: {counts} (the stencil moves a pre-activation across a kink: judged by the "
                "one-sided derivatives, which must bracket the other side; relu'(0) = 0 at exact ties)"
                + (f"; {ties} of them move a unit sitting exactly at a kink" if ties else ""))

    @property
    def verdict(self) -> str:
        """"fail" if a row failed, else "inconclusive" if a row was, else "pass"."""
        return verdict_of([r.verdict for r in self.rows])

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[Row]:
        """The rows that failed."""
        return [r for r in self.rows if r.verdict == "fail"]

    def inconclusive(self) -> list[Row]:
        """The rows that could not resolve a bug of the size asked for."""
        return [r for r in self.rows if r.verdict == "inconclusive"]

    def failure_message(self) -> str:
        """Every failing or inconclusive row in one sentence each; "" if none."""
        head = f"sizes {self.sizes}, m = {self.m}, λ = {self.lam:g}, {self.dtype}, J = {self.J:.6g}: "
        return "\n".join(head + r.describe() for r in self.failures() + self.inconclusive())

    def worst(self, method_b: str | None = None) -> Row:
        """The row with the largest error-to-bound ratio (optionally for one compared method)."""
        rows = [r for r in self.rows if method_b is None or r.method_b == method_b]
        return max(rows, key=lambda r: r.ratio)

    def __str__(self) -> str:
        head = (f"gradient check: sizes {self.sizes}, m = {self.m}, λ = {self.lam:g}, {self.dtype}, "
                f"J = {self.J:.10g}")
        lines = [head] + row_table(self.rows, [r.verdict for r in self.rows])
        n_fail, n_inc = len(self.failures()), len(self.inconclusive())
        lines.append(summary_line(self.verdict, len(self.rows), n_fail, n_inc)
                     + " (an entry disagrees when |a-b| exceeds the "
                     "two methods' measured error bounds; a comparison is inconclusive when its bounds are "
                     f"coarser than {self.rows[0].bug_size if self.rows else BUG_SIZE:g} x the largest entry)")
        if self.kinks:
            lines.append(self.kink_summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary (gradients left out; non-finite numbers become None)."""
        rows = []
        for r in self.rows:
            d = {k: _finite_or_none(v) for k, v in asdict(r).items()}
            d["verdict"] = r.verdict
            d["passed"] = r.passed
            rows.append(d)
        return {
            "sizes": list(self.sizes),
            "m": self.m,
            "lam": self.lam,
            "dtype": self.dtype,
            "J": _finite_or_none(self.J),
            "verdict": self.verdict,
            "passed": self.passed,
            "evaluations": dict(self.evaluations),
            "rows": rows,
            "kinks": {k: len(v) for k, v in self.kinks.items()},
            "kink_entries": {k: [{**r, "left_right": [_finite_or_none(x) for x in r["left_right"]],
                                  "convention": _finite_or_none(r["convention"])} for r in v]
                             for k, v in self.kink_entries.items()},
        }

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)


def _kink_records(sided: branches.OneSided, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """The kink entries of one method, for :attr:`GradientReport.kink_entries`."""
    from .oracles.probes import suspect_at

    return [{"index": int(i), "entry": str(suspect_at(int(i), sizes)), "left_right": [float(lo), float(hi)],
             "convention": float(c), "ties": int(t)}
            for i, lo, hi, c, t in zip(sided.index, sided.lo, sided.hi, sided.convention, sided.ties)]


def _directional_row(ref: str, grads: Sequence[np.ndarray], pb: _Problem, seed: int, bug_size: float) -> Row:
    f = closures.complex_cost_fn(pb.problem)
    res = oracles.directional_check(
        f, unroll(grads), pb.theta, k=10, seed=seed, noise_floor=pb.scales.cost_error(),
        grad_error=pb.analytic_error(), step_scale=pb.scales.flat_sensitivity(), bug_size=bug_size)
    pb.evaluations["directional"] = res.evaluations
    den = float(np.max(np.abs(res.analytic) + np.abs(res.numeric)))
    rel = float(np.max(res.abs_err)) / den if den > 0 else 0.0
    i = int(np.argmax(res.ratio))
    return Row(ref, "directional", "all", float(res.abs_err[i]), rel, float(res.bound[i]),
               float(res.ratio.max()), res.resolution, bug_size)


def _float_dtype_arg(dtype: DTypeLike) -> np.dtype:
    """float32 or float64; anything else (ints would turn the debug weights into zeros) is refused."""
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float64 or float32; got {dt}")
    return dt


@_docs.fill
def compare_gradients(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    custom: Mapping[str, GradFn] | None = None,
    pairs: str = "reference",
    dtype: DTypeLike | None = None,
    seed: int = 0,
    bug_size: float = BUG_SIZE,
    progress: Callable[[str], None] | None = None,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
    incremental: bool | str = "auto",
    step_progress: Callable[[str, int, int], None] | None = None,
) -> GradientReport:
    """Compute the gradient by every method and compare each with the reference, entry by entry.

    Every entry is judged against the sum of the two methods' error bounds, each measured on this
    problem (see :mod:`gradtrio.tolerances`): rounding ``ANALYTIC_SAFETY·ε·G`` for the exact methods
    (backprop, loop, autodiff, complex step, and ``custom`` functions), truncation from a second step
    plus the measured noise for finite differences. A layer fails when one entry is beyond its
    bound; it is inconclusive when none is but its bounds are coarser than ``bug_size`` × its largest
    entry.

    Parameters
    ----------
    {problem}
    methods : sequence of str
        From :data:`KNOWN_METHODS` or the keys of ``custom``; the first is the reference.
    custom : mapping of str to callable, optional
        Extra gradient functions ``f(thetas, X, Y, lam) -> grads`` (e.g. a backprop with a planted
        bug) of the network of ``activation`` and ``output``; they are judged with the error bound of
        an exact method. A name that is also a known
        method replaces it.
    pairs : {"reference", "all"}
        Compare every method with the first one, or every pair.
    dtype : numpy dtype, optional
        Cast thetas and X to it (float64 or float32); by default the inputs' dtype.
    seed : int, default 0
        Seeds the random directions of ``"directional"``.
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`
        The relative size of a wrong entry the verdict must be able to see.
    progress : callable ``(method) -> None``, optional
        Called with each method's name before it runs (``gradtrio check`` shows progress with it).
    {units}
    incremental : {"auto", True, False}, default "auto"
        True: central, forward and Richardson differences and the complex step evaluate each perturbed
        cost incrementally (:mod:`gradtrio.incremental`), with the rounding bound of the changed terms.
        False: the full NumPy cost for every perturbation, with the cost's noise σ/h (the black-box
        path). "auto": the engine where the full path's work reaches
        :data:`gradtrio.incremental.AUTO_WORK` (its kernels' compilation would cost more than they save
        on smaller problems).
    step_progress : callable ``(method, done, total) -> None``, optional
        Called as an incremental method works through the ``total`` entries, and once with ``done = 0``
        before the method starts (the engine imports and runs JAX from then on: ``gradtrio check`` holds
        Ctrl-C back from that call).

    Returns
    -------
    GradientReport
        ``.verdict`` is "pass", "fail" or "inconclusive"; ``.passed`` only for "pass".
    """
    problem, mats = validate(thetas, X, Y, lam, activations=activation, output=output,
                             dtype=None if dtype is None else _float_dtype_arg(dtype))
    units = problem.arch.unit_keywords
    X, Y, lam, dt = problem.X, problem.Y, problem.lam, problem.dtype
    custom = dict(custom or {})
    if isinstance(methods, str):
        raise TypeError("methods must be a sequence of names such as ('backprop', 'central'); "
                        f"got the string {methods!r}")
    methods = list(dict.fromkeys(methods))  # each method once, in the order given
    if len(methods) < 2:
        raise ValueError("methods must name at least two methods to compare, e.g. ('backprop', 'central'); "
                         f"got {methods}")
    unknown = [m for m in methods if m not in KNOWN_METHODS and m not in custom]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {', '.join(KNOWN_METHODS)} (or pass custom=...)")
    if pairs not in ("reference", "all"):
        raise ValueError(f"pairs must be 'reference' or 'all'; got {pairs!r}")
    if methods[0] == "directional":
        raise ValueError("the first method is the reference and must give a full gradient, not 'directional'")
    if not (isinstance(bug_size, (int, float)) and 0 < bug_size < 1):
        raise ValueError(f"bug_size must be a relative size strictly between 0 and 1; got {bug_size!r}")
    if incremental not in ("auto", True, False):
        raise ValueError(f"incremental must be 'auto', True or False; got {incremental!r}")
    pb = _Problem(problem, mats, incremental, step_progress)
    J = float(model_cost(problem.arch, mats, X, Y, lam))
    flat: dict[str, np.ndarray] = {}
    errors: dict[str, np.ndarray] = {}
    kinks: dict[str, list[int]] = {}
    for name in methods:
        if name == "directional":
            continue
        if progress is not None:
            progress(name)
        if name in custom or name in _ANALYTIC:
            out = custom[name](mats, X, Y, lam) if name in custom else _ANALYTIC[name](mats, X, Y, lam, **units)
            g = [np.asarray(t, dtype=np.float64) for t in out]
            if [t.shape for t in g] != [t.shape for t in mats]:
                raise ValueError(f"method {name!r} returned gradients of shapes {[t.shape for t in g]}; "
                                 f"expected the shapes of thetas {[t.shape for t in mats]}")
            flat[name], errors[name] = unroll(g), pb.analytic_error()
        else:
            flat[name], errors[name], hit = pb.numeric(name)
            if hit is not None:
                kinks[name] = [int(i) for i in hit]
    grads = {name: roll(v, pb.sizes) for name, v in flat.items()}

    def span(name: str) -> tuple[np.ndarray, np.ndarray]:
        return pb.intervals.get(name, (flat[name], flat[name]))

    ref = methods[0]
    full = [m for m in methods if m != "directional"]
    if pairs == "reference":
        todo = [(ref, b) for b in full[1:]]
    else:
        todo = [(a, b) for i, a in enumerate(full) for b in full[i + 1 :]]
    rows = []
    for a, b in todo:
        bound = roll(errors[a] + errors[b], pb.sizes)
        overall = float(max(np.max(np.abs(flat[a])), np.max(np.abs(flat[b]))))
        # The distance between the two sides: |a − b| for values, the distance to (or between) the
        # ranges of one-sided derivatives on the entries whose stencil crosses a kink.
        (lo_a, hi_a), (lo_b, hi_b) = span(a), span(b)
        gap = roll(np.maximum(np.maximum(lo_a - hi_b, lo_b - hi_a), 0.0), pb.sizes)
        for l, (ga, gb, bd, dl) in enumerate(zip(grads[a], grads[b], bound, gap)):
            max_abs, ratio, bmax, resolution = judge_layer(ga, gb, bd, pb.eps, overall, float(np.finfo(pb.dtype).tiny),
                                                           diff=dl)
            rows.append(Row(a, b, f"Theta({l + 1})", max_abs, relative_error(ga, gb), bmax, ratio, resolution,
                            float(bug_size)))
    if "directional" in methods:
        if progress is not None:
            progress("directional")
        rows.append(_directional_row(ref, grads[ref], pb, seed, float(bug_size)))
    return GradientReport(rows, pb.sizes, X.shape[0], lam, dt.name, J, grads, dict(pb.evaluations), kinks,
                          {name: _kink_records(pb.one_sided[name], pb.sizes) for name in pb.one_sided})


def check_gradients(
    sizes: Sequence[int] = (3, 5, 3),
    lam: float = 0.0,
    m: int = 5,
    seed: int = 0,
    dtype: DTypeLike = np.float64,
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
    **kw: Any,
) -> GradientReport:
    """The classic ``checkNNGradients``, for any sizes: debug weights, ``y_i = i mod K``.

    The targets are the one-hot codes of ``y`` for every output (for squared error too: valid
    real targets, and the same problem whatever the loss).

    Parameters
    ----------
    sizes : sequence of int, default (3, 5, 3)
    lam : float, default 0
    m : int, default 5
        Number of examples.
    seed : int, default 0
        Seeds the random directions of ``"directional"`` (the debug problem itself is deterministic).
    dtype : numpy dtype, default float64
    methods : sequence of str, default ("backprop", "loop", "autodiff", "central", "complex")
        The first is the reference.
    activation, output
        The units, as :func:`compare_gradients`.
    **kw
        Passed to :func:`compare_gradients` (``custom``, ``pairs``).

    Returns
    -------
    GradientReport
        ``print(report)`` shows the table; ``report.passed``; ``report.failures()``.

    Examples
    --------
    >>> import gradtrio
    >>> print(gradtrio.check_gradients((3, 5, 3), lam=3.0))  # doctest: +SKIP
    """
    dtype = _float_dtype_arg(dtype)
    thetas, X, y = debug_problem(sizes, m, dtype)
    Y = one_hot(y, thetas[-1].shape[0], dtype)
    return compare_gradients(thetas, X, Y, lam, methods, dtype=dtype, seed=seed, activation=activation,
                             output=output, **kw)
