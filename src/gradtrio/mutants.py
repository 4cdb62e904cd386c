"""A catalog of classic backpropagation bugs, and the table of which checker catches which.

Every entry of :data:`CATALOG` is a *mutant*: a copy of the vectorized algorithm of
:func:`gradtrio.backprop.cost_and_grad` with exactly one classic bug switched on, callable with the
same signature ``mutant(thetas, X, Y, lam) -> (J, grads)``. All mutants share one readable
implementation, :func:`_backprop`, whose bug switches are marked ``# BUG <name>``; with no bug it
is the reference algorithm (a test holds it to :mod:`gradtrio.backprop` to rounding).

Two kinds of bug (:attr:`Mutant.kind`):

- ``"gradient"``: the returned gradient is *not* the derivative of the returned cost. A
  finite-difference check of the code's own cost can see it.
- ``"cost"``: the cost itself is wrong and the gradient is its exact derivative (labels off by one,
  a regularized bias column in cost *and* gradient). Finite differences of that cost agree with the
  gradient, so no self-consistency check can see it; only an independent reference can (the JAX
  cost, which is written separately, and the known-value tests).

Checkers (:data:`CHECKERS`) each take a mutant and say whether they caught it and at what cost in
evaluations; :func:`detection_table` runs every checker on every mutant (plus the correct algorithm,
as a control that must pass everything), and ``gradtrio mutants`` prints the table.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._validate import check_problem, prepared_problem
from .backprop import sigmoid, softplus
from .model.closures import complex_sigmoid_softplus
from .network import debug_problem, one_hot, roll, unroll

__all__ = [
    "Mutant",
    "CATALOG",
    "CONTROL",
    "CheckResult",
    "CHECKERS",
    "KNOWN_VALUE_CASES",
    "known_value_failures",
    "judge_problem",
    "detection_table",
    "format_table",
    "add_cli_arguments",
    "run_from_cli",
]

Kind = Literal["gradient", "cost"]

#: The course's ``checkNNGradients`` network: 3 inputs, 5 hidden units, 3 labels, m = 5 examples.
DEBUG_SIZES = (3, 5, 3)
#: A network whose hidden-to-output matrix is square (4 × 4 without its bias column): the only
#: shape on which "Θ used transposed" runs at all (elsewhere NumPy raises a shape error).
SQUARE_SIZES = (4, 4, 4)
#: λ of the judging problems: the course checks its gradients with λ = 3 as well as λ = 0; every
#: regularization bug needs λ > 0 to show.
JUDGE_LAM = 3.0
JUDGE_M = 5


# --------------------------------------------------------------------------------------------------
# The mutants: one implementation with marked bug switches
# --------------------------------------------------------------------------------------------------


def _activate(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(g(z), softplus(z))``; complex ``z`` (the complex step) takes the complex-safe pair."""
    if np.iscomplexobj(z):
        return complex_sigmoid_softplus(z)
    return sigmoid(z), softplus(z)


def _backprop(
    mats: Sequence[np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    lam: float,
    bug: str | None = None,
    *,
    with_grad: bool = True,
) -> tuple[Any, list[np.ndarray] | None]:
    """Vectorized backprop on validated arrays, with at most one classic bug switched on.

    Parameters
    ----------
    mats : sequence of ndarray
        ``mats[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0; real or complex.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K), one-hot
    lam : float
    bug : str or None
        A key of :data:`CATALOG`, or None for the correct algorithm.
    with_grad : bool
        False: the cost only (complex-safe; this is what finite differences differentiate).

    Returns
    -------
    J : float or complex
    grads : list of ndarray or None
    """
    m = X.shape[0]
    if bug == "labels_off_by_one":  # BUG: class k scored as class k+1 (mod K), in cost and gradient
        Y = np.roll(Y, 1, axis=1)

    # Forward: a[l] is the activation of layer l+1 without its bias unit, z[l] feeds a[l+1].
    a, z = [X], []
    for T in mats:
        z.append(a[-1] @ T[:, 1:].T + T[:, 0])
        g, sp = _activate(z[-1])
        a.append(g)
    zL = z[-1]
    J = np.sum(sp - Y * zL) / m  # = mean over examples of -y log h - (1-y) log(1-h)
    reg_cols = slice(0, None) if bug == "bias_regularized_everywhere" else slice(1, None)  # BUG: bias in cost
    if lam:
        J = J + lam / (2 * m) * sum(np.sum(T[:, reg_cols] ** 2) for T in mats)
    if not with_grad:
        return J, None

    # Backward: δ(L) = a(L) - y;  Δ(l) = δ(l+1)ᵀ [1, a(l)];  δ(l) = (δ(l+1) Θ(l)[:, 1:]) .* g'(z(l)).
    delta = a[-1] - Y
    if bug == "output_delta_sign":  # BUG: δ(L) = y - a(L)
        delta = Y - a[-1]
    if bug == "output_delta_from_z":  # BUG: δ(L) = z(L) - y, the output sigmoid forgotten
        delta = zL - Y
    grads: list[np.ndarray] = [np.empty(0)] * len(mats)
    for l in range(len(mats) - 1, -1, -1):
        T = mats[l]
        acc_dtype = np.float32 if bug == "float32_accumulation" else T.dtype  # BUG: float32 buffer
        Delta = np.zeros(T.shape, dtype=acc_dtype)
        Delta[:, 0] += delta.sum(axis=0)
        if bug == "bias_grad_sum_no_axis":  # BUG: np.sum(delta) without axis=0
            Delta[:, 0] = delta.sum()
        Delta[:, 1:] += delta.T @ a[l]
        D = Delta if bug == "delta_not_divided_by_m" else Delta / m  # BUG: Δ not divided by m
        if lam:
            D = D.astype(T.dtype)  # a new array: the regularization below never writes into Δ
            if bug == "lambda_not_divided_by_m":  # BUG: λ Θ (the typo some course slides carry)
                D[:, 1:] += lam * T[:, 1:]
            elif bug == "lambda_over_2m_in_grad":  # BUG: the cost's λ/(2m) copied into the gradient
                D[:, 1:] += lam / (2 * m) * T[:, 1:]
            elif bug in ("bias_regularized_grad", "bias_regularized_everywhere"):  # BUG: bias column too
                D += lam / m * T
            else:
                D[:, 1:] += lam / m * T[:, 1:]
        grads[l] = np.asarray(D, dtype=T.dtype)
        if l == 0:
            break  # δ of the input layer is never needed
        W = T[:, 1:]  # drop the bias column: δ₀ never propagates
        if bug == "delta0_slice":  # BUG: Θ[:, :-1], the off-by-one slice (keeps bias, drops last unit)
            W = T[:, :-1]
        if bug == "theta_transposed":  # BUG: Θᵀ where Θ was meant; runs only when Θ[:, 1:] is square
            W = T[:, 1:].T
        back = delta @ W
        if bug == "gprime_missing":  # BUG: the g'(z) factor left out
            delta = back
        elif bug == "gprime_from_z":  # BUG: g' computed as z(1 - z) instead of a(1 - a)
            delta = back * (z[l - 1] * (1 - z[l - 1]))
        elif bug == "sigmoid_gradient_of_a":  # BUG: sigmoidGradient(a) instead of sigmoidGradient(z)
            g = sigmoid(a[l])
            delta = back * (g * (1 - g))
        else:
            delta = back * (a[l] * (1 - a[l]))
    return J, grads


@dataclass(frozen=True)
class Mutant:
    """One classic bug, callable as ``mutant(thetas, X, Y, lam) -> (J, grads)``.

    Attributes
    ----------
    name : str or None
        The key in :data:`CATALOG` (and the bug switch in :func:`_backprop`); None for
        :data:`CONTROL`, the correct algorithm.
    description : str
        The bug in one line.
    where : str
        Where it is classically made.
    kind : {"gradient", "cost"}
        See the module docstring.
    needs : tuple of str
        What a problem must have for the bug to show (``"lam>0"``, ``"m>1"``, ``"hidden layer"``,
        ``"square layer"``); it is judged on such a problem.
    judge_sizes : tuple of int
        Layer sizes of the problem the single-problem checkers judge it on.
    """

    name: str | None
    description: str
    where: str
    kind: Kind
    needs: tuple[str, ...] = ()
    judge_sizes: tuple[int, ...] = DEBUG_SIZES

    def cost_and_grad(
        self, thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0
    ) -> tuple[float, list[np.ndarray]]:
        """The mutant's cost and gradient; see :func:`gradtrio.backprop.cost_and_grad`."""
        mats, X, Y, lam, _ = prepared_problem(thetas, X, Y, lam)
        J, grads = _backprop(mats, X, Y, lam, self.name)
        return float(J), grads  # type: ignore[return-value]

    __call__ = cost_and_grad

    def cost(self, thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0) -> Any:
        """The mutant's own cost, the function its finite-difference checks differentiate.

        Complex ``thetas`` give a complex cost (the complex step); real ones a float.
        """
        mats, X, Y, lam = check_problem(thetas, X, Y, lam, allow_complex=True)
        dtype = np.result_type(X, *mats)
        real = np.finfo(dtype).dtype  # float64 for complex128
        J, _ = _backprop([T.astype(dtype, copy=False) for T in mats], X.astype(dtype, copy=False),
                         Y.astype(real, copy=False), lam, self.name, with_grad=False)
        return J if np.iscomplexobj(J) else float(J)


def _m(name: str, description: str, where: str, kind: Kind = "gradient", needs: tuple[str, ...] = (),
       judge_sizes: tuple[int, ...] = DEBUG_SIZES) -> tuple[str, Mutant]:
    return name, Mutant(name, description, where, kind, needs, judge_sizes)


#: The correct algorithm (no bug switched on): the control row, which every checker must pass.
CONTROL = Mutant(None, "no bug: the reference algorithm", "-", "gradient")

#: name → mutant; each is callable with the signature of :func:`gradtrio.backprop.cost_and_grad`.
CATALOG: dict[str, Mutant] = dict([
    _m("bias_regularized_grad", "(λ/m)Θ added to the bias column of the gradient too",
       "regularization, gradient: forgetting to zero Θ(:,1) before adding (λ/m)Θ", needs=("lam>0",)),
    _m("bias_regularized_everywhere", "bias column regularized in the cost and in the gradient",
       "regularization: sum(Θ.^2) over all columns, in cost and gradient alike", "cost", ("lam>0",)),
    _m("lambda_not_divided_by_m", "λΘ instead of (λ/m)Θ in the gradient",
       "regularization, gradient: the typo some course slides carry", needs=("lam>0", "m>1")),
    _m("lambda_over_2m_in_grad", "(λ/(2m))Θ in the gradient",
       "regularization, gradient: the cost's λ/(2m) copied without differentiating", needs=("lam>0",)),
    _m("delta_not_divided_by_m", "D = Δ instead of Δ/m",
       "accumulation: the average over examples forgotten", needs=("m>1",)),
    _m("gprime_missing", "δ(l) = δ(l+1)Θ(l) without the g'(z(l)) factor",
       "hidden-layer δ: the chain rule through the sigmoid dropped", needs=("hidden layer",)),
    _m("gprime_from_z", "g' computed as z(1-z) instead of a(1-a)",
       "hidden-layer δ: g(z)(1-g(z)) written with z in place of g(z)", needs=("hidden layer",)),
    _m("sigmoid_gradient_of_a", "sigmoidGradient(a) instead of sigmoidGradient(z)",
       "hidden-layer δ: the activation passed where the pre-activation was meant", needs=("hidden layer",)),
    _m("output_delta_sign", "δ(L) = y - a(L): sign flipped",
       "output δ: the derivative of -log h written with the wrong sign"),
    _m("output_delta_from_z", "δ(L) = z(L) - y: output sigmoid forgotten",
       "output δ: logits used in place of the output activation"),
    _m("delta0_slice", "Θ[:, :-1] instead of Θ[:, 1:]: δ₀ kept, last unit dropped",
       "hidden-layer δ: dropping the bias entry with an off-by-one slice", needs=("hidden layer",)),
    _m("theta_transposed", "δ(l+1)Θᵀ instead of δ(l+1)Θ (square layers only)",
       "hidden-layer δ: transposing Θ when translating Θᵀδ from column to row vectors",
       needs=("hidden layer", "square layer"), judge_sizes=SQUARE_SIZES),
    _m("bias_grad_sum_no_axis", "bias gradient np.sum(δ) without axis=0",
       "accumulation: NumPy sum over all entries instead of over examples"),
    _m("float32_accumulation", "Δ accumulated in a float32 buffer inside the float64 path",
       "accumulation: np.zeros(..., dtype=np.float32) or a buffer reused from float32 training"),
    _m("labels_off_by_one", "labels off by one: class k scored as class k+1",
       "labels: 1-based course labels (10 = digit 0) used as 0-based indices", "cost", ("K>=2",)),
])


# --------------------------------------------------------------------------------------------------
# Known values: cost and gradient values from sources independent of any code in gradtrio
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownValueCase:
    """A problem whose cost and/or gradient is known from an independent source.

    Attributes
    ----------
    name, source : str
        What it is, and where its numbers come from.
    thetas, X, Y, lam :
        The problem, in the usual conventions.
    J : float or None
        The known cost (None when the source gives none).
    grads : list of ndarray or None
        The known gradient, shaped as ``thetas``.
    rtol : float
        Relative tolerance per entry (``atol`` is ``rtol`` times the largest known entry).
    """

    name: str
    source: str
    thetas: list[np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    lam: float
    J: float | None
    grads: list[np.ndarray] | None
    rtol: float


#: Values computed in float64 from closed forms agree to a few ulps: 1e-12 leaves ~4 digits of
#: margin over float64 rounding (ε ≈ 2.2e-16) of a handful of operations, and is ~1e4 tighter than
#: float32 rounding (6e-8), so a float32 step inside the float64 path shows.
CLOSED_FORM_RTOL = 1e-12
#: The course printout has 5 significant digits: a half unit in the last digit is ≤ 5e-5 of the value.
PRINTOUT_RTOL = 5e-5 * 1.01


def _zero_weights_case() -> KnownValueCase:
    """All weights zero: every unit outputs g(0) = 1/2, so J = K log 2 whatever X, Y and λ.

    The gradient follows by hand from δ(L) = 1/2 - y: the output layer's is ``mean(1/2 - y)`` on
    the bias column and half that on the others (hidden activations are 1/2); the hidden layer's
    is zero, since δ is propagated through zero weights.
    """
    thetas, X, y = debug_problem(DEBUG_SIZES, JUDGE_M)
    K = DEBUG_SIZES[-1]
    Y = one_hot(y, K)
    d = (0.5 - Y).mean(axis=0)  # (K,)
    G2 = np.column_stack([d] + [0.5 * d] * DEBUG_SIZES[1])
    return KnownValueCase(
        "zero weights", "g(0) = 1/2 by hand: J = K log 2", [np.zeros_like(T) for T in thetas], X, Y,
        JUDGE_LAM, K * math.log(2.0), [np.zeros_like(thetas[0]), G2], CLOSED_FORM_RTOL)


def _hand_222_case(lam: float) -> KnownValueCase:
    """A 2→2→2 net worked by hand, at points where the course's sigmoid values are known.

    One example x = (1, 0) of class 0, given twice (m = 2, so a forgotten 1/m shows). Θ(1) puts the
    hidden pre-activations at z = (0, 1): a = (1/2, g(1)), g'(z) = (0.25, 0.196612) — the course's
    ``sigmoidGradient`` values. Θ(2) = [b | W] with W = [[1, -1], [0, 1]] (not symmetric, so a
    transposed Θ shows) and b = -W a chosen so the output logits are 0: h = (1/2, 1/2), J = 2 log 2
    plus the penalty. Then by the chain rule:
    δ(3) = h - y = (-1/2, 1/2); D(2) = δ(3) ⊗ [1, a]; δ(2) = (δ(3) W) .* g'(z) = (-1/2·0.25, 1·g'(1));
    D(1) = δ(2) ⊗ [1, x]; plus (λ/m) Θ on the non-bias columns.
    """
    g1 = 1.0 / (1.0 + math.exp(-1.0))
    gp1 = g1 * (1.0 - g1)  # 0.196612 in the course's sigmoidGradient table
    W1 = np.array([[0.0, 0.0], [1.0, 0.0]])
    W2 = np.array([[1.0, -1.0], [0.0, 1.0]])
    a = np.array([0.5, g1])
    T1 = np.column_stack([[0.0, 0.0], W1])
    T2 = np.column_stack([-W2 @ a, W2])
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    m = 2
    d3 = np.array([-0.5, 0.5])
    d2 = np.array([-0.5 * 0.25, 1.0 * gp1])
    G1 = np.outer(d2, [1.0, 1.0, 0.0])
    G2 = np.outer(d3, [1.0, 0.5, g1])
    G1[:, 1:] += lam / m * W1
    G2[:, 1:] += lam / m * W2
    J = 2 * math.log(2.0) + lam / (2 * m) * (np.sum(W1**2) + np.sum(W2**2))
    return KnownValueCase(f"2-2-2 by hand, λ={lam:g}", "chain rule by hand, g'(0)=0.25, g'(1)=0.196612",
                          [T1, T2], X, Y, lam, float(J), [G1, G2], CLOSED_FORM_RTOL)


# The course's checkNNGradients printout (ex4) on its debugging problem, sizes (3, 5, 3), m = 5:
# the numerical gradient, 5 significant digits, unrolled column-major as MATLAB's (:) does.
_COURSE_GRAD_LAM0 = [
    -9.2783e-03, 8.8991e-03, -8.3601e-03, 7.6281e-03, -6.7480e-03, -3.0498e-06, 1.4287e-05, -2.5938e-05,
    3.6988e-05, -4.6876e-05, -1.7506e-04, 2.3315e-04, -2.8747e-04, 3.3532e-04, -3.7622e-04, -9.6266e-05,
    1.1798e-04, -1.3715e-04, 1.5325e-04, -1.6656e-04, 3.1454e-01, 1.1106e-01, 9.7401e-02, 1.6409e-01,
    5.7574e-02, 5.0458e-02, 1.6457e-01, 5.7787e-02, 5.0753e-02, 1.5834e-01, 5.5924e-02, 4.9162e-02,
    1.5113e-01, 5.3697e-02, 4.7146e-02, 1.4957e-01, 5.3154e-02, 4.6560e-02,
]
# The same printout with λ = 3 (the bias entries, 1-5 and 21-23, are unchanged, as they must be).
_COURSE_GRAD_LAM3 = [
    -9.2783e-03, 8.8991e-03, -8.3601e-03, 7.6281e-03, -6.7480e-03, -1.6768e-02, 3.9433e-02, 5.9336e-02,
    2.4764e-02, -3.2688e-02, -6.0174e-02, -3.1961e-02, 2.4923e-02, 5.9772e-02, 3.8641e-02, -1.7370e-02,
    -5.7566e-02, -4.5196e-02, 9.1459e-03, 5.4610e-02, 3.1454e-01, 1.1106e-01, 9.7401e-02, 1.1868e-01,
    3.8193e-05, 3.3693e-02, 2.0399e-01, 1.1715e-01, 7.5480e-02, 1.2570e-01, -4.0759e-03, 1.6968e-02,
    1.7634e-01, 1.1313e-01, 8.6163e-02, 1.3229e-01, -4.5296e-03, 1.5005e-03,
]


def _course_case(lam: float, printed: list[float]) -> KnownValueCase:
    thetas, X, y = debug_problem(DEBUG_SIZES, JUDGE_M)
    grads, start = [], 0
    for T in thetas:  # the printout is column-major per matrix (MATLAB's Theta1_grad(:))
        grads.append(np.array(printed[start:start + T.size]).reshape(T.shape, order="F"))
        start += T.size
    return KnownValueCase(f"course debug net, λ={lam:g}", "ex4 checkNNGradients printout (5 digits)",
                          thetas, X, one_hot(y, DEBUG_SIZES[-1]), lam, None, grads, PRINTOUT_RTOL)


#: Every known-value case the ``known values`` checker runs.
KNOWN_VALUE_CASES: list[KnownValueCase] = [
    _zero_weights_case(),
    _hand_222_case(0.0),
    _hand_222_case(1.0),
    _course_case(0.0, _COURSE_GRAD_LAM0),
    _course_case(3.0, _COURSE_GRAD_LAM3),
]


def known_value_failures(fn: Callable[..., tuple[float, list[np.ndarray]]]) -> list[str]:
    """Run ``fn`` on every known-value case; describe each case it gets wrong.

    Parameters
    ----------
    fn : callable
        ``fn(thetas, X, Y, lam) -> (J, grads)``.

    Returns
    -------
    list of str
        One line per failed case (empty when all pass). A raised exception counts as a failure.
    """
    out = []
    for case in KNOWN_VALUE_CASES:
        try:
            J, grads = fn(case.thetas, case.X, case.Y, case.lam)
        except Exception as exc:  # a crash is a failure the test would report
            out.append(f"{case.name}: raised {type(exc).__name__}: {exc}")
            continue
        if case.J is not None and not math.isclose(J, case.J, rel_tol=case.rtol, abs_tol=0.0):
            out.append(f"{case.name}: J = {J!r}, expected {case.J!r} ({case.source})")
        if case.grads is not None:
            for l, (G, E) in enumerate(zip(grads, case.grads)):
                atol = case.rtol * float(np.max(np.abs(E), initial=1.0))
                err = np.abs(np.asarray(G) - E) - (case.rtol * np.abs(E) + atol)
                if not np.all(err <= 0):
                    i, j = np.unravel_index(int(np.argmax(err)), E.shape)
                    out.append(f"{case.name}: dJ/dTheta({l + 1})[{i}, {j}] = {float(G[i, j])!r}, expected "
                               f"{float(E[i, j])!r} ({case.source})")
                    break
    return out


# --------------------------------------------------------------------------------------------------
# Checkers: each takes a mutant and says whether it caught it, and at what cost
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """What one checker concluded about one mutant.

    Attributes
    ----------
    detected : bool
        The checker flagged a bug (on the control row, a detection is a false alarm).
    evaluations : int
        Calls of the code under test (its cost, or its cost and gradient) plus reference evaluations
        (JAX); for the Hypothesis checker, the median number of examples to the first failure.
    note : str
        The first failure, briefly (or why nothing was found).
    crash : bool
        The detection was an exception raised by the code under test (e.g. a shape error), not a
        wrong number.
    """

    detected: bool
    evaluations: int
    note: str = ""
    crash: bool = False


Problem = tuple[list[np.ndarray], np.ndarray, np.ndarray, float]


def judge_problem(mutant: Mutant) -> Problem:
    """The course's debugging problem on ``mutant.judge_sizes``, m = 5, λ = 3: one where the bug shows.

    Returns
    -------
    thetas, X, Y, lam
        ``debug_problem`` weights and inputs, one-hot labels ``y_i = i mod K``.
    """
    thetas, X, y = debug_problem(mutant.judge_sizes, JUDGE_M)
    return thetas, X, one_hot(y, mutant.judge_sizes[-1]), JUDGE_LAM


class _Counted:
    """The mutant's cost and gradient as flat-vector functions, counting every call."""

    def __init__(self, mutant: Mutant, problem: Problem):
        self.mutant = mutant
        thetas, self.X, self.Y, self.lam = problem
        self.sizes = (thetas[0].shape[1] - 1,) + tuple(T.shape[0] for T in thetas)
        self.theta = unroll(thetas)
        self.calls = 0

    def cost(self, v: np.ndarray) -> Any:
        self.calls += 1
        return self.mutant.cost(roll(v, self.sizes), self.X, self.Y, self.lam)

    def cost_and_grad(self) -> tuple[float, np.ndarray]:
        self.calls += 1
        J, grads = self.mutant(roll(self.theta, self.sizes), self.X, self.Y, self.lam)
        return J, unroll(grads)


def _compare(a: np.ndarray, b: np.ndarray, bound: np.ndarray, sizes: Sequence[int], method: str) -> str:
    """'' when two flat gradients agree entry by entry within ``bound`` (shape ``(n,)``), else the worst layer.

    The rule of :func:`gradtrio.check.compare_gradients`: an entry disagrees when ``|a − b|`` exceeds
    the sum of the two methods' error bounds measured on the problem."""
    from .check import judge_layer

    for l, (A, B, E) in enumerate(zip(roll(a, sizes), roll(b, sizes), roll(bound, sizes))):
        max_abs, ratio, _, _ = judge_layer(A, B, E, float(np.finfo(np.float64).eps))
        if ratio > 1:
            return f"Theta({l + 1}): vs {method}, max |a-b| {max_abs:.2g} is {ratio:.2g} x its measured bound"
    return ""


def _compare_cost(J: float, J_ref: float, scale: float) -> str:
    """'' when the cost agrees with the JAX cost within both sides' rounding, ``2·ANALYTIC_SAFETY·ε·S_J``
    (``scale`` is ``S_J`` of :func:`gradtrio.rounding.rounding_scales`)."""
    from .tolerances import ANALYTIC_SAFETY

    if abs(J - J_ref) <= 2 * ANALYTIC_SAFETY * float(np.finfo(np.float64).eps) * max(scale, abs(J_ref)):
        return ""
    return f"cost {J:.6g} vs JAX {J_ref:.6g}"


def _vs_references(mutant: Mutant, problem: Problem, methods: tuple[str, ...], seed: int = 0) -> str:
    """The project's comparison (:func:`gradtrio.check.compare_gradients`) with the mutant as reference.

    Also compares the cost with the JAX cost. Returns '' when everything agrees, else the failures.
    """
    from . import autodiff
    from .check import compare_gradients
    from .rounding import rounding_scales

    thetas, X, Y, lam = problem
    J, grads = mutant(thetas, X, Y, lam)
    why = _compare_cost(J, autodiff.cost(thetas, X, Y, lam), rounding_scales(thetas, X, Y, lam).cost)
    report = compare_gradients(thetas, X, Y, lam, ("code",) + methods, seed=seed,
                               custom={"code": lambda *_: grads})
    fails = report.failures()
    return "; ".join(filter(None, [why, fails[0].describe() if fails else ""]))


def _guarded(check: Callable[[Mutant], CheckResult]) -> Callable[[Mutant], CheckResult]:
    """A checker that counts an exception raised by the code under test as a detection (a crash)."""

    def run(mutant: Mutant) -> CheckResult:
        try:
            return check(mutant)
        except Exception as exc:
            return CheckResult(True, 1, f"crash: {type(exc).__name__}: {str(exc)[:80]}", crash=True)

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    return run


def _full_gradient_check(mutant: Mutant, method: str) -> CheckResult:
    """The mutant's gradient against the full numerical gradient (``method``) of its own cost, entry by
    entry against measured bounds (:mod:`gradtrio.measured`, :mod:`gradtrio.rounding`)."""
    from .finite_diff import complex_step_gradient
    from .measured import bounded_difference
    from .rounding import rounding_scales
    from .tolerances import ANALYTIC_SAFETY

    problem = judge_problem(mutant)
    c = _Counted(mutant, problem)
    _, g = c.cost_and_grad()
    scales = rounding_scales(*problem)
    exact = ANALYTIC_SAFETY * scales.grad_error()
    if method == "complex":
        numeric, error = complex_step_gradient(c.cost, c.theta), exact
    else:
        res = bounded_difference(c.cost, c.theta, step_scale=scales.flat_sensitivity(), noise_floor=scales.cost_error())
        numeric, error = res.grad, res.error
    why = _compare(g, numeric, exact + error, c.sizes, method)
    return CheckResult(bool(why), c.calls, why)


@_guarded
def check_central(mutant: Mutant) -> CheckResult:
    """Full central differences of the mutant's own cost (the course's checkNNGradients): 2n evaluations."""
    return _full_gradient_check(mutant, "central")


@_guarded
def check_directional(mutant: Mutant) -> CheckResult:
    """``gᵀv`` against central differences of the mutant's own cost along k random directions."""
    from .finite_diff import directional_check

    c = _Counted(mutant, judge_problem(mutant))
    _, g = c.cost_and_grad()
    res = directional_check(g, c.cost, c.theta, k=DIRECTIONS, seed=0)
    off = int(np.sum(res.ratio > 1))
    failed = res.verdict == "fail"
    why = f"{off}/{DIRECTIONS} directions off (worst ratio {res.ratio.max():.2g})" if failed else ""
    return CheckResult(failed, c.calls, why)


@_guarded
def check_complex(mutant: Mutant) -> CheckResult:
    """Complex-step gradient of the mutant's own cost (exact to rounding): n evaluations + 6 (safety)."""
    return _full_gradient_check(mutant, "complex")


@_guarded
def check_autodiff(mutant: Mutant) -> CheckResult:
    """Cost and gradient against ``jax.grad`` of the independently written JAX cost: 2 evaluations."""
    why = _vs_references(mutant, judge_problem(mutant), ("autodiff",))
    return CheckResult(bool(why), 2, why)


@_guarded
def check_known_values(mutant: Mutant) -> CheckResult:
    """Cost and gradient values with an independent source (:data:`KNOWN_VALUE_CASES`)."""
    fails = known_value_failures(mutant)
    return CheckResult(bool(fails), len(KNOWN_VALUE_CASES), fails[0] if fails else "")


#: Random directions of the directional check (its documented default).
DIRECTIONS = 10

#: Architectures the Hypothesis strategy draws from: no hidden layer, the course's debug net, a
#: square one (the only kind on which "Θ transposed" runs), deeper ones. A fixed menu keeps the number
#: of shapes JAX compiles for small (each new shape costs ~0.15 s of jit on this machine's CPU).
HYPOTHESIS_ARCHS = ((2, 3), (3, 5, 3), (2, 3, 2), (3, 3, 3), (2, 4, 3, 2), (2, 2, 2, 2))
#: Example counts drawn: m = 1 hides the 1/m bugs, the others show them.
HYPOTHESIS_M = (1, 2, 5)


def problems() -> Any:
    """Hypothesis strategy of ``(thetas, X, Y, lam)`` problems for the three-way property.

    Sizes from :data:`HYPOTHESIS_ARCHS`, m from :data:`HYPOTHESIS_M`, λ = 0 or uniform in
    [0.01, 10], weights uniform in [-1, 1], X uniform in [-1, 1], random labels. (Hypothesis is
    imported here, on first use, so that ``import gradtrio.mutants`` stays quick.)
    """
    from hypothesis import strategies as st

    from .network import init_weights

    @st.composite
    def problem(draw: Any) -> Problem:
        sizes = draw(st.sampled_from(HYPOTHESIS_ARCHS))
        m = draw(st.sampled_from(HYPOTHESIS_M))
        lam = draw(st.one_of(st.just(0.0), st.floats(0.01, 10.0)))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        thetas = init_weights(sizes, rng, epsilon_init=1.0)
        X = rng.uniform(-1.0, 1.0, size=(m, sizes[0]))
        Y = one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
        return thetas, X, Y, lam

    return problem()


def three_way_failure(mutant: Mutant, problem: Problem, seed: int = 0) -> str:
    """The three-way property on one problem: '' when it holds, else what failed.

    The project's comparison with the mutant in place of backprop: its gradient against JAX
    autodiff (to rounding) and against central differences of the cost along random directions
    (:func:`gradtrio.check.compare_gradients` with ``"autodiff"`` and ``"directional"``), and its
    cost against the JAX cost.
    """
    return _vs_references(mutant, problem, ("autodiff", "directional"), seed)


def examples_to_failure(mutant: Mutant, seed: int, max_examples: int) -> tuple[int | None, str]:
    """Run the three-way property under Hypothesis; how many examples until the first failure.

    Parameters
    ----------
    mutant : Mutant
    seed : int
        Hypothesis's random seed (``hypothesis.seed``); no example database, no shrinking.
    max_examples : int

    Returns
    -------
    n : int or None
        The number of examples generated up to and including the first failing one (None: none
        failed in ``max_examples``).
    why : str
        The first failure.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    state: dict[str, Any] = {"n": 0, "first": None, "why": ""}

    @hypothesis_seed(seed)
    @settings(database=None, max_examples=max_examples, derandomize=False, phases=[Phase.generate],
              deadline=None, report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    @given(problems())
    def prop(problem: Problem) -> None:
        if state["first"] is not None:  # the replay of the failing example: fail again, cheaply
            raise AssertionError(state["why"])
        state["n"] += 1
        try:
            why = three_way_failure(mutant, problem, seed)
        except Exception as exc:  # a crash of the code under test is a failure the suite reports
            why = f"crash: {type(exc).__name__}: {str(exc)[:80]}"
        if why:
            state["first"], state["why"] = state["n"], why
            raise AssertionError(why)

    try:
        prop()
    except AssertionError:
        pass
    return state["first"], state["why"]


def make_hypothesis_checker(seeds: int, max_examples: int) -> Callable[[Mutant], CheckResult]:
    """The Hypothesis checker: detected when every seed finds a failure; evaluations = median examples."""

    def check_hypothesis(mutant: Mutant) -> CheckResult:
        runs = [examples_to_failure(mutant, s, max_examples) for s in range(seeds)]
        found = [n for n, _ in runs if n is not None]
        median = statistics.median([n if n is not None else max_examples for n, _ in runs])
        why = next((w for _, w in runs if w), f"no failure in {max_examples} examples")
        crash = bool(found) and all(w.startswith("crash") for n, w in runs if n is not None)
        return CheckResult(len(found) == seeds, int(math.ceil(median)),
                           f"found in {len(found)}/{seeds} seeds; {why}", crash)

    return check_hypothesis


def checkers(seeds: int = 5, max_examples: int = 50) -> dict[str, Callable[[Mutant], CheckResult]]:
    """Every checker, by column name, in table order.

    Parameters
    ----------
    seeds, max_examples : int
        Budget of the Hypothesis checker (median over ``seeds`` runs of at most ``max_examples``).
    """
    return {
        "central": check_central,
        "directional": check_directional,
        "complex": check_complex,
        "autodiff": check_autodiff,
        "hypothesis": make_hypothesis_checker(seeds, max_examples),
        "known values": check_known_values,
    }


#: Checker name → function ``mutant -> CheckResult``, with the default Hypothesis budget.
CHECKERS = checkers()


# --------------------------------------------------------------------------------------------------
# The detection table and the command line
# --------------------------------------------------------------------------------------------------

#: Budgets: the full table (README) and --quick (the test suite, CI).
FULL_BUDGET = {"seeds": 5, "max_examples": 50}
QUICK_BUDGET = {"seeds": 2, "max_examples": 15}


@dataclass
class Row:
    """One line of the detection table: a mutant and every checker's result on it."""

    name: str
    description: str
    where: str
    kind: str
    needs: tuple[str, ...]
    judged_on: str
    results: dict[str, CheckResult] = field(default_factory=dict)


def _judged_on(mutant: Mutant) -> str:
    return f"{'-'.join(map(str, mutant.judge_sizes))}, m={JUDGE_M}, λ={JUDGE_LAM:g}"


def detection_table(
    mutants: dict[str, Mutant] | None = None,
    *,
    seeds: int = FULL_BUDGET["seeds"],
    max_examples: int = FULL_BUDGET["max_examples"],
    include_control: bool = True,
    checks: dict[str, Callable[[Mutant], CheckResult]] | None = None,
    progress: Callable[[int, int, str, str], None] | None = None,
) -> list[Row]:
    """Run every checker on every mutant.

    Parameters
    ----------
    mutants : dict, optional
        Name → mutant; by default :data:`CATALOG`.
    seeds, max_examples : int
        The Hypothesis checker's budget.
    include_control : bool
        Put the correct algorithm first, as a control row (every checker must pass it).
    checks : dict, optional
        Column name → checker (``mutant -> CheckResult``); by default :func:`checkers` with the
        given budget. Add columns here to measure another checker on the same catalog.
    progress : callable ``(done, total, mutant, checker) -> None``, optional
        Called before each check runs (``done`` checks finished of ``total``), and once at the end
        with ``done == total`` and empty names: ``gradtrio mutants`` draws its progress with it.

    Returns
    -------
    list of Row
    """
    chosen = dict(CATALOG if mutants is None else mutants)
    if include_control:
        chosen = {"(control: correct)": CONTROL, **chosen}
    checks = checkers(seeds, max_examples) if checks is None else checks
    rows = []
    total, done = len(chosen) * len(checks), 0
    for name, mutant in chosen.items():
        row = Row(name, mutant.description, mutant.where, mutant.kind if mutant.name else "-",
                  mutant.needs, _judged_on(mutant))
        for cname, check in checks.items():
            if progress is not None:
                progress(done, total, name, cname)
            row.results[cname] = check(mutant)
            done += 1
        rows.append(row)
    if progress is not None:
        progress(total, total, "", "")
    return rows


def _cell(r: CheckResult) -> str:
    return f"{'**caught**' if r.detected else 'missed'} ({r.evaluations}{', crash' if r.crash else ''})"


def format_table(rows: Sequence[Row]) -> str:
    """The detection table as Markdown: one row per mutant, one column per checker.

    A cell reads ``caught (n)`` or ``missed (n)``: n is the number of evaluations spent (for
    Hypothesis, the median number of examples to the first failure); ``crash`` marks a detection by
    an exception rather than a wrong number. On the control row, "caught" would be a false alarm.
    """
    names = list(rows[0].results) if rows else []
    head = ["mutant", "kind", "shows only with"] + names
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        needs = ", ".join(r.needs) or "any problem"
        if not r.judged_on.startswith(_judged_on(CONTROL)):
            needs += f" (judged on {r.judged_on.split(',')[0]})"
        cells = [f"`{r.name}`" if r.kind != "-" else r.name, r.kind, needs]
        cells += [_cell(r.results[n]) for n in names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_to_dict(rows: Sequence[Row], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The table as plain data (for ``--json``)."""
    out_rows = []
    for r in rows:
        d = asdict(r)
        d["needs"] = list(r.needs)
        out_rows.append(d)
    return {"meta": meta or {}, "rows": out_rows}


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces a run (options in a fixed order)."""
    parts = ["gradtrio mutants"]
    parts += ["--quick"] if args.quick else []
    parts += [f"--seeds {args.seeds}"] if args.seeds is not None else []
    parts += [f"--max-examples {args.max_examples}"] if args.max_examples is not None else []
    parts += ["--only " + " ".join(args.only)] if args.only else []
    parts += ["--json"] if args.json else []
    return " ".join(parts)


def _meta(command: str, seeds: int, max_examples: int, seconds: float) -> dict[str, Any]:
    import numpy

    return {
        "command": command,
        "hypothesis_seeds": seeds,
        "hypothesis_max_examples": max_examples,
        "judge_problems": "course debug net (3-5-3; 4-4-4 for theta_transposed), m=5, λ=3",
        "machine": (f"{platform.machine()}, {platform.system()} {platform.release()}, "
                    f"Python {platform.python_version()}"),
        "numpy": numpy.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": round(seconds, 1),
    }


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``gradtrio mutants`` on ``parser``."""
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"Hypothesis seeds per mutant (default {FULL_BUDGET['seeds']}, "
                             f"--quick {QUICK_BUDGET['seeds']})")
    parser.add_argument("--max-examples", type=int, default=None,
                        help=f"Hypothesis examples per seed (default {FULL_BUDGET['max_examples']}, "
                             f"--quick {QUICK_BUDGET['max_examples']})")
    parser.add_argument("--quick", action="store_true", help="a small Hypothesis budget (CI)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(CATALOG),
                        help="run only these mutants (default: the whole catalog)")


def run_from_cli(args: argparse.Namespace,
                 progress: Callable[[int, int, str, str], None] | None = None) -> int:
    """Run ``gradtrio mutants``: print the detection table; exit status 1 on a false alarm.

    A false alarm is a checker flagging the correct algorithm (the control row): the table would
    then measure nothing. ``progress`` is passed to :func:`detection_table`.
    """
    budget = QUICK_BUDGET if args.quick else FULL_BUDGET
    seeds = args.seeds if args.seeds is not None else budget["seeds"]
    max_examples = args.max_examples if args.max_examples is not None else budget["max_examples"]
    for name, v in (("--seeds", seeds), ("--max-examples", max_examples)):
        if v < 1:
            raise SystemExit(f"gradtrio mutants: {name} must be >= 1; got {v}")
    chosen = {n: CATALOG[n] for n in args.only} if args.only else None
    t0 = time.perf_counter()
    rows = detection_table(chosen, seeds=seeds, max_examples=max_examples, progress=progress)
    meta = _meta(_command(args), seeds, max_examples, time.perf_counter() - t0)
    if args.json:
        print(json.dumps(table_to_dict(rows, meta), indent=2, ensure_ascii=False))
    else:
        print(format_table(rows))
        print(f"\n{meta['command']}: {meta['machine']}, numpy {meta['numpy']}, {meta['date']}, "
              f"{meta['seconds']} s. Cells: caught/missed (evaluations; Hypothesis: median examples to "
              f"the first failure over {seeds} seeds, at most {max_examples} each).")
    control = rows[0].results
    alarms = [n for n, r in control.items() if r.detected]
    if alarms:
        print(f"FALSE ALARM on the correct algorithm: {', '.join(alarms)}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gradtrio.mutants``: the same as ``gradtrio mutants``."""
    parser = argparse.ArgumentParser(prog="gradtrio mutants", description=__doc__.splitlines()[0])
    add_cli_arguments(parser)
    return run_from_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
