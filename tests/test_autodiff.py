"""gradtrio.autodiff: jax.grad of the same cost must match the hand-written backprop."""

from __future__ import annotations

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradtrio import autodiff, backprop, network
from gradtrio.tolerances import tolerance


def _problem(sizes=(4, 6, 5, 3), m=7, lam=1.5, dtype=np.float64):
    thetas, X, y = network.debug_problem(sizes, m, dtype)
    return thetas, X, network.one_hot(y, sizes[-1], dtype), lam


def _assert_layers_agree(a, b, dtype, J=1.0, methods=("backprop", "autodiff")):
    tol = tolerance(dtype, *methods)
    assert len(a) == len(b)
    for l, (x, y) in enumerate(zip(a, b)):
        assert x.shape == y.shape
        rel = np.linalg.norm(x - y) / max(np.linalg.norm(x + y), np.finfo(np.float64).tiny)
        assert tol.agrees(rel, float(np.max(np.abs(x - y))), J), f"Theta({l + 1}): rel {rel:.3g}"


@pytest.mark.parametrize("lam", [0.0, 3.0])
@pytest.mark.parametrize("sizes", [(3, 5, 3), (2, 1), (5, 4, 3, 2, 6)])
def test_cost_and_grad_match_backprop(sizes, lam):
    thetas, X, Y, _ = _problem(sizes, m=6)
    J, g = autodiff.cost_and_grad(thetas, X, Y, lam)
    Jb, gb = backprop.cost_and_grad(thetas, X, Y, lam)
    assert J == pytest.approx(Jb, rel=1e-13)
    assert autodiff.cost(thetas, X, Y, lam) == pytest.approx(Jb, rel=1e-13)
    _assert_layers_agree(g, gb, np.float64, Jb)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dtype_in_is_dtype_out(dtype):
    thetas, X, Y, lam = _problem(dtype=dtype)
    J, g = autodiff.cost_and_grad(thetas, X, Y, lam)
    assert isinstance(J, float)
    assert all(t.dtype == np.dtype(dtype) for t in g)
    assert all(isinstance(t, np.ndarray) and t.flags.writeable for t in g)
    _, gb = backprop.cost_and_grad(thetas, X, Y, lam)
    _assert_layers_agree(g, gb, dtype, J)


def test_float64_is_scoped_and_does_not_leak_into_user_jax_code():
    before = jax.config.jax_enable_x64
    thetas, X, Y, lam = _problem()
    _, g = autodiff.cost_and_grad(thetas, X, Y, lam)
    assert g[0].dtype == np.float64  # float64 inside the call ...
    assert jax.config.jax_enable_x64 == before  # ... and the global setting is untouched
    if not before:
        assert jnp.asarray(np.ones(2)).dtype == jnp.float32


def test_no_recompilation_for_same_shapes():
    # Empty JAX's caches first: a test run earlier in this process may have compiled the m = 10 program
    # already (a Hypothesis draw of that shape; under pytest-xdist, whichever tests this worker got first).
    jax.clear_caches()
    thetas, X, Y, lam = _problem(sizes=(3, 7, 2), m=9)
    autodiff.cost_and_grad(thetas, X, Y, lam)
    n = autodiff.trace_count("cost_and_grad")
    for new_lam in (0.0, 2.0, 7.5):  # other λ and other values, same shapes and dtype
        autodiff.cost_and_grad([t * 1.1 for t in thetas], X + 0.5, Y, new_lam)
    assert autodiff.trace_count("cost_and_grad") == n
    autodiff.cost_and_grad(*_problem(sizes=(3, 7, 2), m=10))  # a new m is a new program
    assert autodiff.trace_count("cost_and_grad") == n + 1


def test_flat_form_matches_list_form_and_does_not_retrace():
    thetas, X, Y, lam = _problem()
    sizes = network.sizes_of(thetas)
    J, g = autodiff.cost_and_grad(thetas, X, Y, lam)
    Jf, gf = autodiff.cost_and_grad_flat(network.unroll(thetas), sizes, X, Y, lam)
    assert Jf == pytest.approx(J, rel=1e-14)
    np.testing.assert_allclose(gf, network.unroll(g), rtol=1e-13, atol=1e-16)
    n = autodiff.trace_count("cost_and_grad_flat")
    autodiff.cost_and_grad_flat(network.unroll(thetas) * 0.5, sizes, X, Y, 0.0)
    assert autodiff.trace_count("cost_and_grad_flat") == n


def test_jvp_adjoint_identity_with_backprop():
    """⟨∇J, T⟩ by forward mode (no backward pass) equals Σ⟨backprop grad, T⟩: two analytic derivatives."""
    thetas, X, Y, lam = _problem()
    rng = np.random.default_rng(3)
    tangents = [rng.standard_normal(t.shape) for t in thetas]
    J, dJ = autodiff.jvp(thetas, X, Y, lam, tangents)
    Jb, gb = backprop.cost_and_grad(thetas, X, Y, lam)
    expected = sum(float(np.sum(g * t)) for g, t in zip(gb, tangents))
    scale = sum(float(np.sum(np.abs(g * t))) for g, t in zip(gb, tangents))
    assert J == pytest.approx(Jb, rel=1e-13)
    assert abs(dJ - expected) <= tolerance(np.float64, "backprop", "autodiff").rtol * scale


def test_jvp_rejects_tangents_of_the_wrong_shape():
    thetas, X, Y, lam = _problem()
    with pytest.raises(ValueError, match=r"tangents\[1\] must have the shape of Theta\(2\)"):
        autodiff.jvp(thetas, X, Y, lam, [thetas[0], thetas[1][:, 1:], thetas[2]])


def test_jax_cost_is_pure_under_jit_and_vmap():
    thetas, X, Y, lam = _problem(sizes=(3, 4, 2), m=5)
    stacked = [np.stack([t, 2 * t]) for t in thetas]
    with autodiff.x64():
        batched = jax.jit(jax.vmap(autodiff.jax_cost, in_axes=(0, None, None, None)))(stacked, X, Y, lam)
    expected = [backprop.cost(thetas, X, Y, lam), backprop.cost([2 * t for t in thetas], X, Y, lam)]
    np.testing.assert_allclose(np.asarray(batched), expected, rtol=1e-13)


def test_saturated_network_gives_finite_cost_and_gradient():
    thetas, X, Y, lam = _problem()
    big = [t * 1e4 for t in thetas]
    J, g = autodiff.cost_and_grad(big, X, Y, lam)
    Jb, gb = backprop.cost_and_grad(big, X, Y, lam)
    assert np.isfinite(J) and all(np.all(np.isfinite(t)) for t in g)
    assert J == pytest.approx(Jb, rel=1e-12)
    _assert_layers_agree(g, gb, np.float64, Jb)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda th, X, Y: (th, X, Y[:, :-1]),  # Y of the wrong width
        lambda th, X, Y: (th, X[:, :-1], Y),  # X of the wrong width
        lambda th, X, Y: ([th[0][:, 1:]] + th[1:], X, Y),  # bias column missing
        lambda th, X, Y: (th, np.where(X == X[0, 0], np.nan, X), Y),  # NaN in X
        lambda th, X, Y: (th, X, np.argmax(Y, axis=1)),  # class indices instead of one-hot
    ],
)
def test_validation_is_the_same_as_backprop(mutate):
    thetas, X, Y, lam = _problem()
    args = mutate(thetas, X, Y)
    with pytest.raises((ValueError, TypeError)) as expected:
        backprop.cost_and_grad(*args, lam)
    with pytest.raises(expected.type, match=None) as got:
        autodiff.cost_and_grad(*args, lam)
    assert str(got.value) == str(expected.value)


def test_import_gradtrio_does_not_import_jax():
    code = "import sys, gradtrio; assert 'jax' not in sys.modules, 'jax imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)
