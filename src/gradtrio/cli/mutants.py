"""``gradtrio mutants``: the detection table of :mod:`gradtrio.catalog`, as Markdown or JSON.

The study itself (checkers, :func:`gradtrio.catalog.detection_table`) lives in the catalog; this
module formats its rows, registers the command's options and runs it with a progress bar.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from ..catalog import CATALOG, CONTROL, FULL_BUDGET, QUICK_BUDGET, CheckResult, DetectionRow, detection_table
from ..catalog.study import judged_on
from .interrupts import defer_interrupts, restore_interrupts
from .progress import Progress

__all__ = ["format_table", "table_to_dict", "add_cli_arguments", "run_from_cli", "cmd_mutants", "main"]

_DESCRIPTION = "A catalog of classic backpropagation bugs, and the table of which checker catches which."


def _cell(r: CheckResult) -> str:
    return f"{'**caught**' if r.detected else 'missed'} ({r.evaluations}{', crash' if r.crash else ''})"


def format_table(rows: Sequence[DetectionRow]) -> str:
    """The detection table as Markdown: one row per mutant, one column per checker.

    A cell reads ``caught (n)`` or ``missed (n)``: n is the number of evaluations spent (for
    Hypothesis, the median number of examples to the first failure); ``crash`` marks a detection by
    an exception (or a NaN/inf) rather than a wrong number. On a control row, "caught" would be a
    false alarm. The network column gives the hidden units and the output the row is computed on
    (after "shows only with", so that the table's first columns read as before the units).
    """
    names = list(rows[0].results) if rows else []
    head = ["mutant", "kind", "shows only with", "network"] + names
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        needs = ", ".join(r.needs) or "any problem"
        if r.judged_on != judged_on(CONTROL):  # sizes and m, without the λ every row shares
            needs += f" (judged on {r.judged_on.rsplit(',', 1)[0]})"
        cells = [f"`{r.name}`" if not r.control else r.name, r.kind, needs, f"{r.activation}, {r.output}"]
        cells += [_cell(r.results[n]) for n in names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_to_dict(rows: Sequence[DetectionRow], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The table as plain data (for ``--json``)."""
    out_rows = []
    for r in rows:
        d = asdict(r)
        d["needs"] = list(r.needs)
        out_rows.append(d)
    return {"meta": meta or {}, "rows": out_rows}


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces a run (options in a fixed order)."""
    parts = ["gradtrio mutants"]
    parts += ["--quick"] if args.quick else []
    parts += [f"--seeds {args.seeds}"] if args.seeds is not None else []
    parts += [f"--max-examples {args.max_examples}"] if args.max_examples is not None else []
    parts += ["--only " + " ".join(args.only)] if args.only else []
    parts += ["--json"] if args.json else []
    return " ".join(parts)


def _meta(command: str, seeds: int, max_examples: int, seconds: float) -> dict[str, Any]:
    import numpy

    return {
        "command": command,
        "hypothesis_seeds": seeds,
        "hypothesis_max_examples": max_examples,
        "judge_problems": ("course debug net (3-5-3; 4-4-4 for theta_transposed), m=5 (2 for "
                           "onehot_from_present_classes), λ=3, on each mutant's network; logits +800 for "
                           "softmax_no_max_shift"),
        "machine": (f"{platform.machine()}, {platform.system()} {platform.release()}, "
                    f"Python {platform.python_version()}"),
        "numpy": numpy.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": round(seconds, 1),
    }


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``gradtrio mutants`` on ``parser``."""
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"Hypothesis seeds per mutant (default {FULL_BUDGET['seeds']}, "
                             f"--quick {QUICK_BUDGET['seeds']})")
    parser.add_argument("--max-examples", type=int, default=None,
                        help=f"Hypothesis examples per seed (default {FULL_BUDGET['max_examples']}, "
                             f"--quick {QUICK_BUDGET['max_examples']})")
    parser.add_argument("--quick", action="store_true", help="a small Hypothesis budget (CI)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(CATALOG),
                        help="run only these mutants (default: the whole catalog)")


def run_from_cli(args: argparse.Namespace,
                 progress: Callable[[int, int, str, str], None] | None = None) -> int:
    """Run ``gradtrio mutants``: print the detection table; exit status 1 on a false alarm.

    A false alarm is a checker flagging the correct algorithm (a control row, on any of the
    networks): the table would then measure nothing. ``progress`` is passed to :func:`gradtrio.catalog.detection_table`.
    """
    budget = QUICK_BUDGET if args.quick else FULL_BUDGET
    seeds = args.seeds if args.seeds is not None else budget["seeds"]
    max_examples = args.max_examples if args.max_examples is not None else budget["max_examples"]
    for name, v in (("--seeds", seeds), ("--max-examples", max_examples)):
        if v < 1:
            raise SystemExit(f"gradtrio mutants: {name} must be >= 1; got {v}")
    chosen = {n: CATALOG[n] for n in args.only} if args.only else None
    t0 = time.perf_counter()
    rows = detection_table(chosen, seeds=seeds, max_examples=max_examples, progress=progress)
    meta = _meta(_command(args), seeds, max_examples, time.perf_counter() - t0)
    if args.json:
        print(json.dumps(table_to_dict(rows, meta), indent=2, ensure_ascii=False))
    else:
        print(format_table(rows))
        print(f"\n{meta['command']}: {meta['machine']}, numpy {meta['numpy']}, {meta['date']}, "
              f"{meta['seconds']} s. Cells: caught/missed (evaluations; Hypothesis: median examples to "
              f"the first failure over {seeds} seeds, at most {max_examples} each).")
    alarms = [f"{n} ({row.activation}, {row.output})" for row in rows if row.control
              for n, r in row.results.items() if r.detected]
    if alarms:
        print(f"FALSE ALARM on the correct algorithm: {', '.join(alarms)}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gradtrio.mutants``: the same as ``gradtrio mutants``."""
    parser = argparse.ArgumentParser(prog="gradtrio mutants", description=_DESCRIPTION)
    add_cli_arguments(parser)
    return run_from_cli(parser.parse_args(argv))


def _progress() -> Callable[[int, int, str, str], None]:
    """The ``progress`` callback of :func:`gradtrio.catalog.detection_table`: one step per (mutant,
    checker), called before each check runs and once more, with ``done == total``, at the end."""
    bar: Progress | None = None

    def step(done: int, total: int, mutant: str, checker: str) -> None:
        nonlocal bar
        if bar is None:
            bar = Progress(total, desc="mutants", unit="check")
        bar.update(done, f"{mutant}: {checker}" if done < total else "done")
        if done >= total:
            bar.close()

    return step


def cmd_mutants(args: argparse.Namespace) -> int:
    """``gradtrio mutants``, with its progress bar; Ctrl-C is held back while a checker runs JAX."""
    defer_interrupts(True)  # every checker may run JAX; the progress raises Ctrl-C between checks
    try:
        return int(run_from_cli(args, progress=_progress()))
    finally:
        restore_interrupts()
