"""gradtrio.finite_diff: steps, central differences (loop and batched), complex step, directional check."""

from __future__ import annotations

import numpy as np
import pytest

from gradtrio import autodiff, backprop, network
from gradtrio import finite_diff as fd
from gradtrio.tolerances import tolerance


def _problem(sizes=(4, 6, 3), m=7, lam=2.0, dtype=np.float64, scale=1.0):
    thetas, X, y = network.debug_problem(sizes, m, dtype)
    thetas = [(t * scale).astype(dtype) for t in thetas]
    return thetas, X, network.one_hot(y, sizes[-1], dtype), lam


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(a + b)


# --- steps ---------------------------------------------------------------------------------------


def test_default_steps_follow_the_dtype():
    e64, e32 = np.finfo(np.float64).eps, np.finfo(np.float32).eps
    assert fd.default_step("central", np.float64) == pytest.approx(fd.CENTRAL_SCALE * e64 ** (1 / 3))
    assert fd.default_step("central", np.float32) == pytest.approx(fd.CENTRAL_SCALE * e32 ** (1 / 3))
    assert fd.default_step("forward", np.float64) == pytest.approx(e64**0.5)
    assert fd.default_step("complex", np.float64) == 1e-20
    assert fd.default_step("complex", np.complex64) == fd.default_step("complex", np.float32)
    assert fd.default_step("central", np.float32) > 100 * fd.default_step("central", np.float64)
    with pytest.raises(ValueError, match="method must be"):
        fd.default_step("backward")


# --- central differences on functions with known derivatives -------------------------------------


def test_central_differences_are_exact_for_a_quadratic():
    """J = ½θᵀAθ + bᵀθ: the third derivative is 0, so only rounding remains; ∇J = Aθ + b (calculus)."""
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 6))
    A, b, theta = M @ M.T, rng.standard_normal(6), rng.standard_normal(6)
    grad = fd.numerical_gradient(lambda t: 0.5 * t @ A @ t + b @ t, None, theta)
    np.testing.assert_allclose(grad, A @ theta + b, rtol=1e-8, atol=1e-8)


def test_central_and_forward_errors_scale_as_derived():
    """On Σ sin θ (∇ = cos θ) the central error falls like h², the forward error like h."""
    theta = np.linspace(-1, 1, 5)
    J = lambda t: float(np.sum(np.sin(t)))  # noqa: E731
    err = {h: np.max(np.abs(fd.numerical_gradient(J, None, theta, h=h) - np.cos(theta))) for h in (1e-2, 1e-3)}
    assert 80 < err[1e-2] / err[1e-3] < 120  # h² → ratio 100
    errf = {h: np.max(np.abs(fd.numerical_gradient(J, None, theta, h=h, scheme="forward") - np.cos(theta)))
            for h in (1e-2, 1e-3)}
    assert 8 < errf[1e-2] / errf[1e-3] < 12  # h → ratio 10


def test_numerical_gradient_leaves_theta_unchanged_and_validates():
    theta = np.array([0.3, -0.2])
    keep = theta.copy()
    fd.numerical_gradient(lambda t: float(t @ t), None, theta)
    np.testing.assert_array_equal(theta, keep)
    with pytest.raises(ValueError, match="unroll"):
        fd.numerical_gradient(lambda t: 0.0, None, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="step"):
        fd.numerical_gradient(lambda t: 0.0, None, theta, h=-1.0)


def test_richardson_cancels_h_squared_and_estimates_the_error():
    theta = np.linspace(-1, 1, 4)
    J = lambda t: float(np.sum(np.exp(t)))  # noqa: E731  ∇ = exp θ, J''' = exp θ
    h = 1e-2
    plain_err = np.abs(fd.numerical_gradient(J, None, theta, h=h) - np.exp(theta))
    grad, est = fd.richardson(J, None, theta, h=h)
    assert np.max(np.abs(grad - np.exp(theta))) < 1e-3 * np.max(plain_err)
    np.testing.assert_allclose(est, 0.75 * plain_err, rtol=0.05)  # |D(h)-D(h/2)| = ¾ · error of D(h)


# --- the network: loop, batched, numpy and jax backends -----------------------------------------


@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_central_differences_match_backprop_on_the_network(lam):
    thetas, X, Y, _ = _problem(lam=lam)
    sizes = network.sizes_of(thetas)
    J, g = backprop.cost_and_grad(thetas, X, Y, lam)
    num = fd.numerical_gradient(fd.cost_fn(sizes, X, Y, lam), None, network.unroll(thetas))
    assert relative_error(num, network.unroll(g)) < tolerance(np.float64, "backprop", "central").rtol


@pytest.mark.parametrize("backend", ["jax", "numpy"])
def test_batched_equals_loop_with_padding_and_one_compilation(backend):
    thetas, X, Y, lam = _problem()
    sizes = network.sizes_of(thetas)
    theta = network.unroll(thetas)  # 53 parameters: batches of 10 leave a partial last chunk
    loop = fd.numerical_gradient(fd.cost_fn(sizes, X, Y, lam), None, theta)
    J_batch = fd.cost_batch_fn(sizes, X, Y, lam, backend=backend)
    before = autodiff.trace_count("cost_batch")
    batched = fd.numerical_gradient_batched(J_batch, None, theta, batch_size=10)
    assert autodiff.trace_count("cost_batch") - before <= 1  # the padded last chunk reuses the program
    # same steps, different summation order: they differ by rounding, ε|J|/h, not by truncation
    J = backprop.cost(thetas, X, Y, lam)
    bound = 8 * np.finfo(np.float64).eps * J / fd.default_step("central")
    np.testing.assert_allclose(batched, loop, rtol=0, atol=bound)


def test_cost_batch_fn_rejects_bad_backend_and_bad_data():
    thetas, X, Y, lam = _problem()
    sizes = network.sizes_of(thetas)
    with pytest.raises(ValueError, match="backend"):
        fd.cost_batch_fn(sizes, X, Y, lam, backend="torch")
    with pytest.raises(ValueError, match="X must have 4 columns"):
        fd.cost_batch_fn(sizes, X[:, 1:], Y, lam)


# --- complex step --------------------------------------------------------------------------------


def test_complex_step_is_exact_to_rounding_on_an_analytic_function():
    theta = np.linspace(-2, 2, 7)
    grad = fd.complex_step_gradient(lambda t: np.sum(np.sin(t) * np.exp(t)), None, theta)
    exact = np.cos(theta) * np.exp(theta) + np.sin(theta) * np.exp(theta)
    np.testing.assert_allclose(grad, exact, rtol=4 * np.finfo(np.float64).eps, atol=1e-15)


@pytest.mark.parametrize("lam", [0.0, 3.0])
@pytest.mark.parametrize("scale", [1.0, 1e4])  # ×1e4: saturated units, no overflow warning
def test_complex_cost_fn_matches_backprop(lam, scale):
    thetas, X, Y, _ = _problem(lam=lam, scale=scale)
    sizes = network.sizes_of(thetas)
    J_c = fd.complex_cost_fn(sizes, X, Y, lam)
    theta = network.unroll(thetas)
    Jb, g = backprop.cost_and_grad(thetas, X, Y, lam)
    assert complex(J_c(theta.astype(complex))).real == pytest.approx(Jb, rel=1e-13)
    batch = np.stack([theta, 2 * theta]).astype(complex)
    np.testing.assert_allclose(J_c(batch).real, [Jb, backprop.cost(network.roll(2 * theta, sizes), X, Y, lam)],
                               rtol=1e-13)
    grad = fd.complex_step_gradient(J_c, None, theta)
    tol = tolerance(np.float64, "backprop", "complex")
    flat = network.unroll(g)
    assert tol.agrees(relative_error(grad, flat), float(np.max(np.abs(grad - flat))), Jb)


def _abs_cost(t):
    return np.sum(np.abs(t) ** 2 * 0.5 + t)  # np.abs drops the imaginary part's sign information


def _float_cost(t):
    return float(np.sum(t * t))  # TypeError on complex


def _real_part_cost(t):
    return np.sum(np.real(t) ** 2)  # returns a real number


def _astype_cost(t):
    return np.sum(t.astype(np.float64) ** 2)  # ComplexWarning: imaginary part discarded


def _write_into_real_cost(t):
    buf = np.zeros(t.shape)
    with np.errstate(all="ignore"):
        buf[:] = t  # ComplexWarning as well
    return np.sum(buf**2) + 0j


@pytest.mark.parametrize("J", [_abs_cost, _float_cost, _real_part_cost, _astype_cost, _write_into_real_cost])
def test_complex_step_refuses_unsafe_costs_clearly(J):
    with pytest.raises(fd.ComplexStepError, match="analytic in theta"):
        fd.complex_step_gradient(J, None, np.array([0.5, -1.5, 2.0]))


def test_complex_step_refuses_the_real_only_backprop_cost():
    thetas, X, Y, lam = _problem()
    with pytest.raises(fd.ComplexStepError, match="complex_cost_fn"):
        fd.gradient(lambda th: backprop.cost(th, X, Y, lam), thetas, method="complex")


# --- directional check ---------------------------------------------------------------------------


def test_directional_check_passes_a_correct_gradient_and_fails_one_wrong_entry():
    thetas, X, Y, lam = _problem()
    sizes = network.sizes_of(thetas)
    theta = network.unroll(thetas)
    J = fd.cost_fn(sizes, X, Y, lam)
    _, g = backprop.cost_and_grad(thetas, X, Y, lam)
    good = fd.directional_check(J, network.unroll(g), theta, k=5)
    assert good.passed, str(good)
    assert good.evaluations == 4 * 5 + 13  # two steps a direction, θ and the 12-point noise measurement
    bad = network.unroll(g)
    bad[17] *= 1.5  # one entry of 53 off by 50%
    res = fd.directional_check(J, bad, theta, k=5)
    assert res.verdict == "fail"
    assert "FAIL" in str(res)


def test_float32_central_differences_pass_correct_and_fail_wrong_gradients():
    """With the dtype-derived step, float32 needs no hand tuning."""
    thetas, X, Y, lam = _problem(dtype=np.float32)
    sizes = network.sizes_of(thetas)
    Jv, g = backprop.cost_and_grad(thetas, X, Y, lam)
    num = fd.numerical_gradient(fd.cost_fn(sizes, X, Y, lam), None, network.unroll(thetas))
    tol = tolerance(np.float32, "backprop", "central")
    flat = network.unroll(g).astype(np.float64)
    assert tol.agrees(relative_error(num, flat), float(np.max(np.abs(num - flat))), Jv)
    wrong = flat * 1.02  # a 2% error, e.g. a wrong scale
    assert not tol.agrees(relative_error(num, wrong), float(np.max(np.abs(num - wrong))), Jv)


# --- the DESIGN.md signature ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["central", "forward", "richardson"])
def test_gradient_has_the_structure_of_thetas(method):
    thetas, X, Y, lam = _problem()
    grads = fd.gradient(lambda th: backprop.cost(th, X, Y, lam), thetas, method=method)
    _, gb = backprop.cost_and_grad(thetas, X, Y, lam)
    assert [t.shape for t in grads] == [t.shape for t in thetas]
    assert relative_error(network.unroll(grads), network.unroll(gb)) < tolerance(np.float64, "backprop", method).rtol
    with pytest.raises(ValueError, match="method must be"):
        fd.gradient(lambda th: 0.0, thetas, method="symbolic")


def test_gradient_complex_method_with_a_complex_safe_list_cost():
    thetas, X, Y, lam = _problem()
    J_c = fd.complex_cost_fn(network.sizes_of(thetas), X, Y, lam)
    grads = fd.gradient(lambda th: J_c(network.unroll(th)), thetas, method="complex")
    Jb, gb = backprop.cost_and_grad(thetas, X, Y, lam)
    flat, ref = network.unroll(grads), network.unroll(gb)
    tol = tolerance(np.float64, "backprop", "complex")
    assert tol.agrees(relative_error(flat, ref), float(np.max(np.abs(flat - ref))), Jb)


def test_step_below_resolution_is_refused_clearly():
    # float32 has ~7 digits: 1 + 1e-9 rounds back to 1, so the difference quotient would be 0/0.
    theta = np.ones(3, dtype=np.float32)
    J = lambda v: float(np.sum(v.astype(np.float64) ** 2))  # noqa: E731
    with pytest.raises(ValueError, match="below the resolution of float32.*rounds back to theta"):
        fd.numerical_gradient(J, None, theta, h=1e-9)
    with pytest.raises(ValueError, match="below the resolution of float32"):
        fd.numerical_gradient_batched(lambda V: np.sum(V.astype(np.float64) ** 2, axis=1), None, theta, h=1e-9)


def test_complex_step_blames_the_right_thing():
    theta = np.array([0.3, -0.2])
    with pytest.raises(FloatingPointError, match="not finite near theta"):
        fd.complex_step_gradient(lambda v: np.sum(v) * np.nan, None, theta)
    with pytest.raises(ValueError, match="underflows"):
        fd.complex_step_gradient(lambda v: np.sum(v * v), None, theta, h=1e-300)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_batch_size_must_be_a_positive_integer(bad):
    theta = np.array([0.3, -0.2])
    J = fd.complex_cost_fn((1, 1), np.ones((2, 1)), np.ones((2, 1)), 0.0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fd.complex_step_gradient(J, None, theta, batch_size=bad)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fd.numerical_gradient_batched(lambda V: np.sum(V * V, axis=1), None, theta, batch_size=bad)
