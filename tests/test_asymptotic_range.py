"""The truncation bound of a probe holds outside the asymptotic range: float32 steps on large data.

float32's central step ``h = 5 ε^(1/3) = 0.025``, taken on data of |x| ≈ 40-100 (raw features) or below large
weights, moves a logit by 1-2 per step. The two-step estimate ``|D(h) − D(2h)|/3`` then misses the
``J⁽⁵⁾h⁴/30`` it neglects (its ``h²`` and ``h⁴`` terms cancel in ``D(2h) − D(h)``), and a correct gradient
got "fail" (Hypothesis, ``test_localize.py::test_correct_gradient_is_never_flagged``: sizes (6, 2), m = 3,
float32, max|X| = 38.5, ratio just above 1). :mod:`gradtrio.oracles.probes` now checks the quartic term on
the probe's own evaluations and halves the step where it is not negligible.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradtrio import backprop, network
from gradtrio.localize import entry_bounds, localize, problem_functions, suspect_at
from gradtrio.testing.strategies import layer_sizes, problems

EXAMPLES = max(5, settings.default.max_examples // 5)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pixel_problem(seed, lam=1.0, weight=0.1, top=38.5, sizes=(6, 2), m=3):
    """A float32 one-layer problem on pixel counts 0..16 scaled to ``top``, as the "pixels" regime draws them."""
    rng = np.random.default_rng(seed)
    thetas = [rng.uniform(-weight, weight, size=s).astype(np.float32) for s in network.theta_shapes(sizes)]
    X = (rng.integers(0, 17, size=(m, sizes[0])) * (top / 16.0)).astype(np.float32)
    Y = network.one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1], dtype=np.float32)
    return thetas, X, Y, lam


def exact_gradient(thetas, X, Y, lam):
    """The float64 gradient of the float32 problem's values: what the finite difference estimates."""
    _, grads = backprop.cost_and_grad([t.astype(np.float64) for t in thetas], X.astype(np.float64),
                                      Y.astype(np.float64), lam)
    return network.unroll(grads)


def test_the_reported_false_alarm_is_gone_and_its_bound_is_honest():
    # The report's problem: (6, 2), m = 3, float32, max|X| = 38.5. Before the fix entry Theta(1)[1, 4]
    # (x = 38.5, 26.5, 38.5: a logit moves by ~1 per step) had D(h) off by 0.045 from the exact gradient
    # and a bound of 0.0409 (truncation estimate 0.0135 × 3): ratio 1.10, verdict "fail".
    thetas, X, Y, lam = pixel_problem(3)
    assert float(np.abs(X).max()) == 38.5
    cost_fn, g, theta, sizes = problem_functions(thetas, X, Y, lam, cost=backprop.cost)
    eb = entry_bounds(cost_fn, g, theta, sizes=sizes, seed=0)
    assert eb.verdict != "fail", str(eb)
    # The steps were halved where the expansion was not asymptotic (more than the 4 evaluations an entry) ...
    assert eb.evaluations > 4 * g.size + 13
    # ... and every bound now covers the finite difference's true error, not only the gap to the analytic side.
    exact = exact_gradient(thetas, X, Y, lam)
    assert np.all(np.abs(eb.fd - exact[eb.indices]) <= eb.bound), str(eb)
    assert localize(cost_fn, g, theta, sizes=sizes, seed=0).verdict != "fail"


def test_a_planted_bug_is_still_caught_there():
    thetas, X, Y, lam = pixel_problem(3)
    cost_fn, g, theta, sizes = problem_functions(thetas, X, Y, lam, cost=backprop.cost)
    i = 11  # the entry that raised the false alarm
    bad = g.copy()
    bad[i] *= 1.1
    eb = entry_bounds(cost_fn, bad, theta, sizes=sizes, seed=0)
    assert eb.failing() == [suspect_at(i, sizes)], str(eb)
    assert localize(cost_fn, bad, theta, sizes=sizes, seed=0).suspects == [suspect_at(i, sizes)]


@SETTINGS
@given(p=problems(sizes=layer_sizes(max_layers=3, max_size=10), dtype=st.just(np.dtype(np.float32)),
                  m=st.integers(1, 20), regime=st.sampled_from(["pixels", "saturated"]),
                  x_scale=st.one_of(st.just(16.0), st.floats(16.0, 100.0))),
       seed=st.integers(0, 2**31))
def test_float32_bounds_cover_the_true_error_on_large_data(p, seed):
    # Every entry's bound covers |D − exact gradient| (the rounding of the analytic side aside, which the
    # bound also holds), so a correct gradient cannot fail, at any data scale up to 100 or weights up to 20.
    cost_fn, g, theta, sizes = problem_functions(p.thetas, p.X, p.Y, p.lam, cost=backprop.cost)
    eb = entry_bounds(cost_fn, g, theta, sizes=sizes, seed=seed)
    assert eb.verdict != "fail", str(eb)
    exact = exact_gradient(*p)
    assert np.all(np.abs(eb.fd - exact[eb.indices]) <= eb.bound), str(eb)
    assert localize(cost_fn, g, theta, sizes=sizes, seed=seed).verdict != "fail"
