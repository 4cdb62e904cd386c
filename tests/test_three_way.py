"""The three-way property suite: backprop, JAX autodiff and numerical derivatives agree on every draw.

Strategies: gradtrio.testing.strategies; profiles (dev/ci/thorough): tests/conftest.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, target
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from gradtrio import backprop
from gradtrio.check import compare_gradients
from gradtrio.testing.strategies import Problem, UnitProblem, dtypes, problems, unit_problems

THREE_WAY = ("backprop", "autodiff", "central", "complex")


def assert_three_way(p: Problem, methods=THREE_WAY) -> None:
    """No method disagrees with backprop on any layer (a correct gradient is never a failure); the
    message names the layer and the pair. Inconclusive rows are allowed: a draw whose gradient is
    below its own rounding (tiny weights and inputs, float32) cannot resolve a bug, and saying so is
    right."""
    report = compare_gradients(p.thetas, p.X, p.Y, p.lam, methods)
    for row in report.rows:  # steer Hypothesis towards the draws closest to failing
        if currently_in_test_context():
            target(row.ratio, label=f"{row.method_b} error/bound {row.layer}")
    assert report.verdict != "fail", f"{p!r}\n{report.failure_message()}"


@given(problems(dtype=dtypes(float32=True)))
def test_backprop_autodiff_central_complex_agree(p):
    assert_three_way(p)


@given(problems())
def test_loop_equals_vectorized(p):
    report = compare_gradients(p.thetas, p.X, p.Y, p.lam, ("backprop", "loop"))
    assert report.verdict != "fail", f"{p!r}\n{report.failure_message()}"


# --- invariants of the true gradient (NumPy backprop; float64) -----------------------------------

#: Reordering or duplicating examples changes the order of floating-point sums only: a few ε relative
#: to the size of the terms, which are bounded by max(1, |J|) for these bounded draws. These exact
#: identities are drawn from the bounded "random" regime only; the verdicts above draw every regime.
SUM_ORDER_RTOL = 1e-12
BOUNDED = st.just("random")


def _close(a, b, J):
    np.testing.assert_allclose(a, b, rtol=SUM_ORDER_RTOL, atol=SUM_ORDER_RTOL * max(1.0, abs(J)))


@given(problems())
def test_cost_is_nonnegative(p):  # every regime: the cost from logits never goes below 0
    J = backprop.cost(p.thetas, p.X, p.Y, p.lam)
    assert J >= 0.0, f"{p!r}: J = {J}"


@given(problems(regime=BOUNDED), st.randoms(use_true_random=False))
def test_shuffling_examples_changes_nothing(p, rnd):
    perm = list(range(p.m))
    rnd.shuffle(perm)
    J, g = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam)
    Js, gs = backprop.cost_and_grad(p.thetas, p.X[perm], p.Y[perm], p.lam)
    _close(Js, J, J)
    for a, b in zip(gs, g):
        _close(a, b, J)


@given(problems(regime=BOUNDED))
def test_duplicating_the_data_set_changes_nothing(p):
    """The data term is a mean over examples; the penalty λ/(2m) halves when m doubles, so 2λ keeps it."""
    J, g = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam)
    Jd, gd = backprop.cost_and_grad(p.thetas, np.vstack([p.X, p.X]), np.vstack([p.Y, p.Y]), 2 * p.lam)
    _close(Jd, J, J)
    for a, b in zip(gd, g):
        _close(a, b, J)


@given(problems(lam=st.floats(1e-3, 10.0), regime=BOUNDED))
def test_bias_gradient_does_not_depend_on_lambda(p):
    _, g = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam)
    _, g0 = backprop.cost_and_grad(p.thetas, p.X, p.Y, 0.0)
    for l, (a, b) in enumerate(zip(g, g0)):
        np.testing.assert_array_equal(a[:, 0], b[:, 0], err_msg=f"bias column of Theta({l + 1}) moved with λ")


@given(problems(lam=st.floats(1e-3, 10.0), regime=BOUNDED))
def test_regularization_adds_exactly_the_penalty(p):
    """J(λ) - J(0) = λ/(2m) Σ non-bias Θ² and grad(λ) - grad(0) = (λ/m) Θ on non-bias columns."""
    J, g = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam)
    J0, g0 = backprop.cost_and_grad(p.thetas, p.X, p.Y, 0.0)
    penalty = sum(float(np.sum(t[:, 1:] ** 2)) for t in p.thetas)
    _close(J - J0, p.lam / (2 * p.m) * penalty, J)
    for l, (a, b, t) in enumerate(zip(g, g0, p.thetas)):
        np.testing.assert_allclose(a[:, 1:] - b[:, 1:], p.lam / p.m * t[:, 1:], rtol=SUM_ORDER_RTOL,
                                   atol=SUM_ORDER_RTOL * max(1.0, abs(J)), err_msg=f"Theta({l + 1})")


# --- a broken backprop must make the suite fail, and say where ---------------------------------
# The broken backprops are the mutant catalog's (gradtrio.catalog): each is the vectorized algorithm
# with one classic bug switched on, monkeypatched in place of backprop.cost_and_grad.


@pytest.mark.parametrize(
    "bug, bad_layers",
    [
        ("bias_regularized_grad", ["Theta(1)", "Theta(2)", "Theta(3)"]),
        ("lambda_not_divided_by_m", ["Theta(1)", "Theta(2)", "Theta(3)"]),
        ("gprime_missing", ["Theta(1)", "Theta(2)"]),  # the output layer's δ needs no g'
    ],
)
def test_broken_backprop_fails_and_names_layer_and_pair(monkeypatch, bug, bad_layers):
    from gradtrio import network
    from gradtrio.catalog import CATALOG

    thetas, X, y = network.debug_problem((4, 5, 4, 3), m=6)
    p = Problem(thetas, X, network.one_hot(y, 3), 3.0)
    assert_three_way(p)  # the real backprop passes on this problem
    monkeypatch.setattr(backprop, "cost_and_grad", CATALOG[bug])
    with pytest.raises(AssertionError) as info:
        assert_three_way(p)
    msg = str(info.value)
    for other in ("autodiff", "central", "complex"):
        for layer in bad_layers:
            assert f"backprop vs {other} DISAGREE on {layer}" in msg, msg
    report = compare_gradients(p.thetas, p.X, p.Y, p.lam, THREE_WAY)
    assert sorted({r.layer for r in report.failures()}) == bad_layers


def _catalog_names():
    """The mutants whose gradient is wrong: "cost-only" and "contract" bugs return the right gradient
    (the gradient comparison must pass them; the checks of the cost and of the arguments catch them)."""
    from gradtrio.catalog import CATALOG

    return sorted(n for n, mu in CATALOG.items() if mu.kind in ("gradient", "cost", "crash")
                  and mu.units == {"activation": "sigmoid", "output": "sigmoid"})  # this test's network


@pytest.mark.parametrize("bug", _catalog_names())
def test_every_mutant_is_found_by_the_property(monkeypatch, bug):
    """Hypothesis, drawing from this suite's own strategy, finds a draw where each mutant of the catalog
    with a wrong gradient disagrees with the complex step of gradtrio's cost (NumPy methods only: fast).
    Cost-level mutants are caught too: the reference differentiates gradtrio's cost, not the mutant's."""
    from hypothesis import HealthCheck, find, settings

    from gradtrio.catalog import CATALOG

    monkeypatch.setattr(backprop, "cost_and_grad", CATALOG[bug])

    def fails(p: Problem) -> bool:
        try:
            return compare_gradients(p.thetas, p.X, p.Y, p.lam, ("backprop", "complex")).verdict == "fail"
        except ValueError:  # theta_transposed cannot even run on non-square layers: also a detection
            return True

    strategy = problems(sizes=st.lists(st.integers(1, 6), min_size=3, max_size=4).map(tuple))
    find(strategy, fails, settings=settings(max_examples=300, database=None, deadline=None,
                                            suppress_health_check=list(HealthCheck)))


# --- every hidden unit and output, with pre-activations at and near the kinks ----------------------

UNITS_WAY = ("backprop", "loop", "autodiff", "central", "complex")


def assert_units_agree(u: UnitProblem, methods=UNITS_WAY) -> None:
    """Backprop, the loop, JAX, kink-aware central differences and the complex step agree under the
    verdict rule (no "fail"); entries whose stencil crosses a kink are judged by their one-sided
    derivatives, nothing is widened."""
    p = u.problem
    report = compare_gradients(p.thetas, p.X, p.Y, p.lam, methods, **u.units)
    for row in report.rows:
        if currently_in_test_context():
            target(row.ratio, label=f"units: {row.method_b} error/bound {row.layer}")
    assert report.verdict != "fail", f"{u!r}\n{report.failure_message()}\n{report.kink_summary()}"


@given(unit_problems(dtype=dtypes(float32=True)))
def test_every_unit_and_output_agrees_three_ways(u):
    assert_units_agree(u)


@given(unit_problems(activation=st.sampled_from(["relu", "leaky_relu"]), kinks=st.just("at")))
def test_units_exactly_at_a_kink_are_judged_by_one_sided_derivatives(u):
    """Every hidden unit sits exactly at its kink on the zeroed examples: each first-layer bias's stencil
    moves it across, so every first-layer bias is a kink entry, and the gradient still agrees."""
    p = u.problem
    report = compare_gradients(p.thetas, p.X, p.Y, p.lam, ("backprop", "central", "complex"), **u.units)
    assert report.verdict != "fail", f"{u!r}\n{report.failure_message()}"
    cols = p.thetas[0].shape[1]
    biases = {r * cols for r in range(p.thetas[0].shape[0])}
    assert biases <= set(report.kinks["central"]), (u, report.kinks)
