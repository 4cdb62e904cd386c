"""Training with curvature: the time and evaluations each optimizer needs to reach L-BFGS-B's cost.

For each seed, L-BFGS-B runs 100 iterations from the seed's initial weights; its final cost is the
target J*. Then every method (L-BFGS-B, CG, TNC, and Newton-CG, trust-ncg, trust-krylov with the
exact Hessian's product "hvp" and the Gauss-Newton product "gvp") trains from the same weights until
its cost is at most J* (``train(target_cost=J*)``, checked after every iteration) or its iteration cap.
Reported: medians over the seeds of the wall time, the cost-and-gradient evaluations and the curvature
products to that point, how many seeds reached J*, and the held-out accuracy of the weights it stopped
at. One BLAS thread (``train``'s own default, :func:`gradtrio.train.blas_limited`), the NumPy backend
(hand-written backprop and products).

Two networks on real data: the embedded digits (64-25-10, 1347 training / 450 test examples) and the
course size 400-25-10 on the same digits upsampled to 20×20 (``scipy.ndimage.zoom``, order 1: bilinear),
λ = 1, the CLI's default.

Run ``python -m benchmarks.second_order_training`` (results in
benchmarks/results/second_order/training.{md,json}); ``--quick`` is a seconds-long smoke run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "second_order"

#: L-BFGS-B iterations that set the target cost.
TARGET_ITERATIONS = 100
#: --quick: the target after this many L-BFGS-B iterations, the caps at QUICK_CAP.
QUICK_TARGET_ITERATIONS, QUICK_CAP = 20, 60
#: λ: the CLI's default.
LAM = 1.0
#: (method, curvature) rows, in the table's order.
RUNS = (("L-BFGS-B", None), ("CG", None), ("TNC", None),
        ("Newton-CG", "gvp"), ("Newton-CG", "hvp"),
        ("trust-ncg", "hvp"), ("trust-ncg", "gvp"),
        ("trust-krylov", "hvp"), ("trust-krylov", "gvp"))
#: Iteration caps: 10× L-BFGS-B's for the first-order methods (their iterations are as cheap), 300 for
#: the second-order ones (an iteration is an inner solve of several products).
CAPS = {"first": 1000, "second": 300}
SIZES = ("digits", "course")


def data(size: str, *, quick: bool = False):
    """(X_train, y_train, X_test, y_test, description) of a benchmark size."""
    from gradtrio.data import load_digits

    d = load_digits(0.25)
    X_train, y_train, X_test, y_test = d.X_train, d.y_train, d.X_test, d.y_test
    if quick:  # a smoke run: a few examples
        X_train, y_train, X_test, y_test = X_train[:200], y_train[:200], X_test[:100], y_test[:100]
    if size == "digits":
        return X_train, y_train, X_test, y_test, "embedded digits, 8×8 pixels: 64-25-10"
    if size == "course":
        from scipy.ndimage import zoom

        def up(X):  # each 8×8 image to 20×20 by bilinear interpolation (row-major, as load_digits stores it)
            return zoom(X.reshape(-1, 8, 8), (1, 20 / 8, 20 / 8), order=1).reshape(len(X), 400)

        return up(X_train), y_train, up(X_test), y_test, \
            "embedded digits upsampled to 20×20 (scipy.ndimage.zoom, order 1): 400-25-10"
    raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")


def run_size(size: str, seeds: list[int], quick: bool) -> dict:
    """Every method on one size, every seed: the per-run records and the medians."""
    from gradtrio.train import SECOND_ORDER_METHODS, accuracy, train

    X, y, Xt, yt, what = data(size, quick=quick)
    runs = []
    for seed in seeds:
        ref = train(X, y, lam=LAM, maxiter=QUICK_TARGET_ITERATIONS if quick else TARGET_ITERATIONS, seed=seed)
        target = ref.final_cost
        for method, curvature in RUNS:
            cap = CAPS["second" if method in SECOND_ORDER_METHODS else "first"]
            if quick:
                cap = min(cap, QUICK_CAP)
            r = train(X, y, lam=LAM, maxiter=cap, seed=seed, method=method, curvature=curvature,
                      target_cost=target)
            runs.append({
                "seed": seed, "method": method, "curvature": curvature, "target": target, "cap": cap,
                "reached": bool(r.final_cost <= target), "time_s": r.wall_time, "iterations": r.iterations,
                "function_evals": r.function_evals, "hessp_evals": r.hessp_evals, "final_cost": r.final_cost,
                "test_accuracy": accuracy(r.thetas, Xt, yt, **r.units), "message": r.message,
            })
            print(f"  {size} seed {seed} {method:12s} {curvature or '-':3s} reached={runs[-1]['reached']} "
                  f"{r.wall_time:7.3f} s {r.iterations:4d} it {r.function_evals:5d} f {r.hessp_evals:5d} Hv",
                  file=sys.stderr, flush=True)
    rows = []
    for method, curvature in RUNS:
        mine = [r for r in runs if r["method"] == method and r["curvature"] == curvature]
        rows.append({
            "method": method, "curvature": curvature, "reached": sum(r["reached"] for r in mine),
            "seeds": len(mine), **{k: median(r[k] for r in mine) for k in
                                   ("time_s", "iterations", "function_evals", "hessp_evals", "test_accuracy")},
        })
    return {"size": size, "data": what, "target_iterations": QUICK_TARGET_ITERATIONS if quick else TARGET_ITERATIONS,
            "caps": {k: min(c, QUICK_CAP) if quick else c for k, c in CAPS.items()},
            "m_train": len(y), "m_test": len(yt), "seeds": seeds,
            "targets": [next(r["target"] for r in runs if r["seed"] == s) for s in seeds],
            "rows": rows, "runs": runs}


def table(result: dict) -> list[str]:
    """The markdown table of one size."""
    ref = next(r for r in result["rows"] if r["method"] == "L-BFGS-B")
    lines = ["| method | curvature | reached J* | time (s) | × L-BFGS-B time | iterations | cost/grad evals | "
             "curvature products | test accuracy |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['method']} | {r['curvature'] or '—'} | {r['reached']}/{r['seeds']} | "
                     f"{r['time_s']:.3f} | {r['time_s'] / ref['time_s']:.1f} | {r['iterations']:g} | "
                     f"{r['function_evals']:g} | {r['hessp_evals']:g} | {100 * r['test_accuracy']:.2f} % |")
    return lines


def report(results: list[dict], env: dict, command: str, wall: float) -> str:
    out = ["## Training with curvature: time and evaluations to reach L-BFGS-B's cost", "",
           f"- **Date**: {env['date_utc']}; command `{command}`; gradtrio commit {env['git']['commit'][:12]}; "
           f"{wall:.0f} s in all",
           f"- **Machine**: {env['platform']}; CPU {env['cpu_model']}, {env['cpu_count']} logical cores (shared "
           f"with other work: times are indicative, the evaluation counts are not); BLAS limited to 1 thread",
           f"- **Versions**: Python {env['python']}, numpy {env['versions']['numpy']}, "
           f"scipy {env['versions']['scipy']}", "",
           f"For each seed: L-BFGS-B runs {results[0]['target_iterations']} "
           f"iterations "
           f"from the seed's initial weights; its final cost is the target J*. Every method then starts from "
           f"the same weights and stops at the first iterate with J ≤ J* (checked after every iteration) or "
           f"at its cap ({results[0]['caps']['first']} iterations for the first-order methods, "
           f"{results[0]['caps']['second']} for the second-order ones). λ = {LAM:g}, the NumPy backend "
           f"(hand-written backprop; `hvp`: Pearlmutter's "
           f"exact Hessian-vector product, `gvp`: the Gauss-Newton product), medians over the seeds, "
           f"including runs that stopped at their cap. `time`: `train`'s wall time to the stop; "
           f"`cost/grad evals`: cost-and-gradient evaluations (one more than the optimizer's own: `train` "
           f"evaluates the initial weights first); `curvature products`: `hessp` calls, each about "
           f"1.5-2 gradients; `test accuracy`: held-out, of the weights each method stopped at."]
    for res in results:
        out += ["", f"### {res['data']} ({res['m_train']} training / {res['m_test']} test examples)", "",
                f"Seeds {', '.join(map(str, res['seeds']))}; targets J*: "
                f"{', '.join(f'{t:.6f}' for t in res['targets'])}.", "", *table(res)]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.second_order_training", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: digits, course (default: both)")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 on the digits (default: %(default)s)")
    p.add_argument("--course-seeds", type=int, default=3,
                   help="seeds 0..N-1 at the course size, each ~5x the digits' work (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run: 200 examples, 1 seed, the target after {QUICK_TARGET_ITERATIONS} L-BFGS-B "
                   f"iterations, caps of {QUICK_CAP}")
    p.add_argument("--out", default=str(OUT), help="results folder (default: %(default)s)")
    args = p.parse_args(argv)
    from .env import collect_environment

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            print(f"error: --sizes: {s!r} is not one of {', '.join(SIZES)}", file=sys.stderr)
            return 2
    for name, n in (("--seeds", args.seeds), ("--course-seeds", args.course_seeds)):
        if n < 1:
            print(f"error: {name} must be at least 1; got {n}", file=sys.stderr)
            return 2
    seeds = {"digits": list(range(1 if args.quick else args.seeds)),
             "course": list(range(1 if args.quick else args.course_seeds))}
    start = time.perf_counter()
    results = [run_size(s, seeds[s], args.quick) for s in sizes]
    wall = time.perf_counter() - start
    command = "python -m benchmarks.second_order_training" + (" " + " ".join(argv if argv is not None
                                                                               else sys.argv[1:])).rstrip()
    env = collect_environment()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = report(results, env, command.strip(), wall)
    (out / "training.md").write_text(text)
    (out / "training.json").write_text(json.dumps({"environment": env, "command": command, "wall_s": wall,
                                                   "results": results}, indent=1, default=float))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
