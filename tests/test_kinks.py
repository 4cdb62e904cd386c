"""Kink-aware finite differences: entries whose stencil crosses a kink are found, judged by the one-sided
derivatives, and neither correct gradients nor real bugs are misjudged there.

The problems are constructed so that the kinks are where the test says: an example of zeros with zero
biases puts every hidden unit's pre-activation exactly at 0 (no rounding behind it: every term of its sum
is 0), and a weight chosen as ``(1e-7 − 0.3)/0.5`` puts one unit's z at about 1e-7, inside a central
stencil of step 1e-5 and outside one of step 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradtrio import backprop
from gradtrio.check import compare_gradients
from gradtrio.model import closures, validate
from gradtrio.model.activations import LEAKY_SLOPE
from gradtrio.network import unroll
from gradtrio.oracles.branches import one_sided_derivatives, stencil_crosses, stencil_offsets

#: One-sided difference quotients at this step are the one-sided derivatives to O(t·J''), about 1e-7 here.
ONE_SIDED_STEP = 1e-7
#: The slopes (left, right) of each kinked activation at 0, and its convention (the left branch).
SLOPES = {"relu": (0.0, 1.0), "leaky_relu": (LEAKY_SLOPE, 1.0)}


def kinked_problem(output: str = "sigmoid"):
    """sizes (2, 3, 2), m = 3: example 0 is all zeros and the hidden biases are 0 (every hidden z exactly 0
    there); unit 0's z on example 1 is about 1e-7; the rest is well away from 0."""
    T1 = np.array([[0.0, 0.3, (1e-7 - 0.3) / 0.5],
                   [0.0, 0.8, 0.6],
                   [0.0, -0.7, 0.9]])
    T2 = np.array([[0.1, 1.3, -0.8, 0.6],
                   [-0.2, -1.1, 0.7, 0.9]])
    X = np.array([[0.0, 0.0], [1.0, 0.5], [-0.4, 0.9]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]) if output != "identity" else np.array(
        [[0.3, -1.2], [0.8, 0.1], [-0.5, 0.4]])
    return [T1, T2], X, Y, 0.0


def bias_index(unit: int) -> int:
    return unit * 3  # Θ(1) is 3 × 3, row-major: unit u's bias is entry 3u


def weight_index(unit: int, col: int) -> int:
    return unit * 3 + col


def test_the_constructed_problem_is_where_it_says():
    thetas, X, Y, lam = kinked_problem()
    z = X @ thetas[0][:, 1:].T + thetas[0][:, 0]
    assert np.all(z[0] == 0.0)
    assert 0 < z[1, 0] < 2e-7
    assert np.all(np.abs(np.delete(z[1:], 0, axis=1)) > 0.1) and abs(z[2, 0]) > 0.1


@pytest.mark.parametrize("act", sorted(SLOPES))
def test_stencils_that_cross_a_kink_are_found_from_the_pre_activations(act):
    thetas, X, Y, lam = kinked_problem()
    pb, mats = validate(thetas, X, Y, lam, activations=act)
    n = pb.arch.num_params
    wide = stencil_crosses(pb, mats, stencil_offsets("central", np.full(n, 1e-5)))
    narrow = stencil_crosses(pb, mats, stencil_offsets("central", np.full(n, 1e-9)))
    at_zero = {bias_index(u) for u in range(3)}  # the zero example: every bias moves its unit off 0
    near = {weight_index(0, 1), weight_index(0, 2)}  # unit 0's z ≈ 1e-7 on example 1
    assert set(np.flatnonzero(wide)) == at_zero | near
    assert set(np.flatnonzero(narrow)) == at_zero  # ±2e-9 does not reach 1e-7; an exact tie is crossed by any step
    assert not np.any(wide[9:])  # the output layer's weights move no hidden pre-activation


@pytest.mark.parametrize("act", sorted(SLOPES))
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_one_sided_derivatives_are_the_one_sided_difference_quotients(act, output):
    """The exact left and right derivatives against one-sided differences of the cost at a step small
    enough to stay on one branch (an independent computation: the cost only)."""
    thetas, X, Y, lam = kinked_problem(output)
    pb, mats = validate(thetas, X, Y, lam, activations=act, output=output)
    J = closures.cost_fn(pb)
    theta = pb.arch.unroll(mats)
    idx = np.arange(pb.arch.num_params)
    sided = one_sided_derivatives(pb, mats, idx)
    t = ONE_SIDED_STEP
    for i in idx:
        e = np.zeros_like(theta)
        e[i] = t
        right, left = (J(theta + e) - J(theta)) / t, (J(theta) - J(theta - e)) / t
        lo, hi = min(left, right), max(left, right)
        assert sided.lo[i] == pytest.approx(lo, abs=1e-6), i
        assert sided.hi[i] == pytest.approx(hi, abs=1e-6), i
    # the zero example makes every first-layer bias a true kink: the two sides differ
    for u in range(3):
        assert sided.hi[bias_index(u)] - sided.lo[bias_index(u)] > 1e-3
        assert sided.ties[bias_index(u)] >= 1


@pytest.mark.parametrize("act", sorted(SLOPES))
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_a_correct_gradient_passes_with_its_kink_entries_reported(act, output):
    thetas, X, Y, lam = kinked_problem(output)
    report = compare_gradients(thetas, X, Y, lam, ("backprop", "loop", "autodiff", "central", "complex",
                                                   "richardson", "forward"), activation=act, output=output)
    assert report.verdict == "pass", report.failure_message()
    for method in ("central", "richardson", "forward"):
        assert {bias_index(u) for u in range(3)} <= set(report.kinks[method])
    assert report.kinks["complex"] == []  # relu feeds the output: Re z stays exactly on the tie
    assert "kink entries: central" in str(report)
    d = report.to_dict()
    assert d["kinks"]["central"] == len(report.kinks["central"])
    rec = {r["index"]: r for r in d["kink_entries"]["central"]}[bias_index(0)]
    assert rec["entry"].startswith("Theta(1)[0, 0]") and rec["ties"] >= 1
    lo, hi = rec["left_right"]
    assert lo <= rec["convention"] <= hi


def relu_backprop(slope_at_zero: float, act: str = "relu"):
    """An independent one-hidden-layer backprop (sigmoid output, cross-entropy) whose activation's
    derivative at exactly 0 is ``slope_at_zero`` (and its usual slopes elsewhere)."""
    left = SLOPES[act][0]

    def grad(thetas, X, Y, lam):
        T1, T2 = thetas
        m = X.shape[0]
        A0 = np.hstack([np.ones((m, 1)), X])
        Z1 = A0 @ T1.T
        A1 = np.where(Z1 > 0, Z1, left * Z1)
        A1b = np.hstack([np.ones((m, 1)), A1])
        H = 1.0 / (1.0 + np.exp(-(A1b @ T2.T)))
        d2 = H - Y
        gp = np.where(Z1 > 0, 1.0, np.where(Z1 == 0, slope_at_zero, left))
        d1 = (d2 @ T2[:, 1:]) * gp
        G1, G2 = d1.T @ A0 / m, d2.T @ A1b / m
        G1[:, 1:] += lam / m * T1[:, 1:]
        G2[:, 1:] += lam / m * T2[:, 1:]
        return [G1, G2]

    return grad


@pytest.mark.parametrize("act", sorted(SLOPES))
def test_the_independent_backprop_is_the_library_one_at_the_convention(act):
    thetas, X, Y, lam = kinked_problem()
    ours = relu_backprop(SLOPES[act][0], act)(thetas, X, Y, lam)
    lib = backprop.cost_and_grad(thetas, X, Y, lam, activation=act)[1]
    np.testing.assert_allclose(unroll(ours), unroll(lib), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("act", sorted(SLOPES))
@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
def test_any_subgradient_at_the_kink_is_accepted_by_the_one_sided_check(act, where):
    """g'(0) anywhere in [left slope, right slope] (relu'(0) = 1 too) is a subgradient: the kink-aware
    central differences accept it. It is not the convention (relu'(0) = 0), so the methods that follow
    the convention (JAX, the complex step: Re z stays at 0 here) see the difference on those entries."""
    left, right = SLOPES[act]
    thetas, X, Y, lam = kinked_problem()
    custom = {"mine": relu_backprop(left + where * (right - left), act)}
    central = compare_gradients(thetas, X, Y, lam, ("mine", "central"), custom=custom, activation=act)
    assert central.verdict == "pass", central.failure_message()
    exact = compare_gradients(thetas, X, Y, lam, ("mine", "complex", "autodiff"), custom=custom, activation=act)
    assert exact.verdict == ("pass" if where == 0.0 else "fail"), exact.failure_message()


@pytest.mark.parametrize("act", sorted(SLOPES))
@pytest.mark.parametrize("slope", [-1.0, 2.0, 3.0])
def test_a_derivative_outside_the_one_sided_range_fails(act, slope):
    """g'(0) outside [left, right] (2, or −1) is no subgradient: a bug, found on the kink entries."""
    thetas, X, Y, lam = kinked_problem()
    custom = {"mine": relu_backprop(slope, act)}
    report = compare_gradients(thetas, X, Y, lam, ("mine", "central"), custom=custom, activation=act)
    assert report.verdict == "fail"
    assert [r.layer for r in report.failures()] == ["Theta(1)"]


@pytest.mark.parametrize("act", sorted(SLOPES))
@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_a_bug_away_from_the_kinks_still_fails(act, method):
    thetas, X, Y, lam = kinked_problem()
    first = compare_gradients(thetas, X, Y, lam, ("backprop", method), activation=act)
    kinks = set(first.kinks.get(method, []))
    far = next(i for i in range(9, 17) if i not in kinks)  # an output-layer weight: no stencil crosses there

    def planted(th, X_, Y_, lam_):
        g = unroll(backprop.cost_and_grad(th, X_, Y_, lam_, activation=act)[1])
        g[far] *= 1.1
        return [g[:9].reshape(3, 3), g[9:].reshape(2, 4)]

    report = compare_gradients(thetas, X, Y, lam, ("planted", method), custom={"planted": planted}, activation=act)
    assert report.verdict == "fail" and [r.layer for r in report.failures()] == ["Theta(2)"]


def test_a_smooth_unit_before_a_kink_moves_the_complex_steps_real_parts():
    """gelu then relu at an exact tie: Re gelu(ih) = −h²φ(0) ≠ 0 moves the relu's real part off 0, so the
    complex step takes a side there: those entries are kink entries of the complex step, and pass."""
    rng = np.random.default_rng(3)
    thetas = [rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (2, 4))]
    for T in thetas[:-1]:
        T[:, 0] = 0.0
    X = rng.uniform(-1, 1, (4, 2))
    X[0] = 0.0
    Y = np.eye(2)[[0, 1, 1, 0]]
    report = compare_gradients(thetas, X, Y, 0.0, ("backprop", "autodiff", "central", "complex"),
                               activation=("gelu", "relu"))
    assert report.verdict == "pass", report.failure_message()
    assert report.kinks["complex"], report.kinks
    assert report.kinks["central"]


def test_a_smooth_network_has_no_kink_entries():
    thetas, X, Y, lam = kinked_problem()
    report = compare_gradients(thetas, X, Y, lam, ("backprop", "central", "complex"), activation="tanh")
    assert report.verdict == "pass" and report.kinks == {} and report.kink_summary() == ""
    assert "kink" not in str(report)
