"""Backpropagation written by hand in NumPy: the reference every other gradient is checked against.

Two forms of the same algorithm, for sigmoid networks of any depth L >= 2:

- :func:`cost_and_grad_loop` — the classic course algorithm, one example at a time, with the bias
  unit glued onto each activation exactly as the course writes it. Slow; kept as the readable
  reference.
- :func:`cost_and_grad` — the same mathematics on the whole batch at once, written for speed:
  the bias column of each Θ is used as a view (``A @ Θ[:, 1:].T + Θ[:, 0]``) instead of gluing a
  column of ones onto the activations, the gradient matrices are views into one flat buffer (so
  :func:`cost_and_grad_flat` returns it without a copy), and element-wise work is done in place.

The cost (m examples, K labels, one-hot ``Y``, output logits ``z`` and output ``H = g(z)``)::

    J = (1/m) Σ_i Σ_k [ -Y log H - (1-Y) log(1-H) ] + (λ/(2m)) Σ_l Σ_{i, j≥1} Θ(l)_ij²

is computed from the logits, ``-Y log g(z) - (1-Y) log(1-g(z)) = softplus(z) - Y z``, so a
saturated network (weights × 1e4) gives a finite cost and gradient, with no RuntimeWarning.
Bias columns (column 0) are never regularized. The gradient::

    D(l) = (1/m) Δ(l) + (λ/m) Θ(l)   on columns j >= 1,      D(l) = (1/m) Δ(l)   on column 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from ._validate import prepared_problem, prepared_thetas_and_X
from .network import roll

__all__ = [
    "sigmoid",
    "sigmoid_gradient",
    "softplus",
    "Forward",
    "forward",
    "predict_proba",
    "predict",
    "cost",
    "cost_and_grad",
    "cost_and_grad_loop",
    "cost_and_grad_flat",
]


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic function ``g(z) = 1 / (1 + e^{-z})``, element-wise.

    Computed by :func:`scipy.special.expit`, which never overflows: ``g(-1e4) = 0`` exactly,
    with no RuntimeWarning.
    """
    return expit(np.asarray(z))


def sigmoid_gradient(z: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, ``g'(z) = g(z) (1 - g(z))``, element-wise.

    The course's known values: ``sigmoid_gradient([-1, -0.5, 0, 0.5, 1])`` is
    ``[0.196612, 0.235004, 0.25, 0.235004, 0.196612]``.
    """
    g = expit(np.asarray(z))
    return g * (1.0 - g)


def softplus(z: ArrayLike) -> np.ndarray:
    """``log(1 + e^z)``, computed without overflow (``np.logaddexp(0, z)``)."""
    return np.logaddexp(0.0, z)


class Forward(NamedTuple):
    """All the quantities of a forward pass that backpropagation needs.

    Attributes
    ----------
    z : list of ndarray
        Pre-activations of layers 2..L: ``z[l]`` of shape ``(m, s_{l+2})``; ``z[-1]`` are the output
        logits.
    a : list of ndarray
        Activations of layers 1..L, *without* the bias unit: ``a[0]`` is ``X`` of shape
        ``(m, s_1)``, ``a[l] = g(z[l-1])`` of shape ``(m, s_{l+1})``, ``a[-1]`` is the output ``H``.
    """

    z: list[np.ndarray]
    a: list[np.ndarray]


def _sigmoid_(z: np.ndarray) -> np.ndarray:
    """In-place ``g(z) = 1 / (1 + e^{-z})`` on a float array: NumPy's SIMD ``exp`` is ~3× faster than
    :func:`scipy.special.expit` here. ``e^{-z}`` overflows to inf for z < -709, giving g = 0 exactly,
    which is the right value, so that overflow is silenced."""
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def _softplus_sum(z: np.ndarray) -> float:
    """``Σ log(1 + e^z)`` without overflow: ``max(z, 0) + log1p(e^{-|z|})`` (no temporaries kept)."""
    t = np.abs(z)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    return float(t.sum() + np.maximum(z, 0.0).sum())


def forward(thetas: Sequence[ArrayLike], X: ArrayLike) -> Forward:
    """Forward propagation, keeping every layer's pre-activation and activation.

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0.
    X : array_like of shape (m, s_1)

    Returns
    -------
    Forward
        ``z`` (L-1 arrays) and ``a`` (L arrays, ``a[0] is X``); see :class:`Forward`.
    """
    mats, X = prepared_thetas_and_X(thetas, X)
    zs, acts = [], [X]
    for T in mats:
        z = acts[-1] @ T[:, 1:].T
        z += T[:, 0]
        zs.append(z)
        acts.append(expit(z))
    return Forward(zs, acts)


def _output_logits(mats: Sequence[np.ndarray], X: np.ndarray) -> np.ndarray:
    """Forward pass keeping only what prediction needs (hidden activations overwrite z in place)."""
    a = X
    for l, T in enumerate(mats):
        z = a @ np.ascontiguousarray(T[:, 1:]).T
        z += T[:, 0]
        if l == len(mats) - 1:
            return z
        a = _sigmoid_(z)
    raise AssertionError("unreachable")


def predict_proba(thetas: Sequence[ArrayLike], X: ArrayLike) -> np.ndarray:
    """The network's output ``H = g(z_L)``.

    Parameters
    ----------
    thetas : sequence of array_like
    X : array_like of shape (m, s_1)

    Returns
    -------
    ndarray of shape (m, K)
        Each output unit's sigmoid; rows need not sum to 1 (K independent logistic units, as in
        the course).
    """
    mats, X = prepared_thetas_and_X(thetas, X)
    z = _output_logits(mats, X)
    return expit(z, out=z)


def predict(thetas: Sequence[ArrayLike], X: ArrayLike) -> np.ndarray:
    """Predicted class indices ``argmax_k H[i, k]``.

    Returns
    -------
    ndarray of shape (m,), int
        Labels in ``0..K-1``.
    """
    mats, X = prepared_thetas_and_X(thetas, X)
    return np.argmax(_output_logits(mats, X), axis=1)  # g is monotone: argmax of z = argmax of H


def _penalty(mats: Sequence[np.ndarray]) -> float:
    """Σ_l Σ_{i, j>=1} Θ(l)_ij², the bias columns left out."""
    total = 0.0
    for T in mats:
        W = T[:, 1:]
        total += float(np.einsum("ij,ij->", W, W))
    return total


def _cost_from_logits(zL: np.ndarray, Y: np.ndarray) -> float:
    """Σ_i Σ_k softplus(z) - Y z: the unregularized cross-entropy summed over examples."""
    return _softplus_sum(zL) - float(np.einsum("ij,ij->", Y, zL))


def cost(thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0) -> float:
    """The regularized cross-entropy cost (module docstring), without its gradient.

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    X : array_like of shape (m, s_1)
    Y : array_like of shape (m, K)
        One-hot labels.
    lam : float, default 0
        λ >= 0.

    Returns
    -------
    float
        J >= 0.
    """
    mats, X, Y, lam, _ = prepared_problem(thetas, X, Y, lam)
    m = X.shape[0]
    J = _cost_from_logits(_output_logits(mats, X), Y) / m
    return J + lam / (2 * m) * _penalty(mats) if lam else J  # λ = 0: no 0·inf from huge weights


def _cost_and_grad(
    mats: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float
) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """Vectorized backprop on validated arrays of one dtype.

    Returns the cost, the flat gradient and the per-layer gradients (views of the flat one).
    """
    m = X.shape[0]
    L1 = len(mats)  # number of weight matrices, L - 1
    Ws = [np.ascontiguousarray(T[:, 1:]) for T in mats]  # small copies; contiguous W makes BLAS faster

    # Forward: acts[l] is a(l+1) without its bias unit.
    acts = [X]
    for l in range(L1):
        z = acts[l] @ Ws[l].T
        z += mats[l][:, 0]
        if l < L1 - 1:
            acts.append(_sigmoid_(z))  # the hidden z is not needed again: g'(z) = a(1-a)
        else:
            zL = z
    J = _cost_from_logits(zL, Y) / m
    if lam:
        J += lam / (2 * m) * _penalty(mats)

    # Backward: δ(L) = a(L) - y;  D(l) = δ(l+1)ᵀ [1, a(l)] / m;  δ(l) = δ(l+1) Θ(l)[:, 1:] .* a(l)(1 - a(l)).
    flat = np.empty(sum(T.size for T in mats), dtype=X.dtype)
    grads = roll(flat, (mats[0].shape[1] - 1,) + tuple(T.shape[0] for T in mats))
    delta = _sigmoid_(zL)
    delta -= Y
    inv_m = 1.0 / m
    for l in range(L1 - 1, -1, -1):
        G = grads[l]
        np.sum(delta, axis=0, out=G[:, 0])
        G[:, 1:] = delta.T @ acts[l]
        G *= inv_m
        if lam:
            G[:, 1:] += (lam * inv_m) * Ws[l]
        if l > 0:  # δ of the input layer is never needed (δ(1) would be dropped)
            a = acts[l]
            d = delta @ Ws[l]
            d *= a
            a -= 1.0  # a is not needed after this: reuse it for (a - 1)
            d *= a
            np.negative(d, out=d)  # a(1 - a) = -a(a - 1)
            delta = d
    return J, flat, grads


def cost_and_grad(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    *,
    check_finite: bool = True,
) -> tuple[float, list[np.ndarray]]:
    """Cost and gradient by vectorized backpropagation.

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0.
    X : array_like of shape (m, s_1)
    Y : array_like of shape (m, K)
        One-hot labels, ``K = s_L``.
    lam : float, default 0
        Regularization λ >= 0 (bias columns are not regularized).
    check_finite : bool, default True
        Refuse NaN/±inf in ``X`` and ``thetas`` before computing (as :mod:`scipy.linalg` does,
        turning it off saves one pass over the data; results on non-finite input are then
        meaningless).

    Returns
    -------
    J : float
    grads : list of ndarray
        ``grads[l]`` of the shape of ``thetas[l]``: ``∂J/∂Θ(l)``. Float32 inputs give float32
        gradients; anything else float64.
    """
    mats, X, Y, lam, _ = prepared_problem(thetas, X, Y, lam, check_finite=check_finite)
    J, _, grads = _cost_and_grad(mats, X, Y, lam)
    return J, grads


def cost_and_grad_flat(
    vector: ArrayLike,
    sizes: Sequence[int],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    *,
    check_finite: bool = True,
) -> tuple[float, np.ndarray]:
    """:func:`cost_and_grad` on an unrolled parameter vector: the entry point for optimizers.

    Parameters
    ----------
    vector : array_like of shape (num_params(sizes),)
        ``unroll(thetas)``.
    sizes : sequence of int
    X : array_like of shape (m, sizes[0])
    Y : array_like of shape (m, sizes[-1]), one-hot
    lam : float

    Returns
    -------
    J : float
    grad : ndarray of shape (num_params(sizes),)
        ``unroll(grads)``, in the layout of ``vector``.
    """
    thetas = roll(vector, sizes)
    mats, X, Y, lam, _ = prepared_problem(thetas, X, Y, lam, check_finite=check_finite)
    J, flat, _ = _cost_and_grad(mats, X, Y, lam)
    return J, flat


def cost_and_grad_loop(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0
) -> tuple[float, list[np.ndarray]]:
    """Cost and gradient by the classic per-example backpropagation loop (the readable reference).

    For each example ``t = 1..m``, exactly as the course writes it:

    1. ``a(1) = [1; x_t]``; for each layer ``z(l+1) = Θ(l) a(l)``, ``a(l+1) = [1; g(z(l+1))]``
       (no bias unit on the output layer).
    2. ``δ(L) = a(L) - y_t``.
    3. ``δ(l) = (Θ(l)ᵀ δ(l+1))[1:] .* g'(z(l))`` for ``l = L-1 .. 2``: drop the bias entry δ₀.
    4. ``Δ(l) += δ(l+1) a(l)ᵀ``.

    Then ``D(l) = Δ(l)/m``, plus ``(λ/m) Θ(l)`` on the columns ``j >= 1``. Parameters and returns
    as :func:`cost_and_grad`.
    """
    mats, X, Y, lam, dtype = prepared_problem(thetas, X, Y, lam)
    m = X.shape[0]
    Deltas = [np.zeros_like(T) for T in mats]
    J = 0.0
    for t in range(m):
        a = [np.concatenate(([1.0], X[t])).astype(dtype)]
        z = [np.empty(0, dtype)]  # z[l] pairs with a[l]; the input layer has none (empty)
        for l, T in enumerate(mats):
            z.append(T @ a[l])
            g = sigmoid(z[-1])
            a.append(g if l == len(mats) - 1 else np.concatenate(([1.0], g)).astype(dtype))
        y = Y[t]
        J += float(np.sum(softplus(z[-1]) - y * z[-1]))  # = -y log h - (1-y) log(1-h)
        delta = a[-1] - y
        for l in range(len(mats) - 1, -1, -1):
            Deltas[l] += np.outer(delta, a[l])
            if l > 0:
                delta = (mats[l].T @ delta)[1:] * sigmoid_gradient(z[l])
    J /= m
    grads = []
    for T, Delta in zip(mats, Deltas):
        D = Delta / m
        D[:, 1:] += (lam / m) * T[:, 1:]
        grads.append(D)
    if lam:
        J += lam / (2 * m) * _penalty(mats)
    return J, grads
