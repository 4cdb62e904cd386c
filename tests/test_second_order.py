"""The second-order property suite: hand-written ``H V`` and ``G V`` against three references and their
algebra, on Hypothesis draws of every activation, output, architecture and kink placement.

Every comparison is bounded by :func:`gradtrio.rounding_second.hvp_rounding`, the running error scale of the
products measured on the drawn problem, times :data:`~gradtrio.rounding_second.HVP_SAFETY`; identities whose
arithmetic is known exactly (the penalty term, splits of a direction into disjoint parts scaled by powers of
two) are held to the roundings they perform.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from gradtrio import autodiff, backprop
from gradtrio.catalog.second_order import SECOND_ORDER_CATALOG
from gradtrio.check_hessian import check_hessians
from gradtrio.model import validate
from gradtrio.model.validate import check_direction
from gradtrio.rounding import rounding_scales
from gradtrio.rounding_second import HVP_SAFETY, hvp_rounding
from gradtrio.testing.strategies import UnitProblem, layer_sizes, unit_problems

EPS = float(np.finfo(np.float64).eps)


def _units(u: UnitProblem) -> dict:
    return {"activation": u.activation, "output": u.output}


def _direction(u: UnitProblem, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(T.shape) for T in u.problem.thetas]


def _scales(u: UnitProblem, V, gauss_newton: bool = False) -> list[np.ndarray]:
    p = u.problem
    pb, mats = validate(p.thetas, p.X, p.Y, p.lam, activations=u.activation, output=u.output)
    return hvp_rounding(pb, mats, check_direction(V, mats), gauss_newton=gauss_newton)


def _within(a, b, bound, what: str, u: UnitProblem) -> None:
    for layer, (x, y, e) in enumerate(zip(a, b, bound)):
        err = np.abs(np.asarray(x) - np.asarray(y))
        worst = np.unravel_index(np.argmax(err - e), err.shape)
        assert np.all(err <= e), (f"{what}, layer {layer + 1} entry {tuple(int(i) for i in worst)}: "
                                  f"|difference| {err[worst]:.3g} > bound {e[worst]:.3g}\n{u!r}")


def _dot(a, b) -> float:
    return float(sum(np.sum(x * y) for x, y in zip(a, b)))


def _absdot(a, b) -> float:
    return float(sum(np.sum(np.abs(x) * np.abs(y)) for x, y in zip(a, b)))


seeds = st.integers(0, 2**32 - 1)
SMOOTH = ("sigmoid", "tanh", "softplus", "gelu", "identity")  # C² units (the ELU's g'' jumps at 0)
#: The draws of the properties that the mutant test below reruns on a swapped-in bug.
DRAWS = {
    "three_way": (unit_problems(), seeds),
    "symmetry": (unit_problems(), seeds),
    "penalty": (unit_problems(), seeds, st.booleans()),
    "taylor": (unit_problems(activation=st.sampled_from(SMOOTH), kinks=st.just("none")), seeds),
}


@given(*DRAWS["three_way"])
def test_hvp_equals_loop_and_jax_forward_over_reverse(u, seed):
    """The batch R-operator, the per-example loop and JAX's jvp of grad: three writings, one product.
    Each carries up to the rounding scale E, so two differ by at most 2·HVP_SAFETY·E."""
    p, V = u.problem, _direction(u, seed)
    E = _scales(u, V)
    bound = [2 * HVP_SAFETY * e for e in E]
    Hv = backprop.hvp(p.thetas, p.X, p.Y, p.lam, V, **_units(u))
    _within(Hv, backprop.hvp_loop(p.thetas, p.X, p.Y, p.lam, V, **_units(u)), bound, "hvp vs hvp_loop", u)
    _within(Hv, autodiff.hvp(p.thetas, p.X, p.Y, p.lam, V, **_units(u)), bound, "hvp vs JAX jvp(grad)", u)


@given(unit_problems(kinks=st.just("none")), seeds)
def test_check_hessians_never_fails_a_correct_product(u, seed):
    """Central differences of the gradient along V and the complex step of the complex-safe gradient,
    judged by check_hessians' own rule: a correct product may be inconclusive, never a failure."""
    p, V = u.problem, _direction(u, seed)
    report = check_hessians(p.thetas, p.X, p.Y, p.lam, V, methods=("backprop", "loop", "central", "complex"),
                            **_units(u))
    assert report.verdict != "fail", f"{u!r}\n{report}"


@given(*DRAWS["symmetry"])
def test_hessian_is_symmetric(u, seed):
    """uᵀ(H v) = vᵀ(H u): each side rounds by |u|ᵀ E_v (resp. |v|ᵀ E_u) and by the dot product's own
    n·ε·Σ|terms|."""
    p = u.problem
    a, b = _direction(u, seed), _direction(u, seed + 1)
    Ha = backprop.hvp(p.thetas, p.X, p.Y, p.lam, a, **_units(u))
    Hb = backprop.hvp(p.thetas, p.X, p.Y, p.lam, b, **_units(u))
    n = sum(T.size for T in p.thetas)
    bound = (HVP_SAFETY * (_absdot(b, _scales(u, a)) + _absdot(a, _scales(u, b)))
             + n * EPS * (_absdot(b, Ha) + _absdot(a, Hb)))
    assert abs(_dot(b, Ha) - _dot(a, Hb)) <= bound, f"{_dot(b, Ha)} vs {_dot(a, Hb)} (bound {bound:.3g})\n{u!r}"


@given(unit_problems(), seeds, st.integers(-3, 3), st.integers(-3, 3), st.booleans())
def test_products_are_linear_in_the_direction(u, seed, i, j, gauss_newton):
    """H(α u + β w) = α H u + β H w, with u and w on disjoint entries and α, β powers of two, so the
    combined direction is formed exactly and only the products' own rounding remains."""
    p = u.problem
    product = backprop.gvp if gauss_newton else backprop.hvp
    rng = np.random.default_rng(seed)
    masks = [rng.random(T.shape) < 0.5 for T in p.thetas]
    V = _direction(u, seed)
    U = [np.where(mk, v, 0.0) for mk, v in zip(masks, V)]
    W = [np.where(mk, 0.0, v) for mk, v in zip(masks, V)]
    alpha, beta = 2.0**i, 2.0**j
    combined = [alpha * x + beta * y for x, y in zip(U, W)]
    left = product(p.thetas, p.X, p.Y, p.lam, combined, **_units(u))
    HU = product(p.thetas, p.X, p.Y, p.lam, U, **_units(u))
    HW = product(p.thetas, p.X, p.Y, p.lam, W, **_units(u))
    right = [alpha * x + beta * y for x, y in zip(HU, HW)]
    bound = [HVP_SAFETY * (c + alpha * a + beta * b) + EPS * np.abs(r)
             for c, a, b, r in zip(_scales(u, combined, gauss_newton), _scales(u, U, gauss_newton),
                                   _scales(u, W, gauss_newton), right)]
    _within(left, right, bound, f"{product.__name__} linearity", u)


@given(unit_problems(sizes=layer_sizes(2, 2, 1, 6), kinks=st.just("none")), seeds)
def test_gauss_newton_equals_hessian_without_hidden_layers(u, seed):
    """Logistic, softmax or linear regression (no hidden layer): the cost is the loss of an affine map,
    so H = G exactly. Held against the per-example loop's H V, an independent writing."""
    p, V = u.problem, _direction(u, seed)
    Gv = backprop.gvp(p.thetas, p.X, p.Y, p.lam, V, **_units(u))
    Hv = backprop.hvp_loop(p.thetas, p.X, p.Y, p.lam, V, **_units(u))
    E = _scales(u, V)
    _within(Gv, Hv, [2 * HVP_SAFETY * e for e in E], "gvp vs hvp_loop without hidden layers", u)


@given(unit_problems(), seeds)
def test_gauss_newton_is_positive_semidefinite(u, seed):
    """vᵀ G v >= 0: Σ_i (J_i v)ᵀ C_i (J_i v) with every C_i PSD, plus (λ/m)‖V_W‖²; below 0 only by rounding."""
    p, V = u.problem, _direction(u, seed)
    Gv = backprop.gvp(p.thetas, p.X, p.Y, p.lam, V, **_units(u))
    n = sum(T.size for T in p.thetas)
    bound = HVP_SAFETY * _absdot(V, _scales(u, V, gauss_newton=True)) + n * EPS * _absdot(V, Gv)
    assert _dot(V, Gv) >= -bound, f"vᵀGv = {_dot(V, Gv)} < -{bound:.3g}\n{u!r}"


@given(*DRAWS["penalty"])
def test_penalty_term_is_lambda_over_m_times_v_off_the_bias(u, seed, gauss_newton):
    """Product(λ) − product(0) = (λ/m) V on the weight columns and exactly 0 on the bias column. The two
    runs perform the same operations up to the final addition of (λ/m) V, so they differ from it by the
    roundings of that addition and of the subtraction here: ε (|P_λ| + |(λ/m) V|) each."""
    p, V = u.problem, _direction(u, seed)
    product = backprop.gvp if gauss_newton else backprop.hvp
    with_lam = product(p.thetas, p.X, p.Y, p.lam, V, **_units(u))
    without = product(p.thetas, p.X, p.Y, 0.0, V, **_units(u))
    c = p.lam / p.X.shape[0]
    for layer, (a, b, v) in enumerate(zip(with_lam, without, V)):
        np.testing.assert_array_equal(a[:, 0], b[:, 0], err_msg=f"bias column of layer {layer + 1}")
        term = c * v[:, 1:]
        err = np.abs((a[:, 1:] - b[:, 1:]) - term)
        assert np.all(err <= 2 * EPS * (np.abs(a[:, 1:]) + np.abs(term))), f"layer {layer + 1}\n{u!r}"


#: Steps of the Taylor test: t = 2^-2 .. 2^-20. The remainder r(t) = ‖∇J(θ + tV) − ∇J(θ) − t H V‖ of a
#: correct H falls as t² (slope 2 on log-log axes), of a wrong one as t (slope 1) once t is small.
TAYLOR_STEPS = 2.0 ** -np.arange(2, 21)
#: Only remainders this many times above the gradients' rounding (twice the gradient's rounding scale)
#: are read: below it r(t) is noise.
TAYLOR_FLOOR = 1000.0
#: The slope a correct product must show between the smallest readable steps: halfway between a wrong
#: product's 1 and a right one's 2 (a slope of 3 or more, where third-order terms cancel, passes).
TAYLOR_MIN_SLOPE = 1.5


@given(*DRAWS["taylor"])
def test_taylor_remainder_of_the_gradient_falls_with_slope_two(u, seed):
    p, V = u.problem, _direction(u, seed)
    units = _units(u)
    _, g0 = backprop.cost_and_grad(p.thetas, p.X, p.Y, p.lam, **units)
    Hv = backprop.hvp(p.thetas, p.X, p.Y, p.lam, V, **units)
    floor0 = np.linalg.norm(rounding_scales(p.thetas, p.X, p.Y, p.lam, **units).grad_error())
    points = []
    for t in TAYLOR_STEPS:
        moved = [T + t * v for T, v in zip(p.thetas, V)]
        _, g = backprop.cost_and_grad(moved, p.X, p.Y, p.lam, **units)
        floor = floor0 + np.linalg.norm(rounding_scales(moved, p.X, p.Y, p.lam, **units).grad_error())
        r = float(np.sqrt(sum(np.sum((a - b - t * h) ** 2) for a, b, h in zip(g, g0, Hv))))
        if r > TAYLOR_FLOOR * floor:
            points.append((t, r))
    if len(points) < 3:
        return  # the remainder is below rounding at every step (a quadratic cost, or a flat one)
    (t1, r1), (t2, r2) = points[-3], points[-1]  # the two smallest readable steps, a factor 4 apart
    slope = np.log(r1 / r2) / np.log(t1 / t2)
    assert slope >= TAYLOR_MIN_SLOPE, f"slope {slope:.2f} from {points[-3:]}\n{u!r}"


# --- the suite catches second-order bugs ---------------------------------------------------------


@pytest.mark.parametrize("name,draws,suite_test", [
    ("gpp_term_dropped", "three_way", test_hvp_equals_loop_and_jax_forward_over_reverse),
    ("hessian_as_gauss_newton", "three_way", test_hvp_equals_loop_and_jax_forward_over_reverse),
    ("hessian_as_gauss_newton", "taylor", test_taylor_remainder_of_the_gradient_falls_with_slope_two),
    ("v_delta_term_dropped", "symmetry", test_hessian_is_symmetric),
    ("penalty_on_bias", "penalty", test_penalty_term_is_lambda_over_m_times_v_off_the_bias),
])
def test_the_suite_finds_a_draw_that_fails_a_mutant(monkeypatch, name, draws, suite_test):
    """Swap a catalog bug in for backprop.hvp: the property, rerun on its own draws (100, derandomized, so
    the same on every machine), must find a failing draw, and fail by its own assertion, not by a crash."""
    mutant = SECOND_ORDER_CATALOG[name]
    monkeypatch.setattr(backprop, "hvp", lambda th, X, Y, lam, V, **units: mutant(th, X, Y, lam, V, **units))
    rerun = settings(report_multiple_bugs=False, max_examples=100, derandomize=True, database=None, deadline=None,
                     phases=[Phase.generate])(  # a failing draw is what is asked: no shrinking
        given(*DRAWS[draws])(suite_test.hypothesis.inner_test))
    with pytest.raises(AssertionError):
        rerun()
