"""Gradient checkers head to head: detection rate and evaluation count, gradtrio vs torch and JAX.

    python -m benchmarks.bench_checkers            # the table in the README (~10 min on 2 cores)
    python -m benchmarks.bench_checkers --quick    # a smoke run (~1 min)

Two studies, float64 unless said otherwise:

1. **The mutant catalog** (:data:`gradtrio.mutants.CATALOG`): each classic backprop bug on its
   judging problem (the course's debug problem, λ = 3, m = 5), every checker once. The checkers
   see the mutant's own cost and gradient, as they would see a user's code.
2. **Single-entry bugs planted at random positions** in networks of ~10³, 10⁴ and 10⁵ parameters
   (m = 20 random examples, course initialisation): the correct backprop gradient with one entry
   multiplied by 10 (the case torch's ``fast_mode`` is documented to miss), drawn uniformly among
   the entries whose magnitude is at least the median (so that the error is not below every
   checker's resolution). The same draws with the correct gradient give each checker's false-alarm
   rate.

Checkers: gradtrio's :func:`~gradtrio.localize.localize` (probes + bisection, names the entry),
:func:`~gradtrio.verdicts.taylor_test`, :func:`~gradtrio.verdicts.adjoint_test` (JAX jvp vs the
backward pass), :func:`~gradtrio.finite_diff.directional_check` (k = 10), full per-entry bounds
(:func:`~gradtrio.localize.entry_bounds`, 4N evaluations, small nets only); PyTorch's
``torch.autograd.gradcheck`` in slow (full Jacobian) and fast mode, with its default tolerances,
around a ``torch.autograd.Function`` whose forward is the NumPy cost and whose backward returns the
gradient under test; JAX's ``jax.test_util.check_grads(order=1, modes=("rev",))`` around a
``jax.custom_vjp`` doing the same through ``jax.pure_callback``. Evaluations are counted at the
cost and gradient functions themselves, so every checker is charged the same way.

Writes ``checkers.json`` and ``checkers.md`` under ``benchmarks/results/checkers/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.env import collect_environment, select_jax_platform, torch_or_reason
else:
    from .env import collect_environment, select_jax_platform, torch_or_reason

select_jax_platform("cpu")

from threadpoolctl import threadpool_limits  # noqa: E402

from gradtrio import backprop, network  # noqa: E402
from gradtrio.catalog.counting import FlatProblem  # noqa: E402
from gradtrio.localize import entry_bounds, localize  # noqa: E402
from gradtrio.verdicts import adjoint_test, taylor_test  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "results" / "checkers"
#: The course's network: sigmoid hidden layers, sigmoid outputs with cross-entropy.
DEFAULT_UNITS = {"activation": "sigmoid", "output": "sigmoid"}
#: Networks of ~10³, 10⁴, 10⁵ parameters: (30,25,10) → 1 035, (100,90,10) → 10 000, (400,240,10) → 98 650.
SIZES = {"1e3": (30, 25, 10), "1e4": (100, 90, 10), "1e5": (400, 240, 10)}
M_EXAMPLES = 20
LAM = 1.0
MUTANT_LAM = 3.0
#: The planted bugs: one entry times 10 (the headline case) and times 1.1 (a 10% error in one entry,
#: which a random projection dilutes below most tolerances).
PLANT_FACTORS = (10.0, 1.1)
#: Full per-entry bounds cost 4N evaluations: only on nets up to this size.
ENTRY_BOUNDS_MAX_N = 2000
#: torch's slow mode costs 2N evaluations (~2·10⁵ at 10⁵ parameters, minutes per draw here): it runs
#: up to this size unless --full.
TORCH_SLOW_MAX_N = 20000


class Case(FlatProblem):
    """One problem with the gradient under test, as counted flat functions (``cost``, ``grad``: see
    :class:`gradtrio.catalog.FlatProblem`, which the detection study uses too), and the unrolled
    index of the planted bug (None: no bug planted)."""

    def __init__(self, thetas, X, Y, lam, backward: Callable, cost: Callable, planted: int | None = None,
                 units: dict[str, str] | None = None) -> None:
        super().__init__(thetas, X, Y, lam, backward, lambda *args: float(cost(*args)))
        self.planted = planted
        #: The network's units (``activation=``, ``output=``), for the checkers that compute the
        #: network themselves (the adjoint test's JVP); the others see only ``cost`` and ``grad``.
        self.units = dict(DEFAULT_UNITS if units is None else units)


def make_case(thetas, X, Y, lam, backward: Callable, cost: Callable, planted: int | None = None,
              units: dict[str, str] | None = None) -> Case:
    return Case(thetas, X, Y, lam, backward, cost, planted, units)


def planted_backward(index: int | None, factor: float) -> Callable:
    """backprop.cost_and_grad with unrolled entry ``index`` multiplied by ``factor`` (None: correct)."""

    def backward(thetas, X, Y, lam):
        J, grads = backprop.cost_and_grad(thetas, X, Y, lam)
        if index is not None:
            flat = network.unroll(grads)
            flat[index] *= factor
            grads = network.roll(flat, network.sizes_of(thetas))
        return J, grads

    return backward


# --------------------------------------------------------------------------------------- checkers
# Each takes a Case and returns (detected, located or None); the harness counts evaluations and time.

def check_localize(case: Case) -> tuple[bool, bool | None]:
    res = localize(case.cost, case.grad(case.theta), case.theta, sizes=case.sizes)
    located = None if case.planted is None else any(s.index == case.planted for s in res.suspects)
    return res.verdict == "fail", located


def check_entry_bounds(case: Case) -> tuple[bool, bool | None]:
    res = entry_bounds(case.cost, case.grad(case.theta), case.theta, sizes=case.sizes)
    located = None if case.planted is None else any(s.index == case.planted for s in res.failing())
    return res.verdict == "fail", located


def check_taylor(case: Case) -> tuple[bool, bool | None]:
    return taylor_test(case.cost, case.grad(case.theta), case.theta).verdict == "fail", None


def check_adjoint(case: Case) -> tuple[bool, bool | None]:
    def backward(thetas, X, Y, lam, **units):  # counted like every other gradient call
        # adjoint_test passes the network's units; the case's backward computes its own network already
        case.grad.calls += 1
        return case.backward(thetas, X, Y, lam)

    res = adjoint_test(case.thetas, case.X, case.Y, case.lam, backward=backward, **case.units)
    case.grad.calls += res.evaluations - 1  # the k JVPs: one forward-mode pass each
    return res.verdict == "fail", None


def check_directional(case: Case) -> tuple[bool, bool | None]:
    from gradtrio.finite_diff import directional_check

    return directional_check(case.cost, case.grad(case.theta), case.theta, k=10).verdict == "fail", None


def _torch_function(torch: Any, case: Case):
    class NumpyCost(torch.autograd.Function):
        @staticmethod
        def forward(ctx, theta):
            ctx.save_for_backward(theta)
            return torch.tensor(case.cost(theta.detach().numpy()), dtype=theta.dtype)

        @staticmethod
        def backward(ctx, grad_out):
            (theta,) = ctx.saved_tensors
            return grad_out * torch.from_numpy(case.grad(theta.detach().numpy()).astype(theta.numpy().dtype))

    return NumpyCost.apply


def torch_checker(fast: bool) -> Callable[[Case], tuple[bool, bool | None]]:
    def check(case: Case) -> tuple[bool, bool | None]:
        import torch

        fn = _torch_function(torch, case)
        theta = torch.from_numpy(case.theta.copy()).requires_grad_(True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # float32 inputs: "not a double precision" (measured, not hidden)
            ok = torch.autograd.gradcheck(fn, (theta,), fast_mode=fast, raise_exception=False)
        return not ok, None

    return check


def check_jax(case: Case) -> tuple[bool, bool | None]:
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    dtype = case.theta.dtype
    # The callbacks run asynchronously, on XLA's threads, where a scoped `jax.enable_x64` does not
    # reach: they would see float32 canonicalization and fail. This benchmark process therefore turns
    # float64 on globally (gradtrio itself only ever uses the scoped switch).
    jax.config.update("jax_enable_x64", True)

    @jax.custom_vjp
    def f(theta):
        return jax.pure_callback(lambda v: np.asarray(case.cost(np.asarray(v)), dtype),
                                 jax.ShapeDtypeStruct((), dtype), theta)

    def f_fwd(theta):
        return f(theta), theta

    def f_bwd(theta, ct):
        g = jax.pure_callback(lambda v: case.grad(np.asarray(v)).astype(dtype),
                              jax.ShapeDtypeStruct(theta.shape, dtype), theta)
        return (ct * g,)

    f.defvjp(f_fwd, f_bwd)
    try:
        check_grads(f, (jnp.asarray(case.theta),), order=1, modes=("rev",))
    except AssertionError:
        return True, None
    return False, None


CHECKERS: dict[str, Callable[[Case], tuple[bool, bool | None]]] = {
    "gradtrio localize": check_localize,
    "gradtrio adjoint (JAX jvp)": check_adjoint,
    "gradtrio Taylor slope": check_taylor,
    "gradtrio directional (k=10)": check_directional,
    "gradtrio entry bounds (4N)": check_entry_bounds,
    "torch gradcheck": torch_checker(fast=False),
    "torch gradcheck fast_mode": torch_checker(fast=True),
    "jax check_grads": check_jax,
}
TORCH_NAMES = ("torch gradcheck", "torch gradcheck fast_mode")
#: Checkers that compile for each new shape (JAX): one untimed run first.
JIT_CHECKERS = ("gradtrio adjoint (JAX jvp)", "jax check_grads")


def run_one(name: str, case: Case) -> dict[str, Any]:
    case.reset()
    t0 = time.perf_counter()
    detected, located = CHECKERS[name](case)
    return {"detected": bool(detected), "located": located, "cost_evals": case.cost.calls,
            "grad_evals": case.grad.calls, "seconds": time.perf_counter() - t0}


def skip_reason(name: str, n: int, torch_reason: str | None, full: bool) -> str | None:
    if name in TORCH_NAMES and torch_reason:
        return f"torch {torch_reason}"
    if name == "torch gradcheck" and n > TORCH_SLOW_MAX_N and not full:
        return f"skipped: 2N = {2 * n} evaluations per check (run with --full)"
    if name == "gradtrio entry bounds (4N)" and n > ENTRY_BOUNDS_MAX_N:
        return f"skipped: 4N = {4 * n} evaluations per check"
    return None


# --------------------------------------------------------------------------------------- studies

def mutant_study(torch_reason: str | None) -> list[dict[str, Any]]:
    """Every checker on every mutant of the catalog, each on its judging problem and its own network
    (:attr:`gradtrio.catalog.Mutant.units`), after the correct backprop on each of those networks."""
    from gradtrio.catalog import CATALOG, CONTROLS, judge_problem

    controls = [(f"(none: correct backprop{'' if units == ('sigmoid', 'sigmoid') else ', ' + mu.network})", mu)
                for units, mu in CONTROLS.items()]
    rows = []
    for name, mutant in controls + list(CATALOG.items()):
        thetas, X, Y, _ = judge_problem(mutant)
        kind = "control" if mutant.name is None else mutant.kind
        row: dict[str, Any] = {"mutant": name, "kind": kind, "description": mutant.description,
                               "activation": mutant.activation, "output": mutant.output,
                               "n": network.num_params(mutant.judge_sizes), "results": {}}
        try:
            case = make_case(thetas, X, Y, MUTANT_LAM, mutant, mutant.cost, units=mutant.units)
        except Exception as exc:  # a "crash" mutant raises on its judge problem: every checker sees that
            why = f"crash: {type(exc).__name__}: {str(exc)[:80]}"
            row["results"] = {checker: {"detected": True, "note": why} for checker in CHECKERS}
            rows.append(row)
            print(f"  mutant {name:32s} {why}", flush=True)
            continue
        for checker in CHECKERS:
            reason = skip_reason(checker, case.theta.size, torch_reason, True)
            try:
                row["results"][checker] = {"skipped": reason} if reason else run_one(checker, case)
            except Exception as exc:  # the code under test raised inside the checker: a detection, said so
                row["results"][checker] = {"detected": True, "note": f"crash: {type(exc).__name__}: {str(exc)[:80]}"}
        rows.append(row)
        print(f"  mutant {name:40s}", " ".join("x" if r.get("detected") else ("-" if "skipped" in r else ".")
                                              for r in row["results"].values()), flush=True)
    return rows


def planted_problem(sizes: tuple[int, ...], seed: int, dtype: str = "float64"):
    rng = np.random.default_rng(seed)
    thetas = network.init_weights(sizes, seed=rng, dtype=dtype)
    X = rng.normal(size=(M_EXAMPLES, sizes[0])).astype(dtype)
    Y = network.one_hot(rng.integers(0, sizes[-1], size=M_EXAMPLES), sizes[-1], dtype=dtype)
    g = np.abs(network.unroll(backprop.cost_and_grad(thetas, X, Y, LAM)[1]))
    index = int(rng.choice(np.flatnonzero(g >= np.median(g))))
    return thetas, X, Y, index


def _key(factor: float) -> str:
    return f"x{factor:g}"


def planted_study(labels: list[str], trials: dict[str, int], torch_reason: str | None, full: bool,
                  dtype: str = "float64") -> list[dict[str, Any]]:
    rows = []
    for label in labels:
        sizes = SIZES[label]
        n = network.num_params(sizes)
        for checker in CHECKERS:
            reason = skip_reason(checker, n, torch_reason, full)
            # torch's slow mode at 10⁵ (--full) takes minutes per run: one draw shows its cost.
            k = 1 if (checker == "torch gradcheck" and n > TORCH_SLOW_MAX_N) else trials[label]
            runs: dict[str, list[dict]] = {"control": [], **{_key(f): [] for f in PLANT_FACTORS}}
            if reason is None and checker in JIT_CHECKERS:  # compile for these shapes outside the timings
                thetas, X, Y, _ = planted_problem(sizes, 999, dtype)
                run_one(checker, make_case(thetas, X, Y, LAM, planted_backward(None, 1.0), backprop.cost))
            for t in range(k if reason is None else 0):
                thetas, X, Y, index = planted_problem(sizes, 1000 + t, dtype)
                for factor in (None, *PLANT_FACTORS):
                    idx = None if factor is None else index
                    backward = planted_backward(idx, factor or 1.0)
                    case = make_case(thetas, X, Y, LAM, backward, backprop.cost, idx)
                    runs["control" if factor is None else _key(factor)].append(run_one(checker, case))
            rows.append(summarize(label, n, checker, dtype, runs, reason))
            r = rows[-1]
            print(f"  {dtype} N={n:6d} {checker:30s} " + (reason or (
                f"detected {r['detected']} of {r['trials']}, located {r['located']}, false alarms "
                f"{r['false_alarms']} (flagged {r['flagged']}), evals {_evals(r['evals_correct'])} / "
                f"{_evals(r['evals_bug'])}, "
                f"{r['seconds_correct']:.3g} / {r['seconds_bug']:.3g} s")), flush=True)
    return rows


def summarize(label: str, n: int, checker: str, dtype: str, runs: dict[str, list[dict]],
              reason: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"size": label, "n": n, "sizes": list(SIZES[label]), "checker": checker,
                           "dtype": dtype}
    if reason:
        row["skipped"] = reason
        return row
    c, headline = runs["control"], runs[_key(PLANT_FACTORS[0])]
    keys = [k for k in runs if k != "control"]
    row.update({
        "trials": len(c),
        # A draw counts as detected when the checker fails the bug *and* passes the correct gradient of
        # the same draw: a checker that fails everything detects nothing. `flagged` is the raw count.
        "detected": {k: sum(r["detected"] and not q["detected"] for r, q in zip(runs[k], c)) for k in keys},
        "flagged": {k: sum(r["detected"] for r in runs[k]) for k in keys},
        "located": ({k: sum(bool(r["located"]) for r in runs[k]) for k in keys}
                    if any(r["located"] is not None for r in headline) else None),
        "false_alarms": sum(r["detected"] for r in c),
        # The price of a check differs between a passing and a failing one (localization bisects, and
        # torch's fast mode reruns the slow mode to explain a failure): medians of each, kept apart.
        "evals_correct": _median_evals(c),
        "evals_bug": _median_evals(headline),
        "seconds_correct": float(np.median([r["seconds"] for r in c])),
        "seconds_bug": float(np.median([r["seconds"] for r in headline])),
        "runs": runs,
    })
    return row


def _median_evals(runs: list[dict]) -> list[int]:
    """[cost, gradient] evaluations, medians over the runs."""
    return [int(np.median([r["cost_evals"] for r in runs])), int(np.median([r["grad_evals"] for r in runs]))]


# --------------------------------------------------------------------------------------- report

def _evals(pair: list[int]) -> str:
    return f"{pair[0]:,} + {pair[1]:,}"


def _short(name: str) -> str:
    return name.replace("gradtrio ", "").replace("torch gradcheck", "torch").replace("jax check_grads", "jax")


def markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        "### Gradient checkers: detection rate and evaluation count",
        "",
        f"`{results['command']}` — {env['date_utc']}, {env['cpu_model']} ({env['cpus_usable']} usable CPUs), "
        f"Python {env['python']}, numpy {env['versions']['numpy']}, jax {env['versions']['jax']}, "
        f"torch {env['versions']['torch']}. One BLAS thread. float64 unless marked.",
        "",
        "**Single-entry bugs**: one gradient entry multiplied by "
        + " or by ".join(f"{f:g}" for f in PLANT_FACTORS) + ", "
        "at a random position among the entries at least the median size (networks "
        + ", ".join("→".join(map(str, s)) for s in SIZES.values())
        + f"; m = {M_EXAMPLES}, λ = {LAM:g}, course initialisation). *detected*: the checker failed on the "
        "planted bug *and* passed the correct gradient of the same draw (a checker that fails everything "
        "detects nothing); *located*: it also named the entry; *false alarms*: it failed on the correct "
        "gradient. "
        "Evaluations: median calls of the cost + of the gradient (or JVP), on the correct "
        "gradient (the price of a check that passes) and on the bug (failing checks may spend more: "
        "localization bisects; torch's fast mode reruns its slow mode to explain a failure). Times: median "
        f"seconds on the correct / ×{PLANT_FACTORS[0]:g} gradient.",
        "",
        "| N params | dtype | checker | " + " | ".join(f"detected ×{f:g}" for f in PLANT_FACTORS)
        + " | " + " | ".join(f"located ×{f:g}" for f in PLANT_FACTORS)
        + f" | false alarms | evals, correct | evals, ×{PLANT_FACTORS[0]:g} | time |",
        "|---:|---|---|" + "---:|" * (2 * len(PLANT_FACTORS) + 4),
    ]
    for r in results["planted"]:
        if "skipped" in r:
            lines.append(f"| {r['n']:,} | {r['dtype']} | {r['checker']} | "
                         + "— | " * (2 * len(PLANT_FACTORS) + 3) + f"{r['skipped']} |")
            continue
        t = r["trials"]
        det = " | ".join(f"{v}/{t}" for v in r["detected"].values())
        located = r["located"]
        loc = " | ".join(["—"] * len(PLANT_FACTORS) if located is None
                         else [f"{v}/{t}" for v in located.values()])
        lines.append(
            f"| {r['n']:,} | {r['dtype']} | {r['checker']} | {det} | {loc} | {r['false_alarms']}/{t} | "
            f"{_evals(r['evals_correct'])} | {_evals(r['evals_bug'])} | "
            f"{r['seconds_correct']:.2g} / {r['seconds_bug']:.2g} s |"
        )
    if results["mutants"]:
        names = list(results["mutants"][0]["results"])
        lines += [
            "",
            f"**Mutant catalog** (each on its judging debug problem, λ = {MUTANT_LAM:g}, m = 5 (2 for the bug that "
            "needs an absent class; the softmax overflow with every logit shifted by 800), and on its own "
            "network: hidden units, output; the checkers "
            "see the mutant's own cost and gradient). ✗ = bug detected, · = passed, – = not run. The first "
            "rows are the correct backprop on each network a mutant lives on: any ✗ there is a false alarm.",
            "",
            "| mutant | network | kind | " + " | ".join(_short(c) for c in names) + " |",
            "|---|---|---|" + "---:|" * len(names),
        ]
        for row in results["mutants"]:
            cells = ["–" if "skipped" in v else ("✗" if v["detected"] else "·")
                     for v in row["results"].values()]
            net = f"{row.get('activation', 'sigmoid')}, {row.get('output', 'sigmoid')}"
            lines.append(f"| {row['mutant']} | {net} | {row['kind']} | " + " | ".join(cells) + " |")
        skipped = sorted({v["skipped"] for r in results["mutants"] for v in r["results"].values() if "skipped" in v})
        bugs = [r for r in results["mutants"] if r["kind"] == "gradient"]
        caught = []
        for c in names:
            done = [r["results"][c] for r in bugs if "skipped" not in r["results"][c]]
            caught.append(f"{sum(v['detected'] for v in done)}/{len(done)}" if done else "–")
        lines.append("| **gradient bugs caught** | | | " + " | ".join(caught) + " |")
        evals = []
        for c in names:
            v = results["mutants"][0]["results"][c]
            evals.append("–" if "skipped" in v else f"{v['cost_evals']}+{v['grad_evals']}")
        lines.append(f"| *evaluations (cost+grad), N = {results['mutants'][0]['n']}* | | | "
                     + " | ".join(evals) + " |")
        lines += [f"\n– : {why}." for why in skipped]
    if results.get("skipped_note"):
        lines += ["", results["skipped_note"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 draws per size, 10³ and 10⁴ only (smoke run)")
    ap.add_argument("--full", action="store_true",
                    help="also run torch's slow mode at 10⁵ parameters (one draw)")
    ap.add_argument("--trials", type=int, default=None, help="draws per network size (default 10, 5 at 10⁵)")
    ap.add_argument("--no-float32", action="store_true", help="skip the float32 rows at 10³ parameters")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--render", type=Path, default=None, metavar="JSON",
                    help="only rewrite checkers.md from an existing checkers.json (no measuring)")
    args = ap.parse_args(argv)
    if args.render is not None:
        results = json.loads(args.render.read_text())
        results["planted"] = [r if "skipped" in r else summarize(r["size"], r["n"], r["checker"], r["dtype"],
                                                                 r["runs"], None) for r in results["planted"]]
        args.render.write_text(json.dumps(results, indent=1, default=str))
        (args.render.parent / "checkers.md").write_text(markdown(results))
        print(f"rewrote {args.render.parent / 'checkers.md'}")
        return 0
    labels = ["1e3", "1e4"] if args.quick else ["1e3", "1e4", "1e5"]
    base = 2 if args.quick else 10
    trials = {label: args.trials or (base if label != "1e5" else max(1, base // 2)) for label in labels}
    torch, torch_reason = torch_or_reason()
    if torch is not None:
        torch.set_num_threads(1)
    command = "python -m benchmarks.bench_checkers" + ("" if not argv else " " + " ".join(argv))
    with threadpool_limits(1):
        print("mutant catalog:", flush=True)
        mutant_rows = mutant_study(torch_reason)
        print("planted single-entry bugs:", flush=True)
        planted = planted_study(labels, trials, torch_reason, args.full)
        if not args.no_float32:
            planted += planted_study(["1e3"], trials, torch_reason, args.full, dtype="float32")
    results = {
        "command": command,
        "environment": collect_environment(argv),
        "torch": torch_reason or "installed",
        "plant_factors": list(PLANT_FACTORS),
        "m": M_EXAMPLES,
        "lam": LAM,
        "planted": planted,
        "mutants": mutant_rows,
    }
    results["environment"]["command"] = command
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "checkers.json").write_text(json.dumps(results, indent=1, default=str))
    (args.out / "checkers.md").write_text(markdown(results))
    print(f"wrote {args.out / 'checkers.json'} and {args.out / 'checkers.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
