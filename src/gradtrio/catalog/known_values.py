"""Known values: costs and gradients from sources independent of any code in gradtrio.

Closed forms (all weights zero: J = K log 2), a 2→2→2 net worked by hand at the points of the
course's ``sigmoidGradient`` table, and the course's ``checkNNGradients`` printout of its debugging
net. :func:`known_value_failures` runs an implementation on every case of :data:`KNOWN_VALUE_CASES`
(the ``known values`` checker of the detection study); the tests that check these numbers use the
cases from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..network import debug_problem, one_hot
from .bugs import DEBUG_SIZES, JUDGE_LAM, JUDGE_M

__all__ = [
    "KnownValueCase",
    "KNOWN_VALUE_CASES",
    "CLOSED_FORM_RTOL",
    "PRINTOUT_RTOL",
    "COURSE_SIGMOID_GRADIENT",
    "COURSE_SIGMOID_GRADIENT_ATOL",
    "zero_weights_case",
    "TEXTBOOK_UNITS",
    "CHAIN_RULE_Z",
    "SOFTMAX_SHIFT",
    "chain_rule_case",
    "known_value_cases",
    "known_value_failures",
]


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

#: The course's ``sigmoidGradient`` values (ex4 handout, ``sigmoidGradient([-1 -0.5 0 0.5 1])``),
#: z → g'(z) = g(z)(1 - g(z)), printed to 6 decimals.
COURSE_SIGMOID_GRADIENT = {-1.0: 0.196612, -0.5: 0.235004, 0.0: 0.25, 0.5: 0.235004, 1.0: 0.196612}
#: Half a unit in the 6th decimal: how far the exact g'(z) may be from the printed value.
COURSE_SIGMOID_GRADIENT_ATOL = 5e-7


def zero_weights_case(sizes: Sequence[int] = DEBUG_SIZES, m: int = JUDGE_M, lam: float = JUDGE_LAM
                      ) -> KnownValueCase:
    """All weights zero: every unit outputs g(0) = 1/2, so J = K log 2 whatever X, Y and λ.

    The gradient follows by hand from δ(L) = 1/2 - y: the output layer's is ``mean(1/2 - y)`` on
    the bias column and half that on the others (hidden activations are 1/2); every earlier layer's
    is zero, since δ is propagated through zero weights. The data are the course's debugging problem
    (:func:`gradtrio.network.debug_problem`) on ``sizes``, which need a hidden layer.
    """
    sizes = tuple(sizes)
    if len(sizes) < 3:
        raise ValueError(f"the zero-weights gradient is worked out for nets with a hidden layer; got sizes {sizes}")
    thetas, X, y = debug_problem(sizes, m)
    K = sizes[-1]
    Y = one_hot(y, K)
    d = (0.5 - Y).mean(axis=0)  # (K,)
    G_last = np.column_stack([d] + [0.5 * d] * sizes[-2])
    return KnownValueCase(
        "zero weights", "g(0) = 1/2 by hand: J = K log 2", [np.zeros_like(T) for T in thetas], X, Y,
        lam, K * math.log(2.0), [np.zeros_like(T) for T in thetas[:-1]] + [G_last], CLOSED_FORM_RTOL)


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
    d2 = np.array([-0.5 * COURSE_SIGMOID_GRADIENT[0.0], 1.0 * gp1])
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


#: Every known-value case the ``known values`` checker runs on the default network (sigmoid hidden
#: layers, sigmoid outputs with the course's cross-entropy).
KNOWN_VALUE_CASES: list[KnownValueCase] = [
    zero_weights_case(),
    _hand_222_case(0.0),
    _hand_222_case(1.0),
    _course_case(0.0, _COURSE_GRAD_LAM0),
    _course_case(3.0, _COURSE_GRAD_LAM3),
]


def _erf_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


#: The textbook definitions of each hidden unit and its derivative, z → (g(z), g'(z)), in scalar
#: ``math`` (written from the definitions, not from :mod:`gradtrio.model.activations`): leaky ReLU of
#: slope 0.01 and ELU of α = 1 as PyTorch's defaults, GELU in its exact form z Φ(z).
TEXTBOOK_UNITS: dict[str, Callable[[float], tuple[float, float]]] = {
    "sigmoid": lambda z: (1 / (1 + math.exp(-z)), math.exp(-z) / (1 + math.exp(-z)) ** 2),
    "identity": lambda z: (z, 1.0),
    "tanh": lambda z: (math.tanh(z), 1 / math.cosh(z) ** 2),
    "relu": lambda z: (max(z, 0.0), 1.0 if z > 0 else 0.0),
    "leaky_relu": lambda z: (z if z > 0 else 0.01 * z, 1.0 if z > 0 else 0.01),
    "elu": lambda z: (z if z > 0 else math.expm1(z), 1.0 if z > 0 else math.exp(z)),
    "softplus": lambda z: (math.log1p(math.exp(z)), 1 / (1 + math.exp(-z))),
    "gelu": lambda z: (z * _erf_cdf(z), _erf_cdf(z) + z * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)),
}
#: The hidden pre-activations of :func:`chain_rule_case`: one unit on each side of 0, away from the kinks
#: of ReLU and leaky ReLU (so a derivative wrong on either branch shows, and no convention is involved).
CHAIN_RULE_Z = (0.5, -0.5)
#: Logit shift of the softmax case that checks stability: far past e^709, where an unshifted
#: exponential overflows; the softmax and its cross-entropy are invariant under it.
SOFTMAX_SHIFT = 800.0


def chain_rule_case(activation: str, output: str, lam: float, shift: float = 0.0) -> KnownValueCase:
    """A 2→2→2 net worked by hand for any hidden unit and output, at logits where the output is known.

    One example x = (1, 0) of class 0, given twice (m = 2). Θ(1) = [b | W1], W1 = [[0, 0], [1, 0]],
    b = (0.5, -1.5): the hidden pre-activations are z = (0.5, -0.5), a = g(z), g'(z) from
    :data:`TEXTBOOK_UNITS`. Θ(2) = [b2 | W2], W2 = [[1, -1], [0, 1]] (not symmetric), b2 = -W2 a + shift:
    every logit is ``shift`` (1/2 for the identity output). So h = (1/2, 1/2) for all three outputs:
    J = 2 log 2 for the sigmoid, log 2 for the softmax whatever the shift, 2·½(1/2)²= 1/4 for the
    identity with squared error (a logit of 1/2, not 0, where a wrongly applied g'(z) of a hidden unit
    would often be 1); then
    δ(3) = h - y; D(2) = δ(3) ⊗ [1, a]; δ(2) = (δ(3) W2) .* g'(z); D(1) = δ(2) ⊗ [1, x]; plus (λ/m)Θ on
    the non-bias columns and λ/(2m) ΣΘ² in the cost.
    """
    activation = "sigmoid" if activation == "logistic" else activation  # scikit-learn's name for it
    if shift and output != "softmax":
        raise ValueError(f"only the softmax is invariant under a logit shift; got output {output!r}")
    unit = TEXTBOOK_UNITS[activation]
    a = np.array([unit(z)[0] for z in CHAIN_RULE_Z])
    gp = np.array([unit(z)[1] for z in CHAIN_RULE_Z])
    W1 = np.array([[0.0, 0.0], [1.0, 0.0]])
    W2 = np.array([[1.0, -1.0], [0.0, 1.0]])
    T1 = np.column_stack([np.array(CHAIN_RULE_Z) - W1 @ [1.0, 0.0], W1])
    logit = shift if output != "identity" else 0.5
    T2 = np.column_stack([-W2 @ a + logit, W2])
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    m = 2
    h, J = {"sigmoid": ((0.5, 0.5), 2 * math.log(2.0)), "softmax": ((0.5, 0.5), math.log(2.0)),
            "identity": ((0.5, 0.5), 0.25)}[output]
    d3 = np.array(h) - Y[0]
    d2 = (d3 @ W2) * gp
    G1 = np.outer(d2, [1.0, 1.0, 0.0])
    G2 = np.outer(d3, np.concatenate([[1.0], a]))
    G1[:, 1:] += lam / m * W1
    G2[:, 1:] += lam / m * W2
    J += lam / (2 * m) * (np.sum(W1**2) + np.sum(W2**2))
    shifted = f", logits +{shift:g}" if shift else ""
    return KnownValueCase(f"2-2-2 {activation}, {output} output by hand, λ={lam:g}{shifted}",
                          "chain rule by hand, textbook g and g' at z = ±0.5", [T1, T2], X, Y, lam, float(J),
                          [G1, G2], CLOSED_FORM_RTOL)


def known_value_cases(activation: str = "sigmoid", output: str = "sigmoid") -> list[KnownValueCase]:
    """The known-value cases of one network: :data:`KNOWN_VALUE_CASES` for the default one (sigmoid,
    sigmoid output); for any other, :func:`chain_rule_case` at λ = 0 and λ = 1, and for a softmax
    output also at logits shifted by :data:`SOFTMAX_SHIFT` (where an unshifted softmax overflows)."""
    if (activation, output) in (("sigmoid", "sigmoid"), ("logistic", "sigmoid")):
        return KNOWN_VALUE_CASES
    cases = [chain_rule_case(activation, output, 0.0), chain_rule_case(activation, output, 1.0)]
    if output == "softmax":
        cases.append(chain_rule_case(activation, output, 1.0, SOFTMAX_SHIFT))
    return cases


def known_value_failures(fn: Callable[..., tuple[float, list[np.ndarray]]], activation: str = "sigmoid",
                         output: str = "sigmoid") -> list[str]:
    """Run ``fn`` on every known-value case of a network; describe each case it gets wrong.

    Parameters
    ----------
    fn : callable
        ``fn(thetas, X, Y, lam) -> (J, grads)``, computing the network of ``activation`` and ``output``.
    activation, output : str
        The network whose cases to run (:func:`known_value_cases`); by default the course's.

    Returns
    -------
    list of str
        One line per failed case (empty when all pass). A raised exception counts as a failure, and
        so does a write into the arguments: ``fn`` gets copies, so the cases stay as they are.
    """
    out = []
    for case in known_value_cases(activation, output):
        thetas, X, Y = [t.copy() for t in case.thetas], case.X.copy(), case.Y.copy()
        try:
            J, grads = fn(thetas, X, Y, case.lam)
        except Exception as exc:  # a crash is a failure the test would report
            out.append(f"{case.name}: raised {type(exc).__name__}: {exc}")
            continue
        changed = [f"Theta({l + 1})" for l, (t, c) in enumerate(zip(thetas, case.thetas)) if not np.array_equal(t, c)]
        changed += [name for name, a, c in (("X", X, case.X), ("Y", Y, case.Y)) if not np.array_equal(a, c)]
        if changed:
            out.append(f"{case.name}: wrote into its arguments ({', '.join(changed)} changed by the call)")
        if not (np.isfinite(J) and all(np.all(np.isfinite(G)) for G in grads)):
            out.append(f"{case.name}: non-finite cost or gradient (J = {J!r}) on a finite problem")
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
