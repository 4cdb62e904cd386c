"""The detection study: which checker catches which bug of the catalog, at what cost in evaluations.

Checkers (:data:`CHECKERS`) each take a mutant (:mod:`gradtrio.catalog.bugs`) and say whether they
caught it and at what cost in evaluations; :func:`detection_table` runs every checker on every mutant
(plus the correct algorithm, as a control that must pass everything). ``gradtrio mutants``
(:mod:`gradtrio.cli.mutants`) prints the table.

The single-problem checkers judge each mutant on the course's debugging problem
(:func:`judge_problem`); the Hypothesis checker runs the three-way property on problems drawn from
:func:`gradtrio.testing.strategies.study_problems`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..network import debug_problem, one_hot, roll
from ..testing.problem import Problem
from .bugs import CATALOG, CONTROL, CONTROLS, JUDGE_LAM, Mutant
from .counting import FlatProblem
from .known_values import known_value_cases, known_value_failures

__all__ = [
    "CheckResult",
    "CHECKERS",
    "DIRECTIONS",
    "FULL_BUDGET",
    "QUICK_BUDGET",
    "DetectionRow",
    "judge_problem",
    "judged_on",
    "control_name",
    "check_central",
    "check_directional",
    "check_complex",
    "check_autodiff",
    "check_known_values",
    "three_way_failure",
    "examples_to_failure",
    "make_hypothesis_checker",
    "checkers",
    "detection_table",
]

#: Random directions of the directional check (its documented default).
DIRECTIONS = 10


@dataclass(frozen=True)
class CheckResult:
    """What one checker concluded about one mutant.

    Attributes
    ----------
    detected : bool
        The checker flagged a bug (on the control row, a detection is a false alarm).
    evaluations : int
        Calls of the code under test (its cost, or its cost and gradient) plus reference evaluations
        (JAX); for the Hypothesis checker, the median number of examples to the first failure.
    note : str
        The first failure, briefly (or why nothing was found).
    crash : bool
        The detection was an exception raised by the code under test (e.g. a shape error), or a
        NaN or an inf it returned on a finite problem (an overflow), not a wrong number.
    """

    detected: bool
    evaluations: int
    note: str = ""
    crash: bool = False


def judge_problem(mutant: Mutant) -> Problem:
    """The course's debugging problem on ``mutant.judge_sizes``, ``mutant.judge_m`` examples (5 unless
    the bug needs an absent class), λ = 3: one where the bug shows.

    Returns
    -------
    Problem
        ``debug_problem`` weights and inputs, one-hot labels ``y_i = i mod K`` (valid targets for every
        output: one-hot rows, and real numbers for squared error); the output layer's bias column plus
        ``mutant.judge_logit_shift`` (every logit shifted by it). The network it is judged as is the
        mutant's (:attr:`Mutant.units`).
    """
    thetas, X, y = debug_problem(mutant.judge_sizes, mutant.judge_m)
    if mutant.judge_logit_shift:
        last = thetas[-1].copy()
        last[:, 0] += mutant.judge_logit_shift
        thetas = thetas[:-1] + [last]
    return Problem(thetas, X, one_hot(y, mutant.judge_sizes[-1]), JUDGE_LAM)


def _scales(mutant: Mutant, problem: Problem) -> Any:
    """The rounding scales (:mod:`gradtrio.rounding`) of ``problem`` on the mutant's network."""
    from ..model import validate
    from ..rounding import scales_of

    thetas, X, Y, lam = problem
    return scales_of(*validate(thetas, X, Y, lam, activations=mutant.activation, output=mutant.output))


#: How a checker's note starts when the code under test returned NaN or inf (a crash without an exception).
NON_FINITE = "non-finite"


def _non_finite(J: Any, grad: Any) -> str:
    """'' when the cost and the gradient under test are finite, else what is not.

    Every judging problem is finite, and so are the correct cost and gradient on it: a NaN or an inf
    from the code under test is a bug (an overflow), and no comparison may pass it (``nan > bound`` is
    False, so an entry-by-entry test alone would)."""
    bad = [name for name, v in (("cost", J), ("gradient", grad))
           if v is not None and not np.all(np.isfinite(np.asarray(v)))]
    return f"{NON_FINITE} {' and '.join(bad)} on a finite problem (NaN or inf)" if bad else ""


def _compare(a: np.ndarray, b: np.ndarray, bound: np.ndarray, sizes: Sequence[int], method: str) -> str:
    """'' when two flat gradients agree entry by entry within ``bound`` (shape ``(n,)``), else the worst layer.

    The rule of :func:`gradtrio.check.compare_gradients`: an entry disagrees when ``|a − b|`` exceeds
    the sum of the two methods' error bounds measured on the problem."""
    from ..check import judge_layer

    for l, (A, B, E) in enumerate(zip(roll(a, sizes), roll(b, sizes), roll(bound, sizes))):
        max_abs, ratio, _, _ = judge_layer(A, B, E, float(np.finfo(np.float64).eps))
        if ratio > 1:
            return f"Theta({l + 1}): vs {method}, max |a-b| {max_abs:.2g} is {ratio:.2g} x its measured bound"
    return ""


def _compare_cost(J: float, J_ref: float, scale: float) -> str:
    """'' when the cost agrees with the JAX cost within both sides' rounding, ``2·ANALYTIC_SAFETY·ε·S_J``
    (``scale`` is ``S_J`` of :func:`gradtrio.rounding.rounding_scales`)."""
    from ..tolerances import ANALYTIC_SAFETY

    if abs(J - J_ref) <= 2 * ANALYTIC_SAFETY * float(np.finfo(np.float64).eps) * max(scale, abs(J_ref)):
        return ""
    return f"cost {J:.6g} vs JAX {J_ref:.6g}"


def _vs_references(mutant: Mutant, problem: Problem, methods: tuple[str, ...], seed: int = 0) -> str:
    """The project's comparison (:func:`gradtrio.check.compare_gradients`) with the mutant as reference.

    Also compares the cost with the JAX cost. Returns '' when everything agrees, else the failures.
    """
    from .. import autodiff
    from ..check import compare_gradients
    from ..network import unroll

    thetas, X, Y, lam = problem
    J, grads = mutant(thetas, X, Y, lam)
    why = _non_finite(J, unroll(grads))
    if why:
        return why
    why = _compare_cost(J, autodiff.cost(thetas, X, Y, lam, **mutant.units), _scales(mutant, problem).cost)
    report = compare_gradients(thetas, X, Y, lam, ("code",) + methods, seed=seed,
                               custom={"code": lambda *_: grads}, activation=mutant.activation,
                               output=mutant.output)
    fails = report.failures()
    return "; ".join(filter(None, [why, fails[0].describe() if fails else ""]))


def _guarded(check: Callable[[Mutant], CheckResult]) -> Callable[[Mutant], CheckResult]:
    """A checker that counts an exception raised by the code under test as a detection (a crash)."""

    def run(mutant: Mutant) -> CheckResult:
        try:
            return check(mutant)
        except Exception as exc:
            return CheckResult(True, 1, f"crash: {type(exc).__name__}: {str(exc)[:80]}", crash=True)

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    return run


def _full_gradient_check(mutant: Mutant, method: str) -> CheckResult:
    """The mutant's gradient against the full numerical gradient (``method``) of its own cost, entry by
    entry against measured bounds (:mod:`gradtrio.measured`, :mod:`gradtrio.rounding`)."""
    from .. import oracles
    from ..tolerances import ANALYTIC_SAFETY

    problem = judge_problem(mutant)
    c = FlatProblem(*problem, mutant, mutant.cost)
    g = c.grad(c.theta)
    why = _non_finite(None, g)
    if why:
        return CheckResult(True, c.calls, why, crash=True)
    scales = _scales(mutant, problem)
    exact = ANALYTIC_SAFETY * scales.grad_error()
    if method == "complex":  # exact to rounding: its bound is the analytic one
        res = oracles.measure(method, c.cost, c.theta, exact_error=exact)
    else:
        res = oracles.measure(method, c.cost, c.theta, step_scale=scales.flat_sensitivity(),
                              noise_floor=scales.cost_error())
    numeric, error = res.grad, res.error
    why = _compare(g, numeric, exact + error, c.sizes, method)
    return CheckResult(bool(why), c.calls, why)


@_guarded
def check_central(mutant: Mutant) -> CheckResult:
    """Full central differences of the mutant's own cost (the course's checkNNGradients): 2n evaluations."""
    return _full_gradient_check(mutant, "central")


@_guarded
def check_directional(mutant: Mutant) -> CheckResult:
    """``gᵀv`` against central differences of the mutant's own cost along k random directions."""
    from ..oracles import directional_check

    c = FlatProblem(*judge_problem(mutant), mutant, mutant.cost)
    g = c.grad(c.theta)
    why = _non_finite(None, g)
    if why:
        return CheckResult(True, c.calls, why, crash=True)
    res = directional_check(c.cost, g, c.theta, k=DIRECTIONS, seed=0)
    off = int(np.sum(res.ratio > 1))
    failed = res.verdict == "fail"
    why = f"{off}/{DIRECTIONS} directions off (worst ratio {res.ratio.max():.2g})" if failed else ""
    return CheckResult(failed, c.calls, why)


@_guarded
def check_complex(mutant: Mutant) -> CheckResult:
    """Complex-step gradient of the mutant's own cost (exact to rounding): n evaluations + 6 (safety)."""
    return _full_gradient_check(mutant, "complex")


@_guarded
def check_autodiff(mutant: Mutant) -> CheckResult:
    """Cost and gradient against ``jax.grad`` of the independently written JAX cost: 2 evaluations."""
    why = _vs_references(mutant, judge_problem(mutant), ("autodiff",))
    return CheckResult(bool(why), 2, why, crash=why.startswith(NON_FINITE))


@_guarded
def check_known_values(mutant: Mutant) -> CheckResult:
    """Cost and gradient values with an independent source, on the mutant's network
    (:func:`~gradtrio.catalog.known_values.known_value_cases`)."""
    fails = known_value_failures(mutant, **mutant.units)
    return CheckResult(bool(fails), len(known_value_cases(**mutant.units)), fails[0] if fails else "")


def three_way_failure(mutant: Mutant, problem: Problem, seed: int = 0) -> str:
    """The three-way property on one problem: '' when it holds, else what failed.

    The project's comparison with the mutant in place of backprop: its gradient against JAX
    autodiff (to rounding) and against central differences of the cost along random directions
    (:func:`gradtrio.check.compare_gradients` with ``"autodiff"`` and ``"directional"``), and its
    cost against the JAX cost.
    """
    return _vs_references(mutant, problem, ("autodiff", "directional"), seed)


def examples_to_failure(mutant: Mutant, seed: int, max_examples: int) -> tuple[int | None, str]:
    """Run the three-way property under Hypothesis; how many examples until the first failure.

    Parameters
    ----------
    mutant : Mutant
    seed : int
        Hypothesis's random seed (``hypothesis.seed``); no example database, no shrinking.
    max_examples : int

    Returns
    -------
    n : int or None
        The number of examples generated up to and including the first failing one (None: none
        failed in ``max_examples``).
    why : str
        The first failure.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from ..testing.strategies import study_problems

    state: dict[str, Any] = {"n": 0, "first": None, "why": ""}

    @hypothesis_seed(seed)
    @settings(database=None, max_examples=max_examples, derandomize=False, phases=[Phase.generate],
              deadline=None, report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    @given(study_problems())
    def prop(problem: Problem) -> None:
        if state["first"] is not None:  # the replay of the failing example: fail again, cheaply
            raise AssertionError(state["why"])
        state["n"] += 1
        try:
            why = three_way_failure(mutant, problem, seed)
        except Exception as exc:  # a crash of the code under test is a failure the suite reports
            why = f"crash: {type(exc).__name__}: {str(exc)[:80]}"
        if why:
            state["first"], state["why"] = state["n"], why
            raise AssertionError(why)

    try:
        prop()
    except AssertionError:
        pass
    return state["first"], state["why"]


def make_hypothesis_checker(seeds: int, max_examples: int) -> Callable[[Mutant], CheckResult]:
    """The Hypothesis checker: detected when every seed finds a failure; evaluations = median examples."""

    def check_hypothesis(mutant: Mutant) -> CheckResult:
        runs = [examples_to_failure(mutant, s, max_examples) for s in range(seeds)]
        found = [n for n, _ in runs if n is not None]
        median = statistics.median([n if n is not None else max_examples for n, _ in runs])
        why = next((w for _, w in runs if w), f"no failure in {max_examples} examples")
        crash = bool(found) and all(w.startswith(("crash", NON_FINITE)) for n, w in runs if n is not None)
        return CheckResult(len(found) == seeds, int(math.ceil(median)),
                           f"found in {len(found)}/{seeds} seeds; {why}", crash)

    return check_hypothesis


def checkers(seeds: int = 5, max_examples: int = 50) -> dict[str, Callable[[Mutant], CheckResult]]:
    """Every checker, by column name, in table order.

    Parameters
    ----------
    seeds, max_examples : int
        Budget of the Hypothesis checker (median over ``seeds`` runs of at most ``max_examples``).
    """
    return {
        "central": check_central,
        "directional": check_directional,
        "complex": check_complex,
        "autodiff": check_autodiff,
        "hypothesis": make_hypothesis_checker(seeds, max_examples),
        "known values": check_known_values,
    }


#: Checker name → function ``mutant -> CheckResult``, with the default Hypothesis budget.
CHECKERS = checkers()


#: Budgets: the full table (README) and --quick (the test suite, CI).
FULL_BUDGET = {"seeds": 5, "max_examples": 50}
QUICK_BUDGET = {"seeds": 2, "max_examples": 15}


@dataclass
class DetectionRow:
    """One line of the detection table: a mutant and every checker's result on it."""

    name: str
    description: str
    where: str
    kind: str
    needs: tuple[str, ...]
    judged_on: str
    activation: str = "sigmoid"
    output: str = "sigmoid"
    results: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def control(self) -> bool:
        """Whether the row is a control (the correct algorithm on some network): a detection is a false alarm."""
        return self.kind == "-"


def judged_on(mutant: Mutant) -> str:
    """The problem the single-problem checkers judge ``mutant`` on, as the table shows it."""
    scale = f", logits +{mutant.judge_logit_shift:g}" if mutant.judge_logit_shift else ""
    return f"{'-'.join(map(str, mutant.judge_sizes))}, m={mutant.judge_m}{scale}, λ={JUDGE_LAM:g}"


def control_name(mutant: Mutant) -> str:
    """The control row's name for the network of ``mutant``: ``"(control: correct)"`` for the default
    sigmoid network, ``"(control: correct, tanh, identity output)"`` for another."""
    if (mutant.activation, mutant.output) == (CONTROL.activation, CONTROL.output):
        return "(control: correct)"
    return f"(control: correct, {mutant.network})"


def detection_table(
    mutants: dict[str, Mutant] | None = None,
    *,
    seeds: int = FULL_BUDGET["seeds"],
    max_examples: int = FULL_BUDGET["max_examples"],
    include_control: bool = True,
    checks: dict[str, Callable[[Mutant], CheckResult]] | None = None,
    progress: Callable[[int, int, str, str], None] | None = None,
) -> list[DetectionRow]:
    """Run every checker on every mutant.

    Parameters
    ----------
    mutants : dict, optional
        Name → mutant; by default :data:`CATALOG`.
    seeds, max_examples : int
        The Hypothesis checker's budget.
    include_control : bool
        Put the correct algorithm first, as control rows (every checker must pass them): one on the
        default sigmoid network, then one on each other network (:data:`~gradtrio.catalog.bugs.CONTROLS`)
        that a chosen mutant lives on, so that each mutant's row has the row of its correct network.
    checks : dict, optional
        Column name → checker (``mutant -> CheckResult``); by default :func:`checkers` with the
        given budget. Add columns here to measure another checker on the same catalog.
    progress : callable ``(done, total, mutant, checker) -> None``, optional
        Called before each check runs (``done`` checks finished of ``total``), and once at the end
        with ``done == total`` and empty names: ``gradtrio mutants`` draws its progress with it.

    Returns
    -------
    list of DetectionRow
    """
    chosen = dict(CATALOG if mutants is None else mutants)
    controls: dict[str, Mutant] = {}
    if include_control:
        nets = [(CONTROL.activation, CONTROL.output)] + [(mu.activation, mu.output) for mu in chosen.values()]
        controls = {control_name(CONTROLS[n]): CONTROLS[n] for n in dict.fromkeys(nets)}
        chosen = {**controls, **chosen}
    checks = checkers(seeds, max_examples) if checks is None else checks
    rows = []
    total, done = len(chosen) * len(checks), 0
    for name, mutant in chosen.items():
        row = DetectionRow(name, mutant.description, mutant.where, "-" if name in controls else mutant.kind,
                           mutant.needs, judged_on(mutant), mutant.activation, mutant.output)
        for cname, check in checks.items():
            if progress is not None:
                progress(done, total, name, cname)
            row.results[cname] = check(mutant)
            done += 1
        rows.append(row)
    if progress is not None:
        progress(total, total, "", "")
    return rows

