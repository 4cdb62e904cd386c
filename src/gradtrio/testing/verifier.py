"""Verify a user's own cost-and-gradient implementation: :func:`verify` and :func:`assert_verified`.

What is checked, on every problem (the course's debug problems at λ = 0 and λ = 3, then problems that
Hypothesis draws: sizes, m from 1, classes absent, λ = 0 and λ > 0, raw pixel-scale data, saturated and
fitted weights):

1. the user's cost against gradtrio's cost, and its gradient against gradtrio's backprop (and, on the
   debug problems, both against JAX, an independent writing of the same cost);
2. the user's gradient against finite differences of **the user's own cost** — so that "your gradient is
   not the derivative of your cost" is told apart from "your cost is not the course's cost";
3. the contract: arguments unchanged after the call, outputs that are not views of inputs, the same result
   on a repeat call, J one finite number, a gradient of the right shape and dtype; an exception is a
   finding with its type, its message and the user's line that raised it.

Every comparison is judged against error bounds measured on the problem (:mod:`gradtrio.rounding`): the
rounding of the terms of the cost and of every gradient entry, on both sides, plus the conditioning of
the course's ``log(h)``/``log(1 − h)`` formula, which a correct implementation may use and which loses
``ε·h/(1 − h)`` where an output is confidently wrong. Where an output is saturated to exactly 0 or 1 that
formula gives ``log(0)``: a non-finite cost there is a note, not a failure, and the cost on that problem
cannot be judged. A check whose bounds are too coarse to see a bug of :data:`gradtrio.tolerances.BUG_SIZE`
on the debug problems makes the verdict "inconclusive", never a silent pass.

For a failing implementation, :func:`verify` then localizes the difference (layer, bias column or weights,
and the conditions under which it appears: only λ > 0, only m > 1, only when a class is absent, ...),
names the catalog bugs (:data:`gradtrio.catalog.CATALOG`) whose cost and gradient match the user's on
every problem, and shrinks a failing problem with Hypothesis to a minimal counterexample printed as a
runnable snippet.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..check import floored
from ..model.architecture import Architecture
from ..rounding import FUNCTION_ULPS, RoundingScales, rounding_scales
from ..tolerances import ANALYTIC_SAFETY, BUG_SIZE, FLOOR_EPS, FLOOR_TINY
from .conventions import LABELS, ORDERS, SIGNATURES, Y_SHAPES, Conventions, Outcome, call, candidates, encode
from .problem import Problem
from .report import Counterexample, Diagnosis, Finding, VerifyReport

__all__ = ["DEFAULT_EXAMPLES", "verify", "assert_verified"]

#: Problems Hypothesis draws beside the two debug problems. 30 resolve every bug of the catalog (each shows
#: on a third of the draws or more) and keep a verdict on a per-example loop within ~10 s on 2 cores.
DEFAULT_EXAMPLES = 30
#: Random directions of the self-consistency check on a drawn problem (4 evaluations each, plus 13 for
#: the noise measurement); the debug problems get every entry by central differences.
DIRECTIONS = 3
#: λ of the debug problems: the course's checkNNGradients is run at λ = 0 and λ = 3.
DEBUG_LAMS = (0.0, 3.0)
DEBUG_M = 5
#: The debug problems' sizes when none are given: the course's checkNNGradients network.
DEBUG_SIZES = (3, 5, 3)
#: Sizes of the probe problems that detect conventions when none are given: no matrix square or
#: symmetric, so order C and F scramble each other's parameters; K = 3 so the two label bases differ.
PROBE_SIZES = (4, 6, 3)
PROBE_M = 7
PROBE_LAMS = (0.0,)  # the conventions do not depend on λ, and a regularization bug must not hide them
#: The size at which the user's function is timed against gradtrio's backprop: the course's network
#: (400 → 25 → 10) on 200 examples; at most TIME_CALLS calls or TIME_BUDGET seconds, median.
TIME_SIZES = (400, 25, 10)
TIME_M = 200
TIME_CALLS = 5
TIME_BUDGET = 1.0
#: Fewest failing (and passing) problems from which a condition ("only when λ > 0") is stated: with one or
#: two failing problems every feature they happen to share would read as one.
MIN_FOR_CONDITION = 3
#: A catalog bug matches when the user's values equal its values within the rounding bounds plus this
#: fraction of their own size: a bug's values can be far larger than the course's (and so can their
#: rounding), while two different bugs differ by O(1) relative amounts.
DIAGNOSIS_RTOL = 1e-7
#: Differences below this fraction of a layer's largest entry are never reported: no bug of consequence is that
#: small (the catalog's smallest, a float32 buffer, is ~1e-8), and deliberate safeguards are (h clipped to
#: [1e-15, 1 - 1e-15] moves δ by 1e-15).
NEGLIGIBLE = 1e-10
#: Largest number of parameters whose gradient is checked entry by entry by central differences of the user's
#: own cost (4n + 13 calls); bigger debug problems are checked along DEBUG_DIRECTIONS random directions.
FULL_FD_MAX = 400
DEBUG_DIRECTIONS = 10
#: How far a correct implementation may move each output h: the guard students put on h before the log,
#: ``np.clip(h, 1e-15, 1 - 1e-15)``, moves it by up to 1e-15 (about 5 ε), and so moves δ(L) = h − y; what
#: twice that moves each gradient entry by (:func:`_clip_bound`) is added to the gradient's bound (twice:
#: a clip at exactly 1e-15 of an h that is exactly 0 must not land on the bound itself).
H_CLIP = 2e-15
#: A localization lists the wrong entries ([row, column]) when there are at most this many.
MAX_LISTED = 6
#: Both sides' rounding: the user's computation is another sum of the same terms as gradtrio's.
BOTH_SIDES = 2.0


# --- references ---------------------------------------------------------------------------------------


@dataclass(eq=False)  # compared by identity: a problem is one object, whatever its values
class _Ref:
    """A problem and what its verdicts need: gradtrio's cost and gradient, and their error bounds."""

    problem: Problem
    kind: str  # "debug" or the regime of a drawn problem
    J: float
    grads: list[np.ndarray]
    cost_tol: float  # bound on |J_user - J|
    closest: float  # how close an output comes to 0 or 1: min(h, 1 - h) over all outputs
    naive_error: float  # what the course's log(h) formula can lose to its conditioning (absolute)
    grad_tol: list[np.ndarray]  # per-entry bound on |g_user - g|
    scales: RoundingScales
    jax: tuple[float, list[np.ndarray]] | None = None

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.problem.sizes

    @property
    def saturated(self) -> bool:
        """An output is exactly 0 or 1: the course's log(h) formula gives log(0)."""
        return self.closest == 0.0

    def saturated_for(self, out: Outcome) -> bool:
        """An output is 0 or 1 in the user's precision: in float32, within float32's ε of it."""
        return self.saturated or (_low_precision(out) and self.closest < float(np.finfo(np.float32).eps))

    def features(self) -> dict[str, bool]:
        p = self.problem
        K = p.Y.shape[1]
        present = np.unique(np.argmax(p.Y, axis=1)).size
        return {"λ > 0": p.lam > 0, "m > 1": p.m > 1, "a class is absent": present < K, "m < K": p.m < K,
                "K ≠ 10": K != 10, "raw pixel-scale data": self.kind == "pixels",
                "saturated units": self.kind == "saturated", "a fitted network": self.kind == "fitted",
                "a hidden layer": len(p.sizes) >= 3, "two or more hidden layers": len(p.sizes) >= 4}


#: The wording of a feature when it is false ("only when λ = 0").
_NEGATION = {"λ > 0": "λ = 0", "m > 1": "m = 1", "a class is absent": "every class is present", "m < K": "m ≥ K",
             "K ≠ 10": "K = 10", "raw pixel-scale data": "data not at pixel scale",
             "saturated units": "no unit saturated", "a fitted network": "an untrained network",
             "a hidden layer": "no hidden layer", "two or more hidden layers": "at most one hidden layer"}


def _reference(problem: Problem, kind: str) -> _Ref:
    from .. import backprop
    from ..model import forward

    thetas, X, Y, lam = problem
    J, grads = backprop.cost_and_grad(thetas, X, Y, lam)
    sc = rounding_scales(thetas, X, Y, lam)
    eps = sc.eps
    arch = Architecture(problem.sizes)
    fw = forward(arch, thetas, X, keep=True)
    H = arch.out.value(fw.logits)
    with np.errstate(divide="ignore", invalid="ignore"):
        # log(1 - h) from an h carrying relative error ε loses ε h/(1 - h); log(h) from 1 - h, (1 - h)/h.
        naive = float(np.sum((1 - Y) * H / (1 - H) + Y * (1 - H) / H)) / problem.m
    cost_tol = BOTH_SIDES * ANALYTIC_SAFETY * eps * (sc.cost + FUNCTION_ULPS * naive + abs(J))
    grad_tol = [BOTH_SIDES * ANALYTIC_SAFETY * eps * G + C for G, C in zip(sc.grad, _clip_bound(arch, thetas, fw))]
    naive_error = FUNCTION_ULPS * eps * naive
    closest = float(np.min(np.minimum(H, 1.0 - H)))
    return _Ref(problem, kind, float(J), grads, cost_tol if np.isfinite(cost_tol) else np.inf, closest,
                naive_error if np.isfinite(naive_error) else np.inf, grad_tol, sc)


def _clip_bound(arch: Architecture, thetas: Sequence[np.ndarray], fw: Any) -> list[np.ndarray]:
    """What moving every output h by :data:`H_CLIP` moves each gradient entry by, at most: δ(L) by H_CLIP,
    propagated back through ``|Θ|`` and ``|g'(z)|`` as backprop propagates δ."""
    m = fw.logits.shape[0]
    err = np.full(fw.logits.shape, H_CLIP)
    out: list[np.ndarray] = [np.empty(0)] * len(thetas)
    for l in range(len(thetas) - 1, -1, -1):
        T = np.asarray(thetas[l])
        a = np.abs(fw.acts[l])
        D = np.empty(T.shape)
        D[:, 0] = err.sum(axis=0) / m
        D[:, 1:] = err.T @ a / m
        out[l] = D
        if l:
            err = (err @ np.abs(T[:, 1:])) * np.abs(arch.hidden[l - 1].derivative(fw.zs[l - 1]))
    return out


def _grad_compare(ref: _Ref, grads: list[np.ndarray], extra: list[np.ndarray] | None = None,
                  against: list[np.ndarray] | None = None) -> tuple[list[np.ndarray], float, float]:
    """(per-layer masks of entries beyond their bounds, worst ratio, resolution) of a gradient."""
    target = ref.grads if against is None else against
    eps = ref.scales.eps
    overall = float(max(np.max(np.abs(t)) for t in target))
    masks, worst, resolution = [], 0.0, 0.0
    for l, (g, r, tol) in enumerate(zip(grads, target, ref.grad_tol)):
        bound = tol if extra is None else tol + extra[l]
        top = float(max(np.max(np.abs(g), initial=0.0), np.max(np.abs(r), initial=0.0)))
        bnd = np.maximum(floored(bound, top or overall, eps, float(np.finfo(np.float64).tiny)), NEGLIGIBLE * top)
        diff = np.abs(g - r)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(np.isfinite(diff), diff / bnd, np.inf)
        masks.append(~(ratio <= 1.0))
        worst = max(worst, float(np.max(ratio)))
        top = float(np.max(np.abs(r)))
        if top > 0:
            resolution = max(resolution, float(np.max(bnd)) / top)
    return masks, worst, resolution


# --- one problem checked --------------------------------------------------------------------------------


@dataclass(eq=False)
class _Result:
    ref: _Ref
    out: Outcome
    cost: str = "n/a"  # "ok", "fail", "inconclusive", "n/a" (no usable value)
    cost_ratio: float = 0.0
    grad: str = "n/a"
    masks: list[np.ndarray] = field(default_factory=list)
    grad_ratio: float = 0.0
    selfc: str = "n/a"  # the gradient against finite differences of the user's own cost
    self_masks: list[np.ndarray] | None = None
    repeat: str = "ok"
    jax: str = "n/a"

    @property
    def saturation_error(self) -> bool:
        """The call raised the arithmetic error ``log(0)`` gives (``math.log``, a division by zero) on a
        problem whose outputs saturate to exactly 0 or 1: a limit of the course's formula, not a bug."""
        e = self.out.error or ""
        arithmetic = e.startswith(("ZeroDivisionError", "OverflowError", "FloatingPointError",
                                   "ValueError: math domain error"))
        return self.ref.saturated_for(self.out) and arithmetic

    @property
    def failed_checks(self) -> list[str]:
        out = []
        if self.out.error is not None and not self.saturation_error:
            out.append("exception")
        if self.out.contract:
            out.append("contract")
        if self.out.changed:
            out.append("arguments changed")
        if self.repeat == "fail":
            out.append("repeat call")
        for name, state in (("cost", self.cost), ("gradient", self.grad), ("self-consistency", self.selfc)):
            if state == "fail":
                out.append(name)
        return out


def _user_cost(fn: Callable, conv: Conventions, ref: _Ref) -> Callable[[np.ndarray], float]:
    arch = Architecture(ref.sizes)
    X, Y, lam = ref.problem.X, ref.problem.Y, ref.problem.lam

    def f(theta: np.ndarray) -> float:
        o = call(fn, conv, arch.roll(np.asarray(theta, dtype=np.float64)), X, Y, lam)
        if o.J is None or not np.isfinite(o.J):  # no finite difference of a non-finite cost means anything
            raise _Unusable(o.error or "; ".join(o.contract) or f"J = {o.J}")
        return o.J

    return f


class _Unusable(Exception):
    """The user's cost could not be evaluated at a perturbed point."""


def _self_consistency(fn: Callable, conv: Conventions, ref: _Ref, out: Outcome, full: bool,
                      seed: int) -> tuple[str, list[np.ndarray] | None]:
    from .. import oracles
    from ..network import unroll

    if not np.isfinite(ref.naive_error):
        return "inconclusive", None  # the course's formula is not finite near here: its differences say nothing
    grads = out.grads or []
    f = _user_cost(fn, conv, ref)
    theta = unroll(ref.problem.thetas)
    g = unroll(grads)
    sc = ref.scales
    low = _float32_extra(ref, out)
    grad_error = BOTH_SIDES * ANALYTIC_SAFETY * sc.grad_error() * (1.0 + (F32_RATIO if low else 0.0))
    # The cost's rounding: its terms' (S_J), the course's log(h) formula's conditioning, float32's if used.
    noise_floor = (sc.cost_error() + ref.naive_error) * (1.0 + (F32_RATIO if low else 0.0))
    full = full and theta.size <= FULL_FD_MAX
    try:
        with np.errstate(all="ignore"):
            if full:
                res = oracles.measure("central", f, theta, noise_floor=noise_floor, step_scale=sc.flat_sensitivity())
                arch = Architecture(ref.sizes)
                extra = arch.roll(res.error)
                if low is not None:
                    extra = [e + x for e, x in zip(extra, low)]
                masks, worst, resolution = _grad_compare(ref, grads, extra, against=arch.roll(res.grad))
                if worst > 1:
                    return "fail", masks
                return ("inconclusive" if resolution > BUG_SIZE else "ok"), None
            d = oracles.directional_check(f, g, theta, k=DEBUG_DIRECTIONS if ref.kind == "debug" else DIRECTIONS,
                                          seed=seed, noise_floor=noise_floor, grad_error=grad_error,
                                          step_scale=sc.flat_sensitivity())
    except _Unusable:
        return "n/a", None
    except (ArithmeticError, ValueError, FloatingPointError):  # a non-finite cost on the stencil
        return "n/a", None
    return {"pass": "ok", "fail": "fail", "inconclusive": "inconclusive"}[d.verdict], None


def _judge_values(fn: Callable, conv: Conventions, ref: _Ref, *, repeat: bool) -> _Result:
    """One call judged: its cost and gradient against the reference and, with ``repeat``, a second call
    against the first."""
    thetas, X, Y, lam = ref.problem
    out = call(fn, conv, thetas, X, Y, lam)
    res = _Result(ref, out)
    _judge_cost(res)
    if out.error is not None or out.grads is None:
        return res
    res.masks, res.grad_ratio, resolution = _grad_compare(ref, out.grads, _float32_extra(ref, out))
    res.grad = "fail" if res.grad_ratio > 1 else ("inconclusive" if resolution > BUG_SIZE else "ok")
    if repeat:
        again = call(fn, conv, thetas, X, Y, lam)
        if again.ok:
            masks, _, _ = _grad_compare(ref, again.grads or [], against=out.grads)
            a, b = float("nan") if again.J is None else again.J, float("nan") if out.J is None else out.J
            same_J = (a == b) or (np.isnan(a) and np.isnan(b)) or abs(a - b) <= _cost_tol(ref, out)
            res.repeat = "ok" if same_J and not any(m.any() for m in masks) else "fail"
        else:
            res.repeat = "fail"
    return res


def _check(fn: Callable, conv: Conventions, ref: _Ref, *, full_self: bool, seed: int) -> _Result:
    res = _judge_values(fn, conv, ref, repeat=True)
    out = res.out
    if out.error is not None or out.grads is None:
        return res
    res.selfc, res.self_masks = _self_consistency(fn, conv, ref, out, full_self, seed)
    if res.selfc == "fail" and res.cost == "inconclusive":
        # where the cost itself cannot be judged (its formula's rounding is too coarse here), neither can
        # finite differences of it: a gradient bug shows against the reference gradient on this problem anyway
        res.selfc = "inconclusive"
    return res


def _low_precision(out: Outcome) -> bool:
    """The user computed in float32 (its gradient or its cost comes back in float32)."""
    return out.grad_dtype == np.float32 or out.J_dtype == np.float32


#: float32's ε over float64's: how much coarser a float32 computation's rounding is.
F32_RATIO = float(np.finfo(np.float32).eps / np.finfo(np.float64).eps)


def _float32_extra(ref: _Ref, out: Outcome) -> list[np.ndarray] | None:
    """The rounding of a float32 computation of the gradient: the float64 bound scaled by ε32/ε64, and
    float32's floors (:func:`gradtrio.check.judge_layer`'s, in float32: what underflows there is 0)."""
    if not _low_precision(out):
        return None
    f32 = np.finfo(np.float32)
    floor = FLOOR_TINY * float(f32.tiny) / float(f32.eps)
    return [F32_RATIO * t + max(floor, FLOOR_EPS * float(f32.eps) * float(np.max(np.abs(g), initial=0.0)))
            for t, g in zip(ref.grad_tol, ref.grads)]


def _cost_tol(ref: _Ref, out: Outcome) -> float:
    return ref.cost_tol * (1.0 + F32_RATIO) if _low_precision(out) else ref.cost_tol


def _judge_cost(res: _Result) -> None:
    J, ref = res.out.J, res.ref
    tol = _cost_tol(ref, res.out)
    if J is None:
        return
    if not np.isfinite(J):
        if ref.saturated_for(res.out):
            res.cost = "inconclusive"
        else:
            res.cost = "fail"
            res.cost_ratio = np.inf
        return
    if ref.saturated_for(res.out) or not np.isfinite(tol):
        res.cost = "inconclusive"
        return
    tol = max(tol, NEGLIGIBLE * abs(ref.J))
    res.cost_ratio = abs(J - ref.J) / tol if tol > 0 else (0.0 if J == ref.J else np.inf)
    if res.cost_ratio > 1:
        res.cost = "fail"
    else:
        res.cost = "inconclusive" if tol > BUG_SIZE * max(abs(ref.J), 1e-300) else "ok"


# --- the problems ---------------------------------------------------------------------------------------


def _debug_problems(sizes: tuple[int, ...]) -> list[_Ref]:
    from ..network import debug_problem, one_hot

    thetas, X, y = debug_problem(sizes, DEBUG_M)
    Y = one_hot(y, sizes[-1])
    return [_reference(Problem([t.copy() for t in thetas], X.copy(), Y.copy(), lam), "debug") for lam in DEBUG_LAMS]


def _strategy(signature: str, sizes: tuple[int, ...] | None) -> Any:
    from .strategies import verify_problems

    return verify_problems(signature=signature, sizes=sizes)


def _drawn(signature: str, sizes: tuple[int, ...] | None, examples: int, seed: int) -> list[tuple[Problem, str]]:
    """``examples`` problems drawn by Hypothesis (seeded; no database, no shrinking), with their regimes."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    drawn: list[tuple[Problem, str]] = []
    if examples == 0:
        return drawn

    @hypothesis_seed(seed)
    @settings(database=None, max_examples=examples, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(_strategy(signature, sizes))
    def collect(case: tuple[Problem, str]) -> None:
        drawn.append(case)

    collect()
    return drawn[:examples]


# --- conventions ----------------------------------------------------------------------------------------


def _probes(sizes: tuple[int, ...] | None, seed: int) -> list[_Ref]:
    from ..network import one_hot

    sz = sizes if sizes is not None else PROBE_SIZES
    rng = np.random.default_rng(seed + 7919)
    K = sz[-1]
    m = max(PROBE_M, K + 2)
    y = rng.permutation(np.arange(m) % K)
    out = []
    for lam in PROBE_LAMS:
        thetas = [rng.uniform(-1, 1, size=s) for s in Architecture(sz).shapes]
        X = rng.uniform(-1, 1, size=(m, sz[0]))
        out.append(_reference(Problem(thetas, X, one_hot(y, K), lam), "probe"))
    return out


def _fits(fn: Callable, conv: Conventions, probes: list[_Ref],
          target: Callable[[_Ref], float | None]) -> list[Outcome] | None:
    """The outcomes on every probe when the user's cost equals ``target`` on each, else None."""
    outs = []
    for ref in probes:
        o = call(fn, conv, *ref.problem)
        want = target(ref)
        if o.J is None or want is None or not np.isfinite(o.J) or abs(o.J - want) > _cost_tol(ref, o):
            return None
        outs.append(o)
    return outs


def _same_outputs(a: list[Outcome], b: list[Outcome], probes: list[_Ref]) -> bool:
    for oa, ob, ref in zip(a, b, probes):
        if oa.grads is None or ob.grads is None:
            if (oa.grads is None) != (ob.grads is None):
                return False
            continue
        masks, _, _ = _grad_compare(ref, oa.grads, against=ob.grads)
        if any(m.any() for m in masks):
            return False
    return True


def _mutant_cost(name: str) -> Callable[[_Ref], float | None]:
    from ..catalog import CATALOG

    def J(ref: _Ref) -> float | None:
        try:
            with np.errstate(all="ignore"):
                return float(CATALOG[name].cost([t.copy() for t in ref.problem.thetas], ref.problem.X.copy(),
                                                ref.problem.Y.copy(), ref.problem.lam))
        except Exception:  # the mutant raises on this problem: it cannot be what the user computed
            return None

    return J


def _detect(fn: Callable, signature: str, given: dict[str, str], sizes: tuple[int, ...] | None, seed: int
            ) -> tuple[Conventions | None, dict[str, str], list[Finding]]:
    """The user's conventions: those given, and the open ones detected from probe problems."""
    cands = candidates(signature, given["order"], given["labels"], given["y_shape"])
    how = {k: ("given" if given[k] != "auto" else "detected") for k in ("order", "labels", "y_shape")}
    how["signature"] = "given"
    if signature == "gradtrio":
        return cands[0], {"signature": "given", "order": "not applicable", "labels": "one-hot (gradtrio)",
                          "y_shape": "not applicable"}, []
    if len(cands) == 1:
        return cands[0], how, []
    probes = _probes(sizes, seed)
    fitting = [(c, o) for c in cands if (o := _fits(fn, c, probes, lambda r: r.J)) is not None]
    if not fitting and sizes is None:  # code written for the digits alone runs only with K = 10
        ten = _probes(PROBE_SIZES[:-1] + (10,), seed)
        fitting = [(c, o) for c in cands if (o := _fits(fn, c, ten, lambda r: r.J)) is not None]
        if fitting:
            probes = ten
    assumed: list[str] = []
    notes_from_gradient = False
    if not fitting:  # a wrong cost: the conventions under which it is one of the catalog's wrong costs
        from ..catalog import CATALOG

        for name, mu in CATALOG.items():
            if mu.kind in ("cost", "cost-only", "crash"):
                hits = [(c, o) for c in cands if (o := _fits(fn, c, probes, _mutant_cost(name))) is not None]
                if hits:
                    fitting += [h for h in hits if h[0] not in [f[0] for f in fitting]]
                    assumed.append(name)
    if not fitting:  # a cost wrong in a way the catalog does not know: the gradient may still be right
        for c in cands:
            outs = [call(fn, c, *ref.problem) for ref in probes]
            if all(o.grads is not None and not any(m.any() for m in _grad_compare(ref, o.grads)[0])
                   for o, ref in zip(outs, probes)):
                fitting.append((c, outs))
        if fitting:
            notes_from_gradient = True
    if not fitting:
        tried, entered = [], False
        for c in cands:
            one = call(fn, c, *probes[0].problem)
            entered = entered or one.entered
            said = one.error if one.error else (f"J = {one.J!r}" if one.J is not None else "; ".join(one.contract))
            tried.append(f"{c.describe()}: {said}")
        if not entered:  # it cannot even be called with seven arguments
            return None, how, [Finding("call", "fail", f"cannot be called as the course signature: {one.error} "
                                       "(is it the gradtrio signature fn(thetas, X, Y, lam)? pass "
                                       "signature='gradtrio')")]
        msg = ("under no convention does the cost equal the course's cost (or a catalog bug's) on the probe "
               f"problems (sizes {probes[0].sizes}, m = {probes[0].problem.m}; expected J = {probes[0].J:.10g} "
               f"at λ = 0): pass order=, labels= and y_shape= to check it in yours")
        return None, how, [Finding("conventions", "fail", msg, where=tried[:8])]
    first_c, first_o = fitting[0]
    equal = [c for c, o in fitting if _same_outputs(o, first_o, probes)]
    different = [c for c, o in fitting if c not in equal]
    notes: list[Finding] = []
    if different and not _same_outputs(_fits(fn, first_c, probes, lambda r: r.J) or [], first_o, probes):
        return None, how, [Finding("repeat call", "fail", "a second call with the same arguments gives a different "
                                   "gradient (state kept between calls, e.g. a module-level accumulator?)")]
    if different:
        msg = (f"two conventions fit equally and give different gradients: {first_c.describe()} and "
               f"{different[0].describe()}; pass order=, labels= and y_shape= to say which")
        return None, how, [Finding("conventions", "inconclusive", msg)]
    if len(equal) > 1:
        if all(c.order == first_c.order and c.labels == first_c.labels for c in equal):
            notes.append(Finding("conventions", "note", "accepts y of shape (m,) and (m, 1) alike"))
        else:
            alts = "; ".join(c.describe() for c in equal[1:])
            notes.append(Finding("conventions", "note", f"gives the same results in more than one convention "
                                 f"({alts}); checked with {first_c.describe()}"))
    if how["labels"] == "detected" and first_c.labels == "one-hot":
        notes.append(Finding("conventions", "note", "y was read as a one-hot (m, K) matrix: the convention in which "
                             "your code gives the course's values; if your data holds a label vector, your code "
                             "reads it wrongly: check it with labels='1..K' or labels='0..K-1'"))
    elif how["labels"] == "detected":
        other = {"1..K": "0..K-1", "0..K-1": "1..K"}.get(first_c.labels or "", "1..K")
        notes.append(Finding("conventions", "note", f"y was read as {first_c.labels} labels: the convention in which "
                             f"your code gives the course's values; if your data holds {other} labels "
                             f"(the course files hold 1..K), your code reads them wrongly: check it with "
                             f"labels='{other}'"))
    if notes_from_gradient:
        notes.append(Finding("conventions", "note", "the course's cost fits under no convention: detected from the "
                             "gradient, which is the course's in this one"))
    if assumed:
        notes.append(Finding("conventions", "note", "the course's cost fits under no convention: detected "
                             f"assuming the cost has a catalog bug ({', '.join(assumed)})"))
    return first_c, how, notes


# --- aggregation ----------------------------------------------------------------------------------------


def _conditions(results: list[_Result], failed: Callable[[_Result], bool],
                judged: Callable[[_Result], bool]) -> list[str]:
    fails = [r for r in results if failed(r)]
    passes = [r for r in results if judged(r) and not failed(r)]
    if len(fails) < MIN_FOR_CONDITION or len(passes) < MIN_FOR_CONDITION:
        return []  # one or two failing problems have every feature they happen to have
    out = []
    fs = [r.ref.features() for r in fails]
    ps = [r.ref.features() for r in passes]
    for key in fs[0]:
        if all(f[key] for f in fs) and sum(not p[key] for p in ps) >= MIN_FOR_CONDITION:
            out.append(f"only when {key}")
        elif not any(f[key] for f in fs) and sum(p[key] for p in ps) >= MIN_FOR_CONDITION:
            out.append(f"only when {_NEGATION[key]}")
    return out


def _describe_mask(mask: np.ndarray) -> str:
    """``the bias column (column 0) only``, ``every entry``, ``the weights (columns 1..) only``, ... """
    rows, cols = mask.shape
    if not mask.any():
        return "none"
    if mask.all():
        return "every entry"
    bias, weights = mask[:, 0], mask[:, 1:]
    row_txt = "every row" if bias.all() else f"rows {np.flatnonzero(bias).tolist()}"
    if bias.any() and not weights.any():
        return f"the bias column (column 0) only, {row_txt}"
    if weights.all() and not bias.any():
        return "every weight (columns 1..), not the bias column"
    where = np.argwhere(mask)
    listed = (": " + ", ".join(f"[{i}, {j}]" for i, j in where)) if len(where) <= MAX_LISTED else ""
    if not bias.any():
        return f"{int(weights.sum())} of {weights.size} weights (columns 1..), not the bias column{listed}"
    return f"{int(mask.sum())} of {mask.size} entries, the bias column among them{listed}"


def _where(masks_per_problem: list[list[np.ndarray]]) -> list[str]:
    """Per layer, the most common pattern of wrong entries over the failing problems."""
    if not masks_per_problem:
        return []
    layers = max(len(m) for m in masks_per_problem)
    out = []
    for l in range(layers):
        patterns = [_describe_mask(m[l]) for m in masks_per_problem if l < len(m)]
        common = statistics.mode(patterns)
        share = patterns.count(common)
        suffix = "" if share == len(patterns) else f" (on {share} of {len(patterns)} failing problems)"
        out.append(f"Theta({l + 1}): {'nothing wrong' if common == 'none' else common}{suffix}")
    return out


def _short(ref: _Ref) -> str:
    p = ref.problem
    present = np.unique(np.argmax(p.Y, axis=1)).size
    return (f"sizes {p.sizes}, m = {p.m}, λ = {p.lam:g}, {present} of {p.Y.shape[1]} classes present "
            f"({ref.kind})")


def _smallest(results: list[_Result]) -> _Result:
    return min(results, key=lambda r: (sum(t.size for t in r.ref.problem.thetas), r.ref.problem.m, r.ref.problem.lam))


def _findings(results: list[_Result], conv: Conventions) -> list[Finding]:
    total = len(results)
    out: list[Finding] = []
    errs = [r for r in results if r.out.error is not None and not r.saturation_error]
    sat_errs = [r for r in results if r.saturation_error]
    if sat_errs:
        out.append(Finding("notes", "note", f"raises {sat_errs[0].out.error} where an output saturates to exactly 0 "
                           "or 1 (log(0)); computing the cost from z, as log(1 + e^z) - y z, avoids it",
                           len(sat_errs), total, example=_short(sat_errs[0].ref)))
    if errs:
        by: dict[str, list[_Result]] = {}
        for r in errs:
            by.setdefault(f"{r.out.error}" + (f" at {r.out.where}" if r.out.where else ""), []).append(r)
        for msg, rs in sorted(by.items(), key=lambda kv: -len(kv[1])):
            ids = {id(r) for r in rs}
            out.append(Finding("exception", "fail", f"raised {msg}", len(rs), total,
                               _conditions(results, lambda r, ids=ids: id(r) in ids, lambda r: True),  # type: ignore[misc]
                               example=_short(_smallest(rs).ref)))
    contracts: dict[str, list[tuple[str, _Result]]] = {}
    for r in results:
        for c in r.out.contract:  # one finding per kind of message, whatever the sizes in it
            contracts.setdefault(re.sub(r"\d+", "N", c), []).append((c, r))
    for pairs in contracts.values():
        msg, r0 = min(pairs, key=lambda p: sum(t.size for t in p[1].ref.problem.thetas))
        out.append(Finding("contract", "fail", msg, len(pairs), total, example=_short(r0.ref)))
    changed = [r for r in results if r.out.changed]
    if changed:
        r0 = _smallest(changed)
        names = sorted({n for r in changed for n in r.out.changed})
        what = "nn_params" if conv.signature == "course" and any(n.startswith("Theta") for n in names) else ""
        where = []
        for name, after in r0.out.changed.items():
            if name.startswith("Theta"):
                l = int(name[6:-1]) - 1
                before = r0.ref.problem.thetas[l]
                mask = after != before
                zeros = " (set to 0)" if np.all(after[mask] == 0) else ""
                where.append(f"{name}: {_describe_mask(mask)}{zeros}")
            else:
                where.append(f"{name} changed")
        advice = []
        if any(n.startswith("Theta") for n in names):
            advice.append("an optimizer calling it would see its parameters move (work on a copy: "
                          + ("Theta1 = nn_params[...].reshape(...).copy())" if what else "thetas[l].copy())"))
        if any(not n.startswith("Theta") for n in names):
            advice.append("the caller's data change under it (build new arrays, e.g. y = y - 1, not y -= 1)")
        msg = (f"writes into its arguments ({', '.join(names)}{'; through nn_params' if what else ''}): the caller's "
               f"arrays change; {'; '.join(advice)}")
        out.append(Finding("arguments changed", "fail", msg, len(changed), total, where=where,
                           example=_short(r0.ref)))
    rep = [r for r in results if r.repeat == "fail"]
    if rep:
        out.append(Finding("repeat call", "fail", "a second call with the same arguments gives a different result "
                           "(state kept between calls?)", len(rep), total, example=_short(_smallest(rep).ref)))
    judged_cost = [r for r in results if r.cost in ("ok", "fail")]
    cost_fail = [r for r in results if r.cost == "fail"]
    if cost_fail:
        r0 = _smallest(cost_fail)
        jax_note = ""
        if r0.ref.jax is not None:
            jax_note = f"; JAX's cost is {r0.ref.jax[0]:.10g}"
        msg = (f"your cost J differs from the course's cost: J = {r0.out.J!r}, expected {r0.ref.J!r} "
               f"(gradtrio){jax_note}")
        out.append(Finding("cost", "fail", msg, len(cost_fail), len(judged_cost),
                           _conditions(results, lambda r: r.cost == "fail", lambda r: r.cost in ("ok", "fail")),
                           example=_short(r0.ref)))
    judged_grad = [r for r in results if r.grad in ("ok", "fail")]
    grad_fail = [r for r in results if r.grad == "fail"]
    if grad_fail:
        r0 = _smallest(grad_fail)
        out.append(Finding("gradient", "fail", "your gradient differs from the course's gradient (gradtrio's "
                           "backprop; on the debug problems JAX's too)", len(grad_fail), len(judged_grad),
                           _conditions(results, lambda r: r.grad == "fail", lambda r: r.grad in ("ok", "fail")),
                           _where([r.masks for r in grad_fail]), example=_short(r0.ref)))
    judged_self = [r for r in results if r.selfc in ("ok", "fail")]
    self_fail = [r for r in results if r.selfc == "fail"]
    if self_fail:
        if cost_fail and not grad_fail:
            msg = ("your gradient is the course's gradient but not the derivative of your own cost: the bug is in "
                   "the cost alone")
        elif grad_fail and not cost_fail:
            msg = "your gradient is not the derivative of your own cost (which is right): the bug is in the gradient"
        else:
            msg = "your gradient is not the derivative of your own cost (finite differences of your cost disagree)"
        masks = [r.self_masks for r in self_fail if r.self_masks is not None]
        out.append(Finding("self-consistency", "fail", msg, len(self_fail), len(judged_self),
                           _conditions(results, lambda r: r.selfc == "fail", lambda r: r.selfc in ("ok", "fail")),
                           _where(masks), example=_short(_smallest(self_fail).ref)))
    elif cost_fail and grad_fail and judged_self:
        out.append(Finding("self-consistency", "note", "your gradient is the derivative of your own cost: cost and "
                           "gradient are wrong together (the cost itself is not the course's)",
                           len(judged_self), len(judged_self)))
    jax_fail = [r for r in results if r.jax == "fail"]
    if jax_fail:
        out.append(Finding("jax", "inconclusive", "gradtrio's backprop and JAX disagree on this problem: a bug in "
                           "gradtrio's references, not in your code; please report it", len(jax_fail),
                           example=_short(jax_fail[0].ref)))
    sat = [r for r in results if r.out.J is not None and not np.isfinite(r.out.J) and r.ref.saturated_for(r.out)]
    if sat:
        out.append(Finding("notes", "note", f"your cost is {sat[0].out.J} where an output saturates to exactly 0 or 1 "
                           "(log(0)); computing it from z, as log(1 + e^z) - y z, keeps it finite", len(sat), total))
    notes: dict[str, int] = {}
    warned: dict[str, int] = {}
    for r in results:
        for n in r.out.notes:
            if n.startswith("RuntimeWarning: "):
                warned[n.removeprefix("RuntimeWarning: ")] = warned.get(n.removeprefix("RuntimeWarning: "), 0) + 1
            else:
                notes[n] = notes.get(n, 0) + 1
    for n, k in notes.items():
        out.append(Finding("notes", "note", n, k, total))
    if warned:
        k = sum(1 for r in results if any(n.startswith("RuntimeWarning: ") for n in r.out.notes))
        out.append(Finding("notes", "note", "NumPy warned: " + "; ".join(sorted(warned)), k, total))
    return out


# --- diagnosis ------------------------------------------------------------------------------------------


def _close(ref: _Ref, a: list[np.ndarray], b: list[np.ndarray], extra: list[np.ndarray] | None) -> bool:
    """Two gradients equal to rounding *of their own values*: the reference's bounds plus
    :data:`DIAGNOSIS_RTOL` of each layer's largest entry (a bug's gradient can be far larger than the
    course's, and so can its rounding)."""
    rel = [DIAGNOSIS_RTOL * max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
           * np.ones_like(x) for x, y in zip(a, b)]
    if extra is not None:
        rel = [r + e for r, e in zip(rel, extra)]
    masks, _, _ = _grad_compare(ref, a, rel, against=b)
    return not any(m.any() for m in masks)


def _mutant_matches(name: str, results: list[_Result]) -> bool:
    """The catalog bug ``name`` explains the user's results: on every problem the user's cost, gradient,
    exception and writes into the arguments are the mutant's (to :data:`DIAGNOSIS_RTOL`), and on every
    problem where the user's values differ from the course's, the mutant's differ too."""
    from ..catalog import CATALOG

    mu = CATALOG[name]
    explained = False
    for r in results:
        if r.saturation_error:
            continue  # the course's formula at log(0): says nothing about which bug it is
        thetas, X, Y, lam = r.ref.problem
        th = [t.copy() for t in thetas]
        try:
            with np.errstate(all="ignore"):
                J, grads = mu(th, X.copy(), Y.copy(), lam)
        except Exception:
            if r.out.error is None:
                return False
            explained = True
            continue
        if r.out.error is not None or r.out.grads is None:
            return False
        if any(not k.startswith("Theta") for k in r.out.changed):
            return False  # no catalog bug writes into X or y
        changed = {f"Theta({l + 1})" for l, (a, b) in enumerate(zip(th, thetas)) if not np.array_equal(a, b)}
        if changed != set(r.out.changed):
            return False
        if r.out.J is None or (not np.isfinite(r.out.J) and not r.ref.saturated_for(r.out)):
            return False  # a non-finite cost where the course's is finite: no catalog bug gives one
        cost_differs = abs(J - r.ref.J) > r.ref.cost_tol + NEGLIGIBLE * abs(r.ref.J)
        if np.isfinite(r.out.J) and not r.ref.saturated_for(r.out):
            if abs(r.out.J - J) > _cost_tol(r.ref, r.out) + DIAGNOSIS_RTOL * abs(J):
                return False
            if r.cost == "fail" and not cost_differs:
                return False
        if not _close(r.ref, r.out.grads, grads, _float32_extra(r.ref, r.out)):
            return False
        grad_differs = any(m.any() for m in _grad_compare(r.ref, grads)[0])
        if r.grad == "fail" and not grad_differs:
            return False
        explained = explained or bool(changed) or (r.cost == "fail" and cost_differs) or (
            r.grad == "fail" and grad_differs)
    return explained


def _diagnose(results: list[_Result]) -> list[Diagnosis]:
    from ..catalog import CATALOG

    out = []
    for name, mu in CATALOG.items():
        if _mutant_matches(name, results):
            out.append(Diagnosis(name, mu.description, mu.where, mu.kind))
    return out


def _pattern(findings: list[Finding]) -> str:
    parts = []
    for f in findings:
        if f.severity == "fail" and f.check in ("cost", "gradient", "self-consistency", "exception"):
            bits = [f.check] + f.conditions + f.where
            parts.append(", ".join(bits))
    return "; ".join(parts)


# --- counterexample -------------------------------------------------------------------------------------


_PRIORITY = ("exception", "cost", "gradient", "self-consistency", "arguments changed", "contract", "repeat call")


def _counterexample(fn: Callable, conv: Conventions, results: list[_Result], sizes: tuple[int, ...] | None,
                    examples: int, seed: int) -> Counterexample | None:
    failing = [r for r in results if r.failed_checks]
    if not failing:
        return None
    check = min((c for r in failing for c in r.failed_checks), key=_PRIORITY.index)

    def fails(case: tuple[Problem, str]) -> bool:
        problem, kind = case
        try:
            ref = _reference(problem, kind)
        except Exception:
            return False
        r = _check_cheap(fn, conv, ref, check, seed)
        return check in r.failed_checks

    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    best = _smallest([r for r in failing if check in r.failed_checks])
    try:
        problem, kind = find(_strategy(conv.signature, sizes), fails,
                             settings=settings(database=None, max_examples=max(examples, 20), deadline=None,
                                               phases=[Phase.generate, Phase.shrink],
                                               suppress_health_check=list(HealthCheck)),
                             random=random.Random(seed))
        best = _check_cheap(fn, conv, _reference(problem, kind), check, seed)  # Hypothesis's minimal example
    except NoSuchExample:  # it shows only on a debug problem, or too rarely to be drawn again
        pass
    return _snippet(fn, conv, best, check)


def _check_cheap(fn: Callable, conv: Conventions, ref: _Ref, check: str, seed: int) -> _Result:
    """:func:`_check` with the self-consistency check and the repeat call only when they are what fails."""
    if check == "self-consistency":
        return _check(fn, conv, ref, full_self=False, seed=seed)
    return _judge_values(fn, conv, ref, repeat=check == "repeat call")


def _array(a: np.ndarray) -> str:
    return "np.array(" + repr(np.asarray(a).tolist()) + ")"


def _snippet(fn: Callable, conv: Conventions, r: _Result, check: str) -> Counterexample:
    p = r.ref.problem
    mod, name = getattr(fn, "__module__", None) or "your_module", getattr(fn, "__name__", "fn")
    lines = ["import numpy as np", f"from {mod} import {name}" if name != "<lambda>" else "# fn = your function"]
    call_name = name if name != "<lambda>" else "fn"
    for l, t in enumerate(p.thetas):
        lines.append(f"Theta{l + 1} = {_array(t)}")
    lines.append(f"X = {_array(p.X)}")
    params, y = encode(conv, p.thetas, p.Y)
    if conv.signature == "course":
        order = "" if conv.order == "C" else 'order="F"'
        lines.append(f"nn_params = np.concatenate([Theta1.ravel({order}), Theta2.ravel({order})])")
        lines.append(f"y = {_array(y)}")
        lines.append(f"lam = {p.lam!r}")
        lines.append(f"J, grad = {call_name}(nn_params, {p.sizes[0]}, {p.sizes[1]}, {p.sizes[2]}, X, y, lam)")
    else:
        lines.append(f"Y = {_array(p.Y)}")
        lines.append(f"lam = {p.lam!r}")
        thetas = ", ".join(f"Theta{l + 1}" for l in range(len(p.thetas)))
        lines.append(f"J, grads = {call_name}([{thetas}], X, Y, lam)")
    yours = expected = None
    what = "J"
    diff = None
    if r.out.grads is not None and r.grad == "fail":  # only a gradient that differs is worth drawing
        diff = [g - e for g, e in zip(r.out.grads, r.ref.grads)]
    if check in ("gradient", "self-consistency") and diff is not None and r.out.grads is not None:
        flagged = [np.where(r.masks[l], np.abs(d), -1.0) if r.masks else np.abs(d) for l, d in enumerate(diff)]
        worst = [(float(np.max(f)), l, int(np.argmax(f))) for l, f in enumerate(flagged)]
        _, l, flat_at = max(worst)
        i, j = (int(x) for x in np.unravel_index(flat_at, diff[l].shape))
        yours, expected = float(r.out.grads[l][i, j]), float(r.ref.grads[l][i, j])
        if conv.signature == "course":
            offsets = np.cumsum([0] + [t.size for t in p.thetas])
            rows, cols = p.thetas[l].shape
            k = int(offsets[l]) + (i * cols + j if conv.order == "C" else j * rows + i)
            what = f"grad[{k}] (Theta{l + 1}[{i}, {j}])"
            lines.append(f"print(grad[{k}])  # yours: {yours!r}; expected {expected!r}")
        else:
            what = f"grads[{l}][{i}, {j}]"
            lines.append(f"print(grads[{l}][{i}, {j}])  # yours: {yours!r}; expected {expected!r}")
    elif check == "exception":
        what = "the call"
        lines.append(f"# raises {r.out.error}" + (f" at {r.out.where}" if r.out.where else ""))
    elif check == "arguments changed":
        what = "the arguments"
        lines.append("# " + ("nn_params" if conv.signature == "course" else "the thetas") + " change in the call")
    else:
        yours, expected = r.out.J, r.ref.J
        lines.append(f"print(J)  # yours: {yours!r}; expected {expected!r}")
    return Counterexample(check, p.sizes, p.m, p.lam, "\n".join(lines), yours, expected, what,
                          [t.copy() for t in p.thetas], p.X.copy(), p.Y.copy(), diff)


# --- timing ---------------------------------------------------------------------------------------------


def _timing(fn: Callable, conv: Conventions, sizes: tuple[int, ...] | None) -> dict[str, Any]:
    from .. import backprop
    from ..network import one_hot

    sz = sizes if sizes is not None else TIME_SIZES
    rng = np.random.default_rng(0)
    thetas = [rng.uniform(-0.12, 0.12, size=s) for s in Architecture(sz).shapes]
    X = rng.uniform(0, 1, size=(TIME_M, sz[0]))
    Y = one_hot(np.arange(TIME_M) % sz[-1], sz[-1])

    def median_time(f: Callable[[], Any]) -> float:
        times: list[float] = []
        start = time.perf_counter()
        while len(times) < TIME_CALLS and (time.perf_counter() - start < TIME_BUDGET or len(times) < 1):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    mine = median_time(lambda: backprop.cost_and_grad(thetas, X, Y, 0.5))
    o = call(fn, conv, thetas, X, Y, 0.5)
    if o.error is not None:
        return {}
    yours = median_time(lambda: call(fn, conv, thetas, X, Y, 0.5))
    return {"sizes": list(sz), "m": TIME_M, "yours_s": yours, "gradtrio_s": mine, "ratio": yours / mine}


# --- the entry points -----------------------------------------------------------------------------------


def _options(fn: Any, signature: str, order: str, labels: str, y_shape: str, sizes: Any, examples: Any,
             seed: Any) -> tuple[tuple[int, ...] | None, int]:
    if not callable(fn):
        raise TypeError(f"fn must be a callable (the implementation to verify); got {type(fn).__name__}")
    if signature not in SIGNATURES:
        raise ValueError(f"signature must be one of {', '.join(map(repr, SIGNATURES))}; got {signature!r}")
    for name, value, allowed in (("order", order, ORDERS), ("labels", labels, LABELS), ("y_shape", y_shape, Y_SHAPES)):
        if value != "auto" and value not in allowed:
            raise ValueError(f"{name} must be 'auto' or one of {', '.join(map(repr, allowed))}; got {value!r}")
        if signature == "gradtrio" and value != "auto":
            raise ValueError(f"{name} applies to the course signature only (the gradtrio signature takes thetas "
                             f"and a one-hot Y); got {name}={value!r} with signature='gradtrio'")
    if labels == "one-hot" and y_shape != "auto":
        raise ValueError(f"y_shape is the shape of a label vector; with labels='one-hot' y is (m, K); got "
                         f"y_shape={y_shape!r}")
    sz = None
    if sizes is not None:
        from ..model.validate import check_sizes

        sz = check_sizes(sizes)
        if signature == "course" and len(sz) != 3:
            raise ValueError(f"the course signature has three layers (input, hidden, labels); got sizes {sz}")
    n = DEFAULT_EXAMPLES if examples is None else examples
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"examples must be a non-negative integer (problems Hypothesis draws); got {examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    return sz, int(n)


def verify(
    fn: Callable[..., Any],
    *,
    signature: str = "gradtrio",
    order: str = "auto",
    labels: str = "auto",
    y_shape: str = "auto",
    sizes: Sequence[int] | None = None,
    examples: int | None = None,
    seed: int = 0,
    timing: bool = False,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Verify a user's cost-and-gradient implementation against gradtrio's references and its own cost.

    Parameters
    ----------
    fn : callable
        ``fn(thetas, X, Y, lam) -> (J, grads)`` (``signature="gradtrio"``: ``thetas[l]`` of shape
        ``(s_{l+1}, s_l + 1)``, ``Y`` one-hot (m, K), ``grads`` shaped like ``thetas``), or
        ``fn(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lam) -> (J, grad)``
        (``signature="course"``, ``nn_params`` and ``grad`` of shape (n,)).
    signature : {"gradtrio", "course"}
    order : {"auto", "C", "F"}
        Course signature: how ``nn_params`` is unrolled (NumPy row-major or Octave's ``(:)``).
    labels : {"auto", "1..K", "0..K-1", "one-hot"}
        Course signature: what ``y`` holds.
    y_shape : {"auto", "(m,)", "(m, 1)"}
        Course signature: the shape of a label vector.
        ``"auto"`` detects a convention from probe problems on which the candidates give different costs,
        says so in ``report.conventions``, and refuses to guess (verdict "inconclusive") when two fit equally
        and give different results.
    sizes : sequence of int, optional
        Check only this architecture (three layers for the course signature); by default sizes are drawn
        (three layers for the course signature, 2 to 5 for the gradtrio one).
    examples : int, optional
        Problems Hypothesis draws beside the two debug problems; default :data:`DEFAULT_EXAMPLES`.
    seed : int, default 0
        Seeds Hypothesis, the probes and the random directions: the same seed gives the same report.
    timing : bool, default False
        Also time ``fn`` against gradtrio's backprop at one size (``report.timing``).
    progress : callable ``(str) -> None``, optional
        Called with a short line at each stage.

    Returns
    -------
    VerifyReport
        ``.verdict`` ("pass", "fail", "inconclusive", "error"), ``.passed``, ``.conventions``, ``.findings``,
        ``.diagnosis``, ``.counterexample``; ``str(report)`` reads as feedback, ``.to_dict()`` is JSON-ready,
        ``.plot()`` draws the gradient's difference.

    Raises
    ------
    TypeError, ValueError
        For bad options (never for what ``fn`` does: that is a finding).
    """
    sz, n_examples = _options(fn, signature, order, labels, y_shape, sizes, examples, seed)
    say = progress or (lambda _msg: None)
    start = time.perf_counter()
    fname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    given = {"order": order, "labels": labels, "y_shape": y_shape}
    say("detecting conventions" if "auto" in given.values() and signature == "course" else "conventions given")
    conv, how, conv_findings = _detect(fn, signature, given, sz, int(seed))

    def report(verdict: str, findings: list[Finding], **kw: Any) -> VerifyReport:
        c: dict[str, Any] = (dict(conv.as_dict()) if conv is not None
                             else {"signature": signature, **{k: None for k in given}})
        c["how"] = how
        return VerifyReport(verdict, fname, c, findings, seconds=time.perf_counter() - start, **kw)

    if conv is None:
        first = conv_findings[0]
        if first.check == "call":
            return report("error", conv_findings)
        return report("fail" if first.severity == "fail" else "inconclusive", conv_findings)

    refs = _debug_problems(sz if sz is not None else DEBUG_SIZES)
    say("checking the debug problems")
    results = [_check(fn, conv, ref, full_self=True, seed=int(seed)) for ref in refs]
    if all(not r.out.entered for r in results):
        why = results[0].out.error
        hint = ("is it the course signature? pass signature='course'" if signature == "gradtrio"
                else "is it the gradtrio signature fn(thetas, X, Y, lam)? pass signature='gradtrio'")
        return report("error", [Finding("call", "fail", f"cannot be called as the {signature} signature: {why} "
                                        f"({hint})")])
    _jax_references(results)
    say(f"checking {n_examples} drawn problems")
    for k, (problem, kind) in enumerate(_drawn(signature, sz, n_examples, int(seed))):
        results.append(_check(fn, conv, _reference(problem, kind), full_self=False, seed=int(seed) + k))
    findings = conv_findings + _findings(results, conv)
    failed = any(f.severity == "fail" for f in findings)
    diagnosis: list[Diagnosis] = []
    counterexample = None
    pattern = ""
    if failed:
        say("diagnosing")
        diagnosis = _diagnose(results)
        if not diagnosis:
            pattern = _pattern(findings)
        say("shrinking a counterexample")
        counterexample = _counterexample(fn, conv, results, sz, n_examples, int(seed))
    debug = results[: len(refs)]
    unresolved = [r for r in debug if r.cost == "inconclusive" or r.grad == "inconclusive"
                  or r.selfc == "inconclusive"]
    if failed:
        verdict = "fail"
    elif unresolved or any(f.severity == "inconclusive" for f in findings):
        verdict = "inconclusive"
        if unresolved:
            findings.append(Finding("resolution", "inconclusive", "on the debug problems the error bounds are too "
                                    f"coarse to see a {BUG_SIZE:g} relative error: the values are noisy "
                                    "(float32 arithmetic, or randomness inside the function?)",
                                    len(unresolved), len(debug)))
    else:
        verdict = "pass"
    t = {}
    if timing:
        say("timing")
        t = _timing(fn, conv, sz)
    return report(verdict, findings, diagnosis=diagnosis, pattern=pattern, counterexample=counterexample,
                  problems=len(results), timing=t)


def _jax_references(results: list[_Result]) -> None:
    """On the debug problems: JAX's cost and gradient, kept for the report, against gradtrio's (the user's
    values are judged against gradtrio's, which this holds to JAX's)."""
    from .. import autodiff

    for r in results:
        p = r.ref.problem
        J, grads = autodiff.cost_and_grad(p.thetas, p.X, p.Y, p.lam)
        grads = [np.asarray(g, dtype=np.float64) for g in grads]
        r.ref.jax = (float(J), grads)
        masks, _, _ = _grad_compare(r.ref, grads)
        agree = abs(float(J) - r.ref.J) <= r.ref.cost_tol and not any(m.any() for m in masks)
        r.jax = "ok" if agree else "fail"


def assert_verified(fn: Callable[..., Any], **options: Any) -> VerifyReport:
    """:func:`verify`, raising ``AssertionError`` (whose message is the report) unless the verdict is "pass".

    Parameters
    ----------
    fn : callable
    **options
        Those of :func:`verify`.

    Returns
    -------
    VerifyReport
        When it passed.
    """
    report = verify(fn, **options)
    if not report.passed:
        raise AssertionError("\n" + str(report))
    return report
