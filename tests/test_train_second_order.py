"""Training with curvature: Newton-CG, trust-ncg and trust-krylov given a Hessian- or Gauss-Newton-vector
product, in gradtrio.train, the CLI and the benchmark.

Optimizer trajectories are chaotic (a rounding difference in one product changes every later iterate),
so nothing here pins a trajectory: runs must decrease the cost, count what they evaluate, and stop where
they are told to.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from gradtrio import backprop
from gradtrio.data import load_digits
from gradtrio.model import Architecture, validate_data
from gradtrio.network import one_hot
from gradtrio.train import (
    CURVATURES,
    DEFAULT_CURVATURE,
    FIRST_ORDER_METHODS,
    METHODS,
    SECOND_ORDER_METHODS,
    TrainingInterrupted,
    train,
)
from test_cli import gradtrio, one_line_error, summary  # tests/ is on sys.path (rootdir-relative, no package)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

#: A small real problem: 200 digits, one hidden layer of 10 units (760 parameters); seconds for all.
M_SMALL, HIDDEN = 200, (10,)
ITERATIONS = 8


@pytest.fixture(scope="module")
def small():
    d = load_digits()
    return d.X_train[:M_SMALL], d.y_train[:M_SMALL]


def _counting(monkeypatch):
    """Count the calls of every hand-written product the optimizer is given (independently of train)."""
    calls = []
    original = backprop.flat_hessp_kernel

    def counted_kernel(problem, *, gauss_newton=False):
        inner = original(problem, gauss_newton=gauss_newton)

        def hessp(x, p):
            calls.append(gauss_newton)
            return inner(x, p)

        return hessp

    monkeypatch.setattr(backprop, "flat_hessp_kernel", counted_kernel)
    return calls


@pytest.mark.parametrize("curvature", CURVATURES)
@pytest.mark.parametrize("method", SECOND_ORDER_METHODS)
def test_second_order_methods_descend_and_count_their_products(small, monkeypatch, method, curvature):
    calls = _counting(monkeypatch)
    seen = []
    r = train(*small, hidden=HIDDEN, maxiter=ITERATIONS, method=method, curvature=curvature,
              callback=lambda i, J: seen.append((i, J)))
    assert r.method == method and r.curvature == curvature and not r.interrupted
    assert r.final_cost < r.cost_history[0]
    assert 1 <= r.iterations <= ITERATIONS
    assert r.cost_history.shape == (r.iterations + 1,)
    np.testing.assert_array_equal([J for _, J in seen], r.cost_history)
    assert [i for i, _ in seen] == list(range(r.iterations + 1))
    # every iteration solves a subproblem with at least one product; each was counted, of the right kind
    assert r.hessp_evals == len(calls) >= r.iterations
    assert set(calls) == {curvature == "gvp"}
    assert r.function_evals >= r.iterations + 1


@pytest.mark.parametrize("method", ("trust-ncg", "trust-krylov"))
def test_trust_region_history_never_rises(small, method):
    """A trust region only moves on a decrease; a rejected step keeps the weights and repeats the cost."""
    r = train(*small, hidden=HIDDEN, maxiter=20, method=method)
    assert np.all(np.diff(r.cost_history) <= 0)


@pytest.mark.parametrize("method", SECOND_ORDER_METHODS)
def test_each_method_has_its_default_curvature(small, method):
    r = train(*small, hidden=HIDDEN, maxiter=2, method=method)
    assert r.curvature == DEFAULT_CURVATURE[method] and r.hessp_evals > 0


@pytest.mark.parametrize("method", FIRST_ORDER_METHODS)
def test_first_order_methods_use_no_curvature(small, method):
    r = train(*small, hidden=HIDDEN, maxiter=3, method=method)
    assert r.curvature is None and r.hessp_evals == 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="trust-krylov", curvature="bfgs"), "curvature must be one of hvp, gvp; got 'bfgs'"),
    (dict(method="Newton-CG", curvature=1), "curvature must be one of hvp, gvp"),
    (dict(method="L-BFGS-B", curvature="hvp"), "is for the second-order methods"),
    (dict(curvature="gvp"), "method 'L-BFGS-B' uses the gradient only"),
    (dict(method="trust-exact"), "method must be one of " + ", ".join(METHODS)),
    (dict(method="newton-cg"), "method must be one of"),
    (dict(target_cost="low"), "target_cost must be a real number"),
    (dict(target_cost=float("nan")), "target_cost must be a real number"),
])
def test_bad_choices_are_refused_before_training(small, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        train(*small, hidden=HIDDEN, **kwargs)


@pytest.mark.parametrize("method", ("L-BFGS-B", "TNC", "Newton-CG", "trust-krylov"))
def test_target_cost_stops_at_the_first_iterate_that_reaches_it(small, method):
    free = train(*small, hidden=HIDDEN, maxiter=10, method=method)
    target = float(free.cost_history[5])  # a cost this method reaches from this start
    r = train(*small, hidden=HIDDEN, maxiter=50, method=method, target_cost=target)
    assert r.final_cost <= target and np.all(r.cost_history[:-1] > target)
    assert r.message.startswith("target cost")
    at_once = train(*small, hidden=HIDDEN, method=method, target_cost=np.inf)
    assert at_once.iterations == 0 and at_once.hessp_evals == 0


#: JAX's forward-over-reverse and vjp-of-jvp products against the hand-written ones at one point. Both
#: sum m = 200 examples' terms of size ~|v| in float64 in different orders: each entry's rounding is a
#: few hundred ulps of the largest partial sum at most, far below 1e-10 of the product's norm.
JAX_PRODUCT_RTOL = 1e-10


@pytest.mark.parametrize("curvature", CURVATURES)
def test_jax_products_match_the_hand_written_ones(small, curvature):
    pytest.importorskip("jax")
    from gradtrio.train import _hessp_fn

    X, y = small
    arch = Architecture((64, *HIDDEN, 10))
    problem = validate_data(arch, X, one_hot(y, 10), 1.0, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = np.concatenate([t.ravel() for t in arch.init(3)])
    p = rng.standard_normal(arch.num_params)
    ours = _hessp_fn("numpy", problem, curvature)(x, p)
    theirs = _hessp_fn("jax", problem, curvature)(x, p)
    assert np.linalg.norm(ours - theirs) <= JAX_PRODUCT_RTOL * np.linalg.norm(ours)


@pytest.mark.parametrize("method", ("Newton-CG", "trust-ncg"))
def test_jax_backend_trains_with_curvature(small, method):
    pytest.importorskip("jax")
    r = train(*small, hidden=HIDDEN, maxiter=4, method=method, backend="jax")
    assert r.backend == "jax" and r.hessp_evals > 0 and r.final_cost < r.cost_history[0]


def test_ctrl_c_keeps_the_best_weights_and_the_counts(small):
    def stop_at_3(i, J):
        if i == 3:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as info:
        train(*small, hidden=HIDDEN, maxiter=20, method="trust-krylov", callback=stop_at_3)
    r = info.value.result
    assert r.interrupted and r.iterations == 3 and r.hessp_evals > 0 and r.curvature == "hvp"
    assert r.final_cost == r.cost_history.min()


def test_cli_trains_with_curvature(tmp_path):
    r = gradtrio("train", "--method", "Newton-CG", "--curvature", "hvp", "--maxiter", 5, "--no-check",
                 "--out", tmp_path / "ncg")
    assert r.returncode == 0, r.stderr
    assert "Newton-CG (Hessian-vector products), numpy backend" in r.stdout
    assert "Hessian-vector products;" in summary(r.stdout)["iterations"]
    r = gradtrio("train", "--method", "trust-krylov", "--maxiter", 3, "--no-check", "--out", tmp_path / "tk")
    assert r.returncode == 0, r.stderr
    assert "trust-krylov (Hessian-vector products)" in r.stdout  # its default
    first = gradtrio("train", "--maxiter", 2, "--no-check", "--out", tmp_path / "lbfgs")
    assert first.returncode == 0 and "products" not in first.stdout  # the first-order summary as it was


@pytest.mark.parametrize("args, message", [
    (["--curvature", "gvp"], "--curvature gvp is for --method Newton-CG, trust-ncg, trust-krylov"),
    (["--method", "trust-exact"], "invalid choice: 'trust-exact'"),
    (["--method", "trust-ncg", "--curvature", "exact"], "invalid choice: 'exact'"),
])
def test_cli_refuses_bad_choices_in_one_line(tmp_path, args, message):
    r = gradtrio("train", *args, "--no-check", "--out", tmp_path / "x")
    assert message in one_line_error(r)


def test_benchmark_quick_smoke(tmp_path):
    from benchmarks.second_order_training import RUNS, main

    assert main(["--quick", "--sizes", "digits", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "training.md").read_text()
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and not ln.startswith("| method")]
    assert len(rows) == len(RUNS)
    assert rows[0].startswith("| L-BFGS-B | — | 1/1 |")  # it reaches its own cost, at the same iteration
    assert "python -m benchmarks.second_order_training" in text and "Machine" in text
