"""The second-order bug catalog: Hessian- and Gauss-Newton-vector products with one classic bug switched on.

Every entry of :data:`SECOND_ORDER_CATALOG` is a *mutant*: a copy of Pearlmutter's R-operator (for ``H V``)
or Schraudolph's Gauss-Newton product (for ``G V``) with exactly one bug switched on, callable with the
signature of :func:`gradtrio.backprop.hvp`, ``mutant(thetas, X, Y, lam, V) -> list of ndarray``. All share
one readable implementation, :func:`_r_operator`, whose switches are marked ``# BUG <name>``; with no bug
it is the reference algorithm (a test holds it to :func:`gradtrio.backprop.hvp` and ``gvp`` to rounding).
It is written apart from :mod:`gradtrio.backprop` on purpose: no switch lives in the product users call.

In the batch notation of :mod:`gradtrio.backprop` (rows are examples, ``Θ(l) = [b, W]``, ``V(l) = [v_b, V_W]``)::

    R{a(1)} = 0,  R{z(l+1)} = R{a(l)} Wᵀ + a(l) V_Wᵀ + v_b,  R{a(l+1)} = g'(z) ⊙ R{z}
    R{δ(L)} = C(z) R{z(L)}
    R{D(l)} = (1/m) [Σ R{δ},  R{δ}ᵀ a(l) + δᵀ R{a(l)}] + (λ/m) [0, V_W]
    R{δ(l)} = (R{δ} W + δ V_W) ⊙ g'(z(l)) + (δ W) ⊙ g''(z(l)) ⊙ R{z(l)}

The Gauss-Newton product drops the three ``δ`` terms (``δᵀ R{a}``, ``δ V_W``, the ``g''`` term).

:attr:`SecondOrderMutant.product` says which product a mutant claims to compute (``"hvp"`` or ``"gvp"``):
its rows in the detection table are judged against that product's references.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ..model import Architecture, validate
from ..model.activations import SIGMOID, TANH
from ..model.validate import check_direction

__all__ = [
    "Product",
    "SecondOrderMutant",
    "SecondOrderProblem",
    "SECOND_ORDER_CATALOG",
    "SECOND_ORDER_CONTROLS",
    "JUDGE_PROBLEMS",
    "judge_problems",
    "reference_product",
]

Product = Literal["hvp", "gvp"]


@dataclass(frozen=True)
class SecondOrderProblem:
    """One problem a second-order product is judged on: weights, data, λ, a direction and the units.

    Attributes
    ----------
    thetas : list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K)
        One-hot for the sigmoid and softmax outputs, real targets for the identity output.
    lam : float
    V : list of ndarray
        The direction, ``V[l]`` of the shape of ``thetas[l]``.
    activation, output : str
        The network's units (:data:`gradtrio.model.ACTIVATIONS`, :data:`gradtrio.model.OUTPUTS`).
    """

    thetas: list[np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    lam: float
    V: list[np.ndarray]
    activation: str = "sigmoid"
    output: str = "sigmoid"

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.X.shape[1],) + tuple(T.shape[0] for T in self.thetas)

    @property
    def m(self) -> int:
        return int(self.X.shape[0])

    @property
    def units(self) -> dict[str, str]:
        return {"activation": self.activation, "output": self.output}

    def with_direction(self, V: Sequence[np.ndarray]) -> SecondOrderProblem:
        """The same problem along another direction."""
        return SecondOrderProblem(self.thetas, self.X, self.Y, self.lam, [np.asarray(v) for v in V],
                                  self.activation, self.output)

    def args(self) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, float, list[np.ndarray]]:
        """``(thetas, X, Y, lam, V)`` as fresh copies (a user's function may write into its arguments)."""
        return ([t.copy() for t in self.thetas], self.X.copy(), self.Y.copy(), self.lam, [v.copy() for v in self.V])

    def describe(self) -> str:
        return f"sizes {self.sizes}, m = {self.m}, λ = {self.lam:g} ({self.activation}, {self.output} output)"


# --------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------


def _forward(arch: Architecture, mats: Sequence[np.ndarray], vmats: Sequence[np.ndarray], X: np.ndarray,
             bug: str | None) -> tuple[list, list, list, list, list, list, np.ndarray, np.ndarray]:
    """Forward and R-forward: (a, R{a}, z, R{z}, g'(z), g''(z)) per hidden layer, and the output's z, R{z}."""
    L = len(mats)
    a, Ra = X, np.zeros_like(X)  # R{a(1)} = 0: the data do not move with θ
    acts: list[np.ndarray] = [a]
    Racts: list[np.ndarray] = [Ra]
    zs: list[np.ndarray] = []
    Rzs: list[np.ndarray] = []
    slopes: list[np.ndarray] = []
    bends: list[np.ndarray] = []
    for l in range(L):
        T, V = mats[l], vmats[l]
        z = a @ T[:, 1:].T + T[:, 0]
        Rz = Ra @ T[:, 1:].T + a @ V[:, 1:].T
        if bug != "rz_vbias_forgotten":  # BUG rz_vbias_forgotten: R{z} = R{a}Wᵀ + a V_Wᵀ, V's bias column left out
            Rz = Rz + V[:, 0]
        if l > 0 and bug == "bias_Ra_not_zero":  # BUG: R{a(l)} = [1; g' R{z}]: the bias unit's 1 times Θ's bias
            Rz = Rz + T[:, 0]
        if l == L - 1:
            return acts, Racts, zs, Rzs, slopes, bends, z, Rz
        g = arch.hidden[l]
        a = g.value(z)
        gp = g.derivative(z)
        if bug == "gpp_from_output":  # BUG: g''(a) where g''(z) was meant
            gpp = g.second_derivative(a)
        elif bug == "sigmoid_second_missing_gprime" and g is SIGMOID:  # BUG: g'' = 1 − 2a, the g' factor lost
            gpp = 1.0 - 2.0 * a
        elif bug == "tanh_second_sign" and g is TANH:  # BUG: tanh'' = +2 a g' instead of −2 a g'
            gpp = 2.0 * a * gp
        else:
            gpp = g.second_derivative(z)
        Ra = gp * Rz
        acts.append(a)
        Racts.append(Ra)
        zs.append(z)
        Rzs.append(Rz)
        slopes.append(gp)
        bends.append(gpp)
    raise AssertionError("unreachable")  # pragma: no cover


# One function, as in :func:`gradtrio.catalog.bugs._backprop`: every ``# BUG`` switch sits on the line of the
# algorithm where the bug is made, so the whole algorithm, bugs included, reads top to bottom.
def _r_operator(arch: Architecture, mats: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float,
                vmats: Sequence[np.ndarray], bug: str | None = None, *, gauss_newton: bool = False
                ) -> list[np.ndarray]:
    """``H V`` (``gauss_newton=False``) or ``G V`` on validated arrays, with at most one bug switched on.

    Parameters
    ----------
    arch : Architecture
    mats, vmats : sequence of ndarray
        Weights and direction, ``(s_{l+1}, s_l + 1)`` each, bias in column 0.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K)
    lam : float
    bug : str or None
        A key of :data:`SECOND_ORDER_CATALOG`, or None.
    gauss_newton : bool
        The Gauss-Newton product (the three δ terms dropped).

    Returns
    -------
    list of ndarray
        Shaped like ``mats``.
    """
    m, L = X.shape[0], len(mats)
    acts, Racts, zs, Rzs, slopes, bends, z, Rz = _forward(arch, mats, vmats, X, bug)
    out = arch.out
    H = out.value(z)
    delta = H - Y
    if bug == "output_curvature_missing":  # BUG: R{δ(L)} = R{z(L)}: the sigmoid's h(1 − h) left out
        Rdelta = Rz
    elif bug == "softmax_curvature_diagonal" and out.name == "softmax":  # BUG: p ⊙ R{z}, the −p (p·R{z}) dropped
        Rdelta = H * Rz
    elif bug == "identity_curvature_from_sigmoid" and out.name == "identity":  # BUG: h(1 − h) ⊙ R{z} kept
        Rdelta = H * (1.0 - H) * Rz
    else:
        Rdelta = out.curvature(z, Rz)

    grads: list[np.ndarray] = [np.empty(0)] * L
    for l in range(L - 1, -1, -1):
        T, V = mats[l], vmats[l]
        B = np.empty(T.shape, dtype=np.result_type(T, X))
        B[:, 0] = Rdelta.sum(axis=0)
        B[:, 1:] = Rdelta.T @ acts[l]
        if l > 0 and not gauss_newton and bug != "delta_Ra_term_dropped":  # BUG: the δᵀR{a} term left out
            B[:, 1:] += delta.T @ Racts[l]
        if l > 0 and bug == "bias_Ra_not_zero":  # BUG (continued): δ times R{a}'s bias unit 1
            B[:, 0] += delta.sum(axis=0)
        if bug != "one_over_m_forgotten":  # BUG one_over_m_forgotten: RΔ returned without dividing by m
            B /= m
        if bug == "penalty_missing":  # BUG: (λ/m) V never added
            pass
        elif bug in ("penalty_on_bias", "gvp_penalty_on_bias"):  # BUG: (λ/m) V on the bias column too
            B += lam / m * V
        elif bug == "penalty_not_divided_by_m":  # BUG: λ V instead of (λ/m) V
            B[:, 1:] += lam * V[:, 1:]
        else:
            B[:, 1:] += lam / m * V[:, 1:]
        grads[l] = B
        if l == 0:
            break
        W, VW = T[:, 1:], V[:, 1:]
        gp, gpp, Rzl = slopes[l - 1], bends[l - 1], Rzs[l - 1]
        back = delta @ W
        Rback = Rdelta @ W
        if not gauss_newton and bug != "v_delta_term_dropped":  # BUG: the δ V_W term of R{δ} left out
            Rback = Rback + delta @ VW
        Rdelta = Rback * gp
        if not gauss_newton and bug != "gpp_term_dropped":  # BUG: the (δW) ⊙ g''(z) ⊙ R{z} term left out
            Rdelta = Rdelta + back * gpp * Rzl
        delta = back * gp
    return grads


def rounding_terms(problem: SecondOrderProblem) -> float:
    """``n``: the longest chain of roundings one entry of the product goes through.

    Each layer's forward and R-forward sums run over ``s_l + 1`` terms, the backward ones over
    ``s_{l+1}`` terms, the accumulation over the m examples, and each elementwise function carries
    :data:`gradtrio.rounding.FUNCTION_ULPS` ulps: ``n = m + 2 Σ_l (s_l + 1) + FUNCTION_ULPS·(2L + 2)``.
    The worst-case bound ``n ε Σ|terms|`` (every rounding of one sign) needs no statistical safety factor.
    """
    from ..rounding import FUNCTION_ULPS

    sizes = problem.sizes
    return float(problem.m + 2 * sum(s + 1 for s in sizes) + FUNCTION_ULPS * (2 * len(sizes) + 2))


def reference_product(problem: SecondOrderProblem, product: Product = "hvp") -> list[np.ndarray]:
    """gradtrio's own ``H V`` or ``G V`` (:func:`gradtrio.backprop.hvp` / ``gvp``) on ``problem``."""
    from .. import backprop

    fn = backprop.hvp if product == "hvp" else backprop.gvp
    return fn(problem.thetas, problem.X, problem.Y, problem.lam, problem.V, activation=problem.activation,
              output=problem.output)


# --------------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondOrderMutant:
    """One second-order bug, callable as ``mutant(thetas, X, Y, lam, V) -> list of ndarray``.

    Attributes
    ----------
    name : str or None
        The key in :data:`SECOND_ORDER_CATALOG` (the switch in :func:`_r_operator`); None for a control.
    description : str
        The bug in one line, in a student's words.
    where : str
        Where in the algorithm it is made.
    product : {"hvp", "gvp"}
        The product the code claims to compute (its references in the detection table).
    needs : tuple of str
        What a problem must have for the bug to show (``"lam>0"``, ``"m>1"``, ``"hidden layer"``, ...).
    activation, output : str
        The network it is judged on (a bug of one unit lives on a network of that unit).
    """

    name: str | None
    description: str
    where: str
    product: Product = "hvp"
    needs: tuple[str, ...] = ()
    activation: str = "sigmoid"
    output: str = "sigmoid"

    @property
    def units(self) -> dict[str, str]:
        return {"activation": self.activation, "output": self.output}

    @property
    def network(self) -> str:
        return f"{self.activation}, {self.output} output"

    @property
    def gauss_newton(self) -> bool:
        """Whether the engine runs the Gauss-Newton product (the three δ terms dropped)."""
        if self.name == "hessian_as_gauss_newton":
            return True
        if self.name == "gvp_with_hessian_terms":
            return False
        return self.product == "gvp"

    def __call__(self, thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float,
                 V: Sequence[ArrayLike], *, activation: str | Sequence[str] | None = None,
                 output: str | None = None) -> list[np.ndarray]:
        """The mutant's product; ``activation``/``output`` default to the mutant's network (any may be given:
        a bug of one unit is the correct product on the others)."""
        act = self.activation if activation is None else activation
        out = self.output if output is None else output
        pb, mats = validate(thetas, X, Y, lam, activations=act, output=out)
        vmats = check_direction(V, mats)
        bug = None if self.name in ("hessian_as_gauss_newton", "gvp_with_hessian_terms") else self.name
        if self.name == "gvp_curvature_missing":
            bug = "output_curvature_missing"
        return _r_operator(pb.arch, mats, pb.X, pb.Y, pb.lam, vmats, bug, gauss_newton=self.gauss_newton)

    def on(self, problem: SecondOrderProblem) -> list[np.ndarray]:
        """The mutant's product on ``problem`` (its own units)."""
        return self(*problem.args(), activation=problem.activation, output=problem.output)


def _m(name: str, description: str, where: str, product: Product = "hvp", needs: tuple[str, ...] = (), *,
       activation: str = "sigmoid", output: str = "sigmoid") -> tuple[str, SecondOrderMutant]:
    return name, SecondOrderMutant(name, description, where, product, needs, activation, output)


#: name → mutant; each is callable with the signature of :func:`gradtrio.backprop.hvp`.
SECOND_ORDER_CATALOG: dict[str, SecondOrderMutant] = dict([
    _m("gpp_term_dropped", "R{δ(l)} without the (δW) ⊙ g''(z) ⊙ R{z} term",
       "R-backward: only R{δ}W and δV_W carried back, the activation's curvature forgotten", needs=("hidden layer",)),
    _m("v_delta_term_dropped", "R{δ(l)} without the δ V_W term: R{δ} = (R{δ}W) ⊙ g' + (δW) ⊙ g'' ⊙ R{z}",
       "R-backward: the product rule of R{δ W} = R{δ}W + δ R{W} applied to δ only", needs=("hidden layer",)),
    _m("delta_Ra_term_dropped", "R{D(l)} = R{δ}ᵀ a(l) without δᵀ R{a(l)}",
       "R-backward, weight products: the product rule of R{δᵀa} applied to δ only", needs=("hidden layer",)),
    _m("bias_Ra_not_zero", "R{a} of a hidden bias unit is 1 instead of 0 (the bias unit glued with 1)",
       "R-forward, loop form: Ra = [1; g'(z) .* Rz] copied from a = [1; g(z)]", needs=("hidden layer",)),
    _m("rz_vbias_forgotten", "R{z} = R{a}Wᵀ + a V_Wᵀ: the direction's bias column v_b left out",
       "R-forward, batch form: V's bias column not added, as a(l)'s column of ones is not written"),
    _m("penalty_missing", "(λ/m) V never added", "regularization: the penalty's curvature forgotten",
       needs=("lam>0",)),
    _m("penalty_on_bias", "(λ/m) V added to the bias column too",
       "regularization: (λ/m) V without zeroing V's column 0", needs=("lam>0",)),
    _m("penalty_not_divided_by_m", "λ V instead of (λ/m) V", "regularization: the /m dropped",
       needs=("lam>0", "m>1")),
    _m("one_over_m_forgotten", "RΔ returned without dividing by m", "accumulation: the average over examples forgotten",
       needs=("m>1",)),
    _m("hessian_as_gauss_newton", "every δ term dropped: the Gauss-Newton product G V returned for H V",
       "R-backward: the linear backward pass of gvp used for hvp", needs=("hidden layer",)),
    _m("output_curvature_missing", "R{δ(L)} = R{z(L)}: the output's h(1 − h) left out",
       "R-backward, output: the identity output's curvature used for a sigmoid output"),
    _m("gpp_from_output", "g''(a) instead of g''(z): the curvature taken at the activation",
       "R-backward: the activation passed where the pre-activation was meant", needs=("hidden layer",)),
    _m("sigmoid_second_missing_gprime", "the sigmoid's g'' written 1 − 2a: the factor g' = a(1 − a) of g'(1 − 2a) lost",
       "R-backward: g''(z) = g'(z)(1 − 2g(z)) differentiated by hand, the chain rule's g' forgotten",
       needs=("hidden layer",)),
    _m("tanh_second_sign", "tanh'' = +2a(1 − a²) instead of −2a(1 − a²)",
       "R-backward: the sign of d/dz (1 − tanh² z) lost", needs=("hidden layer",), activation="tanh"),
    _m("softmax_curvature_diagonal", "R{δ(L)} = p ⊙ R{z}: the softmax curvature's −p (p · R{z}) dropped",
       "R-backward, output: diag p − p pᵀ taken as its diagonal", needs=("K>=2",), output="softmax"),
    _m("identity_curvature_from_sigmoid", "R{δ(L)} = h(1 − h) ⊙ R{z} on a squared-error output (whose curvature is 1)",
       "R-backward, output: the sigmoid's output curvature kept after switching to a linear output",
       output="identity"),
    _m("gvp_with_hessian_terms", "G V computed with the Hessian's δ terms: H V returned for G V",
       "Gauss-Newton: the R-operator's backward pass kept (indefinite, not the PSD G)", "gvp", ("hidden layer",)),
    _m("gvp_curvature_missing", "G V with C = I: the loss's curvature in the logits left out",
       "Gauss-Newton, output: Jᵀ J V instead of Jᵀ C J V", "gvp"),
    _m("gvp_penalty_on_bias", "G V with (λ/m) V on the bias column too",
       "Gauss-Newton, regularization: the damping added to every entry", "gvp", ("lam>0",)),
])


def _control(product: Product, activation: str, output: str) -> SecondOrderMutant:
    return SecondOrderMutant(None, f"no bug: the reference {'H V' if product == 'hvp' else 'G V'} "
                             f"({activation}, {output} output)", "-", product, (), activation, output)


#: The correct product on every network a mutant lives on, by ``(product, activation, output)``.
SECOND_ORDER_CONTROLS: dict[tuple[str, str, str], SecondOrderMutant] = {}
for _mu in SECOND_ORDER_CATALOG.values():
    SECOND_ORDER_CONTROLS.setdefault((_mu.product, _mu.activation, _mu.output),
                                     _control(_mu.product, _mu.activation, _mu.output))
del _mu


#: Judging problems per network: (sizes, m, λ). Two hidden layers in one (a bug between hidden layers
#: shows there), λ = 0 in one (a penalty bug must not be the only thing the others see), m > 1 in all.
JUDGE_PROBLEMS: tuple[tuple[tuple[int, ...], int, float], ...] = (
    ((3, 5, 3), 5, 3.0),
    ((4, 5, 4, 3), 7, 1.0),
    ((2, 4, 3), 6, 0.0),
    ((3, 6, 2), 4, 3.0),
)


def _problem(sizes: Sequence[int], m: int, lam: float, rng: np.random.Generator, activation: str,
             output: str, scale: float = 1.0) -> SecondOrderProblem:
    arch = Architecture(tuple(sizes), activation, output)
    thetas = [rng.uniform(-scale, scale, size=s) for s in arch.shapes]
    X = rng.uniform(-1.0, 1.0, size=(m, sizes[0]))
    K = sizes[-1]
    if output == "identity":
        Y = rng.normal(size=(m, K))
    elif output == "sigmoid" and K == 1:
        Y = (rng.uniform(size=(m, 1)) < 0.5).astype(float)
    else:
        Y = np.eye(K)[rng.permutation(np.arange(m) % K)]
    V = [rng.uniform(-1.0, 1.0, size=s) for s in arch.shapes]
    return SecondOrderProblem(thetas, X, Y, float(lam), V, activation, output)


def judge_problems(activation: str = "sigmoid", output: str = "sigmoid", *, seed: int = 0,
                   count: int | None = None) -> list[SecondOrderProblem]:
    """The seeded judging problems of a network (:data:`JUDGE_PROBLEMS`): weights, data and direction uniform
    in [-1, 1] (real targets normal for the identity output)."""
    rng = np.random.default_rng([seed, 20240515])
    specs = JUDGE_PROBLEMS if count is None else [JUDGE_PROBLEMS[k % len(JUDGE_PROBLEMS)] for k in range(count)]
    return [_problem(sz, m, lam, rng, activation, output) for sz, m, lam in specs]


def no_hidden_problem(activation: str = "sigmoid", output: str = "sigmoid", *, seed: int = 0
                      ) -> SecondOrderProblem:
    """A network without hidden layers (logistic, softmax or linear regression), where G = H."""
    rng = np.random.default_rng([seed, 777])
    return _problem((4, 3), 6, 1.0, rng, activation, output)
