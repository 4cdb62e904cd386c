"""Tests of gradtrio.network: shapes, unroll/roll, initialisation, debug weights, one-hot."""

import math

import numpy as np
import pytest

from gradtrio import network as nw


def test_theta_shapes_course_network():
    # The course's 400 -> 25 -> 10 network: Theta1 is 25x401, Theta2 is 10x26 (ex4 handout).
    assert nw.theta_shapes((400, 25, 10)) == [(25, 401), (10, 26)]
    assert nw.num_params((400, 25, 10)) == 25 * 401 + 10 * 26 == 10285


@pytest.mark.parametrize("sizes", [(1, 1), (3, 5, 3), (4, 1, 7, 2), (2, 3, 4, 5, 6)])
def test_unroll_roll_round_trip(sizes):
    rng = np.random.default_rng(sum(sizes))
    thetas = [rng.normal(size=s) for s in nw.theta_shapes(sizes)]
    v = nw.unroll(thetas)
    assert v.shape == (nw.num_params(sizes),)
    back = nw.roll(v, sizes)
    assert [b.shape for b in back] == [t.shape for t in thetas]
    for b, t in zip(back, thetas):
        np.testing.assert_array_equal(b, t)
    np.testing.assert_array_equal(nw.unroll(back), v)
    # Row-major, layer after layer: the first entries are Theta(1)'s first row.
    np.testing.assert_array_equal(v[: thetas[0].shape[1]], thetas[0][0])


def test_unroll_returns_a_copy():
    thetas = nw.init_weights((2, 3, 2))
    v = nw.unroll(thetas)
    v[:] = 0
    assert np.any(thetas[0] != 0)


@pytest.mark.parametrize("length", [0, 10284, 10286])
def test_roll_wrong_length(length):
    with pytest.raises(ValueError, match=r"10285 parameters \(25\*401 \+ 10\*26\); got a vector of length"):
        nw.roll(np.zeros(length), (400, 25, 10))


def test_roll_not_1d():
    with pytest.raises(ValueError, match="must be 1-D"):
        nw.roll(np.zeros((2, 5)), (1, 2))


@pytest.mark.parametrize(
    "sizes, exc, msg",
    [
        ((5,), ValueError, "at least 2 layers"),
        ((), ValueError, "at least 2 layers"),
        ((3, 0, 2), ValueError, r"sizes\[1\] must be at least 1"),
        ((3, -1), ValueError, r"sizes\[1\] must be at least 1"),
        ((3, 2.5), TypeError, r"sizes\[1\] must be an integer"),
        ("345", TypeError, "sequence of layer sizes"),
        (7, TypeError, "sequence of layer sizes"),
        ((3, True), TypeError, r"sizes\[1\] must be an integer"),
    ],
)
def test_bad_sizes(sizes, exc, msg):
    with pytest.raises(exc, match=msg):
        nw.theta_shapes(sizes)


def test_init_weights_range_and_seed():
    sizes = (400, 25, 10)
    a = nw.init_weights(sizes, seed=3)
    b = nw.init_weights(sizes, seed=3)
    c = nw.init_weights(sizes, seed=4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)  # same seed -> bit-identical
    assert not np.array_equal(a[0], c[0])
    # eps = sqrt(6)/sqrt(s_in + s_out): 0.1188 for 400->25 (the course's "0.12"), 0.4472 for 25->10.
    eps1, eps2 = math.sqrt(6 / 425), math.sqrt(6 / 35)
    assert round(eps1, 2) == 0.12
    assert np.abs(a[0]).max() <= eps1 and np.abs(a[0]).max() > 0.95 * eps1
    assert np.abs(a[1]).max() <= eps2 and np.abs(a[1]).max() > 0.9 * eps2
    # Uniform on [-eps, eps]: mean ~ 0, variance eps^2/3 (10025 draws: loose 5-sigma style bounds).
    assert abs(a[0].mean()) < 0.01
    assert abs(a[0].var() / (eps1**2 / 3) - 1) < 0.05


def test_init_weights_explicit_epsilon_and_dtype():
    t = nw.init_weights((3, 4), seed=0, epsilon_init=0.5, dtype=np.float32)
    assert t[0].dtype == np.float32 and np.abs(t[0]).max() <= 0.5
    with pytest.raises(ValueError, match="epsilon_init"):
        nw.init_weights((3, 4), epsilon_init=-1.0)


def test_debug_weights_matches_course_column_major():
    # Course: W = reshape(sin(1:numel(W)), size(W)) / 10 -- MATLAB reshape fills column by column.
    W = nw.debug_weights(5, 3)
    assert W.shape == (5, 4)
    assert W[0, 0] == np.sin(1) / 10
    assert W[1, 0] == np.sin(2) / 10  # column-major: the second entry goes down the first column
    assert W[0, 1] == np.sin(6) / 10
    assert W[4, 3] == np.sin(20) / 10


def test_debug_problem_course_check():
    thetas, X, y = nw.debug_problem((3, 5, 3), m=5)
    assert [t.shape for t in thetas] == [(5, 4), (3, 6)]
    assert X.shape == (5, 3)
    np.testing.assert_array_equal(X, nw.debug_weights(5, 2))
    # Course: y = 1 + mod(1:m, num_labels)' -> 2 3 1 2 3, i.e. 1 2 0 1 2 zero-based.
    np.testing.assert_array_equal(y, [1, 2, 0, 1, 2])


def test_one_hot():
    Y = nw.one_hot([2, 0, 1, 2], 3)
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(nw.one_hot(np.array([[1], [0]]), 2), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    "y, k, exc, msg",
    [
        ([0, 3], 3, ValueError, r"0\.\.2; got 3"),
        ([1, 10], 10, ValueError, "course files store 1..10"),
        ([-1], 3, ValueError, r"0\.\.2; got -1"),
        ([0.5], 3, ValueError, "integer class indices"),
        ([1e20], 3, ValueError, r"0\.\.2; got 1e\+20"),
        (["a"], 3, TypeError, "integer class indices"),
        ([[0, 1], [1, 0]], 2, ValueError, "1-D array"),
        ([0], 0, ValueError, "num_labels"),
    ],
)
def test_one_hot_bad_input(y, k, exc, msg):
    with pytest.raises(exc, match=msg):
        nw.one_hot(y, k)
