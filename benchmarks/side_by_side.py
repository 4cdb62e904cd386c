"""Side by side: this tree against an earlier commit, interleaved in one process (the redesign's speed check).

``python -m benchmarks.side_by_side REV`` copies ``src/gradtrio`` of git revision REV into a temporary
folder as the package ``gradtrio_before``, imports both, and times the same calls of each in alternating
rounds on one BLAS thread, on the benchmark problems (:mod:`benchmarks.problems`): the public
``backprop.cost_and_grad``, the training path (what ``train()`` calls per evaluation: before, the flat
cost-and-gradient with ``check_finite=False``; now, the validated problem's kernel), the cost alone,
one evaluation of the finite-difference closure ``finite_diff.cost_fn`` (what every numerical oracle
calls), and 100 L-BFGS-B iterations of ``train()`` on the digits. It prints medians and the median of the
per-round ratios now/before (below 1: faster now), and the matmul floor of each size.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from .cases import floor_numpy
from .problems import LAM, SIZES, make_problem


def _load_before(rev: str, folder: Path) -> Any:
    """``src/gradtrio`` at ``rev`` as the importable package ``gradtrio_before`` (relative imports only)."""
    archive = folder / "before.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "archive", rev, "src/gradtrio"], check=True, stdout=fh)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    (folder / "src" / "gradtrio").rename(folder / "gradtrio_before")
    sys.path.insert(0, str(folder))
    return importlib.import_module("gradtrio_before")


def _timed(fns: dict[str, Any], rounds: int) -> dict[str, np.ndarray]:
    ts: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            ts[k].append(time.perf_counter() - t0)
    return {k: np.array(v) for k, v in ts.items()}


def _calls(pkg: Any, size: Any) -> dict[str, Any]:
    backprop = importlib.import_module(f"{pkg.__name__}.backprop")
    thetas, X, Y = make_problem(size)
    v = np.concatenate([t.ravel() for t in thetas])
    if hasattr(backprop, "flat_kernel"):
        from gradtrio import model

        kernel = backprop.flat_kernel(model.validate(thetas, X, Y, LAM)[0])
        train_path = lambda: kernel(v)  # noqa: E731
    else:
        train_path = lambda: backprop.cost_and_grad_flat(v, size.layers, X, Y, LAM, check_finite=False)  # noqa: E731
    fd = importlib.import_module(f"{pkg.__name__}.finite_diff")
    closure = fd.cost_fn(size.layers, X, Y, LAM)
    return {"cost_and_grad": lambda: backprop.cost_and_grad(thetas, X, Y, LAM),
            "training path": train_path, "cost": lambda: backprop.cost(thetas, X, Y, LAM),
            "cost_fn(v)": lambda: closure(v)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev", help="the earlier git revision (e.g. the commit before the redesign)")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--train-rounds", type=int, default=7)
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    import gradtrio

    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        before = _load_before(args.rev, Path(tmp))
        print(f"now: this tree; before: {args.rev}; one BLAS thread; medians of interleaved rounds")
        table: dict[str, dict[str, str]] = {}
        for name in ("digits", "course"):
            size = SIZES[name]
            now, old = _calls(gradtrio, size), _calls(before, size)
            fns = {"floor": floor_numpy(size, "float64")}
            for k in now:
                fns[f"{k} before"], fns[f"{k} now"] = old[k], now[k]
            rounds = args.rounds if name == "digits" else max(10, args.rounds // 10)
            t = _timed(fns, rounds)
            print(f"\n{size.describe()}: floor {np.median(t['floor']) * 1e6:.0f} µs ({rounds} rounds)")
            for k in now:
                b, n = t[f"{k} before"], t[f"{k} now"]
                print(f"  {k:14s} before {np.median(b) * 1e6:8.0f} µs ({np.median(b / t['floor']):.2f}× floor)"
                      f"   now {np.median(n) * 1e6:8.0f} µs ({np.median(n / t['floor']):.2f}× floor)"
                      f"   now/before {np.median(n / b):.3f}")
                table.setdefault(k, {})[name] = f"{np.median(n / b):.3f} | {np.median(n / t['floor']):.2f}"
        train_now = importlib.import_module("gradtrio.train").train
        train_old = importlib.import_module(f"{before.__name__}.train").train
        d = gradtrio.load_digits()
        t = _timed({"before": lambda: train_old(d.X_train, d.y_train, maxiter=100),
                    "now": lambda: train_now(d.X_train, d.y_train, maxiter=100)}, args.train_rounds)
        print(f"\ntrain() on the digits, 100 L-BFGS-B iterations ({args.train_rounds} rounds): before "
              f"{np.median(t['before']):.3f} s, now {np.median(t['now']):.3f} s, now/before "
              f"{np.median(t['now'] / t['before']):.3f}")
        print("\n| call | digits now/before | × floor now | course now/before | × floor now |")
        print("|---|---:|---:|---:|---:|")
        for k, row in table.items():
            print(f"| {k} | {row['digits']} | {row['course']} |")
        print(f"| train(), 100 L-BFGS-B iterations, digits | {np.median(t['now'] / t['before']):.3f} | | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
