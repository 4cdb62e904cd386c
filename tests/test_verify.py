"""gradtrio.testing.verify: users' implementations, in every convention, judged without false alarms."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout

import numpy as np
import pytest

from gradtrio import backprop
from gradtrio.catalog import CATALOG
from gradtrio.cli import main
from gradtrio.testing import assert_verified, verify
from gradtrio.testing.conventions import LABELS, ORDERS, Y_SHAPES, Conventions, call

#: Few drawn problems: each test runs verify several times; the corpus test runs the default budget's share.
FEW = 6


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def course_student(order="C", labels="1..K", y_shape="(m,)", bug=None):
    """A vectorized course-signature nnCostFunction, written as students write it (naive log of h)."""

    def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
        n1 = hidden_layer_size * (input_layer_size + 1)
        Theta1 = nn_params[:n1].reshape((hidden_layer_size, input_layer_size + 1), order=order)
        Theta2 = nn_params[n1:].reshape((num_labels, hidden_layer_size + 1), order=order)
        m = X.shape[0]
        if labels == "one-hot":
            Y = y
        else:
            yv = np.asarray(y).reshape(-1).astype(int) - (1 if labels == "1..K" else 0)
            Y = np.eye(num_labels)[yv]
        a1 = np.column_stack([np.ones(m), X])
        z2 = a1 @ Theta1.T
        a2 = np.column_stack([np.ones(m), _sig(z2)])
        h = _sig(a2 @ Theta2.T)
        reg = np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2)
        J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
        J += (lambda_ / 2 if bug == "cost_penalty_not_divided_by_m" else lambda_ / (2 * m)) * reg
        d3 = h - Y
        d2 = (d3 @ Theta2[:, 1:]) * _sig(z2) * (1 - _sig(z2))
        G1, G2 = d2.T @ a1 / m, d3.T @ a2 / m
        G1[:, 1:] += lambda_ / m * Theta1[:, 1:]
        G2[:, 1:] += lambda_ / m * Theta2[:, 1:]
        if bug == "bias_regularized_grad":
            G1[:, 0] += lambda_ / m * Theta1[:, 0]
            G2[:, 0] += lambda_ / m * Theta2[:, 0]
        return J, np.concatenate([G1.ravel(order=order), G2.ravel(order=order)])

    return nnCostFunction


CONVENTIONS = [(o, lb, ys) for o in ORDERS for lb in LABELS for ys in ((None,) if lb == "one-hot" else Y_SHAPES)]


# --- correct implementations pass, in every convention, and the conventions are detected ----------------


@pytest.mark.parametrize("order,labels,y_shape", CONVENTIONS)
def test_every_convention_is_detected_and_a_correct_implementation_passes(order, labels, y_shape):
    fn = course_student(order, labels, y_shape or "(m,)")
    r = verify(fn, signature="course", examples=FEW)
    assert r.verdict == "pass", str(r)
    assert (r.conventions["order"], r.conventions["labels"]) == (order, labels)
    assert r.conventions["how"]["order"] == "detected"
    assert r.diagnosis == [] and r.counterexample is None


def test_gradtrio_signature_backprop_and_the_loop_pass_on_every_depth():
    for fn in (backprop.cost_and_grad, backprop.cost_and_grad_loop):
        r = verify(fn, examples=12)
        assert r.verdict == "pass", str(r)
        assert r.conventions["signature"] == "gradtrio"


def test_conventions_given_are_used_and_a_wrong_one_fails():
    fn = course_student("F", "1..K", "(m, 1)")
    assert verify(fn, signature="course", order="F", labels="1..K", y_shape="(m, 1)", examples=FEW).passed
    wrong = verify(fn, signature="course", order="C", labels="1..K", y_shape="(m, 1)", examples=FEW)
    assert wrong.verdict == "fail" and "cost" in {f.check for f in wrong.failures()}


# --- buggy ones fail, with the planted bug named ----------------------------------------------------------


def test_a_bug_in_the_cost_alone_fails_with_the_words_that_say_so():
    """The issue's case: compare_gradients(custom=...) used to pass a cost regularized without /m."""
    r = verify(course_student("C", "0..K-1", bug="cost_penalty_not_divided_by_m"), signature="course", examples=FEW)
    assert r.verdict == "fail"
    checks = {f.check: f for f in r.failures()}
    assert set(checks) == {"cost", "self-consistency"}, str(r)
    assert "bug is in the cost alone" in checks["self-consistency"].message
    assert [d.name for d in r.diagnosis] == ["cost_penalty_not_divided_by_m"]


def test_the_bias_column_is_localized():
    r = verify(course_student("F", "1..K", bug="bias_regularized_grad"), signature="course", examples=12)
    grad = next(f for f in r.failures() if f.check == "gradient")
    assert all("bias column (column 0) only" in w for w in grad.where), grad.where
    assert "only when λ > 0" in grad.conditions
    assert "bias_regularized_grad" in [d.name for d in r.diagnosis]


@pytest.mark.parametrize("name", ["lambda_not_divided_by_m", "gprime_missing", "labels_off_by_one",
                                  "onehot_from_present_classes", "params_mutated_through_view",
                                  "cost_second_term_missing", "grad_unrolled_column_major", "m_from_wrong_axis"])
def test_catalog_mutants_fail_and_are_diagnosed(name):
    r = verify(CATALOG[name], examples=FEW)
    assert r.verdict == "fail", str(r)
    assert name in [d.name for d in r.diagnosis], str(r)
    assert r.counterexample is not None


def test_a_bug_beyond_the_catalog_fails_and_its_pattern_is_described():
    def drops_last_example(thetas, X, Y, lam):
        J, grads = backprop.cost_and_grad(thetas, X[:-1] if len(X) > 1 else X, Y[:-1] if len(Y) > 1 else Y, lam)
        return J, grads

    r = verify(drops_last_example, examples=FEW)
    assert r.verdict == "fail" and r.diagnosis == []
    assert "no bug of gradtrio's catalog matches" in str(r) and r.pattern


# --- exceptions and the contract ------------------------------------------------------------------------


def test_an_exception_is_a_finding_with_the_users_line():
    def raises(thetas, X, Y, lam):
        if X.shape[0] > 3:
            raise IndexError("index 3 is out of bounds")
        return backprop.cost_and_grad(thetas, X, Y, lam)

    r = verify(raises, examples=FEW)
    assert r.verdict == "fail"
    exc = next(f for f in r.failures() if f.check == "exception")
    assert "IndexError: index 3 is out of bounds" in exc.message and "test_verify.py" in exc.message
    assert r.counterexample is not None and r.counterexample.check == "exception"


def test_wrong_signature_is_an_error_verdict_that_says_what_to_do():
    r = verify(backprop.cost_and_grad, signature="course", order="C", labels="0..K-1", y_shape="(m,)",
               examples=FEW)
    assert r.verdict == "error", str(r)
    assert "signature='gradtrio'" in str(r)


@pytest.mark.parametrize("kind", ["view", "column", "matrix_J", "nan", "shape", "state"])
def test_contract(kind):
    calls = []

    def fn(thetas, X, Y, lam):
        J, grads = backprop.cost_and_grad(thetas, X, Y, lam)
        if kind == "view":
            thetas[0][...] = grads[0]
            grads[0] = thetas[0]
        elif kind == "matrix_J":
            J = np.array([[J]])
        elif kind == "nan":
            J = float("nan")
        elif kind == "shape":
            grads = [g.T for g in grads]
        elif kind == "state":
            calls.append(1)
            J = J + 1e-3 * len(calls)
        return J, grads

    if kind == "column":
        course = course_student("C", "0..K-1")

        def fn(nn_params, a, b, c, X, y, lam):  # noqa: F811 - the course signature, grad as a column
            J, g = course(nn_params, a, b, c, X, y, lam)
            return J, g.reshape(-1, 1)

        r = verify(fn, signature="course", examples=FEW)
    else:
        r = verify(fn, examples=FEW)
    checks = {f.check for f in r.failures()}
    text = str(r)
    if kind == "view":
        assert {"arguments changed", "contract"} <= checks and "shares memory" in text
    elif kind in ("column", "matrix_J"):  # not wrong: noted, and it passes
        assert r.verdict == "pass", text
        assert ("(n, 1)" in text or "not (" in text) if kind == "column" else "1, 1" in text
    elif kind == "nan":
        assert "cost" in checks
    elif kind == "shape":
        assert "contract" in checks and "must have the shape" in text
    else:
        assert "repeat call" in checks


def test_numpy_warnings_in_user_code_are_notes_not_failures():
    """pytest here turns RuntimeWarning into an error; the user's overflow must not become one."""
    r = verify(course_student("C", "0..K-1"), signature="course", sizes=(6, 4, 3), examples=20, seed=3)
    assert r.verdict == "pass", str(r)


# --- the report -----------------------------------------------------------------------------------------


def test_counterexample_snippet_runs_and_shows_what_it_says(tmp_path, monkeypatch):
    src = textwrap.dedent('''
        import numpy as np
        from gradtrio.catalog import CATALOG
        def cost_and_grad(thetas, X, Y, lam):
            return CATALOG["lambda_not_divided_by_m"](thetas, X, Y, lam)
    ''')
    (tmp_path / "mine.py").write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    import mine

    r = verify(mine.cost_and_grad, examples=FEW)
    c = r.counterexample
    assert c is not None and c.check == "gradient" and c.lam > 0 and c.m > 1
    out = io.StringIO()
    with redirect_stdout(out):
        exec(c.snippet, {})
    assert float(out.getvalue().split()[0]) == c.yours
    assert c.yours != c.expected


def test_report_to_dict_is_json_and_deterministic():
    fn = CATALOG["gprime_missing"]
    a, b = verify(fn, examples=FEW, seed=4).to_dict(), verify(fn, examples=FEW, seed=4).to_dict()
    for d in (a, b):
        d.pop("seconds")
    assert a == b
    json.loads(json.dumps(a))
    assert a["verdict"] == "fail" and a["diagnosis"][0]["name"] == "gprime_missing"


def test_plot_draws_the_difference(tmp_path):
    r = verify(CATALOG["bias_grad_forgotten"], examples=FEW)
    fig = r.plot(tmp_path / "diff.png")
    assert (tmp_path / "diff.png").read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes) >= 2
    with pytest.raises(ValueError, match="nothing to draw"):
        verify(backprop.cost_and_grad, examples=2).plot()


def test_assert_verified():
    assert assert_verified(backprop.cost_and_grad, examples=2).passed
    with pytest.raises(AssertionError, match="FAILED"):
        assert_verified(CATALOG["output_delta_sign"], examples=2)


@pytest.mark.parametrize("kw,match", [
    ({"signature": "octave"}, "signature must be one of"),
    ({"signature": "course", "order": "R"}, "order must be 'auto' or one of"),
    ({"order": "C"}, "applies to the course signature only"),
    ({"signature": "course", "labels": "one-hot", "y_shape": "(m,)"}, "y_shape is the shape of a label vector"),
    ({"signature": "course", "sizes": (3, 4, 5, 2)}, "three layers"),
    ({"examples": -1}, "non-negative integer"),
    ({"sizes": (3, 0)}, "size"),
])
def test_bad_options_are_refused_with_what_was_expected(kw, match):
    with pytest.raises(ValueError, match=match):
        verify(backprop.cost_and_grad, **kw)
    with pytest.raises(TypeError, match="callable"):
        verify("nnCostFunction")


def test_call_records_without_raising():
    conv = Conventions("course", "C", "0..K-1", "(m,)")
    th = [np.zeros((2, 3)), np.zeros((2, 3))]
    out = call(lambda *a: 1 / 0, conv, th, np.zeros((4, 2)), np.eye(2)[[0, 1, 0, 1]], 0.0)
    assert out.error == "ZeroDivisionError: division by zero" and out.where and "test_verify.py" in out.where


# --- the command line -----------------------------------------------------------------------------------


STUDENT = '''
import numpy as np
from helper import sigmoid

def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    Y = np.eye(num_labels)[y.ravel() - 1]
    a1 = np.c_[np.ones(m), X]
    a2 = np.c_[np.ones(m), sigmoid(a1 @ Theta1.T)]
    h = sigmoid(a2 @ Theta2.T)
    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    J += LAM_FACTOR * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    d3 = h - Y
    d2 = (d3 @ Theta2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
    G1 = d2.T @ a1 / m
    G2 = d3.T @ a2 / m
    G1[:, 1:] += lambda_ / m * Theta1[:, 1:]
    G2[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([G1.ravel(), G2.ravel()])
'''


@pytest.fixture
def student_files(tmp_path):
    (tmp_path / "helper.py").write_text("import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    (tmp_path / "good.py").write_text(STUDENT.replace("LAM_FACTOR", "lambda_ / (2 * m)"))
    (tmp_path / "bad.py").write_text(STUDENT.replace("LAM_FACTOR", "lambda_ / 2"))
    (tmp_path / "broken.py").write_text("def nnCostFunction(:\n")
    (tmp_path / "missing_import.py").write_text("import no_such_module\n")
    return tmp_path


def _cli(*argv, cwd):
    r = subprocess.run([sys.executable, "-m", "gradtrio", "verify", *argv], capture_output=True, text=True,
                       cwd=cwd, timeout=300, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def test_cli_pass_fail_json_and_png(student_files):
    rc, out, err = _cli("good.py:nnCostFunction", "--examples", "4", "--no-timing", cwd=student_files)
    assert rc == 0, out + err
    assert "PASSED" in out and "labels 1..K (detected)" in out and "gradtrio verify:" in err
    rc, out, err = _cli("bad.py:nnCostFunction", "--examples", "4", "--json", "--png", "d.png", "--no-timing",
                        cwd=student_files)
    assert rc == 1, out + err
    data = json.loads(out)
    assert data["verdict"] == "fail" and data["diagnosis"][0]["name"] == "cost_penalty_not_divided_by_m"
    assert "no --png written" in err  # a cost-only bug: no gradient difference to draw


@pytest.mark.parametrize("spec,match", [
    ("nofile.py:f", "no such file: nofile.py"),
    ("broken.py:nnCostFunction", "cannot be imported: SyntaxError at line 1"),
    ("missing_import.py:f", "cannot be imported: ModuleNotFoundError"),
    ("good.py:nncostfunction", "has no function 'nncostfunction'; it defines nnCostFunction"),
    ("good.py", "expected FILE.py:FUNC"),
    ("no_such_pkg.mod:f", "module no_such_pkg.mod cannot be imported"),
])
def test_cli_bad_usage_is_one_line_exit_2(student_files, spec, match, capsys, monkeypatch):
    monkeypatch.chdir(student_files)
    assert main(["verify", spec]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_module_spec_and_signature_error(capsys):
    assert main(["verify", "gradtrio.backprop:cost_and_grad", "--signature", "gradtrio", "--examples", "2",
                 "--no-timing"]) == 0
    assert "PASSED" in capsys.readouterr().out
    assert main(["verify", "gradtrio.backprop:cost_and_grad", "--examples", "2", "--order", "C", "--labels",
                 "0..K-1", "--y-shape", "(m,)", "--no-timing"]) == 2


def test_prints_are_kept_off_the_report_and_noted(capsys):
    def chatty(thetas, X, Y, lam):
        print("cost is", lam)
        return backprop.cost_and_grad(thetas, X, Y, lam)

    r = verify(chatty, examples=2)
    assert r.passed and "prints to stdout" in str(r)
    assert "cost is" not in capsys.readouterr().out


def test_a_few_wrong_entries_are_listed():
    def one_entry(thetas, X, Y, lam):
        J, grads = backprop.cost_and_grad(thetas, X, Y, lam)
        grads[-1][0, -1] += 0.5
        return J, grads

    r = verify(one_entry, examples=FEW)
    grad = next(f for f in r.failures() if f.check == "gradient")
    assert any("[0, " in w and "1 of" in w for w in grad.where), grad.where


# --- found by an independent tester: no false alarm, no wrong diagnosis ---------------------------------


def _clipped(clip_delta):
    """The common guard against log(0): h clipped to [1e-15, 1 - 1e-15], in the cost (and in δ)."""

    def nnCostFunction(nn_params, n, hid, K, X, y, lam):
        T1 = nn_params[:hid * (n + 1)].reshape(hid, n + 1)
        T2 = nn_params[hid * (n + 1):].reshape(K, hid + 1)
        m = X.shape[0]
        Y = np.eye(K)[y]
        a1 = np.c_[np.ones(m), X]
        a2 = np.c_[np.ones(m), _sig(a1 @ T1.T)]
        h_raw = _sig(a2 @ T2.T)
        h = np.clip(h_raw, 1e-15, 1 - 1e-15)
        J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
        J += lam / (2 * m) * (np.sum(T1[:, 1:] ** 2) + np.sum(T2[:, 1:] ** 2))
        d3 = (h if clip_delta else h_raw) - Y
        d2 = (d3 @ T2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
        G1, G2 = d2.T @ a1 / m, d3.T @ a2 / m
        G1[:, 1:] += lam / m * T1[:, 1:]
        G2[:, 1:] += lam / m * T2[:, 1:]
        return J, np.concatenate([G1.ravel(), G2.ravel()])

    return nnCostFunction


@pytest.mark.parametrize("seed", [0, 3, 7, 12])
@pytest.mark.parametrize("clip_delta", [False, True])
def test_clipping_h_is_not_a_bug(seed, clip_delta):
    r = verify(_clipped(clip_delta), signature="course", labels="0..K-1", seed=seed)
    assert r.verdict == "pass", str(r)


@pytest.mark.parametrize("seed", [7, 12, 17, 25])
def test_the_course_log_formula_passes_where_it_is_ill_conditioned(seed):
    """Seeds on which the self-consistency check of a naive log(1 - h) cost once gave a false alarm."""
    r = verify(course_student("F", "1..K", "(m, 1)"), signature="course", seed=seed)
    assert r.verdict == "pass", str(r)


@pytest.mark.parametrize("seed", [0, 2, 3, 4])
@pytest.mark.parametrize("where", ["all", "grad"])
def test_float32_code_is_judged_with_float32_rounding_never_failed(where, seed):
    base = course_student("C", "0..K-1")

    def f32(nn_params, n, hid, K, X, y, lam):
        if where == "all":
            J, g = base(nn_params.astype(np.float32), n, hid, K, X.astype(np.float32), y, np.float32(lam))
            return np.float32(J), g.astype(np.float32)
        J, g = base(nn_params, n, hid, K, X, y, lam)
        return J, g.astype(np.float32)

    r = verify(f32, signature="course", seed=seed)  # seeds 2-4 draw outputs saturated in float32, not float64
    assert r.verdict in ("pass", "inconclusive"), str(r)
    assert "float32" in str(r)


def test_a_nan_cost_is_one_finding_not_six_diagnoses():
    base = course_student("C", "0..K-1")
    r = verify(lambda *a: (float("nan"), base(*a)[1]), signature="course", labels="0..K-1", y_shape="(m,)",
               examples=FEW)
    assert r.verdict == "fail" and r.diagnosis == [], str(r)


def test_writing_into_y_is_reported_without_a_diagnosis():
    base = course_student("C", "1..K")

    def shifts_y(nn_params, n, hid, K, X, y, lam):
        J, g = base(nn_params, n, hid, K, X, y, lam)
        y -= 1
        return J, g

    r = verify(shifts_y, signature="course", labels="1..K", examples=FEW)
    changed = next(f for f in r.failures() if f.check == "arguments changed")
    assert "y" in changed.message and "y -= 1" in changed.message and "nn_params" not in changed.message
    assert r.diagnosis == []


def test_state_kept_between_calls_fails_even_with_conventions_detected():
    calls = []
    base = course_student("C", "0..K-1")

    def stateful(*args):
        calls.append(1)
        J, g = base(*args)
        return J, g * (1 + 1e-3 * len(calls))

    r = verify(stateful, signature="course")
    assert r.verdict == "fail" and "repeat call" in {f.check for f in r.failures()}, str(r)


def test_examples_zero_checks_the_debug_problems_only():
    r = verify(backprop.cost_and_grad, examples=0)
    assert r.passed and r.problems == 2


def test_gradtrio_signature_verified_as_course_is_an_error_even_with_conventions_detected():
    r = verify(backprop.cost_and_grad, signature="course")
    assert r.verdict == "error" and "signature='gradtrio'" in str(r)


def test_a_bug_between_hidden_layers_is_said_to_need_two_of_them():
    """gradtrio signature, any depth: g'(z) forgotten below the last hidden layer only."""

    def deep_bug(thetas, X, Y, lam):
        m = X.shape[0]
        acts = [X]
        for T in thetas[:-1]:
            acts.append(_sig(np.c_[np.ones(m), acts[-1]] @ T.T))
        h = _sig(np.c_[np.ones(m), acts[-1]] @ thetas[-1].T)
        J = np.sum(np.logaddexp(0, -np.log(h / (1 - h))) * Y + np.logaddexp(0, np.log(h / (1 - h))) * (1 - Y)) / m
        J += lam / (2 * m) * sum(np.sum(T[:, 1:] ** 2) for T in thetas)
        delta, grads = h - Y, [None] * len(thetas)
        for l in range(len(thetas) - 1, -1, -1):
            G = delta.T @ np.c_[np.ones(m), acts[l]] / m
            G[:, 1:] += lam / m * thetas[l][:, 1:]
            grads[l] = G
            if l:
                back = delta @ thetas[l][:, 1:]
                delta = back * acts[l] * (1 - acts[l]) if l == len(thetas) - 1 else back  # BUG below the top
        return J, grads

    r = verify(deep_bug, examples=20)
    grad = next(f for f in r.failures() if f.check == "gradient")
    assert "only when two or more hidden layers" in grad.conditions, str(r)
