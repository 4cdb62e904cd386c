"""The network's forward pass, penalty and cost, written once.

Every engine that needs the network's values uses these: vectorized backprop (:mod:`gradtrio.backprop`),
prediction, the cost closures the numerical oracles differentiate (:mod:`gradtrio.model.closures`), the
complex step and the bug catalog. They are complex-safe (analytic operations only: ``W * W``, never
``abs(W)²``) and batched: each matrix may carry leading batch axes, ``(*batch, r, c)``, for many
perturbed parameter vectors in one call. The two deliberately independent writings of the same network
are the per-example loop of :func:`gradtrio.backprop.cost_and_grad_loop` (the course's algorithm) and
the JAX cost of :mod:`gradtrio.autodiff`.

The cost, for m examples, one-hot ``Y`` and output logits ``z``::

    J = (1/m) Σ_i Σ_k loss(z_ik, y_ik) + (λ/(2m)) Σ_l Σ_{i, j≥1} Θ(l)_ij²

with the output's loss (:attr:`Architecture.out`): by default the course's
``loss = −y log g(z) − (1 − y) log(1 − g(z)) = softplus(z) − y z``; categorical cross-entropy for the
softmax, ``½ (z − y)²`` for the identity. Bias columns (column 0) are never regularized.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .architecture import Architecture

__all__ = ["Pass", "forward", "penalty", "cost"]


class Pass(NamedTuple):
    """What one forward pass leaves.

    Attributes
    ----------
    logits : ndarray of shape ``(*batch, m, K)``
        The output layer's pre-activations ``z_L``.
    acts : list of ndarray
        With ``keep``: ``acts[0]`` is X, ``acts[l]`` the activation of hidden layer l (no bias unit),
        ``(*batch, m, s_{l+1})`` with ``batch`` the leading axes of the matrices. Else empty.
    zs : list of ndarray
        With ``keep`` and not ``inplace``: the hidden pre-activations, ``zs[l]`` feeding ``acts[l+1]``.
        Else empty (in place, each hidden z became its activation).
    """

    logits: np.ndarray
    acts: list[np.ndarray]
    zs: list[np.ndarray]


def _first_layer_complex(X: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``X Wᵀ + b`` for complex ``T`` (``(*batch, r, c)``) and real X: two real products (Re and Im), each one
    GEMM over the whole batch, instead of a complex GEMM per perturbation on a complex copy of X."""
    W = T[..., 1:]
    batch, (r, n0), m = W.shape[:-2], W.shape[-2:], X.shape[0]
    out = np.empty((m, *batch, r), dtype=W.dtype)
    out.real = (X @ np.ascontiguousarray(W.real).reshape(-1, n0).T).reshape(m, *batch, r)
    out.imag = (X @ np.ascontiguousarray(W.imag).reshape(-1, n0).T).reshape(m, *batch, r)
    out = np.moveaxis(out, 0, -2)  # (*batch, m, r)
    out += T[..., None, :, 0]
    return out


def _affine(a: np.ndarray, T: np.ndarray, W: np.ndarray | None) -> np.ndarray:
    """``a Wᵀ + b`` for one layer; ``W`` is ``T[..., 1:]`` already made contiguous, when the caller has it."""
    if T.ndim == 2:
        z = a @ (np.ascontiguousarray(T[:, 1:]) if W is None else W).T  # a contiguous W: BLAS's fast path
        z += T[:, 0]
        return z
    if a.ndim == 2 and np.iscomplexobj(T) and not np.iscomplexobj(a):
        return _first_layer_complex(a, T)
    return a @ np.swapaxes(T[..., 1:], -1, -2) + T[..., None, :, 0]


def forward(arch: Architecture, mats: Sequence[np.ndarray], X: np.ndarray, *, keep: bool = False,
            inplace: bool = False, weights: Sequence[np.ndarray] | None = None) -> Pass:
    """Forward propagation on validated arrays.

    Parameters
    ----------
    arch : Architecture
    mats : sequence of ndarray
        ``mats[l]`` of shape ``(*batch, s_{l+1}, s_l + 1)``, real or complex, validated.
    X : ndarray of shape (m, s_1)
    keep : bool
        Keep the activations (and, unless ``inplace``, the hidden pre-activations) for a backward pass.
    inplace : bool
        Turn each hidden pre-activation into its activation in place (real weights only; the training
        path, where the sigmoid's derivative is written in terms of its output).
    weights : sequence of ndarray, optional
        ``mats[l][:, 1:]`` made contiguous, when the caller keeps them for its backward pass.

    Returns
    -------
    Pass
    """
    a = X
    acts = [X] if keep else []
    zs: list[np.ndarray] = []
    last = len(mats) - 1
    for l, T in enumerate(mats):
        z = _affine(a, T, None if weights is None else weights[l])
        if l == last:
            return Pass(z, acts, zs)
        g = arch.hidden[l]
        if inplace:
            a = g.value_inplace(z)
        else:
            a = g(z)
            if keep:
                zs.append(z)
        if keep:
            acts.append(a)
    raise ValueError("a network needs at least one weight matrix")


def penalty(mats: Sequence[np.ndarray], weights: Sequence[np.ndarray] | None = None) -> np.ndarray | float:
    """``Σ_l Σ_{i, j≥1} Θ(l)_ij²``, bias columns left out; per batch entry for batched matrices.

    ``weights``: the ``mats[l][:, 1:]`` already contiguous (real, unbatched), whose squares one dot
    product sums."""
    if weights is not None:
        return sum(float(W.ravel() @ W.ravel()) for W in weights)
    total: np.ndarray | float = 0.0
    for T in mats:
        W = T[..., 1:]
        total = total + (float(np.einsum("ij,ij->", W, W)) if W.ndim == 2 and W.dtype.kind == "f"
                         else np.sum(W * W, axis=(-2, -1)))
    return total


def cost(arch: Architecture, mats: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float,
         *, logits: np.ndarray | None = None) -> np.ndarray | float:
    """The regularized cost on validated arrays (module docstring); complex-safe and batched.

    Parameters
    ----------
    arch, mats, X
        As :func:`forward`.
    Y : ndarray of shape (m, K)
        One-hot labels (real targets for the identity output).
    lam : float
    logits : ndarray, optional
        The output logits of these ``mats`` when the caller already has them.

    Returns
    -------
    float, complex or ndarray of shape batch
    """
    if logits is None:  # real weights: each hidden z becomes its activation in place (no copy)
        logits = forward(arch, mats, X, inplace=mats[0].dtype.kind == "f").logits  # validated: one dtype
    zL = logits
    m = X.shape[0]
    loss: np.ndarray | float = arch.out.loss_sum(zL, Y)
    if isinstance(loss, np.floating):
        loss = float(loss)  # one real cost: what follows adds no float32 rounding to the sums' own
    J = loss / m
    return J + lam / (2 * m) * penalty(mats) if lam else J  # λ = 0: no 0·inf from huge weights
