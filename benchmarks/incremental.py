"""Incremental finite differences against the batched ones they replace, side by side in one run.

At the course size (5000 × 400-25-10, 10,285 parameters, :mod:`benchmarks.problems`) these are timed in
interleaved rounds (:mod:`benchmarks.timing`):

- ``batched_central`` — :func:`gradtrio.oracles.numerical_gradient_batched` on the JAX ``jit(vmap(cost))``
  (:func:`gradtrio.model.closures.cost_batch_fn`): every perturbed cost evaluated in full, many per call;
- ``incremental_central`` — :meth:`gradtrio.incremental.IncrementalCost.gradient`: the same central
  differences at the same step, each perturbed cost from its changed terms only;
- ``batched_complex`` — :func:`gradtrio.oracles.complex_step_gradient` on the model's batched complex
  NumPy cost (what ``check_gradients`` ran before);
- ``incremental_complex`` — :meth:`gradtrio.incremental.IncrementalCost.complex_step`;
- ``incremental_setup`` — building the engine (the base point's forward pass and its scales).

The engine's kernels are compiled in the untimed warm-up (its time is reported as "first call").
Targets (:data:`CENTRAL_MAX_S`, :data:`COMPLEX_MAX_S`) are checked on the medians, and the ratios are
medians of per-round ratios. Every result is checked too: each gradient against backprop's, relative.

Then, once: entry bounds (:func:`gradtrio.oracles.entry_bounds`, four incremental differences an entry plus
the halvings some need) for every entry of a 101,770-parameter network (784-128-10, m = 1000), target
under :data:`ENTRY_BOUNDS_MAX_S`::

    python -m benchmarks.incremental [--quick] [--repeats 3] [--out DIR]

Writes ``incremental.json`` and ``incremental.md`` into ``--out`` (default
``benchmarks/results/incremental``; ``--quick``: a small problem, one round, into
``benchmarks/results/incremental-quick``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .env import collect_environment
from .problems import LAM, Size, make_problem
from .report import _env_lines, fmt_time
from .timing import Method, ratio_summary, run_interleaved, summarize

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"

#: Targets of issue #16 on the 2-core CPU: the full central-difference gradient at the course size within
#: 5 s (the floor is about 2 s: 2·10⁹ softplus evaluations remain), the complex step likewise, entry bounds
#: of every entry of a 100,000-parameter network within a minute.
CENTRAL_MAX_S = 5.0
COMPLEX_MAX_S = 5.0
ENTRY_BOUNDS_MAX_S = 60.0

#: The 100,000-parameter network of the entry-bounds target: MNIST-shaped, 101,770 parameters.
ENTRY_SIZE = Size("mnist-128", 1000, (784, 128, 10))


def _problem(size: Size):
    from gradtrio.model import validate

    thetas, X, Y = make_problem(size)
    return validate(thetas, X, Y, LAM)


def _reference(pb, mats) -> np.ndarray:
    from gradtrio import backprop

    return pb.arch.unroll(backprop.cost_and_grad(mats, pb.X, pb.Y, pb.lam)[1])


def _rel(g: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    return {"rel_err": float(np.linalg.norm(g - ref) / np.linalg.norm(ref)),
            "max_abs_err": float(np.max(np.abs(g - ref)))}


def speed_case(size: Size, repeats: int, budget_s: float) -> dict[str, Any]:
    """Time the four gradients of ``size`` side by side; medians, ratios and accuracy."""
    from gradtrio.incremental import IncrementalCost
    from gradtrio.model import closures
    from gradtrio.oracles import complex_step_gradient, default_step, numerical_gradient_batched

    pb, mats = _problem(size)
    theta = pb.arch.unroll(mats)
    ref = _reference(pb, mats)
    h, hc = default_step("central", theta.dtype), default_step("complex", theta.dtype)
    eng = IncrementalCost(pb, mats)
    J_batch = closures.cost_batch_fn(pb)
    J_complex = closures.complex_cost_fn(pb)

    def check(g: np.ndarray) -> dict:
        return _rel(g, ref)

    methods = [
        Method("batched_central", lambda: numerical_gradient_batched(J_batch, None, theta, h=h), "cpu",
               "central differences, full JAX cost jit(vmap) per perturbation",
               # one call of the shape the gradient's calls have (2B rows) compiles it
               warmup=lambda: J_batch(np.repeat(theta[None], 2 * min(J_batch.batch_size, theta.size), 0)),
               check=check),
        Method("incremental_central", lambda: eng.gradient(h), "cpu",
               "central differences, each perturbed cost from its changed terms",
               warmup=lambda: eng.gradient(h), check=check),
        Method("batched_complex", lambda: complex_step_gradient(J_complex, None, theta, h=hc, cross_check=False),
               "cpu", "complex step, the model's batched complex NumPy cost",
               warmup=lambda: J_complex(theta[None].astype(complex)), check=check),
        Method("incremental_complex", lambda: eng.complex_step(hc), "cpu",
               "complex step, each perturbed cost from its changed terms",
               warmup=lambda: eng.complex_step(hc), check=check),
        Method("incremental_setup", lambda: IncrementalCost(pb, mats), "cpu",
               "the engine's base point: forward pass (the rounding scales come lazily)", check=None),
    ]
    times, last, first, failed = run_interleaved(methods, repeats, budget_s)
    out: dict[str, Any] = {"size": size.name, "m": size.m, "layers": list(size.layers),
                           "n_params": int(theta.size), "methods": {}, "failed": failed}
    for meth in methods:
        if meth.name not in times:
            continue
        rec = {"label": meth.label, "first_call_s": first.get(meth.name), **summarize(times[meth.name])}
        if meth.check is not None:
            rec.update(meth.check(last[meth.name]))
        out["methods"][meth.name] = rec
    out["ratios"] = {f"{a}/{b}": ratio_summary(times[a], times[b])
                     for a, b in (("batched_central", "incremental_central"),
                                  ("batched_complex", "incremental_complex"))
                     if a in times and b in times}
    return out


def entry_bounds_case(size: Size) -> dict[str, Any]:
    """Entry bounds of every entry of ``size`` through the engine, timed once (engine set-up included)."""
    from gradtrio.incremental import IncrementalCost
    from gradtrio.oracles import entry_bounds
    from gradtrio.rounding import scales_of
    from gradtrio.tolerances import ANALYTIC_SAFETY

    pb, mats = _problem(size)
    theta = pb.arch.unroll(mats)
    g = _reference(pb, mats)
    sc = scales_of(pb, mats)
    warm = IncrementalCost(pb, mats)
    warm.differences(1e-5, np.arange(min(theta.size, 4096)), minus=0.0)  # compile the kernels, untimed
    t0 = time.perf_counter()
    eng = IncrementalCost(pb, mats)
    rep = entry_bounds(eng.function(), g, theta, sizes=pb.arch.sizes, grad_error=ANALYTIC_SAFETY * sc.grad_error(),
                       step_scale=sc.flat_sensitivity())
    seconds = time.perf_counter() - t0
    return {"size": size.name, "m": size.m, "layers": list(size.layers), "n_params": int(theta.size),
            "seconds": seconds, "verdict": rep.verdict, "evaluations": int(rep.evaluations),
            "max_ratio": float(rep.ratio.max()),
            "median_bound_rel": float(np.median(rep.bound / np.maximum(np.abs(g), 1e-300))),
            "resolution": float(rep.resolution)}


def markdown(res: dict[str, Any]) -> str:
    lines = ["# Incremental finite differences, side by side with the batched ones", "",
             *_env_lines(res["env"]), ""]
    for case in res["speed"]:
        lines += [f"## {case['size']}: {case['m']} × {'-'.join(map(str, case['layers']))} "
                  f"({case['n_params']} parameters)", "",
                  "| method | what is timed | median | min–max | rounds | first call | rel. error vs backprop |",
                  "|---|---|---|---|---|---|---|"]
        for name, m in case["methods"].items():
            err = f"{m['rel_err']:.2g}" if "rel_err" in m else "—"
            lines.append(f"| `{name}` | {m['label']} | {fmt_time(m['median_s'])} | {fmt_time(m['min_s'])}–"
                         f"{fmt_time(m['max_s'])} | {m['repeats']} | {fmt_time(m['first_call_s'] or 0)} | {err} |")
        lines.append("")
        for k, r in case["ratios"].items():
            lines.append(f"- `{k}`: **{r['median']:.1f}×** faster (median of {r['n']} paired rounds; "
                         f"{r['min']:.1f}–{r['max']:.1f})")
        for k, v in case["failed"].items():
            lines.append(f"- `{k}` failed: {v}")
        for t in case.get("targets", []):
            lines.append(f"- target {t['name']}: {fmt_time(t['value'])} against {fmt_time(t['limit'])}: "
                         f"**{'met' if t['met'] else 'NOT met'}**")
        lines.append("")
    e = res.get("entry_bounds")
    if e:
        lines += [f"## Entry bounds of every entry: {e['m']} × {'-'.join(map(str, e['layers']))} "
                  f"({e['n_params']} parameters)", "",
                  f"- {fmt_time(e['seconds'])} (engine set-up included, kernels compiled before), verdict "
                  f"{e['verdict']}, {e['evaluations']} differences, worst error/bound {e['max_ratio']:.3g}, median "
                  f"bound / |entry| {e['median_bound_rel']:.2g}; target under {fmt_time(ENTRY_BOUNDS_MAX_S)}: "
                  f"**{'met' if e['seconds'] <= ENTRY_BOUNDS_MAX_S else 'NOT met'}**", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small problem, one round")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=1800.0, help="soft limit of the timed rounds, seconds")
    ap.add_argument("--no-entry-bounds", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from gradtrio.autodiff import x64

    if args.quick:
        sizes, entry, repeats = [Size("quick", 200, (30, 8, 4))], Size("quick-entries", 100, (40, 10, 3)), 1
    else:
        sizes, entry, repeats = [Size("course", 5000, (400, 25, 10))], ENTRY_SIZE, args.repeats
    out_dir = args.out or RESULTS_DIR / ("incremental-quick" if args.quick else "incremental")
    with x64():
        res: dict[str, Any] = {"env": collect_environment(argv), "speed": []}
        for size in sizes:
            case = speed_case(size, repeats, args.budget)
            case["targets"] = [
                {"name": f"{name} ≤ {limit:g} s", "value": case["methods"][name]["median_s"], "limit": limit,
                 "met": case["methods"][name]["median_s"] <= limit}
                for name, limit in (("incremental_central", CENTRAL_MAX_S), ("incremental_complex", COMPLEX_MAX_S))
                if name in case["methods"] and not args.quick]
            res["speed"].append(case)
        if not args.no_entry_bounds:
            res["entry_bounds"] = entry_bounds_case(entry)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "incremental.json").write_text(json.dumps(res, indent=1, default=str))
    (out_dir / "incremental.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
