"""Backpropagation written by hand in NumPy: the reference every other gradient is checked against.

Two forms of the same algorithm, for networks of any depth L >= 2:

- :func:`cost_and_grad_loop` — the classic course algorithm, one example at a time, with the bias
  unit glued onto each activation exactly as the course writes it. Slow; kept as the readable,
  deliberately independent reference (it does not use the shared forward pass).
- :func:`cost_and_grad` — the same mathematics on the whole batch at once, on the forward pass of
  :mod:`gradtrio.model.forward` (written once for every engine). It validates its input once
  (:func:`gradtrio.model.validate`) and hands the validated problem to :func:`kernel`, which trusts it:
  the bias column of each Θ is used as a view (``A @ Θ[:, 1:].T + Θ[:, 0]``) instead of gluing a column
  of ones onto the activations, the gradient matrices are views into one flat buffer (so
  :func:`flat_kernel`, what training calls, returns it without a copy), and element-wise work is done in
  place.

The cost (m examples, K labels, one-hot ``Y``, output logits ``z`` and output ``H = g(z)``)::

    J = (1/m) Σ_i Σ_k [ -Y log H - (1-Y) log(1-H) ] + (λ/(2m)) Σ_l Σ_{i, j≥1} Θ(l)_ij²

is computed from the logits, ``-Y log g(z) - (1-Y) log(1-g(z)) = softplus(z) - Y z``, so a
saturated network (weights × 1e4) gives a finite cost and gradient, with no RuntimeWarning.
Bias columns (column 0) are never regularized. The gradient::

    D(l) = (1/m) Δ(l) + (λ/m) Θ(l)   on columns j >= 1,      D(l) = (1/m) Δ(l)   on column 0.

Other units: every function takes ``activation=`` (the hidden layers' units, one name for all or one per
layer: :data:`gradtrio.model.ACTIVATIONS`) and ``output=`` (``"sigmoid"`` with the cost above, the default;
``"softmax"`` with categorical cross-entropy; ``"identity"`` with squared error ``(1/(2m)) Σ‖h − y‖²``).
Each output is its loss's canonical link, so ``δ(L) = H − Y`` for all three; hidden layers multiply by
``g'(z)``, written in terms of the activation's output where it can be (sigmoid, tanh, the rectifiers,
softplus) so that the forward pass can overwrite z, and from the kept z otherwise (elu, gelu).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _docs
from .model import Architecture, Problem, validate
from .model.activations import IDENTITY, SIGMOID
from .model.forward import cost as _model_cost
from .model.forward import forward as _model_forward
from .model.forward import penalty as _penalty
from .model.validate import prepared_thetas_and_X

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
    "kernel",
    "flat_kernel",
]


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic function ``g(z) = 1 / (1 + e^{-z})``, element-wise, without overflow: ``g(-1e4) = 0``
    exactly, with no RuntimeWarning."""
    return SIGMOID.value(np.asarray(z))


def sigmoid_gradient(z: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, ``g'(z) = g(z) (1 - g(z))``, element-wise.

    The course's known values: ``sigmoid_gradient([-1, -0.5, 0, 0.5, 1])`` is
    ``[0.196612, 0.235004, 0.25, 0.235004, 0.196612]``.
    """
    return SIGMOID.derivative(np.asarray(z))


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


def _arch(mats: Sequence[np.ndarray], activation: str | Sequence[str] = "sigmoid",
          output: str = "sigmoid") -> Architecture:
    return Architecture((mats[0].shape[1] - 1,) + tuple(T.shape[0] for T in mats), activation, output)


@_docs.fill
def forward(thetas: Sequence[ArrayLike], X: ArrayLike, *, activation: str | Sequence[str] = "sigmoid",
            output: str = "sigmoid") -> Forward:
    """Forward propagation, keeping every layer's pre-activation and activation.

    Parameters
    ----------
    {thetas}
    {X}
    {units}

    Returns
    -------
    Forward
        ``z`` (L-1 arrays) and ``a`` (L arrays, ``a[0] is X``); see :class:`Forward`.
    """
    mats, X = prepared_thetas_and_X(thetas, X)
    arch = _arch(mats, activation, output)
    p = _model_forward(arch, mats, X, keep=True)
    return Forward(p.zs + [p.logits], p.acts + [arch.out.value(p.logits)])


@_docs.fill
def predict_proba(thetas: Sequence[ArrayLike], X: ArrayLike, *, activation: str | Sequence[str] = "sigmoid",
                  output: str = "sigmoid") -> np.ndarray:
    """The network's output ``H``.

    Parameters
    ----------
    {thetas}
    {X}
    {units}

    Returns
    -------
    ndarray of shape (m, K)
        The sigmoid output: each unit's sigmoid, rows need not sum to 1 (K independent logistic units,
        as in the course). The softmax: class probabilities, rows sum to 1. The identity: the values.
    """
    mats, X = prepared_thetas_and_X(thetas, X)
    arch = _arch(mats, activation, output)
    z = _model_forward(arch, mats, X, inplace=True).logits
    return arch.out.value_inplace(z)


def predict(thetas: Sequence[ArrayLike], X: ArrayLike, *, activation: str | Sequence[str] = "sigmoid",
            output: str = "sigmoid") -> np.ndarray:
    """Predicted class indices ``argmax_k H[i, k]`` (the predicted values ``H`` for ``output="identity"``).

    Returns
    -------
    ndarray of shape (m,), int; or of shape (m, K), float, for the identity output
        Labels in ``0..K-1``.
    """
    mats, X = prepared_thetas_and_X(thetas, X)
    arch = _arch(mats, activation, output)
    return arch.out.predict(_model_forward(arch, mats, X, inplace=True).logits)


@_docs.fill
def cost(thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
         activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid") -> float:
    """The regularized cost (module docstring), without its gradient.

    Parameters
    ----------
    {problem}
    {units}

    Returns
    -------
    float
        J >= 0.
    """
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output)
    return float(_model_cost(pb.arch, mats, pb.X, pb.Y, pb.lam))


def kernel(problem: Problem, mats: Sequence[np.ndarray]) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """Vectorized backprop on a validated problem: no checks, in place where it can be.

    Parameters
    ----------
    problem : Problem
        From :func:`gradtrio.model.validate` or :func:`gradtrio.model.validate_data`.
    mats : sequence of ndarray
        Weights of ``problem.arch``, real, of ``problem.dtype``.

    Returns
    -------
    J : float
    flat : ndarray of shape (num_params,)
        The gradient, unrolled.
    grads : list of ndarray
        The same gradient as matrices (views of ``flat``).
    """
    arch, X, Y, lam = problem.arch, problem.X, problem.Y, problem.lam
    m = X.shape[0]
    Ws = [np.ascontiguousarray(T[:, 1:]) for T in mats]  # small copies; contiguous W makes BLAS faster
    # In place (each hidden z becomes its activation) where every g' can be written from g's output;
    # otherwise (elu, gelu) the pre-activations are kept for g'(z).
    inplace = all(g.derivative_from_output is not None for g in arch.hidden)
    p = _model_forward(arch, mats, X, keep=True, inplace=inplace, weights=Ws)
    acts = p.acts
    loss, delta = arch.out.loss_and_residual(p.logits, Y)  # δ(L) = ∂loss/∂z(L) = H − Y
    J = float(loss) / m
    if lam:
        J += lam / (2 * m) * _penalty(mats, Ws)

    # Backward: D(l) = δ(l+1)ᵀ [1, a(l)] / m;  δ(l) = δ(l+1) Θ(l)[:, 1:] .* g'(z(l)).
    flat = np.empty(arch.num_params, dtype=X.dtype)
    grads = arch.cut(flat)
    ones = np.ones(m, dtype=X.dtype)
    inv_m = 1.0 / m
    for l in range(len(mats) - 1, -1, -1):
        G = grads[l]
        np.matmul(ones, delta, out=G[:, 0])  # Σ_k δ_k: a GEMV, faster than a reduction down the columns
        np.matmul(delta.T, acts[l], out=G[:, 1:])
        G *= inv_m
        if lam:
            G[:, 1:] += (lam * inv_m) * Ws[l]
        if l > 0:  # δ of the input layer is never needed (δ(1) would be dropped)
            g = arch.hidden[l - 1]
            if inplace:
                delta = _back(g, delta @ Ws[l], acts[l])
            else:
                delta = delta @ Ws[l]
                delta *= g.derivative(p.zs[l - 1])
    return J, flat, grads


def _back(g, d: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``d ⊙ g'(z)`` from the activation ``a = g(z)``, in place in ``d`` (``a`` is not needed after)."""
    if g is SIGMOID:  # a(1 - a) = -a(a - 1), without temporaries
        d *= a
        a -= 1.0
        d *= a
        return np.negative(d, out=d)
    if g is IDENTITY:
        return d
    d *= g.derivative_from_output(a)
    return d


@_docs.fill
def cost_and_grad(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    *,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
    check_finite: bool = True,
) -> tuple[float, list[np.ndarray]]:
    """Cost and gradient by vectorized backpropagation.

    Parameters
    ----------
    {problem}
    {units}
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
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output, check_finite=check_finite)
    J, _, grads = kernel(pb, mats)
    return J, grads


def flat_kernel(problem: Problem) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """``v -> (J, ∇J)`` on unrolled vectors of a validated problem: what an optimizer calls.

    The vector must be real, 1-D, of length ``problem.arch.num_params`` and of ``problem.dtype``
    (the optimizer's own iterates, which nothing needs to check again).
    """
    arch = problem.arch

    def J_and_grad(v: np.ndarray) -> tuple[float, np.ndarray]:
        J, flat, _ = kernel(problem, arch.cut(v))
        return J, flat

    return J_and_grad


@_docs.fill
def cost_and_grad_flat(
    vector: ArrayLike,
    sizes: Sequence[int],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    *,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
    check_finite: bool = True,
) -> tuple[float, np.ndarray]:
    """:func:`cost_and_grad` on an unrolled parameter vector.

    Parameters
    ----------
    vector : array_like of shape (num_params(sizes),)
        ``unroll(thetas)``.
    sizes : sequence of int
    {data}
    {units}

    Returns
    -------
    J : float
    grad : ndarray of shape (num_params(sizes),)
        ``unroll(grads)``, in the layout of ``vector``.
    """
    thetas = Architecture(sizes, activation, output).roll(vector)
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output, check_finite=check_finite)
    J, flat, _ = kernel(pb, mats)
    return J, flat


def cost_and_grad_loop(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> tuple[float, list[np.ndarray]]:
    """Cost and gradient by the classic per-example backpropagation loop (the readable reference).

    For each example ``t = 1..m``, exactly as the course writes it:

    1. ``a(1) = [1; x_t]``; for each layer ``z(l+1) = Θ(l) a(l)``, ``a(l+1) = [1; g(z(l+1))]``
       (no bias unit on the output layer, whose unit is the output's: sigmoid, softmax or identity).
    2. ``δ(L) = h - y_t`` (each output here is its loss's canonical link: ∂loss/∂z = h − y).
    3. ``δ(l) = (Θ(l)ᵀ δ(l+1))[1:] .* g'(z(l))`` for ``l = L-1 .. 2``: drop the bias entry δ₀.
    4. ``Δ(l) += δ(l+1) a(l)ᵀ``.

    Then ``D(l) = Δ(l)/m``, plus ``(λ/m) Θ(l)`` on the columns ``j >= 1``. Parameters (with
    ``activation`` and ``output``) and returns as :func:`cost_and_grad`.
    """
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output)
    X, Y, lam, dtype = pb.X, pb.Y, pb.lam, pb.dtype
    hidden, out = pb.arch.hidden, pb.arch.output
    m = X.shape[0]
    Deltas = [np.zeros_like(T) for T in mats]
    J = 0.0
    for t in range(m):
        a = [np.concatenate(([1.0], X[t])).astype(dtype)]
        z = [np.empty(0, dtype)]  # z[l] pairs with a[l]; the input layer has none (empty)
        for l, T in enumerate(mats):
            z.append(T @ a[l])
            if l < len(mats) - 1:
                a.append(np.concatenate(([1.0], hidden[l].value(z[-1]))).astype(dtype))
        zL, y = z[-1], Y[t]
        if out == "sigmoid":
            h = sigmoid(zL)
            J += float(np.sum(softplus(zL) - y * zL))  # = -y log h - (1-y) log(1-h)
        elif out == "softmax":
            c = np.max(zL)  # the max shift: e^{z - c} cannot overflow
            h = np.exp(zL - c) / np.sum(np.exp(zL - c))
            J += float(c + np.log(np.sum(np.exp(zL - c))) - y @ zL)  # = -Σ y log h
        else:  # identity with squared error
            h = zL
            J += float(0.5 * np.sum((h - y) ** 2))
        delta = h - y
        for l in range(len(mats) - 1, -1, -1):
            Deltas[l] += np.outer(delta, a[l])
            if l > 0:
                delta = (mats[l].T @ delta)[1:] * hidden[l - 1].derivative(z[l])
    J /= m
    grads = []
    for T, Delta in zip(mats, Deltas):
        D = Delta / m
        D[:, 1:] += (lam / m) * T[:, 1:]
        grads.append(D)
    if lam:
        J += lam / (2 * m) * _penalty(mats)
    return J, grads
