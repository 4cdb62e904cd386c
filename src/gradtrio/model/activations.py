"""Activations and output losses, by name: each one written once, with what every engine needs of it.

An :class:`Activation` carries its value, its derivative (in terms of the *output* ``a = g(z)`` where
the classic algorithm writes it so: the sigmoid's ``g'(z) = a (1 − a)``), its second derivative (for
Hessian-vector products), a complex-safe evaluation for the complex step (branches chosen on the real
part, which the complex step does not move), and where it has kinks. An :class:`Output` is the output
unit together with its loss, computed from the logits so that saturated units give finite costs.

The course's network is the first entry of each table: the sigmoid, hidden and output, with the course's
cross-entropy ``−y log h − (1 − y) log(1 − h) = softplus(z) − y z``. The hidden activations are also
identity, tanh, relu, leaky_relu (slope 0.01), elu (α = 1), softplus and gelu (the exact erf form),
with the parameters PyTorch and JAX use by default; the outputs also softmax with categorical
cross-entropy ``log Σ_k e^{z_k} − Σ_k y_k z_k`` (max-shifted) and identity with squared error
``½ (z − y)²``. At a kink the derivative takes the value scikit-learn, PyTorch and JAX use:
``relu'(0) = 0`` and ``leaky_relu'(0) = 0.01`` (the left branch).
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
    "IDENTITY",
    "TANH",
    "RELU",
    "LEAKY_RELU",
    "ELU",
    "SOFTPLUS",
    "GELU",
    "LEAKY_SLOPE",
    "ELU_ALPHA",
    "SIGMOID_CROSS_ENTROPY",
    "SOFTMAX_CROSS_ENTROPY",
    "IDENTITY_SQUARED_ERROR",
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
    complex_derivative : callable or None
        ``g'(z)`` for complex ``z``, analytic and overflow-free like ``complex_value`` (branches chosen on
        ``Re z``): what a backward pass in complex arithmetic multiplies by, so that the complex step of the
        gradient gives Hessian-vector products. At a kink (relu, leaky_relu) ``g'`` is the branch of
        ``Re z``, whose complex step is 0: the directional derivative of the subgradient, not a Hessian.
    """

    name: str
    value: Callable[[Array], Array]
    value_inplace: Callable[[Array], Array]
    complex_value: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    derivative_from_output: Callable[[Array], Array] | None
    second_derivative: Callable[[Array], Array]
    kinks: tuple[float, ...] = ()
    complex_derivative: Callable[[Array], Array] | None = None

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
    targets : {"binary", "one-hot", "real"}
        What ``Y`` must hold: 0/1 entries (one-hot rows when K > 1) for the sigmoid's cross-entropy,
        one-hot rows for the softmax, any finite numbers for squared error.
    value : callable
        ``H = output(z)`` from logits ``(*batch, m, K)`` (a new array; complex-safe). The softmax
        works along the last axis; the others element-wise.
    value_inplace : callable
        The same, written into real ``z``.
    loss_sum : callable
        ``loss_sum(z, Y)``: the loss summed over the last two axes (examples, units), complex-safe;
        a batch of logits ``(*batch, m, K)`` gives shape ``batch``.
    residual : callable
        ``residual(z, Y)``: ``∂ loss_sum / ∂z``, a new real array. For all three outputs here it is
        ``H − Y`` (each is its loss's canonical link).
    loss_and_residual : callable
        ``(loss_sum(z, Y), residual(z, Y))`` from one pass over real logits (the training path).
    curvature : callable
        ``curvature(z, R)``: the loss's Hessian in the logits applied to ``R`` example by example,
        ``Σ_j ∂²loss/∂z_k∂z_j R_j``, real ``(*batch, m, K)``. The sigmoid's cross-entropy:
        ``h(1 − h) ⊙ R``; the softmax's: ``p ⊙ R − p (p · R)`` (its Jacobian, ``diag p − p pᵀ``); squared
        error: ``R``. Each is positive semi-definite, which makes the Gauss-Newton product so. It does
        not depend on ``Y`` (each loss is its output's canonical link).
    """

    name: str
    loss: str
    targets: str
    value: Callable[[Array], Array]
    value_inplace: Callable[[Array], Array]
    loss_sum: Callable[[Array, Array], Array]
    residual: Callable[[Array, Array], Array]
    loss_and_residual: Callable[[Array, Array], tuple[Array, Array]]
    curvature: Callable[[Array, Array], Array]

    @property
    def classifier(self) -> bool:
        """Whether the outputs are class scores (predictions are class indices) rather than values."""
        return self.targets != "real"

    def predict(self, z: Array) -> Array:
        """Class indices ``argmax_k H[..., k]`` for a classifier (its outputs are monotone in z: the
        argmax of z); for one logistic unit (K = 1) the binary label ``h > 1/2``, i.e. ``z > 0``; and the
        predicted values ``H = z`` for squared error."""
        if not self.classifier:
            return np.array(z)
        if z.shape[-1] == 1:
            return (z[..., 0] > 0).astype(np.intp)
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


def _log1p(w: Array) -> Array:
    """``log(1 + w)``, accurate for real or complex ``w`` with ``|w| <= 1``.

    NumPy's complex ``log1p`` forms ``1 + w`` first, so it keeps only ε·|1 + w| absolute accuracy:
    ``log1p(1e-15 + 0j)`` is 1.11e-15. That broke the complex step of softplus units whose z << 0 (a
    5 % error on gradient entries of trained networks, a false alarm). Here ``log|1 + w| = ½ log1p(2 Re w
    + |w|²)`` and ``arg(1 + w) = atan2(Im w, 1 + Re w)``, each accurate to a few ulps of its own size."""
    if w.dtype.kind != "c":
        return np.log1p(w, out=w)
    re, im = w.real, w.imag
    out = np.empty_like(w)
    out.real = 0.5 * np.log1p(re * (2.0 + re) + im * im)
    out.imag = np.arctan2(im, 1.0 + re)
    return out


def _softplus_from(z: Array, pos: Array, e: Array) -> Array:
    """``log(1 + e^z)`` from :func:`_exp_nonpositive` (overwrites ``e``): z + log1p(e^s) or log1p(e^s)."""
    return np.where(pos, z, 0) + _log1p(e)


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
    complex_derivative=lambda z: complex_sigmoid(z) * complex_sigmoid(-z),  # g(z) g(−z), as the real one
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



# --------------------------------------------------------------------------------------------------
# The other hidden activations (PyTorch's and JAX's default parameters)
# --------------------------------------------------------------------------------------------------

#: The leaky ReLU's slope for z <= 0 (PyTorch's ``negative_slope`` and JAX's default, 0.01).
LEAKY_SLOPE = 0.01
#: The ELU's α (PyTorch's and JAX's default, 1): with α = 1 the ELU's derivative is continuous at 0.
ELU_ALPHA = 1.0

_SQRT1_2 = float(np.sqrt(0.5))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))


def _real(z: Array) -> Array:
    """``z`` as a new floating array (integers become float64)."""
    return np.array(z, dtype=np.result_type(z, np.float32))


def _writer(value: Callable[[Array], Array]) -> Callable[[Array], Array]:
    """An in-place form of ``value``: its result written into ``z``."""

    def inplace(z: Array) -> Array:
        z[...] = value(z)
        return z

    return inplace


def _ones_like(z: Array) -> Array:
    return np.ones_like(_real(z))


def _zeros_like(z: Array) -> Array:
    return np.zeros_like(_real(z))


IDENTITY = Activation(
    name="identity",
    value=_real,
    value_inplace=lambda z: z,
    complex_value=lambda z: np.array(z),
    derivative=_ones_like,
    derivative_from_output=_ones_like,
    second_derivative=_zeros_like,
    complex_derivative=lambda z: np.ones_like(z),
)


def _tanh_prime(z: Array) -> Array:
    t = np.tanh(_real(z))
    return 1.0 - t * t


def _tanh_prime_from_output(a: Array) -> Array:
    return 1.0 - a * a


def _tanh_second(z: Array) -> Array:
    t = np.tanh(_real(z))
    return -2.0 * t * (1.0 - t * t)


def _complex_tanh_prime(z: Array) -> Array:
    """``sech²(z) = 4 s / (1 + s)²`` with ``s = e^{−2z}`` where Re z > 0 and ``e^{2z}`` elsewhere (Re of the
    exponent <= 0: no overflow), each branch analytic. ``1 − tanh²`` would lose every digit where
    tanh ≈ ±1 (|z| > 19), real and imaginary parts alike."""
    pos = z.real > 0
    s = np.exp(2.0 * z * np.where(pos, -1.0, 1.0))
    return 4.0 * s / ((1.0 + s) * (1.0 + s))


TANH = Activation(
    name="tanh",
    value=lambda z: np.tanh(_real(z)),
    value_inplace=lambda z: np.tanh(z, out=z),
    complex_value=np.tanh,  # analytic; NumPy's complex tanh does not overflow for large |Re z|
    derivative=_tanh_prime,
    derivative_from_output=_tanh_prime_from_output,
    second_derivative=_tanh_second,
    complex_derivative=_complex_tanh_prime,
)


def _relu_inplace(z: Array) -> Array:
    return np.maximum(z, 0.0, out=z)


def _positive(z: Array) -> Array:
    """1 where z > 0, else 0 (so relu'(0) = 0, the convention of scikit-learn, PyTorch and JAX)."""
    z = _real(z)
    return (z > 0).astype(z.dtype)


RELU = Activation(
    name="relu",
    value=lambda z: _relu_inplace(_real(z)),
    value_inplace=_relu_inplace,
    complex_value=lambda z: np.where(z.real > 0, z, 0),
    derivative=_positive,
    derivative_from_output=_positive,  # a > 0 exactly where z > 0
    second_derivative=_zeros_like,
    kinks=(0.0,),
    complex_derivative=lambda z: np.where(z.real > 0, 1.0, 0.0).astype(z.dtype),  # relu'(0) = 0
)


def _leaky(z: Array) -> Array:
    return np.where(z.real > 0, z, LEAKY_SLOPE * z)


def _leaky_prime(z: Array) -> Array:
    """1 where z > 0, else the slope (at exactly 0 the slope: PyTorch's convention)."""
    z = _real(z)
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def _leaky_inplace(z: Array) -> Array:
    np.multiply(z, LEAKY_SLOPE, out=z, where=z <= 0)
    return z


LEAKY_RELU = Activation(
    name="leaky_relu",
    value=lambda z: _leaky_inplace(_real(z)),
    value_inplace=_leaky_inplace,
    complex_value=_leaky,
    derivative=_leaky_prime,
    derivative_from_output=_leaky_prime,  # a > 0 exactly where z > 0
    second_derivative=_zeros_like,
    kinks=(0.0,),
    complex_derivative=lambda z: np.where(z.real > 0, 1.0, LEAKY_SLOPE).astype(z.dtype),
)


def _elu(z: Array) -> Array:
    """``z`` where Re z > 0, ``α (e^z − 1)`` elsewhere; the exponential only of the non-positive branch
    (no overflow for large z), analytic on each branch."""
    pos = z.real > 0
    return np.where(pos, z, ELU_ALPHA * np.expm1(np.where(pos, 0, z)))


def _elu_prime(z: Array) -> Array:
    """1 where z > 0, ``α e^z`` elsewhere (continuous at 0 for α = 1, so the ELU has no kink; its second
    derivative jumps there)."""
    z = _real(z)
    return np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0))).astype(z.dtype)


def _elu_second(z: Array) -> Array:
    z = _real(z)
    return np.where(z > 0, 0.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0))).astype(z.dtype)


def _complex_elu_prime(z: Array) -> Array:
    """1 where Re z > 0, ``α e^z`` elsewhere (the exponential of the non-positive branch only)."""
    pos = z.real > 0
    return np.where(pos, 1.0, ELU_ALPHA * np.exp(np.where(pos, 0, z)))


ELU = Activation(
    name="elu",
    value=lambda z: _elu(_real(z)),
    value_inplace=_writer(_elu),
    complex_value=_elu,
    derivative=_elu_prime,
    # None: a + α is e^z to absolute rounding only, which loses every digit where z << 0; backprop keeps z.
    derivative_from_output=None,
    second_derivative=_elu_second,
    complex_derivative=_complex_elu_prime,
)


def _softplus(z: Array) -> Array:
    """``log(1 + e^z) = max(z, 0) + log1p(e^{−|z|})``: no overflow."""
    z = _real(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _softplus_prime_from_output(a: Array) -> Array:
    """``σ(z) = 1 − e^{−a}`` for ``a = softplus(z)``, as ``−expm1(−a)``: accurate at both ends."""
    return -np.expm1(-a)


SOFTPLUS = Activation(
    name="softplus",
    value=_softplus,
    value_inplace=_writer(_softplus),
    complex_value=complex_softplus,
    derivative=_sigmoid,
    derivative_from_output=_softplus_prime_from_output,
    second_derivative=_sigmoid_prime,
    complex_derivative=complex_sigmoid,
)


def _gelu_cdf(z: Array) -> Array:
    """Φ(z) = erfc(−z/√2)/2: accurate in the lower tail (where 1 + erf cancels); complex-safe."""
    from scipy.special import erfc

    return 0.5 * erfc(-_SQRT1_2 * z)


def _gelu(z: Array) -> Array:
    return z * _gelu_cdf(z)


def _gelu_pdf(z: Array) -> Array:
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def _gelu_prime(z: Array) -> Array:
    """``Φ(z) + z φ(z)``."""
    z = _real(z)
    return _gelu_cdf(z) + z * _gelu_pdf(z)


def _gelu_second(z: Array) -> Array:
    """``φ(z) (2 − z²)``."""
    z = _real(z)
    return _gelu_pdf(z) * (2.0 - z * z)


GELU = Activation(
    name="gelu",
    value=lambda z: _gelu(_real(z)),
    value_inplace=_writer(_gelu),
    complex_value=_gelu,
    derivative=_gelu_prime,
    derivative_from_output=None,  # z Φ(z) has no inverse to write g' in terms of a
    second_derivative=_gelu_second,
    complex_derivative=lambda z: _gelu_cdf(z) + z * _gelu_pdf(z),  # scipy's erfc takes complex z
)


# --------------------------------------------------------------------------------------------------
# Softmax with categorical cross-entropy, identity with squared error
# --------------------------------------------------------------------------------------------------


def _shifted(z: Array) -> tuple[Array, Array]:
    """``(z − c, c)`` with ``c`` the row maximum of Re z (a real constant per example, so each shifted
    row is analytic in z and its exponentials cannot overflow: Re(z − c) <= 0)."""
    c = np.max(z.real, axis=-1, keepdims=True)
    return z - c, c


def _softmax(z: Array) -> Array:
    """``e^{z_k} / Σ_j e^{z_j}`` over the last axis, max-shifted; complex-safe."""
    s, _ = _shifted(z)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_ce(s: Array, c: Array, log_total: Array, Y: Array) -> Array:
    """``Σ_i [log Σ_k e^{z_ik} − Σ_k y_ik z_ik]`` from the shifted logits ``s = z − c``, written as
    ``Σ_i [log Σ_k e^{s_ik} − Σ_k y_ik s_ik + c_i (1 − Σ_k y_ik)]``: the same number, but one-hot rows make
    the last term exactly 0, so the large shifts ``c_i`` never enter a sum to cancel there (a confident
    right answer at z = 1e4 costs 0, not 1e4 − 1e4 with ε·1e4 of rounding)."""
    shift = c[..., 0] * (1.0 - Y.sum(axis=-1))
    return (log_total + shift).sum(axis=-1) - _yz_sum(s, Y)


def _softmax_ce_sum(z: Array, Y: Array) -> Array:
    """``Σ_i [log Σ_k e^{z_ik} − Σ_k y_ik z_ik]``: categorical cross-entropy ``−Σ y log softmax(z)``."""
    s, c = _shifted(z)
    return _softmax_ce(s, c, np.log(np.exp(s).sum(axis=-1)), Y)


def _softmax_ce_and_residual(z: Array, Y: Array) -> tuple[Array, Array]:
    """The loss and ``softmax(z) − Y`` from one exponential of the shifted logits."""
    s, c = _shifted(z)
    e = np.exp(s)
    tot = e.sum(axis=-1, keepdims=True)
    loss = _softmax_ce(s, c, np.log(tot[..., 0]), Y)
    e /= tot
    e -= Y
    return loss, e


def _softmax_residual(z: Array, Y: Array) -> Array:
    return _softmax_ce_and_residual(z, Y)[1]


def _squared_error_sum(z: Array, Y: Array) -> Array:
    """``½ Σ (z − y)²`` over the last two axes (analytic: a product, never ``abs``)."""
    r = z - Y
    return 0.5 * (r * r).sum(axis=(-2, -1))


def _squared_error_and_residual(z: Array, Y: Array) -> tuple[Array, Array]:
    r = z - Y
    return 0.5 * np.einsum("...ij,...ij->...", r, r), r


def _sigmoid_curvature(z: Array, R: Array) -> Array:
    """``g'(z) ⊙ R`` with ``g'(z) = g(z) g(−z)``: both factors without cancellation (``h (1 − h)`` loses
    every digit of ``1 − h`` at z > 37)."""
    return _sigmoid(z) * _sigmoid(-z) * R


def _softmax_curvature(z: Array, R: Array) -> Array:
    """``(diag p − p pᵀ) R`` per example: ``p ⊙ (R − p · R)``."""
    p = _softmax(z)
    return p * (R - np.einsum("...k,...k->...", p, R)[..., None])


def _softmax_inplace(z: Array) -> Array:
    z[...] = _softmax(z)
    return z


SIGMOID_CROSS_ENTROPY = Output(
    name="sigmoid",
    loss="cross-entropy",
    targets="binary",
    value=_sigmoid,
    value_inplace=_sigmoid_inplace,
    loss_sum=_cross_entropy_sum,
    residual=_sigmoid_residual,
    loss_and_residual=_cross_entropy_and_residual,
    curvature=_sigmoid_curvature,
)

SOFTMAX_CROSS_ENTROPY = Output(
    name="softmax",
    loss="categorical cross-entropy",
    targets="one-hot",
    value=_softmax,
    value_inplace=_softmax_inplace,
    loss_sum=_softmax_ce_sum,
    residual=_softmax_residual,
    loss_and_residual=_softmax_ce_and_residual,
    curvature=_softmax_curvature,
)

IDENTITY_SQUARED_ERROR = Output(
    name="identity",
    loss="squared error",
    targets="real",
    value=lambda z: np.array(z),
    value_inplace=lambda z: z,
    loss_sum=_squared_error_sum,
    residual=lambda z, Y: z - Y,
    loss_and_residual=_squared_error_and_residual,
    curvature=lambda z, R: np.array(R),
)

#: Hidden activations by name (``logistic`` is scikit-learn's name for the sigmoid).
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": SIGMOID,
    "logistic": SIGMOID,
    "identity": IDENTITY,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "softplus": SOFTPLUS,
    "gelu": GELU,
}

#: Output units with their losses, by the output's name.
OUTPUTS: dict[str, Output] = {
    "sigmoid": SIGMOID_CROSS_ENTROPY,
    "softmax": SOFTMAX_CROSS_ENTROPY,
    "identity": IDENTITY_SQUARED_ERROR,
}


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
