"""Network shapes and parameters: sizes, weight-matrix shapes, unroll/roll, initialisation, one-hot.

Conventions (every module in gradtrio follows them)
---------------------------------------------------
- Layer sizes ``sizes = (s_1, ..., s_L)``: ``sizes[0]`` inputs, ``sizes[-1]`` labels, L >= 2.
- Parameters: a list ``thetas`` of L-1 matrices, ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``
  with the bias in column 0 (the course convention: Theta1 25×401 and Theta2 10×26 for
  400→25→10). In messages layers are numbered from 1, as in the course: ``Theta(1)`` is
  ``thetas[0]``.
- ``unroll(thetas)`` flattens them row-major (C order), layer after layer, into the single vector an
  optimizer sees; ``roll(vector, sizes)`` is its exact inverse.
- Labels are class indices ``0..K-1``; ``one_hot`` turns them into the ``(m, K)`` matrix ``Y``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .model import Architecture
from .model.architecture import default_epsilon
from .model.architecture import float_dtype_arg as _float_dtype
from .model.validate import check_labels, check_sizes, check_thetas

__all__ = [
    "check_sizes",
    "theta_shapes",
    "num_params",
    "sizes_of",
    "unroll",
    "roll",
    "init_weights",
    "default_epsilon",
    "debug_weights",
    "debug_problem",
    "one_hot",
]


def theta_shapes(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """Shapes of the weight matrices of a network.

    Parameters
    ----------
    sizes : sequence of int, length L >= 2

    Returns
    -------
    list of (int, int), length L-1
        ``(s_{l+1}, s_l + 1)`` for each layer; e.g. ``[(25, 401), (10, 26)]`` for ``(400, 25, 10)``.
    """
    return list(Architecture(sizes).shapes)


def num_params(sizes: Sequence[int]) -> int:
    """Total number of parameters (weights and biases) of a network with these ``sizes``."""
    return Architecture(sizes).num_params


def sizes_of(thetas: Sequence[ArrayLike]) -> tuple[int, ...]:
    """Layer sizes read off a list of weight matrices (which must chain)."""
    mats = check_thetas(thetas, check_finite=False)
    return (mats[0].shape[1] - 1,) + tuple(t.shape[0] for t in mats)


def unroll(thetas: Sequence[ArrayLike]) -> np.ndarray:
    """Flatten weight matrices into one vector, row-major, layer after layer.

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.

    Returns
    -------
    ndarray of shape (num_params(sizes),)
        Always a new array (never a view of a theta).
    """
    mats = check_thetas(thetas, check_finite=False, allow_complex=True)
    return np.concatenate([t.ravel() for t in mats])


def roll(vector: ArrayLike, sizes: Sequence[int]) -> list[np.ndarray]:
    """Inverse of :func:`unroll`: cut a flat vector into the weight matrices of ``sizes``.

    Parameters
    ----------
    vector : array_like of shape (num_params(sizes),)
    sizes : sequence of int

    Returns
    -------
    list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``; these are views of ``vector`` when it is
        already a contiguous array (no copy), so writing to them writes to ``vector``.

    Raises
    ------
    ValueError
        If the vector's length is not the number of parameters of ``sizes``.
    """
    return Architecture(sizes).roll(vector)


def init_weights(
    sizes: Sequence[int],
    seed: int | np.random.Generator | None = 0,
    epsilon_init: float | None = None,
    dtype: DTypeLike = np.float64,
) -> list[np.ndarray]:
    """Random weights, uniform in ``[-eps, eps]``, to break the symmetry between hidden units.

    :meth:`gradtrio.model.Architecture.init` of a sigmoid network of these ``sizes``; the same seed
    gives bit-identical weights.
    """
    return Architecture(sizes).init(seed, epsilon_init, dtype)


def debug_weights(fan_out: int, fan_in: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    """The course's deterministic ``debugInitializeWeights``: ``sin(1..n) / 10``.

    Parameters
    ----------
    fan_out : int
        Units of the layer the weights feed (rows).
    fan_in : int
        Units of the layer they come from (columns, plus one for the bias).

    Returns
    -------
    ndarray of shape (fan_out, fan_in + 1)

    Notes
    -----
    The course fills the matrix with MATLAB's ``reshape(sin(1:numel(W)), size(W))``, which is
    column-major; we reshape with ``order="F"`` so that every entry equals the course's
    (``W[1, 0] = sin(2)/10``), and checks made against course printouts agree digit for digit.
    """
    for name, v, low in (("fan_out", fan_out, 1), ("fan_in", fan_in, 0)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {v!r}")
    dtype = _float_dtype(dtype)
    n = fan_out * (fan_in + 1)
    values = np.sin(np.arange(1, n + 1, dtype=np.float64)).reshape(fan_out, fan_in + 1, order="F") / 10
    return values.astype(dtype, copy=False)


def debug_problem(
    sizes: Sequence[int] = (3, 5, 3), m: int = 5, dtype: DTypeLike = np.float64
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The course's ``checkNNGradients`` problem, for any ``sizes``.

    Parameters
    ----------
    sizes : sequence of int, default (3, 5, 3)
    m : int, default 5
        Number of examples.

    Returns
    -------
    thetas : list of ndarray
        ``debug_weights(s_{l+1}, s_l)`` for every layer.
    X : ndarray of shape (m, sizes[0])
        ``debug_weights(m, sizes[0] - 1)``, as the course does.
    y : ndarray of shape (m,), int
        ``y_i = i mod K`` for ``i = 1..m`` (the course's ``1 + mod(1:m, K)``, shifted to 0-based).
    """
    sizes = check_sizes(sizes)
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be a positive integer; got {m!r}")
    thetas = [debug_weights(s_out, s_in, dtype) for s_in, s_out in zip(sizes[:-1], sizes[1:])]
    X = debug_weights(m, sizes[0] - 1, dtype)
    y = np.arange(1, m + 1) % sizes[-1]
    return thetas, X, y


def one_hot(y: ArrayLike, num_labels: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    """One-hot encode class indices.

    Parameters
    ----------
    y : array_like of int, shape (m,) or (m, 1)
        Class indices in ``0..num_labels-1`` (course files store 1..10; convert them first, e.g.
        with :func:`gradtrio.data.load_mat`).
    num_labels : int
        K, the number of output units.

    Returns
    -------
    ndarray of shape (m, num_labels)
        ``Y[i, y[i]] = 1``, zeros elsewhere.
    """
    arr = check_labels(y, num_labels)
    Y = np.zeros((arr.size, num_labels), dtype=dtype)
    Y[np.arange(arr.size), arr] = 1
    return Y
