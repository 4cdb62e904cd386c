"""Scaling of the batched central-difference gradient with the number of JAX devices it is sharded over.

The full batched central gradient (``finite_diff.numerical_gradient_batched`` on
``cost_batch_fn(backend="jax")``: every coordinate, ``2n`` cost evaluations, the rows of each call split
over every device by :mod:`gradtrio.sharding`) is timed in one child process per device count. On the CPU
the devices are simulated (``XLA_FLAGS=--xla_force_host_platform_device_count=D``): they share the
machine's cores and memory, so this measures the *overhead* of the sharded path (padding, placement, the
gather) and checks that its gradient equals the one-device gradient; it cannot show a speed-up a machine
does not have. Two batch sizes are timed side by side in interleaved rounds (:mod:`benchmarks.timing`):

- ``default``: the library's ``batch_size``, one device's activation budget times D (what users get);
- ``fixed``: the one-device batch, the same rows a call whatever D (the cost of splitting alone).

With ``--platform gpu`` the children see the first D real GPUs (``CUDA_VISIBLE_DEVICES``) instead: not
run yet (no GPU was lent when this was written)::

    python -m benchmarks.sharding_scaling [--quick] [--devices 1,2,4] [--size digits] [--repeats 5]
        [--platform cpu|gpu] [--out DIR]

Writes ``scaling.json`` and ``scaling.md`` into ``--out`` (default ``benchmarks/results/sharding``;
``--quick``: ``benchmarks/results/sharding-quick``, the debug size, 2 rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .env import collect_environment, select_jax_platform
from .problems import LAM, make_problem, parse_sizes
from .report import _env_lines, fmt_time
from .timing import Method, run_interleaved, summarize

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
VARIANTS = ("default", "fixed")
#: Soft limit (s) of one device count's timed rounds: the moderate default size takes a few seconds a round.
BUDGET_S = 240.0


def run_child(size_spec: str, repeats: int) -> dict[str, Any]:
    """Time both variants in this process (its devices fixed by the environment); return the figures."""
    import jax

    from gradtrio import backprop, network, rounding, sharding
    from gradtrio import finite_diff as fd
    from gradtrio.model import closures, validate

    (size,) = parse_sizes(size_spec)
    thetas, X, Y = make_problem(size)
    problem, mats = validate(thetas, X, Y, LAM)
    theta = network.unroll(mats)
    J_batch = closures.cost_batch_fn(problem, backend="jax")
    D = sharding.device_count()
    batches = {"default": int(J_batch.batch_size),
               "fixed": closures._jax_batch_size(theta.size, size.m, size.layers, devices=1)}
    methods = [Method(v, (lambda b: lambda: fd.numerical_gradient_batched(J_batch, None, theta, batch_size=b))(
        batches[v]), jax.default_backend(), f"numerical_gradient_batched, batch_size {batches[v]}")
        for v in VARIANTS]
    load_start = os.getloadavg()[0]
    times, last, first, failed = run_interleaved(methods, repeats, BUDGET_S)
    if failed:
        raise RuntimeError(f"{D} devices: {failed}")
    g = network.unroll(backprop.cost_and_grad(mats, problem.X, problem.Y, LAM)[1])
    scales = rounding.scales_of(problem, mats)
    return {
        "devices": D, "backend": jax.default_backend(), "size": size.name, "describe": size.describe(),
        "n_params": int(theta.size), "batches": batches,
        "rows_per_device": {v: -(-2 * batches[v] // D) for v in VARIANTS},
        "methods": {v: {**summarize(times[v]), "first_call_s": first[v], "label": m.label}
                    for v, m in zip(VARIANTS, methods)},
        "grad": {v: np.asarray(last[v]).tolist() for v in VARIANTS},
        "vs_backprop_max_abs": {v: float(np.max(np.abs(np.asarray(last[v]) - g))) for v in VARIANTS},
        "cost_error": scales.cost_error(), "h": float(fd.default_step("central")),
        "env": collect_environment(), "loadavg_1min": [load_start, os.getloadavg()[0]],
    }


def _child(devices: int, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    if args.platform == "cpu":
        env.update(JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    else:
        env.update(CUDA_VISIBLE_DEVICES=",".join(map(str, range(devices))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "devices.json"
        cmd = [sys.executable, "-m", "benchmarks.sharding_scaling", "--_child", str(path), "--size", args.size,
               "--repeats", str(args.repeats), "--platform", args.platform]
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"{devices} devices: the child process exited with {r.returncode}")
        return json.loads(path.read_text())


def compare(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run's gradients against the first run's (one device): the largest gap and the rounding bound
    ``ROUND_SAFETY·σ/h`` (σ = ε·S_J, the measured rounding of one cost evaluation)."""
    from gradtrio.tolerances import ROUND_SAFETY

    ref = runs[0]
    bound = ROUND_SAFETY * ref["cost_error"] / ref["h"]
    out = []
    for run in runs:
        for v in VARIANTS:
            gap = float(np.max(np.abs(np.asarray(run["grad"][v]) - np.asarray(ref["grad"]["default"]))))
            out.append({"devices": run["devices"], "variant": v, "max_abs_vs_one_device": gap, "bound": bound,
                        "within": gap <= bound})
    return out


def markdown(res: dict[str, Any]) -> str:
    """The report: environment, times per device count and variant, the agreement with one device."""
    runs = res["runs"]
    first = runs[0]
    base = {v: first["methods"][v]["median_s"] for v in VARIANTS}
    lines = ["# Batched central differences sharded over JAX devices", ""] + _env_lines(res["env"])
    simulated = res["platform"] == "cpu"
    lines += [
        "", f"Problem: {first['describe']} ({first['n_params']} parameters, float64, λ = {LAM:g}); the full "
        f"central-difference gradient, {2 * first['n_params']} cost evaluations, by "
        "`numerical_gradient_batched` on `cost_batch_fn(backend='jax')`. One child process per device count; "
        "median of per-round times of interleaved rounds (the two variants alternate).",
        "",
        ("**Simulated devices** (`XLA_FLAGS=--xla_force_host_platform_device_count=D`) share this machine's "
         f"{res['env']['cpus_usable']} usable cores: these figures measure the overhead of the sharded path "
         "and its agreement with one device, not a speed-up. " if simulated else "")
        + ("No GPU was lent for this run: GPU scaling is not measured here (`--platform gpu`)."
           if simulated else "Real GPUs, the first D visible ones."),
        "", "| devices | variant | batch (coordinates a call) | rows a device a call | median | min – max | "
        "rounds | first call | × one device | load (start, end) |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        load = "{:.1f}, {:.1f}".format(*run["loadavg_1min"])
        for v in VARIANTS:
            m = run["methods"][v]
            lines.append(f"| {run['devices']} | {v} | {run['batches'][v]} | {run['rows_per_device'][v]} | "
                         f"{fmt_time(m['median_s'])} | {fmt_time(m['min_s'])} – {fmt_time(m['max_s'])} | "
                         f"{m['repeats']} | {fmt_time(m['first_call_s'])} | {m['median_s'] / base[v]:.2f} | {load} |")
    lines += ["", "`default`: the library's batch (one device's activation budget times D); `fixed`: the "
              "one-device batch whatever D. `× one device`: median time over the one-device median of the "
              "same variant. `first call`: the untimed warm-up (compiles). `load`: the machine's 1-minute load "
              "average when the child's rounds started and ended (other processes share the cores).", "",
              "### Agreement with one device", "",
              "max |g_D − g_1| over the entries, against the rounding bound ROUND_SAFETY·σ/h (σ = ε·S_J).", "",
              "| devices | variant | max gap | bound | within |", "|---:|---|---:|---:|---|"]
    for c in res["agreement"]:
        lines.append(f"| {c['devices']} | {c['variant']} | {c['max_abs_vs_one_device']:.2e} | {c['bound']:.2e} | "
                     f"{'yes' if c['within'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run every device count, write ``scaling.json`` and ``scaling.md``; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the debug size, 2 rounds (a smoke test)")
    ap.add_argument("--devices", default="1,2,4", help="device counts, the first the reference (default 1,2,4)")
    ap.add_argument("--size", help="a size of benchmarks.problems (default digits; quick: debug)")
    ap.add_argument("--repeats", type=int, help="timed rounds (default 5; quick 2)")
    ap.add_argument("--platform", choices=("cpu", "gpu"), default="cpu")
    ap.add_argument("--out", type=Path, help="output folder (default benchmarks/results/sharding[-quick])")
    ap.add_argument("--_child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.size = args.size or ("debug" if args.quick else "digits")
    args.repeats = args.repeats or (2 if args.quick else 5)
    if args._child is not None:
        select_jax_platform(args.platform)
        import jax

        jax.config.update("jax_enable_x64", True)
        args._child.write_text(json.dumps(run_child(args.size, args.repeats)))
        return 0
    try:
        counts = [int(d) for d in args.devices.split(",") if d.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or args.repeats < 1:
        print(f"sharding_scaling: error: --devices takes positive integers and --repeats >= 1; got "
              f"--devices {args.devices!r} --repeats {args.repeats}", file=sys.stderr)
        return 2
    runs = [_child(d, args) for d in counts]
    shown = (["--quick"] if args.quick else []) + ["--devices", ",".join(map(str, counts)), "--size", args.size,
                                                   "--repeats", str(args.repeats), "--platform", args.platform]
    env = runs[0]["env"]  # the reference child's machine and versions (its devices are in each run)
    env["command"] = "python -m benchmarks.sharding_scaling " + " ".join(shown)
    res = {"schema": 1, "env": env, "platform": args.platform, "runs": runs, "agreement": compare(runs)}
    out = args.out or RESULTS_DIR / ("sharding-quick" if args.quick else "sharding")
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps(res, indent=1) + "\n")
    (out / "scaling.md").write_text(markdown(res))
    print(markdown(res))
    print(f"wrote {out / 'scaling.md'} and scaling.json")
    return 0 if all(c["within"] for c in res["agreement"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
