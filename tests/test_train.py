"""gradtrio.train: fitting with scipy.optimize, prediction, accuracy, BLAS thread pools."""

import numpy as np
import pytest

from gradtrio import backprop
from gradtrio.data import load_digits
from gradtrio.network import one_hot
from gradtrio.train import (
    TrainingInterrupted,
    accuracy,
    blas_limited,
    predict,
    train,
)

#: Held-out accuracy the defaults must reach on the embedded digits. Independent source: scikit-learn's
#: MLPClassifier(hidden_layer_sizes=(25,), activation="logistic", solver="lbfgs", alpha=1) fitted on
#: the one-hot labels optimizes the same objective (see test_cost_is_sklearns_mlp_loss) and reaches
#: about 97.6-98% on such a split.
MIN_TEST_ACCURACY = 0.97


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def default_run(digits):
    return train(digits.X_train, digits.y_train)


def test_defaults_reach_97_percent_held_out(digits, default_run):
    r = default_run
    assert r.sizes == (64, 25, 10) and r.method == "L-BFGS-B" and r.backend == "numpy" and r.lam == 1.0
    assert r.iterations == 100 and not r.interrupted
    assert accuracy(r.thetas, digits.X_test, digits.y_test) >= MIN_TEST_ACCURACY


def test_history_is_the_cost_of_each_iterate(digits, default_run):
    r = default_run
    assert r.cost_history.shape == (r.iterations + 1,)
    assert r.function_evals >= r.iterations + 1
    assert np.all(np.diff(r.cost_history) <= 0)  # L-BFGS-B's line search only accepts decreases
    Y = one_hot(digits.y_train, 10)
    # Recomputed independently (the training path sums in another order, and BLAS threading differs
    # while training): equal to rounding, not bit for bit (1 ulp apart with NumPy 1.26).
    assert r.final_cost == pytest.approx(backprop.cost(r.thetas, digits.X_train, Y, 1.0), rel=1e-13)


def test_same_seed_gives_bit_identical_weights(digits, default_run):
    again = train(digits.X_train, digits.y_train)
    for a, b in zip(default_run.thetas, again.thetas):
        np.testing.assert_array_equal(a, b)
    other = train(digits.X_train, digits.y_train, seed=1, maxiter=1)
    assert not np.array_equal(other.thetas[0], default_run.thetas[0])


def test_numpy_and_jax_backends_reach_the_same_cost(digits, default_run):
    """Both compute the same cost; they differ by rounding only (~1e-15 relative per evaluation),
    which L-BFGS-B's iterations amplify: measured 3e-15 after 30 iterations, 3.0e-9 after the 100 of
    the defaults, the README's run (the numpy run is the shared default one)."""
    b = train(digits.X_train, digits.y_train, backend="jax")
    assert default_run.iterations == b.iterations == 100
    np.testing.assert_allclose(b.final_cost, default_run.final_cost, rtol=1e-8)


@pytest.mark.parametrize("method", ["CG", "TNC"])
def test_other_methods_stop_at_maxiter_and_descend(digits, method):
    seen = []
    r = train(digits.X_train, digits.y_train, method=method, maxiter=5,
              callback=lambda i, J: seen.append((i, J)))
    assert r.iterations == 5 and r.method == method
    assert [i for i, _ in seen] == list(range(6))
    np.testing.assert_array_equal([J for _, J in seen], r.cost_history)
    assert r.final_cost < r.cost_history[0]


def test_ctrl_c_gives_the_best_weights_so_far(digits):
    def stop_at_3(i, J):
        if i == 3:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as info:
        train(digits.X_train, digits.y_train, callback=stop_at_3)
    assert isinstance(info.value, KeyboardInterrupt)
    r = info.value.result
    assert r.interrupted and r.iterations == 3 and len(r.cost_history) == 4
    assert r.final_cost == min(r.cost_history)
    Y = one_hot(digits.y_train, 10)
    assert r.final_cost == backprop.cost(r.thetas, digits.X_train, Y, 1.0)


def test_maxiter_zero_returns_the_initial_weights(digits):
    from gradtrio.network import init_weights

    r = train(digits.X_train, digits.y_train, maxiter=0, seed=4)
    for a, b in zip(r.thetas, init_weights((64, 25, 10), seed=4)):
        np.testing.assert_array_equal(a, b)
    assert r.iterations == 0 and r.cost_history.shape == (1,)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(method="BFGS"), ValueError, "method must be one of"),
        (dict(backend="torch"), ValueError, "backend must be one of"),
        (dict(lam=-1.0), ValueError, "lam must be >= 0"),
        (dict(hidden=(25, 0)), ValueError, r"sizes\[2\] must be at least 1"),
        (dict(hidden="25"), TypeError, "hidden must be a sequence"),
        (dict(maxiter=-1), ValueError, "maxiter"),
        (dict(numpy_threads=0), ValueError, "numpy_threads must be an integer >= 1"),
        (dict(y=np.zeros(3, dtype=int)), ValueError, r"shape \(1347,\)"),
        (dict(y=np.zeros(1347)), TypeError, "integer class indices"),
        (dict(X=np.full((1347, 64), np.nan)), ValueError, "X must be finite"),
        # one stray label must not ask for 10**9 output units (a one-hot Y of 10 TB)
        (dict(y=np.where(np.arange(1347) == 7, 10**9, np.arange(1347) % 10)), ValueError,
         "labels go up to 1e\\+09 but only 11 distinct labels"),
        (dict(num_labels=5), ValueError, "holds the label 9 but num_labels is 5"),
    ],
)
def test_bad_inputs_fail_before_optimizing(digits, kwargs, exc, match):
    calls = []
    args = dict(X=digits.X_train, y=digits.y_train, callback=lambda i, J: calls.append(i))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        train(**args)
    assert calls == []


def test_predict_and_accuracy(digits, default_run):
    pred = predict(default_run.thetas, digits.X_test)
    assert pred.shape == (450,)
    assert accuracy(default_run.thetas, digits.X_test, digits.y_test) == np.mean(pred == digits.y_test)
    with pytest.raises(ValueError, match="one label per row"):
        accuracy(default_run.thetas, digits.X_test, digits.y_test[:-1])
    # weights with fewer outputs than the labels: an error, not a meaningless 10 %
    three = [default_run.thetas[0], default_run.thetas[1][:3]]
    with pytest.raises(ValueError, match=r"3 output units \(labels 0..2\) but y holds the label 9"):
        accuracy(three, digits.X_test, digits.y_test)
    assert accuracy(three, digits.X_test[digits.y_test < 3], digits.y_test[digits.y_test < 3]) > 0.9


def test_cost_is_sklearns_mlp_loss(digits):
    """MLPClassifier with logistic units on one-hot Y minimizes gradtrio's objective with λ = alpha
    (summed binary cross-entropy / m + alpha/(2m) Σ W², intercepts unpenalized): our cost at its
    weights is its reported loss. This is what makes it the fair peer of the accuracy bound."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    Y = one_hot(digits.y_train, 10)
    clf = MLPClassifier(hidden_layer_sizes=(25,), activation="logistic", solver="lbfgs", alpha=1.0,
                        max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(digits.X_train, Y)
    thetas = [np.column_stack([b, W.T]) for W, b in zip(clf.coefs_, clf.intercepts_)]
    np.testing.assert_allclose(backprop.cost(thetas, digits.X_train, Y, 1.0), clf.loss_, rtol=1e-12)


@pytest.mark.parametrize("numpy_threads", [1, None])
def test_blas_pools_are_limited_during_training_and_restored(numpy_threads):
    from threadpoolctl import threadpool_info

    def pools():
        return {p["filepath"]: p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    before = pools()
    scipy_own = [f for f in before if "scipy" in f and "numpy" not in f]
    with blas_limited(numpy_threads):
        during = pools()
    assert all(during[f] == 1 for f in scipy_own)
    for f in set(before) - set(scipy_own):
        assert during[f] == (before[f] if numpy_threads is None else 1)
    assert pools() == before
