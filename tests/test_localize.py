"""Tests of gradtrio.localize: probes + bisection find and name a wrong gradient entry; per-entry bounds."""

from math import ceil, log2

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from gradtrio import backprop, network
from gradtrio.localize import (
    Suspect,
    entry_bounds,
    estimate_noise,
    localize,
    problem_functions,
    suspect_at,
)
from gradtrio.testing.strategies import dtypes, problems

# A fraction of the active profile's example count: these properties run a whole localization per
# example (tens of cost evaluations), so the default profile gives 20 and a thorough one 200.
EXAMPLES = max(5, settings.default.max_examples // 5)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def problem(sizes, m, lam, seed, dtype=np.float64, scale=1.0):
    """A random network problem, flattened for the checkers."""
    rng = np.random.default_rng(seed)
    thetas = [(scale * rng.uniform(-1, 1, size=s)).astype(dtype) for s in network.theta_shapes(sizes)]
    X = rng.normal(size=(m, sizes[0])).astype(dtype)
    Y = network.one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1], dtype=dtype)
    return problem_functions(thetas, X, Y, lam, cost=backprop.cost)


def flat(p):
    """A drawn Problem, flattened for the checkers."""
    return problem_functions(p.thetas, p.X, p.Y, p.lam, cost=backprop.cost)


def plant(g, i, delta):
    """The gradient with entry i replaced by 10·g_i + delta: a wrong entry at least delta off."""
    bad = g.copy()
    bad[i] = 10 * g[i] + delta * (1.0 if g[i] >= 0 else -1.0)
    return bad


def test_suspect_at_names_the_entry_roll_puts_there():
    # Independent of suspect_at's arithmetic: put a 1 at a known (layer, row, col) with roll, read it back.
    sizes = (4, 3, 5, 2)
    n = network.num_params(sizes)
    for layer, row, col in [(1, 0, 0), (1, 2, 4), (2, 4, 0), (2, 1, 3), (3, 1, 5)]:
        v = np.zeros(n)
        network.roll(v, sizes)[layer - 1][row, col] = 1.0
        index = int(np.flatnonzero(v)[0])
        assert suspect_at(index, sizes) == Suspect(layer, row, col, index)
    with pytest.raises(ValueError, match="outside the 47 parameters"):
        suspect_at(n, sizes)
    assert str(Suspect(2, 4, 0, 20)) == "Theta(2)[4, 0] (bias)"


@SETTINGS
@given(p=problems(dtype=dtypes(float32=True)), seed=st.integers(0, 2**31), pos=st.floats(0, 1, exclude_max=True))
def test_single_wrong_entry_is_found_and_named(p, seed, pos):
    cost_fn, g, theta, sizes = flat(p)
    i = int(pos * g.size)
    # The error must stand above the probe bound after dilution by 1/sqrt(layer size) <= 1/13 at the
    # first probes. float32's bound is ~8σ/h ≈ 8·(1e-7·|J|)/0.025 ≈ 3e-5·|J| (|J| up to ~100 at λ = 10
    # and saturated weights): 0.5 in float32; float64's is ~1e-9·|J|: 1e-3.
    delta = 1e-3 if p.X.dtype == np.float64 else 0.5
    res = localize(cost_fn, plant(g, i, delta), theta, sizes=sizes, seed=seed)
    assert res.suspects == [suspect_at(i, sizes)], str(res)
    assert res.verdict == "fail"
    assert f"wrong entry {suspect_at(i, sizes)}" in str(res)


@SETTINGS
@given(p=problems(dtype=dtypes(float32=True)), seed=st.integers(0, 2**31))
def test_correct_gradient_is_never_flagged(p, seed):
    cost_fn, g, theta, sizes = flat(p)
    res = localize(cost_fn, g, theta, sizes=sizes, seed=seed)
    worst = max(p.ratio for p in res.probes)
    target(worst, label="worst probe ratio on a correct gradient")
    assert res.verdict != "fail" and not res.suspects, str(res)
    if g.size <= 120:  # the per-entry check costs 4 evaluations an entry
        eb = entry_bounds(cost_fn, g, theta, sizes=sizes, seed=seed)
        target(float(eb.ratio.max()), label="worst entry ratio on a correct gradient")
        assert eb.verdict != "fail", str(eb)


def test_two_wrong_entries_in_different_layers_are_both_found():
    cost_fn, g, theta, sizes = problem((6, 8, 7, 3), 10, 1.0, 3)
    n1 = 8 * 7
    i, j = 11, n1 + 40
    bad = plant(plant(g, i, 1e-3), j, 1e-3)
    res = localize(cost_fn, bad, theta, sizes=sizes)
    assert res.suspects == [suspect_at(i, sizes), suspect_at(j, sizes)]


def test_evaluations_grow_with_log_n_not_n():
    # 30 250 parameters: a full central-difference check takes 60 500 evaluations; localization must
    # stay within its stated budget 4·(L − 1 + 2·n_random + 2·ceil(log2 N)) + 13 for one wrong entry
    # (a random probe that also failed is probed once more without the entry already named).
    sizes = (100, 200, 50)
    cost_fn, g, theta, sizes = problem(sizes, 4, 0.0, 0, scale=0.2)
    n = g.size
    i = n // 3
    res = localize(cost_fn, plant(g, i, 1e-3), theta, sizes=sizes, n_random=4)
    assert res.suspects == [suspect_at(i, sizes)]
    budget = 4 * (len(sizes) - 1 + 2 * 4 + 2 * ceil(log2(n))) + 13
    assert res.evaluations <= budget, (res.evaluations, budget)


def test_entry_bounds_single_out_the_wrong_entry_and_rank_it_worst():
    cost_fn, g, theta, sizes = problem((3, 5, 3), 5, 3.0, 1)
    i = 30  # in Theta(2)
    eb = entry_bounds(cost_fn, plant(g, i, 1e-4), theta, sizes=sizes)
    assert eb.failing() == [suspect_at(i, sizes)]
    assert eb.worst(k=1)[2][0][0] == suspect_at(i, sizes)
    assert eb.evaluations == 4 * g.size + 13
    assert str(suspect_at(i, sizes)) in str(eb)
    # Bounds are honest: every correct entry's error lies inside its bound, the bound is positive.
    ok = np.arange(g.size) != i
    assert np.all(np.abs(eb.analytic - eb.fd)[ok] <= eb.bound[ok]) and np.all(eb.bound > 0)


def test_entry_bounds_on_a_subset_and_errors():
    cost_fn, g, theta, sizes = problem((3, 4, 2), 5, 0.0, 2)
    eb = entry_bounds(cost_fn, g, theta, sizes=sizes, indices=[0, 5, 20])
    assert eb.indices.tolist() == [0, 5, 20] and eb.passed
    with pytest.raises(ValueError, match="indices must lie in 0..25"):
        entry_bounds(cost_fn, g, theta, sizes=sizes, indices=[26])
    with pytest.raises(ValueError, match="must have 26 entries"):
        localize(cost_fn, g[:-1], theta, sizes=sizes)
    with pytest.raises(ValueError, match="non-finite"):
        localize(cost_fn, np.full_like(g, np.nan), theta, sizes=sizes)


def test_grad_as_list_or_callable_gives_the_same_verdict():
    cost_fn, g, theta, sizes = problem((3, 4, 2), 5, 0.0, 2)
    bad = plant(g, 7, 1e-3)
    as_list = network.roll(bad, sizes)
    a = localize(cost_fn, as_list, theta, sizes=sizes)
    b = localize(cost_fn, lambda v: bad, theta, sizes=sizes)
    assert a.suspects == b.suspects == [suspect_at(7, sizes)]


def test_noise_estimate_recovers_planted_noise():
    # A smooth quadratic plus pseudo-random noise of known standard deviation (a deterministic
    # function of θ, as rounding is): the estimate must land within a factor 2 of it. The noise is
    # seeded by θ's bytes themselves (a SeedSequence of their 32-bit words), not by hash(), which
    # PYTHONHASHSEED salts in every process: the same draws on every run (median 0.94 σ).
    sigma = 1e-9

    def noisy(v):
        rng = np.random.default_rng(np.frombuffer(v.tobytes(), dtype=np.uint32))
        return float(0.5 * v @ v + sigma * rng.standard_normal())

    theta = np.linspace(-1, 1, 50)
    est = [estimate_noise(noisy, theta, seed=s) for s in range(20)]
    assert sigma / 2 < np.median(est) < 2 * sigma


def test_systematic_bug_stops_at_max_suspects():
    # A systematic bug (δ(L) sign flipped) makes every entry wrong: localization stops at
    # max_suspects instead of bisecting all 38 entries.
    mutants = pytest.importorskip("gradtrio.catalog")
    thetas, X, y = network.debug_problem((3, 5, 3))
    Y = network.one_hot(y, 3)
    mutant = mutants.CATALOG["output_delta_sign"]
    cost_fn, g, theta, sizes = problem_functions(thetas, X, Y, 0.0, backward=mutant, cost=mutant.cost)
    res = localize(cost_fn, g, theta, sizes=sizes, max_suspects=3)
    assert res.verdict == "fail" and len(res.suspects) == 3
