"""How large the rounding errors of one problem can be: running error scales, measured on the problem.

A verdict on a gradient must know how far two correct computations can drift apart by rounding alone.
Bounds written once for "typical" inputs (``|x| ≲ 3``, ``|J| ≈ 1``) fail on the inputs users bring: raw pixel
counts (0..16), trained networks whose cost ``J = (1/m) Σ softplus(z) − y·z`` is a tiny difference of
large terms, float32. The rounding of a floating-point sum is proportional to the sum of the *absolute
values* of its terms, not to the sum itself, which can cancel (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., §3.1 and §4.2). This module computes those absolute sums for the
network at hand, in one extra forward and backward pass with ``|Θ|`` and ``|a|``, and returns them in
units of the machine ε:

- :attr:`RoundingScales.cost` ``S_J``: the rounding of one evaluation of J is about ``ε·S_J``. It
  covers the terms of the data term and of the penalty, and the rounding of every pre-activation
  propagated to J (``|h − y|·err(z)`` at the output, ``g'(z)·err(z)`` through hidden layers).
- :attr:`RoundingScales.grad` ``G``: the rounding of one gradient entry is about ``ε·G_ij``
  (``D_ij = (1/m) Σ_k δ_ik a_jk + (λ/m) Θ_ij``, with ``δ`` propagated through ``|Θ|`` and ``|g'|``).
- :attr:`RoundingScales.sensitivity`: for each weight, a bound on how far the output logits move per
  unit change of it — ``max|a_j|`` (the input it multiplies) times the largest ``Σ|∂z_L/∂z_i|``
  through ``|Θ|`` and ``g'`` of the layers above — so that a finite-difference step can follow the
  data's scale and the network's gain: a step of ``h / sensitivity`` moves no logit by more than ``h``.
  (Raw pixel counts up to 16 divide a first-layer step by 16; weights of 10³ above a layer, as
  L-BFGS-B reaches on a few examples at λ = 0, divide its steps by the gain they give.)

Every hidden unit and output enters through its :class:`~gradtrio.model.Activation` and
:class:`~gradtrio.model.Output` objects: the loss's terms (:func:`_loss_terms`: softplus and ``y·z``
for the sigmoid's cross-entropy, the log-sum-exp and its max shift for softmax, ``½(z − y)²`` for
squared error, whose residual is unbounded), the residual's error through ``∂H/∂z`` (the softmax's
Jacobian couples the units), ``|g'|`` and the error of ``g'`` itself (:func:`_slope_error`), and the
kinks: a unit within rounding of one (:func:`near_kink`) may take either branch in two correct
computations, so its bound holds the jump of ``g'``. For sigmoid networks with the course's
cross-entropy the numbers are, bit for bit, those the false-alarm study measured.

In ``G``, a sum of n terms is counted with a factor ``sqrt(n)``: the error of recursive summation is
at most ``(n−1) ε Σ|x|``, and behaves like ``sqrt(n) ε Σ|x|`` because roundings have random signs
(Higham §4.2). ``S_J`` counts each term once: it is only a floor under the noise the checkers
*measure* (:func:`gradtrio.localize.estimate_noise`), which is what they use when it is larger. These
are first-order estimates with unit constants; the checkers multiply them by the safety factors of
:mod:`gradtrio.tolerances`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import _docs
from .model import Problem, forward, validate
from .model.activations import SIGMOID, SIGMOID_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY, Activation, Output
from .network import unroll

__all__ = ["RoundingScales", "rounding_scales", "scales_of", "checker_options", "near_kink", "FUNCTION_ULPS",
           "TIE_SAFETY", "SATURATED_STEP"]

#: Error of one evaluation of exp, log1p or the sigmoid, in units of ε. Correctly rounded would be
#: 0.5; glibc's libm is within 1 ulp, and vectorized implementations (NumPy's SIMD exp, XLA's logistic
#: on the CPU) within a few. Two correct implementations can then differ by ~2·FUNCTION_ULPS·ε on every
#: output of a trained network (h ≈ y, where δ = h − y cancels), and such differences need not
#: average out over examples: they are counted once per example, not with sqrt(m).
FUNCTION_ULPS = 4.0
#: A hidden unit's pre-activation within TIE_SAFETY·ε·err(z) of a kink (err(z) its running error
#: scale, below) may land on either side of it in two correct computations: its branch is not
#: determined by the problem (:func:`near_kink`). 8, as :data:`gradtrio.tolerances.ANALYTIC_SAFETY`:
#: err(z) already counts sqrt(n) per sum, so 8 is about eight standard deviations of its rounding.
TIE_SAFETY = 8.0
#: The step of the central difference that measures ``|φ'(a)|`` (``g' = φ(a)``) at saturated units, where
#: ``g''/g'`` is 0/0: φ is a low-degree polynomial or exponential of a there (tanh: 1 − a²), so any
#: small step gives its slope to a few digits, all an error bound needs.
SATURATED_STEP = 1e-4


@dataclass(frozen=True)
class RoundingScales:
    """Error scales of one problem, in units of ε (multiply by ``np.finfo(dtype).eps``).

    Attributes
    ----------
    cost : float
        ``S_J``: one evaluation of the cost carries a rounding error of about ``ε·S_J``.
    grad : list of ndarray
        ``G[l]`` of the shape of ``thetas[l]``: gradient entry ``(l, i, j)`` carries about ``ε·G[l][i, j]``.
    sensitivity : list of ndarray
        ``S[l]`` of the shape of ``thetas[l]``: ``max(1, max_k A_ki · max_k |a_jk|)``, with ``A_ki`` the
        summed gain ``Σ_u |∂z_L,u/∂z_i|`` of example k (1 at the output) and ``a_j`` the input the weight
        multiplies (1 for the bias column).
    dtype : numpy.dtype
        The working precision of the problem.
    z_error : list of ndarray
        ``z_error[l]`` of shape ``(m, s_{l+2})``: the running error scale of hidden layer l's
        pre-activations (``ε·z_error`` bounds their rounding): what decides whether a unit's z is at a
        kink to within rounding (:func:`near_kink`).
    """

    cost: float
    grad: list[np.ndarray]
    sensitivity: list[np.ndarray]
    dtype: np.dtype
    z_error: list[np.ndarray] = field(default_factory=list)

    @property
    def eps(self) -> float:
        """Machine ε of the working precision."""
        return float(np.finfo(self.dtype).eps)

    def cost_error(self) -> float:
        """``ε·S_J``, the rounding of one cost evaluation."""
        return self.eps * self.cost

    def grad_error(self) -> np.ndarray:
        """``ε·G`` unrolled: shape ``(n,)``, the rounding of each gradient entry."""
        return self.eps * unroll(self.grad)

    def flat_sensitivity(self) -> np.ndarray:
        """:attr:`sensitivity` unrolled, shape ``(n,)``: the ``step_scale`` of the checkers."""
        return unroll(self.sensitivity)


@_docs.fill
def rounding_scales(
    thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> RoundingScales:
    """Running error scales of the cost and of every gradient entry of one problem.

    Parameters
    ----------
    {problem}
    {units}

    Returns
    -------
    RoundingScales
        See the module docstring. Computed in float64 from the problem's values (in their dtype), at
        the cost of about two forward passes.
    """
    return scales_of(*validate(thetas, X, Y, lam, activations=activation, output=output))


def _loss_terms(out: Output, z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The absolute values of the loss's terms, per example and output unit (or per example), in the
    form the loss is computed in: what one evaluation of it rounds on (units of ε)."""
    if out is SIGMOID_CROSS_ENTROPY:  # softplus(z) − y·z
        return np.logaddexp(0.0, z) + np.abs(Y * z)
    if out is SOFTMAX_CROSS_ENTROPY:  # log Σ e^{s} − Σ y s with s = z − max z (s rounds on |z| + |max z|)
        c = np.max(z, axis=-1, keepdims=True)
        s = z - c
        lse = np.log(np.exp(s).sum(axis=-1))
        return lse + (np.abs(Y) * (np.abs(s) + np.abs(z) + np.abs(c))).sum(axis=-1)
    r = z - Y  # ½ (z − y)²: the square and the subtraction it squares (|z − y| (|z| + |y|))
    return 0.5 * r * r + np.abs(r) * (np.abs(z) + np.abs(Y))


def _residual_error(out: Output, z: np.ndarray, Y: np.ndarray, H: np.ndarray, err_z: np.ndarray) -> np.ndarray:
    """E(δ_L) in units of ε: the rounding of the residual ``H − Y`` (the subtraction on |H| + |Y| and the
    output function's own error) plus what the logits' error ``err_z`` carries through ``∂H/∂z``."""
    if out is SIGMOID_CROSS_ENTROPY:  # the course's numbers, unchanged: ∂h/∂z = h(1 − h)
        return (1.0 + FUNCTION_ULPS) * H + Y + H * (1.0 - H) * err_z
    if out is SOFTMAX_CROSS_ENTROPY:
        # The Jacobian couples the units: Σ_j |∂H_k/∂z_j| err_j = H_k(|1 − 2H_k| err_k + Σ_j H_j err_j)
        # <= H_k (err_k + Σ_j H_j err_j); the max shift's subtraction moves each e^{s_k} by |s_k| ε.
        s = z - np.max(z, axis=-1, keepdims=True)
        spread = (H * err_z).sum(axis=-1, keepdims=True)
        return (1.0 + FUNCTION_ULPS) * H + np.abs(Y) + H * (err_z + spread + np.abs(s))
    # identity: H = z exactly, so δ = z − y rounds on |z| + |y| and inherits err(z) unchanged (unbounded)
    return np.abs(H) + np.abs(Y) + err_z


def _slope_error(g: Activation, z: np.ndarray, a: np.ndarray, err_z: np.ndarray, err_a: np.ndarray,
                 slope: np.ndarray, tie: np.ndarray, eps: float) -> np.ndarray:
    """The error of ``g'`` as backprop evaluates it, in units of ε.

    From the output (the classic form, ``g'(z) = φ(a)``): ``|φ'(a)|·err(a)`` with ``φ'(a) = g''/g'``, plus
    about 3 roundings of the formula. From z (elu, gelu): ``|g''(z)|·err(z)`` plus the function's own error.
    At a kink, a unit whose z lies within its own rounding of the kink (``tie``) may be sent to either
    branch by two correct computations (NumPy and XLA sum in different orders): the whole jump of ``g'``
    there, in units of ε (so that the comparison says "inconclusive", never "fail", on such a unit).
    """
    if g is SIGMOID:  # the course's numbers, unchanged: φ(a) = a(1 − a), |φ'(a)| = |1 − 2a| <= 1
        err = err_a + 3.0 * slope
    elif g.derivative_from_output is not None:
        g2 = np.abs(g.second_derivative(z))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(slope > 0, g2 / np.where(slope > 0, slope, 1.0), 0.0)
        if not g.kinks:
            # A saturated unit (tanh at a = ±1 exactly) has g' = 0 = g'' in the dtype, but φ'(a) does not
            # vanish there (tanh: −2a): a one-ulp-different a (XLA's tanh) gives g' = 2ε, not 0. Measure
            # φ'(a) by a central difference of φ where g' is 0 (φ is smooth in a for these units; the
            # piecewise-linear ones, whose φ is a step at their kink, have φ' = 0 off it).
            d = SATURATED_STEP
            flat = slope == 0
            if np.any(flat):
                phi = g.derivative_from_output
                ratio = np.where(flat, np.abs(phi(a + d) - phi(a - d)) / (2 * d), ratio)
        err = ratio * err_a + 3.0 * slope
    else:
        err = np.abs(g.second_derivative(z)) * err_z + (3.0 + FUNCTION_ULPS) * slope
    for k in g.kinks:
        jump = abs(float(g.derivative(np.nextafter(np.array([k]), np.inf))[0])
                   - float(g.derivative(np.nextafter(np.array([k]), -np.inf))[0]))
        err = err + np.where(tie, jump / eps, 0.0)
    return err


def near_kink(g: Activation, z: np.ndarray, err_z: np.ndarray, eps: float) -> np.ndarray:
    """Where ``z`` lies strictly within :data:`TIE_SAFETY`·ε·err(z) of a kink of ``g``: the units whose
    branch two correct computations may choose differently (boolean, the shape of ``z``).

    A z that is *exactly* at the kink with no rounding behind it (``err(z) = 0``: every term of its sum
    zero) is not in this set: every computation gets the same exact 0 and the convention's branch."""
    out = np.zeros(z.shape, dtype=bool)
    for k in g.kinks:
        out |= np.abs(z - k) < TIE_SAFETY * eps * err_z
    return out


def scales_of(pb: Problem, mats: Sequence[np.ndarray]) -> RoundingScales:
    """:func:`rounding_scales` of a validated problem and its weights (nothing is checked again).

    Written from the problem's :class:`~gradtrio.model.Activation` and :class:`~gradtrio.model.Output`
    objects: the loss's terms and the residual's error per output (:func:`_loss_terms`,
    :func:`_residual_error`), ``|g'|``, ``|g''|`` and the kinks per hidden layer (:func:`_slope_error`).
    For the sigmoid output with the course's cross-entropy and sigmoid hidden units the numbers are
    those the false-alarm study measured (0 false alarms in 1584 checks); unbounded units (relu, elu,
    identity; squared error's residual) enter through their values ``|a|`` and ``|z − y|``.
    """
    arch, lam, dt, m = pb.arch, pb.lam, pb.dtype, pb.m
    eps = float(np.finfo(dt).eps)
    mats = [T.astype(np.float64) for T in mats]
    X64, Y64 = pb.X.astype(np.float64), pb.Y.astype(np.float64)
    values = forward(arch, mats, X64, keep=True)  # the values; what follows is their error analysis
    acts, z = values.acts, values.logits
    absacts = [np.abs(a) for a in acts]
    errs, derivs, slopes, slope_errs, z_errors = [np.zeros_like(X64)], [], [], [], []
    for l, T in enumerate(mats):
        W, b = T[:, 1:], T[:, 0]
        aW = np.abs(W)
        # err(z) = sqrt(fan-in + 1)·(|a| |W|ᵀ + |b|)  (this sum's own rounding)  +  err(a) |W|ᵀ  (inherited)
        err_z = np.sqrt(W.shape[1] + 1.0) * (absacts[l] @ aW.T + np.abs(b)) + errs[l] @ aW.T
        if l < len(mats) - 1:
            g, zl = arch.hidden[l], values.zs[l]
            derivs.append(g.derivative(zl))  # signed: the backward pass below multiplies δ by it
            slope = np.abs(derivs[-1])
            slopes.append(slope)
            z_errors.append(err_z)
            errs.append(slope * err_z + FUNCTION_ULPS * absacts[l + 1])  # the activation's own rounding
            slope_errs.append(_slope_error(g, zl, acts[l + 1], err_z, errs[l + 1], slope,
                                           near_kink(g, zl, err_z, eps), eps))
    out = arch.out
    H = out.value(z)
    # H − Y as the course's analysis wrote it for the sigmoid (bit for bit the numbers the study measured)
    R = H - Y64 if out is SIGMOID_CROSS_ENTROPY else out.residual(z, Y64)
    # S_J is a floor under the cost's *measured* noise, so it counts each term once (no sqrt(n)): the
    # data term's terms, the output logits' own sums |a||W|ᵀ + |b| weighted by how much J moves with
    # them (|∂loss/∂z| = |h − y| for each of the outputs), and the penalty's terms.
    data = (_loss_terms(out, z, Y64).sum()
            + (np.abs(R) * (absacts[-1] @ np.abs(mats[-1][:, 1:]).T + np.abs(mats[-1][:, 0]))).sum()) / m
    penalty = sum(float(np.sum(T[:, 1:] ** 2)) for T in mats) * lam / (2 * m)
    S_J = float(data + penalty)

    # Backward, in units of ε: E(δ) bounds the error of δ, |δ| is its value. Each product's own
    # rounding is counted on the values (sqrt(n)·Σ|terms|, Higham & Mary's probabilistic bound for an
    # inner product); errors inherited from earlier steps are propagated to first order with |Θ|.
    # δ(L) = h − y: its subtraction rounds on |h| + |y|, and it inherits ∂h/∂z·err(z).
    delta = R
    E = _residual_error(out, z, Y64, H, err_z)
    G: list[np.ndarray] = [np.empty(0)] * len(mats)
    sensitivity: list[np.ndarray] = [np.empty(0)] * len(mats)
    gain = np.ones_like(H)  # Σ_u |∂z_L,u / ∂z_i| of each example, for the units of the current layer
    sq_m = np.sqrt(float(m))
    for l in range(len(mats) - 1, -1, -1):
        T = mats[l]
        ad = np.abs(delta)
        gr = np.empty_like(T)
        # D = (1/m) Σ_k δ_k a_k: the sum's own rounding, plus what δ's and a's errors carry into it.
        gr[:, 0] = (sq_m * ad.sum(axis=0) + E.sum(axis=0)) / m
        gr[:, 1:] = (sq_m * (ad.T @ absacts[l]) + E.T @ absacts[l] + ad.T @ errs[l]) / m + lam / m * np.abs(T[:, 1:])
        G[l] = gr
        top_gain = np.max(gain, axis=0)[:, None]  # (units, 1): max over examples
        sens = np.empty_like(T)
        sens[:, :1] = top_gain
        sens[:, 1:] = top_gain * np.max(absacts[l], axis=0)[None, :]
        if l < len(mats) - 1 and arch.hidden[l] is not SIGMOID:
            # The gain is measured at θ: at a saturated unit it is ~0, and a step of h moves the unit's
            # own z by h·max|a_j| (30 units on raw data), out of saturation and out of the range where
            # the truncation estimate holds (a float32 tanh net found it). So no step moves a hidden
            # pre-activation by more than h either. (Sigmoid layers keep the numbers the false-alarm
            # study measured, 0 false alarms in 1584 checks; this floor would shorten some of their steps.)
            sens[:, 1:] = np.maximum(sens[:, 1:], np.max(absacts[l], axis=0)[None, :])
        sensitivity[l] = np.maximum(1.0, sens)
        if l > 0:
            W, aW = T[:, 1:], np.abs(T[:, 1:])
            gain = (gain @ aW) * slopes[l - 1]
            back = delta @ W
            # δ(l) = (δ(l+1) W) ⊙ g'(z): the product's rounding and the inherited E, times g'; plus the
            # error of g' itself (:func:`_slope_error`; for the sigmoid a(1 − a), which inherits a's
            # error (|1 − 2a| <= 1) and rounds (~3ε)).
            E = ((np.sqrt(T.shape[0] + 1.0) * (ad @ aW) + E @ aW) * slopes[l - 1]
                 + np.abs(back) * slope_errs[l - 1])
            delta = back * derivs[l - 1]
    return RoundingScales(S_J, G, sensitivity, dt, z_errors)


def checker_options(thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0) -> dict:
    """Keyword arguments that tell a black-box checker what this problem's rounding is.

    For :func:`gradtrio.localize.localize`, :func:`gradtrio.localize.entry_bounds`,
    :func:`gradtrio.verdicts.taylor_test` and :func:`gradtrio.finite_diff.directional_check`, called
    on gradtrio's own cost of this problem (or on a gradient that claims to be its gradient).

    Returns
    -------
    dict
        ``noise_floor`` (``ε·S_J``), ``grad_error`` (``ANALYTIC_SAFETY·ε·G``, unrolled, shape ``(n,)``) and
        ``step_scale`` (:attr:`RoundingScales.sensitivity`, unrolled).
    """
    from .tolerances import ANALYTIC_SAFETY

    sc = rounding_scales(thetas, X, Y, lam)
    return {"noise_floor": sc.cost_error(), "grad_error": ANALYTIC_SAFETY * sc.grad_error(),
            "step_scale": sc.flat_sensitivity()}
