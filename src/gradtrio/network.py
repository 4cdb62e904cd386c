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

from ._validate import check_sizes, check_thetas

__all__ = [
    "check_sizes",
    "theta_shapes",
    "num_params",
    "sizes_of",
    "unroll",
    "roll",
    "init_weights",
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
    sizes = check_sizes(sizes)
    return [(s_out, s_in + 1) for s_in, s_out in zip(sizes[:-1], sizes[1:])]


def num_params(sizes: Sequence[int]) -> int:
    """Total number of parameters (weights and biases) of a network with these ``sizes``."""
    return sum(r * c for r, c in theta_shapes(sizes))


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
    shapes = theta_shapes(sizes)
    v = np.asarray(vector)
    if v.dtype.kind not in "biufc":
        raise TypeError(f"vector must be numeric; got dtype {v.dtype}")
    if v.ndim != 1:
        raise ValueError(f"vector must be 1-D (an unrolled parameter vector); got shape {v.shape}")
    n = sum(r * c for r, c in shapes)
    if v.size != n:
        detail = " + ".join(f"{r}*{c}" for r, c in shapes)
        raise ValueError(
            f"sizes={tuple(sizes)} has {n} parameters ({detail}); got a vector of length {v.size}"
        )
    out, start = [], 0
    for r, c in shapes:
        out.append(v[start : start + r * c].reshape(r, c))
        start += r * c
    return out


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating type such as float64 or float32; got {dt}")
    return dt


def default_epsilon(s_in: int, s_out: int) -> float:
    """The course's initialisation range ``sqrt(6) / sqrt(s_in + s_out)`` (≈0.12 for 400→25)."""
    return float(np.sqrt(6.0) / np.sqrt(s_in + s_out))


def init_weights(
    sizes: Sequence[int],
    seed: int | np.random.Generator | None = 0,
    epsilon_init: float | None = None,
    dtype: DTypeLike = np.float64,
) -> list[np.ndarray]:
    """Random weights, uniform in ``[-eps, eps]``, to break the symmetry between hidden units.

    Parameters
    ----------
    sizes : sequence of int
    seed : int or numpy.random.Generator, default 0
        The same seed gives bit-identical weights.
    epsilon_init : float, optional
        One range for every layer. By default each layer gets
        ``eps = sqrt(6) / sqrt(s_in + s_out)`` (Glorot-style, the course's recommendation:
        ≈0.12 for 400→25, ≈0.46 for 25→10).
    dtype : numpy dtype, default float64

    Returns
    -------
    list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    """
    sizes = check_sizes(sizes)
    dtype = _float_dtype(dtype)
    if epsilon_init is not None and not (
        isinstance(epsilon_init, (int, float, np.integer, np.floating))
        and np.isfinite(epsilon_init)
        and epsilon_init > 0
    ):
        raise ValueError(f"epsilon_init must be a positive finite number; got {epsilon_init!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = []
    for (r, c), s_in, s_out in zip(theta_shapes(sizes), sizes[:-1], sizes[1:]):
        eps = default_epsilon(s_in, s_out) if epsilon_init is None else float(epsilon_init)
        out.append(rng.uniform(-eps, eps, size=(r, c)).astype(dtype, copy=False))
    return out


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
    if not isinstance(num_labels, (int, np.integer)) or isinstance(num_labels, bool) or num_labels < 1:
        raise ValueError(f"num_labels must be a positive integer; got {num_labels!r}")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class indices; got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("y must hold integer class indices; got non-integer values")
        if arr.size and (arr.min() < 0 or arr.max() >= num_labels):  # before the cast: 1e20 has no int64
            bad = arr[(arr < 0) | (arr >= num_labels)][0]
            raise ValueError(f"y must be in 0..{num_labels - 1}; got {bad:g}")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class indices; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_labels):
        bad = arr[(arr < 0) | (arr >= num_labels)][0]
        hint = (" (course files store 1..10 with 10 for the digit 0: subtract 1 / use load_mat)"
                if bad == num_labels else "")
        raise ValueError(f"y must be in 0..{num_labels - 1}; got {int(bad)}{hint}")
    Y = np.zeros((arr.size, num_labels), dtype=dtype)
    Y[np.arange(arr.size), arr] = 1
    return Y
