"""Second-order checkers against the second-order mutant catalog: which checker catches which bug of a
hand-written Hessian- or Gauss-Newton-vector product, and whether the diagnosis names it.

    python -m benchmarks.bench_second_order           # the table in the README (~1-2 min on 2 cores)
    python -m benchmarks.bench_second_order --quick   # a smoke run: 2 problems per network, 4 mutants

Rows: one control (the correct product, :func:`gradtrio.backprop.hvp` or ``gvp``'s algorithm) per product
and network, then every mutant of :data:`gradtrio.catalog.second_order.SECOND_ORDER_CATALOG`, each on its
network's seeded judging problems (:func:`gradtrio.catalog.second_order.judge_problems`). Columns: the
checkers of :mod:`gradtrio.catalog.second_order_study`; a cell is "k/N", flagged on k of the N problems
(a mutant is caught by a checker when k > 0), "—" where the checker does not apply to the product.
*differs*: problems on which the mutant's product differs from the correct one beyond rounding (a bug
that needs λ > 0 is the correct product on the λ = 0 problem). *diagnosis*: the catalog bugs
:func:`~gradtrio.catalog.second_order_study.diagnose_products` names from the row's products alone.

Writes ``checkers.json`` and ``checkers.md`` under ``benchmarks/results/second_order/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

try:
    from benchmarks.env import collect_environment
except ImportError:  # pragma: no cover - run as a file
    from .env import collect_environment

OUT_DIR = Path(__file__).resolve().parent / "results" / "second_order"
QUICK_MUTANTS = ("gpp_term_dropped", "bias_Ra_not_zero", "penalty_on_bias", "gvp_with_hessian_terms")
LABELS = {"jax": "JAX jvp(grad)", "central": "central diff.", "symmetry": "uᵀHv = vᵀHu", "taylor": "Taylor slope 2",
          "psd": "vᵀGv ≥ 0", "g_equals_h": "G = H (no hidden)"}


def study(problems: int | None, names: tuple[str, ...] | None) -> list[dict[str, Any]]:
    from gradtrio.catalog.second_order import judge_problems
    from gradtrio.catalog.second_order_study import diagnose_products, second_order_table

    rows = []
    for row in second_order_table(problems=problems, names=names):
        mu = row.mutant
        ps = judge_problems(mu.activation, mu.output, count=problems)
        named = [d.name for d in diagnose_products([mu.on(p) for p in ps], ps, mu.product)]
        d = row.to_dict()
        d["diagnosis"] = named
        rows.append(d)
        print(f"  {d['mutant']}: caught {row.caught}, diagnosis {named or 'none'}", flush=True)
    return rows


def _cell(res: dict[str, Any] | None) -> str:
    return "—" if res is None else f"{res['flagged']}/{res['of']}"


def markdown(results: dict[str, Any]) -> str:
    from gradtrio.catalog.second_order_study import SECOND_ORDER_CHECKERS

    env = results["environment"]
    head = ["mutant", "product", "network", "differs"] + [LABELS[c] for c in SECOND_ORDER_CHECKERS] + ["diagnosis"]
    lines = [
        "### Second-order checkers against the second-order mutant catalog",
        "",
        f"`{results['command']}` — {env['date_utc']}, {env['cpu_model']} ({env['cpus_usable']} usable CPUs), "
        f"Python {env['python']}, numpy {env['versions']['numpy']}, jax {env['versions']['jax']}. One BLAS "
        f"thread, float64, {results['seconds']:.0f} s.",
        "",
        "Each row on its network's seeded judging problems (sizes 3-5-3, 4-5-4-3, 2-4-3, 3-6-2; m = 5, 7, 6, 4; "
        "λ = 3, 1, 0, 3). A cell is k/N: flagged on k of the N problems; — : the checker does not apply to the "
        "product. *differs*: problems where the product differs from the correct one. *diagnosis*: what the "
        "catalog diagnosis names from the row's products alone. Control rows must be 0 everywhere.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for r in results["rows"]:
        name = r["mutant"] if r["kind"] == "mutant" else f"*control* ({r['product']})"
        diag = ", ".join(f"`{n}`" for n in r["diagnosis"]) or "none"
        cells = [f"`{name}`" if r["kind"] == "mutant" else name, r["product"], r["network"],
                 f"{r['differs']}/{r['problems']}"]
        cells += [_cell(r["results"][c]) for c in SECOND_ORDER_CHECKERS] + [diag]
        lines.append("| " + " | ".join(cells) + " |")
    mutants = [r for r in results["rows"] if r["kind"] == "mutant"]
    caught = sum(any(v and v["detected"] for v in r["results"].values()) for r in mutants)
    named = sum(r["mutant"] in r["diagnosis"] for r in mutants)
    false = sum(any(v and v["detected"] for v in r["results"].values()) for r in results["rows"]
                if r["kind"] == "control")
    lines += ["", f"{caught} of {len(mutants)} mutants caught by at least one checker; the diagnosis names "
              f"{named} of {len(mutants)}; control rows flagged: {false}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 problems per network and 4 mutants (smoke run)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    command = "python -m benchmarks.bench_second_order" + ("" if not argv else " " + " ".join(argv))
    start = time.perf_counter()
    with threadpool_limits(1):
        rows = study(2 if args.quick else None, QUICK_MUTANTS if args.quick else None)
    results = {"command": command, "environment": collect_environment(argv), "seconds": time.perf_counter() - start,
               "rows": rows}
    results["environment"]["command"] = command
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "checkers.json").write_text(json.dumps(results, indent=1, default=str))
    (args.out / "checkers.md").write_text(markdown(results))
    print(f"wrote {args.out / 'checkers.json'} and {args.out / 'checkers.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
