"""How long ``gradtrio verify`` takes on students' implementations (the verify issue's speed target).

``python -m benchmarks.verify_speed [--out DIR] [--repeats N]`` times, for a choice of the corpus
(``tests/corpus``: per-example loops, vectorized, ``np.matrix``, pandas, correct and buggy), the whole
command ``gradtrio verify FILE.py:nnCostFunction --no-timing`` in a fresh process (what a student waits
for: Python, NumPy and JAX imports included) and :func:`gradtrio.testing.verify` in this process after a
first call (the verdict's own work), at the default number of examples. Medians of ``--repeats`` runs.
The target: a verdict within about :data:`VERIFY_SECONDS_MAX` seconds on 2 cores.
Writes ``results.json`` and ``results.md`` into ``--out`` (default ``benchmarks/results/verify``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .env import collect_environment

#: The verify issue's target: a verdict for a course-signature implementation within about 10 s on 2 cores.
VERIFY_SECONDS_MAX = 10.0

ROOT = Path(__file__).resolve().parent.parent
#: Corpus entries timed: loops (the slowest way students write it), vectorized, np.matrix, pandas, and
#: failing ones (which also pay for the diagnosis and the shrunk counterexample).
ENTRIES = ("c01_loop_f_labels1k_col", "c07_loop_c_labels0k_col", "c10_loop_f_onehot", "c02_vec_c_labels1k_flat_expit",
           "c03_matrix_f_labels1k_flat", "c05_pandas_c_labels0k_flat", "b_lambda_not_divided_by_m",
           "b_cost_penalty_not_divided_by_m", "x_loop_drops_last_example", "x_stale_a2_in_loop")


def _cli_seconds(entry: str) -> tuple[float, int]:
    path = ROOT / "tests" / "corpus" / f"{entry}.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "gradtrio", "verify", f"{path}:nnCostFunction", "--no-timing"],
                       capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0, r.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "verify")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.corpus import manifest

    from gradtrio.testing import verify
    from gradtrio.testing.verifier import DEFAULT_EXAMPLES

    verify(manifest.load(ENTRIES[0]).nnCostFunction, signature="course")  # imports, JAX's first compile
    rows = []
    for entry in ENTRIES:
        exp = dict(manifest.entries())[entry]
        fn = getattr(manifest.load(entry), exp["function"])
        inproc, verdicts = [], set()
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            verdicts.add(verify(fn, signature="course").verdict)
            inproc.append(time.perf_counter() - t0)
        cli = [_cli_seconds(entry) for _ in range(args.repeats)]
        rows.append({"entry": entry, "bug": exp["bug"] or "-", "verdicts": sorted(verdicts),
                     "exit_codes": sorted({rc for _, rc in cli}),
                     "verify_s": statistics.median(inproc), "cli_s": statistics.median(t for t, _ in cli)})
        print(f"{entry:34s} {rows[-1]['verify_s']:6.2f} s in-process, {rows[-1]['cli_s']:6.2f} s command", flush=True)
    env = collect_environment(["--out", str(args.out), "--repeats", str(args.repeats)])
    env["command"] = f"python -m benchmarks.verify_speed --repeats {args.repeats}"
    worst = max(r["cli_s"] for r in rows)
    result = {"environment": env, "examples": DEFAULT_EXAMPLES, "target_s": VERIFY_SECONDS_MAX, "rows": rows,
              "worst_cli_s": worst, "target_met": worst <= VERIFY_SECONDS_MAX}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"# gradtrio verify: seconds to a verdict ({DEFAULT_EXAMPLES} drawn problems + 2 debug problems)", "",
             f"`{env['command']}` on {env['cpu_model']} ({env['cpus_usable']} usable CPUs), {env['date_utc']}, "
             f"git {env['git'].get('commit', '?')[:10]}. Medians of {args.repeats} runs.", "",
             "| implementation | bug | verdict | exit | `verify()` in process (s) | `gradtrio verify` command (s) |",
             "|---|---|---|---|---:|---:|"]
    for r in rows:
        lines.append(f"| `{r['entry']}` | {r['bug']} | {', '.join(r['verdicts'])} | "
                     f"{', '.join(map(str, r['exit_codes']))} | {r['verify_s']:.2f} | {r['cli_s']:.2f} |")
    lines += ["", f"Target: a verdict within about {VERIFY_SECONDS_MAX:g} s on 2 cores. Slowest command: "
              f"{worst:.2f} s — {'met' if worst <= VERIFY_SECONDS_MAX else 'NOT met'}."]
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
