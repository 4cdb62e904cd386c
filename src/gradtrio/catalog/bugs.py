"""The bug catalog: classic backpropagation bugs, each a switch in one readable implementation.

Every entry of :data:`CATALOG` is a *mutant*: a copy of the vectorized algorithm of
:func:`gradtrio.backprop.cost_and_grad` with exactly one classic bug switched on, callable with the
same signature ``mutant(thetas, X, Y, lam) -> (J, grads)``. All mutants share one readable
implementation, :func:`_backprop`, whose bug switches are marked ``# BUG <name>``; with no bug it
is the reference algorithm (a test holds it to :mod:`gradtrio.backprop` to rounding).

Five kinds of bug (:attr:`Mutant.kind`, :data:`KINDS`):

- ``"gradient"``: the cost is right and the returned gradient is *not* its derivative. A
  finite-difference check of the code's own cost can see it, and so can an independent reference.
- ``"cost"``: the cost itself is wrong and the gradient is its exact derivative (labels off by one,
  a regularized bias column in cost *and* gradient). Finite differences of that cost agree with the
  gradient, so no self-consistency check can see it; only an independent reference can (the JAX
  cost, which is written separately, and the known values of :mod:`gradtrio.catalog.known_values`).
- ``"cost-only"``: the cost is wrong and the gradient is the right one (the derivative of the *correct*
  cost): a gradient-only comparison passes it; finite differences of its own cost, or a comparison of
  the cost with a reference, do not.
- ``"crash"``: NumPy raises on the problems where the bug shows (a one-hot matrix of the wrong width
  meets the output's shape; a width of 1 is broadcast instead, silently wrong); on the others the code is
  right.
- ``"contract"``: cost and gradient are right on the first call, but the call writes into its
  arguments (the caller's parameters through a view); only a check of the arguments after the call,
  or a repeated call, sees it.

The bugs beyond the original fifteen are the ones real implementations of the course exercise make,
found by writing it the way students write it (``tests/corpus``): labels and one-hot matrices
(``labels_not_one_hot``, ``delta_from_label_vector``, ``onehot_from_present_classes``,
``K_fixed_at_10``), the cost's formula (``cost_*``), λ and m (``lambda_ignored``,
``lambda_fixed_at_1``, ``m_from_wrong_axis``), the forward pass (``sigmoid_after_bias``), the
gradient (``grad_regularization_forgotten``, ``bias_grad_forgotten``, ``output_delta_times_gprime``,
``grad_unrolled_column_major``) and in-place writes (``params_mutated_through_view``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..backprop import sigmoid
from ..model import Architecture, cost, forward, validate
from ..model.activations import ELU_ALPHA, complex_softplus
from ..model.activations import activation as unit_named
from ..model.forward import penalty
from ..model.validate import check_problem

__all__ = [
    "Kind",
    "KINDS",
    "Mutant",
    "CATALOG",
    "CONTROL",
    "CONTROLS",
    "DEBUG_SIZES",
    "SQUARE_SIZES",
    "JUDGE_LAM",
    "JUDGE_M",
]

Kind = Literal["gradient", "cost", "cost-only", "crash", "contract"]
#: Every kind of bug, in the order of the module docstring.
KINDS: tuple[str, ...] = ("gradient", "cost", "cost-only", "crash", "contract")

#: The course's ``checkNNGradients`` network: 3 inputs, 5 hidden units, 3 labels, m = 5 examples.
DEBUG_SIZES = (3, 5, 3)
#: A network whose hidden-to-output matrix is square (4 × 4 without its bias column): the only
#: shape on which "Θ used transposed" runs at all (elsewhere NumPy raises a shape error).
SQUARE_SIZES = (4, 4, 4)
#: λ of the judging problems: the course checks its gradients with λ = 3 as well as λ = 0; every
#: regularization bug needs λ > 0 to show.
JUDGE_LAM = 3.0
JUDGE_M = 5


#: The logit shift of the judging problem of ``softmax_no_max_shift``: e^z overflows past z ≈ 709.8
#: (log of the largest float64); 800 is past it, and the max-shifted softmax does not see the shift.
SOFTMAX_OVERFLOW_SHIFT = 800.0

#: The value of a hidden layer's bias unit when the sigmoid is applied after the column of ones is
#: added (``a2 = sigmoid([ones, z2])``): g(1) instead of 1.
SIGMOID_OF_ONE = 1.0 / (1.0 + np.exp(-1.0))


def _labels_of(Y: np.ndarray) -> np.ndarray:
    """Class indices ``0..K-1`` of one-hot rows (what a student's ``y`` holds, 0-based)."""
    return np.argmax(np.real(Y), axis=1)


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
    activation: str = "sigmoid",
    output: str = "sigmoid",
) -> tuple[Any, list[np.ndarray] | None]:
    """Vectorized backprop on validated arrays, with at most one classic bug switched on.

    The forward pass and the cost are the network's own (:mod:`gradtrio.model.forward`, complex-safe):
    a bug lives in the lines marked ``# BUG``, never in a copy of the model. A bug that makes NumPy
    raise (a shape error) raises here exactly as it does in the code where it is made.

    Parameters
    ----------
    mats : sequence of ndarray
        ``mats[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0; real or complex. Only the
        ``params_mutated_through_view`` bug writes into them.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K), one-hot
    lam : float
    bug : str or None
        A key of :data:`CATALOG`, or None for the correct algorithm.
    with_grad : bool
        False: the cost only (complex-safe; this is what finite differences differentiate).
    activation : str
        The hidden units, one name for all hidden layers (:data:`gradtrio.model.ACTIVATIONS`).
    output : str
        The output unit and its loss (:data:`gradtrio.model.OUTPUTS`).

    Returns
    -------
    J : float or complex
    grads : list of ndarray or None
    """
    m = m_true = X.shape[0]
    K = mats[-1].shape[0]
    if bug == "labels_off_by_one":  # BUG: class k scored as class k+1 (mod K), in cost and gradient
        Y = np.roll(Y, 1, axis=1)
    if bug == "labels_not_one_hot":  # BUG: the label vector y (1..K) used where the one-hot Y was meant
        Y = np.broadcast_to((_labels_of(Y) + 1.0)[:, None], Y.shape).astype(np.real(Y).dtype)
    if bug == "onehot_from_present_classes":  # BUG: pd.get_dummies(y): one column per class *present*
        y = _labels_of(Y)
        Y = (y[:, None] == np.unique(y)[None, :]).astype(np.real(Y).dtype)
    if bug == "K_fixed_at_10":  # BUG: np.eye(10)[y]: num_labels ignored
        Y = np.eye(10, dtype=np.real(Y).dtype)[_labels_of(Y)]
    if bug == "lambda_ignored":  # BUG: λ never used (regularization left out of cost and gradient)
        lam = 0.0
    if bug == "lambda_fixed_at_1":  # BUG: λ = 1 hard-coded (a default that shadows the argument)
        lam = 1.0
    if bug == "m_from_wrong_axis":  # BUG: m, n = X.shape swapped: m is the number of inputs
        m = X.shape[1]
    arch = Architecture((X.shape[1],) + tuple(T.shape[0] for T in mats), activation, output)
    # BUG sigmoid_after_bias: a(l) = sigmoid([1, z(l)]): every hidden bias unit is g(1), not 1
    bias_unit = SIGMOID_OF_ONE if bug == "sigmoid_after_bias" else 1.0
    run = mats if bias_unit == 1.0 else [T if l == 0 else np.concatenate([bias_unit * T[:, :1], T[:, 1:]], axis=1)
                                         for l, T in enumerate(mats)]

    # Forward: a[l] is the activation of layer l+1 without its bias unit, z[l] feeds a[l+1].
    fw = forward(arch, run, X, keep=True)
    a, z = fw.acts, fw.zs + [fw.logits]
    J = cost(arch, mats, X, Y, lam, logits=fw.logits)
    P = penalty(mats) if lam else 0.0  # Σ Θ², bias columns left out
    data = J - lam / (2 * m_true) * P
    if m != m_true:
        J = J * (m_true / m)
    # BUG bias_regularized_everywhere / cost_bias_regularized: sum(Θ.^2) over all columns in the cost (the
    # first regularizes the bias in the gradient too, below; the second does not)
    if bug in ("bias_regularized_everywhere", "cost_bias_regularized") and lam:
        J = J + lam / (2 * m) * sum(np.sum(T[:, 0] * T[:, 0]) for T in mats)
    if bug == "cost_penalty_not_divided_by_m":  # BUG: (λ/2) ΣΘ² in the cost, without /m
        J = data + lam / 2 * P
    if bug == "cost_penalty_half_missing":  # BUG: (λ/m) ΣΘ² in the cost, the 1/2 dropped
        J = data + lam / m * P
    if bug == "cost_second_term_missing":  # BUG: J = -(1/m) Σ y log h, the (1-y) log(1-h) term left out
        J = np.sum(Y * complex_softplus(-fw.logits)) / m + lam / (2 * m) * P
    if bug == "cost_mean_over_outputs":  # BUG: np.mean(...) over the m x K matrix: the cost divided by mK
        J = data / K + lam / (2 * m) * P
    if bug == "cost_squared_error_half_missing":  # BUG: J = (1/m) Σ (h - y)², the ½ of ½‖h - y‖² dropped
        J = 2 * data + lam / (2 * m) * P
    if bug == "cost_squared_error_with_ce_delta":  # BUG: J = (1/2m) Σ (g(z) - y)², δ(L) left as h - y
        R = arch.out.value(fw.logits) - Y
        J = 0.5 * np.sum(R * R) / m + lam / (2 * m) * P
    if bug == "softmax_probs_in_binary_cross_entropy":  # BUG: -Σ [y log p + (1-y) log(1-p)], p = softmax(z)
        p = arch.out.value(fw.logits)
        J = -np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p)) / m + lam / (2 * m) * P
    if bug == "softmax_no_max_shift":  # BUG: log Σ e^z without subtracting max z: e^z overflows for z > 709
        with np.errstate(over="ignore", invalid="ignore"):  # NumPy warns and goes on with inf/nan: so here
            J = (np.sum(np.log(np.sum(np.exp(fw.logits), axis=1))) - np.sum(Y * fw.logits)) / m + lam / (2 * m) * P
    if not with_grad:
        return J, None

    # Backward: δ(L) = a(L) - y;  Δ(l) = δ(l+1)ᵀ [1, a(l)];  δ(l) = (δ(l+1) Θ(l)[:, 1:]) .* g'(z(l)).
    H = arch.out.value(fw.logits)
    delta = H - Y
    if bug == "output_delta_sign":  # BUG: δ(L) = y - a(L)
        delta = Y - H
    if bug == "output_delta_from_z":  # BUG: δ(L) = z(L) - y, the output sigmoid forgotten
        delta = fw.logits - Y
    if bug == "delta_from_label_vector":  # BUG: δ(L) = a(L) - y with y the label column (1..K), not one-hot
        delta = H - (_labels_of(Y) + 1.0)[:, None]
    if bug == "output_delta_times_gprime":  # BUG: δ(L) = (a(L) - y) .* g'(z(L)), the squared error's δ
        delta = (H - Y) * (H * (1 - H))
    if bug == "squared_error_grad_doubled":  # BUG: δ(L) = 2(h - y), the derivative of ‖h - y‖², not of ½‖h - y‖²
        delta = 2 * (H - Y)
    if bug == "output_delta_times_hidden_gprime":  # BUG: the hidden layers' g'(z) applied at the output too
        delta = (H - Y) * unit_named(activation).derivative(fw.logits)
    if bug == "softmax_jacobian_diagonal":  # BUG: δ(L) = ∂J/∂h .* h(1 - h): the softmax's Jacobian as diagonal
        delta = (-Y / H) * (H * (1 - H))
    if bug == "softmax_no_max_shift":  # BUG: e^z / Σ e^z unshifted: inf / inf = nan where some z > 709
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(fw.logits)
            delta = e / e.sum(axis=1, keepdims=True) - Y
    grads: list[np.ndarray] = [np.empty(0)] * len(mats)
    for l in range(len(mats) - 1, -1, -1):
        T = mats[l]
        acc_dtype = np.float32 if bug == "float32_accumulation" else T.dtype  # BUG: float32 buffer
        Delta = np.zeros(T.shape, dtype=acc_dtype)
        Delta[:, 0] += delta.sum(axis=0) * (bias_unit if l > 0 else 1.0)
        if bug == "bias_grad_sum_no_axis":  # BUG: np.sum(delta) without axis=0
            Delta[:, 0] = delta.sum()
        if bug == "bias_grad_forgotten":  # BUG: only Theta_grad[:, 1:] filled; the bias column stays 0
            Delta[:, 0] = 0
        Delta[:, 1:] += delta.T @ a[l]
        D = Delta if bug == "delta_not_divided_by_m" else Delta / m  # BUG: Δ not divided by m
        if bug == "params_mutated_through_view":  # BUG: Theta[:, 0] = 0 on a view of the caller's parameters
            T[:, 0] = 0
            D = D + lam / m * T  # the intended regularization: right, but the caller's Θ lost its bias
        elif lam:
            D = D.astype(T.dtype)  # a new array: the regularization below never writes into Δ
            if bug == "lambda_not_divided_by_m":  # BUG: λ Θ (the typo some course slides carry)
                D[:, 1:] += lam * T[:, 1:]
            elif bug == "lambda_over_2m_in_grad":  # BUG: the cost's λ/(2m) copied into the gradient
                D[:, 1:] += lam / (2 * m) * T[:, 1:]
            elif bug in ("bias_regularized_grad", "bias_regularized_everywhere"):  # BUG: bias column too
                D += lam / m * T
            elif bug == "grad_regularization_forgotten":  # BUG: the cost is regularized, the gradient not
                pass
            else:
                D[:, 1:] += lam / m * T[:, 1:]
        if bug == "grad_unrolled_column_major":  # BUG: D(:) (Octave order) refilled as NumPy's row-major
            D = np.asarray(D).ravel(order="F").reshape(D.shape)
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
        elif bug == "tanh_prime_from_z":  # BUG: tanh' written 1 - z² instead of 1 - a²
            delta = back * (1 - z[l - 1] * z[l - 1])
        elif bug == "tanh_prime_sigmoid_kept":  # BUG: a(1 - a), the sigmoid's g', kept after switching to tanh
            delta = back * (a[l] * (1 - a[l]))
        elif bug in ("relu_prime_from_output", "softplus_prime_is_softplus"):  # BUG: g'(z) written as g(z)
            delta = back * a[l]
        elif bug == "leaky_slope_forgotten":  # BUG: leaky ReLU's g' = (z > 0): the slope 0.01 dropped for z < 0
            delta = back * (z[l - 1] > 0)
        elif bug == "elu_prime_exp_everywhere":  # BUG: ELU's g' = α e^z on both branches
            delta = back * (ELU_ALPHA * np.exp(z[l - 1]))
        elif bug == "elu_prime_alpha":  # BUG: ELU's g' = α for z <= 0 (the slope of αz) instead of α e^z
            delta = back * np.where(z[l - 1] > 0, 1.0, ELU_ALPHA)
        elif bug == "gelu_prime_pdf_term_missing":  # BUG: GELU's g' = Φ(z): the z φ(z) term of (z Φ(z))' dropped
            from scipy.special import erfc

            delta = back * (0.5 * erfc(-z[l - 1] / np.sqrt(2.0)))
        else:
            unit = arch.hidden[l - 1]
            delta = back * (unit.derivative(z[l - 1]) if unit.derivative_from_output is None
                            else unit.derivative_from_output(a[l]))
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
    kind : {"gradient", "cost", "cost-only", "crash", "contract"}
        See the module docstring.
    needs : tuple of str
        What a problem must have for the bug to show (``"lam>0"``, ``"m>1"``, ``"hidden layer"``,
        ``"square layer"``, ``"class absent"``, ``"K != 10"``, ...); it is judged on such a problem.
    judge_sizes : tuple of int
        Layer sizes of the problem the single-problem checkers judge it on.
    judge_m : int
        Its number of examples (labels ``i mod K``: m < K leaves classes absent).
    activation : str
        The hidden units of the networks the bug lives on (one name for every hidden layer, a key of
        :data:`gradtrio.model.ACTIVATIONS`): the mutant computes that network, and every checker
        judges it as that network (``activation=`` of :func:`gradtrio.check.compare_gradients`).
    output : str
        The output unit and its loss (a key of :data:`gradtrio.model.OUTPUTS`), likewise.
    judge_logit_shift : float
        Added to the output layer's bias column in the judging problem (0: the course's problem): a
        softmax bug that shows only on large logits (overflow) is judged where they are large, on a
        problem whose correct cost and gradient are those of the course's (the softmax and its
        cross-entropy are invariant under a shift of every logit, and the penalty leaves biases out).
    """

    name: str | None
    description: str
    where: str
    kind: Kind
    needs: tuple[str, ...] = ()
    judge_sizes: tuple[int, ...] = DEBUG_SIZES
    judge_m: int = JUDGE_M
    activation: str = "sigmoid"
    output: str = "sigmoid"
    judge_logit_shift: float = 0.0

    @property
    def units(self) -> dict[str, str]:
        """``{"activation": ..., "output": ...}``: the keywords that name its network to gradtrio's functions."""
        return {"activation": self.activation, "output": self.output}

    @property
    def network(self) -> str:
        """Its units in a few words, e.g. ``"tanh, sigmoid output"`` (``"sigmoid, sigmoid output"`` by default)."""
        return f"{self.activation}, {self.output} output"

    def _check_units(self, activation: str | Sequence[str] | None, output: str | None) -> None:
        """Refuse a network other than the mutant's (``None``: its own)."""
        names = [] if activation is None else [activation] if isinstance(activation, str) else list(activation)
        if any(n != self.activation for n in names) or output not in (None, self.output):
            asked = f"{', '.join(names) or self.activation}, {output or self.output} output"
            raise ValueError(f"the mutant {self.name or 'control'!r} lives on {self.network} networks; "
                             f"got activation={activation!r}, output={output!r} ({asked})")

    def cost_and_grad(
        self, thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
        activation: str | Sequence[str] | None = None, output: str | None = None,
    ) -> tuple[float, list[np.ndarray]]:
        """The mutant's cost and gradient; see :func:`gradtrio.backprop.cost_and_grad`.

        ``activation`` and ``output`` are accepted as :mod:`gradtrio.backprop` takes them (so a mutant
        stands in for it): they must name the mutant's own network (:attr:`units`), None for it.
        """
        self._check_units(activation, output)
        pb, mats = validate(thetas, X, Y, lam, activations=self.activation, output=self.output)
        J, grads = _backprop(mats, pb.X, pb.Y, pb.lam, self.name, activation=self.activation, output=self.output)
        if self.name == "params_mutated_through_view":  # the caller's own arrays, as a view would change them
            for t in thetas:
                if isinstance(t, np.ndarray) and t.flags.writeable and t.ndim == 2:
                    t[:, 0] = 0
        return float(J), grads  # type: ignore[return-value]

    __call__ = cost_and_grad

    def cost(self, thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
             activation: str | Sequence[str] | None = None, output: str | None = None) -> Any:
        """The mutant's own cost, the function its finite-difference checks differentiate.

        Complex ``thetas`` give a complex cost (the complex step); real ones a float. ``activation``
        and ``output``: as in :meth:`cost_and_grad`.
        """
        from ..model import output as output_unit

        self._check_units(activation, output)
        mats, X, Y, lam = check_problem(thetas, X, Y, lam, allow_complex=True,
                                        targets=output_unit(self.output).targets)
        dtype = np.result_type(X, *mats)
        real = np.finfo(dtype).dtype  # float64 for complex128
        J, _ = _backprop([T.astype(dtype, copy=False) for T in mats], X.astype(dtype, copy=False),
                         Y.astype(real, copy=False), lam, self.name, with_grad=False, **self.units)
        return J if np.iscomplexobj(J) else float(J)


def _m(name: str, description: str, where: str, kind: Kind = "gradient", needs: tuple[str, ...] = (),
       judge_sizes: tuple[int, ...] = DEBUG_SIZES, judge_m: int = JUDGE_M, *, activation: str = "sigmoid",
       output: str = "sigmoid", judge_logit_shift: float = 0.0) -> tuple[str, Mutant]:
    return name, Mutant(name, description, where, kind, needs, judge_sizes, judge_m, activation, output,
                        judge_logit_shift)


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
    _m("labels_not_one_hot", "the label column y (1..K, shape (m, 1)) used in place of the one-hot Y, in cost and δ",
       "labels: -y*log(h) with y of shape (m, 1), which NumPy broadcasts over the K outputs", "cost"),
    _m("delta_from_label_vector", "δ(L) = a(L) - y with y the label column, not its one-hot row",
       "output δ: a3 - y where Y was built for the cost but y kept for backprop"),
    _m("onehot_from_present_classes", "one-hot Y with one column per class present in y (a shape error, or, "
       "with one class present, a column NumPy broadcasts over the K outputs)",
       "labels: pd.get_dummies(y) or np.unique(y): a class absent from the batch drops a column",
       "crash", ("class absent",), judge_m=2),
    _m("K_fixed_at_10", "num_labels ignored: K = 10 hard-coded",
       "labels: np.eye(10)[y] or range(10) copied from the digits exercise", "crash", ("K != 10",)),
    _m("lambda_ignored", "λ never used: cost and gradient unregularized",
       "regularization: the argument accepted and never read", "cost", ("lam>0",)),
    _m("lambda_fixed_at_1", "λ = 1 hard-coded in cost and gradient",
       "regularization: lambda_ = 1 left in from testing, shadowing the argument", "cost", ("lam != 1",)),
    _m("m_from_wrong_axis", "m is the number of inputs: m, n = X.shape swapped",
       "setup: n, m = X.shape or m = len(X[0]); cost and gradient divided by s_1 instead of m",
       "cost", ("m != inputs",)),
    _m("sigmoid_after_bias", "sigmoid applied after the bias column is added: the hidden bias unit is g(1)",
       "forward pass: a2 = sigmoid(np.c_[ones, z2]) instead of np.c_[ones, sigmoid(z2)]", "cost",
       ("hidden layer",)),
    _m("cost_penalty_not_divided_by_m", "(λ/2)ΣΘ² in the cost instead of (λ/(2m))ΣΘ²",
       "regularization, cost: the /m dropped (the gradient is right)", "cost-only", ("lam>0", "m>1")),
    _m("cost_penalty_half_missing", "(λ/m)ΣΘ² in the cost: the 1/2 dropped",
       "regularization, cost: the 2 of λ/(2m) forgotten (the gradient is right)", "cost-only", ("lam>0",)),
    _m("cost_bias_regularized", "bias column in the cost's penalty only",
       "regularization, cost: sum(Theta1.^2) over all columns; the gradient leaves the bias out",
       "cost-only", ("lam>0",)),
    _m("cost_second_term_missing", "J = -(1/m)Σ y log h: the (1-y) log(1-h) term left out",
       "cost: the softmax cross-entropy written for sigmoid outputs", "cost-only"),
    _m("cost_mean_over_outputs", "the data term divided by mK: np.mean over the m x K matrix",
       "cost: np.mean(-Y*log(h) - (1-Y)*log(1-h)) instead of the sum over k divided by m",
       "cost-only", ("K>=2",)),
    _m("grad_regularization_forgotten", "the cost is regularized, the gradient not",
       "regularization, gradient: (λ/m)Θ never added", needs=("lam>0",)),
    _m("bias_grad_forgotten", "the bias column of the gradient left at zero",
       "accumulation: only Theta_grad[:, 1:] = ... written"),
    _m("output_delta_times_gprime", "δ(L) = (a(L) - y) .* g'(z(L))",
       "output δ: the squared error's δ used with the cross-entropy cost"),
    _m("grad_unrolled_column_major", "each gradient matrix unrolled column-major, its parameters row-major",
       "unrolling: grad = [D1(:); D2(:)] (Octave) returned to a NumPy caller that reshapes row-major"),
    _m("params_mutated_through_view", "Θ[:, 0] = 0 on a view changes the caller's parameters",
       "regularization: Theta1 = nn_params[...].reshape(...); Theta1[:, 0] = 0 writes into nn_params",
       "contract"),
    # Bugs of the other units: each lives on a network of the units it names (Mutant.activation, .output).
    _m("tanh_prime_from_z", "tanh' written 1 - z² instead of 1 - a² (a = tanh z)",
       "hidden-layer δ: the identity tanh'(z) = 1 - tanh²(z) written with the pre-activation",
       needs=("hidden layer",), activation="tanh"),
    _m("tanh_prime_sigmoid_kept", "the sigmoid's g' = a(1 - a) kept on a tanh layer",
       "hidden-layer δ: the activation switched to tanh in the forward pass, sigmoidGradient left in backprop",
       needs=("hidden layer",), activation="tanh"),
    _m("relu_prime_from_output", "ReLU's g' taken as the output value a = max(z, 0) instead of its sign (z > 0)",
       "hidden-layer δ: dZ = dA * A where dZ = dA * (A > 0) was meant (the mask's comparison dropped)",
       needs=("hidden layer",), activation="relu"),
    _m("leaky_slope_forgotten", "leaky ReLU's g' = 0 for z < 0: the slope 0.01 forgotten",
       "hidden-layer δ: ReLU's derivative (z > 0) reused for the leaky ReLU",
       needs=("hidden layer",), activation="leaky_relu"),
    _m("elu_prime_exp_everywhere", "ELU's g' = α e^z for every z, also where z > 0 (g' = 1 there)",
       "hidden-layer δ: the negative branch's derivative written without the np.where",
       needs=("hidden layer",), activation="elu"),
    _m("elu_prime_alpha", "ELU's g' = α for z <= 0 instead of α e^z",
       "hidden-layer δ: the ELU differentiated like a leaky ReLU of slope α",
       needs=("hidden layer",), activation="elu"),
    _m("softplus_prime_is_softplus", "softplus' = softplus(z) instead of the sigmoid 1/(1 + e^-z)",
       "hidden-layer δ: log(1 + e^z) mistaken for an exponential, which is its own derivative",
       needs=("hidden layer",), activation="softplus"),
    _m("gelu_prime_pdf_term_missing", "GELU's g' = Φ(z): the z φ(z) term of (z Φ(z))' left out",
       "hidden-layer δ: the product rule forgotten, GELU differentiated as if Φ were a constant",
       needs=("hidden layer",), activation="gelu"),
    _m("squared_error_grad_doubled", "δ(L) = 2(h - y) with the cost ½‖h - y‖²: the gradient off by a factor 2",
       "output δ: the derivative of (h - y)² taken, the ½ of the cost forgotten", output="identity"),
    _m("cost_squared_error_half_missing", "J = (1/m)Σ(h - y)²: the ½ of the squared error dropped",
       "cost: np.mean((h - y)**2) for a gradient derived from ½(h - y)² (the gradient is right)",
       "cost-only", output="identity"),
    _m("output_delta_times_hidden_gprime", "δ(L) = (h - y) .* g'(z(L)) with the hidden g' (tanh) on an identity output",
       "output δ: one backward loop applying the activation's derivative at every layer, the linear output included",
       activation="tanh", output="identity"),
    _m("cost_squared_error_with_ce_delta", "cost ½Σ(g(z) - y)²/m with the cross-entropy's δ(L) = h - y",
       "cost: the quadratic cost of a sigmoid output kept while backprop uses the cross-entropy's δ",
       "cost-only"),
    _m("softmax_no_max_shift", "softmax and log-sum-exp without subtracting max z: e^z overflows, inf/inf = nan",
       "softmax: np.exp(z) / np.exp(z).sum(1) written straight from the formula", "crash", ("logits > 709",),
       output="softmax", judge_logit_shift=SOFTMAX_OVERFLOW_SHIFT),
    _m("softmax_probs_in_binary_cross_entropy", "softmax probabilities in the per-output (sigmoid) cross-entropy",
       "cost: binary_crossentropy on a softmax output (Keras), -Σ y log p + (1-y) log(1-p); δ(L) = p - y",
       "cost-only", ("K>=2",), output="softmax"),
    _m("softmax_jacobian_diagonal", "δ(L) = (∂J/∂p) .* p(1 - p): the softmax's Jacobian taken as its diagonal",
       "output δ: softmax differentiated element-wise like the sigmoid, the cross terms -p_i p_j dropped",
       needs=("K>=2",), output="softmax"),
])


def _control(activation: str, output: str) -> Mutant:
    return Mutant(None, f"no bug: the reference algorithm ({activation}, {output} output)", "-", "gradient",
                  activation=activation, output=output)


#: The correct algorithm on every network a mutant of :data:`CATALOG` lives on, by ``(activation, output)``;
#: ``CONTROLS["sigmoid", "sigmoid"]`` is :data:`CONTROL`. A mutant is judged against the control of its units.
CONTROLS: dict[tuple[str, str], Mutant] = {("sigmoid", "sigmoid"): CONTROL}
for _mu in CATALOG.values():
    CONTROLS.setdefault((_mu.activation, _mu.output), _control(_mu.activation, _mu.output))
del _mu

