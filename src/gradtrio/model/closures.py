"""The network's cost as a function of one flat parameter vector: what the numerical oracles differentiate.

These closures validate their data once, when they are made; every call evaluates the cost only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import backprop
from .._validate import check_problem, check_sizes
from ..network import num_params, roll, theta_shapes

__all__ = [
    "cost_fn",
    "cost_batch_fn",
    "complex_cost_fn",
    "complex_sigmoid_softplus",
    "complex_sigmoid",
    "complex_softplus",
    "BATCH_NUMBERS",
]


def _validated(
    sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float, *, allow_complex: bool = False
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, float]:
    """Validate ``X, Y, lam`` against ``sizes`` once, with the checks every gradient shares."""
    checked = tuple(check_sizes(sizes))
    zeros = [np.zeros(s) for s in theta_shapes(checked)]
    _, Xv, Yv, lam_v = check_problem(zeros, X, Y, lam, allow_complex=allow_complex)
    return checked, np.asarray(Xv), np.asarray(Yv), float(lam_v)


def cost_fn(sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float = 0.0) -> Callable[[np.ndarray], float]:
    """The NumPy cost of :func:`gradtrio.backprop.cost` as a function of one flat vector.

    Parameters
    ----------
    sizes : sequence of int
    X : array_like of shape (m, sizes[0])
    Y : array_like of shape (m, sizes[-1]), one-hot
    lam : float

    Returns
    -------
    callable
        ``J(vector) -> float`` for a vector of shape ``(num_params(sizes),)``.
    """
    sizes, X, Y, lam = _validated(sizes, X, Y, lam)

    def J(vector: np.ndarray) -> float:
        return backprop.cost(roll(vector, sizes), X, Y, lam)

    return J


#: Numbers of activations one batched call may hold: 2²⁴ (128 MiB of float64) on a CPU, where larger
#: batches stop paying once the products leave the cache; 48·2²⁰ (384 MiB) on a GPU, which is only busy
#: when a call carries ~100 perturbations but slows again beyond a few hundred. Measured on an H100,
#: full central-difference gradient at the course size (5000 × 400-25-10, float64), seconds by batch:
#: 3: 8.2, 32: 1.12, 64: 0.74, 128: 0.67, 192: 0.71, 256: 0.91, 384: 0.96, 767: 1.19 (sweep:
#: ``python -m benchmarks.fd_batch_sweep``; 3 and 767 from ``python -m benchmarks --device gpu``). This budget
#: gives 143 there.
BATCH_NUMBERS = {"cpu": 2**24, "gpu": 48 * 2**20}


def _jax_batch_size(n: int, m: int, sizes: Sequence[int]) -> int:
    """Perturbations per call for the JAX batched cost: the activation memory budget of the device
    (:data:`BATCH_NUMBERS`) over what one perturbed pair holds, ``2 · m · Σ sizes[1:]`` numbers (the
    inputs X are shared by every perturbation under ``vmap``, so they do not count)."""
    import jax

    platform = jax.default_backend()
    budget = BATCH_NUMBERS["gpu" if platform in ("gpu", "cuda", "rocm") else "cpu"]
    return int(max(1, min(n, budget // (2 * m * sum(sizes[1:])))))


def cost_batch_fn(
    sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, backend: str = "jax"
) -> Callable[[np.ndarray], np.ndarray]:
    """A batched cost of the sigmoid network, for :func:`numerical_gradient_batched`.

    Parameters
    ----------
    sizes : sequence of int
    X : array_like of shape (m, sizes[0])
    Y : array_like of shape (m, sizes[-1]), one-hot
    lam : float
    backend : {"jax", "numpy"}
        ``"jax"``: ``jit(vmap(jax_cost))`` (:func:`gradtrio.autodiff.flat_cost_batch`), compiled
        once per batch shape, on the GPU when JAX has one. ``"numpy"``: a loop of
        :func:`gradtrio.backprop.cost` over the rows (no JAX needed).

    Returns
    -------
    callable
        ``J_batch(V) -> costs`` with ``V`` of shape ``(B, n)`` and costs of shape ``(B,)``, float64.
        Its attribute ``batch_size`` suggests how many coordinates to perturb per call (for JAX, as
        many as fit the device's activation budget :data:`BATCH_NUMBERS`).
    """
    sz, Xv, Yv, lam = _validated(sizes, X, Y, lam)
    n = num_params(sz)
    J_batch: Callable[[np.ndarray], np.ndarray]
    if backend == "jax":
        from ..autodiff import flat_cost_batch

        def J_batch(V: np.ndarray) -> np.ndarray:
            return flat_cost_batch(V, sz, Xv, Yv, lam)

        J_batch.batch_size = _jax_batch_size(n, Xv.shape[0], sz)  # type: ignore[attr-defined]
    elif backend == "numpy":

        def J_batch(V: np.ndarray) -> np.ndarray:
            V = np.asarray(V)
            return np.array([backprop.cost(roll(v, sz), Xv, Yv, lam) for v in V], dtype=np.float64)

        J_batch.batch_size = int(min(n, 256))  # type: ignore[attr-defined]
    else:
        raise ValueError(f"backend must be 'jax' or 'numpy'; got {backend!r}")
    return J_batch


def complex_sigmoid_softplus(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex-safe ``g(z) = 1/(1+e^{-z})`` and ``softplus(z) = log(1+e^z)`` without overflow.

    With ``s = -z`` where Re z > 0 and ``s = z`` elsewhere (so Re s <= 0 and ``e^s`` cannot overflow):
    ``g = 1/(1+e^s)`` or ``e^s/(1+e^s)``, ``softplus = z + log1p(e^s)`` or ``log1p(e^s)``. Each branch is
    analytic and the branch is chosen by the real part, which the complex step does not move, so
    the imaginary parts carry exact derivatives.
    """
    pos, e = _exp_nonpositive(z)  # one exponential serves both
    return _sigmoid_from(pos, e.copy()), _softplus_from(z, pos, e)


def _exp_nonpositive(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pos, e^s)`` with ``s = -z`` where Re z > 0 and ``s = z`` elsewhere, so Re s <= 0."""
    pos = z.real > 0
    e = z * np.where(pos, -1.0, 1.0)  # a real sign: cheaper than a complex where()
    np.exp(e, out=e)
    return pos, e


def _sigmoid_from(pos: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The sigmoid from :func:`_exp_nonpositive`'s output (overwrites ``e``)."""
    g = 1 + e
    np.reciprocal(g, out=g)  # 1/(1+e^s): the sigmoid where Re z > 0
    np.multiply(g, e, out=e)  # e^s/(1+e^s): where Re z <= 0
    return np.where(pos, g, e)


def _softplus_from(z: np.ndarray, pos: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The softplus from :func:`_exp_nonpositive`'s output (overwrites ``e``)."""
    np.log1p(e, out=e)
    return np.where(pos, z, 0) + e


def complex_sigmoid(z: np.ndarray) -> np.ndarray:
    """The complex-safe sigmoid of :func:`complex_sigmoid_softplus` alone (hidden layers need no softplus)."""
    return _sigmoid_from(*_exp_nonpositive(z))


def complex_softplus(z: np.ndarray) -> np.ndarray:
    """The complex-safe softplus of :func:`complex_sigmoid_softplus` alone (the output layer's cost)."""
    return _softplus_from(z, *_exp_nonpositive(z))


def complex_cost_fn(
    sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float = 0.0
) -> Callable[[np.ndarray], Any]:
    """A complex-safe cost of the sigmoid network, for :func:`complex_step_gradient`.

    The cost of :func:`gradtrio.backprop.cost`, written with analytic operations only (``W * W``,
    never ``abs(W)²``; the stable sigmoid/softplus of :func:`complex_sigmoid_softplus`).

    Parameters
    ----------
    sizes : sequence of int
    X : array_like of shape (m, sizes[0])
    Y : array_like of shape (m, sizes[-1]), one-hot
    lam : float

    Returns
    -------
    callable
        ``J(V)`` for ``V`` of shape ``(n,)`` (returns a complex scalar) or ``(B, n)`` (returns shape
        ``(B,)``): many perturbations per call. Its attribute ``batched`` is True.
    """
    sz, X, Y, lam = _validated(sizes, X, Y, lam)
    shapes = theta_shapes(sz)
    m = X.shape[0]

    def first_layer(W: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
        """``X Wᵀ`` for complex W of shape (*batch, r, n0) with X real: two real products (Re and Im)
        stacked over the whole batch into one GEMM each, instead of a complex GEMM per perturbation
        on a complex copy of X (4 real multiplies, and X copied every call)."""
        r, n0 = W.shape[-2:]
        out = np.empty((m, *batch, r), dtype=W.dtype)
        out.real = (X @ np.ascontiguousarray(W.real).reshape(-1, n0).T).reshape(m, *batch, r)
        out.imag = (X @ np.ascontiguousarray(W.imag).reshape(-1, n0).T).reshape(m, *batch, r)
        return np.moveaxis(out, 0, -2)  # (*batch, m, r)

    def J(V: np.ndarray) -> Any:
        V = np.asarray(V)
        a = X.astype(V.dtype, copy=False) if V.dtype.kind == "f" else X
        batch = V.shape[:-1]
        start, penalty = 0, 0
        for l, (r, c) in enumerate(shapes):
            T = V[..., start : start + r * c].reshape(*batch, r, c)
            start += r * c
            W = T[..., 1:]
            if l == 0 and np.iscomplexobj(W):
                z = first_layer(W, batch) + T[..., None, :, 0]
            else:
                z = a @ np.swapaxes(W, -1, -2) + T[..., None, :, 0]
            penalty = penalty + np.sum(W * W, axis=(-1, -2))
            if l < len(shapes) - 1:
                a = complex_sigmoid(z)
        sp = complex_softplus(z)
        data = np.sum(sp - Y * z, axis=(-1, -2))
        return data / m + lam / (2 * m) * penalty

    J.batched = True  # type: ignore[attr-defined]  # a flag read by complex_step_gradient and measured
    return J
