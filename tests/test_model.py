"""Tests of gradtrio.model: the units, the architecture, the validated problem and the one forward pass."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradtrio import autodiff, backprop, model
from gradtrio.model import ACTIVATIONS, OUTPUTS, Architecture
from gradtrio.model.activations import SIGMOID, SIGMOID_CROSS_ENTROPY
from gradtrio.network import debug_problem, one_hot

sizes_st = st.lists(st.integers(1, 7), min_size=2, max_size=5).map(tuple)

# The complex step's step (float64): its truncation h²|g'''| is far below rounding.
COMPLEX_H = 1e-20


def _problem(sizes, m, seed):
    rng = np.random.default_rng(seed)
    arch = Architecture(sizes)
    thetas = arch.init(rng, epsilon_init=1.5)
    X = rng.uniform(-3, 3, size=(m, sizes[0]))
    return arch, thetas, X, one_hot(rng.integers(0, sizes[-1], m), sizes[-1]), float(rng.uniform(0, 3))


# --------------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------------


def test_tables_hold_todays_network_under_its_names():
    assert ACTIVATIONS["sigmoid"] is ACTIVATIONS["logistic"] is SIGMOID
    assert OUTPUTS["sigmoid"] is SIGMOID_CROSS_ENTROPY
    assert SIGMOID.kinks == ()


def test_sigmoid_derivatives_against_the_complex_step():
    z = np.linspace(-30, 30, 241)
    # Im g(z + ih)/h is g'(z) to rounding (no subtraction); g' of the complex-safe value.
    np.testing.assert_allclose(SIGMOID.derivative(z), SIGMOID.complex_value(z + 1j * COMPLEX_H).imag / COMPLEX_H,
                               rtol=1e-13, atol=1e-300)
    # a(1 - a), the classic form, cancels where a ~ 1: it is exact to ~ε absolute, not relative.
    np.testing.assert_allclose(SIGMOID.derivative_from_output(SIGMOID.value(z)), SIGMOID.derivative(z),
                               rtol=1e-12, atol=2 * np.finfo(float).eps)
    # g'' from the central difference of g' (step 1e-5: truncation ~1e-10 relative, rounding ~1e-11).
    h = 1e-5
    numeric = (SIGMOID.derivative(z + h) - SIGMOID.derivative(z - h)) / (2 * h)
    np.testing.assert_allclose(SIGMOID.second_derivative(z), numeric, rtol=1e-6, atol=1e-12)


def test_sigmoid_value_is_overflow_free_and_inplace_agrees():
    z = np.array([-1e4, -745.0, -30.0, 0.0, 30.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right value
        g = SIGMOID.value(z)
        gc = SIGMOID.complex_value(z.astype(complex))
    np.testing.assert_array_equal(g, [0.0, SIGMOID.value(np.array([-745.0]))[0], 1 / (1 + np.exp(30.0)), 0.5,
                                      1 / (1 + np.exp(-30.0)), 1.0])
    np.testing.assert_allclose(gc.real, g, rtol=1e-15, atol=1e-300)  # e^-745 is subnormal on one path only
    zz = z.copy()
    assert SIGMOID.value_inplace(zz) is zz
    np.testing.assert_array_equal(zz, g)


@given(st.integers(1, 30), st.integers(1, 6), st.integers(0, 2**32 - 1), st.sampled_from([1.0, 10.0, 100.0]))
def test_cross_entropy_in_one_pass_equals_its_parts(m, K, seed, scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(m, K))
    Y = one_hot(rng.integers(0, K, m), K)
    z0 = z.copy()
    loss, res = SIGMOID_CROSS_ENTROPY.loss_and_residual(z, Y)
    np.testing.assert_array_equal(z, z0)  # the logits are left as they were
    # -y log h - (1-y) log(1-h) = softplus(z) - y z, written with logaddexp as the independent reference.
    # Each sum rounds on its terms' magnitudes, not on its (possibly cancelling) value: bound by Σ|terms|.
    terms = float(np.sum(np.logaddexp(0, z) + np.abs(Y * z)))
    np.testing.assert_allclose(loss, np.sum(np.logaddexp(0, z) - Y * z), rtol=1e-13,
                               atol=16 * np.finfo(float).eps * terms)
    np.testing.assert_allclose(loss, SIGMOID_CROSS_ENTROPY.loss_sum(z, Y), rtol=1e-15)
    np.testing.assert_allclose(res, 1 / (1 + np.exp(-z)) - Y, rtol=1e-13, atol=1e-15)
    # Two correct formulas of g(z) - y (1/(1+e^-z), and e/(1+e) from e = e^-|z|): |values| <= 1, ulps apart.
    np.testing.assert_allclose(res, SIGMOID_CROSS_ENTROPY.residual(z, Y), rtol=0, atol=2 * np.finfo(float).eps)


@pytest.mark.parametrize("bad", ["relu ", "ReLU", "tanh_", 3, None])
def test_unknown_units_are_refused_with_the_known_names(bad):
    with pytest.raises(ValueError, match="'sigmoid'"):
        Architecture((2, 3, 1), activations=bad)
    with pytest.raises(ValueError, match="output must be one of 'sigmoid', 'softmax', 'identity'"):
        Architecture((2, 3, 1), output=bad)


def test_an_output_name_is_no_hidden_activation():
    """The softmax is an output (it works across a layer's units), not an element-wise hidden unit."""
    with pytest.raises(ValueError, match="activation must be one of"):
        Architecture((2, 3, 1), activations="softmax")


# --------------------------------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------------------------------


@given(sizes_st, st.integers(0, 2**32 - 1))
def test_architecture_roll_unroll_round_trip(sizes, seed):
    arch = Architecture(sizes)
    assert arch.shapes == tuple((b, a + 1) for a, b in zip(sizes[:-1], sizes[1:]))
    assert arch.num_params == sum(r * c for r, c in arch.shapes)
    v = np.random.default_rng(seed).normal(size=arch.num_params)
    mats = arch.roll(v)
    assert all(np.shares_memory(t, v) for t in mats)  # views, no copy
    np.testing.assert_array_equal(arch.unroll(mats), v)
    assert Architecture.of(mats) == arch
    assert hash(Architecture.of(mats)) == hash(arch)


def test_architecture_value_semantics_and_errors():
    a = Architecture([3, 5, 3], activations=["logistic"])
    assert a.sizes == (3, 5, 3) and a.activations == ("sigmoid",) and a == Architecture((3, 5, 3))
    with pytest.raises(ValueError, match="1 hidden layers; got 2 activations"):
        Architecture((3, 5, 3), activations=("sigmoid", "sigmoid"))
    with pytest.raises(ValueError, match="has 38 parameters .* got a vector of length 37"):
        a.roll(np.zeros(37))
    with pytest.raises(ValueError, match="must be 1-D"):
        a.roll(np.zeros((2, 19)))
    with pytest.raises(ValueError, match="at least 2 layers"):
        Architecture((3,))


def test_init_is_the_course_initialisation():
    thetas = Architecture((400, 25, 10)).init(0)
    # sqrt(6)/sqrt(s_in + s_out): 0.1199 for 400->25, 0.4518 for 25->10 (the course's recommendation).
    assert np.abs(thetas[0]).max() <= np.sqrt(6) / np.sqrt(425)
    assert np.abs(thetas[1]).max() <= np.sqrt(6) / np.sqrt(35)
    np.testing.assert_array_equal(thetas[0], Architecture((400, 25, 10)).init(0)[0])


# --------------------------------------------------------------------------------------------------
# The forward pass and cost, written once
# --------------------------------------------------------------------------------------------------


@given(sizes_st, st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_batched_and_complex_cost_agree_with_each_row_and_with_jax(sizes, m, seed):
    arch, thetas, X, Y, lam = _problem(sizes, m, seed)
    v = arch.unroll(thetas)
    J = model.cost(arch, thetas, X, Y, lam)
    # The JAX cost is written independently: one rounding-level comparison.
    np.testing.assert_allclose(J, autodiff.cost(thetas, X, Y, lam), rtol=1e-12)
    V = np.stack([v, 2 * v, -v])
    batch = model.cost(arch, arch.cut(V), X, Y, lam)
    assert batch.shape == (3,)
    for row, Jb in zip(V, batch):
        np.testing.assert_allclose(Jb, model.cost(arch, arch.cut(row), X, Y, lam), rtol=1e-13)
    Jc = model.cost(arch, arch.cut(V.astype(complex)), X, Y, lam)
    np.testing.assert_allclose(Jc.real, batch, rtol=1e-13)
    np.testing.assert_array_equal(Jc.imag, 0)


def test_forward_inplace_keeps_the_activations_backprop_needs():
    thetas, X, y = debug_problem((3, 5, 4, 3), m=6)
    arch = Architecture((3, 5, 4, 3))
    kept = model.forward(arch, thetas, X, keep=True)
    fast = model.forward(arch, thetas, X, keep=True, inplace=True)
    assert len(kept.acts) == len(fast.acts) == 3 and len(kept.zs) == 2 and fast.zs == []
    for a, b in zip(kept.acts, fast.acts):
        np.testing.assert_allclose(a, b, rtol=1e-15)
    np.testing.assert_array_equal(kept.logits, fast.logits)
    ref = backprop.forward(thetas, X)
    np.testing.assert_allclose(ref.z[-1], kept.logits, rtol=1e-15)


# --------------------------------------------------------------------------------------------------
# Validation, once
# --------------------------------------------------------------------------------------------------


def test_validate_returns_a_frozen_problem_of_one_dtype():
    thetas, X, y = debug_problem()
    Y = one_hot(y, 3)
    pb, mats = model.validate([t.astype(np.float32) for t in thetas], X.astype(np.float32), Y, 1)
    assert pb.dtype == np.float32 and pb.X.dtype == pb.Y.dtype == np.float32 and pb.lam == 1.0
    assert all(t.dtype == np.float32 for t in mats) and pb.m == 5
    with pytest.raises(AttributeError):
        pb.lam = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"Theta\(2\) must have shape \(3, 6\)"):
        pb.weights([thetas[0], thetas[1][:, :5]])
    with pytest.raises(ValueError, match="lam must be >= 0"):
        model.validate_data((3, 5, 3), X, Y, -1.0)


def test_training_validates_a_constant_number_of_times():
    """Validation happens at the boundary: however many cost evaluations the optimizer makes, the number
    of validations during train() stays the same."""
    from gradtrio.data import load_digits
    from gradtrio.train import train

    d = load_digits()
    counts = {}
    for maxiter in (2, 20):
        before = model.validation_count()
        res = train(d.X_train[:300], d.y_train[:300], maxiter=maxiter)
        counts[maxiter] = (model.validation_count() - before, res.function_evals)
    assert counts[20][1] > counts[2][1] + 10  # many more evaluations ...
    assert counts[2][0] == counts[20][0] == 1  # ... and still one validation


def test_cost_closures_validate_once_however_many_evaluations():
    """numerical_gradient on 38 parameters makes 76 evaluations of the closure; the data were validated
    when the closure was made, and never again."""
    from gradtrio.finite_diff import numerical_gradient
    from gradtrio.model.closures import complex_cost_fn, cost_fn

    thetas, X, y = debug_problem()
    Y = one_hot(y, 3)
    arch = Architecture((3, 5, 3))
    before = model.validation_count()
    J, Jc = cost_fn((3, 5, 3), X, Y, 3.0), complex_cost_fn((3, 5, 3), X, Y, 3.0)
    assert model.validation_count() - before == 2
    g = numerical_gradient(J, None, arch.unroll(thetas))
    Jc(arch.unroll(thetas) + 1e-20j)
    assert model.validation_count() - before == 2
    np.testing.assert_allclose(g, arch.unroll(backprop.cost_and_grad(thetas, X, Y, 3.0)[1]), atol=1e-9)
    # A validated problem passes through: no validation at all.
    pb = model.validate_data(arch, X, Y, 3.0)
    mid = model.validation_count()
    assert cost_fn(pb)(arch.unroll(thetas)) == J(arch.unroll(thetas))
    assert model.validation_count() == mid
