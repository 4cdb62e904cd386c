"""Which checker catches which second-order bug, and which bug a user's product is: the second-order study.

Checkers, each given a product function ``fn(thetas, X, Y, lam, V, activation=, output=) -> list of ndarray``
and one :class:`~gradtrio.catalog.second_order.SecondOrderProblem` (the product it claims, ``"hvp"`` or
``"gvp"``, picks the reference):

- ``jax``: against JAX's forward-over-reverse ``jvp(grad(J))`` (for ``G V``: ``J_zᵀ C J_z V`` from JAX's
  ``jvp``/``vjp`` of the logits and the loss's Hessian in them) — an independent writing of the same cost;
- ``central``: against central differences of gradtrio's backprop gradient along V (``H V`` only);
- ``symmetry``: ``uᵀ(P v) = vᵀ(P u)`` for the product's own values (H and G are symmetric);
- ``taylor``: the remainder ``‖∇J(θ + tV) − ∇J(θ) − t P V‖`` falls with slope 2 as t halves (``H V`` only);
- ``psd``: ``vᵀ G v ≥ 0`` on several directions (``G V`` only);
- ``g_equals_h``: on the same units without a hidden layer, where ``G = H``, the product against JAX's ``H V``
  (``G V`` only).

Every bound is a rounding analysis of the problem's own magnitudes (:func:`product_bound`), never a sample of
noise; a control (the correct product) passes every checker on every problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..check import floored
from ..tolerances import ANALYTIC_SAFETY, FLOOR_TINY, TRUNC_SAFETY
from .second_order import (
    SECOND_ORDER_CATALOG,
    SECOND_ORDER_CONTROLS,
    Product,
    SecondOrderMutant,
    SecondOrderProblem,
    judge_problems,
    no_hidden_problem,
    reference_product,
    rounding_terms,
)

__all__ = [
    "SECOND_ORDER_CHECKERS",
    "ProductFn",
    "SecondOrderCheck",
    "SecondOrderRow",
    "jax_product",
    "product_bound",
    "compare",
    "check_jax",
    "check_central",
    "check_symmetry",
    "check_taylor",
    "check_psd",
    "check_g_equals_h",
    "second_order_table",
    "diagnose_products",
]

ProductFn = Callable[..., Sequence[np.ndarray]]

EPS = float(np.finfo(np.float64).eps)
#: Both sides of a comparison round: the product under test and its reference are two sums of the same terms.
BOTH_SIDES = 2.0
#: Central differences of the gradient along V: step ``cbrt(ε)`` times the scale of θ over the scale of V,
#: the step that balances truncation (h²) against rounding (ε/h) for a smooth function of unit scale.
FD_STEP = EPS ** (1.0 / 3.0)
#: The Taylor test: the first step (relative to max|V|), how many halvings, how far above the rounding floor
#: a remainder must be to count, and the slope below which the product is flagged. A right product gives
#: remainders ``t² ‖∇³J[V, V]‖/2 (1 + O(t))``: slope 2 within ~0.1 at t ≤ 0.05; a wrong one ``t ‖E‖``: slope 1
#: once t ≤ ‖E‖/‖∇³J‖. 1.5 is halfway; 100 times the rounding floor keeps rounding from moving a slope by
#: more than log2(1.02).
TAYLOR_T0 = 0.05
TAYLOR_HALVINGS = 14
TAYLOR_RESOLVED = 100.0
TAYLOR_MIN_SLOPE = 1.5
#: Directions of the PSD check per problem (V and three seeded others) and pairs of the symmetry check.
PSD_DIRECTIONS = 4
SYMMETRY_PAIRS = 2
#: A catalog bug matches a user's product when they agree within the rounding bounds plus this fraction of
#: each layer's largest entry (as :data:`gradtrio.testing.verifier.DIAGNOSIS_RTOL`): two different bugs
#: differ by O(1) relative amounts.
DIAGNOSIS_RTOL = 1e-7
#: The columns of the detection table, in order.
SECOND_ORDER_CHECKERS: tuple[str, ...] = ("jax", "central", "symmetry", "taylor", "psd", "g_equals_h")
#: Which product each checker applies to.
APPLIES: dict[str, tuple[str, ...]] = {"jax": ("hvp", "gvp"), "central": ("hvp",), "symmetry": ("hvp", "gvp"),
                                       "taylor": ("hvp",), "psd": ("gvp",), "g_equals_h": ("gvp",)}


@dataclass
class SecondOrderCheck:
    """One checker on one problem: whether it flagged the product, and by how much."""

    checker: str
    flagged: bool
    ratio: float  # the worst |difference| / bound (or, for taylor, TAYLOR_MIN_SLOPE / the smallest slope)
    note: str = ""


# --------------------------------------------------------------------------------------------------
# References and bounds
# --------------------------------------------------------------------------------------------------


def jax_product(problem: SecondOrderProblem, product: Product = "hvp") -> list[np.ndarray]:
    """JAX's ``H V`` (:func:`gradtrio.autodiff.hvp`, forward-over-reverse) or ``G V``
    (:func:`gradtrio.autodiff.gvp`) on ``problem``, in float64."""
    from .. import autodiff

    fn = autodiff.hvp if product == "hvp" else autodiff.gvp
    out = fn(problem.thetas, problem.X, problem.Y, problem.lam, problem.V, activation=problem.activation,
             output=problem.output)
    return [np.asarray(x, dtype=np.float64) for x in out]


def _scales(problem: SecondOrderProblem, product: Product = "hvp") -> list[np.ndarray]:
    """:func:`gradtrio.rounding_second.hvp_rounding` of ``problem``: each entry's rounding scale."""
    from ..model import validate
    from ..model.validate import check_direction
    from ..rounding_second import hvp_rounding

    pb, mats = validate(problem.thetas, problem.X, problem.Y, problem.lam, activations=problem.activation,
                        output=problem.output)
    return hvp_rounding(pb, mats, check_direction(problem.V, mats), gauss_newton=product == "gvp")


def product_bound(problem: SecondOrderProblem, product: Product = "hvp") -> list[np.ndarray]:
    """How far two correct evaluations of the product may differ, entry by entry:
    ``BOTH_SIDES · HVP_SAFETY`` times the running error scale of :func:`gradtrio.rounding_second.hvp_rounding`
    (each of the two carries up to one scale)."""
    from ..rounding_second import HVP_SAFETY

    return [BOTH_SIDES * HVP_SAFETY * E for E in _scales(problem, product)]


def _one_side(problem: SecondOrderProblem, product: Product, u: Sequence[np.ndarray], Pv: Sequence[np.ndarray]
              ) -> float:
    """The rounding of ``uᵀ(P v)``: ``|u|ᵀ`` times the product's bound, plus the dot product's own
    ``n ε |u|ᵀ|P v|`` (n the number of parameters)."""
    n = sum(t.size for t in problem.thetas)
    au = [np.abs(x) for x in u]
    return _dot(au, product_bound(problem, product)) + n * EPS * _dot(au, [np.abs(P) for P in Pv])


def _valid(out: Any, problem: SecondOrderProblem) -> list[np.ndarray] | None:
    """The product as float arrays of the weights' shapes, or None when it is not one (a shape, NaN, ...)."""
    try:
        arrs = [np.asarray(x, dtype=np.float64) for x in out]
    except Exception:
        return None
    if len(arrs) != len(problem.thetas) or any(a.shape != t.shape for a, t in zip(arrs, problem.thetas)):
        return None
    return arrs


def compare(a: Sequence[np.ndarray], b: Sequence[np.ndarray], bound: Sequence[np.ndarray]
            ) -> tuple[list[np.ndarray], float]:
    """(per-layer masks of entries beyond their bounds, worst ratio), bounds floored as the gradient's are
    (:func:`gradtrio.check.floored`: ``FLOOR_EPS·ε`` of the layer's largest entry, ``FLOOR_TINY·tiny/ε``)."""
    masks, worst = [], 0.0
    tiny = float(np.finfo(np.float64).tiny)
    overall = max(float(np.max(np.abs(x), initial=0.0)) for x in b) or 1.0
    for x, y, bd in zip(a, b, bound):
        top = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0))) or overall
        bnd = floored(np.asarray(bd, dtype=np.float64), top, EPS, tiny)
        diff = np.abs(np.asarray(x) - np.asarray(y))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(np.isfinite(diff), diff / bnd, np.inf)
        masks.append(~(ratio <= 1.0))
        worst = max(worst, float(np.max(ratio, initial=0.0)))
    return masks, worst


def _call(fn: ProductFn, problem: SecondOrderProblem) -> list[np.ndarray] | None:
    try:
        with np.errstate(all="ignore"):
            out = fn(*problem.args(), activation=problem.activation, output=problem.output)
    except Exception:
        return None
    return _valid(out, problem)


def _bad(name: str) -> SecondOrderCheck:
    return SecondOrderCheck(name, True, math.inf, "no product of the weights' shapes (raised, or wrong shapes)")


def _directions(problem: SecondOrderProblem, k: int, salt: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng([salt, problem.m, *problem.sizes, int(problem.lam * 1000)])
    return [[rng.uniform(-1.0, 1.0, size=t.shape) for t in problem.thetas] for _ in range(k)]


def _dot(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    return float(sum(np.sum(x * y) for x, y in zip(a, b)))


# --------------------------------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------------------------------


def check_jax(fn: ProductFn, problem: SecondOrderProblem, product: Product = "hvp") -> SecondOrderCheck:
    """The product against JAX's (:func:`jax_product`), entry by entry within :func:`product_bound`."""
    out = _call(fn, problem)
    if out is None:
        return _bad("jax")
    _, worst = compare(out, jax_product(problem, product), product_bound(problem, product))
    return SecondOrderCheck("jax", worst > 1.0, worst)


def check_central(fn: ProductFn, problem: SecondOrderProblem, product: Product = "hvp") -> SecondOrderCheck:
    """The product against central differences of gradtrio's backprop gradient along V.

    ``D(h) = (∇J(θ + hV) − ∇J(θ − hV)) / 2h`` with ``h`` = :data:`FD_STEP` scaled; its error is bounded by
    ``TRUNC_SAFETY · |D(h) − D(2h)|/3`` (the h² term, from the two steps) plus ``2 r/h`` (``r`` the gradient's
    rounding, ``ANALYTIC_SAFETY ε`` times its running scale, :func:`gradtrio.rounding.rounding_scales`, on
    each of the four evaluations) plus the product's own rounding (:func:`product_bound`).
    """
    from .. import backprop
    from ..rounding import rounding_scales

    out = _call(fn, problem)
    if out is None:
        return _bad("central")
    th, V = problem.thetas, problem.V
    scale = max(1.0, max(float(np.max(np.abs(t))) for t in th)) / max(float(np.max(np.abs(v))) for v in V)
    h = FD_STEP * scale

    def grad(t: float) -> list[np.ndarray]:
        return backprop.cost_and_grad([a + t * v for a, v in zip(th, V)], problem.X, problem.Y, problem.lam,
                                      activation=problem.activation, output=problem.output)[1]

    def D(step: float) -> list[np.ndarray]:
        return [(p - q) / (2 * step) for p, q in zip(grad(step), grad(-step))]

    d1, d2 = D(h), D(2 * h)
    sc = rounding_scales(th, problem.X, problem.Y, problem.lam, activation=problem.activation, output=problem.output)
    pbound = product_bound(problem, product)
    bound = [TRUNC_SAFETY * np.abs(a - b) / 3.0 + 2.0 * ANALYTIC_SAFETY * EPS * G / h + P
             for a, b, G, P in zip(d1, d2, sc.grad, pbound)]
    _, worst = compare(out, d1, bound)
    return SecondOrderCheck("central", worst > 1.0, worst)


def check_symmetry(fn: ProductFn, problem: SecondOrderProblem, product: Product = "hvp") -> SecondOrderCheck:
    """``uᵀ(P v) = vᵀ(P u)`` on :data:`SYMMETRY_PAIRS` seeded pairs (v = V first).

    Bound: each side's :func:`_one_side`, ``|u|ᵀ B_v + n ε |u|ᵀ|P v|`` (``B`` :func:`product_bound`, ``n`` the
    number of parameters, the dot product's own rounding, on the product's own ``|P v|`` so that a product
    larger than the correct one is bounded by its own size).
    """
    dirs = _directions(problem, 2 * SYMMETRY_PAIRS, salt=11)
    pairs = [(problem.V, dirs[0])] + [(dirs[2 * k], dirs[2 * k + 1]) for k in range(1, SYMMETRY_PAIRS)]
    worst = 0.0
    for v, u in pairs:
        pv, pu = problem.with_direction(v), problem.with_direction(u)
        Pv, Pu = _call(fn, pv), _call(fn, pu)
        if Pv is None or Pu is None:
            return _bad("symmetry")
        bound = max(_one_side(pv, product, u, Pv) + _one_side(pu, product, v, Pu),
                    FLOOR_TINY * float(np.finfo(np.float64).tiny) / EPS)
        diff = abs(_dot(u, Pv) - _dot(v, Pu))
        worst = max(worst, diff / bound if np.isfinite(diff) else math.inf)
    return SecondOrderCheck("symmetry", worst > 1.0, worst)


def check_taylor(fn: ProductFn, problem: SecondOrderProblem, product: Product = "hvp") -> SecondOrderCheck:
    """The remainder ``r(t) = ‖∇J(θ + tV) − ∇J(θ) − t P V‖₂`` must fall with slope 2 as t halves.

    ``t`` from :data:`TAYLOR_T0` / max|V| through :data:`TAYLOR_HALVINGS` halvings; a pair of steps counts
    where both remainders exceed :data:`TAYLOR_RESOLVED` times the rounding floor ``‖2 ANALYTIC_SAFETY ε G +
    t B‖₂`` (``G`` the gradient's running scale, ``B`` :func:`product_bound`); flagged when a counted pair's
    slope ``log2(r(t)/r(t/2))`` is below :data:`TAYLOR_MIN_SLOPE`. A gradient linear in θ (no counted pair)
    passes: there the remainder of a right product is rounding throughout.
    """
    from .. import backprop
    from ..rounding import rounding_scales

    out = _call(fn, problem)
    if out is None:
        return _bad("taylor")
    th, V = problem.thetas, problem.V
    g0 = backprop.cost_and_grad(th, problem.X, problem.Y, problem.lam, activation=problem.activation,
                                output=problem.output)[1]
    sc = rounding_scales(th, problem.X, problem.Y, problem.lam, activation=problem.activation, output=problem.output)
    pbound = product_bound(problem, product)
    t = TAYLOR_T0 / max(float(np.max(np.abs(v))) for v in V)
    rs, floors = [], []
    for _ in range(TAYLOR_HALVINGS + 1):
        g = backprop.cost_and_grad([a + t * v for a, v in zip(th, V)], problem.X, problem.Y, problem.lam,
                                   activation=problem.activation, output=problem.output)[1]
        r = math.sqrt(sum(float(np.sum((a - b - t * p) ** 2)) for a, b, p in zip(g, g0, out)))
        fl = math.sqrt(sum(float(np.sum((2 * ANALYTIC_SAFETY * EPS * G + t * B) ** 2))
                           for G, B in zip(sc.grad, pbound)))
        rs.append(r)
        floors.append(fl)
        t /= 2
    slopes = [math.log2(rs[k] / rs[k + 1]) for k in range(TAYLOR_HALVINGS)
              if rs[k + 1] > TAYLOR_RESOLVED * floors[k + 1] and rs[k] > TAYLOR_RESOLVED * floors[k]]
    if not slopes:
        return SecondOrderCheck("taylor", False, 0.0, "no remainder above rounding (a gradient linear in θ?)")
    low = min(slopes)
    return SecondOrderCheck("taylor", low < TAYLOR_MIN_SLOPE, TAYLOR_MIN_SLOPE / max(low, 1e-300),
                            f"smallest slope {low:.3g}")


def check_psd(fn: ProductFn, problem: SecondOrderProblem, product: Product = "gvp") -> SecondOrderCheck:
    """``vᵀ G v ≥ −bound`` on V and :data:`PSD_DIRECTIONS` − 1 seeded directions, the bound as in
    :func:`check_symmetry` for one side."""
    dirs = [problem.V] + _directions(problem, PSD_DIRECTIONS - 1, salt=23)
    worst = 0.0
    for v in dirs:
        pv = problem.with_direction(v)
        Pv = _call(fn, pv)
        if Pv is None:
            return _bad("psd")
        bound = max(_one_side(pv, "gvp", v, Pv), FLOOR_TINY * float(np.finfo(np.float64).tiny) / EPS)
        q = _dot(v, Pv)
        worst = max(worst, -q / bound if np.isfinite(q) else math.inf)
    return SecondOrderCheck("psd", worst > 1.0, max(worst, 0.0))


def check_g_equals_h(fn: ProductFn, problem: SecondOrderProblem, product: Product = "gvp") -> SecondOrderCheck:
    """On ``problem``'s units without a hidden layer (:func:`no_hidden_problem`), where G = H, the product
    against JAX's ``H V`` within :func:`product_bound` (``problem`` itself only names the units)."""
    flat = no_hidden_problem(problem.activation, problem.output, seed=problem.m)
    return SecondOrderCheck("g_equals_h", *_jax_flag(fn, flat))


def _jax_flag(fn: ProductFn, problem: SecondOrderProblem) -> tuple[bool, float]:
    out = _call(fn, problem)
    if out is None:
        return True, math.inf
    _, worst = compare(out, jax_product(problem, "hvp"), product_bound(problem, "hvp"))
    return worst > 1.0, worst


CHECKS: dict[str, Callable[[ProductFn, SecondOrderProblem, Product], SecondOrderCheck]] = {
    "jax": check_jax, "central": check_central, "symmetry": check_symmetry, "taylor": check_taylor,
    "psd": check_psd, "g_equals_h": check_g_equals_h,
}


# --------------------------------------------------------------------------------------------------
# The detection table
# --------------------------------------------------------------------------------------------------


@dataclass
class SecondOrderRow:
    """One mutant (or control) against every checker on its judging problems.

    ``results[checker]`` is None where the checker does not apply to the row's product, else the list of
    :class:`SecondOrderCheck` per problem; ``differs`` counts the problems on which the product differs from
    the correct one (beyond rounding).
    """

    mutant: SecondOrderMutant
    problems: int
    differs: int
    results: dict[str, list[SecondOrderCheck] | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.mutant.name or f"control ({self.mutant.product}, {self.mutant.network})"

    def caught_by(self, checker: str) -> int | None:
        res = self.results.get(checker)
        return None if res is None else sum(r.flagged for r in res)

    @property
    def caught(self) -> bool:
        return any((self.caught_by(c) or 0) > 0 for c in SECOND_ORDER_CHECKERS)

    def to_dict(self) -> dict[str, Any]:
        return {"mutant": self.name, "kind": "control" if self.mutant.name is None else "mutant",
                "product": self.mutant.product, "network": self.mutant.network,
                "description": self.mutant.description, "where": self.mutant.where,
                "problems": self.problems, "differs": self.differs,
                "results": {c: None if r is None else {"flagged": sum(x.flagged for x in r), "of": len(r),
                                                       "detected": any(x.flagged for x in r),
                                                       "worst_ratio": _finite(max(x.ratio for x in r))}
                            for c, r in self.results.items()}}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _row(mu: SecondOrderMutant, problems: Sequence[SecondOrderProblem]) -> SecondOrderRow:
    differs = 0
    for p in problems:
        _, worst = compare(mu.on(p), reference_product(p, mu.product), product_bound(p, mu.product))
        differs += worst > 1.0
    row = SecondOrderRow(mu, len(problems), differs)
    for c in SECOND_ORDER_CHECKERS:
        row.results[c] = ([CHECKS[c](mu, p, mu.product) for p in problems] if mu.product in APPLIES[c] else None)
    return row


def second_order_table(*, problems: int | None = None, seed: int = 0,
                       names: Sequence[str] | None = None) -> list[SecondOrderRow]:
    """Controls first (one per product and network), then every mutant of :data:`SECOND_ORDER_CATALOG`, each
    on its network's judging problems (:func:`judge_problems`, ``problems`` of them; default all four)."""
    chosen = list(SECOND_ORDER_CATALOG) if names is None else list(names)
    rows = []
    for mu in list(SECOND_ORDER_CONTROLS.values()) + [SECOND_ORDER_CATALOG[n] for n in chosen]:
        rows.append(_row(mu, judge_problems(mu.activation, mu.output, seed=seed, count=problems)))
    return rows


# --------------------------------------------------------------------------------------------------
# Diagnosis
# --------------------------------------------------------------------------------------------------


def _close(problem: SecondOrderProblem, product: Product, a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> bool:
    """Equal within the correct product's rounding bound, each side's own magnitude's rounding, and
    :data:`DIAGNOSIS_RTOL` of each layer's largest entry (a bug's values can be far larger than the correct
    ones, and so can their rounding)."""
    n = rounding_terms(problem)
    base = product_bound(problem, product)
    bound = [B + BOTH_SIDES * n * EPS * (np.abs(x) + np.abs(y))
             + DIAGNOSIS_RTOL * max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
             for B, x, y in zip(base, a, b)]
    masks, _ = compare(a, b, bound)
    return not any(m.any() for m in masks)


def diagnose_products(outputs: Sequence[Sequence[np.ndarray] | None], problems: Sequence[SecondOrderProblem],
                      product: Product = "hvp") -> list[SecondOrderMutant]:
    """The catalog bugs that reproduce a user's products on every problem.

    Parameters
    ----------
    outputs : sequence of (list of ndarray or None)
        The user's product on each problem (None where it raised or had the wrong shapes).
    problems : sequence of SecondOrderProblem
        The problems, in the same order (each with the user's units).
    product : {"hvp", "gvp"}
        What the user's code claims to compute: only bugs of that product are candidates.

    Returns
    -------
    list of SecondOrderMutant
        Every mutant of that product whose values equal the user's on every problem (within rounding) and
        that differs from the correct product on some problem; empty when the user's products are the correct
        ones on every problem, or when no bug matches.
    """
    if any(o is None for o in outputs):
        return []
    outs = [[np.asarray(x, dtype=np.float64) for x in o] for o in outputs]  # type: ignore[union-attr]
    refs = [reference_product(p, product) for p in problems]
    if all(_close(p, product, o, r) for p, o, r in zip(problems, outs, refs)):
        return []
    found = []
    for mu in SECOND_ORDER_CATALOG.values():
        if mu.product != product:
            continue
        theirs = []
        for p in problems:
            try:
                with np.errstate(all="ignore"):
                    theirs.append(mu(*p.args(), activation=p.activation, output=p.output))
            except Exception:
                break
        else:
            if all(_close(p, product, o, t) for p, o, t in zip(problems, outs, theirs)) and not all(
                    _close(p, product, t, r) for p, t, r in zip(problems, theirs, refs)):
                found.append(mu)
    return found
