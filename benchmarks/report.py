"""Targets, the markdown report and the plot, all computed from the results dict of one run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["evaluate_targets", "markdown", "plot", "fmt_time"]

# The project's performance targets (ratios within one run), with their thresholds.
BACKPROP_VS_JIT_MAX = 1.0  # backprop cost_and_grad no slower than jax.jit(value_and_grad) on the CPU
BACKPROP_VS_FLOOR_MAX = 1.5  # backprop within 1.5x the matrix products alone, course size
KERNEL_VS_FLOOR_DIGITS_MAX = 1.5  # the training path's cost + gradient within 1.5x the products, digits size
KERNEL_VS_FLOOR_COURSE_MAX = 1.3  # ... and within 1.3x at the course size
TRAIN_SPEEDUP_MIN = 5.0  # gradtrio training at least 5x faster than MLPClassifier (same objective)
FD_BATCHED_VS_COSTS_MAX = 1.2  # batched central differences within 1.2x of 2 x params x one cost
GPU_FD_COURSE_MAX_S = 1.0  # "well under a second": reported against 1 s, with the measured time


def fmt_time(s: float) -> str:
    """Seconds in the unit that keeps 3 significant digits readable (µs, ms, s)."""
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _find(results: dict, case: str, size: str | None = None, dtype: str | None = None) -> dict | None:
    for c in results.get("cases", []):
        if (c["case"] == case and (size is None or c.get("size") == size)
                and (dtype is None or c.get("dtype") == dtype)):
            return c
    return None


def _ratio_target(results: dict, name: str, case: str, size: str, dtype: str, ratio: str, op: str,
                  threshold: float, need_cpu: tuple[str, ...] = ()) -> dict[str, Any]:
    t = {"target": name, "threshold": f"{op} {threshold:g}", "measured": None}
    if need_cpu and results.get("device") != "cpu":
        # The CPU targets are stated for the project's 2-core CPU: judged in the CPU run only.
        return {**t, "status": "not measured (a CPU target: judged in the --device cpu run)"}
    c = _find(results, case, size, dtype)
    if c is None:
        return {**t, "status": f"not measured ({case} at size {size!r} {dtype} was not run)"}
    for meth in need_cpu:
        m = c["methods"].get(meth)
        if m is None:
            return {**t, "status": f"not measured ({meth}: {c['skipped'].get(meth, 'not run')})"}
        if m["device"] != "cpu":
            return {**t, "status": f"not measured ({meth} ran on {m['device']}; this is a CPU target)"}
    r = c.get("ratios", {}).get(ratio)
    if r is None:
        return {**t, "status": f"not measured (no ratio {ratio}; skipped: {c.get('skipped')})"}
    value = r["median"]
    ok = value <= threshold if op == "<=" else value >= threshold
    return {**t, "measured": value, "measured_text": f"{value:.2f}× (min {r['min']:.2f}, max {r['max']:.2f}, "
            f"{r['n']} rounds)", "status": "met" if ok else "not met"}


def evaluate_targets(results: dict) -> list[dict[str, Any]]:
    """Each target as met / not met with the measured ratio, or why it was not measured."""
    out = [
        _ratio_target(results, "backprop cost_and_grad ≤ autodiff jit (CPU), course size",
                      "costgrad", "course", "float64", "backprop/jax_jit", "<=", BACKPROP_VS_JIT_MAX,
                      ("backprop", "jax_jit")),
        _ratio_target(results, "backprop cost_and_grad ≤ autodiff jit (CPU), digits size",
                      "costgrad", "digits", "float64", "backprop/jax_jit", "<=", BACKPROP_VS_JIT_MAX,
                      ("backprop", "jax_jit")),
        _ratio_target(results, "backprop cost_and_grad ≤ 1.5× the matmul floor, course size",
                      "costgrad", "course", "float64", "backprop/floor", "<=", BACKPROP_VS_FLOOR_MAX,
                      ("backprop", "floor")),
        _ratio_target(results, "training path's cost + gradient (backprop_kernel) ≤ 1.5× the matmul floor, digits",
                      "costgrad", "digits", "float64", "backprop_kernel/floor", "<=", KERNEL_VS_FLOOR_DIGITS_MAX,
                      ("backprop_kernel", "floor")),
        _ratio_target(results, "training path's cost + gradient (backprop_kernel) ≤ 1.3× the matmul floor, course",
                      "costgrad", "course", "float64", "backprop_kernel/floor", "<=", KERNEL_VS_FLOOR_COURSE_MAX,
                      ("backprop_kernel", "floor")),
        _ratio_target(results,
                      "batched central differences (CPU) ≤ 1.2× of 2 × parameters × one cost, course",
                      "gradcheck", "course", "float64", "fd_batched/(2n·cost)", "<=", FD_BATCHED_VS_COSTS_MAX,
                      ("fd_batched", "cost")),
    ]
    # Training: speed-up and accuracy together.
    t = {"target": "training on the digits ≥ 5× faster than MLPClassifier, at ≥ its accuracy",
         "threshold": f">= {TRAIN_SPEEDUP_MIN:g}× and accuracy >=", "measured": None}
    c = _find(results, "train")
    r = c.get("ratios", {}).get("sklearn/gradtrio") if c else None
    if c is None or r is None:
        reason = "train case not run" if c is None else f"skipped: {c.get('skipped')}"
        out.append({**t, "status": f"not measured ({reason})"})
    else:
        acc_g = c["methods"]["gradtrio"].get("check", {}).get("test_accuracy")
        acc_s = c["methods"]["sklearn"].get("check", {}).get("test_accuracy")
        ok = r["median"] >= TRAIN_SPEEDUP_MIN and acc_g is not None and acc_s is not None and acc_g >= acc_s
        out.append({**t, "measured": r["median"], "measured_text": f"{r['median']:.2f}× faster; accuracy "
                    f"{acc_g:.4f} vs {acc_s:.4f}", "status": "met" if ok else "not met"})
    # GPU: batched finite differences at the course size.
    t = {"target": "GPU: full central-difference gradient at the course size well under a second",
         "threshold": f"< {GPU_FD_COURSE_MAX_S:g} s", "measured": None}
    c = _find(results, "gradcheck", "course", "float64")
    gpu = {k: m for k, m in (c or {}).get("methods", {}).items()
           if k.startswith("fd_batched") and m["device"] == "gpu"}
    if not gpu:
        out.append({**t, "status": "not measured (no GPU run of gradcheck at the course size)"})
    else:
        name, best = min(gpu.items(), key=lambda kv: kv[1]["median_s"])
        out.append({**t, "measured": best["median_s"],
                    "measured_text": f"{fmt_time(best['median_s'])} ({name})",
                    "status": "met" if best["median_s"] < GPU_FD_COURSE_MAX_S else "not met"})
    return out


# ----------------------------------------------------------------------------------------------
# markdown
# ----------------------------------------------------------------------------------------------


def _env_lines(env: dict) -> list[str]:
    v = env["versions"]
    jx = env["jax"]
    th = env["threads"]
    pools = th.get("threadpools")
    if isinstance(pools, list):
        pools_text = "; ".join(f"{p['internal_api']} {p.get('version') or ''} ({p['prefix']}): "
                               f"{p['num_threads']} threads" for p in pools)
    else:
        pools_text = str(pools)
    set_env = {k: val for k, val in th["env"].items() if val is not None}
    lines = [
        f"- **Date**: {env['date_utc']}; command `{env['command']}`; gradtrio commit "
        f"{env['git']['commit'][:12]}{' (uncommitted changes)' if env['git'].get('dirty') else ''}",
        f"- **Machine**: {env['platform']}; CPU {env['cpu_model']}, {env['cpu_count']} logical cores "
        f"({env['cpus_usable']} usable)",
        f"- **Versions**: Python {env['python']}, " + ", ".join(f"{k} {v[k]}" for k in v),
        f"- **Threads**: {pools_text}; torch threads: {th.get('torch_num_threads')}; "
        f"environment: {set_env or 'no thread variables set (library defaults)'}",
    ]
    if jx.get("available"):
        lines.append(f"- **JAX**: backend {jx['backend']}, devices {', '.join(jx['devices'])}; x64 "
                     f"{'on' if jx['x64_enabled'] else 'off'}; default matmul precision "
                     f"{jx['default_matmul_precision']} (None = 'default': TF32 for float32 products on "
                     f"NVIDIA GPUs)")
    else:
        lines.append(f"- **JAX**: unavailable ({jx.get('reason')})")
    return lines


def _cell_time(m: dict) -> tuple[str, str]:
    return fmt_time(m["median_s"]), f"{fmt_time(m['min_s'])} – {fmt_time(m['max_s'])}"


def _method_cells(name: str, m: dict) -> list[str]:
    """method, device, median, min – max, rounds."""
    med, rng = _cell_time(m)
    return [f"`{name}`", m["device"], med, rng, str(m["repeats"])]


def _table_head(title: str, intro: str, head: list[str]) -> list[str]:
    return [f"### {title}", "", intro, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]


def _ratio_cell(case: dict, name: str, ref: str) -> str:
    r = case["ratios"].get(f"{name}/{ref}")
    return "" if r is None else f"{r['median']:.2f}"


def _check_cell(m: dict, key: str) -> str:
    c = m.get("check")
    if not c:
        return ""
    if "error" in c:
        return f"check failed: {c['error']}"
    return f"{c[key]:.1e}" if key in c else ""


def _skipped_lines(cases: list[dict]) -> list[str]:
    seen: dict[tuple[str, str], list[str]] = {}
    for c in cases:
        for name, reason in c.get("skipped", {}).items():
            seen.setdefault((name, reason), []).append(f"{c.get('size')} {c.get('dtype', '')}".strip())
    return [f"- `{name}` ({', '.join(where)}): {reason}" for (name, reason), where in seen.items()]


def _costgrad_md(cases: list[dict], dtype: str) -> list[str]:
    rows = [c for c in cases if c["case"] == "costgrad" and c["dtype"] == dtype]
    if not rows:
        return []
    gpu = any(m["device"] == "gpu" for c in rows for m in c["methods"].values())
    head = ["size", "method", "device", "median", "min – max", "n", "× floor", "× jax_jit", "× backprop"]
    if gpu:
        head.insert(8, "× floor_jax")
    head.append("max rel. error of ∇J")
    out = _table_head(f"Cost + gradient, {dtype}",
                      "Time of one call; `× ref`: median over rounds of (this method's time / the "
                      "reference's time in the same round). Error: max |∇J − ∇J_ref| / max |∇J_ref|, "
                      "the reference being float64 `backprop.cost_and_grad` on the same inputs.", head)
    for c in rows:
        for name, m in c["methods"].items():
            cells = [f"{c['size']} ({c['problem']})", *_method_cells(name, m),
                     _ratio_cell(c, name, "floor"), _ratio_cell(c, name, "jax_jit"),
                     _ratio_cell(c, name, "backprop")]
            if gpu:
                cells.insert(8, _ratio_cell(c, name, "floor_jax"))
            cells.append(_check_cell(m, "grad_max_rel_diff"))
            out.append("| " + " | ".join(cells) + " |")
    prec = {m.get("matmul_precision") for c in rows for m in c["methods"].values()
            if m.get("matmul_precision")}
    if dtype == "float32" and gpu:
        out += ["", f"float32 JAX matmul precision settings in this table: {sorted(prec)} "
                "(`None`/'default' = TF32 on NVIDIA GPUs; `jax_jit[highest]` is true float32)."]
    return out + [""]


def _gradcheck_md(cases: list[dict]) -> list[str]:
    rows = [c for c in cases if c["case"] == "gradcheck"]
    if not rows:
        return []
    head = ["size", "method", "device", "median", "min – max", "n", "cost evaluations", "batch",
            "× (2n·cost)", "× (evals·cost)", "× backprop", "max rel. error vs backprop"]
    out = _table_head("Gradient checking, float64",
                      "`× (2n·cost)`: this method's time over 2 × parameters × one cost evaluation (`cost`, "
                      "NumPy), round by round — the yardstick for a full central-difference gradient. "
                      "`× (evals·cost)`: over as many single cost evaluations as the method makes (its overhead "
                      "or gain per evaluation). `batch`: coordinates perturbed per batched call.", head)
    for c in rows:
        for name, m in c["methods"].items():
            cells = [f"{c['size']} ({c['problem']}, {c['n_params']} params)", *_method_cells(name, m),
                     str(m.get("evaluations", "")), str(m.get("batch_size", "")),
                     _ratio_cell(c, name, "(2n·cost)"), _ratio_cell(c, name, "(evals·cost)"),
                     _ratio_cell(c, name, "backprop"), _check_cell(m, "grad_max_rel_diff")]
            out.append("| " + " | ".join(cells) + " |")
    return out + [""]


def _train_md(cases: list[dict]) -> list[str]:
    c = next((c for c in cases if c["case"] == "train"), None)
    if c is None:
        return []
    out = ["### Training, embedded digits", "", f"Problem: {c.get('problem', '')}; λ = {c['lam']:g}, at most "
           f"{c['maxiter']} L-BFGS-B iterations, each under its default environment "
           "(threads as listed above).", "",
           "| method | median | min – max | n | × gradtrio | iterations | final cost (gradtrio's J) "
           "| test accuracy |",
           "|---|---|---|---|---|---|---|---|"]
    for name, m in c.get("methods", {}).items():
        med, rng = _cell_time(m)
        ch = m.get("check", {})
        out.append(f"| `{name}` | {med} | {rng} | {m['repeats']} | {_ratio_cell(c, name, 'gradtrio')} | "
                   f"{ch.get('iterations', '')} | {ch.get('final_cost', float('nan')):.6f} | "
                   f"{ch.get('test_accuracy', float('nan')):.4f} |")
    out += [""] + [f"- {m['label']}" for m in c.get("methods", {}).values()]
    return out + [""]


def _objective_md(results: dict) -> list[str]:
    o = results.get("objective")
    if not o:
        return []
    out = ["### Same objective: MLPClassifier(activation='logistic', alpha=λ) on one-hot Y", ""]
    if o.get("skipped"):
        out.append(f"Skipped: {o['skipped']}")
    if o["problems"]:
        out += ["| problem | J gradtrio | J scikit-learn | abs. diff | max abs. diff of ∇J "
                "| max rel. diff of ∇J |",
                "|---|---|---|---|---|---|"]
        for p in o["problems"]:
            out.append(f"| {p['problem']} | {p['cost_gradtrio']:.12f} | {p['cost_sklearn']:.12f} | "
                       f"{p['cost_abs_diff']:.1e} | {p['grad_max_abs_diff']:.1e} | "
                       f"{p['grad_max_rel_diff']:.1e} |")
    return out + [""]


def markdown(results: dict) -> str:
    """The whole report, ready to paste into the README."""
    cases = results.get("cases", [])
    out = [f"## Benchmark results ({results['device']} run{', quick mode' if results['quick'] else ''})", ""]
    out += _env_lines(results["env"]) + [""]
    out += ["### Targets", "", "| target | threshold | measured (median of per-round ratios) | status |",
            "|---|---|---|---|"]
    for t in results.get("targets", []):
        out.append(f"| {t['target']} | {t['threshold']} | {t.get('measured_text', '—')} | {t['status']} |")
    out.append("")
    for dtype in ("float64", "float32"):
        out += _costgrad_md(cases, dtype)
    out += _gradcheck_md(cases)
    out += _train_md(cases)
    out += _objective_md(results)
    if results.get("errors"):
        out += ["### Errors (cases that raised; tracebacks in results.json)", ""]
        out += [f"- {e.splitlines()[-1] if e.strip() else e}" for e in results["errors"]] + [""]
    skipped = _skipped_lines(cases)
    if skipped:
        out += ["### Skipped", ""] + skipped + [""]
    labels = {}
    for c in cases:
        for name, m in c.get("methods", {}).items():
            labels.setdefault(name, m["label"])
    out += ["### What each method is", ""] + [f"- `{k}`: {v}" for k, v in labels.items()] + [""]
    out.append(f"Total wall time of the run: {results.get('total_wall_s', 0):.1f} s.")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------
# plot
# ----------------------------------------------------------------------------------------------


def plot(results: dict, path: Path) -> Path | None:
    """Log-log time against problem size (m × Σ weights) per method: one panel per case and dtype."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[tuple[str, Callable[[dict], bool]]] = [
        ("cost + gradient, float64", lambda c: c["case"] == "costgrad" and c["dtype"] == "float64"),
        ("cost + gradient, float32", lambda c: c["case"] == "costgrad" and c["dtype"] == "float32"),
        ("gradient checking, float64", lambda c: c["case"] == "gradcheck"),
    ]
    panels = [(t, f) for t, f in panels if any(f(c) and c.get("methods") for c in results.get("cases", []))]
    if not panels:
        return None
    names = sorted({f"{n} ({m['device']})" for c in results["cases"]
                    for n, m in c.get("methods", {}).items()})
    cmap = plt.get_cmap("tab20")
    colour = {name: cmap(i % 20) for i, name in enumerate(names)}  # one colour per method in every panel
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.8), squeeze=False)
    for ax, (title, keep) in zip(axes[0], panels):
        series: dict[str, list[tuple[int, float, float, float]]] = {}
        for c in results["cases"]:
            if not keep(c):
                continue
            for name, m in c["methods"].items():
                key = f"{name} ({m['device']})"
                series.setdefault(key, []).append((c["work"], m["median_s"], m["min_s"], m["max_s"]))
        for key, pts in sorted(series.items()):
            pts.sort()
            x = [p[0] for p in pts]
            y = [p[1] for p in pts]
            err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
            style = "--" if "floor" in key else "-"
            ax.errorbar(x, y, yerr=err, fmt=style + "o", ms=4, capsize=2, label=key, color=colour[key])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("problem size: m × Σ weights (multiply-adds of one forward pass)")
        ax.set_ylabel("time per call, s (median, min–max bars)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    env = results["env"]
    fig.suptitle(f"gradtrio benchmarks, {results['device']} run — {env['cpu_model']}, "
                 f"{env['jax'].get('device_kind', '')}, {env['date_utc']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
