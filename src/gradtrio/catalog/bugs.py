"""The bug catalog: classic backpropagation bugs, each a switch in one readable implementation.

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
  cost, which is written separately, and the known values of :mod:`gradtrio.catalog.known_values`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..backprop import sigmoid
from ..model import Architecture, cost, forward, validate
from ..model.validate import check_problem

__all__ = [
    "Kind",
    "Mutant",
    "CATALOG",
    "CONTROL",
    "DEBUG_SIZES",
    "SQUARE_SIZES",
    "JUDGE_LAM",
    "JUDGE_M",
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


# One long function, not several small ones: each ``# BUG`` switch sits on the line of the algorithm where
# the bug is classically made, so the whole algorithm, bugs included, reads top to bottom in one place.
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

    The forward pass and the cost are the network's own (:mod:`gradtrio.model.forward`, complex-safe):
    a bug lives in the lines marked ``# BUG``, never in a copy of the model.

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
    arch = Architecture((X.shape[1],) + tuple(T.shape[0] for T in mats))

    # Forward: a[l] is the activation of layer l+1 without its bias unit, z[l] feeds a[l+1].
    fw = forward(arch, mats, X, keep=True)
    a, z = fw.acts, fw.zs + [fw.logits]
    J = cost(arch, mats, X, Y, lam, logits=fw.logits)
    if bug == "bias_regularized_everywhere" and lam:  # BUG: the bias column in the cost's penalty too
        J = J + lam / (2 * m) * sum(np.sum(T[:, 0] * T[:, 0]) for T in mats)
    if not with_grad:
        return J, None

    # Backward: δ(L) = a(L) - y;  Δ(l) = δ(l+1)ᵀ [1, a(l)];  δ(l) = (δ(l+1) Θ(l)[:, 1:]) .* g'(z(l)).
    H = arch.out.activation(fw.logits)
    delta = H - Y
    if bug == "output_delta_sign":  # BUG: δ(L) = y - a(L)
        delta = Y - H
    if bug == "output_delta_from_z":  # BUG: δ(L) = z(L) - y, the output sigmoid forgotten
        delta = fw.logits - Y
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
        pb, mats = validate(thetas, X, Y, lam)
        J, grads = _backprop(mats, pb.X, pb.Y, pb.lam, self.name)
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

