"""Smoke test of the false-alarm study (``python -m benchmarks.false_alarms --quick``).

It checks what a reader of the study relies on: both files are written with the header (command,
date, machine), every record has the fields the summary is built from, the summary's counts are the
counts of the records, and the planted-bug machinery really plants a bug that a checker sees. It does
not stop there: ``test_quick_study_has_no_false_alarms`` asserts zero false alarms and every visible
planted bug and mutant caught in the quick mode (the full study's numbers are in the README).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import false_alarms as fa  # noqa: E402

VERDICTS = {"pass", "fail", "inconclusive", "error"}
RECORD_FIELDS = {"problem", "regime", "weights", "sizes", "n", "m", "lam", "dtype", "checker", "kind", "verdict",
                 "evaluations", "evaluations_source", "seconds"}


#: The tests that share the fixture below run on one pytest-xdist worker under ``--dist loadgroup``
#: (.ci/run), so that the quick study behind ``quick`` runs once, not once a worker.
SHARES_QUICK = pytest.mark.xdist_group("test_false_alarms.quick")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("false_alarms")
    assert fa.main(["--quick", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    return out, results


@SHARES_QUICK
def test_quick_study_writes_both_files_with_header(quick):
    out, results = quick
    md = (out / "results.md").read_text()
    env = results["env"]
    assert env["command"].startswith("python -m benchmarks.false_alarms --quick")
    assert env["command"] in md and env["date_utc"] in md and env["cpu_model"] in md
    for c in fa.CHECKERS:
        assert f"| {c} |" in md
    assert set(results) >= {"records", "summary", "problems", "env", "seconds", "skipped_mutants", "mutant_plan"}


@SHARES_QUICK
def test_quick_study_records_are_complete(quick):
    _, results = quick
    records = results["records"]
    problems = {p["problem"] for p in results["problems"]}
    for r in records:
        assert RECORD_FIELDS <= set(r), sorted(RECORD_FIELDS - set(r))
        assert r["verdict"] in VERDICTS and r["checker"] in fa.CHECKERS and r["problem"] in problems
        assert r["evaluations"] >= 1
        if r["kind"] == "correct" and r["verdict"] in ("fail", "error"):
            assert r.get("message"), r  # every false alarm says why
        if r["kind"] != "correct":
            assert "visible" in r
    # Every checker ran on every problem's correct and planted gradient.
    for kind in ("correct", "planted"):
        got = sorted((r["problem"], r["checker"]) for r in records if r["kind"] == kind)
        assert got == sorted((p, c) for p in problems for c in fa.CHECKERS)
    # Every gradient-level mutant was judged somewhere (the quick plan gives each one problem).
    judged = {r["kind"] for r in records} - {"correct", "planted"}
    gradient_mutants = {k for k, m in fa.CATALOG.items() if m.kind == "gradient"}
    assert judged <= gradient_mutants
    assert judged | {s["kind"] for s in results["skipped_mutants"]} == gradient_mutants


@SHARES_QUICK
def test_quick_study_summary_counts_add_up(quick):
    _, results = quick
    records, summary = results["records"], results["summary"]
    assert [s["checker"] for s in summary] == list(fa.CHECKERS)
    for s in summary:
        mine = [r for r in records if r["checker"] == s["checker"]]
        cor = [r for r in mine if r["kind"] == "correct"]
        assert s["correct_checks"] == len(cor) == len(results["problems"])
        assert s["false_alarms"] == sum(r["verdict"] in ("fail", "error") for r in cor)
        assert s["exceptions"] == sum(r["verdict"] == "error" for r in cor)
        assert s["inconclusive"] == sum(r["verdict"] == "inconclusive" for r in cor)
        planted = [r for r in mine if r["kind"] == "planted"]
        assert s["planted_total"] + s["planted_cannot_see"] == len(planted)
        assert s["planted_caught"] == sum(r["verdict"] == "fail" for r in planted)
        assert s["planted_caught"] + s["planted_inconclusive"] <= s["planted_total"]
        mutants = [r for r in mine if r["kind"] not in ("correct", "planted")]
        assert s["mutants_total"] + s["mutants_cannot_see"] == len(mutants)
        assert s["mutants_caught"] == sum(r["verdict"] == "fail" for r in mutants)


def _scaled_pixel_problem(dtype: str = "float64") -> fa.Problem:
    data = fa.DataSets(0)
    X, y = data.get("scaled", None)
    thetas = fa.network.init_weights((64, 8, 10), seed=3)
    dt = np.dtype(dtype)
    return fa.Problem("p000", "scaled", "init", (64, 8, 10), 20, 0.01, dtype, 3,
                      [t.astype(dt) for t in thetas], X[:20].astype(dt), fa.network.one_hot(y[:20], 10, dt))


def test_planted_bug_is_one_entry_times_1_1_among_the_largest():
    p = _scaled_pixel_problem()
    correct = fa._correct_bug(p)
    bug = fa.planted_bug(p, correct, seed=0)
    g = fa.network.unroll(correct.grads)
    (idx,) = np.flatnonzero(bug.error)
    assert idx == bug.planted_index
    assert np.isclose(bug.error[idx], 0.1 * g[idx], rtol=1e-12)
    layer = fa.localize_mod.suspect_at(idx, p.sizes).layer
    G = np.abs(correct.grads[layer - 1]).ravel()
    assert np.abs(g[idx]) >= fa.PLANT_MIN * G.max()
    # The planted backward gives the same gradient at the problem's weights.
    _, grads = bug.backward(p.thetas, p.X, p.Y, p.lam)
    assert np.array_equal(fa.network.unroll(grads), fa.network.unroll(bug.grads))


def test_complex_checker_catches_a_planted_entry_and_passes_the_correct_gradient():
    p = _scaled_pixel_problem()
    correct = fa._correct_bug(p)
    fa._CORRECT_GRADS[p.pid] = correct.grads
    bug = fa.planted_bug(p, correct, seed=0)
    for checker in ("complex", "entry_bounds", "adjoint"):
        ok = fa.run_checker(checker, p, correct, seed=0)
        assert ok.verdict == "pass", (checker, ok.message)
        caught = fa.run_checker(checker, p, bug, seed=0)
        assert caught.verdict == "fail", checker
        assert fa.visibility(checker, p, bug, {checker: ok})[0] is True
    assert fa.run_checker("complex", p, correct, seed=0).evaluations_source == "counted"


def test_mutant_that_cannot_show_is_skipped_with_a_reason():
    p = _scaled_pixel_problem("float32")
    correct = fa._correct_bug(p)
    bug, why = fa.mutant_bug("float32_accumulation", p, correct)
    assert bug is None and why == "changes nothing on this problem"
    bug, why = fa.mutant_bug("theta_transposed", p, correct)
    assert bug is None and why == "needs square layer"
    bug, why = fa.mutant_bug("gprime_missing", p, correct)
    assert bug is not None and np.any(bug.error)


def test_verdict_of_follows_the_contract_with_a_fallback():
    class R:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    assert fa.verdict_of(R(verdict="inconclusive", passed=True)) == "inconclusive"
    assert fa.verdict_of(R(passed=False)) == "fail"
    assert fa.verdict_of(R(passed=True)) == "pass"
    assert fa.verdict_of(R(passed=True, conclusive=False)) == "inconclusive"
    assert fa.verdict_of(R(passed=True, conclusive=True)) == "pass"


@SHARES_QUICK
def test_quick_study_has_no_false_alarms(quick):
    _, results = quick
    for s in results["summary"]:
        assert s["false_alarms"] == 0, s
        assert s["planted_caught"] == s["planted_total"], s
        assert s["mutants_caught"] == s["mutants_total"], s


@pytest.fixture(scope="module")
def quick_units(tmp_path_factory):
    out = tmp_path_factory.mktemp("false_alarms_units")
    assert fa.main(["--units", "--quick", "--out", str(out)]) == 0
    return out, json.loads((out / "units.json").read_text())


def test_quick_units_study_has_no_false_alarms_and_meets_kinks(quick_units):
    """The new units' section in its quick mode (relu at exact ties, leaky_relu near kinks in float32,
    a trained relu→tanh net, gelu): no correct gradient fails, kink entries are met and reported, and
    every planted ×1.1 entry a checker could see is caught."""
    out, results = quick_units
    cor = [r for r in results["records"] if r["kind"] == "correct"]
    assert cor and not [r for r in cor if r["verdict"] in ("fail", "error")], \
        [r.get("message") for r in cor if r["verdict"] in ("fail", "error")]
    assert any(r.get("kink_entries") for r in cor if r["checker"] == "central")
    assert any(r.get("kink_ties") for r in cor if r["checker"] == "central")
    planted = [r for r in results["records"] if r["kind"] == "planted" and r.get("visible") is not False]
    assert planted and all(r["verdict"] == "fail" for r in planted), \
        [(r["problem"], r["checker"], r["verdict"]) for r in planted if r["verdict"] != "fail"]
    md = (out / "units.md").read_text()
    assert "Total: 0 false alarms" in md and "--units --quick" in md
