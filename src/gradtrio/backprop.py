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
from .model.activations import IDENTITY, SIGMOID, TANH
from .model.forward import cost as _model_cost
from .model.forward import forward as _model_forward
from .model.forward import penalty as _penalty
from .model.validate import check_direction, prepared_thetas_and_X

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
    "hvp",
    "gvp",
    "hvp_loop",
    "hvp_flat",
    "gvp_flat",
    "hvp_kernel",
    "gvp_kernel",
    "flat_hessp_kernel",
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


# --------------------------------------------------------------------------------------------------
# Second order: Hessian-vector (Pearlmutter) and Gauss-Newton-vector (Schraudolph) products
# --------------------------------------------------------------------------------------------------
#
# With R{·} = d/dt (·)(θ + tV) at t = 0 (Pearlmutter 1994), for the batch (rows are examples), layer l
# with weights Θ(l) = [b, W] and direction V(l) = [v_b, V_W]:
#
#   R-forward   R{a(1)} = 0,   R{z(l+1)} = R{a(l)} Wᵀ + a(l) V_Wᵀ + v_b,   R{a(l+1)} = g'(z) ⊙ R{z}
#   output      R{δ(L)} = C(z(L)) R{z(L)}           (C: the loss's Hessian in the logits, Output.curvature)
#   R-backward  R{D(l)} = (1/m) [Σ R{δ(l+1)},  R{δ(l+1)}ᵀ a(l) + δ(l+1)ᵀ R{a(l)}] + (λ/m) [0, V_W]
#               R{δ(l)} = (R{δ(l+1)} W + δ(l+1) V_W) ⊙ g'(z(l)) + (δ(l+1) W) ⊙ g''(z(l)) ⊙ R{z(l)}
#
# and H V = R{D}. The Gauss-Newton product (Schraudolph 2002) keeps only the curvature of the loss in
# the logits: it drops the δᵀ R{a} term, the δ V_W term and the g'' term, i.e. G = J_zᵀ C J_z / m plus the
# penalty's (λ/m) on non-bias entries, positive semi-definite because C is. On a network with no hidden
# layer the dropped terms do not exist and G = H exactly.
#
# Cost: the input layer's R{a(1)} is 0, so its R-forward is one product with X, fused with the forward
# product into one GEMM of X with [W; V_W] (twice as wide), and its R-backward is R{δ(2)}ᵀ X alone (its
# gradient δ(2)ᵀ X is not needed). At the course size (m = 5000, 400 inputs) those two products dominate,
# as δᵀX and XWᵀ dominate one gradient.


def _second_order(problem: Problem, mats: Sequence[np.ndarray], vmats: Sequence[np.ndarray],
                  gauss_newton: bool, out: np.ndarray | None = None) -> np.ndarray:
    """``H V`` (or ``G V``) unrolled, on validated arrays (see the notes above)."""
    arch, X, Y, lam = problem.arch, problem.X, problem.Y, problem.lam
    m = X.shape[0]
    last = len(mats) - 1
    Ws = [np.ascontiguousarray(T[:, 1:]) for T in mats]
    VWs = [np.ascontiguousarray(V[:, 1:]) for V in vmats]

    # Forward and R-forward, keeping a, R{a}, g'(z), and (for H) δ's factors g''(z) ⊙ R{z}.
    r = mats[0].shape[0]
    both = X @ np.concatenate((Ws[0], VWs[0])).T  # [z(2) − b, R{z(2)} − v_b] in one GEMM
    z, Rz = both[:, :r], both[:, r:]
    z += mats[0][:, 0]
    Rz += vmats[0][:, 0]
    acts, Racts, slopes, bends = [X], [None], [], []
    for l in range(1, last + 1):
        g = arch.hidden[l - 1]
        a = g.value(z)
        gp = g.derivative(z) if g.derivative_from_output is None else g.derivative_from_output(a)
        Ra = gp * Rz
        acts.append(a)
        Racts.append(Ra)
        slopes.append(gp)
        if not gauss_newton:
            bends.append(_bend(g, z, a, gp) * Rz)
        z = a @ Ws[l].T
        z += mats[l][:, 0]
        Rz = Ra @ Ws[l].T
        Rz += a @ VWs[l].T
        Rz += vmats[l][:, 0]

    delta = arch.out.residual(z, Y)  # δ(L) = H − Y
    Rdelta = arch.out.curvature(z, Rz)  # R{δ(L)} = C R{z(L)}

    flat = np.empty(arch.num_params, dtype=X.dtype) if out is None else out
    blocks = arch.cut(flat)
    inv_m = 1.0 / m
    for l in range(last, -1, -1):
        B = blocks[l]
        B[:, 0] = Rdelta.sum(axis=0)
        np.matmul(Rdelta.T, acts[l], out=B[:, 1:])
        if l > 0 and not gauss_newton:
            B[:, 1:] += delta.T @ Racts[l]
        B *= inv_m
        if lam:
            B[:, 1:] += (lam * inv_m) * VWs[l]
        if l > 0:
            gp = slopes[l - 1]
            Rback = Rdelta @ Ws[l]
            if not gauss_newton:
                back = delta @ Ws[l]
                Rback += delta @ VWs[l]
                Rback *= gp
                Rback += back * bends[l - 1]
                delta = back * gp
            else:
                Rback *= gp
            Rdelta = Rback
    return flat


def _bend(g, z: np.ndarray, a: np.ndarray, gp: np.ndarray) -> np.ndarray:
    """``g''(z)``, from the output and slope already computed where that is exact algebra: the sigmoid's
    ``g'(1 − 2a)`` and tanh's ``−2a g'`` (no second exponential); otherwise :attr:`Activation.second_derivative`."""
    if g is SIGMOID:
        return gp * (1.0 - 2.0 * a)
    if g is TANH:
        return -2.0 * a * gp
    return g.second_derivative(z)


def hvp_kernel(problem: Problem, mats: Sequence[np.ndarray], vmats: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``H V`` on a validated problem, weights and direction (no checks): see :func:`hvp`."""
    return problem.arch.cut(_second_order(problem, mats, vmats, gauss_newton=False))


def gvp_kernel(problem: Problem, mats: Sequence[np.ndarray], vmats: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``G V`` on a validated problem, weights and direction (no checks): see :func:`gvp`."""
    return problem.arch.cut(_second_order(problem, mats, vmats, gauss_newton=True))


def flat_hessp_kernel(problem: Problem, *, gauss_newton: bool = False
                      ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``(x, p) -> H(x) p`` (or ``G(x) p``) on unrolled vectors of a validated problem: SciPy's ``hessp``.

    Both vectors must be real, 1-D, of length ``problem.arch.num_params`` and of ``problem.dtype`` (the
    optimizer's own iterates and directions, which nothing checks again).
    """
    arch = problem.arch

    def hessp(x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return _second_order(problem, arch.cut(x), arch.cut(p), gauss_newton)

    return hessp


def _product(thetas, X, Y, lam, V, activation, output, check_finite, gauss_newton) -> list[np.ndarray]:
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output, check_finite=check_finite)
    vmats = check_direction(V, mats)
    return pb.arch.cut(_second_order(pb, mats, vmats, gauss_newton))


@_docs.fill
def hvp(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float, V: Sequence[ArrayLike], *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid", check_finite: bool = True,
) -> list[np.ndarray]:
    """The Hessian of the cost times a direction, ``H V``, by Pearlmutter's R-operator (exact).

    One forward pass carries the directional derivatives ``R{z}``, ``R{a}`` along ``V``; one backward
    pass carries ``R{δ}`` (with the ``V_Wᵀ δ`` term and the ``g''(z) ⊙ R{z}`` term), and ``(λ/m) V`` is
    added on the non-bias columns. About 1.5 gradients' work at the course size (two of its three large
    products, see ``benchmarks/results/second_order``).

    Parameters
    ----------
    {problem}
    V : sequence of array_like
        ``V[l]`` of the shape of ``thetas[l]``: the direction.
    {units}
    check_finite : bool, default True
        As :func:`cost_and_grad`.

    Returns
    -------
    list of ndarray
        ``(H V)[l]`` of the shape of ``thetas[l]``: ``Σ_(k) ∂²J / ∂Θ(l) ∂θ_k · v_k``. Float32 inputs
        give float32.

    Notes
    -----
    At a kink of relu or leaky_relu (a pre-activation exactly 0) the product is that of the branch the
    tie convention picks (g'' = 0 on both sides); the Hessian is not defined there.
    """
    return _product(thetas, X, Y, lam, V, activation, output, check_finite, gauss_newton=False)


@_docs.fill
def gvp(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float, V: Sequence[ArrayLike], *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid", check_finite: bool = True,
) -> list[np.ndarray]:
    """The Gauss-Newton matrix times a direction, ``G V`` (Schraudolph 2002).

    ``G = (1/m) Σ_i J_iᵀ C_i J_i + (λ/m) diag(non-bias)``, with ``J_i`` the Jacobian of example i's logits
    in the weights and ``C_i`` its loss's Hessian in the logits (:attr:`Output.curvature`). It is positive
    semi-definite, and equals ``H`` for a network without hidden layers. The R-forward pass of :func:`hvp`,
    then ``C``, then a linear backward pass (no ``δ`` terms): cheaper than ``H V``.

    Parameters
    ----------
    {problem}
    V : sequence of array_like
        ``V[l]`` of the shape of ``thetas[l]``.
    {units}
    check_finite : bool, default True

    Returns
    -------
    list of ndarray
        ``(G V)[l]`` of the shape of ``thetas[l]``.
    """
    return _product(thetas, X, Y, lam, V, activation, output, check_finite, gauss_newton=True)


def _flat_product(vector, sizes, X, Y, lam, v, activation, output, check_finite, gauss_newton) -> np.ndarray:
    arch = Architecture(sizes, activation, output)
    thetas = arch.roll(vector)
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output, check_finite=check_finite)
    vmats = check_direction(arch.roll(v), mats, name="v")
    return _second_order(pb, mats, vmats, gauss_newton)


@_docs.fill
def hvp_flat(vector: ArrayLike, sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float, v: ArrayLike, *,
             activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
             check_finite: bool = True) -> np.ndarray:
    """:func:`hvp` on unrolled vectors (SciPy's ``hessp(x, p)`` layout).

    Parameters
    ----------
    vector, v : array_like of shape (num_params(sizes),)
        ``unroll(thetas)`` and the direction, unrolled the same way.
    sizes : sequence of int
    {data}
    {units}

    Returns
    -------
    ndarray of shape (num_params(sizes),)
    """
    return _flat_product(vector, sizes, X, Y, lam, v, activation, output, check_finite, gauss_newton=False)


@_docs.fill
def gvp_flat(vector: ArrayLike, sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float, v: ArrayLike, *,
             activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
             check_finite: bool = True) -> np.ndarray:
    """:func:`gvp` on unrolled vectors; parameters and returns as :func:`hvp_flat`."""
    return _flat_product(vector, sizes, X, Y, lam, v, activation, output, check_finite, gauss_newton=True)


def hvp_loop(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float, V: Sequence[ArrayLike], *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> list[np.ndarray]:
    """``H V`` by the R-operator one example at a time, bias units glued on: the readable reference.

    For each example, in the course's notation (``a(l)`` with its bias unit, ``R{a(l)}`` with a 0 there):

    1. ``a(1) = [1; x]``, ``R{a(1)} = 0``; ``z(l+1) = Θ(l) a(l)``, ``R{z(l+1)} = Θ(l) R{a(l)} + V(l) a(l)``;
       ``a(l+1) = [1; g(z)]``, ``R{a(l+1)} = [0; g'(z) .* R{z}]``.
    2. ``δ(L) = h − y``; ``R{δ(L)}`` = the loss's Hessian in z times ``R{z(L)}``, written inline:
       ``h(1−h) .* R{z}`` (sigmoid), ``p .* R{z} − p (pᵀ R{z})`` (softmax), ``R{z}`` (identity).
    3. ``RΔ(l) += R{δ(l+1)} a(l)ᵀ + δ(l+1) R{a(l)}ᵀ``;
       ``δ(l) = (Θ(l)ᵀ δ(l+1))[1:] .* g'(z(l))``,
       ``R{δ(l)} = (Θ(l)ᵀ R{δ(l+1)} + V(l)ᵀ δ(l+1))[1:] .* g'(z(l)) + (Θ(l)ᵀ δ(l+1))[1:] .* g''(z(l)) .* R{z(l)}``.

    Then ``H V = RΔ/m`` plus ``(λ/m) V`` on columns ``j >= 1``. Parameters and returns as :func:`hvp`
    (it does not share :func:`hvp`'s forward pass, loss curvature or fused products).
    """
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output)
    vmats = check_direction(V, mats)
    X, Y, lam, dtype = pb.X, pb.Y, pb.lam, pb.dtype
    hidden, out = pb.arch.hidden, pb.arch.output
    m = X.shape[0]
    RDeltas = [np.zeros_like(T) for T in mats]
    for t in range(m):
        a = [np.concatenate(([1.0], X[t])).astype(dtype)]
        Ra = [np.zeros_like(a[0])]
        z: list[np.ndarray] = [np.empty(0, dtype)]
        Rz: list[np.ndarray] = [np.empty(0, dtype)]
        for l, (T, Vl) in enumerate(zip(mats, vmats)):
            z.append(T @ a[l])
            Rz.append(T @ Ra[l] + Vl @ a[l])
            if l < len(mats) - 1:
                g = hidden[l]
                a.append(np.concatenate(([1.0], g.value(z[-1]))).astype(dtype))
                Ra.append(np.concatenate(([0.0], g.derivative(z[-1]) * Rz[-1])).astype(dtype))
        zL, RzL, y = z[-1], Rz[-1], Y[t]
        if out == "sigmoid":
            h = sigmoid(zL)
            Rdelta = h * (1 - h) * RzL
        elif out == "softmax":
            e = np.exp(zL - np.max(zL))
            h = e / np.sum(e)
            Rdelta = h * RzL - h * (h @ RzL)
        else:
            h = zL
            Rdelta = RzL
        delta = h - y
        for l in range(len(mats) - 1, -1, -1):
            RDeltas[l] += np.outer(Rdelta, a[l]) + np.outer(delta, Ra[l])
            if l > 0:
                g = hidden[l - 1]
                back = (mats[l].T @ delta)[1:]
                Rdelta = ((mats[l].T @ Rdelta + vmats[l].T @ delta)[1:] * g.derivative(z[l])
                          + back * g.second_derivative(z[l]) * Rz[l])
                delta = back * g.derivative(z[l])
    out_mats = []
    for Vl, RDelta in zip(vmats, RDeltas):
        D = RDelta / m
        D[:, 1:] += (lam / m) * Vl[:, 1:]
        out_mats.append(D)
    return out_mats
