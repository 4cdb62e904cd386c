"""Verdicts on the problems users actually check: raw pixels, trained networks at λ = 0, float32.

Each case is one that a-priori tolerances got wrong (a false alarm on a correct gradient, or a
``ComplexStepError`` blaming gradtrio's own complex-safe cost). Every correct gradient must come out
"pass" (or, where the dtype cannot resolve the gradient, "inconclusive", never "fail"), and the same
checkers must still catch a single entry multiplied by 1.1 on the very same problems.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from gradtrio import backprop, localize, verdicts
from gradtrio.check import compare_gradients
from gradtrio.finite_diff import directional_check
from gradtrio.network import init_weights, one_hot, unroll
from gradtrio.rounding import checker_options
from gradtrio.train import train

#: A planted bug is one entry times PLANT at one of the larger entries of a layer: the largest.
PLANT = 1.1


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data.astype(np.float64), d.target.astype(np.int64)


@pytest.fixture(scope="module")
def trained(digits):
    """A 64-40-10 net trained at λ = 0 on 300 scaled digits: J ≈ 5e-5, a difference of large terms."""
    X, y = digits
    return train(X[:300] / 16, y[:300], hidden=(40,), lam=0.0, maxiter=200, seed=1).thetas


def planted(grads: list[np.ndarray], layer: int) -> list[np.ndarray]:
    out = [g.copy() for g in grads]
    flat = out[layer].reshape(-1)
    flat[int(np.argmax(np.abs(flat)))] *= PLANT
    return out


def _problem(thetas, X, y, dtype):
    return [t.astype(dtype) for t in thetas], X.astype(dtype), one_hot(y, 10, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m, lam", [(5, 0.0), (100, 1.0)])
def test_raw_pixels_pass_and_a_planted_entry_is_caught(digits, m, lam, dtype):
    """Pixel counts 0..16, untouched: the a-priori central-difference bounds (written for |x| <= 3)
    failed 32 of 36 such correct gradients."""
    X, y = digits
    th, Xm, Y = _problem(init_weights((64, 25, 10), seed=0), X[:m], y[:m], dtype)
    methods = ("backprop", "central", "complex", "autodiff")
    report = compare_gradients(th, Xm, Y, lam, methods)
    assert report.verdict == "pass", str(report)
    _, g = backprop.cost_and_grad(th, Xm, Y, lam)
    for layer in range(2):
        bad = planted(g, layer)
        r = compare_gradients(th, Xm, Y, lam, ("planted",) + methods[1:],
                              custom={"planted": lambda *_, bad=bad: bad})
        caught = {row.method_b for row in r.failures() if row.layer == f"Theta({layer + 1})"}
        assert caught == set(methods[1:]), str(r)


def test_trained_network_at_lambda_0_passes_every_checker(digits, trained):
    """At a near-perfect fit the cost's terms stay large while J and the gradient nearly vanish: noise
    ε|J| is 1e-22 where the real noise is ~1e-13. Every checker bounds its noise from the terms."""
    X, y = digits
    th, Xm, Y = _problem(trained, X[:20] / 16, y[:20], np.float64)
    report = compare_gradients(th, Xm, Y, 0.0, ("backprop", "complex", "central", "directional"))
    assert report.verdict == "pass", str(report)
    assert report.J < 1e-3
    adj = verdicts.adjoint_test(th, Xm, Y, 0.0, k=3)
    assert adj.verdict == "pass", str(adj)
    cost_fn, g, theta, sizes = localize.problem_functions(th, Xm, Y, 0.0)
    opts = checker_options(th, Xm, Y, 0.0)
    assert localize.localize(cost_fn, g, theta, sizes=sizes, **opts).verdict == "pass"
    taylor = verdicts.taylor_test(cost_fn, g, theta, noise_floor=opts["noise_floor"],
                                  grad_error=opts["grad_error"], step_scale=opts["step_scale"])
    assert taylor.verdict == "pass", str(taylor)
    assert directional_check(cost_fn, g, theta, **opts).verdict == "pass"


def test_trained_network_planted_entry_is_caught_by_every_checker(digits, trained):
    X, y = digits
    th, Xm, Y = _problem(trained, X[:20] / 16, y[:20], np.float64)
    J, g = backprop.cost_and_grad(th, Xm, Y, 0.0)
    bad = planted(g, 0)
    report = compare_gradients(th, Xm, Y, 0.0, ("planted", "complex", "central", "directional"),
                               custom={"planted": lambda *_: bad})
    assert {r.method_b for r in report.failures()} == {"complex", "central", "directional"}, str(report)
    assert verdicts.adjoint_test(th, Xm, Y, 0.0, backward=lambda *_: (J, bad)).verdict == "fail"
    cost_fn, _, theta, sizes = localize.problem_functions(th, Xm, Y, 0.0)
    opts = checker_options(th, Xm, Y, 0.0)
    found = localize.localize(cost_fn, unroll(bad), theta, sizes=sizes, **opts)
    assert found.verdict == "fail" and len(found.suspects) == 1, str(found)
    i = int(np.argmax(np.abs(g[0])))
    assert found.suspects[0].index == i


def test_trained_network_in_float32_is_inconclusive_not_failed(digits, trained):
    """float32 cannot resolve a gradient that nearly cancels: saying so is the honest verdict."""
    X, y = digits
    th, Xm, Y = _problem(trained, X[:20] / 16, y[:20], np.float32)
    report = compare_gradients(th, Xm, Y, 0.0, ("backprop", "complex", "central", "directional"))
    assert report.verdict == "inconclusive", str(report)
    assert "float64" in report.failure_message()


@pytest.mark.parametrize("seed", range(6))
def test_float32_taylor_test_never_fails_a_correct_pixel_gradient(digits, seed):
    """The gradient's own float32 rounding gave slopes 0.90-1.49 at the smallest steps."""
    X, y = digits
    th, Xm, Y = _problem(init_weights((64, 10, 10), seed=seed), X[: 20 + 10 * seed], y[: 20 + 10 * seed],
                         np.float32)
    cost_fn, g, theta, _ = localize.problem_functions(th, Xm, Y, 1.0)
    opts = checker_options(th, Xm, Y, 1.0)
    res = verdicts.taylor_test(cost_fn, g, theta, seed=seed, noise_floor=opts["noise_floor"],
                               grad_error=opts["grad_error"], step_scale=opts["step_scale"])
    assert res.verdict != "fail", str(res)


def test_report_says_what_would_resolve_an_inconclusive_check():
    """A layer whose gradient is far below float32's rounding: inconclusive, with the noise floor."""
    sizes = (3, 4, 2)
    th = [t.astype(np.float32) * 1e-3 for t in init_weights(sizes, seed=0)]
    X = np.full((4, 3), 1e-4, dtype=np.float32)
    Y = one_hot(np.array([0, 1, 0, 1]), 2, dtype=np.float32)
    report = compare_gradients(th, X, Y, 0.0, ("backprop", "central"))
    assert report.verdict in ("inconclusive", "pass")
    if report.verdict == "inconclusive":
        row = report.inconclusive()[0]
        assert row.resolution > row.bug_size and "resolve" in row.describe()
    strict = compare_gradients(th, X, Y, 0.0, ("backprop", "central"), bug_size=1e-6)
    assert strict.verdict == "inconclusive" and not strict.passed, str(strict)



def test_taylor_test_is_inconclusive_beyond_the_range_of_the_expansion(digits):
    """Data of scale 100 and a float32 net trained at λ = 0 on one example: the remainders above the
    noise sit at steps where the cost saturates (they fall as h grows). Found by the false-alarm
    study (slopes 0.90 and −0.17, read as "wrong gradient"); such steps are no evidence."""
    rng = np.random.default_rng(131)
    X = (rng.standard_normal((300, 64)) * 100.0)
    y = rng.integers(0, 10, size=300)
    th = train(X, y, hidden=(25,), lam=0.0, maxiter=300, seed=1).thetas
    th, Xm, Y = _problem(th, X[:1], y[:1], np.float32)
    cost_fn, g, theta, _ = localize.problem_functions(th, Xm, Y, 0.0)
    opts = checker_options(th, Xm, Y, 0.0)
    for scale in (None, opts["step_scale"]):  # with and without the per-entry direction scaling
        res = verdicts.taylor_test(cost_fn, g, theta, noise_floor=opts["noise_floor"],
                                   grad_error=opts["grad_error"], step_scale=scale)
        assert res.verdict != "fail", str(res)



def test_an_entry_no_step_can_resolve_is_inconclusive_not_an_error():
    """float32 weights of ~5e3 above a layer: the step that keeps the logits in range (h / gain) rounds
    back to θ on a weight that large (Hypothesis, thorough profile, a net trained at λ = 0). No
    difference exists there: that entry's bound is infinite and its layer inconclusive, not an error."""
    from gradtrio.check import judge_layer
    from gradtrio.measured import bounded_difference

    theta = np.array([4630.0, 1.0], dtype=np.float32)

    def J(v):
        return float(np.sum(np.asarray(v, dtype=np.float64) ** 2))

    res = bounded_difference(J, None, theta, step_scale=np.array([1e4, 1.0]))  # step 2.5e-6 < ulp(4630) = 4.9e-4
    assert np.isinf(res.error[0]) and res.grad[0] == 0.0
    assert np.isfinite(res.error[1]) and abs(res.grad[1] - 2.0) <= res.error[1]
    g = np.array([2 * 4630.0, 2.0])
    _, ratio, _, resolution = judge_layer(g, res.grad, res.error, float(np.finfo(np.float32).eps))
    assert ratio <= 1 and resolution == np.inf  # inconclusive: never a failure


def test_saturated_tanh_units_bound_the_rounding_of_their_derivative():
    """tanh units saturated to a = ±1 exactly in NumPy (z in 19..20): g' = 1 − a² = 0 there, while XLA's
    tanh returns one ulp below 1 (g' = 2ε). A bound of 0 on those entries failed a correct JAX gradient
    (the study's float64 relu→tanh net on raw pixels, 9× its bound); the bound must hold φ'(a)·err(a) =
    2|a|·err(a) where g' = 0. Both hidden units saturated: the first layer's gradient is 0 in NumPy and
    rounding-level in JAX, so the comparison is right to be inconclusive there, and wrong to fail."""
    rng = np.random.default_rng(5)
    X = rng.uniform(10, 30, (5, 3))
    T1 = np.array([[19.5, 1e-3, 1e-3, 1e-3],  # z = 19.5..19.6: saturated to the last bit in NumPy only
                   [-50.0, 0.0, 0.0, 0.0]])
    T2 = rng.uniform(-1, 1, (2, 3))
    z = X @ T1[:, 1:].T + T1[:, 0]
    assert np.all(np.tanh(z) ** 2 == 1.0) and np.all((19 < z[:, 0]) & (z[:, 0] < 20))
    Y = one_hot(np.array([0, 1, 1, 0, 1]), 2)
    report = compare_gradients([T1, T2], X, Y, 0.0, ("backprop", "autodiff"), activation="tanh")
    assert report.verdict != "fail", report.failure_message()


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu", "elu", "softplus", "identity"])
def test_no_step_moves_a_hidden_pre_activation_by_more_than_h(activation):
    """The steps follow the gain to the logits, measured at θ; at saturated units that gain is ~0 and a
    step of h would move the unit's own z by h·max|a_j| (inputs of 30 here), out of saturation and out
    of the range where the truncation estimate holds. The step of weight (i, j) of a hidden layer is
    h / sensitivity: the sensitivity must be at least max_k |a_kj|."""
    from gradtrio.model import forward, validate
    from gradtrio.rounding import scales_of

    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 4)) * 30
    thetas = [rng.uniform(-3, 3, (5, 5)), rng.uniform(-3, 3, (4, 6)), rng.uniform(-1, 1, (2, 5))]
    pb, mats = validate(thetas, X, one_hot(rng.integers(0, 2, 12), 2), 0.0, activations=activation)
    sc = scales_of(pb, mats)
    acts = forward(pb.arch, mats, X, keep=True).acts
    for l in range(len(mats) - 1):  # the hidden layers' weights
        top = np.max(np.abs(acts[l]), axis=0)
        assert np.all(sc.sensitivity[l][:, 1:] >= top[None, :]), l
