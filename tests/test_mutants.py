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
from gradtrio.catalog.bugs import Mutant
from gradtrio.catalog.known_values import COURSE_SIGMOID_GRADIENT, COURSE_SIGMOID_GRADIENT_ATOL
from gradtrio.cli import mutants as mutants_cli
from gradtrio.model import ACTIVATIONS, OUTPUTS
from gradtrio.testing.strategies import dtypes, problems
from gradtrio.tolerances import tolerance

#: The catalog's first 33 mutants: the course's network (sigmoid hidden layers, sigmoid outputs) only.
SIGMOID_MUTANTS = list(CATALOG)[:33]
#: The mutants the other units brought (tanh, ReLU, ..., softmax, squared error; one on the sigmoid
#: network: its quadratic cost with the cross-entropy's δ).
UNIT_MUTANTS = list(CATALOG)[33:]
GRADIENT_MUTANTS = [n for n, mu in CATALOG.items() if mu.kind == "gradient"]
COST_MUTANTS = [n for n, mu in CATALOG.items() if mu.kind == "cost"]
#: Every network: each hidden unit (one for all hidden layers) with each output.
UNIT_COMBINATIONS = [(a, o) for a in ACTIVATIONS if a != "logistic" for o in OUTPUTS]
#: Mutants that return numbers on their judge problem (a crash mutant raises there).
RUNNING_MUTANTS = [n for n, mu in CATALOG.items() if mu.kind != "crash"]


def _control(activation: str, output: str) -> Mutant:
    """The correct algorithm of the catalog's implementation on one network."""
    return Mutant(None, "control", "-", "gradient", activation=activation, output=output)


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
    J_ref, ref = backprop.cost_and_grad(*problem, **mu.units)
    changed_args = any(not np.array_equal(a, b) for a, b in zip(thetas, problem.thetas))
    assert changed_args == (mu.kind == "contract")
    assert not (math.isclose(J, J_ref, rel_tol=1e-14) and _agree(grads, ref)) or mu.kind == "contract"


@pytest.mark.parametrize("name", [n for n, mu in CATALOG.items() if mu.kind == "crash" and mu.output == "sigmoid"])
def test_crash_mutants_raise_where_their_bug_shows_and_are_right_elsewhere(name):
    mu = CATALOG[name]
    with pytest.raises(ValueError, match="broadcast"):
        mu(*catalog.judge_problem(mu))
    ten = study.Problem(*catalog.judge_problem(dataclasses.replace(mu, judge_sizes=(3, 5, 10), judge_m=12)))
    J, grads = mu(*_copy(ten))
    J_ref, ref = backprop.cost_and_grad(*ten)
    assert math.isclose(J, J_ref, rel_tol=1e-13) and _agree(grads, ref)


def test_softmax_without_max_shift_is_nan_past_the_overflow_and_right_below_it():
    """Its judging problem has every logit shifted past e^709 (a shift the softmax does not see: the
    correct cost and gradient are those of the unshifted problem); below, the unshifted formula is right."""
    mu = CATALOG["softmax_no_max_shift"]
    shifted, plain = catalog.judge_problem(mu), catalog.judge_problem(dataclasses.replace(mu, judge_logit_shift=0.0))
    assert mu.judge_logit_shift > math.log(np.finfo(np.float64).max)
    J, grads = mu(*_copy(shifted))
    assert not np.isfinite(J) and not all(np.all(np.isfinite(g)) for g in grads)
    J_ref, ref = backprop.cost_and_grad(*shifted, output="softmax")
    J_plain, ref_plain = backprop.cost_and_grad(*plain, output="softmax")
    assert math.isclose(J_ref, J_plain, rel_tol=1e-12) and _agree(ref, ref_plain)  # the shift changes nothing
    J, grads = mu(*_copy(plain))
    assert math.isclose(J, J_plain, rel_tol=1e-13) and _agree(grads, ref_plain)
    for check in (catalog.check_central, catalog.check_directional, catalog.check_complex, catalog.check_autodiff):
        r = check(mu)
        assert r.detected and r.crash and r.note.startswith(study.NON_FINITE), (check.__name__, r)


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
    J_ref, ref = backprop.cost_and_grad(*problem, **mu.units)
    if mu.kind in ("cost-only", "contract"):
        assert _agree(grads, ref)
        assert math.isclose(J, J_ref, rel_tol=1e-13) == (mu.kind == "contract")


# --- the mutants of the other units ------------------------------------------------------------------


def test_the_sigmoid_catalog_is_unchanged():
    """The 33 mutants of the default network come first, on the default network with its judging
    problems; at least 10 of the others live on other units, each on units gradtrio has, each with
    its control. (That the 33 compute what they did, bit for bit, was checked against the catalog
    before the units, on 150 drawn problems and their judging problems.)"""
    for name in SIGMOID_MUTANTS:
        mu = CATALOG[name]
        assert mu.units == {"activation": "sigmoid", "output": "sigmoid"} and mu.judge_logit_shift == 0.0
    assert catalog.CONTROLS["sigmoid", "sigmoid"] is CONTROL
    assert len(UNIT_MUTANTS) >= 10
    assert sum((CATALOG[n].activation, CATALOG[n].output) != ("sigmoid", "sigmoid") for n in UNIT_MUTANTS) >= 10
    for name in UNIT_MUTANTS:
        mu = CATALOG[name]
        assert mu.activation in ACTIVATIONS and mu.output in OUTPUTS, name
        assert catalog.CONTROLS[mu.activation, mu.output].units == mu.units


@settings(max_examples=10, deadline=None)
@given(st.data())
@pytest.mark.parametrize("units", UNIT_COMBINATIONS, ids=[f"{a}-{o}" for a, o in UNIT_COMBINATIONS])
def test_control_is_backprop_on_every_network(units, data):
    """With every switch off, the catalog's implementation is gradtrio.backprop on every network."""
    from gradtrio.testing.strategies import layer_sizes

    sizes = st.tuples(layer_sizes(1, 3, 1, 5), st.integers(2, 5)).map(lambda t: t[0] + (t[1],))  # softmax: K >= 2
    p = data.draw(problems(sizes=sizes, regime=st.just("random")))
    activation, output = units
    mu = _control(activation, output)
    J, grads = mu(p.thetas, p.X, p.Y, p.lam)
    J_ref, ref = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam, activation=activation, output=output)
    assert math.isclose(J, J_ref, rel_tol=tolerance(p.X.dtype, "backprop", "backprop").rtol, abs_tol=1e-300)
    assert _agree(grads, ref, p.X.dtype)
    Jc = mu.cost([t.astype(complex) for t in p.thetas], p.X, p.Y, p.lam)
    assert math.isclose(Jc.real, J_ref, rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("units", UNIT_COMBINATIONS, ids=[f"{a}-{o}" for a, o in UNIT_COMBINATIONS])
def test_control_passes_every_single_problem_checker_on_every_network(units):
    """No false alarm on the correct algorithm of any network, on the judging problem."""
    mu = _control(*units)
    for check in (catalog.check_central, catalog.check_directional, catalog.check_complex,
                  catalog.check_autodiff, catalog.check_known_values):
        r = check(mu)
        assert not r.detected, (check.__name__, r.note)


def test_softmax_control_passes_on_the_overflow_problem():
    """The judging problem of softmax_no_max_shift (logits past 709) is no false alarm for the correct,
    max-shifted softmax."""
    mu = dataclasses.replace(catalog.CONTROLS["sigmoid", "softmax"],
                             judge_logit_shift=CATALOG["softmax_no_max_shift"].judge_logit_shift)
    for check in (catalog.check_central, catalog.check_directional, catalog.check_complex, catalog.check_autodiff):
        r = check(mu)
        assert not r.detected, (check.__name__, r.note)


def _hidden_z(p, activation):
    """Every hidden pre-activation of problem ``p`` on a network of ``activation`` hidden units."""
    from gradtrio.model import Architecture, forward

    arch = Architecture(tuple([p.X.shape[1]] + [T.shape[0] for T in p.thetas]), activation)
    return np.concatenate([z.ravel() for z in forward(arch, p.thetas, p.X, keep=True).zs])


#: What a drawn problem must have for each hidden-unit bug to show: a pre-activation on the branch where
#: the wrong derivative differs from the right one (everywhere but 0 for the others).
_BRANCH = {"leaky_slope_forgotten": lambda z: z < 0, "elu_prime_alpha": lambda z: z < 0,
           "elu_prime_exp_everywhere": lambda z: z > 0, "relu_prime_from_output": lambda z: (z > 0) & (z != 1)}


@settings(max_examples=15, deadline=None)
@given(st.data())
@pytest.mark.parametrize("name", UNIT_MUTANTS)
def test_every_unit_mutant_is_wrong_on_drawn_problems(name, data):
    """On problems drawn with one hidden layer (where its bug can show: with more, dead ReLUs downstream
    can zero the gradient it changes), weights and inputs uniform in [-1, 1] (with tiny weights,
    1 - z² is 1 - tanh² z to rounding: the bug is really not there), each mutant of the other units
    differs from gradtrio.backprop on its network as its kind says: 'gradient': the gradient (beyond
    rounding) and not the cost; 'cost-only': the cost and not the gradient; 'crash': NaN or inf once the
    logits pass the overflow (every logit shifted by its judging shift), and right below it."""
    from hypothesis import assume

    from gradtrio.testing.strategies import layer_sizes

    mu = CATALOG[name]
    sizes = data.draw(st.tuples(layer_sizes(2, 2, 2, 5), st.integers(2, 4)).map(lambda t: t[0] + (t[1],)))
    p = data.draw(problems(sizes=st.just(sizes), m=st.integers(2, 6), weight_scale=st.just(1.0),
                           x_scale=st.just(1.0), regime=st.just("random")))
    if name in _BRANCH:
        assume(np.any(_BRANCH[name](_hidden_z(p, mu.activation))))
    J_ref, ref = backprop.cost_and_grad(*p, **mu.units)
    J, grads = mu(*_copy(p))
    tol = tolerance(p.X.dtype, "backprop", "backprop")
    same_cost = math.isclose(J, J_ref, rel_tol=tol.rtol, abs_tol=1e-300)
    if mu.kind == "gradient":
        assert same_cost and not _agree(grads, ref, p.X.dtype)
    elif mu.kind == "cost-only":
        assert not same_cost and _agree(grads, ref, p.X.dtype)
    else:
        assert mu.kind == "crash" and same_cost and _agree(grads, ref, p.X.dtype)  # below the overflow: right
        thetas = [t.copy() for t in p.thetas]
        thetas[-1][:, 0] += mu.judge_logit_shift
        J, grads = mu(thetas, p.X, p.Y, p.lam)
        assert not np.isfinite(J) and not np.all(np.isfinite(grads[-1]))


def test_a_mutant_stands_in_for_backprop_on_its_own_network_only():
    """It takes backprop's activation= and output= (a test may monkeypatch it in), naming its own network;
    another network is refused in one line that says which it lives on."""
    mu = CATALOG["tanh_prime_from_z"]
    problem = catalog.judge_problem(mu)
    J, grads = mu(*problem)
    J2, grads2 = mu(*problem, activation="tanh", output="sigmoid")
    assert J2 == J and all(np.array_equal(a, b) for a, b in zip(grads, grads2))
    assert mu.cost(*problem, activation=["tanh"]) == mu.cost(*problem)
    for units in ({"activation": "sigmoid"}, {"output": "identity"}, {"activation": ["tanh", "relu"]}):
        with pytest.raises(ValueError, match="lives on tanh, sigmoid output networks"):
            mu(*problem, **units)
        with pytest.raises(ValueError, match="lives on tanh"):
            mu.cost(*problem, **units)


@pytest.mark.parametrize("name", UNIT_MUTANTS)
def test_checkers_run_each_mutant_on_its_own_network(name, monkeypatch):
    """compare_gradients and the JAX cost are called with the mutant's activation= and output=."""
    import gradtrio.check

    mu = CATALOG[name]
    seen = []
    real_compare, real_cost = gradtrio.check.compare_gradients, autodiff.cost

    def compare(*args, **kw):
        seen.append(("compare_gradients", kw.get("activation"), kw.get("output")))
        return real_compare(*args, **kw)

    def jax_cost(*args, **kw):
        seen.append(("autodiff.cost", kw.get("activation"), kw.get("output")))
        return real_cost(*args, **kw)

    monkeypatch.setattr(gradtrio.check, "compare_gradients", compare)
    monkeypatch.setattr(autodiff, "cost", jax_cost)
    if mu.kind == "crash":  # NaN on its judging problem: judged before any reference; below, the references
        mu = dataclasses.replace(mu, judge_logit_shift=0.0)
    catalog.check_autodiff(mu)
    catalog.three_way_failure(mu, catalog.judge_problem(mu))
    assert seen and set(seen) == {("compare_gradients", mu.activation, mu.output),
                                  ("autodiff.cost", mu.activation, mu.output)}


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
    mu = CATALOG[name]
    assert catalog.known_value_failures(mu, **mu.units)


@pytest.mark.parametrize("fn", [backprop.cost_and_grad, backprop.cost_and_grad_loop, autodiff.cost_and_grad],
                         ids=["backprop", "loop", "autodiff"])
def test_known_values_hold_for_every_correct_implementation(fn):
    """The hand-worked and printed values are right: three independent implementations reproduce them."""
    assert catalog.known_value_failures(fn) == []


@pytest.mark.parametrize("fn", [backprop.cost_and_grad, backprop.cost_and_grad_loop, autodiff.cost_and_grad],
                         ids=["backprop", "loop", "autodiff"])
@pytest.mark.parametrize("units", UNIT_COMBINATIONS, ids=[f"{a}-{o}" for a, o in UNIT_COMBINATIONS])
def test_known_values_of_every_unit_hold_for_every_correct_implementation(fn, units):
    """The chain rule worked by hand with the textbook g and g' (known_values.TEXTBOOK_UNITS) is what
    backprop, its loop and JAX compute on every network; with its own control, so is the catalog's."""
    activation, output = units
    cases = catalog.known_value_cases(activation, output)
    assert len(cases) == (5 if units == ("sigmoid", "sigmoid") else 3 if output == "softmax" else 2)
    assert catalog.known_value_failures(lambda *p: fn(*p, activation=activation, output=output), *units) == []
    assert catalog.known_value_failures(_control(*units), *units) == []


def test_textbook_units_hold_their_defining_identities():
    """The textbook table against identities it was not written from: tanh z = 2σ(2z) − 1,
    softplus' = σ, GELU(z) − GELU(−z) = z, ELU(z) = leaky ReLU(z) = ReLU(z) for z > 0, and g'(z) against
    a central difference of g (h = 1e-6, error O(h²) ≈ 1e-12, far below the 1e-8 allowed)."""
    from gradtrio.catalog.known_values import TEXTBOOK_UNITS as T

    for z in (-1.3, -0.5, 0.5, 2.0):
        assert math.isclose(T["tanh"](z)[0], 2 * T["sigmoid"](2 * z)[0] - 1, rel_tol=1e-14)
        assert math.isclose(T["softplus"](z)[1], T["sigmoid"](z)[0], rel_tol=1e-14)
        assert math.isclose(T["gelu"](z)[0] - T["gelu"](-z)[0], z, rel_tol=1e-14, abs_tol=1e-15)
        for name, unit in T.items():
            h, gp = 1e-6, unit(z)[1]
            fd = (unit(z + h)[0] - unit(z - h)[0]) / (2 * h)
            assert math.isclose(gp, fd, rel_tol=1e-8, abs_tol=1e-9), (name, z, gp, fd)
    for name in ("relu", "leaky_relu", "elu", "identity"):
        assert T[name](0.7)[0] == 0.7 and T[name](0.7)[1] == 1.0


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


#: The tests that share the fixture below run on one pytest-xdist worker under ``--dist loadgroup``
#: (.ci/run), so that the study behind ``table`` runs once, not once a worker.
SHARES_TABLE = pytest.mark.xdist_group("test_mutants.table")


@pytest.fixture(scope="module")
def table():
    return catalog.detection_table(seeds=catalog.QUICK_BUDGET["seeds"],
                                   max_examples=catalog.QUICK_BUDGET["max_examples"])


@SHARES_TABLE
def test_table_control_rows_have_no_false_alarm(table):
    """One control per network a mutant lives on, first; none flagged by any checker."""
    controls = [r for r in table if r.control]
    assert table[: len(controls)] == controls and table[0].name == "(control: correct)"
    nets = {(mu.activation, mu.output) for mu in CATALOG.values()}
    assert {(r.activation, r.output) for r in controls} == nets == set(catalog.CONTROLS)
    for row in controls:
        assert not any(r.detected for r in row.results.values()), (row.name, row.results)


@SHARES_TABLE
def test_table_rows_match_the_catalog(table):
    rows = {r.name: r for r in table if not r.control}
    assert list(rows) == list(CATALOG)
    for name, row in rows.items():
        res, kind = row.results, CATALOG[name].kind
        assert set(res) == set(catalog.CHECKERS)
        if kind == "contract":  # right values: only a check of the arguments after the call sees it
            assert not (res["central"].detected or res["complex"].detected), name
            assert "wrote into its arguments" in res["known values"].note, name
            continue
        assert (row.activation, row.output) == (CATALOG[name].activation, CATALOG[name].output)
        assert res["autodiff"].detected and res["known values"].detected, name
        # The overflow needs logits past 709, which the study's draws (weights and inputs in [-1, 1])
        # never reach: Hypothesis misses it there, as the table shows.
        assert res["hypothesis"].detected == (name != "softmax_no_max_shift"), name
        if kind == "crash":
            assert all(r.detected for c, r in res.items() if c != "hypothesis"), name
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


@SHARES_TABLE
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
    controls = {**catalog.CONTROLS, ("sigmoid", "sigmoid"): CATALOG["output_delta_sign"]}
    monkeypatch.setattr(study, "CONTROLS", controls)  # detection_table's control row
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


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(sorted(CATALOG)))
def test_mutant_validates_inputs_like_backprop(name):
    mu = CATALOG[name]
    thetas, X, Y, lam = catalog.judge_problem(mu)
    with pytest.raises(ValueError, match="real targets" if mu.output == "identity" else "one-hot"):
        mu(thetas, X, Y[:, :-1], lam)
    with pytest.raises(ValueError) as mine:
        mu(thetas, X, Y[:, :-1], lam)
    with pytest.raises(ValueError) as ref:
        backprop.cost_and_grad(thetas, X, Y[:, :-1], lam, **mu.units)
    assert str(mine.value) == str(ref.value)


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
