"""The bug catalog (gradtrio.catalog): each mutant is a real bug, each is caught, and the table is built by code."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtrio import autodiff, backprop, catalog
from gradtrio.catalog import CATALOG, CONTROL, KINDS, KNOWN_VALUE_CASES, study
from gradtrio.catalog.known_values import COURSE_SIGMOID_GRADIENT, COURSE_SIGMOID_GRADIENT_ATOL
from gradtrio.cli import mutants as mutants_cli
from gradtrio.testing.strategies import dtypes, problems
from gradtrio.tolerances import tolerance

GRADIENT_MUTANTS = [n for n, mu in CATALOG.items() if mu.kind == "gradient"]
COST_MUTANTS = [n for n, mu in CATALOG.items() if mu.kind == "cost"]
#: Mutants that return numbers on their judge problem (a crash mutant raises there).
RUNNING_MUTANTS = [n for n, mu in CATALOG.items() if mu.kind != "crash"]


def _agree(a, b, dtype=np.float64) -> bool:
    tol = tolerance(dtype, "backprop", "backprop")
    return all(np.allclose(x, y, rtol=tol.rtol, atol=tol.atol) for x, y in zip(a, b))


# --- the shared implementation, with no bug, is the reference algorithm --------------------------


@settings(max_examples=25)
@given(problems(dtype=dtypes(float32=True), regime=st.just("random")))  # an identity: bounded draws
def test_control_is_backprop(p):
    """``_backprop`` with every switch off agrees with gradtrio.backprop on arbitrary problems."""
    J, grads = CONTROL(p.thetas, p.X, p.Y, p.lam)
    J_ref, ref = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam)
    dt = p.X.dtype
    assert math.isclose(J, J_ref, rel_tol=tolerance(dt, "backprop", "backprop").rtol, abs_tol=1e-300)
    assert [g.dtype for g in grads] == [g.dtype for g in ref]
    assert _agree(grads, ref, dt)


def test_cost_is_complex_safe_and_matches_real_cost():
    thetas, X, Y, lam = catalog.judge_problem(CONTROL)
    J = CONTROL.cost(thetas, X, Y, lam)
    Jc = CONTROL.cost([t.astype(complex) for t in thetas], X, Y, lam)
    assert isinstance(J, float) and np.iscomplexobj(Jc)
    assert math.isclose(Jc.real, J, rel_tol=1e-14)


# --- the catalog ---------------------------------------------------------------------------------


def test_catalog_has_the_classic_bugs_with_metadata():
    required = {"bias_regularized_grad", "lambda_not_divided_by_m", "lambda_over_2m_in_grad",
                "delta_not_divided_by_m", "gprime_missing", "gprime_from_z", "output_delta_sign",
                "delta0_slice", "theta_transposed", "labels_off_by_one", "float32_accumulation",
                # the list of bugs real implementations of the exercise make
                "onehot_from_present_classes", "params_mutated_through_view", "grad_regularization_forgotten",
                "lambda_ignored", "lambda_fixed_at_1", "K_fixed_at_10", "sigmoid_after_bias"}
    assert required <= set(CATALOG)
    assert len(CATALOG) >= 25
    for name, mu in CATALOG.items():
        assert mu.name == name
        assert mu.kind in KINDS
        assert mu.description and "\n" not in mu.description
        assert mu.where and "\n" not in mu.where
    assert {mu.kind for mu in CATALOG.values()} == set(KINDS)


def _copy(problem):
    thetas, X, Y, lam = problem
    return [t.copy() for t in thetas], X.copy(), Y.copy(), lam


@pytest.mark.parametrize("name", RUNNING_MUTANTS)
def test_every_mutant_changes_cost_or_gradient(name):
    """A bug switch that changes nothing would make its row of the table meaningless."""
    mu = CATALOG[name]
    problem = catalog.judge_problem(mu)
    thetas, X, Y, lam = _copy(problem)
    J, grads = mu(thetas, X, Y, lam)
    J_ref, ref = backprop.cost_and_grad(*problem)
    changed_args = any(not np.array_equal(a, b) for a, b in zip(thetas, problem.thetas))
    assert changed_args == (mu.kind == "contract")
    assert not (math.isclose(J, J_ref, rel_tol=1e-14) and _agree(grads, ref)) or mu.kind == "contract"


@pytest.mark.parametrize("name", [n for n, mu in CATALOG.items() if mu.kind == "crash"])
def test_crash_mutants_raise_where_their_bug_shows_and_are_right_elsewhere(name):
    mu = CATALOG[name]
    with pytest.raises(ValueError, match="broadcast"):
        mu(*catalog.judge_problem(mu))
    ten = study.Problem(*catalog.judge_problem(dataclasses.replace(mu, judge_sizes=(3, 5, 10), judge_m=12)))
    J, grads = mu(*_copy(ten))
    J_ref, ref = backprop.cost_and_grad(*ten)
    assert math.isclose(J, J_ref, rel_tol=1e-13) and _agree(grads, ref)


@pytest.mark.parametrize("name", RUNNING_MUTANTS)
def test_kind_matches_behaviour(name):
    """'cost' mutants: the gradient is the exact derivative of their (wrong) cost, so the complex
    step of their own cost agrees with it; 'gradient' and 'cost-only' mutants: it does not. A
    'cost-only' mutant returns the right gradient; a 'contract' one right values and changed arguments."""
    mu = CATALOG[name]
    result = catalog.check_complex(mu)
    assert "crash" not in result.note
    assert result.detected == (mu.kind in ("gradient", "cost-only")), result.note
    problem = catalog.judge_problem(mu)
    J, grads = mu(*_copy(problem))
    J_ref, ref = backprop.cost_and_grad(*problem)
    if mu.kind in ("cost-only", "contract"):
        assert _agree(grads, ref)
        assert math.isclose(J, J_ref, rel_tol=1e-13) == (mu.kind == "contract")


# --- what catches what ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", GRADIENT_MUTANTS)
def test_gradient_mutants_fail_the_three_way_comparison(name):
    mu = CATALOG[name]
    assert catalog.three_way_failure(mu, catalog.judge_problem(mu))
    n, why = catalog.examples_to_failure(mu, seed=0, max_examples=30)
    assert n is not None, f"{name}: Hypothesis found no failing example in 30"


def test_three_way_passes_the_control():
    assert catalog.three_way_failure(CONTROL, catalog.judge_problem(CONTROL)) == ""


@pytest.mark.parametrize("name", COST_MUTANTS)
def test_cost_mutants_are_invisible_to_self_consistency_but_caught_by_known_values(name):
    mu = CATALOG[name]
    assert not catalog.check_central(mu).detected
    assert not catalog.check_directional(mu).detected
    assert catalog.known_value_failures(mu)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_known_values_catch_every_mutant(name):
    assert catalog.known_value_failures(CATALOG[name])


@pytest.mark.parametrize("fn", [backprop.cost_and_grad, backprop.cost_and_grad_loop, autodiff.cost_and_grad],
                         ids=["backprop", "loop", "autodiff"])
def test_known_values_hold_for_every_correct_implementation(fn):
    """The hand-worked and printed values are right: three independent implementations reproduce them."""
    assert catalog.known_value_failures(fn) == []


def test_hand_worked_net_uses_the_course_sigmoid_gradient_values():
    # The course's sigmoidGradient table: g'(0) = 0.25, g'(1) = 0.196612 (6 digits).
    case = next(c for c in KNOWN_VALUE_CASES if c.name == "2-2-2 by hand, λ=0")
    d2 = case.grads[0][:, 0]  # bias column of D(1) = δ(2) = (δ(3) W) .* g'(z), δ(3) W = (-1/2, 1)
    assert COURSE_SIGMOID_GRADIENT[0.0] == 0.25 and COURSE_SIGMOID_GRADIENT[1.0] == 0.196612
    assert d2[0] == -0.5 * 0.25
    assert abs(d2[1] - COURSE_SIGMOID_GRADIENT[1.0]) < COURSE_SIGMOID_GRADIENT_ATOL == 5e-7


def test_known_value_failure_names_case_and_entry():
    msgs = catalog.known_value_failures(CATALOG["gprime_missing"])
    assert any("Theta(1)" in m and "expected" in m for m in msgs)


def test_a_crash_counts_as_detection():
    """theta_transposed cannot run on the 3-5-3 net: the shape error is a detection, reported as such."""
    msgs = catalog.known_value_failures(CATALOG["theta_transposed"])
    assert any("raised ValueError" in m for m in msgs)
    with pytest.raises(ValueError):
        CATALOG["theta_transposed"](*catalog.judge_problem(CONTROL))


# --- the table and the command line --------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    return catalog.detection_table(seeds=catalog.QUICK_BUDGET["seeds"],
                                   max_examples=catalog.QUICK_BUDGET["max_examples"])


def test_table_control_row_has_no_false_alarm(table):
    assert table[0].name.startswith("(control")
    assert not any(r.detected for r in table[0].results.values()), table[0].results


def test_table_rows_match_the_catalog(table):
    rows = {r.name: r for r in table[1:]}
    assert list(rows) == list(CATALOG)
    for name, row in rows.items():
        res, kind = row.results, CATALOG[name].kind
        assert set(res) == set(catalog.CHECKERS)
        if kind == "contract":  # right values: only a check of the arguments after the call sees it
            assert not (res["central"].detected or res["complex"].detected), name
            assert "wrote into its arguments" in res["known values"].note, name
            continue
        assert res["autodiff"].detected and res["hypothesis"].detected and res["known values"].detected, name
        if kind == "crash":
            assert all(r.detected for r in res.values()), name
            assert res["central"].crash and res["complex"].crash, name
            continue
        if kind == "cost":
            assert not (res["central"].detected or res["directional"].detected or res["complex"].detected)
        else:
            assert res["complex"].detected, name
        n = sum(t.size for t in catalog.judge_problem(CATALOG[name])[0])
        # One cost-and-gradient call; 4n costs (steps h and 2h, for the measured truncation), θ and the
        # 12-point noise measurement.
        assert res["central"].evaluations == 1 + 4 * n + 13


def test_format_table_is_built_from_results(table):
    text = mutants_cli.format_table(table)
    lines = text.splitlines()
    assert len(lines) == 2 + len(table)
    for row, line in zip(table, lines[2:]):
        assert row.name in line
        assert line.count("**caught**") == sum(r.detected for r in row.results.values())


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    mutants_cli.add_cli_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_json(capsys):
    rc = mutants_cli.run_from_cli(_args("--quick", "--json", "--only", "labels_off_by_one", "gprime_missing"))
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    names = [r["name"] for r in data["rows"]]
    assert names == ["(control: correct)", "labels_off_by_one", "gprime_missing"]
    assert data["rows"][1]["results"]["central"]["detected"] is False
    assert data["rows"][2]["results"]["central"]["detected"] is True
    assert data["meta"]["hypothesis_seeds"] == catalog.QUICK_BUDGET["seeds"]


def test_cli_exit_status_on_a_false_alarm(monkeypatch, capsys):
    monkeypatch.setattr(study, "CONTROL", CATALOG["output_delta_sign"])  # detection_table's control row
    assert mutants_cli.run_from_cli(_args("--quick", "--seeds", "1", "--only", "gprime_missing")) == 1
    assert "FALSE ALARM" in capsys.readouterr().out


def test_cli_rejects_bad_budget():
    with pytest.raises(SystemExit, match="--seeds must be >= 1"):
        mutants_cli.run_from_cli(_args("--seeds", "0"))


def test_gradtrio_command_registers_mutants(capsys):
    cli = pytest.importorskip("gradtrio.cli")
    rc = cli.main(["mutants", "--quick", "--seeds", "1", "--only", "output_delta_sign"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "`output_delta_sign`" in out and "| mutant |" in out


@settings(max_examples=5, deadline=None)
@given(st.sampled_from(sorted(CATALOG)))
def test_mutant_validates_inputs_like_backprop(name):
    thetas, X, Y, lam = catalog.judge_problem(CATALOG[name])
    with pytest.raises(ValueError, match="one-hot"):
        CATALOG[name](thetas, X, Y[:, :-1], lam)


# --- the former module gradtrio.mutants --------------------------------------------------------------


def test_gradtrio_mutants_still_serves_the_former_names():
    from gradtrio import mutants as facade
    from gradtrio.testing.strategies import study_problems

    for name in facade.__all__:
        assert getattr(facade, name) is not None, name
    assert facade.CATALOG is CATALOG and facade.detection_table is catalog.detection_table
    assert facade.Row is catalog.DetectionRow  # renamed: gradtrio.check.Row is another class
    assert facade.format_table is mutants_cli.format_table and facade.run_from_cli is mutants_cli.run_from_cli
    assert facade.problems is study_problems


def test_python_m_gradtrio_mutants_runs_the_command():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "gradtrio.mutants", "--help"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: gradtrio mutants") and "--quick" in r.stdout
