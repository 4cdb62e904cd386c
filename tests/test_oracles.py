"""gradtrio.oracles: one vocabulary, one signature, one method table, and the old spellings for one release.

The numbers themselves are tested where they always were (test_finite_diff, test_localize, test_verdicts,
test_trust); here: that every oracle is called alike, that the table and the Function object route to the
same arithmetic (results compared exactly), that each old spelling warns and gives the same result, and
that the modules stay within their size limits.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from gradtrio import backprop, finite_diff, localize, measured, network, oracles, stepsize, tolerances, verdicts
from gradtrio._deprecate import GradtrioDeprecationWarning
from gradtrio.localize import problem_functions

SRC = Path(oracles.__file__).resolve().parent

#: The oracles of the one signature ``(f, grad, theta, *, h=None, seed=0)``.
SIGNATURE_ORACLES = [oracles.numerical_gradient, oracles.numerical_gradient_batched, oracles.richardson,
                     oracles.complex_step_gradient, oracles.bounded_difference, oracles.directional_check,
                     oracles.localize, oracles.entry_bounds, oracles.taylor_test, oracles.kink_check]


def _problem(seed=0, sizes=(3, 4, 2), m=5, lam=0.5):
    rng = np.random.default_rng(seed)
    thetas = [rng.uniform(-1, 1, size=s) for s in network.theta_shapes(sizes)]
    X = rng.normal(size=(m, sizes[0]))
    Y = network.one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
    cost_fn, g, theta, sizes = problem_functions(thetas, X, Y, lam, cost=backprop.cost)
    return cost_fn, g, theta, sizes, finite_diff.complex_cost_fn(sizes, X, Y, lam)


def _same(a, b):
    """Equal to the last bit, arrays and the fields of results alike."""
    if hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            _same(getattr(a, name), getattr(b, name))
    elif isinstance(a, (tuple, list)) and not (a and isinstance(a[0], (int, float, str))):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, (tuple, list)):
        assert a == b
    else:
        np.testing.assert_array_equal(a, b)


# --- the one signature ------------------------------------------------------------------------------


@pytest.mark.parametrize("oracle", SIGNATURE_ORACLES, ids=lambda o: o.__name__)
def test_every_oracle_takes_f_grad_theta_then_keyword_h_and_seed(oracle):
    params = inspect.signature(oracle).parameters
    assert list(params)[:3] == ["f", "grad", "theta"]
    assert params["h"].kind is inspect.Parameter.KEYWORD_ONLY and params["h"].default is None
    assert params["seed"].kind is inspect.Parameter.KEYWORD_ONLY and params["seed"].default == 0
    assert "eps" not in params  # eps is only ever machine epsilon


def test_step_is_h_and_eps_only_machine_epsilon_in_every_public_oracle():
    for name in oracles.__all__:
        obj = getattr(oracles, name)
        if callable(obj) and not isinstance(obj, type):
            assert "eps" not in inspect.signature(obj).parameters, name


def test_checkers_read_the_gradient_from_a_function_when_grad_is_none():
    cost_fn, g, theta, sizes, _ = _problem()
    f = oracles.Function(cost_fn, grad=lambda v: g)
    _same(oracles.directional_check(f, None, theta, k=3), oracles.directional_check(cost_fn, g, theta, k=3))
    _same(oracles.localize(f, None, theta, sizes=sizes), oracles.localize(cost_fn, g, theta, sizes=sizes))
    _same(oracles.taylor_test(f, None, theta), oracles.taylor_test(cost_fn, g, theta))
    with pytest.raises(TypeError, match="give the gradient"):
        oracles.directional_check(cost_fn, None, theta)


def test_kink_check_draws_its_direction_from_seed_when_none_is_given():
    cost_fn, g, theta, _, _ = _problem()
    rng = np.random.default_rng(3)
    d = rng.standard_normal(theta.size)  # then the noise measurement draws from the same generator
    _same(oracles.kink_check(cost_fn, g, theta, seed=3), oracles.kink_check(cost_fn, g, theta, d, seed=rng))


# --- the function object ----------------------------------------------------------------------------


def test_as_function_reads_the_attributes_plain_callables_carry():
    def J(v):
        return float(np.sum(v * v))

    J.batched = True  # type: ignore[attr-defined]
    J.batch_size = 7  # type: ignore[attr-defined]
    fn = oracles.as_function(J)
    assert fn.value is J and fn.batched and fn.batch_size == 7
    assert not fn.complex_safe and not fn.kinked and fn.grad is None and fn.hvp is None
    assert oracles.as_function(fn) is fn
    assert oracles.as_function(fn, kinked=True).kinked and not fn.kinked
    assert not oracles.as_function(lambda v: 0.0).batched
    with pytest.raises(TypeError, match="callable"):
        oracles.Function(3.0)  # type: ignore[arg-type]


def test_a_function_declared_complex_safe_skips_the_cross_check():
    calls = []

    def J(v):
        calls.append(np.ndim(v))
        return np.sum(np.sin(v))

    theta = np.array([0.3, -0.2])
    g = oracles.complex_step_gradient(oracles.Function(J, complex_safe=True), None, theta)
    assert len(calls) == theta.size  # no cross-check evaluations
    np.testing.assert_allclose(g, np.cos(theta), rtol=1e-15)


# --- the method table -------------------------------------------------------------------------------


def test_the_table_names_every_numerical_gradient_once():
    assert set(oracles.NUMERICAL_METHODS) == {"central", "forward", "richardson", "complex", "batched"}
    for name, m in oracles.NUMERICAL_METHODS.items():
        assert m.name == name and oracles.numerical_method(name) is m
        assert m.step in ("central", "forward", "richardson", "complex")
    with pytest.raises(ValueError, match="method must be one of"):
        oracles.numerical_method("symbolic")


def test_estimate_gives_exactly_what_the_oracle_gives():
    cost_fn, _, theta, _, cJ = _problem()
    _same(oracles.estimate("central", cost_fn, theta), oracles.numerical_gradient(cost_fn, None, theta))
    _same(oracles.estimate("forward", cost_fn, theta, h=1e-7),
          oracles.numerical_gradient(cost_fn, None, theta, h=1e-7, scheme="forward"))
    _same(oracles.estimate("richardson", cost_fn, theta), oracles.richardson(cost_fn, None, theta)[0])
    _same(oracles.estimate("complex", cJ, theta), oracles.complex_step_gradient(cJ, None, theta))
    _same(oracles.estimate("batched", cJ, theta, batch_size=5),
          oracles.numerical_gradient_batched(cJ, None, theta, batch_size=5))
    with pytest.raises(ValueError, match="needs a batched f"):
        oracles.estimate("batched", cost_fn, theta)


def test_measure_gives_exactly_what_bounded_difference_gives_and_the_exact_error_for_the_complex_step():
    _, _, theta, _, cJ = _problem()
    scale = np.linspace(1, 3, theta.size)
    for name, scheme in (("central", "central"), ("forward", "forward"), ("richardson", "richardson"),
                         ("batched", "central")):
        _same(oracles.measure(name, cJ, theta, step_scale=scale, noise_floor=1e-15),
              oracles.bounded_difference(cJ, None, theta, scheme=scheme, step_scale=scale, noise_floor=1e-15))
    exact = np.full(theta.size, 1e-14)
    res = oracles.measure("complex", cJ, theta, exact_error=exact)
    _same(res.grad, oracles.complex_step_gradient(cJ, None, theta))
    _same(res.error, exact)
    assert res.evaluations == theta.size and not np.any(res.truncation)


def test_finite_diff_gradient_goes_through_the_table():
    cost_fn, _, theta, sizes, _ = _problem()
    thetas = network.roll(theta, sizes)
    grads = finite_diff.gradient(lambda th: cost_fn(network.unroll(th)), thetas, method="richardson")
    _same(network.unroll(grads), oracles.estimate("richardson", cost_fn, theta))


# --- one noise rule ---------------------------------------------------------------------------------


def test_noise_level_is_the_largest_of_measured_floor_and_the_rounding_of_the_value():
    e = float(np.finfo(np.float32).eps)
    assert oracles.noise_level(1e-9, 2.0, np.dtype(np.float32)) == 2 * e
    assert oracles.noise_level(1e-3, 2.0, np.dtype(np.float32), 1e-5) == 1e-3
    assert oracles.noise_level(0.0, 2.0, np.dtype(np.float64), 1e-5) == 1e-5


# --- the old spellings, for one release ---------------------------------------------------------------


def _warns_and_equals(old, new):
    """``old()`` warns with GradtrioDeprecationWarning and returns exactly what ``new()`` returns."""
    with pytest.warns(GradtrioDeprecationWarning, match="deprecated"):
        got = old()
    _same(got, new())


def test_old_estimator_spellings_warn_and_agree():
    cost_fn, _, theta, _, cJ = _problem()
    new = lambda: oracles.numerical_gradient(cost_fn, None, theta, h=1e-4)  # noqa: E731
    _warns_and_equals(lambda: finite_diff.numerical_gradient(cost_fn, theta, 1e-4), new)
    _warns_and_equals(lambda: finite_diff.numerical_gradient(cost_fn, theta, eps=1e-4), new)
    _warns_and_equals(lambda: finite_diff.numerical_gradient(J=cost_fn, theta=theta, h=1e-4), new)
    _warns_and_equals(lambda: finite_diff.numerical_gradient(cost_fn, None, theta, eps=1e-4), new)
    _warns_and_equals(lambda: finite_diff.numerical_gradient(cost_fn, theta),
                      lambda: oracles.numerical_gradient(cost_fn, None, theta))
    _warns_and_equals(lambda: finite_diff.richardson(cost_fn, theta, 1e-3),
                      lambda: oracles.richardson(cost_fn, None, theta, h=1e-3))
    _warns_and_equals(lambda: finite_diff.numerical_gradient_batched(cJ, theta, 1e-5, 4),
                      lambda: oracles.numerical_gradient_batched(cJ, None, theta, h=1e-5, batch_size=4))
    _warns_and_equals(lambda: finite_diff.numerical_gradient_batched(J_batch=cJ, theta=theta),
                      lambda: oracles.numerical_gradient_batched(cJ, None, theta))
    _warns_and_equals(lambda: finite_diff.complex_step_gradient(cJ, theta, 1e-30),
                      lambda: oracles.complex_step_gradient(cJ, None, theta, h=1e-30))
    _warns_and_equals(lambda: measured.bounded_difference(cJ, theta, 1e-4, scheme="forward"),
                      lambda: oracles.bounded_difference(cJ, None, theta, h=1e-4, scheme="forward"))
    with pytest.raises(TypeError, match="not both"):
        finite_diff.numerical_gradient(cost_fn, None, theta, h=1e-4, eps=1e-4)


def test_old_checker_spellings_warn_and_agree():
    cost_fn, g, theta, sizes, _ = _problem()
    _warns_and_equals(lambda: finite_diff.directional_check(g, cost_fn, theta, 3, 1e-5, 7),
                      lambda: oracles.directional_check(cost_fn, g, theta, k=3, h=1e-5, seed=7))
    _warns_and_equals(lambda: finite_diff.directional_check(cost_fn, g, theta, k=3, eps=1e-5),
                      lambda: oracles.directional_check(cost_fn, g, theta, k=3, h=1e-5))
    _warns_and_equals(lambda: localize.localize(g, cost_fn, theta, sizes, seed=2),
                      lambda: oracles.localize(cost_fn, g, theta, sizes=sizes, seed=2))
    _warns_and_equals(lambda: localize.localize(g, cost_fn=cost_fn, theta=theta, sizes=sizes),
                      lambda: oracles.localize(cost_fn, g, theta, sizes=sizes))
    _warns_and_equals(lambda: localize.entry_bounds(g, cost_fn, theta, sizes, indices=[0, 3]),
                      lambda: oracles.entry_bounds(cost_fn, g, theta, sizes=sizes, indices=[0, 3]))
    _warns_and_equals(lambda: verdicts.taylor_test(cost_fn=cost_fn, grad=g, theta=theta, h_max=0.05),
                      lambda: oracles.taylor_test(cost_fn, g, theta, h=0.05))
    d = np.ones(theta.size)
    _warns_and_equals(lambda: verdicts.kink_check(cost_fn=cost_fn, grad=g, theta=theta, direction=d),
                      lambda: oracles.kink_check(cost_fn, g, theta, d))


def test_old_gradient_keyword_and_module_names_warn_and_agree():
    cost_fn, _, theta, sizes, _ = _problem()
    thetas = network.roll(theta, sizes)

    def cost(th):
        return cost_fn(network.unroll(th))

    _warns_and_equals(lambda: finite_diff.gradient(cost, thetas, eps=1e-4),
                      lambda: finite_diff.gradient(cost, thetas, h=1e-4))
    with pytest.warns(GradtrioDeprecationWarning, match="STEP_METHODS"):
        assert stepsize.METHODS == stepsize.STEP_METHODS  # type: ignore[attr-defined]
    with pytest.warns(GradtrioDeprecationWarning, match="GRADIENT_METHODS"):
        assert tolerances.METHODS == tolerances.GRADIENT_METHODS  # type: ignore[attr-defined]


def test_the_old_modules_serve_the_same_objects_as_oracles():
    for module in (finite_diff, measured, localize, verdicts):
        for name in module.__all__:
            obj = getattr(module, name)
            if hasattr(oracles, name):
                assert getattr(oracles, name) is obj, f"{module.__name__}.{name}"
    assert finite_diff.cost_fn is __import__("gradtrio.model.closures", fromlist=["cost_fn"]).cost_fn


# --- size limits ----------------------------------------------------------------------------------------

#: DESIGN: no module over about 500 lines, no function over about 60 lines of code.
MAX_MODULE_LINES = 500
MAX_FUNCTION_CODE = 60


def _code_lines(fn: ast.AST, source: list[str]) -> int:
    """Lines of a function holding code: not blank, not comments, not the docstring."""
    body = getattr(fn, "body", [])
    skip: set[int] = set()
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        skip = set(range(body[0].lineno, body[0].end_lineno + 1))
    code = [source[i - 1].strip() for i in range(fn.lineno, fn.end_lineno + 1) if i not in skip]
    return sum(1 for line in code if line and not line.startswith("#"))


OWNED = sorted(SRC.glob("*.py")) + [SRC.parent / f"{m}.py" for m in
                                    ("finite_diff", "measured", "localize", "verdicts", "stepsize", "tolerances")]


@pytest.mark.parametrize("path", OWNED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_modules_and_functions_stay_within_the_size_limits(path):
    text = path.read_text()
    source = text.splitlines()
    assert len(source) <= MAX_MODULE_LINES, f"{path.name}: {len(source)} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = _code_lines(node, source)
            assert n <= MAX_FUNCTION_CODE, f"{path.name}:{node.lineno} {node.name}: {n} lines of code"
