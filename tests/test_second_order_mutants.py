"""The second-order bug catalog: each mutant is a real bug of H V or G V, each is caught and diagnosed,
the correct products pass every checker, and ``gradtrio verify --hvp`` judges a student's file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradtrio import backprop
from gradtrio.catalog.second_order import (
    SECOND_ORDER_CATALOG,
    SECOND_ORDER_CONTROLS,
    judge_problems,
    no_hidden_problem,
    reference_product,
)
from gradtrio.catalog.second_order_study import (
    SECOND_ORDER_CHECKERS,
    compare,
    diagnose_products,
    product_bound,
    second_order_table,
)
from gradtrio.cli import main
from gradtrio.testing.hvp_verifier import HvpSignatureError, verify_hvp

ROOT = Path(__file__).resolve().parents[1]
#: Problems per network for the table in the tests: the first two judging problems (λ = 3 and λ = 1, so
#: every penalty bug shows; one with two hidden layers).
TEST_PROBLEMS = 2


#: The tests that share the fixture below run on one pytest-xdist worker under ``--dist loadgroup``
#: (.ci/run), so that the study behind ``table`` runs once, not once a worker.
SHARES_TABLE = pytest.mark.xdist_group("test_second_order_mutants.table")


@pytest.fixture(scope="module")
def table():
    return {row.name: row for row in second_order_table(problems=TEST_PROBLEMS)}


def test_catalog_has_the_bugs_asked_for():
    assert len(SECOND_ORDER_CATALOG) >= 8
    for name in ("gpp_term_dropped", "v_delta_term_dropped", "delta_Ra_term_dropped", "bias_Ra_not_zero",
                 "penalty_missing", "penalty_on_bias", "gvp_with_hessian_terms", "hessian_as_gauss_newton",
                 "softmax_curvature_diagonal", "output_curvature_missing", "one_over_m_forgotten", "gpp_from_output"):
        mu = SECOND_ORDER_CATALOG[name]
        assert mu.description and mu.where and mu.product in ("hvp", "gvp")


@pytest.mark.parametrize("key", list(SECOND_ORDER_CONTROLS))
def test_the_engine_without_a_bug_is_backprop_s_product(key):
    """The catalog's copy of the R-operator, no switch on, equals backprop.hvp / gvp within rounding bounds
    computed from the problem's magnitudes (the controls of the table are the real products)."""
    control = SECOND_ORDER_CONTROLS[key]
    for p in judge_problems(control.activation, control.output) + [no_hidden_problem(control.activation,
                                                                                      control.output)]:
        masks, worst = compare(control.on(p), reference_product(p, control.product), product_bound(p, control.product))
        assert worst <= 1.0, (key, p.describe(), worst)


def test_hvp_loop_agrees_with_the_catalog_engine():
    control = SECOND_ORDER_CONTROLS["hvp", "sigmoid", "sigmoid"]
    p = judge_problems()[1]
    loop = backprop.hvp_loop(p.thetas, p.X, p.Y, p.lam, p.V)
    _, worst = compare(control.on(p), loop, product_bound(p))
    assert worst <= 1.0


@SHARES_TABLE
@pytest.mark.parametrize("name", list(SECOND_ORDER_CATALOG))
def test_every_mutant_differs_and_is_caught(table, name):
    row = table[name]
    assert row.differs > 0, f"{name} is the correct product on its judging problems"
    assert row.caught, f"{name} is caught by no checker: {row.to_dict()['results']}"


@SHARES_TABLE
def test_controls_pass_every_checker(table):
    controls = [row for row in table.values() if row.mutant.name is None]
    assert len(controls) == len(SECOND_ORDER_CONTROLS)
    for row in controls:
        assert row.differs == 0
        for c in SECOND_ORDER_CHECKERS:
            assert not row.caught_by(c), (row.name, c, row.results[c])


@SHARES_TABLE
def test_each_checker_sees_what_its_algebra_says(table):
    """Symmetry cannot see a symmetric error (g'' dropped, a penalty on the bias, 1/m forgotten) and sees a
    half-dropped product rule; only the G = H property sees G V computed without C (it stays PSD)."""
    assert table["v_delta_term_dropped"].caught_by("symmetry") == TEST_PROBLEMS
    assert table["delta_Ra_term_dropped"].caught_by("symmetry") == TEST_PROBLEMS
    for name in ("gpp_term_dropped", "penalty_on_bias", "one_over_m_forgotten"):
        assert table[name].caught_by("symmetry") == 0
    assert table["gvp_curvature_missing"].caught_by("psd") == 0
    assert table["gvp_curvature_missing"].caught_by("g_equals_h") > 0
    assert table["gvp_with_hessian_terms"].caught_by("g_equals_h") == 0  # no hidden layer: H = G


@pytest.mark.parametrize("name", list(SECOND_ORDER_CATALOG))
def test_diagnosis_names_each_mutant_from_its_products(name):
    mu = SECOND_ORDER_CATALOG[name]
    ps = judge_problems(mu.activation, mu.output, count=TEST_PROBLEMS)
    found = [d.name for d in diagnose_products([mu.on(p) for p in ps], ps, mu.product)]
    assert name in found, found


@pytest.mark.parametrize("key", list(SECOND_ORDER_CONTROLS))
def test_diagnosis_names_nothing_for_the_correct_product(key):
    control = SECOND_ORDER_CONTROLS[key]
    ps = judge_problems(control.activation, control.output, count=TEST_PROBLEMS)
    assert diagnose_products([reference_product(p, control.product) for p in ps], ps, control.product) == []


def test_diagnosis_names_nothing_for_an_unknown_bug():
    ps = judge_problems(count=TEST_PROBLEMS)
    outs = [[2.0 * x for x in reference_product(p)] for p in ps]  # H V doubled: no catalog bug
    assert diagnose_products(outs, ps) == []


# --- gradtrio verify --hvp ---------------------------------------------------------------------------

#: A student's hvp the way the course teaches backprop: one example at a time, bias units glued on.
STUDENT = textwrap.dedent('''
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def hvp(thetas, X, Y, lam, V):
        m = X.shape[0]
        L = len(thetas)
        RD = [np.zeros(T.shape) for T in thetas]
        for i in range(m):
            a = [np.concatenate(([1.0], X[i]))]
            Ra = [np.zeros(X.shape[1] + 1)]
            z, Rz = [None], [None]
            for l in range(L):
                z.append(thetas[l] @ a[l])
                Rz.append(thetas[l] @ Ra[l] + V[l] @ a[l])
                if l < L - 1:
                    g = sigmoid(z[-1])
                    a.append(np.concatenate(([1.0], g)))
                    Ra.append(np.concatenate(([RA_BIAS], g * (1 - g) * Rz[-1])))
            h = sigmoid(z[-1])
            delta = h - Y[i]
            Rdelta = h * (1 - h) * Rz[-1]
            for l in range(L - 1, -1, -1):
                RD[l] += np.outer(Rdelta, a[l]) + np.outer(delta, Ra[l])
                if l > 0:
                    g = sigmoid(z[l])
                    gp = g * (1 - g)
                    back = (thetas[l].T @ delta)[1:]
                    Rdelta = (thetas[l].T @ Rdelta + V[l].T @ delta)[1:] * gp + back * gp * (1 - 2 * g) * Rz[l]
                    delta = back * gp
        out = []
        for l in range(L):
            D = RD[l] / m
            D[:, 1:] += lam / m * V[l][:, 1:]
            out.append(D)
        return out


    def hvp_flat(thetas, X, Y, lam, V):
        return np.concatenate([h.ravel() for h in hvp(thetas, X, Y, lam, V)])


    def hvp_short(thetas, X, Y, lam, V):
        return hvp(thetas, X, Y, lam, V)[:-1]
''')


@pytest.fixture
def hvp_files(tmp_path):
    (tmp_path / "good_hvp.py").write_text(STUDENT.replace("RA_BIAS", "0.0"))
    (tmp_path / "bad_hvp.py").write_text(STUDENT.replace("RA_BIAS", "1.0"))
    return tmp_path


def test_verify_hvp_passes_gradtrio_s_product_and_fails_a_mutant():
    report = verify_hvp(backprop.hvp, examples=3)
    assert report.passed, str(report)
    mu = SECOND_ORDER_CATALOG["penalty_on_bias"]
    report = verify_hvp(lambda th, X, Y, lam, V: mu(th, X, Y, lam, V, activation="sigmoid", output="sigmoid"),
                        examples=3)
    assert report.verdict == "fail"
    assert [d.name for d in report.diagnosis] == ["penalty_on_bias"]
    (hvp_finding,) = [f for f in report.findings if f.check == "hvp"]
    assert any("bias column (column 0) only" in w for w in hvp_finding.where), hvp_finding.where
    assert any("λ > 0" in c for c in hvp_finding.conditions), hvp_finding.conditions


def test_verify_hvp_other_units():
    report = verify_hvp(lambda th, X, Y, lam, V: backprop.hvp(th, X, Y, lam, V, activation="tanh", output="softmax"),
                        activation="tanh", output="softmax", examples=2)
    assert report.passed, str(report)
    mu = SECOND_ORDER_CATALOG["softmax_curvature_diagonal"]
    report = verify_hvp(lambda th, X, Y, lam, V: mu(th, X, Y, lam, V, activation="tanh", output="softmax"),
                        activation="tanh", output="softmax", examples=2)
    assert "softmax_curvature_diagonal" in [d.name for d in report.diagnosis]


def test_verify_hvp_wrong_shapes_raise_with_expected_and_got():
    with pytest.raises(HvpSignatureError, match=r"expected \(3, 6\), got \(3, 5\)|got .*\(3, 5\)"):
        verify_hvp(lambda th, X, Y, lam, V: [np.zeros((5, 4)), np.zeros((3, 5))], examples=0)
    with pytest.raises(HvpSignatureError, match="cannot be called as hvp"):
        verify_hvp(lambda th, X, Y, lam: th, examples=0)


def test_cli_verify_hvp_on_student_files(hvp_files, capsys, monkeypatch):
    monkeypatch.chdir(hvp_files)
    assert main(["verify", "good_hvp.py:hvp", "--hvp", "--examples", "3"]) == 0
    assert "PASSED" in capsys.readouterr().out
    assert main(["verify", "bad_hvp.py:hvp", "--hvp", "--examples", "3", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "fail" and data["product"] == "hvp"
    assert [d["name"] for d in data["diagnosis"]] == ["bias_Ra_not_zero"]
    assert any(f["check"] == "symmetry" for f in data["findings"])


@pytest.mark.parametrize("argv,match", [
    (["good_hvp.py:hvp_flat", "--hvp"], "must return a list of 2 arrays shaped like thetas ((5, 4), (3, 6)); "
                                        "got ndarray of shape (38,)"),
    (["good_hvp.py:hvp_short", "--hvp"], "got a list of 1"),
    (["good_hvp.py:nothere", "--hvp"], "has no function 'nothere'"),
    (["good_hvp.py:hvp", "--hvp", "--signature", "course"], "--hvp takes hvp(thetas, X, Y, lam, V)"),
    (["good_hvp.py:hvp", "--hvp", "--activation", "swish"], "--activation must be one of"),
    (["good_hvp.py:hvp", "--activation", "tanh"], "--activation applies to --hvp only"),
])
def test_cli_verify_hvp_bad_input_is_one_line_exit_2(hvp_files, capsys, monkeypatch, argv, match):
    monkeypatch.chdir(hvp_files)
    assert main(["verify", *argv, "--examples", "0"]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("gradtrio verify:")]  # progress lines
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in err, err


def test_benchmark_quick_smoke(tmp_path):
    """The second-order benchmark runs end to end in its quick mode; no control row is flagged, every
    mutant row is caught and diagnosed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
    r = subprocess.run([sys.executable, "-m", "benchmarks.bench_second_order", "--quick", "--out", str(tmp_path)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads((tmp_path / "checkers.json").read_text())
    for row in data["rows"]:
        detected = [c for c, res in row["results"].items() if res and res["detected"]]
        if row["kind"] == "control":
            assert not detected and row["diagnosis"] == [], row
        else:
            assert detected and row["mutant"] in row["diagnosis"], row
    assert "| mutant | product |" in (tmp_path / "checkers.md").read_text()


#: A student's hvp for the course's network only (two weight matrices unpacked), g'' term forgotten.
THREE_LAYER_STUDENT = textwrap.dedent('''
    import numpy as np


    def sigmoid(z):
        return 1 / (1 + np.exp(-z))


    def hvp(thetas, X, Y, lam, V):
        T1, T2 = thetas
        V1, V2 = V
        m = X.shape[0]
        R1, R2 = np.zeros_like(T1), np.zeros_like(T2)
        for t in range(m):
            a1 = np.r_[1, X[t]]
            z2, Rz2 = T1 @ a1, V1 @ a1
            g = sigmoid(z2) * (1 - sigmoid(z2))
            a2, Ra2 = np.r_[1, sigmoid(z2)], np.r_[0, g * Rz2]
            z3, Rz3 = T2 @ a2, T2 @ Ra2 + V2 @ a2
            h = sigmoid(z3)
            d3, Rd3 = h - Y[t], h * (1 - h) * Rz3
            R2 += np.outer(Rd3, a2) + np.outer(d3, Ra2)
            Rd2 = (T2.T @ Rd3 + V2.T @ d3)[1:] * g
            R1 += np.outer(Rd2, a1)
        R1 /= m
        R2 /= m
        R1[:, 1:] += lam / m * V1[:, 1:]
        R2[:, 1:] += lam / m * V2[:, 1:]
        return [R1, R2]
''')


def test_verify_hvp_keeps_a_three_layer_function_on_three_layers_and_diagnoses_it(tmp_path, capsys, monkeypatch):
    """A function written for the course's network raises on other depths: that is not its bug. The drawn
    problems keep three layers, a note says so, and the forgotten g'' term is named."""
    (tmp_path / "course_hvp.py").write_text(THREE_LAYER_STUDENT)
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "course_hvp.py:hvp", "--hvp", "--examples", "6", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert not any(f["check"] == "exception" for f in data["findings"]), data["findings"]
    assert any("2 and 4 layers" in n for n in data["notes"]), data["notes"]
    assert [d["name"] for d in data["diagnosis"]] == ["gpp_term_dropped"]
