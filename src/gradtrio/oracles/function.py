"""The black-box function every oracle differentiates, and the vectors they take.

An oracle sees ``f(θ)`` of one flat parameter vector θ (the layout of :func:`gradtrio.network.unroll`) and
nothing else of the network: :class:`Function` holds the value, optionally its gradient (and a slot for a
Hessian-vector product), and the flags an oracle needs to call it well. :func:`as_function` turns a plain
callable into one, so that every oracle also accepts a plain ``f(theta)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Function", "as_function", "flat_vector", "as_theta", "gradient_of"]


@dataclass(frozen=True)
class Function:
    """A black-box cost ``f(θ)`` of one flat vector, with what the oracles may know about it.

    Attributes
    ----------
    value : callable
        ``value(theta) -> float`` for ``theta`` of shape ``(n,)``. Oracles pass work arrays that change
        between calls: it must not keep a reference to its argument.
    grad : callable, optional
        ``grad(theta) -> array of shape (n,)``, the gradient under test; a checker given ``grad=None``
        uses it.
    hvp : callable, optional
        ``hvp(theta, v) -> array of shape (n,)``, a Hessian-vector product (a slot for second-order
        checks; no oracle reads it yet).
    batched : bool, default False
        ``value`` also maps a stack of vectors, shape ``(B, n)``, to their costs, shape ``(B,)``: the
        oracles then evaluate many perturbations per call.
    batch_size : int, optional
        The rows per call a batched ``value`` prefers (read by
        :func:`gradtrio.oracles.numerical_gradient_batched`).
    complex_safe : bool, default False
        ``value`` is analytic in θ and accepts complex vectors (no ``abs``, ``float()``, ``.real``), so
        the complex step applies. Declared true, :func:`gradtrio.oracles.complex_step_gradient` skips its
        first-use cross-check; left false, the cross-check decides.
    kinked : bool, default False
        ``value`` has switch points (ReLU, max): a central difference whose stencil crosses one is not a
        derivative, and :func:`gradtrio.oracles.kink_check` is the oracle to judge a gradient there.
    coordinate_differences : callable, optional
        ``coordinate_differences(idx, plus, minus) -> (diff, span, rounding)``: ``f(θ + s₊e_i) − f(θ + s₋e_i)``
        for the flat entries ``idx`` (steps ``plus``, ``minus`` of shape ``(k,)``), the displacement actually
        stored, and a bound on the rounding of each difference. A cost that knows its own structure
        computes these without evaluating f twice (:class:`gradtrio.incremental.IncrementalCost`); the
        finite-difference oracles then use them, and their rounding instead of the noise σ/h.
    coordinate_complex : callable, optional
        ``coordinate_complex(idx, h) -> Im f(θ + i h e_i)/h`` for the flat entries ``idx``: the complex step
        of each coordinate, computed by the cost itself; :func:`gradtrio.oracles.complex_step_gradient`
        uses it.
    """

    value: Callable[[np.ndarray], Any]
    grad: Callable[[np.ndarray], ArrayLike] | None = None
    hvp: Callable[[np.ndarray, np.ndarray], ArrayLike] | None = None
    batched: bool = False
    batch_size: int | None = None
    complex_safe: bool = False
    kinked: bool = False
    coordinate_differences: Callable[[np.ndarray, np.ndarray, np.ndarray],
                                     tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    coordinate_complex: Callable[[np.ndarray, float], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if not callable(self.value):
            raise TypeError(f"f must be callable, f(theta) -> float; got {type(self.value).__name__}")

    def __call__(self, theta: np.ndarray) -> Any:
        return self.value(theta)


def as_function(f: Callable[[np.ndarray], Any] | Function, **flags: Any) -> Function:
    """``f`` as a :class:`Function`; a plain callable's attributes ``batched``, ``batch_size``,
    ``complex_safe`` and ``kinked`` (``J.batched = True`` is how gradtrio's cost closures say they map
    ``(B, n)`` to ``(B,)``) become its flags.

    Parameters
    ----------
    f : callable or Function
    **flags
        Fields of :class:`Function` (``grad``, ``hvp``, ``batched``, ...) that override what ``f`` says.

    Returns
    -------
    Function
        ``f`` itself when it is one and no flag is given.
    """
    if isinstance(f, Function):
        if not flags:
            return f
        fields = {k: getattr(f, k) for k in Function.__dataclass_fields__}
        return Function(**{**fields, **flags})
    read = {name: getattr(f, name) for name in ("batched", "batch_size", "complex_safe", "kinked")
            if getattr(f, name, None) is not None}
    read = {k: (bool(v) if k != "batch_size" else v) for k, v in read.items()}
    return Function(f, **{**read, **flags})


def flat_vector(values: ArrayLike | Sequence[ArrayLike], n: int, what: str) -> np.ndarray:
    """``values`` as a finite flat vector of ``n`` entries: a vector as given, a list of matrices unrolled.

    Raises
    ------
    ValueError
        Naming ``what``, when the size is not ``n`` or an entry is not finite.
    """
    from ..network import unroll

    g = unroll(values) if isinstance(values, (list, tuple)) else np.asarray(values)
    if g.ndim != 1 or g.size != n:
        raise ValueError(f"{what} must have {n} entries (the parameters of sizes), as a flat vector "
                         f"or a list of matrices; got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError(f"{what} has non-finite entries (first at unrolled index {int(np.argmin(np.isfinite(g)))})")
    return g


def real_dtype(theta: np.ndarray) -> np.dtype:
    """The working precision of ``theta``: float32 stays float32, anything else is float64."""
    return np.dtype(np.float32) if theta.dtype == np.float32 else np.dtype(np.float64)


def as_theta(theta: ArrayLike) -> np.ndarray:
    """A copy of ``theta`` as a 1-D float32/float64 vector, with an actionable error otherwise."""
    arr = np.asarray(theta)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"theta must be a real numeric vector; got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(
            f"theta must be a 1-D parameter vector (use gradtrio.network.unroll); got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("theta must be finite")
    return arr.astype(real_dtype(arr), copy=True)


def gradient_of(f: Function, grad: Any, theta: np.ndarray) -> Any:
    """The gradient a checker tests: ``grad`` as given (an array, a list of matrices, or ``grad(theta)``
    for a callable), else ``f.grad(theta)``."""
    if grad is None:
        if f.grad is None:
            raise TypeError("give the gradient under test: grad=... or a Function with grad")
        return f.grad(theta)
    return grad(theta) if callable(grad) else grad


def rng_of(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A generator as given, or a new one seeded with ``seed``."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
