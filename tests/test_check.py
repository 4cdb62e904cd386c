"""gradtrio.check and gradtrio.tolerances: the classic checkNNGradients report and the tolerance table."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import gradtrio
from gradtrio import backprop, network
from gradtrio.check import DEFAULT_METHODS, KNOWN_METHODS, compare_gradients, relative_error
from gradtrio.tolerances import GRADIENT_METHODS, TOLERANCES, tolerance


@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_classic_check_meets_the_issue_bounds(lam):
    """Issue 3: 3→5→3, m = 5: backprop vs central < 1e-9 relative; vs JAX and complex step near rounding."""
    report = gradtrio.check_gradients((3, 5, 3), lam=lam)
    assert report.passed and report.verdict == "pass", str(report)
    assert {r.method_b for r in report.rows} == set(DEFAULT_METHODS[1:])
    ref = network.unroll(report.gradients["backprop"])
    for method in DEFAULT_METHODS[1:]:
        # The course's "< 1e-9" is ‖n − g‖/‖n + g‖ over the whole unrolled gradient: a single layer's
        # relative error is a rounding-noise sample where that layer's gradient is small.
        rel = relative_error(network.unroll(report.gradients[method]), ref)
        assert rel < (1e-9 if method == "central" else 1e-14), (method, rel, str(report))


def test_report_table_and_json():
    report = gradtrio.check_gradients((3, 5, 3), lam=3.0)
    text = str(report)
    for method in DEFAULT_METHODS[1:]:
        for layer in ("Theta(1)", "Theta(2)"):
            assert any(f"backprop vs {method}" in line and layer in line for line in text.splitlines())
    assert "PASSED" in text and "λ = 3" in text
    data = json.loads(report.to_json())
    assert data["passed"] is True and data["sizes"] == [3, 5, 3] and len(data["rows"]) == 8
    assert data["verdict"] == "pass" and data["evaluations"]["central"] > 0
    assert {"method_a", "method_b", "layer", "max_abs", "rel_err", "bound", "ratio", "resolution", "verdict",
            "passed"} <= set(data["rows"][0])


def test_print_from_the_command_line():
    code = "import gradtrio; print(gradtrio.check_gradients((3, 5, 3), lam=3.0))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "backprop vs central" in out and "PASSED" in out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sizes", [(2, 1), (4, 6, 5, 3), (1, 3, 1, 2, 2)])
def test_all_methods_agree_on_other_nets_and_dtypes(sizes, dtype):
    methods = ("backprop", "loop", "autodiff", "central", "complex", "batched", "richardson", "directional")
    report = gradtrio.check_gradients(sizes, lam=1.0, m=7, dtype=dtype, methods=methods)
    assert report.passed, str(report)
    assert report.dtype == np.dtype(dtype).name
    assert all(g.shape == t.shape for g, t in zip(report.gradients["central"], network.debug_problem(sizes)[0]))


def test_pairs_all_compares_every_pair():
    report = gradtrio.check_gradients((3, 4, 2), methods=("backprop", "autodiff", "complex"), pairs="all")
    assert [(r.method_a, r.method_b) for r in report.rows][::2] == [
        ("backprop", "autodiff"), ("backprop", "complex"), ("autodiff", "complex")]


def test_a_custom_broken_gradient_fails_naming_layer_and_pair():
    def wrong_output_layer(thetas, X, Y, lam):
        _, g = backprop.cost_and_grad(thetas, X, Y, lam)
        g[-1] = g[-1] * 1.01  # 1 % off, last layer only
        return g

    report = gradtrio.check_gradients((3, 5, 4, 3), lam=1.0, methods=("mine", "central", "complex"),
                                      custom={"mine": wrong_output_layer})
    assert report.verdict == "fail" and not report
    assert {(r.method_b, r.layer) for r in report.failures()} == {("central", "Theta(3)"), ("complex", "Theta(3)")}
    assert "mine vs central DISAGREE on Theta(3)" in report.failure_message()
    assert "FAIL" in str(report) and "FAILED" in str(report)
    assert report.worst().layer == "Theta(3)"


def test_bad_arguments_are_refused_with_actionable_messages():
    with pytest.raises(ValueError, match="unknown methods .*'symbolic'"):
        gradtrio.check_gradients(methods=("backprop", "symbolic"))
    with pytest.raises(ValueError, match="pairs must be"):
        gradtrio.check_gradients(pairs="some")
    with pytest.raises(ValueError, match="reference"):
        gradtrio.check_gradients(methods=("directional", "backprop"))
    thetas, X, y = network.debug_problem()
    with pytest.raises(ValueError, match="one-hot"):
        compare_gradients(thetas, X, y, 0.0)


def test_directional_uses_the_seed():
    a = gradtrio.check_gradients(methods=("backprop", "directional"), seed=1).rows[0]
    b = gradtrio.check_gradients(methods=("backprop", "directional"), seed=2).rows[0]
    assert a.passed and b.passed and a.max_abs != b.max_abs


# --- the tolerance table ------------------------------------------------------------------------


def test_tolerance_table_covers_every_pair_symmetrically_with_looser_float32():
    for a in GRADIENT_METHODS:
        for b in GRADIENT_METHODS:
            t64, t32 = tolerance(np.float64, a, b), tolerance(np.float32, a, b)
            assert t64 == tolerance(np.float64, b, a)
            assert t32.rtol > 100 * t64.rtol and t32.atol > 100 * t64.atol
            assert t64.why
    assert set(KNOWN_METHODS) - {"directional"} <= set(GRADIENT_METHODS)
    assert len(TOLERANCES) == 2 * len(GRADIENT_METHODS) ** 2


def test_tolerance_ordering_follows_the_steps():
    """Rounding-only pairs are tightest; central below forward (ε^(2/3) < ε^(1/2))."""
    for dt in (np.float64, np.float32):
        exact = tolerance(dt, "backprop", "autodiff").rtol
        central = tolerance(dt, "backprop", "central").rtol
        forward = tolerance(dt, "backprop", "forward").rtol
        assert exact < central < forward


def test_tolerance_lookup_errors_and_dtype_mapping():
    assert tolerance(np.complex64, "backprop", "complex") == tolerance(np.float32, "backprop", "complex")
    with pytest.raises(ValueError, match="known methods"):
        tolerance(np.float64, "backprop", "telepathy")


def test_central_truncation_does_not_scale_with_J():
    """A nearly perfect fit (J ~ 3e-5) whose third derivatives are not small: the central-difference
    error is truncation, ~3 ε^(2/3) absolute, far above ε|J|/h. Hypothesis found the first such draw
    (4-4-9-12-1, X = 0); this one is built the same way (seed 0). The table's atol (10 ε^(2/3),
    gradtrio.tolerances) must pass it; an atol scaled by |J| or of 2 ε^(2/3) would not."""
    from gradtrio import network as nw
    from gradtrio.check import compare_gradients

    sizes, m = (4, 4, 9, 12, 1), 18
    rng = np.random.default_rng(0)
    thetas = [rng.uniform(-2, 2, size=s) for s in nw.theta_shapes(sizes)]
    thetas[-1][0, 0] = rng.uniform(4, 10)  # output bias: every example fitted almost perfectly
    X, Y = np.zeros((m, 4)), np.ones((m, 1))
    report = compare_gradients(thetas, X, Y, 0.0, ("backprop", "central"))
    assert report.J < 1e-4
    # Far beyond the a-priori central rtol (1.1e-9): only a bound measured on the problem passes it.
    assert max(r.rel_err for r in report.rows) > 1e3 * tolerance(np.float64, "backprop", "central").rtol
    assert report.passed, report.failure_message()


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
@pytest.mark.parametrize("activation", ["sigmoid", "identity", "tanh", "relu", "leaky_relu", "elu", "softplus",
                                        "gelu", ("relu", "tanh")])
def test_the_debug_check_passes_for_every_unit_and_output(activation, output):
    """What ``gradtrio check --activation A --output O`` runs: a pass, with the kink entries reported for
    kinked networks (an empty list is a count, not an absence) and none for smooth ones."""
    from gradtrio.check import check_gradients

    sizes = (3, 5, 4, 3) if not isinstance(activation, str) else (3, 5, 3)
    report = check_gradients(sizes, lam=1.0, activation=activation, output=output)
    assert report.verdict == "pass", report.failure_message()
    kinked = "relu" in activation or "leaky_relu" in activation
    assert set(report.kinks) == ({"central", "complex"} if kinked else set())
    assert report.to_dict()["kinks"] == {k: len(v) for k, v in report.kinks.items()}


def test_kink_entries_break_no_bound_elsewhere():
    """A kink entry's range replaces the difference quotient on that entry only: the same network with a
    wrong entry elsewhere still fails, on that entry's layer."""
    from gradtrio import backprop
    from gradtrio.check import compare_gradients

    rng = np.random.default_rng(1)
    thetas = [rng.standard_normal((4, 3)), rng.standard_normal((2, 5))]
    thetas[0][:, 0] = 0.0
    X = rng.standard_normal((5, 2))
    X[0] = 0.0
    Y = np.eye(2)[[0, 1, 0, 1, 1]]

    def wrong(th, X_, Y_, lam_):
        g = [np.array(t) for t in backprop.cost_and_grad(th, X_, Y_, lam_, activation="relu")[1]]
        g[1][0, 2] *= 1.1
        return g

    ok = compare_gradients(thetas, X, Y, 0.0, ("backprop", "central"), activation="relu")
    assert ok.verdict == "pass" and ok.kinks["central"]
    bad = compare_gradients(thetas, X, Y, 0.0, ("wrong", "central"), custom={"wrong": wrong}, activation="relu")
    assert [r.layer for r in bad.failures()] == ["Theta(2)"]
