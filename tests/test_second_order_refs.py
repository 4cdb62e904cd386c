"""The independent references for Hessian-vector products, and check_hessians built on them.

Every activation × output on small seeded problems: JAX's forward-over-reverse, ``jax.hessian @ v``,
central differences of backprop's gradient along v and the complex step of the complex-safe gradient
agree with each other and with :func:`gradtrio.backprop.hvp`, each within the bound :func:`check_hessians`
derives from the problem's own magnitudes (never a fixed number).
"""

from __future__ import annotations

import numpy as np
import pytest

from gradtrio import autodiff, backprop, check_hessians
from gradtrio.model import ACTIVATIONS, OUTPUTS, validate
from gradtrio.network import one_hot
from gradtrio.oracles import second_order as so
from gradtrio.rounding import scales_of
from gradtrio.rounding_second import HVP_SAFETY, hvp_rounding
from gradtrio.tolerances import ANALYTIC_SAFETY

ACTS = [a for a in ACTIVATIONS if a != "logistic"]
OUTS = list(OUTPUTS)
ALL = ("backprop", "loop", "autodiff", "hessian", "central", "complex", "gauss-newton")


def _problem(act: str, out: str, seed: int, sizes=(3, 5, 4, 3), m: int = 6):
    rng = np.random.default_rng(seed)
    thetas = [rng.uniform(-1, 1, (b, a + 1)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.normal(size=(m, sizes[0]))
    Y = one_hot(rng.integers(0, sizes[-1], m), sizes[-1]) if out != "identity" else rng.normal(size=(m, sizes[-1]))
    V = [rng.normal(size=t.shape) for t in thetas]
    return thetas, X, Y, 0.3 * seed, V


def _flat(mats):
    return np.concatenate([np.asarray(t).ravel() for t in mats])


@pytest.mark.parametrize("out", OUTS)
@pytest.mark.parametrize("act", ACTS)
def test_references_agree(act, out):
    for seed in (1, 2):
        thetas, X, Y, lam, V = _problem(act, out, seed)
        units = {"activation": act, "output": out}
        pb, mats = validate(thetas, X, Y, lam, activations=act, output=out)
        bound = HVP_SAFETY * pb.arch.unroll(hvp_rounding(pb, mats, V))  # rounding of one exact product
        ref = _flat(backprop.hvp(thetas, X, Y, lam, V, **units))
        jax_hv = _flat(autodiff.hvp(thetas, X, Y, lam, V, **units))
        dense = autodiff.hessian(thetas, X, Y, lam, **units) @ _flat(V)
        flat_hv = autodiff.hvp_flat(_flat(thetas), (3, 5, 4, 3), X, Y, lam, _flat(V), **units)
        for other in (jax_hv, dense, flat_hv):
            assert np.all(np.abs(other - ref) <= 2 * bound + 1e-300)
        sc = scales_of(pb, mats)
        theta, v = pb.arch.unroll(mats), _flat(V)
        cs = so.complex_step_hvp(so.complex_gradient_fn(pb), theta, v, step_scale=sc.flat_sensitivity())
        assert np.all(np.abs(cs.hv - ref) <= 2 * bound + 1e-300)
        cd = so.central_hvp(lambda t, pb=pb: backprop.kernel(pb, pb.arch.cut(t))[1].copy(), theta, v,
                            grad_error=ANALYTIC_SAFETY * sc.grad_error(), step_scale=sc.flat_sensitivity())
        assert cd.evaluations == 4
        if pb.arch.kinked and so.stencil_crosses_kink(pb, mats, V, [-2 * cd.h, -cd.h, cd.h, 2 * cd.h]):
            continue  # a stencil across a relu kink: no derivative (check_hessians says inconclusive)
        assert np.all(np.abs(cd.hv - ref) <= cd.error + bound)
        assert np.max(cd.error) < 1e-6 * np.max(np.abs(ref))  # fine enough to see any real bug


@pytest.mark.parametrize("out", OUTS)
@pytest.mark.parametrize("act", ACTS)
def test_check_hessians_passes_every_unit(act, out):
    thetas, X, Y, lam, V = _problem(act, out, 3)
    r = check_hessians(thetas, X, Y, lam, V, activation=act, output=out, methods=ALL)
    assert r.verdict == "pass", str(r)
    assert {row.method_b for row in r.rows} >= {"loop", "autodiff", "hessian", "central", "complex", "gauss-newton-jax"}


@pytest.mark.parametrize("act", ACTS)
def test_complex_derivative_is_the_complex_step_of_complex_value(act):
    g = ACTIVATIONS[act]
    x = np.concatenate([np.linspace(-30, 30, 241) + 0.0123, [-1e-3, 1e-3, 0.7, -0.7]])
    h = 1e-20
    d = g.complex_derivative(x + 0j)
    assert np.iscomplexobj(d)
    step = g.complex_value(x + 1j * h).imag / h  # exact to rounding: the derivative of g
    assert np.allclose(d.real, step, rtol=1e-12, atol=1e-300)
    # The real formulas are accurate to a few ε absolute only, where they are written with 1 − tanh²
    # (it cancels: 1e-8 relative at |z| = 10, and 0 at |z| > 19); the complex one is relative-accurate.
    few_eps = 4 * np.finfo(float).eps
    assert np.allclose(d.real, g.derivative(x), rtol=1e-12, atol=few_eps)
    # and its own complex step is g'' (away from the kinks, where both are 0 for relu/leaky)
    assert np.allclose(g.complex_derivative(x + 1j * h).imag / h, g.second_derivative(x), rtol=1e-12,
                       atol=few_eps)


def test_complex_derivative_at_a_kink_is_the_subgradients_branch():
    # relu' by the real part: at z = 0 exactly the convention's branch (0), and its complex step is 0 —
    # the directional derivative of the subgradient, not a second derivative (there is none).
    for name, left in (("relu", 0.0), ("leaky_relu", 0.01)):
        g = ACTIVATIONS[name]
        d = g.complex_derivative(np.array([0 + 1e-20j]))
        assert d.real[0] == left and d.imag[0] == 0.0


def test_check_hessians_default_is_the_debug_problem():
    r = check_hessians(lam=1.0)
    assert r.verdict == "pass", str(r)
    assert r.sizes == (3, 5, 3) and r.m == 5
    d = r.to_dict()
    assert d["verdict"] == "pass" and len(d["rows"]) == len(r.rows)
    assert "PASSED" in str(r)
    assert r.to_json()


def _no_bend(thetas, X, Y, lam, V, **units):
    """A wrong H v: JAX's forward-over-reverse of a cost whose sigmoid's derivative is held constant in
    the second differentiation (``stop_gradient(g'(z))``), which drops exactly the g''(z) ⊙ R{z} term."""
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def sig(z):
        return jax.nn.sigmoid(z)

    @sig.defjvp
    def _sig_jvp(primals, tangents):
        (z,), (t,) = primals, tangents
        s = jax.nn.sigmoid(z)
        return s, jax.lax.stop_gradient(s * (1 - s)) * t

    def cost(th):
        a = X
        for T in th[:-1]:
            a = sig(a @ T[:, 1:].T + T[:, 0])
        z = a @ th[-1][:, 1:].T + th[-1][:, 0]
        pen = sum(jnp.sum(T[:, 1:] ** 2) for T in th)
        return jnp.sum(jnp.logaddexp(0.0, z) - Y * z) / X.shape[0] + lam / (2 * X.shape[0]) * pen

    with autodiff.x64():
        th = [jnp.asarray(t) for t in thetas]
        out = jax.jvp(jax.grad(cost), (th,), ([jnp.asarray(v) for v in V],))[1]
        return [np.asarray(t) for t in out]


def test_check_hessians_fails_on_a_wrong_hvp():
    r = check_hessians(lam=1.0, hvp=_no_bend)
    assert r.verdict == "fail"
    assert all(row.method_b == "user" for row in r.failures())
    # Gauss-Newton in place of the Hessian is caught too (sigmoid hidden units: g'' != 0, δ != 0)
    r2 = check_hessians(lam=0.0, hvp=lambda *a, **k: backprop.gvp(*a, **k))
    assert r2.verdict == "fail"


def test_wrong_jax_product_fails():
    # a wrong "JAX product": the gradient's jvp of the cost without the penalty's (λ/m) V
    def no_penalty(thetas, X, Y, lam, V, **units):
        return autodiff.hvp(thetas, X, Y, 0.0, V, **units)

    assert check_hessians(lam=2.0, hvp=no_penalty).verdict == "fail"
    assert check_hessians(lam=0.0, hvp=no_penalty).verdict == "pass"


def test_hessian_refuses_large_networks():
    rng = np.random.default_rng(0)
    sizes = (50, 40, 3)  # 40·51 + 3·41 = 2163 parameters
    thetas = [rng.normal(size=(b, a + 1)) for a, b in zip(sizes[:-1], sizes[1:])]
    X, Y = rng.normal(size=(4, 50)), one_hot(np.arange(4) % 3, 3)
    with pytest.raises(ValueError, match=r"max_params=2000.*2163"):
        autodiff.hessian(thetas, X, Y, 0.0)
    r = check_hessians(thetas, X, Y, 0.0, methods=("backprop", "autodiff", "hessian"))
    assert "hessian" in r.skipped and r.verdict == "pass"


def test_bad_direction_shape():
    thetas, X, Y, lam, V = _problem("sigmoid", "sigmoid", 1)
    bad = [V[0][:, :-1]] + V[1:]
    for fn in (autodiff.hvp, autodiff.gvp):
        with pytest.raises(ValueError, match=r"V\[0\].*shape"):
            fn(thetas, X, Y, lam, bad)
    with pytest.raises(ValueError, match=r"V\[0\].*shape"):
        check_hessians(thetas, X, Y, lam, bad)
    with pytest.raises(ValueError, match="V"):
        autodiff.hvp(thetas, X, Y, lam, V[:1])


def test_kink_crossing_is_inconclusive_not_fail():
    # A relu unit whose pre-activation sits at 1e-9 for one example: the central stencil (h ~ 1e-6)
    # crosses it, the complex step does not; the report must not fail.
    rng = np.random.default_rng(5)
    thetas = [rng.uniform(-1, 1, (4, 4)), rng.uniform(-1, 1, (2, 5))]
    X = rng.normal(size=(5, 3))
    thetas[0][0, 0] = 1e-9 - X[0] @ thetas[0][0, 1:]  # z of unit 0, example 0, is 1e-9
    Y = one_hot(np.arange(5) % 2, 2)
    r = check_hessians(thetas, X, Y, 0.1, activation="relu", methods=("backprop", "autodiff", "central", "complex"))
    assert r.kinks["central"] >= 1 and r.kinks["complex"] == 0
    assert r.verdict in ("pass", "inconclusive")
    assert all(row.method_b == "central" for row in r.inconclusive())
