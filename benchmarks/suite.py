"""Command line of the suite: ``python -m benchmarks [--quick] [--device cpu|gpu|auto] ...``.

Writes, into ``--out`` (default ``benchmarks/results/<device>[-quick]``):

- ``results.json`` — everything: environment, every method's per-round times, medians, min/max,
  per-round ratios, accuracy checks, skipped methods with reasons, targets. Rewritten after every
  case, so an interrupted run keeps what it measured.
- ``results.md`` — the tables, ready to paste into the README.
- ``times.png`` — time against problem size per method, log-log.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .env import collect_environment, select_jax_platform, torch_or_reason
from .problems import SIZES, parse_sizes

C_TRAIN_MAXITER = 100  # = benchmarks.cases.TRAIN_MAXITER (not imported here: cases imports gradtrio/JAX)

__all__ = ["main", "build_parser", "DEFAULTS"]

CASES = ("costgrad", "gradcheck", "train", "objective")
DTYPES = ("float64", "float32")
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Per mode: sizes of the cost+gradient case, sizes of the gradient-checking case, rounds, and the
# soft budget (s) of one case's timed rounds. The large sizes are slow on a small CPU (one
# 60000 × 784-1024-1024-10 gradient is ~0.7 TFLOP: seconds per call on 2 cores), so only a GPU run
# includes them unless --sizes asks.
DEFAULTS: dict[tuple[str, bool], dict[str, Any]] = {
    ("cpu", False): {"sizes": "digits,course", "check_sizes": "debug,course", "repeats": 7, "budget": 20.0},
    ("cpu", True): {"sizes": "digits,course", "check_sizes": "debug,200x16-8-4", "repeats": 3, "budget": 2.0},
    ("gpu", False): {"sizes": "digits,course,large,large-deep", "check_sizes": "debug,course", "repeats": 7,
                     "budget": 8.0},
    ("gpu", True): {"sizes": "digits,course", "check_sizes": "debug,200x16-8-4", "repeats": 3, "budget": 2.0},
}
# The cases a GPU run makes by default: training and the scikit-learn objective are CPU matters.
GPU_DEFAULT_CASES = ("costgrad", "gradcheck")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="gradtrio benchmarks: hand-written backprop vs JAX autodiff vs peers, gradient "
                    "checking, training. Interleaved rounds, medians, per-round ratios.",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, 3 rounds, 2 s per case (development)")
    p.add_argument("--sizes", help=f"comma-separated sizes for every case: {', '.join(SIZES)} or MxA-B-C "
                                   "(e.g. 200x20-8-4); default per device (large ones on GPU only)")
    p.add_argument("--repeats", type=int, help="timed rounds per case (default 7, quick 3)")
    p.add_argument("--budget", type=float, help="soft limit (s) of one case's timed rounds; at least one "
                                                "round always runs")
    p.add_argument("--cases", default=None, help=f"comma-separated subset of {', '.join(CASES)} "
                                                  "(default: all on cpu; costgrad,gradcheck on gpu)")
    p.add_argument("--dtypes", default=",".join(DTYPES), help="dtypes of the cost+gradient case")
    p.add_argument("--skip", default="", help="comma-separated method names not to run (listed as skipped), "
                                              "e.g. torch,complex_step")
    p.add_argument("--train-maxiter", type=int, default=C_TRAIN_MAXITER,
                   help="L-BFGS-B iterations of the training case (the comparison of the README: 100)")
    p.add_argument("--out", type=Path, help="output folder (default benchmarks/results/<device>[-quick])")
    p.add_argument("--device", choices=("cpu", "gpu", "auto"), default="cpu",
                   help="where JAX runs: cpu (pinned), gpu (required), auto (gpu when JAX sees one)")
    return p


def _split(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise SystemExit(f"--{what}: expected a comma-separated subset of {', '.join(allowed)}; got {text!r}")
    return items


def _setup_jax(device: str) -> tuple[Any, str | None, str]:
    """Import JAX for ``device`` with float64 enabled; returns (jax, reason, resolved device)."""
    select_jax_platform(device)
    try:
        import jax
    except Exception as exc:  # noqa: BLE001
        if device == "gpu":
            raise SystemExit(f"--device gpu needs JAX with a GPU; import jax failed: {exc}") from None
        return None, f"skipped (JAX not importable: {type(exc).__name__}: {exc})", "cpu"
    jax.config.update("jax_enable_x64", True)  # float64 cases need it; float32 arrays stay float32
    backend = jax.default_backend()
    if device == "gpu" and backend != "gpu":
        raise SystemExit(f"--device gpu: JAX sees no GPU (default backend {backend!r}, devices "
                         f"{jax.devices()}); run with --device cpu or auto")
    resolved = "gpu" if backend == "gpu" else "cpu"
    if device == "cpu" and backend != "cpu":
        # JAX was imported before the suite could pin it (e.g. inside a test session).
        raise SystemExit(f"--device cpu: JAX was already imported with backend {backend!r}; "
                         "start a fresh process or set JAX_PLATFORMS=cpu")
    return jax, None, resolved


def _progress(case: dict) -> None:
    from .report import fmt_time

    meds = ", ".join(f"{k} {fmt_time(m['median_s'])}" for k, m in case.get("methods", {}).items())
    where = f"{case['case']} {case.get('size', '')} {case.get('dtype', '')}".strip()
    print(f"[{where}] {meds}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; returns the exit status: 0, also when targets are not met (they are reported);
    1 when a case raised (its traceback is in ``results.json`` under the case and ``errors``)."""
    args = build_parser().parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    t_start = time.perf_counter()
    jax, jax_reason, device = _setup_jax(args.device)
    cfg = DEFAULTS[(device, args.quick)]
    cases = _split(args.cases or ",".join(GPU_DEFAULT_CASES if device == "gpu" else CASES), CASES, "cases")
    dtypes = _split(args.dtypes, DTYPES, "dtypes")
    try:
        sizes = parse_sizes(args.sizes or cfg["sizes"])
        check_sizes = parse_sizes(args.sizes or cfg["check_sizes"])
    except ValueError as exc:
        raise SystemExit(f"--sizes: {exc}") from None
    repeats = args.repeats if args.repeats is not None else cfg["repeats"]
    if repeats < 1:
        raise SystemExit(f"--repeats must be >= 1; got {repeats}")
    budget = args.budget if args.budget is not None else cfg["budget"]
    out_dir = args.out or RESULTS_DIR / (device + ("-quick" if args.quick else ""))
    out_dir.mkdir(parents=True, exist_ok=True)

    from . import cases as C
    from .report import evaluate_targets, markdown, plot

    torch, torch_reason = torch_or_reason()
    ctx = C.Context(device=device, jax=jax, jax_reason=jax_reason, torch=torch, torch_reason=torch_reason,
                    repeats=repeats, budget_s=budget,
                    skip=frozenset(t.strip() for t in args.skip.split(",") if t.strip()))
    results: dict[str, Any] = {
        "schema": 1, "device": device, "quick": args.quick, "env": collect_environment(argv),
        "settings": {"repeats": repeats, "budget_s": budget, "cases": cases, "dtypes": dtypes,
                     "skip": sorted(ctx.skip),
                     "sizes": [s.name for s in sizes], "check_sizes": [s.name for s in check_sizes],
                     "lam": C.LAM},
        "cases": [],
    }
    json_path = out_dir / "results.json"

    def save() -> None:
        results["total_wall_s"] = time.perf_counter() - t_start
        results["targets"] = evaluate_targets(results)
        json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")

    errors: list[str] = []

    def record(kind: str, run: Any, *a: Any) -> None:
        """Run one case; an exception is recorded in the results (and the exit status), not fatal."""
        try:
            case = run(*a)
        except Exception as exc:  # noqa: BLE001
            where = " ".join(str(getattr(x, "name", x)) for x in (kind, *a[1:]))
            errors.append(f"{where}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            case = {"case": kind, "size": getattr(a[1], "name", None) if len(a) > 1 else None,
                    "dtype": a[2] if len(a) > 2 else None, "error": traceback.format_exc()[-2000:],
                    "methods": {}, "skipped": {}, "ratios": {}}
        results["cases"].append(case)
        _progress(case)
        save()

    if "costgrad" in cases:
        for size in sizes:
            for dtype in dtypes:
                record("costgrad", C.costgrad_case, ctx, size, dtype)
    if "gradcheck" in cases:
        for size in check_sizes:
            record("gradcheck", C.gradcheck_case, ctx, size)
    if "train" in cases:
        record("train", C.train_case, ctx, args.train_maxiter)
    if "objective" in cases:
        try:
            results["objective"] = C.objective_case(ctx)
        except Exception:  # noqa: BLE001
            errors.append(traceback.format_exc()[-2000:])
            results["objective"] = {"case": "objective", "problems": [], "skipped": "error: see errors"}
    results["errors"] = errors
    save()
    (out_dir / "results.md").write_text(markdown(results))
    png = plot(results, out_dir / "times.png")
    print(f"wrote {json_path}, {out_dir / 'results.md'}" + (f", {png}" if png else ""), file=sys.stderr)
    for t in results["targets"]:
        measured = f" ({t['measured_text']})" if t.get("measured_text") else ""
        print(f"  target: {t['target']}: {t['status']}{measured}", file=sys.stderr)
    for e in errors:
        print(f"ERROR in {e}", file=sys.stderr)
    return 1 if errors else 0
