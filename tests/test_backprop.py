"""Tests of the hand-written NumPy backpropagation (gradtrio.backprop)."""

import math

import numpy as np
import pytest

from gradtrio import backprop as bp
from gradtrio import network as nw
from gradtrio.catalog.known_values import COURSE_SIGMOID_GRADIENT, COURSE_SIGMOID_GRADIENT_ATOL, zero_weights_case

# Loop and vectorized backprop do the same arithmetic in a different order (sums over examples
# accumulated one by one vs inside BLAS): they differ by rounding only, ~1e-16 relative per entry;
# 1e-12 leaves room for accumulation over m <= 40 examples and 5 layers.
LOOP_VS_VECTORIZED_RTOL = 1e-12


def rel_err(a, b):
    """‖a − b‖ / ‖a + b‖ (0 when both are 0), the course's measure."""
    den = np.linalg.norm(a + b)
    return 0.0 if den == 0 else float(np.linalg.norm(a - b) / den)


def random_problem(sizes, m, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    thetas = [scale * rng.normal(size=s) for s in nw.theta_shapes(sizes)]
    X = rng.normal(size=(m, sizes[0]))
    Y = nw.one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
    return thetas, X, Y


def test_sigmoid_gradient_course_values():
    # ex4 handout (sigmoidGradient.m): g'([-1 -0.5 0 0.5 1]) = 0.196612 0.235004 0.250000 0.235004 0.196612,
    # the catalog's known values (gradtrio.catalog.known_values), printed to 6 decimals
    z, printed = zip(*COURSE_SIGMOID_GRADIENT.items())
    assert printed == (0.196612, 0.235004, 0.25, 0.235004, 0.196612) and COURSE_SIGMOID_GRADIENT_ATOL == 5e-7
    got = bp.sigmoid_gradient(np.array(z))
    np.testing.assert_allclose(got, printed, atol=COURSE_SIGMOID_GRADIENT_ATOL)


def test_sigmoid_extremes_no_warning():
    z = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    np.testing.assert_array_equal(bp.sigmoid(z), [0.0, 0.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(bp.sigmoid_gradient(z), [0.0, 0.0, 0.25, 0.0, 0.0])


def test_cost_at_zero_weights_is_K_log_2():
    # Every output is g(0) = 1/2, so each of the K units costs -log(1/2): J = K log 2, whatever X and Y.
    sizes = (4, 6, 5, 3)
    thetas = [np.zeros(s) for s in nw.theta_shapes(sizes)]
    _, X, Y = random_problem(sizes, 7, 0)
    assert bp.cost(thetas, X, Y, lam=2.0) == pytest.approx(3 * math.log(2), rel=1e-15)
    # the catalog's zero-weights case on the same net (the course's debugging data): J and the gradient
    # worked out by hand
    case = zero_weights_case(sizes, 7, 2.0)
    assert case.J == 3 * math.log(2)
    J, grads = bp.cost_and_grad(case.thetas, case.X, case.Y, case.lam)
    assert J == pytest.approx(case.J, rel=1e-15)
    for G, E in zip(grads, case.grads):
        np.testing.assert_allclose(G, E, rtol=case.rtol, atol=case.rtol)


def test_hand_worked_2_2_2_network():
    # One example x = (1, 2), label class 0 -> y = (1, 0), given twice (m = 2, so that a forgotten 1/m
    # in the penalty or the gradient shows); sizes 2 -> 2 -> 2.
    # Theta(1) = 0, so z(2) = (0, 0), a(2) = (1/2, 1/2) and g'(z(2)) = (1/4, 1/4).
    # Theta(2) = [[0, 2, 0], [0, 0, -2]]:  z(3) = (2*1/2, -2*1/2) = (1, -1),  h = (g(1), g(-1)).
    # Let s = g(-1) = 1/(1 + e) = 0.26894142137; g(1) = 1 - s.
    # Cost (lam = 0), the mean of two equal terms: -log(h1) - log(1 - h2) = 2 log(1 + e^-1) = 0.62652337...
    # delta(3) = h - y = (1 - s - 1, s - 0) = (-s, s).
    # D(2) = mean of delta(3) [1, a(2)]^T = [[-s, -s/2, -s/2], [s, s/2, s/2]].
    # Theta(2)^T delta(3) = (0, 2(-s) + 0, 0 + (-2)s) = (0, -2s, -2s); drop delta_0, times 1/4:
    # delta(2) = (-s/2, -s/2).  D(1) = delta(2) [1, x]^T = [[-s/2, -s/2, -s], [-s/2, -s/2, -s]].
    # With lam = 1 and m = 2: J += lam/(2m) (2^2 + (-2)^2) = 2; D(2)[:, 1:] += (lam/m) Theta(2)[:, 1:]
    # = Theta(2)[:, 1:] / 2 (lam Theta, the slide typo, would add twice that); D(1) unchanged (Theta(1) = 0).
    s = 1 / (1 + math.e)
    thetas = [np.zeros((2, 3)), np.array([[0.0, 2.0, 0.0], [0.0, 0.0, -2.0]])]
    X = np.array([[1.0, 2.0], [1.0, 2.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    D1 = np.array([[-s / 2, -s / 2, -s], [-s / 2, -s / 2, -s]])
    D2 = np.array([[-s, -s / 2, -s / 2], [s, s / 2, s / 2]])
    J0 = 2 * math.log(1 + math.exp(-1))
    assert J0 == pytest.approx(0.6265233750364456, rel=1e-15)
    for fn in (bp.cost_and_grad, bp.cost_and_grad_loop):
        J, (G1, G2) = fn(thetas, X, Y, 0.0)
        assert J == pytest.approx(J0, rel=1e-14)
        np.testing.assert_allclose(G1, D1, rtol=1e-14)
        np.testing.assert_allclose(G2, D2, rtol=1e-14)
        J, (G1, G2) = fn(thetas, X, Y, 1.0)
        assert J == pytest.approx(J0 + 2.0, rel=1e-14)
        np.testing.assert_allclose(G1, D1, rtol=1e-14)
        np.testing.assert_allclose(G2, D2 + np.array([[0, 1, 0], [0, 0, -1]]), rtol=1e-14)


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize("lam", [0.0, 1.5])
def test_loop_equals_vectorized(depth, lam):
    rng = np.random.default_rng(depth * 10 + int(lam))
    for trial in range(5):
        sizes = tuple(int(s) for s in rng.integers(1, 9, size=depth))
        m = int(rng.integers(1, 40))
        thetas, X, Y = random_problem(sizes, m, seed=trial + 100 * depth)
        J1, G1 = bp.cost_and_grad(thetas, X, Y, lam)
        J2, G2 = bp.cost_and_grad_loop(thetas, X, Y, lam)
        assert J1 == pytest.approx(J2, rel=LOOP_VS_VECTORIZED_RTOL)
        for layer, (a, b) in enumerate(zip(G1, G2), start=1):
            assert a.shape == b.shape == thetas[layer - 1].shape
            assert rel_err(a, b) <= LOOP_VS_VECTORIZED_RTOL, f"Theta({layer}) sizes={sizes} m={m}"


def test_cost_matches_course_log_formula():
    # The course's formula written directly with logs (fine while nothing saturates).
    sizes = (5, 4, 3)
    thetas, X, Y = random_problem(sizes, 11, 1)
    a = X
    for T in thetas:
        a = 1 / (1 + np.exp(-(np.hstack([np.ones((len(a), 1)), a]) @ T.T)))
    m, lam = len(X), 0.7
    J = np.sum(-Y * np.log(a) - (1 - Y) * np.log(1 - a)) / m
    J += lam / (2 * m) * sum(np.sum(T[:, 1:] ** 2) for T in thetas)
    assert bp.cost(thetas, X, Y, lam) == pytest.approx(J, rel=1e-13)
    assert bp.cost_and_grad(thetas, X, Y, lam)[0] == pytest.approx(J, rel=1e-13)


def test_saturated_network_is_finite_without_warnings():
    # Weights x 1e4 push every unit to g = 0 or 1 exactly; log(H) would be -inf. pytest turns
    # RuntimeWarnings into errors (pyproject), so any overflow/divide warning fails this test.
    sizes = (4, 5, 3)
    thetas, X, Y = random_problem(sizes, 9, 2)
    thetas = [1e4 * t for t in thetas]
    J, grads = bp.cost_and_grad(thetas, X, Y, 0.0)
    J_loop, grads_loop = bp.cost_and_grad_loop(thetas, X, Y, 0.0)
    assert np.isfinite(J) and J > 100  # confidently wrong outputs cost ~|z|, not inf
    assert J == pytest.approx(J_loop, rel=1e-12)
    for a, b in zip(grads, grads_loop):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    assert np.isfinite(bp.cost(thetas, X, Y, 1.0))


def test_flat_entry_point_and_cost_agree():
    sizes = (6, 4, 4, 2)
    thetas, X, Y = random_problem(sizes, 13, 3)
    J, grads = bp.cost_and_grad(thetas, X, Y, 0.3)
    Jf, gflat = bp.cost_and_grad_flat(nw.unroll(thetas), sizes, X, Y, 0.3)
    assert Jf == J == pytest.approx(bp.cost(thetas, X, Y, 0.3), rel=1e-14)
    np.testing.assert_array_equal(gflat, nw.unroll(grads))


def test_float32_stays_float32():
    sizes = (5, 4, 3)
    thetas, X, Y = random_problem(sizes, 10, 4)
    J64, G64 = bp.cost_and_grad(thetas, X, Y, 1.0)
    J32, G32 = bp.cost_and_grad([t.astype(np.float32) for t in thetas], X.astype(np.float32), Y, 1.0)
    assert all(g.dtype == np.float32 for g in G32)
    assert J32 == pytest.approx(J64, rel=1e-5)  # float32 eps 1.2e-7, a few hundred operations
    for a, b in zip(G32, G64):
        assert rel_err(a.astype(np.float64), b) < 1e-5


def test_integer_inputs_are_promoted():
    thetas = [np.array([[0, 1, -1]]), np.array([[1, 2]])]
    X = np.array([[1, 2], [3, 4]])
    Y = np.array([[1], [0]])
    J, grads = bp.cost_and_grad(thetas, X, Y, 1)
    assert grads[0].dtype == np.float64
    J2, _ = bp.cost_and_grad([t.astype(float) for t in thetas], X.astype(float), Y.astype(float), 1.0)
    assert J == J2


def test_forward_and_predict():
    sizes = (3, 4, 5, 2)
    thetas, X, _ = random_problem(sizes, 8, 5)
    fwd = bp.forward(thetas, X)
    assert [a.shape for a in fwd.a] == [(8, 3), (8, 4), (8, 5), (8, 2)]
    assert [z.shape for z in fwd.z] == [(8, 4), (8, 5), (8, 2)]
    assert fwd.a[0] is X
    np.testing.assert_allclose(fwd.a[-1], bp.predict_proba(thetas, X), rtol=1e-15)
    np.testing.assert_array_equal(bp.predict(thetas, X), np.argmax(fwd.a[-1], axis=1))


def test_inputs_are_not_modified():
    sizes = (3, 4, 2)
    thetas, X, Y = random_problem(sizes, 6, 6)
    copies = [t.copy() for t in thetas], X.copy(), Y.copy()
    bp.cost_and_grad(thetas, X, Y, 1.0)
    bp.cost_and_grad_loop(thetas, X, Y, 1.0)
    for t, c in zip(thetas, copies[0]):
        np.testing.assert_array_equal(t, c)
    np.testing.assert_array_equal(X, copies[1])
    np.testing.assert_array_equal(Y, copies[2])


# --- bad input: every function that takes (thetas, X, Y, lam) refuses it before any arithmetic -------

GOOD_THETAS, GOOD_X, GOOD_y = nw.debug_problem((3, 5, 3), 5)
GOOD_Y = nw.one_hot(GOOD_y, 3)
ALL_COST_FUNCTIONS = [bp.cost, bp.cost_and_grad, bp.cost_and_grad_loop]


def _replace(seq, i, value):
    seq = list(seq)
    seq[i] = value
    return seq


BAD_INPUTS = [
    # (thetas, X, Y, lam, exception, message)
    pytest.param(
        [GOOD_THETAS[0], np.zeros((3, 5))], GOOD_X, GOOD_Y, 0.0, ValueError,
        r"Theta\(2\) must have 6 columns \(Theta\(1\) has 5 units.*\(3, 6\); "
        r"got shape \(3, 5\) \(the bias column is missing",
        id="course-slide-3x5-theta2",
    ),
    pytest.param(
        [GOOD_THETAS[0].T, GOOD_THETAS[1]], GOOD_X, GOOD_Y, 0.0, ValueError,
        r"Theta\(1\) must have 4 columns \(X has 3 features.*got shape \(4, 5\) \(it looks transposed",
        id="transposed-theta1",
    ),
    pytest.param(GOOD_THETAS, GOOD_X[:, :2], GOOD_Y, 0.0, ValueError,
                 r"X must have 3 columns, one per input unit of Theta\(1\) "
                 r"\(shape \(5, 4\).*got shape \(5, 2\)",
                 id="X-wrong-width"),
    pytest.param(GOOD_THETAS, GOOD_X[0], GOOD_Y, 0.0, ValueError, "X must be a 2-D array", id="X-1d"),
    pytest.param(GOOD_THETAS, GOOD_X[:0], GOOD_Y[:0], 0.0, ValueError, "zero examples", id="zero-examples"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_y, 0.0, ValueError, r"one-hot of shape \(5, 3\).*one_hot",
                 id="Y-labels"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_Y[:4], 0.0, ValueError, r"\(m, K\) = \(5, 3\).*got shape \(4, 3\)",
                 id="Y-wrong-rows"),
    pytest.param(GOOD_THETAS, GOOD_X, nw.one_hot(GOOD_y, 4), 0.0, ValueError, r"got shape \(5, 4\)",
                 id="Y-wrong-K"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_Y * 0.5, 0.0, ValueError, r"entries 0 or 1.*Y\[0, 1\] = 0.5",
                 id="Y-not-binary"),
    pytest.param(GOOD_THETAS, GOOD_X, np.ones((5, 3)), 0.0, ValueError, "row 0 has 3 ones", id="Y-two-hot"),
    pytest.param(GOOD_THETAS, np.where(np.eye(5, 3) == 1, np.nan, GOOD_X), GOOD_Y, 0.0, ValueError,
                 r"X must be finite; found nan at index \(0, 0\)", id="X-nan"),
    pytest.param(GOOD_THETAS, np.where(np.eye(5, 3)[::-1] == 1, -np.inf, GOOD_X), GOOD_Y, 0.0, ValueError,
                 "X must be finite; found -inf", id="X-inf"),
    pytest.param(_replace(GOOD_THETAS, 1, np.full((3, 6), np.inf)), GOOD_X, GOOD_Y, 0.0, ValueError,
                 r"Theta\(2\) must be finite; found inf", id="theta-inf"),
    pytest.param(_replace(GOOD_THETAS, 0, np.where(np.eye(5, 4) == 1, np.nan, 0.0)), GOOD_X, GOOD_Y, 0.0,
                 ValueError, r"Theta\(1\) must be finite", id="theta-nan"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_Y, -1.0, ValueError, "lam must be >= 0", id="lam-negative"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_Y, float("nan"), ValueError, "lam must be finite", id="lam-nan"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_Y, float("inf"), ValueError, "lam must be finite", id="lam-inf"),
    pytest.param(GOOD_THETAS, GOOD_X, GOOD_Y, "1", TypeError, "lam must be a real number", id="lam-str"),
    pytest.param(GOOD_THETAS, GOOD_X.astype(str), GOOD_Y, 0.0, TypeError, "X must be a numeric array",
                 id="X-str"),
    pytest.param(_replace(GOOD_THETAS, 0, np.array([["a"] * 4] * 5)), GOOD_X, GOOD_Y, 0.0, TypeError,
                 r"Theta\(1\) must be a numeric array", id="theta-str"),
    pytest.param(GOOD_THETAS, GOOD_X.astype(object), GOOD_Y, 0.0, TypeError, "dtype object", id="X-object"),
    pytest.param(GOOD_THETAS, GOOD_X + 0j, GOOD_Y, 0.0, TypeError, "X must be real", id="X-complex"),
    pytest.param(nw.unroll(GOOD_THETAS), GOOD_X, GOOD_Y, 0.0, TypeError, "list of weight matrices.*roll",
                 id="thetas-flat-vector"),
    pytest.param([], GOOD_X, GOOD_Y, 0.0, ValueError, "thetas is empty", id="thetas-empty"),
    pytest.param([GOOD_THETAS[0][:, 1:], GOOD_THETAS[1]], GOOD_X, GOOD_Y, 0.0, ValueError,
                 r"Theta\(1\) must have 4 columns.*got shape \(5, 3\) \(the bias column is missing",
                 id="theta1-without-bias"),
    pytest.param([GOOD_THETAS[0], GOOD_THETAS[1][:2]], GOOD_X, GOOD_Y, 0.0, ValueError,
                 r"Y must be one-hot of shape \(m, K\) = \(5, 2\).*got shape \(5, 3\)",
                 id="theta2-too-few-outputs"),
    pytest.param([GOOD_THETAS[0], GOOD_THETAS[1][None]], GOOD_X, GOOD_Y, 0.0, ValueError,
                 "must be a 2-D matrix", id="theta-3d"),
]


@pytest.mark.parametrize("fn", ALL_COST_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("thetas, X, Y, lam, exc, msg", BAD_INPUTS)
def test_bad_input_refused(fn, thetas, X, Y, lam, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(thetas, X, Y, lam)


def test_bad_input_flat_entry_point():
    v = nw.unroll(GOOD_THETAS)
    with pytest.raises(ValueError, match="got a vector of length 37"):
        bp.cost_and_grad_flat(v[:-1], (3, 5, 3), GOOD_X, GOOD_Y, 0.0)
    with pytest.raises(ValueError, match="X must have 4 columns"):
        bp.cost_and_grad_flat(np.zeros(nw.num_params((4, 5, 3))), (4, 5, 3), GOOD_X, GOOD_Y, 0.0)


@pytest.mark.parametrize("fn", [bp.forward, bp.predict, bp.predict_proba], ids=lambda f: f.__name__)
def test_bad_input_prediction(fn):
    with pytest.raises(ValueError, match="X must have 3 columns"):
        fn(GOOD_THETAS, GOOD_X[:, :2])
    with pytest.raises(ValueError, match=r"Theta\(2\) must have 6 columns.*bias column is missing"):
        fn([GOOD_THETAS[0], np.zeros((3, 5))], GOOD_X)
    with pytest.raises(ValueError, match=r"Theta\(1\) must have 4 columns.*looks transposed"):
        fn([GOOD_THETAS[0].T, GOOD_THETAS[1]], GOOD_X)


def test_huge_weights_with_lambda_zero_give_a_finite_cost():
    # |Θ| ~ 1e160: Θ² overflows to inf, so a penalty computed at λ = 0 would be 0·inf = nan.
    # With λ = 0 there is no penalty at all; every form must say so.
    from gradtrio import autodiff

    thetas, X, y = nw.debug_problem((3, 5, 3), 5)
    thetas = [1e160 * t for t in thetas]
    Y = nw.one_hot(y, 3)
    J = bp.cost_and_grad(thetas, X, Y, 0.0)[0]
    assert np.isfinite(J)
    with np.errstate(over="ignore"):  # the loop's products of huge weights may overflow internally
        assert bp.cost(thetas, X, Y, 0.0) == pytest.approx(J, rel=1e-12)
    assert autodiff.cost(thetas, X, Y, 0.0) == pytest.approx(J, rel=1e-12)


def test_non_float_dtypes_are_refused():
    with pytest.raises(ValueError, match="dtype must be a floating type"):
        nw.init_weights((3, 4), dtype=int)
    with pytest.raises(ValueError, match="dtype must be a floating type"):
        nw.debug_weights(3, 4, dtype=np.int32)
    with pytest.raises(ValueError, match="epsilon_init"):
        nw.init_weights((3, 4), epsilon_init="0.1")
