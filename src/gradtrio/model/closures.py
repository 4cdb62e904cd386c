"""The network's cost as a function of one flat parameter vector: what the numerical oracles differentiate.

These closures validate their data once, when they are made (or take a :class:`~gradtrio.model.Problem`
already validated); every call evaluates the cost of :func:`gradtrio.model.forward.cost` only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _docs
from .activations import complex_sigmoid, complex_sigmoid_softplus, complex_softplus
from .architecture import Architecture
from .forward import cost as _cost
from .problem import Problem, validate_data
from .validate import float_dtype

__all__ = [
    "cost_fn",
    "cost_batch_fn",
    "complex_cost_fn",
    "complex_sigmoid_softplus",
    "complex_sigmoid",
    "complex_softplus",
    "BATCH_NUMBERS",
]


def _problem(sizes: Sequence[int] | Architecture | Problem, X: ArrayLike | None, Y: ArrayLike | None,
             lam: float) -> Problem:
    """The validated problem of a closure: given, or made here from ``sizes, X, Y, lam`` (once)."""
    if isinstance(sizes, Problem):
        return sizes
    return validate_data(sizes, X, Y, lam)


@_docs.fill
def cost_fn(sizes: Sequence[int] | Problem, X: ArrayLike | None = None, Y: ArrayLike | None = None,
            lam: float = 0.0) -> Callable[[np.ndarray], float]:
    """The NumPy cost of :func:`gradtrio.backprop.cost` as a function of one flat vector.

    Parameters
    ----------
    {closure}

    Returns
    -------
    callable
        ``J(vector) -> float`` for a vector of shape ``(num_params(sizes),)``.
    """
    pb = _problem(sizes, X, Y, lam)
    arch, X, Y, lam = pb.arch, pb.X, pb.Y, pb.lam

    def J(vector: np.ndarray) -> float:
        return float(_cost(arch, arch.roll(vector), X, Y, lam))

    return J


#: Numbers of activations one batched call may hold: 2²⁴ (128 MiB of float64) on a CPU, where larger
#: batches stop paying once the products leave the cache; 48·2²⁰ (384 MiB) on a GPU, which is only busy
#: when a call carries ~100 perturbations and slows again beyond a few hundred (the sweep behind it:
#: ``python -m benchmarks.fd_batch_sweep``; its results are in the README, under the GPU benchmarks).
BATCH_NUMBERS = {"cpu": 2**24, "gpu": 48 * 2**20}


def _jax_batch_size(n: int, m: int, sizes: Sequence[int], devices: int | None = None) -> int:
    """Perturbations per call for the JAX batched cost: the activation memory budget of one device
    (:data:`BATCH_NUMBERS`) over what one perturbed pair holds, ``2 · m · Σ sizes[1:]`` numbers (the
    inputs X are shared by every perturbation under ``vmap``, so they do not count), times the number of
    devices the rows are split over (``devices``, by default :func:`gradtrio.sharding.device_count`): each
    device gets its budget, and the ``2·B`` rows of a call divide evenly among them."""
    import jax

    from ..sharding import device_count

    platform = jax.default_backend()
    budget = BATCH_NUMBERS["gpu" if platform in ("gpu", "cuda", "rocm") else "cpu"]
    per_device = max(1, budget // (2 * m * sum(sizes[1:])))
    return int(max(1, min(n, per_device * (device_count() if devices is None else devices))))


@_docs.fill
def cost_batch_fn(
    sizes: Sequence[int] | Problem, X: ArrayLike | None = None, Y: ArrayLike | None = None, lam: float = 0.0,
    backend: str = "jax",
) -> Callable[[np.ndarray], np.ndarray]:
    """A batched cost of the network, for :func:`numerical_gradient_batched`.

    Parameters
    ----------
    {closure}
    backend : {"jax", "numpy"}
        ``"jax"``: ``jit(vmap(jax_cost))`` (:func:`gradtrio.autodiff.flat_cost_batch`), compiled
        once per batch shape, on the GPU when JAX has one, the rows split over every device JAX sees
        (:mod:`gradtrio.sharding`; ``X`` and ``Y`` are placed on the devices once, at the first call).
        ``"numpy"``: a loop of the NumPy cost over the rows (no JAX needed).

    Returns
    -------
    callable
        ``J_batch(V) -> costs`` with ``V`` of shape ``(B, n)`` and costs of shape ``(B,)``, float64; a
        vector of shape ``(n,)`` gives its cost, a float. Its attribute ``batch_size`` suggests how many
        coordinates to perturb per call (for JAX, as many as fit the activation budget
        :data:`BATCH_NUMBERS` of every device together), and ``batched`` is True (a
        :class:`gradtrio.oracles.Function` made of it evaluates many perturbations a call: central
        differences, entry bounds and localization probes).
    """
    pb = _problem(sizes, X, Y, lam)
    arch, Xv, Yv, lam = pb.arch, pb.X, pb.Y, pb.lam
    sz, n = arch.sizes, arch.num_params
    rows: Callable[[np.ndarray], np.ndarray]
    if backend == "jax":
        from ..autodiff import flat_cost_batch
        from ..sharding import replicate

        placed: dict[np.dtype, tuple[Any, Any]] = {}  # the data on the devices, per dtype of the rows

        def rows(V: np.ndarray) -> np.ndarray:
            dtype = float_dtype(V.dtype, Xv.dtype)
            if dtype not in placed:
                placed[dtype] = (replicate(Xv.astype(dtype, copy=False)), replicate(Yv.astype(dtype, copy=False)))
            Xd, Yd = placed[dtype]
            return flat_cost_batch(V, sz, Xd, Yd, lam, activation=arch.activations, output=arch.output)

        batch_size = _jax_batch_size(n, Xv.shape[0], sz)
    elif backend == "numpy":

        def rows(V: np.ndarray) -> np.ndarray:
            return np.array([_cost(arch, arch.roll(v), Xv, Yv, lam) for v in V], dtype=np.float64)

        batch_size = int(min(n, 256))
    else:
        raise ValueError(f"backend must be 'jax' or 'numpy'; got {backend!r}")

    def J_batch(V: np.ndarray) -> Any:
        V = np.asarray(V)
        out = rows(np.atleast_2d(V))
        return float(out[0]) if V.ndim == 1 else out

    J_batch.batch_size = batch_size  # type: ignore[attr-defined]
    J_batch.batched = True  # type: ignore[attr-defined]  # read by gradtrio.oracles.as_function
    return J_batch


@_docs.fill
def complex_cost_fn(
    sizes: Sequence[int] | Problem, X: ArrayLike | None = None, Y: ArrayLike | None = None, lam: float = 0.0
) -> Callable[[np.ndarray], Any]:
    """A complex-safe cost of the network, for :func:`gradtrio.finite_diff.complex_step_gradient`.

    :func:`gradtrio.model.forward.cost`, which uses analytic operations only (``W * W``, never
    ``abs(W)²``; the overflow-free complex sigmoid and softplus of :mod:`gradtrio.model.activations`).

    Parameters
    ----------
    {closure}

    Returns
    -------
    callable
        ``J(V)`` for ``V`` of shape ``(n,)`` (returns a scalar, complex for complex V) or ``(B, n)``
        (returns shape ``(B,)``): many perturbations per call. Its attribute ``batched`` is True. A real
        V of another precision than the data's computes in V's precision.
    """
    pb = _problem(sizes, X, Y, lam)
    arch, X, Y, lam = pb.arch, pb.X, pb.Y, pb.lam

    def J(V: np.ndarray) -> Any:
        V = np.asarray(V)
        a = X.astype(V.dtype, copy=False) if V.dtype.kind == "f" else X
        return _cost(arch, arch.cut(V), a, Y, lam)

    J.batched = True  # type: ignore[attr-defined]  # a flag read by complex_step_gradient and measured
    return J
