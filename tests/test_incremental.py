"""The incremental finite differences (:mod:`gradtrio.incremental`) against the plain ones they replace.

Each perturbed cost is computed from the changed terms only, so the engine's central difference at step h
is the *same* number as the plain per-coordinate central difference at h, up to the rounding of both: the
same stencil, the same function, the same truncation. The property tests hold the two to the sum of their
rounding bounds, on random architectures of depth 2 to 5 (one to five weight layers), every activation and
output, pixel-sized and saturated data, float32 and float64. Every draw compiles the engine's kernels for
its shapes (about a second), so these properties draw fewer examples than the suite's profile.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradtrio
from gradtrio import backprop, incremental
from gradtrio.catalog import CATALOG
from gradtrio.model import closures, validate
from gradtrio.oracles import COMPLEX_STEP, default_step, numerical_gradient
from gradtrio.rounding import scales_of
from gradtrio.testing import strategies as gst
from gradtrio.tolerances import ANALYTIC_SAFETY, ROUND_SAFETY

#: Draws per property: each compiles one kernel a layer (and one more for the complex step).
DRAWS = 25
_SLOW = settings(max_examples=DRAWS, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _engine(thetas, X, Y, lam, activation="sigmoid", output="sigmoid", **kw):
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output)
    return pb, mats, incremental.IncrementalCost(pb, mats, **kw)


def _plain_central(pb, mats, h):
    """The plain per-coordinate central difference (the course's computeNumericalGradient) at step h."""
    return numerical_gradient(closures.cost_fn(pb), None, pb.arch.unroll(mats), h=h)


def _agree_with_plain(pb, mats, eng):
    """Incremental and plain central differences at the dtype's step agree to their two rounding bounds:
    the plain one's ``2ε·S_J`` per cost difference (:mod:`gradtrio.rounding`), the engine's own bound."""
    theta = pb.arch.unroll(mats)
    h = default_step("central", theta.dtype)
    d = eng.differences(h)
    plain = _plain_central(pb, mats, h)
    span = np.abs(d.span)
    ok = span > 0
    inc = d.diff[ok] / d.span[ok]
    noise = 2 * scales_of(pb, mats).cost_error()  # two evaluations of the full cost
    bound = ROUND_SAFETY * (noise + d.rounding[ok]) / span[ok]
    gap = np.abs(inc - plain[ok])
    worst = int(np.argmax(gap / bound)) if gap.size else 0
    assert np.all(gap <= bound), (f"entry {np.flatnonzero(ok)[worst]}: incremental {inc[worst]!r}, plain "
                                  f"{plain[ok][worst]!r}, |gap| {gap[worst]:.3g} > bound {bound[worst]:.3g}")


@_SLOW
@given(gst.unit_problems(sizes=gst.layer_sizes(3, 6, 1, 5), dtype=gst.dtypes(float32=True)))
def test_agrees_with_plain_central_differences_every_unit(up):
    th, X, Y, lam = up.problem
    pb, mats, eng = _engine(th, X, Y, lam, up.activation, up.output)
    _agree_with_plain(pb, mats, eng)


@_SLOW
@given(gst.problems(sizes=gst.layer_sizes(2, 6, 1, 6), m=st.integers(1, 12)))
def test_agrees_with_plain_central_differences_every_regime(p):
    # pixels (raw counts up to 16 and beyond), saturated units, fitted networks, random weights
    pb, mats, eng = _engine(*p)
    _agree_with_plain(pb, mats, eng)


@_SLOW
@given(gst.unit_problems(sizes=gst.layer_sizes(2, 6, 1, 5),
                         activation=None, kinks=st.just("none")))
def test_complex_step_is_the_gradient_to_rounding(up):
    th, X, Y, lam = up.problem
    pb, mats = validate(th, X, Y, lam, activations=up.activation, output=up.output)
    if not incremental.supports(pb, "complex"):
        with pytest.raises(ValueError, match="complex form"):
            incremental.IncrementalCost(pb, mats).complex_step(COMPLEX_STEP)
        return
    eng = incremental.IncrementalCost(pb, mats)
    g = eng.complex_step(default_step("complex", pb.dtype))
    ref = np.concatenate([t.ravel() for t in backprop.cost_and_grad(mats, pb.X, pb.Y, pb.lam,
                                                                    **pb.arch.unit_keywords)[1]])
    # both are exact to rounding: the backprop's running-error scale bounds each (gradtrio.rounding);
    # the complex step's own is of the same terms, once more
    err = 2 * ANALYTIC_SAFETY * scales_of(pb, mats).grad_error()
    # a unit at a kink within rounding may take either branch in two correct computations
    if pb.arch.kinked:
        return
    assert np.all(np.abs(g - ref) <= err + 4 * np.finfo(pb.dtype).eps * np.abs(ref)), np.max(np.abs(g - ref) / err)


def test_rounding_bound_holds_where_truncation_is_zero():
    """Linear hidden units and squared error make the cost quadratic in every single weight: the central
    difference is then exact but for rounding, which the engine's bound must cover (at 20 seeds and data
    scales up to pixel counts)."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        sizes = tuple(int(s) for s in rng.integers(1, 7, size=int(rng.integers(3, 6))))
        scale = [1.0, 16.0, 255.0][seed % 3]
        th = [rng.normal(size=(b, a + 1)) * rng.uniform(0.1, 3) for a, b in zip(sizes[:-1], sizes[1:])]
        X = rng.integers(0, 17, size=(int(rng.integers(1, 30)), sizes[0])) * scale / 16
        Y = rng.normal(size=(X.shape[0], sizes[-1]))
        pb, mats, eng = _engine(th, X, Y, 0.5, "identity", "identity")
        g = pb.arch.unroll(backprop.cost_and_grad(mats, pb.X, pb.Y, pb.lam, activation="identity",
                                                  output="identity")[1])
        h = default_step("central", np.float64)
        d = eng.differences(h)
        gap = np.abs(d.diff / d.span - g)
        bound = ROUND_SAFETY * d.rounding / np.abs(d.span) + ANALYTIC_SAFETY * scales_of(pb, mats).grad_error()
        assert np.all(gap <= bound), (seed, float(np.max(gap / bound)))


def test_its_rounding_is_far_below_the_full_costs_noise():
    """At a pixel-data problem the changed terms carry far less rounding than a full cost evaluation
    (ε·S_J): the point of summing the difference term by term."""
    rng = np.random.default_rng(3)
    sizes = (64, 25, 10)
    th = [rng.normal(size=(b, a + 1)) * 0.3 for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.integers(0, 17, size=(200, 64)).astype(float)
    Y = np.eye(10)[rng.integers(0, 10, size=200)]
    pb, mats, eng = _engine(th, X, Y, 1.0)
    d = eng.differences(1e-5)
    noise = 2 * scales_of(pb, mats).cost_error()
    assert np.median(d.rounding) < noise / 10


def test_forward_and_two_sided_steps():
    """``minus=0`` gives forward differences ``J(θ + s e_i) − J(θ)``; two such differences add up to the
    central one (to rounding), and an output-layer entry equals its full-cost difference."""
    rng = np.random.default_rng(0)
    th = [rng.normal(size=(4, 4)), rng.normal(size=(3, 5))]
    X, Y = rng.normal(size=(6, 3)), np.eye(3)[rng.integers(0, 3, 6)]
    pb, mats, eng = _engine(th, X, Y, 0.7, "tanh", "softmax")
    h = 1e-3
    plus = eng.differences(h, minus=0.0)
    minus = eng.differences(-h, minus=0.0)
    central = eng.differences(h)
    np.testing.assert_allclose(plus.diff - minus.diff, central.diff, rtol=0, atol=1e-15)
    theta = pb.arch.unroll(mats)
    J = closures.cost_fn(pb)
    for i in (0, 5, theta.size - 1):
        t = theta.copy()
        t[i] += h
        assert abs((J(t) - J(theta)) - plus.diff[i]) < 1e-14


def test_check_gradients_incremental_catches_a_bug_and_passes_the_reference():
    """The default check on a course-sized first layer goes through the engine and names a wrong entry."""
    report = gradtrio.check_gradients((20, 6, 4), lam=1.0, m=9, incremental=True,
                                      methods=("backprop", "central", "complex", "richardson"))
    assert report.verdict == "pass", str(report)
    bug = CATALOG["gprime_missing"]  # a gradient bug: the cost is right, its derivative wrong
    bad = gradtrio.check_gradients((20, 6, 4), lam=1.0, m=9, incremental=True, methods=("bug", "central"),
                                   custom={"bug": lambda th, X, Y, lam: bug(th, X, Y, lam)[1]})
    assert bad.verdict == "fail", str(bad)


def test_check_gradients_same_verdicts_both_paths():
    for inc in (True, False):
        for act, out in (("relu", "softmax"), ("elu", "identity"), ("gelu", "sigmoid")):
            r = gradtrio.check_gradients((4, 5, 3), lam=0.5, m=6, activation=act, output=out, incremental=inc,
                                         methods=("backprop", "central", "complex"))
            assert r.verdict == "pass", (inc, act, out, str(r))


def test_auto_picks_the_engine_by_work():
    pb_small, _ = validate(*gradtrio.network.debug_problem((3, 5, 3), 5)[:2],
                           np.eye(3)[np.arange(5) % 3], 0.0)
    assert not incremental.pays(pb_small)
    big = (400, 25, 10)
    th = gradtrio.network.init_weights(big, seed=0)
    pb_big, _ = validate(th, np.zeros((5, 400)), np.eye(10)[np.arange(5)], 0.0)
    assert incremental.pays(pb_big)  # `gradtrio check --sizes 400 25 10` goes incremental


def test_progress_reaches_the_total():
    seen: list[tuple[int, int]] = []
    rng = np.random.default_rng(1)
    th = [rng.normal(size=(5, 4)), rng.normal(size=(2, 6))]
    _, _, eng = _engine(th, rng.normal(size=(4, 3)), np.eye(2)[[0, 1, 1, 0]], 0.0,
                        progress=lambda d, t: seen.append((d, t)), batch_elements=16)
    eng.differences(1e-4)
    assert seen[-1] == (32, 32) and len(seen) > 2 and all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))


def test_bad_input_is_refused():
    rng = np.random.default_rng(2)
    th = [rng.normal(size=(3, 3)), rng.normal(size=(2, 4))]
    pb, mats, eng = _engine(th, rng.normal(size=(3, 2)), np.eye(2)[[0, 1, 1]], 0.0, "gelu")
    with pytest.raises(ValueError, match=r"entries must lie in 0\.\.16; got 0\.\.17"):
        eng.differences(1e-5, [0, 17])
    with pytest.raises(ValueError, match="complex form"):
        eng.complex_step(1e-20)
    with pytest.raises(ValueError, match="incremental must be 'auto', True or False"):
        gradtrio.check_gradients((3, 4, 2), incremental="yes")


def test_entry_bounds_through_the_engine_pass_the_gradient_and_name_a_planted_entry():
    """Every entry's bound from the engine's differences: backprop's gradient passes (far tighter than the
    black-box bounds of the same problem), and one entry off by 1 % is the one entry that fails."""
    from gradtrio.oracles import entry_bounds
    from gradtrio.tolerances import ANALYTIC_SAFETY

    rng = np.random.default_rng(5)
    sizes = (12, 7, 4)
    th = [rng.normal(size=(b, a + 1)) * 0.5 for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.integers(0, 17, size=(30, 12)).astype(float)
    Y = np.eye(4)[rng.integers(0, 4, 30)]
    pb, mats, eng = _engine(th, X, Y, 0.3, "tanh", "softmax")
    theta = pb.arch.unroll(mats)
    g = pb.arch.unroll(backprop.cost_and_grad(mats, pb.X, pb.Y, pb.lam, activation="tanh", output="softmax")[1])
    sc = scales_of(pb, mats)
    opts = dict(sizes=sizes, grad_error=ANALYTIC_SAFETY * sc.grad_error(), step_scale=sc.flat_sensitivity())
    inc = entry_bounds(eng.function(), g, theta, **opts)
    plain = entry_bounds(closures.cost_fn(pb), g, theta, noise_floor=sc.cost_error(), **opts)
    assert inc.verdict == plain.verdict == "pass"
    assert np.median(inc.bound) < np.median(plain.bound)
    bad = g.copy()
    i = int(np.argmax(np.abs(g)))
    bad[i] *= 1.01
    rep = entry_bounds(eng.function(), bad, theta, **opts)
    assert [s.index for s in rep.failing()] == [i]


def test_complex_step_with_a_large_step_takes_the_exact_trigonometric_path():
    """A step whose imaginary parts are not small (h = 1e-3 on logits of gain ~10) goes through sin, cos
    and atan2: its h² truncation shows and agrees with the same complex step of the full cost."""
    rng = np.random.default_rng(7)
    th = [rng.normal(size=(4, 5)) * 2, rng.normal(size=(3, 5)) * 2]
    X, Y = rng.normal(size=(6, 4)) * 3, np.eye(3)[rng.integers(0, 3, 6)]
    for out in ("sigmoid", "softmax"):
        pb, mats, eng = _engine(th, X, Y, 0.2, "tanh", out)
        theta = pb.arch.unroll(mats)
        from gradtrio.oracles import complex_step_gradient

        full = complex_step_gradient(closures.complex_cost_fn(pb), None, theta, h=1e-3, cross_check=False)
        mine = eng.complex_step(1e-3)
        exact = eng.complex_step(1e-20)
        assert np.max(np.abs(full - exact)) > 1e-9  # the truncation is visible: not the small-angle path
        np.testing.assert_allclose(mine, full, rtol=1e-12, atol=1e-14)
