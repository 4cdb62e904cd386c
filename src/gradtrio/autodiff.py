"""The same cost in ``jax.numpy``, differentiated by ``jax.grad``: the second of the three gradients.

:func:`jax_cost` is the cost of :mod:`gradtrio.backprop` written again in ``jax.numpy`` — same
conventions (``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0, bias columns never
regularized) and the same stable logit form ``softplus(z) - Y z`` — and :func:`cost_and_grad` is
``jit(value_and_grad(jax_cost))`` behind the validation and return structure of
:func:`gradtrio.backprop.cost_and_grad`.

64-bit floats
-------------
JAX computes in float32 unless ``jax_enable_x64`` is on. gradtrio turns it on *only for the duration
of its own calls*, with the scoped context manager :func:`x64` (``jax.enable_x64(True)`` on JAX >= 0.8,
``jax.experimental.enable_x64()`` before): a user's other JAX code keeps whatever setting it had.
float64 in gives float64 out; float32 in gives float32 out. When you call :func:`jax_cost` yourself
(under your own ``jit``/``vmap``/``grad``) you choose: wrap the call in ``with gradtrio.autodiff.x64():``
to get float64.

Compilation
-----------
The jitted functions are module-level and take ``lam`` as a traced argument, so repeated calls with
the same shapes and dtypes reuse one compiled program (any λ); :func:`trace_count` counts the traces,
and the tests assert that a second call does not retrace. Runs on JAX's default device: the CPU, or a
GPU when JAX sees one.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from . import _docs, sharding
from .model import Architecture, Problem, validate
from .model.validate import check_direction, float_dtype


def x64():
    """A context manager that turns JAX's 64-bit mode on for its block only.

    ``jax.enable_x64(True)`` where JAX has it (0.8 and later); ``jax.experimental.enable_x64()``,
    its older spelling, otherwise (JAX 0.6 is the newest that installs on Python 3.10).
    """
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    from jax.experimental import enable_x64

    return enable_x64()


__all__ = [
    "x64",
    "flat_hessp_kernel",
    "jax_cost",
    "JAX_ACTIVATIONS",
    "cost",
    "cost_and_grad",
    "cost_and_grad_flat",
    "jvp",
    "flat_cost_batch",
    "trace_count",
    "hvp",
    "hvp_flat",
    "gvp",
    "hessian",
    "HESSIAN_MAX_PARAMS", "flat_hessp_kernel"]

_TRACES: collections.Counter[str] = collections.Counter()


def trace_count(name: str | None = None) -> int:
    """How many times the jitted functions of this module have been traced (compiled).

    Parameters
    ----------
    name : {"cost", "cost_and_grad", "cost_and_grad_flat", "jvp", "hvp", "hvp_flat", "gvp", "hessian"}, optional
        One function; all of them when omitted.
    """
    return _TRACES[name] if name is not None else sum(_TRACES.values())


@jax.custom_jvp
def _elu(z: Any) -> Any:
    """The ELU (α = 1), ``z`` or ``e^z − 1``, with its derivative ``1`` or ``e^z`` stated (below): JAX
    differentiates ``expm1`` as ``ans + 1``, which loses every digit where z << 0 (``jax.grad(jax.nn.elu)``
    is off by 9e-14 relative at z = −7.5 and returns 0 at z = −40, where e^z is 4e-18: false alarms on
    correct ELU backprop of trained networks)."""
    return jnp.where(z > 0, z, jnp.expm1(jnp.where(z > 0, 0.0, z)))


@_elu.defjvp
def _elu_jvp(primals: Any, tangents: Any) -> Any:
    (z,), (t,) = primals, tangents
    return _elu(z), jnp.where(z > 0, 1.0, jnp.exp(jnp.where(z > 0, 0.0, z))) * t


#: The hidden activations in ``jax.numpy``, written here independently of :mod:`gradtrio.model`
#: (the JAX cost is the second writing of the network, on purpose). The kinks follow the convention
#: of scikit-learn, PyTorch and JAX: ``jax.nn.relu`` has derivative 0 at 0, and the leaky ReLU is
#: written with ``z > 0`` (``jax.nn.leaky_relu`` uses ``z >= 0``, slope 1 at 0; PyTorch's slope at 0 is
#: 0.01, and so is gradtrio's). The GELU is the exact erf form (``jax.nn.gelu``'s default is the tanh
#: approximation).
JAX_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": jax.nn.sigmoid,
    "logistic": jax.nn.sigmoid,
    "identity": lambda z: z,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "leaky_relu": lambda z: jnp.where(z > 0, z, 0.01 * z),
    "elu": _elu,
    "softplus": jax.nn.softplus,
    "gelu": lambda z: jax.nn.gelu(z, approximate=False),
}


def _jax_loss(z: Any, Y: Any, output: str) -> Any:
    """The loss summed over examples and units, from the output logits ``z``."""
    if output == "sigmoid":  # -y log g(z) - (1-y) log(1-g(z)) = softplus(z) - y z
        return jnp.sum(jnp.logaddexp(0.0, z) - Y * z)
    if output == "softmax":  # -Σ y log softmax(z)
        return jnp.sum(jax.nn.logsumexp(z, axis=1)) - jnp.sum(Y * z)
    if output == "identity":  # squared error
        return 0.5 * jnp.sum((z - Y) ** 2)
    raise ValueError(f"output must be 'sigmoid', 'softmax' or 'identity'; got {output!r}")


def _names(activation: str | Sequence[str], hidden: int) -> tuple[str, ...]:
    """One activation name per hidden layer (a hashable, static argument for ``jit``)."""
    names = (activation,) * hidden if isinstance(activation, str) else tuple(activation)
    for n in names:
        if n not in JAX_ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(map(repr, JAX_ACTIVATIONS))}; got {n!r}")
    if len(names) != hidden:
        raise ValueError(f"{hidden} hidden layers need {hidden} activations; got {names}")
    return names


def jax_cost(thetas: Sequence[Any], X: Any, Y: Any, lam: Any, activation: str | Sequence[str] = "sigmoid",
             output: str = "sigmoid") -> jax.Array:
    """The regularized cost in pure ``jax.numpy`` (no validation).

    ``J = (1/m) Σ_i loss(z_i, Y_i) + (λ/(2m)) Σ_l Σ_{i, j>=1} Θ(l)_ij²`` with ``z`` the output logits —
    the cost of :func:`gradtrio.backprop.cost`; ``loss`` is ``Σ_k softplus(z_k) - Y_k z_k`` for the
    sigmoid output (the course's cross-entropy), ``logsumexp(z) - Y·z`` for the softmax and
    ``½‖z − y‖²`` for the identity. Usable under ``jit``, ``vmap``, ``grad`` and ``jvp`` (the unit
    names are static).

    Parameters
    ----------
    thetas : sequence of jax or numpy arrays
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0.
    X : array of shape (m, s_1)
    Y : array of shape (m, K), one-hot (real targets for the identity output)
    lam : scalar
        λ >= 0.
    activation : str or sequence of str, default "sigmoid"
        The hidden layers' activation (a key of :data:`JAX_ACTIVATIONS`), one for all or one per layer.
    output : {"sigmoid", "softmax", "identity"}, default "sigmoid"

    Returns
    -------
    jax.Array of shape ()
    """
    names = _names(activation, len(thetas) - 1)
    a = X
    for T, name in zip(thetas[:-1], names):
        a = JAX_ACTIVATIONS[name](a @ T[:, 1:].T + T[:, 0])
    z = a @ thetas[-1][:, 1:].T + thetas[-1][:, 0]
    m = X.shape[0]
    data = _jax_loss(z, Y, output) / m
    penalty = sum(jnp.sum(T[:, 1:] * T[:, 1:]) for T in thetas)
    # where(), not a product, at λ = 0: weights so large that the penalty overflows must not give 0·inf = nan
    return data + jnp.where(lam == 0, 0.0, lam / (2 * m) * penalty)


def _counted(name: str, fn):
    """Wrap ``fn`` so that each trace (a Python-level call under ``jit``) is counted under ``name``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _TRACES[name] += 1
        return fn(*args, **kwargs)

    return wrapper


_UNITS = ("activation", "output")
_jit_cost = jax.jit(_counted("cost", jax_cost), static_argnames=_UNITS)
_jit_cost_and_grad = jax.jit(_counted("cost_and_grad", jax.value_and_grad(jax_cost)), static_argnames=_UNITS)


def _flat_cost(vector: Any, X: Any, Y: Any, lam: Any, sizes: tuple[int, ...],
               activation: tuple[str, ...] | str = "sigmoid", output: str = "sigmoid") -> jax.Array:
    """:func:`jax_cost` of an unrolled vector (the layout of :func:`gradtrio.network.unroll`)."""
    return jax_cost(Architecture(sizes).cut(vector), X, Y, lam, activation, output)


_jit_flat = jax.jit(
    _counted("cost_and_grad_flat", jax.value_and_grad(_flat_cost)), static_argnames=("sizes",) + _UNITS
)


def _jvp(thetas, X, Y, lam, tangents, activation="sigmoid", output="sigmoid"):
    return jax.jvp(lambda th: jax_cost(th, X, Y, lam, activation, output), (thetas,), (tangents,))


_jit_jvp = jax.jit(_counted("jvp", _jvp), static_argnames=_UNITS)


def _prepared(thetas, X, Y, lam, check_finite: bool = True, activation: Any = "sigmoid",
              output: str = "sigmoid"):
    """Validate once (:func:`gradtrio.model.validate`); λ as an array of the problem's dtype for jit,
    and the units as static names (:func:`_units`)."""
    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output, check_finite=check_finite)
    return mats, pb.X, pb.Y, np.asarray(pb.lam, pb.dtype), pb.dtype, _units(pb.arch)


def _units(arch: Architecture) -> dict[str, Any]:
    """The static unit names of a validated architecture, as keywords of the jitted functions."""
    return {"activation": arch.activations, "output": arch.output}


def flat_kernel(problem: Problem) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """``v -> (J, ∇J)`` by JAX on unrolled vectors of a validated problem (what an optimizer calls).

    The vector must be real, 1-D, of length ``problem.arch.num_params``; nothing is checked again.
    """
    sizes, X, Y, dtype = problem.arch.sizes, problem.X, problem.Y, problem.dtype
    lam = np.asarray(problem.lam, dtype)
    units = _units(problem.arch)

    def J_and_grad(v: np.ndarray) -> tuple[float, np.ndarray]:
        with x64():
            J, g = _jit_flat(np.asarray(v, dtype), X, Y, lam, sizes=sizes, **units)
            return float(J), np.array(g, dtype=dtype)

    return J_and_grad


@_docs.fill
def cost(thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
         activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid") -> float:
    """The cost of :func:`gradtrio.backprop.cost`, computed by JAX (validated, jitted, 64-bit scoped).

    Parameters
    ----------
    {problem}
    {units}

    Returns
    -------
    float
    """
    mats, X, Y, lam, _, units = _prepared(thetas, X, Y, lam, activation=activation, output=output)
    with x64():
        return float(_jit_cost(mats, X, Y, lam, **units))


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
    """Cost and gradient by ``jax.value_and_grad`` of :func:`jax_cost`.

    Same signature, validation (:func:`gradtrio.model.validate`) and return structure as
    :func:`gradtrio.backprop.cost_and_grad`.

    Parameters
    ----------
    {problem}
    {units}
    check_finite : bool, default True
        Refuse NaN/±inf in ``X`` and ``thetas``.

    Returns
    -------
    J : float
    grads : list of ndarray
        ``grads[l]`` of the shape of ``thetas[l]``, writable NumPy arrays; float32 inputs give
        float32 gradients, anything else float64.
    """
    mats, X, Y, lam, dtype, units = _prepared(thetas, X, Y, lam, check_finite, activation, output)
    with x64():
        J, grads = _jit_cost_and_grad(mats, X, Y, lam, **units)
        return float(J), [np.array(g, dtype=dtype) for g in grads]


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
    """:func:`cost_and_grad` on an unrolled parameter vector (for :mod:`scipy.optimize`).

    Parameters
    ----------
    vector : array_like of shape (num_params(sizes),)
    sizes : sequence of int
    X : array_like of shape (m, sizes[0])
    Y : array_like of shape (m, sizes[-1]), one-hot
    lam : float
    activation, output
        The units, as :func:`cost_and_grad`.
    check_finite : bool, default True
        As in :func:`gradtrio.backprop.cost_and_grad`: turn off to skip the NaN/inf pass over the
        data on every call, once the data have been validated (an optimizer loop).

    Returns
    -------
    J : float
    grad : ndarray of shape (num_params(sizes),)
        In the layout of ``vector`` (:func:`gradtrio.network.unroll`).
    """
    mats, X, Y, lam, dtype, units = _prepared(Architecture(sizes).roll(vector), X, Y, lam, check_finite,
                                              activation, output)
    flat = np.concatenate([t.ravel() for t in mats])
    with x64():
        J, g = _jit_flat(flat, X, Y, lam, sizes=tuple(sizes), **units)
        return float(J), np.array(g, dtype=dtype)


@_docs.fill
def jvp(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float,
    tangents: Sequence[ArrayLike],
    *,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
) -> tuple[float, float]:
    """Forward-mode directional derivative ``dJ = ⟨∇J(Θ), T⟩`` by ``jax.jvp`` (no backward pass).

    Used by the adjoint (dot-product) test: it must equal ``Σ_l ⟨grads[l], tangents[l]⟩`` of the
    hand-written backprop to rounding.

    Parameters
    ----------
    {thetas}
    X, Y, lam
        As :func:`cost_and_grad`.
    tangents : sequence of array_like
        The direction, with the structure and shapes of ``thetas``.
    {units}

    Returns
    -------
    J : float
    dJ : float
    """
    mats, X, Y, lam, dtype, units = _prepared(thetas, X, Y, lam, activation=activation, output=output)
    if not isinstance(tangents, Sequence) or len(tangents) != len(mats):
        raise ValueError(f"tangents must be a list of {len(mats)} matrices, like thetas; "
                         f"got {type(tangents).__name__}"
                         f"{' of length ' + str(len(tangents)) if isinstance(tangents, Sequence) else ''}")
    tans = []
    for l, (t, T) in enumerate(zip(tangents, mats)):
        t = np.asarray(t, dtype=dtype)
        if t.shape != T.shape:
            raise ValueError(f"tangents[{l}] must have the shape of Theta({l + 1}), {T.shape}; got {t.shape}")
        tans.append(t)
    with x64():
        J, dJ = _jit_jvp(mats, X, Y, lam, tans, **units)
        return float(J), float(dJ)


def _batch_cost(V: Any, X: Any, Y: Any, lam: Any, sizes: tuple[int, ...],
                activation: tuple[str, ...] | str = "sigmoid", output: str = "sigmoid") -> jax.Array:
    return jax.vmap(lambda v: _flat_cost(v, X, Y, lam, sizes, activation, output))(V)


_jit_batch = jax.jit(_counted("cost_batch", _batch_cost), static_argnames=("sizes",) + _UNITS)


def flat_cost_batch(
    V: ArrayLike, sizes: tuple[int, ...], X: np.ndarray | jax.Array, Y: np.ndarray | jax.Array, lam: float, *,
    activation: tuple[str, ...] | str = "sigmoid", output: str = "sigmoid",
) -> np.ndarray:
    """The cost of many unrolled parameter vectors at once: ``jit(vmap(jax_cost))``, no validation.

    The building block of :func:`gradtrio.model.closures.cost_batch_fn` (which validates once). The rows
    are split over every device JAX sees (:func:`gradtrio.sharding.map_rows`: padded to a multiple of the
    device count, each device evaluating its block, ``X, Y`` and λ replicated); with one device they
    run on it as one batch, nothing placed beforehand.

    Parameters
    ----------
    V : array_like of shape (B, num_params(sizes))
        One parameter vector a row; its dtype (with ``X``'s) sets the precision.
    sizes : tuple of int
    X : ndarray or jax.Array of shape (m, sizes[0])
        A jax.Array already replicated over :func:`gradtrio.sharding.mesh` (by
        :func:`gradtrio.sharding.replicate`) is used where it is, not copied again.
    Y : ndarray or jax.Array of shape (m, sizes[-1]), one-hot
        Likewise.
    lam : float
    activation : str or tuple of str, default "sigmoid"
    output : str, default "sigmoid"
        The units (names of :data:`JAX_ACTIVATIONS` and outputs of :func:`jax_cost`).

    Returns
    -------
    ndarray of shape (B,)
        float64, on every process of a multi-host run.
    """
    V = np.asarray(V)
    dtype = float_dtype(V.dtype, X.dtype)
    units = {"activation": activation if isinstance(activation, str) else tuple(activation), "output": output}

    def costs(rows: Any, Xd: Any, Yd: Any, lamd: Any) -> jax.Array:
        return _jit_batch(rows, Xd, Yd, lamd, sizes=tuple(sizes), **units)

    with x64():
        return sharding.map_rows(costs, V.astype(dtype, copy=False), _as(X, dtype), _as(Y, dtype),
                                 np.asarray(lam, dtype)).astype(np.float64, copy=False)


def _as(a: np.ndarray | jax.Array, dtype: np.dtype) -> np.ndarray | jax.Array:
    """``a`` in ``dtype``, not copied when it has it (a device array stays where it is)."""
    return a if a.dtype == dtype else a.astype(dtype)


# --------------------------------------------------------------------------------------------------
# Second order: the JAX references for the hand-written products of gradtrio.backprop
# --------------------------------------------------------------------------------------------------
#
# Independent of backprop's R-operator: ``hvp`` is forward-over-reverse (``jax.jvp`` of ``jax.grad`` of
# :func:`jax_cost`), ``hessian`` the dense matrix ``jax.hessian`` of the flat cost, and ``gvp`` the
# Gauss-Newton product built from JAX's own pieces: ``jax.linearize`` of the logits, the loss's Hessian in
# the logits by ``jax.jvp`` of ``jax.grad`` of the per-example loss (never Output.curvature), and the
# ``vjp`` back through the logits. The one thing shared with backprop is the definition of the cost.

#: The most parameters :func:`hessian` accepts: the dense matrix takes n² floats (2000² float64 is
#: 32 MB) and ``jax.hessian`` n forward-over-reverse passes; above it, use :func:`hvp`.
HESSIAN_MAX_PARAMS = 2000


def _hvp(thetas, X, Y, lam, tangents, activation="sigmoid", output="sigmoid"):
    grad = jax.grad(lambda th: jax_cost(th, X, Y, lam, activation, output))
    return jax.jvp(grad, (thetas,), (tangents,))[1]


_jit_hvp = jax.jit(_counted("hvp", _hvp), static_argnames=_UNITS)


def _hvp_flat(vector, X, Y, lam, v, sizes, activation="sigmoid", output="sigmoid"):
    grad = jax.grad(lambda w: _flat_cost(w, X, Y, lam, sizes, activation, output))
    return jax.jvp(grad, (vector,), (v,))[1]


_jit_hvp_flat = jax.jit(_counted("hvp_flat", _hvp_flat), static_argnames=("sizes",) + _UNITS)

_jit_hessian = jax.jit(_counted("hessian", jax.hessian(_flat_cost)), static_argnames=("sizes",) + _UNITS)


def _logits(thetas: Sequence[Any], X: Any, activation: tuple[str, ...] | str) -> jax.Array:
    """The output logits of :func:`jax_cost`'s network (its forward pass, written the same way)."""
    names = _names(activation, len(thetas) - 1)
    a = X
    for T, name in zip(thetas[:-1], names):
        a = JAX_ACTIVATIONS[name](a @ T[:, 1:].T + T[:, 0])
    return a @ thetas[-1][:, 1:].T + thetas[-1][:, 0]


def _gvp(thetas, X, Y, lam, tangents, activation="sigmoid", output="sigmoid"):
    """``G V = J_zᵀ C J_z V / m + (λ/m) V`` (non-bias), each piece by JAX."""
    z, Jv = jax.jvp(lambda th: _logits(th, X, activation), (thetas,), (tangents,))  # J_z V
    grad_z = jax.grad(lambda zz: _jax_loss(zz, Y, output))  # the loss is a sum over examples:
    CJv = jax.jvp(grad_z, (z,), (Jv,))[1]  # its Hessian in z is block-diagonal, C_i per example
    _, back = jax.vjp(lambda th: _logits(th, X, activation), thetas)
    (G,) = back(CJv)
    m = X.shape[0]
    return [g / m + jnp.where(lam == 0, 0.0, lam / m) * t.at[:, 0].set(0.0) for g, t in zip(G, tangents)]


_jit_gvp = jax.jit(_counted("gvp", _gvp), static_argnames=_UNITS)


def _gvp_flat(vector, X, Y, lam, v, sizes, activation="sigmoid", output="sigmoid"):
    """:func:`_gvp` on unrolled vectors."""
    cut = Architecture(sizes).cut
    return jnp.concatenate([g.ravel() for g in _gvp(cut(vector), X, Y, lam, cut(v), activation, output)])


_jit_gvp_flat = jax.jit(_counted("gvp_flat", _gvp_flat), static_argnames=("sizes",) + _UNITS)


def flat_hessp_kernel(problem: Problem, *, gauss_newton: bool = False
                      ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``(x, p) -> H(x) p`` (or ``G(x) p``) by JAX on unrolled vectors of a validated problem: SciPy's
    ``hessp``, the JAX twin of :func:`gradtrio.backprop.flat_hessp_kernel` (nothing is checked again)."""
    sizes, X, Y, dtype = problem.arch.sizes, problem.X, problem.Y, problem.dtype
    lam = np.asarray(problem.lam, dtype)
    units = _units(problem.arch)
    jitted = _jit_gvp_flat if gauss_newton else _jit_hvp_flat

    def hessp(x: np.ndarray, p: np.ndarray) -> np.ndarray:
        with x64():
            return np.array(jitted(np.asarray(x, dtype), X, Y, lam, np.asarray(p, dtype), sizes=sizes, **units),
                            dtype=dtype)

    return hessp


def _product(jitted, thetas, X, Y, lam, V, activation, output) -> list[np.ndarray]:
    mats, X, Y, lam, dtype, units = _prepared(thetas, X, Y, lam, activation=activation, output=output)
    vmats = check_direction(V, mats)
    with x64():
        out = jitted(mats, X, Y, lam, vmats, **units)
        return [np.array(t, dtype=dtype) for t in out]


@_docs.fill
def hvp(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float, V: Sequence[ArrayLike], *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> list[np.ndarray]:
    """``H V`` by forward-over-reverse: ``jax.jvp`` of ``jax.grad`` of :func:`jax_cost` (jit-compiled).

    The independent JAX reference for :func:`gradtrio.backprop.hvp` (same signature, validation and
    returns); exact to rounding. At a kink of relu / leaky_relu it differentiates JAX's convention
    (``relu'(0) = 0``, slope 0.01 at 0 for the leaky one), so ``g'' = 0`` on both branches.

    Parameters
    ----------
    {problem}
    V : sequence of array_like
        ``V[l]`` of the shape of ``thetas[l]``: the direction.
    {units}

    Returns
    -------
    list of ndarray
        ``(H V)[l]`` of the shape of ``thetas[l]``; float32 inputs give float32, else float64.
    """
    return _product(_jit_hvp, thetas, X, Y, lam, V, activation, output)


@_docs.fill
def gvp(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float, V: Sequence[ArrayLike], *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> list[np.ndarray]:
    """The Gauss-Newton product ``G V`` with every piece by JAX: the reference for :func:`gradtrio.backprop.gvp`.

    ``G V = (1/m) J_zᵀ C J_z V + (λ/m) V`` on non-bias columns, with ``J_z V`` by ``jax.jvp`` of the
    logits, ``C`` (each example's loss Hessian in its logits) applied by ``jax.jvp`` of ``jax.grad`` of the
    summed loss in z (the loss sums over examples, so its Hessian in z is block-diagonal: one ``C_i`` each),
    and ``J_zᵀ`` by ``jax.vjp`` of the logits.

    Parameters
    ----------
    {problem}
    V : sequence of array_like
        ``V[l]`` of the shape of ``thetas[l]``.
    {units}

    Returns
    -------
    list of ndarray
        ``(G V)[l]`` of the shape of ``thetas[l]``.
    """
    return _product(_jit_gvp, thetas, X, Y, lam, V, activation, output)


def hvp_flat(
    vector: ArrayLike, sizes: Sequence[int], X: ArrayLike, Y: ArrayLike, lam: float, v: ArrayLike, *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> np.ndarray:
    """:func:`hvp` on unrolled vectors (SciPy's ``hessp(x, p)`` layout).

    Parameters
    ----------
    vector, v : array_like of shape (num_params(sizes),)
        ``unroll(thetas)`` and the direction, unrolled the same way.
    sizes : sequence of int
    X : array_like of shape (m, sizes[0])
    Y : array_like of shape (m, sizes[-1])
    lam : float
    activation, output
        The units, as :func:`hvp`.

    Returns
    -------
    ndarray of shape (num_params(sizes),)
    """
    arch = Architecture(sizes, activation, output)
    mats, X, Y, lam, dtype, units = _prepared(arch.roll(vector), X, Y, lam, activation=activation, output=output)
    vmats = check_direction(arch.roll(v), mats, name="v")
    flat = np.concatenate([t.ravel() for t in mats])
    vflat = np.concatenate([t.ravel() for t in vmats])
    with x64():
        return np.array(_jit_hvp_flat(flat, X, Y, lam, vflat, sizes=arch.sizes, **units), dtype=dtype)


@_docs.fill
def hessian(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
    max_params: int = HESSIAN_MAX_PARAMS,
) -> np.ndarray:
    """The dense Hessian of the cost in the unrolled parameters, by ``jax.hessian`` (small networks only).

    Parameters
    ----------
    {problem}
    {units}
    max_params : int, default :data:`HESSIAN_MAX_PARAMS`
        Refuse networks with more parameters (the matrix is n × n).

    Returns
    -------
    ndarray of shape (n, n)
        ``∂²J / ∂θ_i ∂θ_j`` in the layout of :func:`gradtrio.network.unroll`; ``H @ unroll(V)`` is
        ``unroll(hvp(..., V))``.

    Raises
    ------
    ValueError
        When the network has more than ``max_params`` parameters.
    """
    mats, X, Y, lam, dtype, units = _prepared(thetas, X, Y, lam, activation=activation, output=output)
    sizes = (mats[0].shape[1] - 1,) + tuple(T.shape[0] for T in mats)
    n = sum(T.size for T in mats)
    if n > max_params:
        raise ValueError(f"hessian builds the dense n x n matrix for at most max_params={max_params} parameters; "
                         f"got a network {sizes} with {n} (use gradtrio.autodiff.hvp for products)")
    flat = np.concatenate([t.ravel() for t in mats])
    with x64():
        return np.array(_jit_hessian(flat, X, Y, lam, sizes=sizes, **units), dtype=dtype)
