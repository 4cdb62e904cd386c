"""The units beyond the sigmoid: every activation and output of the model's tables, and the three engines on them.

Each derivative is checked against an independent reference (the complex step of the complex-safe value, a
central difference of the derivative for the second one, JAX's own functions, closed-form known values), each
output's residual against the complex step of its loss, and backprop (vectorized and loop), the JAX cost and
the complex step of the model cost against each other on every activation × output.
"""

import itertools
import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtrio import autodiff, backprop
from gradtrio.model import ACTIVATIONS, OUTPUTS, Architecture, validate_data
from gradtrio.model.activations import LEAKY_SLOPE
from gradtrio.model.closures import complex_cost_fn
from gradtrio.network import one_hot

#: The complex step's step: its truncation h²|g'''|/6 is far below float64 rounding for every unit here.
COMPLEX_H = 1e-20
#: A central difference of g' at this step carries ~h²|g''''| truncation and ~ε|g'|/h rounding: 1e-10 both.
SECOND_H = 1e-5
EPS = np.finfo(np.float64).eps
#: Distinct hidden activations (the alias "logistic" is the sigmoid itself).
NAMES = [n for n in ACTIVATIONS if n != "logistic"]
#: A grid of pre-activations that keeps |z| >= 1e-3 away from the kinks at 0 (the kinks are tested apart).
Z = np.concatenate([-np.logspace(-3, 1.5, 60), np.logspace(-3, 1.5, 60)])


@pytest.mark.parametrize("name", NAMES)
def test_derivative_is_the_complex_step_of_the_complex_safe_value(name):
    g = ACTIVATIONS[name]
    cs = g.complex_value(Z + 1j * COMPLEX_H).imag / COMPLEX_H  # no subtraction: exact to rounding
    # Two formulas (the derivative's own, and the complex arithmetic of the value), each a few ulps off.
    np.testing.assert_allclose(g.derivative(Z), cs, rtol=32 * EPS, atol=4 * EPS)
    np.testing.assert_allclose(g.complex_value(Z.astype(complex)).real, g.value(Z), rtol=8 * EPS, atol=1e-300)


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n].derivative_from_output is not None])
def test_derivative_from_output_is_the_derivative(name):
    g = ACTIVATIONS[name]
    # Written in terms of a = g(z), a form may cancel (1 - a² where a ≈ ±1): exact to ~ε absolute.
    np.testing.assert_allclose(g.derivative_from_output(g.value(Z)), g.derivative(Z), rtol=1e-12, atol=4 * EPS)


@pytest.mark.parametrize("name", NAMES)
def test_second_derivative_is_the_central_difference_of_the_derivative(name):
    g = ACTIVATIONS[name]
    z = Z[np.abs(Z) > 10 * SECOND_H]  # the stencil must not straddle 0 (relu's kink, the elu's jump in g'')
    numeric = (g.derivative(z + SECOND_H) - g.derivative(z - SECOND_H)) / (2 * SECOND_H)
    np.testing.assert_allclose(g.second_derivative(z), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_values_are_overflow_free_and_inplace_agrees(name):
    g = ACTIVATIONS[name]
    z = np.array([-1e4, -745.0, -40.0, -1.0, 0.0, 1.0, 40.0, 745.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right value
        a = g.value(z)
        d = g.derivative(z)
        d2 = g.second_derivative(z)
        c = g.complex_value(z + 1j * COMPLEX_H)
    assert np.isfinite(a).all() and np.isfinite(d).all() and np.isfinite(d2).all() and np.isfinite(c).all()
    zz = z.copy()
    assert g.value_inplace(zz) is zz
    np.testing.assert_array_equal(zz, a)


# Known values, each from its closed form (standard references: Φ(1) = 0.8413447460685429, Abramowitz & Stegun
# 26.2; e^-1 = 0.36787944117144233; log 2; tanh 1 = 0.7615941559557649).
KNOWN = {
    "identity": [(-2.0, -2.0, 1.0)],
    "tanh": [(1.0, 0.7615941559557649, 1 - 0.7615941559557649**2)],
    "relu": [(-2.0, 0.0, 0.0), (3.0, 3.0, 1.0)],
    "leaky_relu": [(-2.0, -0.02, 0.01), (3.0, 3.0, 1.0)],
    "elu": [(-1.0, 0.36787944117144233 - 1, 0.36787944117144233), (2.0, 2.0, 1.0)],
    "softplus": [(0.0, math.log(2.0), 0.5)],
    "gelu": [(1.0, 0.8413447460685429, 0.8413447460685429 + 0.24197072451914337),
             (-1.0, -(1 - 0.8413447460685429), (1 - 0.8413447460685429) - 0.24197072451914337)],
    "sigmoid": [(0.0, 0.5, 0.25)],
}


@pytest.mark.parametrize("name", NAMES)
def test_known_values(name):
    g = ACTIVATIONS[name]
    for z, value, slope in KNOWN[name]:
        np.testing.assert_allclose(g.value(np.array([z])), [value], rtol=4 * EPS, atol=4 * EPS)
        np.testing.assert_allclose(g.derivative(np.array([z])), [slope], rtol=8 * EPS, atol=4 * EPS)


@pytest.mark.parametrize("name", NAMES)
def test_kinks_are_declared_where_the_one_sided_derivatives_differ(name):
    g = ACTIVATIONS[name]
    h = 1e-7
    for z0 in (0.0, -1.0, 1.0):  # 0 is where every rectifier bends; ±1 are smooth for every unit here
        right = float((g.value(np.array([z0 + h])) - g.value(np.array([z0])))[0]) / h
        left = float((g.value(np.array([z0])) - g.value(np.array([z0 - h])))[0]) / h
        bends = abs(right - left) > 1e-4  # a kink's jump in slope is O(1); smooth curvature gives O(h)
        assert bends == (z0 in g.kinks), (name, z0, left, right)


def test_the_convention_at_the_kink_is_scikit_learn_pytorch_and_jax_s():
    """relu'(0) = 0 (scikit-learn's, PyTorch's, and jax.nn.relu's); leaky_relu'(0) = the slope, PyTorch's
    (``jax.nn.leaky_relu`` takes 1 there; gradtrio's JAX cost writes it with z > 0 to agree)."""
    zero = np.zeros(1)
    assert ACTIVATIONS["relu"].derivative(zero)[0] == 0.0 == float(jax.grad(jax.nn.relu)(0.0))
    assert ACTIVATIONS["leaky_relu"].derivative(zero)[0] == LEAKY_SLOPE
    assert float(jax.grad(autodiff.JAX_ACTIVATIONS["leaky_relu"])(0.0)) == pytest.approx(LEAKY_SLOPE, rel=1e-7)
    assert ACTIVATIONS["elu"].derivative(zero)[0] == 1.0  # no kink: both branches have slope 1 at 0


@pytest.mark.parametrize("name", NAMES)
def test_the_independent_jax_writing_gives_the_same_values(name):
    with autodiff.x64():
        jz = np.asarray(autodiff.JAX_ACTIVATIONS[name](Z))
        jd = np.asarray(jax.vmap(jax.grad(autodiff.JAX_ACTIVATIONS[name]))(Z))
    np.testing.assert_allclose(jz, ACTIVATIONS[name].value(Z), rtol=8 * EPS, atol=8 * EPS)
    np.testing.assert_allclose(jd, ACTIVATIONS[name].derivative(Z), rtol=16 * EPS, atol=16 * EPS)


# --------------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------------


def _targets(output: str, rng: np.random.Generator, m: int, K: int) -> np.ndarray:
    if output == "identity":
        return rng.normal(scale=2.0, size=(m, K))
    return one_hot(rng.integers(0, K, m), K)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(list(OUTPUTS)), st.integers(1, 12), st.integers(2, 5), st.integers(0, 2**32 - 1),
       st.sampled_from([1.0, 10.0]))
def test_residual_is_the_complex_step_of_the_loss(out, m, K, seed, scale):
    o = OUTPUTS[out]
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(m, K))
    Y = _targets(out, rng, m, K)
    loss, res = o.loss_and_residual(z.copy(), Y)
    np.testing.assert_allclose(loss, o.loss_sum(z, Y), rtol=1e-14)
    np.testing.assert_allclose(res, o.residual(z, Y), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(res, o.value(z) - Y, rtol=1e-13, atol=1e-14)  # each output is its loss's link
    # One batched complex call: every entry of z perturbed by i·h in its own batch row.
    n = m * K
    Zc = z[None] + 1j * COMPLEX_H * np.eye(n).reshape(n, m, K)
    cs = (o.loss_sum(Zc, Y).imag / COMPLEX_H).reshape(m, K)
    np.testing.assert_allclose(res, cs, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(res).max())))


def test_softmax_is_max_shifted_and_shift_invariant():
    o = OUTPUTS["softmax"]
    z = np.array([[1e4, 0.0, -1e4], [0.5, 0.25, 0.0]])
    Y = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        H = o.value(z)
        loss = o.loss_sum(z, Y)
    np.testing.assert_allclose(H.sum(axis=1), 1.0, rtol=4 * EPS)
    # Row 0: the right class at +1e4, loss 0 to rounding; row 1: log Σ e^z − z_2, by hand.
    expected = math.log(math.exp(0.5) + math.exp(0.25) + 1.0) - 0.0
    np.testing.assert_allclose(loss, expected, rtol=1e-15)
    np.testing.assert_allclose(o.loss_sum(z + 123.0, Y), loss, rtol=1e-13)


def test_squared_error_known_value():
    o = OUTPUTS["identity"]
    z = np.array([[1.0, 2.0], [0.0, -1.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert o.loss_sum(z, Y) == 0.5 * (1 + 4 + 1 + 4)
    assert not o.classifier
    np.testing.assert_array_equal(o.predict(z), z)


def test_batched_losses_have_the_batch_shape():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 3, 6, 2))
    for out, o in OUTPUTS.items():
        Y = _targets(out, rng, 6, 2)
        batched = o.loss_sum(z, Y)
        assert batched.shape == (4, 3)
        np.testing.assert_allclose(batched[2, 1], o.loss_sum(z[2, 1], Y), rtol=1e-14)


# --------------------------------------------------------------------------------------------------
# Targets: what each output accepts
# --------------------------------------------------------------------------------------------------


def _thetas(sizes, acts="sigmoid", out="sigmoid"):
    return Architecture(sizes, acts, out).init(0)


def test_identity_output_takes_real_targets_and_the_classifiers_refuse_them():
    X = np.ones((3, 2))
    Y = np.array([[0.5], [-2.0], [3.25]])
    th = _thetas((2, 3, 1), "tanh", "identity")
    J = backprop.cost(th, X, Y, activation="tanh", output="identity")
    assert np.isfinite(J)
    with pytest.raises(ValueError, match=r"one-hot \(entries 0 or 1\); got Y\[0, 0\] = 0.5"):
        backprop.cost(th, X, Y, activation="tanh")
    with pytest.raises(ValueError, match="reshape it to"):
        backprop.cost(th, X, Y[:, 0], activation="tanh", output="identity")
    with pytest.raises(ValueError, match="Y must be finite"):
        backprop.cost(th, X, np.array([[1.0], [np.nan], [0.0]]), output="identity")


def test_softmax_needs_two_classes_and_one_hot_rows():
    X = np.ones((2, 2))
    with pytest.raises(ValueError, match="softmax output needs K >= 2"):
        backprop.cost(_thetas((2, 3, 1)), X, np.array([[1.0], [0.0]]), output="softmax")
    with pytest.raises(ValueError, match="exactly one 1 per row"):
        backprop.cost(_thetas((2, 3, 2)), X, np.array([[1.0, 1.0], [0.0, 1.0]]), output="softmax")


def test_unknown_output_is_refused_before_the_data():
    with pytest.raises(ValueError, match="output must be one of 'sigmoid', 'softmax', 'identity'; got 'linear'"):
        backprop.cost_and_grad(_thetas((2, 3, 2)), "not data", None, output="linear")


# --------------------------------------------------------------------------------------------------
# The engines on every activation × output
# --------------------------------------------------------------------------------------------------

#: Backprop, the loop, JAX and the complex step are each exact to rounding: on these well-scaled problems
#: (|Θ| <= 1.5, |X| <= 2, m = 7) the rounding of each is ~1e-15 of the largest gradient entry; 1e-11 leaves
#: four orders of magnitude for sums of up to a few hundred terms and is far below the smallest bug of the
#: catalog (~1e-8 relative).
EXACT_RTOL = 1e-11


def _drawn(acts, out, seed, sizes=(4, 5, 3, 3), m=7):
    rng = np.random.default_rng(seed)
    arch = Architecture(sizes, acts, out)
    th = arch.init(rng, epsilon_init=1.5)
    X = rng.uniform(-2, 2, size=(m, sizes[0]))
    Y = _targets(out, rng, m, sizes[-1])
    return arch, th, X, Y, 0.7


@pytest.mark.parametrize("act,out", list(itertools.product(NAMES, OUTPUTS)))
def test_backprop_loop_jax_and_complex_step_agree(act, out):
    arch, th, X, Y, lam = _drawn(act, out, seed=hash((act, out)) % 2**32)
    J, g = backprop.cost_and_grad(th, X, Y, lam, activation=act, output=out)
    Jl, gl = backprop.cost_and_grad_loop(th, X, Y, lam, activation=act, output=out)
    Ja, ga = autodiff.cost_and_grad(th, X, Y, lam, activation=act, output=out)
    f = complex_cost_fn(validate_data(arch, X, Y, lam))
    v = arch.unroll(th)
    n = v.size
    cs = np.asarray(f(v[None] + 1j * COMPLEX_H * np.eye(n))).imag / COMPLEX_H
    flat = arch.unroll(g)
    scale = float(np.abs(flat).max())
    for other in (arch.unroll(gl), arch.unroll(ga), cs):
        np.testing.assert_allclose(other, flat, rtol=0, atol=EXACT_RTOL * scale)
    assert Jl == pytest.approx(J, rel=EXACT_RTOL) and Ja == pytest.approx(J, rel=EXACT_RTOL)
    assert backprop.cost(th, X, Y, lam, activation=act, output=out) == pytest.approx(J, rel=EXACT_RTOL)


def test_one_activation_per_hidden_layer():
    acts = ("relu", "tanh", "gelu")
    arch, th, X, Y, lam = _drawn(acts, "softmax", seed=5, sizes=(3, 4, 4, 3, 2))
    J, g = backprop.cost_and_grad(th, X, Y, lam, activation=acts, output="softmax")
    Ja, ga = autodiff.cost_and_grad(th, X, Y, lam, activation=list(acts), output="softmax")
    scale = max(float(np.abs(t).max()) for t in g)
    for a, b in zip(g, ga):
        np.testing.assert_allclose(a, b, rtol=0, atol=EXACT_RTOL * scale)
    # Not the same network as one activation for all: the units matter.
    J_relu = backprop.cost(th, X, Y, lam, activation="relu", output="softmax")
    assert abs(J_relu - J) > 1e-6


def test_rectifier_layers_get_he_initialisation():
    arch = Architecture((400, 25, 10), "relu", "softmax")
    th = arch.init(0)
    he, glorot = math.sqrt(6 / 400), math.sqrt(6) / math.sqrt(25 + 10)
    assert np.abs(th[0]).max() <= he and np.abs(th[0]).max() > 0.99 * he  # 10,025 uniform draws reach the edge
    assert np.abs(th[1]).max() <= glorot and np.abs(th[1]).max() > 0.95 * glorot  # the output layer: Glorot
    course = Architecture((400, 25, 10)).init(0)  # the course's network is unchanged
    assert np.abs(course[0]).max() <= math.sqrt(6) / math.sqrt(425)
    np.testing.assert_array_equal(Architecture((400, 25, 10), "tanh").init(0)[0], course[0])


def test_predictions_of_each_output():
    arch, th, X, Y, _ = _drawn("relu", "softmax", seed=1)
    P = backprop.predict_proba(th, X, activation="relu", output="softmax")
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=8 * EPS)
    np.testing.assert_array_equal(backprop.predict(th, X, activation="relu", output="softmax"), P.argmax(axis=1))
    arch, th, X, Y, _ = _drawn("tanh", "identity", seed=2)
    H = backprop.predict(th, X, activation="tanh", output="identity")
    fw = backprop.forward(th, X, activation="tanh", output="identity")
    np.testing.assert_array_equal(H, fw.z[-1])
    assert H.shape == (X.shape[0], 3)


def test_one_logistic_unit_predicts_its_binary_label():
    """K = 1: the label is 1 where h > 1/2 (an argmax over one unit would always say 0)."""
    th = [np.array([[0.0, 1.0]])]
    X = np.array([[-2.0], [-0.1], [0.3], [4.0]])
    np.testing.assert_array_equal(backprop.predict(th, X), [0, 0, 1, 1])


@pytest.mark.parametrize("act,out", [("relu", "softmax"), ("tanh", "identity"), (("gelu", "elu"), "sigmoid")])
def test_the_adjoint_test_runs_on_the_network_it_is_given(act, out):
    """The dot-product test compares JAX's JVP of *this* network with backprop of this network: a pass for
    the right units, and a fail for backprop of the course's network standing in for it."""
    from gradtrio.verdicts import adjoint_test

    arch, th, X, Y, lam = _drawn(act, out, seed=11)
    assert adjoint_test(th, X, Y, lam, activation=act, output=out).verdict == "pass"
    wrong = backprop.cost_and_grad(th, X, Y, lam, activation="sigmoid", output=out)  # sigmoid hidden units
    res = adjoint_test(th, X, Y, lam, backward=lambda *a, **k: wrong, activation=act, output=out)
    assert res.verdict == "fail"


def test_the_complex_step_of_softplus_is_accurate_where_its_value_is_tiny():
    """NumPy's complex log1p forms 1 + w first (``np.log1p(1e-15 + 0j)`` is 1.11e-15): the complex softplus
    computes log|1 + w| and arg(1 + w) apart, so its complex step keeps relative accuracy at z << 0, where
    trained softplus units sit (the false alarm an independent tester found: 5 % off on Θ(2) entries)."""
    z = np.array([-20.0, -36.7, -52.0, -300.0])
    cs = ACTIVATIONS["softplus"].complex_value(z + 1j * COMPLEX_H)
    np.testing.assert_allclose(cs.real, np.log1p(np.exp(z)), rtol=4 * EPS)  # the real log1p is accurate
    np.testing.assert_allclose(cs.imag / COMPLEX_H, ACTIVATIONS["softplus"].derivative(z), rtol=4 * EPS)


def test_the_jax_elu_derivative_is_e_to_the_z_where_z_is_very_negative():
    """JAX differentiates expm1 as ans + 1, which loses every digit at z << 0 (``jax.grad(jax.nn.elu)(-40.)``
    is 0): gradtrio's JAX writing states the ELU's derivative, so it is e^z to rounding."""
    z = np.array([-7.5, -20.0, -40.0, -300.0])
    with autodiff.x64():
        jd = np.asarray(jax.vmap(jax.grad(autodiff.JAX_ACTIVATIONS["elu"]))(z))
    np.testing.assert_allclose(jd, np.exp(z), rtol=4 * EPS, atol=0)


@pytest.mark.parametrize("act,bias", [("elu", -8.0), ("elu", -40.0), ("softplus", -36.7)])
def test_units_far_below_zero_are_no_false_alarm(act, bias):
    """The tester's reproductions: one hidden unit deep in its flat negative branch, a correct backprop."""
    from gradtrio.check import compare_gradients

    th = [np.array([[bias, 1.0]]), np.array([[0.1, 1.0]])]
    X, Y = np.array([[0.5], [1.0]]), np.array([[1.0], [-0.5]])
    assert compare_gradients(th, X, Y, 0.0, activation=act, output="identity").verdict != "fail"
