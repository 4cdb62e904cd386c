"""Same objective as scikit-learn (``benchmarks/sklearn_objective.py``): on the same weights, scikit-learn's
``MLPClassifier``/``MLPRegressor`` L-BFGS objective (``_loss_grad_lbfgs``) and gradtrio's ``cost_and_grad``
agree to rounding, for every hidden activation both have, and each output.

"To rounding" is a bound derived from the magnitudes of the summed terms on each drawn problem
(``rounding_bound``); a test below shows that it is tight enough to see a relative discrepancy of 1e-9.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import sklearn_objective as so  # noqa: E402
from gradtrio import backprop  # noqa: E402

pytest.importorskip("sklearn")

ACTS = tuple(so.SK_ACTIVATIONS)
SEEDS = st.integers(0, 2**32 - 1)


@pytest.mark.parametrize("kind", ["multilabel", "multiclass", "regression"])
@pytest.mark.parametrize("sk_activation", ACTS)
@given(seed=SEEDS)
def test_cost_and_gradient_match_scikit_learn_to_rounding(kind, sk_activation, seed):
    hidden, thetas, X, y, alpha = so.draw_problem(np.random.default_rng(seed), kind)
    row = so.compare(kind, sk_activation, hidden, thetas, X, y, alpha)
    assume(not row["near_kink"])  # a relu pre-activation within rounding of 0: either branch is right
    assert row["cost_used"] <= 1.0, row
    assert row["grad_used"] <= 1.0, row


@pytest.mark.parametrize("sk_activation", ACTS)
@given(seed=SEEDS)
def test_multi_output_regressor_divides_its_data_term_by_K_but_not_its_gradient(sk_activation, seed):
    """scikit-learn's squared loss averages over the K outputs; its gradient does not (its issue #8349): the
    README's statement, checked on the installed scikit-learn."""
    hidden, thetas, X, y, alpha = so.draw_problem(np.random.default_rng(seed), "regression", K=3)
    row = so.compare("regression", sk_activation, hidden, thetas, X, y, alpha)
    assume(not row["near_kink"])
    assert row["cost_used"] <= 1.0 and row["grad_used"] <= 1.0, row


def test_the_bound_sees_a_discrepancy_of_one_part_in_a_billion():
    """A bound that could hide a real difference would make the agreement meaningless: the same problem with
    scikit-learn's alpha or one weight changed by a relative 1e-9 is out of bounds."""
    hidden, thetas, X, y, alpha = so.draw_problem(np.random.default_rng(1), "multiclass", hidden=(6,), m=40)
    alpha = 0.5
    sk = so.sklearn_objective("multiclass", hidden, "tanh", X, y, alpha)
    Y = so.gradtrio_targets("multiclass", y, sk.Y.shape[1])
    tol_J, tol_G, _ = so.rounding_bound(thetas, X, Y, alpha, "tanh", "softmax")
    J, G = so.gradtrio_cost_and_grad("multiclass", thetas, X, Y, alpha, "tanh")
    J_sk, G_sk = sk.loss_and_grad(thetas)
    assert abs(J - J_sk) <= 2 * tol_J
    nudged = [t.copy() for t in thetas]
    nudged[0][2, 3] *= 1 + 1e-9
    J_n, G_n = sk.loss_and_grad(nudged)
    assert abs(J - J_n) > 2 * tol_J or np.abs(G[0][2, 3] - G_n[0][2, 3]) > 2 * tol_G[0][2, 3]
    sk_alpha = so.sklearn_objective("multiclass", hidden, "tanh", X, y, alpha * (1 + 1e-9))
    J_a, _ = sk_alpha.loss_and_grad(thetas)
    assert abs(J - J_a) > 2 * tol_J


def test_the_bound_is_a_few_hundred_ulps_of_the_summed_magnitudes():
    """Not so loose that it would pass a relative error of 1e-10 on these small problems."""
    rng = np.random.default_rng(7)
    for kind in so.KINDS:
        hidden, thetas, X, y, alpha = so.draw_problem(rng, kind)
        Y = so.gradtrio_targets(kind, y, thetas[-1].shape[0])
        J, G = so.gradtrio_cost_and_grad(kind, thetas, X, Y, alpha, "tanh")
        tol_J, tol_G, _ = so.rounding_bound(thetas, X, Y, alpha, "tanh", so.KINDS[kind][1])
        assert 0 < tol_J < 1e-10 * max(abs(J), 1.0)
        assert max(float(t.max()) for t in tol_G) < 1e-10 * max(float(np.abs(g).max()) for g in G)


def test_weights_map_both_ways_and_predict_alike():
    """gradtrio's thetas[l] = [intercept | coef.T]; scikit-learn's predictions from gradtrio's weights are
    gradtrio's (softmax probabilities, logistic outputs, regression values)."""
    rng = np.random.default_rng(3)
    for kind, sk_act in (("multiclass", "relu"), ("multilabel", "logistic"), ("regression", "tanh")):
        hidden, thetas, X, y, alpha = so.draw_problem(rng, kind, hidden=(5, 4))
        coefs, intercepts = so.to_sklearn(thetas)
        sizes = (X.shape[1], 5, 4, thetas[-1].shape[0])
        from sklearn.neural_network._multilayer_perceptron import _pack

        back = so._from_packed(_pack(coefs, intercepts), sizes)
        assert all(np.array_equal(a, b) for a, b in zip(back, thetas))
        sk = so.sklearn_objective(kind, hidden, sk_act, X, y, alpha)
        sk.estimator.coefs_, sk.estimator.intercepts_ = coefs, intercepts
        out = so.KINDS[kind][1]
        act = so.SK_ACTIVATIONS[sk_act]
        if kind == "regression":
            mine = backprop.predict(thetas, X, activation=act, output=out)[:, 0]
            theirs = sk.estimator.predict(X)
        else:
            mine = backprop.predict_proba(thetas, X, activation=act, output=out)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = sk.estimator.predict_proba(X)
        np.testing.assert_allclose(theirs, mine, rtol=1e-12, atol=1e-14)


def test_the_benchmark_writes_its_table(tmp_path):
    status = so.main(["--draws", "1", "--out", str(tmp_path)])
    text = (tmp_path / "objective.md").read_text()
    assert status == 0
    assert "command `python -m benchmarks.sklearn_objective" in text
    for act in ACTS:
        assert f"| {act} |" in text
    assert "| NO |" not in text
    assert (tmp_path / "objective.json").exists()
