"""Activations and output losses, by name: each one written once, with what every engine needs of it.

An :class:`Activation` carries its value, its derivative (in terms of the *output* ``a = g(z)`` where
the classic algorithm writes it so: the sigmoid's ``g'(z) = a (1 − a)``), its second derivative (for
Hessian-vector products), a complex-safe evaluation for the complex step (branches chosen on the real
part, which the complex step does not move), and where it has kinks. An :class:`Output` is the output
unit together with its loss, computed from the logits so that saturated units give finite costs.

Today's network is the first entry of each table: the sigmoid, hidden and output, with the course's
cross-entropy ``−y log h − (1 − y) log(1 − h) = softplus(z) − y z``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Activation",
    "Output",
    "ACTIVATIONS",
    "OUTPUTS",
    "activation",
    "output",
    "SIGMOID",
    "SIGMOID_CROSS_ENTROPY",
]

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Activation:
    """An element-wise activation ``a = g(z)`` and what backprop, the complex step and curvature need.

    Attributes
    ----------
    name : str
    value : callable
        ``g(z)`` on a real array (a new array).
    value_inplace : callable
        ``g(z)`` written into ``z`` (a real floating array) and returned: the training path's form.
    complex_value : callable
        ``g(z)`` for complex ``z``, analytic, overflow-free, branches chosen on ``Re z``.
    derivative : callable
        ``g'(z)``.
    derivative_from_output : callable or None
        ``g'(z)`` as a function of ``a = g(z)`` where it can be written so (the classic form, which
        spares keeping ``z``); None where it cannot.
    second_derivative : callable
        ``g''(z)``.
    kinks : tuple of float
        The points where ``g`` is not differentiable (none for smooth activations).
    """

    name: str
    value: Callable[[Array], Array]
    value_inplace: Callable[[Array], Array]
    complex_value: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    derivative_from_output: Callable[[Array], Array] | None
    second_derivative: Callable[[Array], Array]
    kinks: tuple[float, ...] = ()

    def __call__(self, z: Array) -> Array:
        """``g(z)``, complex-safe when ``z`` is complex."""
        return self.complex_value(z) if np.iscomplexobj(z) else self.value(z)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


@dataclass(frozen=True, eq=False)
class Output:
    """An output unit and its loss, both from the logits ``z`` of the last layer.

    Attributes
    ----------
    name : str
        The output unit's name (the key of :data:`OUTPUTS`).
    loss : str
        The loss's name, for messages.
    activation : Activation
        ``H = output(z)``.
    loss_sum : callable
        ``loss_sum(z, Y)``: the loss summed over the last two axes (examples, units), complex-safe;
        a batch of logits ``(*batch, m, K)`` gives shape ``batch``.
    residual : callable
        ``residual(z, Y)``: ``∂ loss_sum / ∂z`` (``H − Y`` for the sigmoid with cross-entropy), a new real array.
    loss_and_residual : callable
        ``(loss_sum(z, Y), residual(z, Y))`` from one pass over real logits (the training path).
    """

    name: str
    loss: str
    activation: Activation
    loss_sum: Callable[[Array, Array], Array]
    residual: Callable[[Array, Array], Array]
    loss_and_residual: Callable[[Array, Array], tuple[Array, Array]]

    def predict(self, z: Array) -> Array:
        """Class indices ``argmax_k H[..., k]`` (the outputs here are monotone in z: argmax of z)."""
        return np.argmax(z, axis=-1)

    def __repr__(self) -> str:
        return f"Output({self.name!r}, loss={self.loss!r})"


# --------------------------------------------------------------------------------------------------
# The sigmoid
# --------------------------------------------------------------------------------------------------


def _sigmoid_inplace(z: Array) -> Array:
    """In-place ``1 / (1 + e^{-z})``. ``e^{-z}`` overflows to inf for z < −709, giving 0 exactly, the right
    value, so that overflow is silenced (NumPy's SIMD exp is faster here than :func:`scipy.special.expit`)."""
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def _sigmoid(z: Array) -> Array:
    return _sigmoid_inplace(np.array(z, dtype=np.result_type(z, np.float32)))


def _exp_nonpositive(z: Array) -> tuple[Array, Array]:
    """``(pos, e^s)`` with ``s = −z`` where Re z > 0 and ``s = z`` elsewhere, so Re s <= 0 and e^s cannot
    overflow. Each branch is analytic, and the branch is chosen by the real part."""
    pos = z.real > 0
    e = z * np.where(pos, -1.0, 1.0)  # a real sign: cheaper than a complex where()
    np.exp(e, out=e)
    return pos, e


def _sigmoid_from(pos: Array, e: Array) -> Array:
    """The sigmoid from :func:`_exp_nonpositive` (overwrites ``e``): 1/(1+e^s) or e^s/(1+e^s)."""
    g = 1 + e
    np.reciprocal(g, out=g)
    np.multiply(g, e, out=e)
    return np.where(pos, g, e)


def _softplus_from(z: Array, pos: Array, e: Array) -> Array:
    """``log(1 + e^z)`` from :func:`_exp_nonpositive` (overwrites ``e``): z + log1p(e^s) or log1p(e^s)."""
    np.log1p(e, out=e)
    return np.where(pos, z, 0) + e


def complex_sigmoid(z: Array) -> Array:
    """The sigmoid, analytic and overflow-free for complex (or real) ``z``."""
    return _sigmoid_from(*_exp_nonpositive(z))


def complex_softplus(z: Array) -> Array:
    """``log(1 + e^z)``, analytic and overflow-free for complex (or real) ``z``."""
    return _softplus_from(z, *_exp_nonpositive(z))


def complex_sigmoid_softplus(z: Array) -> tuple[Array, Array]:
    """Both, from one exponential."""
    pos, e = _exp_nonpositive(z)
    return _sigmoid_from(pos, e.copy()), _softplus_from(z, pos, e)


def _sigmoid_prime(z: Array) -> Array:
    """``g(z) g(−z)``: the same value as ``g (1 − g)`` without its cancellation where g ≈ 1 (z >> 0)."""
    return _sigmoid(z) * _sigmoid(-np.asarray(z))


def _sigmoid_prime_from_output(a: Array) -> Array:
    return a * (1.0 - a)


def _sigmoid_second(z: Array) -> Array:
    """``g'(z) (1 − 2 g(z))``."""
    return _sigmoid_prime(z) * (1.0 - 2.0 * _sigmoid(z))


SIGMOID = Activation(
    name="sigmoid",
    value=_sigmoid,
    value_inplace=_sigmoid_inplace,
    complex_value=complex_sigmoid,
    derivative=_sigmoid_prime,
    derivative_from_output=_sigmoid_prime_from_output,
    second_derivative=_sigmoid_second,
)


def _yz_sum(z: Array, Y: Array) -> Array:
    """``Σ y z`` over the last two axes."""
    if z.ndim == 2:
        return np.einsum("ij,ij->", Y, z)
    return np.einsum("...ij,ij->...", z, Y)


def _cross_entropy(z: Array, Y: Array, residual: bool) -> tuple[Array, Array | None]:
    """The course's cross-entropy from real logits, summed over the last two axes, and (with
    ``residual``) its derivative ``g(z) − Y``, both from one exponential ``e = e^{−|z|}``:
    ``softplus(z) = max(z, 0) + log1p(e)`` and ``g(z) = 1/(1+e)`` where z >= 0, ``e/(1+e)`` elsewhere —
    no overflow, and no ``log(0)`` for saturated units. ``z`` is left as it was."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    sp = np.log1p(e, out=None if residual else e)  # e is needed again only for the residual
    axes = None if z.ndim == 2 else (-2, -1)  # one matrix: NumPy's flat pairwise sum
    total = sp.sum(axis=axes) + np.maximum(z, 0.0, out=sp).sum(axis=axes) - _yz_sum(z, Y)
    if not residual:
        return total, None
    r = np.add(e, 1.0, out=sp)
    np.reciprocal(r, out=r)  # g(z) where z >= 0
    e *= r  # g(z) where z < 0
    g = np.where(z >= 0, r, e)
    g -= Y
    return total, g


def _cross_entropy_sum(z: Array, Y: Array) -> Array:
    """``Σ softplus(z) − y z`` over examples and units; complex-safe."""
    if z.dtype.kind == "c":
        return complex_softplus(z).sum(axis=(-2, -1)) - _yz_sum(z, Y)
    return _cross_entropy(z, Y, False)[0]


def _cross_entropy_and_residual(z: Array, Y: Array) -> tuple[Array, Array]:
    total, g = _cross_entropy(z, Y, True)
    assert g is not None
    return total, g


def _sigmoid_residual(z: Array, Y: Array) -> Array:
    """``g(z) − y`` alone: the one formula of :func:`_cross_entropy` (its loss is not on a hot path here)."""
    return _cross_entropy_and_residual(z, Y)[1]


SIGMOID_CROSS_ENTROPY = Output(
    name="sigmoid",
    loss="cross-entropy",
    activation=SIGMOID,
    loss_sum=_cross_entropy_sum,
    residual=_sigmoid_residual,
    loss_and_residual=_cross_entropy_and_residual,
)

#: Hidden activations by name (``logistic`` is scikit-learn's name for the sigmoid).
ACTIVATIONS: dict[str, Activation] = {"sigmoid": SIGMOID, "logistic": SIGMOID}

#: Output units with their losses, by the output's name.
OUTPUTS: dict[str, Output] = {"sigmoid": SIGMOID_CROSS_ENTROPY}


def _lookup(table: dict, kind: str, name: object):
    if isinstance(name, (Activation, Output)):
        return name
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"{kind} must be one of {', '.join(repr(k) for k in table)}; got {name!r}")
    return table[name]


def activation(name: str | Activation) -> Activation:
    """The activation called ``name`` (an :class:`Activation` is returned as it is)."""
    return _lookup(ACTIVATIONS, "activation", name)


def output(name: str | Output) -> Output:
    """The output unit and loss called ``name`` (an :class:`Output` is returned as it is)."""
    return _lookup(OUTPUTS, "output", name)
