"""Speed of the hand-written second-order products: ``hvp`` and ``gvp`` against one gradient and against JAX.

For each problem (size, hidden activation, output) five computations are timed side by side in
interleaved rounds (:mod:`benchmarks.timing`), on the validated problem with nothing checked again:

- ``grad``        — ``backprop.kernel``: one cost and gradient by hand (what an optimizer calls);
- ``hvp``         — ``backprop.hvp_kernel``: H V by Pearlmutter's R-operator, by hand;
- ``gvp``         — ``backprop.gvp_kernel``: the Gauss-Newton product G V, by hand;
- ``jax_fwd_rev`` — ``jax.jit`` of ``jax.jvp`` of ``jax.grad`` of ``autodiff.jax_cost`` (forward over
  reverse, JAX's recommended Hessian-vector product), compiled before the rounds, synced with
  ``block_until_ready``;
- ``jax_grad``    — ``jax.jit(jax.value_and_grad(autodiff.jax_cost))``, for reference.

The ratios are medians (and quartiles) of per-round ratios: ``hvp/grad`` (target <= 2.5 at the course
size on the CPU: Pearlmutter's "about two gradients"), ``hvp/jax_fwd_rev`` (target <= 1) and
``gvp/hvp`` (target < 1: the Gauss-Newton product drops terms of H V). Each thread setting runs in a
child process started with its environment set before NumPy and JAX load: ``1`` is one BLAS thread
and single-threaded XLA (``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``),
``default`` is every library's default::

    python -m benchmarks.second_order_speed [--quick] [--threads 1,default] [--repeats 21] [--out DIR]

Writes ``speed.json`` and ``speed.md`` into ``--out`` (default ``benchmarks/results/second_order``;
``--quick``: ``benchmarks/results/second_order-quick``, tiny sizes, 3 rounds, one thread).
Every result is also checked: H V against JAX's to rounding, ``vᵀ G v >= 0``, the gradient against JAX's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .env import collect_environment, select_jax_platform
from .problems import LAM, Size, make_problem, parse_sizes
from .report import _env_lines, fmt_time
from .timing import Method, run_interleaved, summarize, sync

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"

#: Targets at the course size on the CPU (sigmoid hidden layer and output, the course's network).
HVP_VS_GRAD_MAX = 2.5  # Pearlmutter: H V at "about the cost of two gradients"; 2.5 leaves room for g''
HVP_VS_JAX_MAX = 1.0  # no slower than JAX's jit-compiled forward-over-reverse
GVP_VS_HVP_MAX = 1.0  # strictly below: G V drops the δᵀR{a}, δ V_W and g'' terms of H V

METHODS = ("grad", "hvp", "gvp", "jax_fwd_rev", "jax_grad")
#: (numerator, denominator) of every ratio reported.
RATIOS = (("hvp", "grad"), ("hvp", "jax_fwd_rev"), ("gvp", "hvp"), ("gvp", "grad"),
          ("jax_fwd_rev", "jax_grad"))

#: Environment of each thread setting's child process (None: the variable is removed).
THREAD_SETTINGS: dict[str, dict[str, str | None]] = {
    "1": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
          "BLIS_NUM_THREADS": "1", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"},
    "default": {"OPENBLAS_NUM_THREADS": None, "OMP_NUM_THREADS": None, "MKL_NUM_THREADS": None,
                "BLIS_NUM_THREADS": None, "XLA_FLAGS": None},
}

#: A timed slot lasts at least this long (calls repeated within it and averaged), so that sub-millisecond
#: calls at the debug and digits sizes are not judged on one reading of the clock, nor on one preemption
#: by another process on a shared machine.
MIN_SLOT_S = 20e-3


@dataclass(frozen=True)
class Problem:
    """One timed problem: a size and its units."""

    size: Size
    activation: str
    output: str

    @property
    def name(self) -> str:
        return f"{self.size.name} {self.activation}/{self.output}"


def problems(quick: bool) -> list[Problem]:
    """The problems of a run: the course's sigmoid network at every size, other units at the course size."""
    if quick:
        debug, small, deep = parse_sizes("debug,40x6-5-3,30x6-5-4-3")
        return [Problem(debug, "sigmoid", "sigmoid"), Problem(small, "relu", "softmax"),
                Problem(deep, "tanh", "identity")]
    debug, digits, course, deep = parse_sizes("debug,digits,course,5000x400-50-30-20-10")
    return [Problem(debug, "sigmoid", "sigmoid"), Problem(digits, "sigmoid", "sigmoid"),
            Problem(course, "sigmoid", "sigmoid"), Problem(course, "relu", "softmax"),
            Problem(course, "tanh", "identity"), Problem(deep, "sigmoid", "sigmoid")]


# ----------------------------------------------------------------------------------------------
# one thread setting (the child process)
# ----------------------------------------------------------------------------------------------


def _rel(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """max |a − b| / max |b| over all blocks."""
    num = max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))
    den = max(float(np.max(np.abs(np.asarray(y)))) for y in b)
    return num / den if den else num


def _methods(pb: Problem) -> tuple[list[Method], dict[str, Any]]:
    """The five timed calls of one problem, and the accuracy figures of their results."""
    import jax

    from gradtrio import autodiff, backprop
    from gradtrio.model import validate

    thetas, X, Y = make_problem(pb.size)
    hidden = len(pb.size.layers) - 2
    problem, mats = validate(thetas, X, Y, LAM, activations=pb.activation, output=pb.output)
    rng = np.random.default_rng(1)
    vmats = [rng.standard_normal(T.shape) for T in mats]

    units = {"activation": (pb.activation,) * hidden, "output": pb.output}

    # The library's own jitted programs, called on device arrays (what autodiff.hvp and cost_and_grad run
    # after validating on the host): the compiled work alone, as the hand-written kernels are timed.
    hvp_j, vg_j = autodiff._jit_hvp, autodiff._jit_cost_and_grad
    dev = jax.devices("cpu")[0]
    Tj = [jax.device_put(T, dev) for T in mats]
    Vj = [jax.device_put(V, dev) for V in vmats]
    Xj, Yj = jax.device_put(problem.X, dev), jax.device_put(problem.Y, dev)
    lam = jax.device_put(np.asarray(LAM, dtype=problem.dtype), dev)

    methods = [
        Method("grad", lambda: backprop.kernel(problem, mats), "cpu", "backprop.kernel: cost and gradient"),
        Method("hvp", lambda: backprop.hvp_kernel(problem, mats, vmats), "cpu", "backprop.hvp_kernel: H V"),
        Method("gvp", lambda: backprop.gvp_kernel(problem, mats, vmats), "cpu", "backprop.gvp_kernel: G V"),
        Method("jax_fwd_rev", lambda: hvp_j(Tj, Xj, Yj, lam, Vj, **units), "cpu",
               "jit(jvp(grad(jax_cost))): H V, forward over reverse"),
        Method("jax_grad", lambda: vg_j(Tj, Xj, Yj, lam, **units), "cpu",
               "jit(value_and_grad(jax_cost)): cost and gradient"),
    ]
    # Accuracy, once, outside the timing.
    Hv, Gv = backprop.hvp_kernel(problem, mats, vmats), backprop.gvp_kernel(problem, mats, vmats)
    Hv_j = [np.asarray(b) for b in hvp_j(Tj, Xj, Yj, lam, Vj, **units)]
    _, grads = backprop.kernel(problem, mats)[::2]
    grads_j = [np.asarray(g) for g in vg_j(Tj, Xj, Yj, lam, **units)[1]]
    vGv = float(sum(np.vdot(v, g) for v, g in zip(vmats, Gv)))
    vHv = float(sum(np.vdot(v, h) for v, h in zip(vmats, Hv)))
    check = {"hvp_vs_jax_rel": _rel(Hv, Hv_j), "grad_vs_jax_rel": _rel(grads, grads_j), "vGv": vGv, "vHv": vHv}
    return methods, check


def _slot_inner(methods: list[Method]) -> None:
    """Calls per slot, so that each slot lasts at least :data:`MIN_SLOT_S` (set after the warm-up)."""
    for meth in methods:
        t0 = time.perf_counter()
        meth.fn()
        meth.inner = max(1, math.ceil(MIN_SLOT_S / max(time.perf_counter() - t0, 1e-9)))


def _quartiles(r: np.ndarray) -> dict[str, float]:
    q1, med, q3 = np.percentile(r, [25, 50, 75])
    return {"median": float(med), "q1": float(q1), "q3": float(q3), "min": float(r.min()),
            "max": float(r.max()), "n": int(r.size)}


def run_setting(setting: str, quick: bool, repeats: int, budget_s: float) -> dict[str, Any]:
    """Every problem under the current process's thread environment."""
    import jax

    jax.config.update("jax_enable_x64", True)
    load_start = os.getloadavg()
    cases = []
    for pb in problems(quick):
        methods, check = _methods(pb)
        for meth in methods:  # JAX results synced before the clock stops; warm-up (JAX compiles here)
            meth.fn = (lambda f: lambda: sync(f()))(meth.fn)
            meth.fn()
        _slot_inner(methods)
        times, _, first, failed = run_interleaved(methods, repeats, budget_s)
        if failed:
            raise RuntimeError(f"{pb.name}: {failed}")
        ratios = {f"{a}/{b}": _quartiles(np.asarray(times[a]) / np.asarray(times[b])) for a, b in RATIOS}
        cases.append({
            "problem": pb.name, "size": pb.size.name, "describe": pb.size.describe(),
            "activation": pb.activation, "output": pb.output, "n_params": pb.size.n_params,
            "methods": {m.name: {**summarize(times[m.name]), "label": m.label, "inner": m.inner,
                                 "first_call_s": first[m.name]} for m in methods},
            "ratios": ratios, "check": check,
        })
        print(f"[threads {setting}] {pb.name:28s} hvp/grad {ratios['hvp/grad']['median']:.2f}  "
              f"hvp/jax_fwd_rev {ratios['hvp/jax_fwd_rev']['median']:.2f}  "
              f"gvp/hvp {ratios['gvp/hvp']['median']:.2f}", flush=True)
    return {"setting": setting, "env": collect_environment(), "cases": cases,
            "loadavg_1min": [load_start[0], os.getloadavg()[0]]}


# ----------------------------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------------------------


def _cell(r: dict) -> str:
    return f"{r['median']:.2f} ({r['q1']:.2f}–{r['q3']:.2f})"


def evaluate_targets(settings: list[dict]) -> list[dict[str, Any]]:
    """The three targets at the course size, sigmoid network, in each thread setting run."""
    out = []
    for s in settings:
        case = next((c for c in s["cases"] if c["size"] == "course" and c["activation"] == "sigmoid"), None)
        for ratio, op, thr, what in (("hvp/grad", "<=", HVP_VS_GRAD_MAX, "hvp ≤ 2.5 × one cost_and_grad"),
                                     ("hvp/jax_fwd_rev", "<=", HVP_VS_JAX_MAX, "hvp ≤ JAX jit forward-over-reverse"),
                                     ("gvp/hvp", "<", GVP_VS_HVP_MAX, "gvp < hvp")):
            t = {"target": f"{what}, course size, threads {s['setting']}", "threshold": f"{op} {thr:g}"}
            if case is None:
                out.append({**t, "status": "not measured (course size not run)", "measured": None})
                continue
            r = case["ratios"][ratio]
            ok = r["median"] <= thr if op == "<=" else r["median"] < thr
            out.append({**t, "measured": r["median"], "measured_text": f"{_cell(r)}, {r['n']} rounds",
                        "status": "met" if ok else "not met"})
    return out


def markdown(res: dict) -> str:
    """The report: environment, targets, ratios, times and checks."""
    lines = ["# Second order: Hessian- and Gauss-Newton-vector products against a gradient and JAX", ""]
    lines += _env_lines(res["env"])
    for s in res["settings"]:
        pools = s["env"]["threads"].get("threadpools")
        text = ("; ".join(f"{p['internal_api']} ({p['prefix']}): {p['num_threads']}" for p in pools)
                if isinstance(pools, list) else str(pools))
        xla = s["env"]["threads"]["env"].get("XLA_FLAGS")
        load = s.get("loadavg_1min")
        lines.append(f"- **Thread setting `{s['setting']}`**: {text}; XLA_FLAGS {xla!r}"
                     + (f"; 1-minute load average {load[0]:.1f} at the start, {load[1]:.1f} at the end "
                        f"(on {s['env']['cpus_usable']} usable CPUs)" if load else ""))
    lines += ["", "Medians of per-round ratios (quartiles in brackets) of interleaved rounds; each thread "
              "setting is its own process. `grad`: `backprop.kernel` (cost and gradient); `hvp`, `gvp`: "
              "`backprop.hvp_kernel`, `backprop.gvp_kernel`; `jax_fwd_rev`: `jit(jvp(grad(jax_cost)))`; "
              "`jax_grad`: `jit(value_and_grad(jax_cost))`. All float64 on the CPU, λ = 1, V standard "
              "normal.", "", "### Targets", "",
              "| target | threshold | measured (median, quartiles) | status |", "|---|---|---|---|"]
    for t in res["targets"]:
        lines.append(f"| {t['target']} | {t['threshold']} | {t.get('measured_text', '')} | {t['status']} |")
    lines += ["", "### Ratios", "", "| threads | problem | " + " | ".join(f"{a}/{b}" for a, b in RATIOS)
              + " | rounds |", "|---|---|" + "---:|" * (len(RATIOS) + 1)]
    for s in res["settings"]:
        for c in s["cases"]:
            n = c["ratios"]["hvp/grad"]["n"]
            lines.append(f"| {s['setting']} | {c['describe']} {c['activation']}/{c['output']} | "
                         + " | ".join(_cell(c["ratios"][f"{a}/{b}"]) for a, b in RATIOS) + f" | {n} |")
    lines += ["", "### Times (median of per-round times; calls per slot in brackets when more than one)", "",
              "| threads | problem | " + " | ".join(METHODS) + " |", "|---|---|" + "---:|" * len(METHODS)]
    for s in res["settings"]:
        for c in s["cases"]:
            cells = []
            for name in METHODS:
                m = c["methods"][name]
                cells.append(fmt_time(m["median_s"]) + (f" (×{m['inner']})" if m["inner"] > 1 else ""))
            lines.append(f"| {s['setting']} | {c['describe']} {c['activation']}/{c['output']} | "
                         + " | ".join(cells) + " |")
    lines += ["", "### Checks (once, outside the timing)", "",
              "max |H V − H V_jax| / max |H V_jax|, the gradient's likewise, and the curvatures along V.", "",
              "| threads | problem | hvp vs jax | grad vs jax | vᵀHv | vᵀGv |", "|---|---|---:|---:|---:|---:|"]
    for s in res["settings"]:
        for c in s["cases"]:
            k = c["check"]
            lines.append(f"| {s['setting']} | {c['describe']} {c['activation']}/{c['output']} | "
                         f"{k['hvp_vs_jax_rel']:.1e} | {k['grad_vs_jax_rel']:.1e} | {k['vHv']:.4g} | {k['vGv']:.4g} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------------------------------


def _child(setting: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    for k, v in THREAD_SETTINGS[setting].items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "setting.json"
        cmd = [sys.executable, "-m", "benchmarks.second_order_speed", "--_child", str(path), "--_setting", setting,
               "--repeats", str(args.repeats), "--budget", str(args.budget)] + (["--quick"] if args.quick else [])
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"thread setting {setting!r}: the child process exited with {r.returncode}")
        return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    """Run every thread setting, write ``speed.json`` and ``speed.md``; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 3 rounds (a smoke test)")
    ap.add_argument("--threads", help="thread settings: any of 1,default (default both; quick 1)")
    ap.add_argument("--repeats", type=int, help="timed rounds per problem (default 21; quick 3)")
    ap.add_argument("--budget", type=float, help="soft limit (s) of one problem's rounds (default 30; quick 2)")
    ap.add_argument("--out", type=Path, help="output folder (default benchmarks/results/second_order[-quick])")
    ap.add_argument("--_child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_setting", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 21)
    args.budget = args.budget or (2.0 if args.quick else 30.0)
    args.threads = args.threads or ("1" if args.quick else "1,default")
    settings = [s.strip() for s in args.threads.split(",") if s.strip()]
    bad = [s for s in settings if s not in THREAD_SETTINGS]
    if bad or not settings or args.repeats < 1:
        print(f"second_order_speed: error: --threads takes {', '.join(THREAD_SETTINGS)} and --repeats >= 1; "
              f"got --threads {args.threads!r} --repeats {args.repeats}", file=sys.stderr)
        return 2
    if args._child is not None:
        select_jax_platform("cpu")
        args._child.write_text(json.dumps(run_setting(args._setting, args.quick, args.repeats, args.budget)))
        return 0

    results = [_child(s, args) for s in settings]
    select_jax_platform("cpu")
    import jax

    jax.config.update("jax_enable_x64", True)  # as in the children (the environment records the switch)
    argv_shown = (["--quick"] if args.quick else []) + ["--threads", ",".join(settings), "--repeats", str(args.repeats)]
    env = collect_environment(argv_shown)
    env["command"] = "python -m benchmarks.second_order_speed " + " ".join(argv_shown)
    res = {"schema": 1, "env": env, "settings": results, "targets": evaluate_targets(results),
           "thresholds": {"hvp/grad": HVP_VS_GRAD_MAX, "hvp/jax_fwd_rev": HVP_VS_JAX_MAX, "gvp/hvp": GVP_VS_HVP_MAX}}
    out = args.out or RESULTS_DIR / ("second_order-quick" if args.quick else "second_order")
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(res, indent=1) + "\n")
    (out / "speed.md").write_text(markdown(res))
    for t in res["targets"]:
        print(f"{t['target']}: {t.get('measured_text', '')} {t['status']}")
    print(f"wrote {out / 'speed.md'} and speed.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
