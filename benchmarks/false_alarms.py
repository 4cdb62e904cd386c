"""The false-alarm study: every checker on the problems users actually check, correct and buggy.

    python -m benchmarks.false_alarms            # the full study (>= 1000 correct-gradient checks)
    python -m benchmarks.false_alarms --quick    # a smoke run (~30 s), for CI
    python -m benchmarks.false_alarms --out DIR --seed N
    python -m benchmarks.false_alarms --units    # the new units' section only (units.json, units.md)

``--units``: tanh, ReLU and friends, softmax and squared error (:func:`make_unit_problems`): relu,
leaky_relu, relu→tanh and gelu→relu hidden layers on the kink regimes ``data``, ``zero`` (exact ties),
``near`` (pre-activations within two steps of 0, or cancelled to rounding) and ``trained``, and tanh,
elu, gelu, softplus, identity on the data, each with the three outputs, in float64 and float32; the
correct gradient and a planted ×1.1 entry, judged by every column of ``compare_gradients`` (the
black-box checkers know nothing of kinks). The sigmoid study's files are left as they are.

Problems (all seeded, deterministic; parameter counts <= ~1900 so full central differences stay cheap):

- **data**: raw digits pixels (``sklearn.datasets.load_digits``, 0..16), scaled (/16), standardized
  (``StandardScaler``), Gaussian synthetic inputs at scale 1, 10 or 100 (random labels);
- **weights**: ``network.init_weights``, the same ×3 and ×10 (near-saturated units), and *trained*
  weights (``train.train`` on 300 examples of the same data, L-BFGS-B, at λ ∈ {0, 0.01, 1}; the check
  then uses the training λ, on the training examples: the gradient is small, the cost flat);
- **architectures** of depth 2–5: (64,10), (64,25,10), (64,10,10) (square: ``theta_transposed`` runs),
  (64,16,16,10), (64,12,10,8,10);
- m ∈ {1, 5, 20, 100, 300}; λ ∈ {0, 0.01, 1}; float64 and float32 (thetas, X and Y cast).

Checkers (one column each):

``central``, ``complex``, ``richardson``, ``batched``, ``autodiff``, ``loop``
    ``check.compare_gradients(thetas, X, Y, lam, (ref, M))``, ref = ``"backprop"`` (or the gradient
    under test, passed as ``custom={"planted": fn}``).
``directional``
    ``compare_gradients(..., (ref, "directional"))`` (10 random directions).
``localize``, ``entry_bounds``
    ``gradtrio.localize`` on ``localize.problem_functions`` (the code's own cost and gradient).
``taylor``
    ``verdicts.taylor_test`` (with an explicit, seeded Gaussian direction, so that the study can say
    what the test could have seen).
``adjoint``
    ``verdicts.adjoint_test(thetas, X, Y, lam, backward=...)``.

Kinds of check: ``correct`` (backprop's gradient: any "fail" or exception is a false alarm),
``planted`` (the correct gradient with ONE entry times 1.1, drawn among the entries of a random
layer whose |g| is at least half the layer's largest), and every gradient-level mutant of
``gradtrio.mutants.CATALOG`` on problems where its ``needs`` are met (and where it changes the
gradient at all: ``float32_accumulation`` is no bug in a float32 computation). Cost-level mutants
are out of scope: a check of a code against its own cost cannot see them by construction (see the
README's mutant catalog).

Whether a checker *can see* a bug on a problem follows from the resolution the checker itself reported
on the correct gradient of that problem, with the error vector ``e = g_bug − g`` known to the harness
(see :func:`visibility`): a checker that was inconclusive there cannot see anything, and a bug smaller
than MARGIN × the resolution is reported as "cannot see" with its reason — not as a miss, and not as
a detection. ``localize``, ``entry_bounds`` and ``taylor`` are given what gradtrio knows of the
problem's rounding (:func:`gradtrio.rounding.checker_options`), as a user of gradtrio's model would.

Evaluations: cost evaluations. ``compare_gradients`` reports them per method (``report.evaluations``);
where it does not, the study wraps ``gradtrio.finite_diff.cost_fn`` / ``complex_cost_fn`` /
``cost_batch_fn`` for the duration of the call (a row of a batched call counts as one evaluation), and
where that wrapper sees no call either, the count is estimated from the method and the record says
``"estimated"``. Analytic methods (autodiff, loop) count one gradient evaluation; the adjoint
test counts its JVPs plus one backward pass (its own ``evaluations``).

Writes ``results.json`` and ``results.md`` under ``--out`` (default ``benchmarks/results/false_alarms``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.env import collect_environment, select_jax_platform
else:
    from .env import collect_environment, select_jax_platform

select_jax_platform("cpu")

from gradtrio import backprop, check, finite_diff, network  # noqa: E402
from gradtrio import localize as localize_mod  # noqa: E402
from gradtrio import verdicts as verdicts_mod  # noqa: E402
from gradtrio.mutants import CATALOG  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "results" / "false_alarms"

COMPARE_METHODS = ("central", "complex", "richardson", "batched", "autodiff", "loop")
CHECKERS = COMPARE_METHODS + ("directional", "localize", "entry_bounds", "taylor", "adjoint")

#: Depth 2-5; (64, 10, 10) is the one whose back-propagated matrices are square (Θ(2)[:, 1:] is
#: 10 × 10), the only shape on which the ``theta_transposed`` mutant runs at all.
ARCHS = ((64, 10), (64, 25, 10), (64, 10, 10), (64, 16, 16, 10), (64, 12, 10, 8, 10))
M_VALUES = (1, 5, 20, 100, 300)
LAMS = (0.0, 0.01, 1.0)
REGIMES = ("raw", "scaled", "standardized", "gauss")
GAUSS_SCALES = (1.0, 10.0, 100.0)
WEIGHTS = ("init", "x3", "x10", "trained0", "trained0.01", "trained1")
TRAINED_LAM = {"trained0": 0.0, "trained0.01": 0.01, "trained1": 1.0}
DTYPES = ("float64", "float32")
#: Training: L-BFGS-B on this many examples of the regime's data, this many iterations (short but real:
#: the cost falls by orders of magnitude on digits at λ = 0).
TRAIN_M = 300
TRAIN_MAXITER = 300
#: The planted bug: one entry times PLANT_FACTOR, at one of the larger entries of a layer: drawn among
#: those whose |g| is at least PLANT_MIN of the layer's largest (so its error, at least 5 % of the
#: largest entry, is at or above the default bug_size every conclusive checker promises to see).
PLANT_FACTOR = 1.1
PLANT_MIN = 0.5
#: A bug is "visible" to a checker when its size exceeds MARGIN × the resolution the checker reported
#: on the correct gradient of the same problem (and that check was conclusive).
MARGIN = 2.0
#: Mutants: each gradient-level mutant is judged on this many problems (drawn round-robin among the
#: problems where it shows, preferring m <= 100 to keep the study within its time budget).
MUTANT_PROBLEMS = {"full": 8, "quick": 1}
DIRECTIONAL_K = 10  # what compare_gradients' "directional" uses
#: ``compare_gradients``'s ``incremental`` for every check ("auto" as users get it; ``--incremental on``
#: forces :mod:`gradtrio.incremental` on every problem, ``off`` the full-evaluation path).
INCREMENTAL: bool | str = "auto"
#: Checkers whose statistic mixes all layers: their resolution is relative to the whole gradient.
WHOLE_GRADIENT = ("directional", "taylor", "adjoint")
#: A mutant whose gradient differs from the correct one by at most this many ε (relative, every layer)
#: only reorders rounding on that problem (float32_accumulation in a float32 computation): no bug there.
ROUNDING_ONLY = 16.0


# ----------------------------------------------------------------------------------------- verdicts

def verdict_of(result: Any) -> str:
    """The verdict contract: ``.verdict`` in {"pass", "fail", "inconclusive"} when the result has one.

    Fallback for results from before the contract: a TaylorResult with ``conclusive=False`` is
    "inconclusive"; otherwise ``"pass" if result.passed else "fail"``.
    """
    v = getattr(result, "verdict", None)
    if v in ("pass", "fail", "inconclusive"):
        return v
    if getattr(result, "conclusive", True) is False:
        return "inconclusive"
    return "pass" if bool(result.passed) else "fail"


# ----------------------------------------------------------------------------------------- problems

@dataclass
class Problem:
    pid: str
    regime: str
    weights: str
    sizes: tuple[int, ...]
    m: int
    lam: float
    dtype: str
    seed: int
    thetas: list[np.ndarray] = field(repr=False)
    X: np.ndarray = field(repr=False)
    Y: np.ndarray = field(repr=False)
    scale: float | None = None  # the Gaussian regime's input scale
    train_cost: float | None = None  # final training cost of a trained net
    activation: Any = "sigmoid"  # the hidden units: one name, or one per hidden layer
    output: str = "sigmoid"

    @property
    def units(self) -> dict[str, Any]:
        return {"activation": self.activation, "output": self.output}

    @property
    def n(self) -> int:
        return network.num_params(self.sizes)

    def describe(self) -> dict[str, Any]:
        d = {"problem": self.pid, "regime": self.regime, "weights": self.weights, "sizes": list(self.sizes),
             "n": self.n, "m": self.m, "lam": self.lam, "dtype": self.dtype}
        if self.scale is not None:
            d["scale"] = self.scale
        if self.train_cost is not None:
            d["train_cost"] = self.train_cost
        if self.units != {"activation": "sigmoid", "output": "sigmoid"}:
            d["activation"] = _unit_label(self.activation)
            d["output"] = self.output
        return d

    def short(self) -> str:
        extra = f" scale {self.scale:g}" if self.scale is not None else ""
        if self.units != {"activation": "sigmoid", "output": "sigmoid"}:
            extra += f", {_unit_label(self.activation)}/{self.output}"
        return (f"{self.pid}: {self.regime}{extra}, {self.weights}, sizes {'-'.join(map(str, self.sizes))}, "
                f"m = {self.m}, λ = {self.lam:g}, {self.dtype}")


class DataSets:
    """The data regimes (examples, labels), built once per run."""

    def __init__(self, seed: int) -> None:
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler

        d = load_digits()
        rng = np.random.default_rng([seed, 7])
        order = rng.permutation(d.data.shape[0])
        raw = d.data[order].astype(np.float64)
        self.y_digits = d.target[order].astype(np.int64)
        self.X = {"raw": raw, "scaled": raw / 16.0, "standardized": StandardScaler().fit_transform(raw)}
        g = np.random.default_rng([seed, 8])
        self.gauss = g.standard_normal((TRAIN_M, 64))
        self.y_gauss = g.integers(0, 10, TRAIN_M)

    def get(self, regime: str, scale: float | None) -> tuple[np.ndarray, np.ndarray]:
        if regime == "gauss":
            return self.gauss * scale, self.y_gauss
        return self.X[regime][:TRAIN_M], self.y_digits[:TRAIN_M]


class TrainedCache:
    """Trained networks, one per (regime, scale, sizes, λ), trained once per run."""

    def __init__(self, data: DataSets, seed: int, maxiter: int) -> None:
        self.data, self.seed, self.maxiter = data, seed, maxiter
        self.nets: dict[tuple, tuple[list[np.ndarray], float]] = {}
        self.seconds = 0.0

    def get(self, regime: str, scale: float | None, sizes: tuple[int, ...], lam: float):
        key = (regime, scale, sizes, lam)
        if key not in self.nets:
            from gradtrio.train import train

            X, y = self.data.get(regime, scale)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = train(X, y, hidden=sizes[1:-1], lam=lam, maxiter=self.maxiter, seed=self.seed,
                            num_labels=sizes[-1])
            self.seconds += time.perf_counter() - t
            self.nets[key] = ([np.array(t, dtype=np.float64) for t in res.thetas], float(res.cost_history[-1]))
        return self.nets[key]


def make_problems(seed: int, quick: bool, trained: TrainedCache, data: DataSets) -> list[Problem]:
    """The problem list: every (regime, weights, dtype) combination, ``draws`` times, with architecture,
    m, λ and weights seed cycling (offset by the combination) so that each value of each axis is covered."""
    rng = np.random.default_rng([seed, 1])
    combos = [(r, w, d) for r in REGIMES for w in WEIGHTS for d in DTYPES]
    if quick:
        # A handful of the hard cases and one easy one: raw pixels, trained at λ = 0, ×10, float32.
        combos = [("scaled", "init", "float64"), ("raw", "init", "float64"), ("raw", "trained0", "float64"),
                  ("standardized", "x10", "float32"), ("gauss", "trained0.01", "float32"),
                  ("scaled", "x3", "float32")]
        draws = 1
    else:
        draws = 3
    archs = list(ARCHS)
    total = len(combos) * draws

    def balanced(values: Sequence[Any]) -> list[Any]:
        """Each value equally often (to within one), in a seeded random order: marginals balanced,
        no axis tied to another by the enumeration order."""
        tiled = [values[i % len(values)] for i in range(total)]
        return [tiled[i] for i in rng.permutation(total)]

    # Architectures cycle in enumeration order, so that the 2 × draws problems of one (regime, weights)
    # pair cover every architecture (a trained λ = 0 net of each depth, on each data regime); m, λ and
    # the Gaussian scale are drawn balanced and independent of it.
    arch_of = [archs[j % len(archs)] for j in range(total)]
    m_of, lam_of, scale_of = balanced(M_VALUES), balanced(LAMS), balanced(GAUSS_SCALES)
    problems = []
    for i, (regime, weights, dtype) in enumerate(combos):
        for k in range(draws):
            j = i * draws + k
            sizes, m = arch_of[j], m_of[j]
            if quick:
                sizes = (64, 8, 10) if i % 2 == 0 else (64, 10, 10)  # square: theta_transposed runs
                m = (5, 20, 20, 5, 20, 100)[i]
            wseed = int(rng.integers(0, 2**31 - 1))
            scale = scale_of[j] if regime == "gauss" else None
            Xall, yall = data.get(regime, scale)
            train_cost = None
            if weights in TRAINED_LAM:
                lam = TRAINED_LAM[weights]
                thetas, train_cost = trained.get(regime, scale, sizes, lam)
                X, y = Xall[:m], yall[:m]  # training examples: the net was fitted to them
            else:
                lam = lam_of[j]
                thetas = network.init_weights(sizes, seed=wseed)
                factor = {"init": 1.0, "x3": 3.0, "x10": 10.0}[weights]
                thetas = [t * factor for t in thetas]
                pick = np.random.default_rng([seed, 2, j]).choice(Xall.shape[0], size=m, replace=False)
                X, y = Xall[pick], yall[pick]
            dt = np.dtype(dtype)
            Y = network.one_hot(y, sizes[-1], dt)
            problems.append(Problem(
                f"p{j:03d}", regime, weights, tuple(sizes), int(m), float(lam), dtype, wseed,
                [np.ascontiguousarray(t, dtype=dt) for t in thetas], np.ascontiguousarray(X, dtype=dt), Y,
                scale, train_cost))
    return problems


# --------------------------------------------------------------------------------------------- bugs

@dataclass
class Bug:
    """The gradient under test on one problem: the code's (cost, gradient) and its error vector."""

    kind: str  # "correct", "planted" or a mutant's name
    backward: Callable  # (thetas, X, Y, lam) -> (J, grads)
    cost: Callable  # (thetas, X, Y, lam) -> J
    grads: list[np.ndarray]  # at the problem's thetas
    error: np.ndarray  # flat g_bug - g_correct, float64
    planted_index: int | None = None
    needs: tuple[str, ...] = ()


def _correct_bug(p: Problem) -> Bug:
    backward = functools.partial(backprop.cost_and_grad, **p.units)
    _, grads = backward(p.thetas, p.X, p.Y, p.lam)
    return Bug("correct", backward, functools.partial(backprop.cost, **p.units), grads, np.zeros(p.n))


def planted_bug(p: Problem, correct: Bug, seed: int) -> Bug:
    """ONE entry of the correct gradient times PLANT_FACTOR, at an entry of a random layer whose |g| is at
    least PLANT_MIN of that layer's largest."""
    rng = np.random.default_rng([seed, 3, int(p.pid[1:])])
    layer = int(rng.integers(len(correct.grads)))
    G = np.abs(np.asarray(correct.grads[layer], dtype=np.float64)).ravel()
    candidates = np.flatnonzero(G >= PLANT_MIN * G.max()) if G.max() > 0 else np.arange(G.size)
    local = int(rng.choice(candidates))
    index = sum(t.size for t in p.thetas[:layer]) + local
    shapes = [t.shape for t in p.thetas]

    def plant(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = [np.array(g, copy=True) for g in grads]
        flat = out[layer].reshape(-1)
        flat[local] = flat[local] * out[layer].dtype.type(PLANT_FACTOR)
        return out

    def backward(thetas, X, Y, lam):
        J, grads = backprop.cost_and_grad(thetas, X, Y, lam, **p.units)
        if [np.shape(t) for t in thetas] != shapes:
            raise ValueError("planted backward called on another architecture")
        return J, plant(grads)

    grads = plant(correct.grads)
    error = network.unroll([g.astype(np.float64) for g in grads]) - network.unroll(
        [g.astype(np.float64) for g in correct.grads])
    return Bug("planted", backward, functools.partial(backprop.cost, **p.units), grads, error, index)


def _needs_met(needs: Sequence[str], p: Problem) -> str | None:
    """None when the problem has what the mutant needs, else the first unmet need."""
    for need in needs:
        if need == "lam>0" and not p.lam > 0:
            return need
        if need == "m>1" and not p.m > 1:
            return need
        if need == "hidden layer" and len(p.sizes) < 3:
            return need
        if need == "square layer" and (len(p.sizes) < 3 or len(set(p.sizes[1:])) != 1):
            return need  # every back-propagated Θ[:, 1:] square: all sizes after the input equal
        if need == "K>=2" and p.sizes[-1] < 2:
            return need
    return None


def mutant_bug(name: str, p: Problem, correct: Bug) -> tuple[Bug | None, str]:
    """The mutant on this problem, or (None, why it cannot show here)."""
    mut = CATALOG[name]
    if mut.units != {"activation": "sigmoid", "output": "sigmoid"}:  # the study's problems are the course's net
        return None, f"lives on {mut.network} networks"
    unmet = _needs_met(mut.needs, p)
    if unmet:
        return None, f"needs {unmet}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, grads = mut(p.thetas, p.X, p.Y, p.lam)
    except Exception as exc:  # noqa: BLE001
        return None, f"raises {type(exc).__name__}: {exc}"
    error = network.unroll([np.asarray(g, np.float64) for g in grads]) - network.unroll(
        [g.astype(np.float64) for g in correct.grads])
    eps = float(np.finfo(np.dtype(p.dtype)).eps)
    g_layers = [np.asarray(t, np.float64).ravel() for t in correct.grads]
    if all(np.linalg.norm(el) <= ROUNDING_ONLY * eps * np.linalg.norm(gl)
           for el, gl in zip(_layers(p, error), g_layers)):
        return None, "changes nothing on this problem"
    return Bug(name, mut.cost_and_grad, mut.cost, grads, error, needs=mut.needs), ""


# ----------------------------------------------------------------------------------- counting costs

class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def add(self, V: Any) -> None:
        shape = np.shape(V)
        self.calls += int(shape[0]) if len(shape) >= 2 else 1


@contextlib.contextmanager
def counting_costs() -> Iterator[_Counter]:
    """Wrap gradtrio.finite_diff's cost factories so that compare_gradients' evaluations are counted."""
    counter = _Counter()
    originals = {name: getattr(finite_diff, name, None) for name in ("cost_fn", "complex_cost_fn", "cost_batch_fn")}

    def wrap(factory):
        def make(*args, **kw):
            fn = factory(*args, **kw)

            def counted(V, *a, **k):
                counter.add(V)
                return fn(V, *a, **k)

            for attr in ("batch_size",):
                if hasattr(fn, attr):
                    setattr(counted, attr, getattr(fn, attr))
            return counted

        return make

    try:
        for name, fn in originals.items():
            if fn is not None:
                setattr(finite_diff, name, wrap(fn))
        yield counter
    finally:
        for name, fn in originals.items():
            if fn is not None:
                setattr(finite_diff, name, fn)


def _estimated_evaluations(method: str, n: int) -> int:
    return {"central": 4 * n + 13, "batched": 4 * n + 13, "richardson": 4 * n + 13, "complex": n + 27,
            "directional": 4 * DIRECTIONAL_K + 13, "autodiff": 1, "loop": 1}[method]


class CountedCost:
    def __init__(self, fn: Callable[[np.ndarray], float]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, v: np.ndarray) -> float:
        self.calls += 1
        return self.fn(v)


# ----------------------------------------------------------------------------------------- checkers

@dataclass
class Outcome:
    verdict: str  # pass / fail / inconclusive / error
    evaluations: int
    evaluations_source: str  # counted / estimated / reported
    seconds: float
    message: str = ""
    warning: str = ""
    result: Any = None  # kept for the visibility model of the same problem's bugs (not serialized)


def _taylor_direction(p: Problem, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, 4, int(p.pid[1:])]).standard_normal(p.n)


def _options(p: Problem) -> dict[str, Any]:
    """What gradtrio knows of the problem's rounding (the noise floor, the gradient's own rounding, the
    per-entry steps), passed to the black-box checkers as a user of gradtrio's model would."""
    from gradtrio.rounding import checker_options

    return checker_options(p.thetas, p.X, p.Y, p.lam)


def _problem_functions(p: Problem, bug: Bug):
    """localize.problem_functions with the code's own cost (the cheaper cost-only function where the
    API takes one; the cost half of ``backward`` otherwise: the same number)."""
    try:
        return localize_mod.problem_functions(p.thetas, p.X, p.Y, p.lam, backward=bug.backward, cost=bug.cost)
    except TypeError:
        return localize_mod.problem_functions(p.thetas, p.X, p.Y, p.lam, backward=bug.backward)


def run_checker(name: str, p: Problem, bug: Bug, seed: int) -> Outcome:
    """One checker on one (problem, gradient under test)."""
    t0 = time.perf_counter()
    evals, source, result = 0, "counted", None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if name in COMPARE_METHODS or name == "directional":
                if bug.kind == "correct":
                    ref, custom = "backprop", None
                else:
                    fn = bug.backward
                    ref = "planted" if bug.kind == "planted" else "mutant"
                    custom = {ref: lambda th, X, Y, lam: fn(th, X, Y, lam)[1]}
                with counting_costs() as counter:
                    result = check.compare_gradients(p.thetas, p.X, p.Y, p.lam, (ref, name), custom=custom,
                                                     seed=seed, incremental=INCREMENTAL, **p.units)
                evals = int(getattr(result, "evaluations", {}).get(name, 0)) or counter.calls
                if name in ("autodiff", "loop"):
                    evals, source = 1, "gradient evaluations"
                elif evals == 0:
                    evals, source = _estimated_evaluations(name, p.n), "estimated"
            elif name in ("localize", "entry_bounds"):
                cost_fn, g, theta, sizes = _problem_functions(p, bug)
                counted = CountedCost(cost_fn)
                fn = localize_mod.localize if name == "localize" else localize_mod.entry_bounds
                result = fn(counted, g, theta, sizes=sizes, seed=seed, **_options(p))
                evals = counted.calls
            elif name == "taylor":
                cost_fn, g, theta, _ = _problem_functions(p, bug)
                counted = CountedCost(cost_fn)
                opts = _options(p)
                result = verdicts_mod.taylor_test(counted, g, theta, direction=_taylor_direction(p, seed), seed=seed,
                                                  noise_floor=opts["noise_floor"], grad_error=opts["grad_error"],
                                                  step_scale=opts["step_scale"])
                evals = counted.calls
            elif name == "adjoint":
                result = verdicts_mod.adjoint_test(p.thetas, p.X, p.Y, p.lam, backward=bug.backward, seed=seed)
                evals, source = int(getattr(result, "evaluations", 0)), "reported (JVPs + 1 backward)"
            else:
                raise ValueError(f"unknown checker {name!r}")
            verdict, message = verdict_of(result), ""
            expected = "pass" if bug.kind == "correct" else "fail"
            if verdict != expected:  # a false alarm, an inconclusive or a miss: say what the checker saw
                message = _failure_message(name, result)
        except Exception as exc:  # noqa: BLE001 - an exception is a verdict too
            verdict = "error"
            message = f"{type(exc).__name__}: {exc}".strip()
            tb = traceback.extract_tb(exc.__traceback__)
            if tb:
                message += f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
    warning = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))[:300]
    return Outcome(verdict, int(evals), source, time.perf_counter() - t0, message[:600], warning, result)


def _failure_message(name: str, r: Any) -> str:
    try:
        if hasattr(r, "failure_message") and r.failure_message():
            return r.failure_message()
        if getattr(r, "rows", None):
            return r.worst().describe() if hasattr(r, "worst") else str(r.rows[-1])
        if name == "localize":
            return (f"localize: {len(r.suspects)} suspects {[str(s) for s in r.suspects[:3]]}, "
                    f"{len(r.unresolved)} unresolved, noise σ = {r.noise:.3g}, h = {r.step:.3g}")
        if name == "entry_bounds":
            worst = int(np.argmax(r.ratio))
            return (f"entry bounds: {int(np.sum(r.ratio > 1))} of {r.ratio.size} entries over their bound; worst "
                    f"{localize_mod.suspect_at(int(r.indices[worst]), r.sizes)} ratio {r.ratio[worst]:.3g}, "
                    f"noise σ = {r.noise:.3g}")
        return str(r).splitlines()[0]
    except Exception as exc:  # noqa: BLE001
        return f"(no message: {type(exc).__name__}: {exc})"


# ------------------------------------------------------------------------------------- visibility

def _layers(p: Problem, e: np.ndarray) -> list[np.ndarray]:
    out, start = [], 0
    for t in p.thetas:
        out.append(e[start:start + t.size])
        start += t.size
    return out


def visibility(name: str, p: Problem, bug: Bug, correct: dict[str, Outcome]) -> tuple[bool | None, str]:
    """See :func:`_visibility`; a model that cannot be evaluated (an attribute the checker no longer
    has) says so and counts the bug as visible."""
    try:
        return _visibility(name, p, bug, correct)
    except Exception as exc:  # noqa: BLE001
        return None, f"visibility model failed: {type(exc).__name__}: {exc}"


def _visibility(name: str, p: Problem, bug: Bug, correct: dict[str, Outcome]) -> tuple[bool | None, str]:
    """Could checker ``name`` see this bug on this problem? (True / False / None = unknown, with why).

    Every checker reports the resolution it had on the *correct* gradient of the same problem: the
    smallest wrong entry, relative to the largest entry of its layer (of the whole gradient for the
    checkers of :data:`WHOLE_GRADIENT`, which see no layers), that its measured bounds can show
    (``Row.resolution``, ``LocalizeResult.resolution``, ...). A checker whose check of the correct
    gradient was inconclusive (or raised) cannot see anything there. Otherwise the bug is visible when
    its size — its largest error relative to the largest correct entry of the same layer, or, for the
    random-direction checkers, what it adds to their statistic — exceeds MARGIN × that resolution.
    """
    ref = correct.get(name)
    if ref is None or ref.verdict == "error":
        return False, "the check of the correct gradient raised: nothing can be judged there"
    r = ref.result
    if ref.verdict == "inconclusive":
        res = _resolution(name, r)
        return False, f"inconclusive on the correct gradient (resolution {res:.2g} > bug_size)"
    e = bug.error
    g = network.unroll([np.asarray(t, np.float64) for t in _correct_grads(p, bug)])
    top_all = float(np.max(np.abs(g))) or 1.0
    sizes = []
    for el, gl in zip(_layers(p, e), _layers(p, g)):
        top = float(np.max(np.abs(gl))) or top_all
        sizes.append(float(np.max(np.abs(el))) / top if el.size else 0.0)
    size = max(sizes)
    if name in WHOLE_GRADIENT:  # their resolution is relative to the largest entry of the whole gradient
        size = float(np.max(np.abs(e))) / top_all
    if name == "taylor":  # the linear term the bug adds along the test's own (data-scaled) direction
        d = _taylor_direction(p, _SEED[0]) / _options(p)["step_scale"]
        size = abs(float(e @ d)) / top_all
    res = _resolution(name, r)
    if size > MARGIN * res:
        return True, ""
    return False, f"bug size {size:.2g} is below {MARGIN:g} x the checker's resolution {res:.2g}"


def _resolution(name: str, r: Any) -> float:
    """The resolution a checker reported on the correct gradient (worst over its rows)."""
    if getattr(r, "rows", None):
        rows = [row for row in r.rows if name == "directional" or row.layer != "all"]
        return max(float(row.resolution) for row in rows)
    return float(r.resolution)


_SEED = [0]  # the run's seed, for the visibility model's copy of the Taylor direction
_CORRECT_GRADS: dict[str, list[np.ndarray]] = {}


def _correct_grads(p: Problem, bug: Bug) -> list[np.ndarray]:
    return _CORRECT_GRADS[p.pid]


# ---------------------------------------------------------------------------------------- the study

def _record(p: Problem, checker: str, kind: str, o: Outcome, **extra: Any) -> dict[str, Any]:
    rec = {**p.describe(), "checker": checker, "kind": kind, "verdict": o.verdict,
           "evaluations": o.evaluations, "evaluations_source": o.evaluations_source,
           "seconds": round(o.seconds, 5)}
    if o.message:
        rec["message"] = o.message
    if o.warning:
        rec["warning"] = o.warning
    rec.update(extra)
    return rec


def run_study(seed: int = 0, quick: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    _SEED[0] = seed
    t_start = time.perf_counter()
    data = DataSets(seed)
    trained = TrainedCache(data, seed, 100 if quick else TRAIN_MAXITER)
    problems = make_problems(seed, quick, trained, data)
    log(f"{len(problems)} problems ({trained.seconds:.1f} s training {len(trained.nets)} nets)")
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    # Which problems each mutant is judged on: round-robin among the problems where it shows.
    mutant_names = [k for k, mu in CATALOG.items() if mu.kind == "gradient"]
    per_mutant = MUTANT_PROBLEMS["quick" if quick else "full"]
    mutant_plan: dict[str, list[str]] = {}
    pool = [p for p in problems if p.m <= 100] or problems
    for i, name in enumerate(mutant_names):
        ok = [p for p in pool if _needs_met(CATALOG[name].needs, p) is None]
        if name == "float32_accumulation":
            ok = [p for p in ok if p.dtype == "float64"]
        step = max(1, len(ok) // max(1, per_mutant))
        chosen = [ok[(i + j * step) % len(ok)].pid for j in range(min(per_mutant, len(ok)))] if ok else []
        mutant_plan[name] = list(dict.fromkeys(chosen))
        if not chosen:
            skipped.append({"problem": None, "kind": name, "reason": "no problem of the study meets its needs "
                            f"({', '.join(CATALOG[name].needs)}, m <= 100)"})
    for k, p in enumerate(problems):
        t_p = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            correct = _correct_bug(p)
        _CORRECT_GRADS[p.pid] = correct.grads
        outcomes: dict[str, Outcome] = {}
        for c in CHECKERS:
            o = run_checker(c, p, correct, seed)
            outcomes[c] = o
            records.append(_record(p, c, "correct", o))
        bugs = [planted_bug(p, correct, seed)]
        for name in mutant_names:
            if p.pid in mutant_plan[name]:
                b, why = mutant_bug(name, p, correct)
                if b is None:
                    skipped.append({**p.describe(), "kind": name, "reason": why})
                else:
                    bugs.append(b)
        for b in bugs:
            for c in CHECKERS:
                o = run_checker(c, p, b, seed)
                visible, why = visibility(c, p, b, outcomes)
                extra: dict[str, Any] = {"visible": visible}
                if why:
                    extra["visibility_note"] = why
                if b.planted_index is not None:
                    extra["planted_entry"] = str(localize_mod.suspect_at(b.planted_index, p.sizes))
                    extra["planted_abs_error"] = float(abs(b.error[b.planted_index]))
                records.append(_record(p, c, b.kind, o, **extra))
        fa = [c for c in CHECKERS if outcomes[c].verdict in ("fail", "error")]
        log(f"[{k + 1}/{len(problems)}] {p.short()}: {len(bugs)} bugs, {time.perf_counter() - t_p:.1f} s"
            + (f"; false alarms: {', '.join(fa)}" if fa else ""))
    return {"records": records, "skipped_mutants": skipped, "mutant_plan": mutant_plan,
            "problems": [p.describe() for p in problems], "seconds": time.perf_counter() - t_start,
            "training_seconds": trained.seconds, "trained_nets": len(trained.nets)}


# ------------------------------------------------------------------------- the new units (--units)

#: The units section: hidden activations (one for all, or one per hidden layer) and outputs. The kinked
#: ones (relu, leaky_relu, a relu/tanh mix, and gelu feeding relu: a smooth unit moves the complex step's
#: real parts off a kink by O(h²)) are drawn on every kink regime; the smooth ones on the
#: data as it is.
KINKED_UNITS = ("relu", "leaky_relu", ("relu", "tanh"), ("gelu", "relu"))
SMOOTH_UNITS = ("tanh", "elu", "gelu", "softplus", "identity")
UNIT_OUTPUTS = ("sigmoid", "softmax", "identity")
#: Kink regimes: ``data`` (the regime's inputs as they are), ``zero`` (a quarter of the examples set
#: to 0 and every hidden bias to 0: each hidden unit's z is exactly 0 there, in every layer, with no
#: rounding behind it), ``near`` (each first-layer bias set so that the unit's z on one drawn example is
#: within two central-difference steps of 0, or cancels to 0 up to rounding on every third unit),
#: ``trained`` (L-BFGS-B on the problem's own examples: dead and barely active units).
KINK_REGIMES = ("data", "zero", "near", "trained")
#: The checkers of this section: every column of compare_gradients, the ones that know the network's
#: units (the black-box checkers, directional, localize, entry_bounds, taylor and adjoint, take a cost
#: and know nothing of its kinks: a random direction through a ReLU network crosses kinks).
UNIT_CHECKERS = COMPARE_METHODS
UNITS_TRAIN_MAXITER = 100


def _unit_label(act: Any) -> str:
    return act if isinstance(act, str) else "+".join(act)


def _units_train(thetas, X, Y, lam, act, out, maxiter):
    from scipy.optimize import minimize

    from gradtrio.model import Architecture

    arch = Architecture([t.shape[1] - 1 for t in thetas] + [thetas[-1].shape[0]], act, out)

    def fg(v):
        J, g = backprop.cost_and_grad(arch.roll(v), X, Y, lam, activation=act, output=out)
        return J, network.unroll(g)

    res = minimize(fg, network.unroll(thetas), jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
    return [np.array(t) for t in arch.roll(res.x)], float(res.fun)


def make_unit_problems(seed: int, quick: bool, data: DataSets) -> list[Problem]:
    """The units section's problems: every (units, output, kink regime, dtype), architecture, m, λ, data
    regime and weight scale cycling, each drawn from the seed."""
    from gradtrio.model import Architecture

    rng = np.random.default_rng([seed, 11])
    combos = [(a, o, r, d) for a in KINKED_UNITS for o in UNIT_OUTPUTS for r in KINK_REGIMES for d in DTYPES]
    combos += [(a, o, "data", d) for a in SMOOTH_UNITS for o in UNIT_OUTPUTS for d in DTYPES]
    if quick:
        combos = [("relu", "softmax", "zero", "float64"), ("leaky_relu", "identity", "near", "float32"),
                  (("relu", "tanh"), "sigmoid", "trained", "float64"), ("gelu", "softmax", "data", "float32")]
    archs = [(64, 12, 10), (64, 16, 16, 10), (64, 25, 10), (64, 12, 10, 8, 10)]
    problems = []
    for j, (act, out, kreg, dtype) in enumerate(combos):
        sizes = archs[j % len(archs)]
        if not isinstance(act, str):
            sizes = (64, 12, 10, 10)  # one activation per hidden layer: two hidden layers
            act = tuple(act)
        m = int(rng.choice((1, 5, 20, 100))) if kreg != "trained" else int(rng.choice((20, 100)))
        lam = float(rng.choice(LAMS))
        regime = str(rng.choice(REGIMES))
        scale = float(rng.choice(GAUSS_SCALES)) if regime == "gauss" else None
        factor = float(rng.choice((1.0, 3.0))) if kreg != "trained" else 1.0
        Xall, yall = data.get(regime, scale)
        pick = np.random.default_rng([seed, 12, j]).choice(Xall.shape[0], size=m, replace=False)
        X, y = Xall[pick].astype(np.float64), yall[pick]
        K = sizes[-1]
        if out == "identity":
            Y = np.random.default_rng([seed, 13, j]).standard_normal((m, K))
        else:
            Y = network.one_hot(y, K, np.float64)
        arch = Architecture(sizes, act, out)
        wseed = int(rng.integers(2**31))
        thetas = [t * factor for t in arch.init(seed=wseed)]
        dt = np.dtype(dtype)
        train_cost = None
        if kreg == "zero":
            X[: max(1, m // 4)] = 0.0
            for t in thetas[:-1]:
                t[:, 0] = 0.0
        elif kreg == "near":
            T = thetas[0]
            r = np.random.default_rng([seed, 14, j])
            h = 5 * float(np.finfo(dt).eps) ** (1 / 3)  # the default central step of the dtype
            Xd = X.astype(dt).astype(np.float64)
            for u in range(T.shape[0]):
                k = int(r.integers(m))
                delta = 0.0 if u % 3 == 0 else float(r.uniform(-2, 2)) * h
                T[u, 0] = delta - float(Xd[k] @ T[u, 1:].astype(dt).astype(np.float64))
        elif kreg == "trained":
            thetas, train_cost = _units_train(thetas, X, Y, lam, act, out, 30 if quick else UNITS_TRAIN_MAXITER)
        problems.append(Problem(
            f"u{j:03d}", regime, kreg, tuple(sizes), m, lam, dtype, wseed,
            [np.ascontiguousarray(t, dtype=dt) for t in thetas], np.ascontiguousarray(X, dtype=dt),
            np.ascontiguousarray(Y, dtype=dt), scale, train_cost, act, out))
    return problems


def run_units_study(seed: int = 0, quick: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The correct gradient and one planted ×1.1 entry on every problem of :func:`make_unit_problems`,
    judged by every column of compare_gradients; the kink entries each method judged by one-sided
    derivatives are counted."""
    _SEED[0] = seed
    t_start = time.perf_counter()
    problems = make_unit_problems(seed, quick, DataSets(seed))
    log(f"{len(problems)} unit problems")
    records: list[dict[str, Any]] = []
    for k, p in enumerate(problems):
        t_p = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            correct = _correct_bug(p)
        _CORRECT_GRADS[p.pid] = correct.grads
        outcomes: dict[str, Outcome] = {}
        for c in UNIT_CHECKERS:
            o = run_checker(c, p, correct, seed)
            outcomes[c] = o
            kinks = getattr(o.result, "kinks", {}).get(c)
            ties = sum(1 for r in getattr(o.result, "kink_entries", {}).get(c, []) if r["ties"])
            records.append(_record(p, c, "correct", o, kink_entries=None if kinks is None else len(kinks),
                                   kink_ties=ties))
        b = planted_bug(p, correct, seed)
        for c in UNIT_CHECKERS:
            o = run_checker(c, p, b, seed)
            visible, why = visibility(c, p, b, outcomes)
            extra: dict[str, Any] = {"visible": visible,
                                     "planted_entry": str(localize_mod.suspect_at(b.planted_index, p.sizes)),
                                     "planted_abs_error": float(abs(b.error[b.planted_index]))}
            if why:
                extra["visibility_note"] = why
            records.append(_record(p, c, "planted", o, **extra))
        fa = [c for c in UNIT_CHECKERS if outcomes[c].verdict in ("fail", "error")]
        log(f"[{k + 1}/{len(problems)}] {p.short()}: {time.perf_counter() - t_p:.1f} s"
            + (f"; false alarms: {', '.join(fa)}" if fa else ""))
    return {"records": records, "problems": [p.describe() for p in problems],
            "seconds": time.perf_counter() - t_start}


def units_markdown(results: dict[str, Any]) -> str:
    env = results["env"]
    recs = results["records"]
    cor = [r for r in recs if r["kind"] == "correct"]
    lines = ["# False-alarm study: the new units (tanh, ReLU and friends; softmax, squared error)", "",
             f"Command: `{env['command']}`  ",
             f"Date: {env['date_utc']}; {results['seconds']:.0f} s wall  ",
             f"Machine: {env['cpu_model']}, {env['cpus_usable']} usable CPUs, {env['platform']}, Python "
             f"{env['python']}, numpy {env['versions'].get('numpy')}, jax {env['versions'].get('jax')}; "
             f"OPENBLAS_NUM_THREADS={env['threads']['env'].get('OPENBLAS_NUM_THREADS')}  ",
             f"Code: {env['git'].get('commit')}{' (dirty)' if env['git'].get('dirty') else ''}  ",
             f"Problems: {len(results['problems'])}; checks: {len(recs)} ({len(cor)} on correct gradients)", "",
             "Regimes (column *regime*): `data` the inputs as they are; `zero` a quarter of the examples 0 and "
             "every hidden bias 0 (every hidden z exactly 0 there); `near` each first-layer unit's z within two "
             "central steps of 0 on one example (every third: 0 up to rounding); `trained` L-BFGS-B on the "
             "problem's examples. *kink entries*: entries whose difference stencil crossed a kink, judged by "
             "the one-sided derivatives (median per check; *with ties*: checks where some of them move a unit "
             "sitting at its kink at θ, exactly or within its rounding). *planted*: caught/visible (visibility "
             "as in the sigmoid study).", "",
             "| checker | correct checks | false alarms | inconclusive | planted ×1.1 caught | inc. | cannot see "
             "| checks with kink entries | kink entries (median, max) | with ties |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in UNIT_CHECKERS:
        mine = [r for r in cor if r["checker"] == c]
        pl = [r for r in recs if r["checker"] == c and r["kind"] == "planted"]
        vis = [r for r in pl if r["verdict"] == "fail" or r.get("visible") is not False]
        ke = [r["kink_entries"] for r in mine if r.get("kink_entries")]
        lines.append(
            f"| {c} | {len(mine)} | {sum(r['verdict'] in ('fail', 'error') for r in mine)} | "
            f"{sum(r['verdict'] == 'inconclusive' for r in mine)} | "
            f"{sum(r['verdict'] == 'fail' for r in vis)}/{len(vis)} | "
            f"{sum(r['verdict'] == 'inconclusive' for r in vis)} | {len(pl) - len(vis)} | {len(ke)} | "
            + (f"{statistics.median(ke):g}, {max(ke)}" if ke else "–")
            + f" | {sum(1 for r in mine if r.get('kink_ties'))} |")
    fa = sum(r["verdict"] in ("fail", "error") for r in cor)
    lines += ["", f"**Total: {fa} false alarms in {len(cor)} correct-gradient checks.**", ""]
    for key, title in (("activation", "units"), ("output", "output"), ("weights", "regime"), ("dtype", "dtype")):
        vals = sorted({str(r[key]) for r in cor})
        lines += [f"False alarms / inconclusive by {title}:", "",
                  "| checker | " + " | ".join(vals) + " |", "|---|" + "---:|" * len(vals)]
        for c in UNIT_CHECKERS:
            cells = []
            for v in vals:
                sel = [r for r in cor if r["checker"] == c and str(r[key]) == v]
                cells.append(f"{sum(r['verdict'] in ('fail', 'error') for r in sel)}"
                             f"/{sum(r['verdict'] == 'inconclusive' for r in sel)}/{len(sel)}")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    bad = [r for r in cor if r["verdict"] in ("fail", "error")]
    if bad:
        lines += ["False alarms:", ""] + [f"- {r['checker']} on {r['problem']}: {r.get('message', '')}" for r in bad]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ summary

def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for c in CHECKERS:
        mine = [r for r in records if r["checker"] == c]
        cor = [r for r in mine if r["kind"] == "correct"]
        row: dict[str, Any] = {"checker": c, "correct_checks": len(cor),
                               "false_alarms": sum(r["verdict"] in ("fail", "error") for r in cor),
                               "exceptions": sum(r["verdict"] == "error" for r in cor),
                               "inconclusive": sum(r["verdict"] == "inconclusive" for r in cor)}
        for label, sel in (("planted", lambda r: r["kind"] == "planted"),
                           ("mutants", lambda r: r["kind"] not in ("correct", "planted"))):
            bugs = [r for r in mine if sel(r)]
            caught = [r for r in bugs if r["verdict"] == "fail"]
            # Counted: the bug was caught, or the model says the checker could see it (or cannot say).
            seeable = [r for r in bugs if r["verdict"] == "fail" or r.get("visible") is not False]
            row[f"{label}_caught"] = len(caught)
            row[f"{label}_total"] = len(seeable)
            row[f"{label}_inconclusive"] = sum(r["verdict"] == "inconclusive" for r in seeable)
            row[f"{label}_cannot_see"] = len(bugs) - len(seeable)
            row[f"{label}_errors"] = sum(r["verdict"] == "error" for r in seeable)
        ev = [r["evaluations"] for r in cor]
        row["median_evaluations"] = statistics.median(ev) if ev else None
        row["evaluations_source"] = sorted({r["evaluations_source"] for r in cor})
        row["median_seconds"] = statistics.median([r["seconds"] for r in cor]) if cor else None
        rows.append(row)
    return rows


def _breakdown(records, key: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    values = sorted({str(r[key]) for r in records if r["kind"] == "correct"})
    for c in CHECKERS:
        out[c] = {}
        for v in values:
            sel = [r for r in records if r["kind"] == "correct" and r["checker"] == c and str(r[key]) == v]
            fa = sum(r["verdict"] in ("fail", "error") for r in sel)
            out[c][v] = f"{fa}/{len(sel)}"
    return out


def markdown(results: dict[str, Any]) -> str:
    env, summary, records = results["env"], results["summary"], results["records"]
    lines = [
        "# False-alarm study",
        "",
        f"Command: `{env['command']}`  ",
        f"Date: {env['date_utc']}; {results['seconds']:.0f} s wall ({results['training_seconds']:.0f} s "
        f"training {results['trained_nets']} nets)  ",
        f"Machine: {env['cpu_model']}, {env['cpus_usable']} usable CPUs, {env['platform']}, Python {env['python']}, "
        f"numpy {env['versions'].get('numpy')}, jax {env['versions'].get('jax')}; OPENBLAS_NUM_THREADS="
        f"{env['threads']['env'].get('OPENBLAS_NUM_THREADS')}  ",
        f"Code: {env['git'].get('commit')}{' (dirty)' if env['git'].get('dirty') else ''}  ",
        f"Problems: {len(results['problems'])}; checks: {len(records)} "
        f"({sum(r['kind'] == 'correct' for r in records)} on correct gradients)",
        "",
        "*false alarms*: a \"fail\" verdict or an exception on the correct gradient (exceptions in brackets). "
        "*planted ×1.1* / *mutants*: caught/total, where total leaves out the bugs the checker's resolution "
        "cannot see (model in `benchmarks/false_alarms.py:visibility`; the count is under *cannot see*); "
        "*inc.*: inconclusive verdicts on those bugs. Evaluations: median cost evaluations on the correct "
        "gradient (autodiff, loop: gradient evaluations; adjoint: JVPs + 1 backward pass).",
        "",
        "| checker | correct checks | false alarms | inconclusive | planted ×1.1 caught | inc. | cannot see | "
        "mutants caught | inc. | cannot see | median evaluations | median s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary:
        fa = f"{r['false_alarms']}" + (f" ({r['exceptions']})" if r["exceptions"] else "")
        src = "" if r["evaluations_source"] == ["counted"] else " *"
        lines.append(
            f"| {r['checker']} | {r['correct_checks']} | {fa} | {r['inconclusive']} | "
            f"{r['planted_caught']}/{r['planted_total']} | {r['planted_inconclusive']} | {r['planted_cannot_see']} | "
            f"{r['mutants_caught']}/{r['mutants_total']} | {r['mutants_inconclusive']} | {r['mutants_cannot_see']} | "
            f"{r['median_evaluations']:g}{src} | {r['median_seconds']:.3g} |")
    tot_c = sum(r["correct_checks"] for r in summary)
    tot_fa = sum(r["false_alarms"] for r in summary)
    lines += ["", f"**Total: {tot_fa} false alarms in {tot_c} correct-gradient checks.** "
              "(* evaluations not counted at a cost function: see `evaluations_source` in results.json.)", ""]
    for key, title in (("regime", "data regime"), ("weights", "weights"), ("dtype", "dtype"), ("m", "m")):
        b = _breakdown(records, key)
        values = list(next(iter(b.values())).keys())
        lines += [f"False alarms by {title}:", "", "| checker | " + " | ".join(values) + " |",
                  "|---|" + "---:|" * len(values)]
        lines += [f"| {c} | " + " | ".join(b[c][v] for v in values) + " |" for c in CHECKERS]
        lines.append("")
    fas = [r for r in records if r["kind"] == "correct" and r["verdict"] in ("fail", "error")]
    lines += [f"## False alarms ({len(fas)})", ""]
    for r in fas:
        lines.append(f"- **{r['checker']}** on {_where(r)}: {r['verdict']}: {r.get('message', '')}")
    misses = [r for r in records if r["kind"] != "correct" and r["verdict"] != "fail" and r.get("visible") is not False]
    lines += ["", f"## Missed bugs the checker could see ({len(misses)})", ""]
    for r in misses:
        where = f" at {r['planted_entry']}" if "planted_entry" in r else ""
        lines.append(f"- **{r['checker']}** {r['verdict']} on {r['kind']}{where}, {_where(r)}"
                     + (f": {r['message']}" if r.get("message") else ""))
    blind = [r for r in records if r["kind"] != "correct" and r["verdict"] != "fail" and r.get("visible") is False]
    lines += ["", f"## Bugs a checker cannot see ({len(blind)}; not counted as misses)", ""]
    for r in blind:
        lines.append(f"- **{r['checker']}**, {r['kind']}, {_where(r)}: {r.get('visibility_note', '')}")
    if results["skipped_mutants"]:
        lines += ["", "## Mutants planned on a problem where they cannot show", ""]
        for s in results["skipped_mutants"]:
            lines.append(f"- {s['kind']} on {s['problem'] or 'no problem'}: {s['reason']}")
    return "\n".join(lines) + "\n"


def _where(r: dict[str, Any]) -> str:
    extra = f" scale {r['scale']:g}" if "scale" in r else ""
    return (f"{r['problem']} ({r['regime']}{extra}, {r['weights']}, {'-'.join(map(str, r['sizes']))}, m = {r['m']}, "
            f"λ = {r['lam']:g}, {r['dtype']})")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="6 small problems, 1 problem per mutant (~30 s)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default benchmarks/results/false_alarms; --quick: false_alarms-quick)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", action="store_true", help="a line per problem")
    ap.add_argument("--units", action="store_true",
                    help="the new units' section only (tanh, ReLU and friends, softmax, squared error; kink "
                         "regimes): writes units.json and units.md; the sigmoid study's results are kept")
    ap.add_argument("--incremental", choices=("auto", "on", "off"), default="auto",
                    help="compare_gradients' incremental finite differences: as users get them (auto), on every "
                         "problem (on) or never (off)")
    ap.add_argument("--checkers", default=None,
                    help="comma-separated columns to run (default: all), e.g. central,complex,richardson")
    args = ap.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    global INCREMENTAL, CHECKERS, UNIT_CHECKERS
    INCREMENTAL = {"auto": "auto", "on": True, "off": False}[args.incremental]
    if args.checkers:
        chosen = tuple(c.strip() for c in args.checkers.split(",") if c.strip())
        unknown = [c for c in chosen if c not in CHECKERS]
        if unknown:
            ap.error(f"unknown checkers {unknown}; known: {', '.join(CHECKERS)}")
        CHECKERS = tuple(c for c in CHECKERS if c in chosen)
        UNIT_CHECKERS = tuple(c for c in UNIT_CHECKERS if c in chosen)
    out = args.out or (OUT_DIR.with_name("false_alarms-quick") if args.quick else OUT_DIR)
    log = print if args.verbose else (lambda s: None)
    env = collect_environment(argv)  # before the run: the date it started, the code it ran
    env["command"] = " ".join(["python", "-m", "benchmarks.false_alarms"] + argv)
    if args.units:
        results = run_units_study(args.seed, args.quick, log)
        results["env"] = env
        results["options"] = {"quick": args.quick, "seed": args.seed, "units": True,
                              "incremental": args.incremental, "checkers": list(UNIT_CHECKERS)}
        out.mkdir(parents=True, exist_ok=True)
        (out / "units.json").write_text(json.dumps(results, indent=1, default=str))
        (out / "units.md").write_text(units_markdown(results))
        cor = [r for r in results["records"] if r["kind"] == "correct"]
        fa = sum(r["verdict"] in ("fail", "error") for r in cor)
        print(f"{fa} false alarms in {len(cor)} correct-gradient checks (new units); {results['seconds']:.0f} s; "
              f"wrote {out}/units.md")
        return 0
    results = run_study(args.seed, args.quick, log)
    results["env"] = env
    results["summary"] = summarize(results["records"])
    results["options"] = {"quick": args.quick, "seed": args.seed, "incremental": args.incremental,
                          "checkers": list(CHECKERS)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "results.md").write_text(markdown(results))
    tot_c = sum(r["correct_checks"] for r in results["summary"])
    tot_fa = sum(r["false_alarms"] for r in results["summary"])
    print(f"{tot_fa} false alarms in {tot_c} correct-gradient checks; {results['seconds']:.0f} s; "
          f"wrote {out}/results.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
