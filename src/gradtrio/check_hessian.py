"""The Hessian-vector product checked against independent references, reported as :func:`gradtrio.check_gradients` does.

:func:`check_hessians` computes ``H v`` (v a direction in weight space, the shapes of ``thetas``) by every
requested method and compares each with the reference (the first method), entry by entry, in rows of the
:class:`gradtrio.check.Row` kind, judged by the rule of :mod:`gradtrio.tolerances`.

Methods
-------
- ``backprop``: :func:`gradtrio.backprop.hvp` (Pearlmutter's R-operator by hand; the reference)
- ``loop``: :func:`gradtrio.backprop.hvp_loop` (the same, one example at a time)
- ``autodiff``: :func:`gradtrio.autodiff.hvp` (JAX forward-over-reverse, ``jvp`` of ``grad``)
- ``hessian``: :func:`gradtrio.autodiff.hessian` ``@ v`` (dense; skipped above
  :data:`gradtrio.autodiff.HESSIAN_MAX_PARAMS` parameters)
- ``central``: central differences of backprop's gradient along v at h and 2h
  (:func:`gradtrio.oracles.second_order.central_hvp`)
- ``complex``: the complex step of backprop in complex arithmetic
  (:func:`gradtrio.oracles.second_order.complex_step_hvp`)
- ``gauss-newton``: not ``H v`` but ``G v``: :func:`gradtrio.backprop.gvp` against :func:`gradtrio.autodiff.gvp`
  (one extra pair of rows, "gauss-newton" vs "gauss-newton-jax")
- ``user``: a callable passed as ``hvp=`` (the signature of :func:`gradtrio.backprop.hvp`)

Error bounds
------------
Each method has a per-entry bound; a pair's bound is the sum of its two.

- *Exact methods* (backprop, loop, autodiff, hessian, user, the Gauss-Newton pair): rounding only,
  ``HVP_SAFETY · hvp_rounding(...)`` (:mod:`gradtrio.rounding_second`): a running error analysis of the
  R-operator's passes on the problem at hand, which counts the slope's and bend's own errors, the kinks of
  ``g'`` and ``g''``, saturated units, the classic ``h(1 − h)``'s absolute error and underflow.
- *The complex step*: the same rounding, plus its truncation measured from a second step:
  ``Im ∇J(θ + i h v)/h − H v ≈ c h²``, so ``|D(2h) − D(h)| ≈ 3 c h²`` bounds it three times over. With
  h = 1e-20 it is ~1e-40 relative, but not relative to an entry that is exactly 0 at θ (zero weights above a
  layer), where the step's ``h²`` terms are all there is.
- *Central differences*: measured (truncation from the second step, rounding of the gradient over h;
  :mod:`gradtrio.oracles.second_order`), with the gradient's rounding ``ANALYTIC_SAFETY · ε · G`` from
  :mod:`gradtrio.rounding`.

A stencil that crosses a relu / leaky_relu kink makes its method's rows "inconclusive" (never "fail"):
its number is no derivative. The report counts such units (:attr:`HessianReport.kinks`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _docs
from .check import Row, judge_layer, relative_error, row_table, summary_line
from .model import validate
from .model.validate import check_direction
from .rounding import scales_of
from .rounding_second import HVP_SAFETY, curvature_kinks, hvp_rounding
from .tolerances import ANALYTIC_SAFETY, BUG_SIZE, verdict_of

__all__ = ["HESSIAN_METHODS", "DEFAULT_HESSIAN_METHODS", "HessianReport", "check_hessians"]

#: Every method :func:`check_hessians` knows ("user" comes with ``hvp=``).
HESSIAN_METHODS: tuple[str, ...] = ("backprop", "loop", "autodiff", "hessian", "central", "complex", "gauss-newton")
#: The default: every ``H v`` method (the Gauss-Newton pair is asked for by name).
DEFAULT_HESSIAN_METHODS: tuple[str, ...] = ("backprop", "loop", "autodiff", "hessian", "central", "complex")

HvpFn = Callable[..., Sequence[np.ndarray]]


def _finite_or_none(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


@dataclass
class HessianReport:
    """The result of :func:`check_hessians`.

    Attributes
    ----------
    rows : list of gradtrio.check.Row
        One per (method pair, layer); a row whose method's stencil crossed a kink is listed in
        :attr:`inconclusive_methods` and judged "inconclusive" unless it is within its bound.
    sizes : tuple of int
    m : int
    lam : float
    dtype : str
    products : dict of str to list of ndarray
        Every method's ``H v`` (``G v`` for the Gauss-Newton pair), the structure of ``thetas``.
    steps : dict of str to float
        The step each numerical method took.
    kinks : dict of str to int
        For each numerical method on a kinked network: how many hidden units its stencil moved across a
        kink (0: its number is a derivative).
    skipped : dict of str to str
        Methods that were not run, and why (``hessian`` on a large network).
    """

    rows: list[Row]
    sizes: tuple[int, ...]
    m: int
    lam: float
    dtype: str
    products: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)
    steps: dict[str, float] = field(default_factory=dict)
    kinks: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def inconclusive_methods(self) -> list[str]:
        """The numerical methods whose stencil crossed a kink."""
        return [k for k, v in self.kinks.items() if v]

    def row_verdict(self, r: Row) -> str:
        """The row's own verdict, "inconclusive" where a kink crossing made a method's number no
        derivative (a disagreement there is not a bug)."""
        if r.method_b in self.inconclusive_methods or r.method_a in self.inconclusive_methods:
            return "pass" if r.verdict == "pass" else "inconclusive"
        return r.verdict

    @property
    def verdict(self) -> str:
        """"fail" if a row failed, else "inconclusive" if a row was, else "pass"."""
        return verdict_of([self.row_verdict(r) for r in self.rows])

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[Row]:
        return [r for r in self.rows if self.row_verdict(r) == "fail"]

    def inconclusive(self) -> list[Row]:
        return [r for r in self.rows if self.row_verdict(r) == "inconclusive"]

    def failure_message(self) -> str:
        """Every failing or inconclusive row in one sentence each; "" if none."""
        head = f"Hessian-vector check, sizes {self.sizes}, m = {self.m}, λ = {self.lam:g}, {self.dtype}: "
        return "\n".join(head + r.describe() for r in self.failures() + self.inconclusive())

    def __str__(self) -> str:
        head = f"Hessian-vector check: sizes {self.sizes}, m = {self.m}, λ = {self.lam:g}, {self.dtype}"
        lines = [head] + row_table(self.rows, [self.row_verdict(r) for r in self.rows])
        lines.append(summary_line(self.verdict, len(self.rows), len(self.failures()), len(self.inconclusive())))
        for name, n in self.kinks.items():
            if n:
                lines.append(f"{name}: its stencil moved {n} hidden unit(s) across a kink of g' or g'' "
                             "(relu, leaky_relu, elu): no derivative "
                             "there, its rows cannot fail")
        for name, why in self.skipped.items():
            lines.append(f"{name} skipped: {why}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary (products left out; non-finite numbers become None)."""
        rows = []
        for r in self.rows:
            d = {k: _finite_or_none(v) for k, v in asdict(r).items()}
            d["verdict"] = self.row_verdict(r)
            rows.append(d)
        return {"sizes": list(self.sizes), "m": self.m, "lam": self.lam, "dtype": self.dtype,
                "verdict": self.verdict, "passed": self.passed, "rows": rows, "steps": dict(self.steps),
                "kinks": dict(self.kinks), "skipped": dict(self.skipped)}

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)


def _as_flat(name: str, out: Any, mats: Sequence[np.ndarray]) -> np.ndarray:
    if not isinstance(out, (list, tuple)) or len(out) != len(mats):
        raise ValueError(f"method {name!r} must return a list of {len(mats)} matrices shaped like thetas; "
                         f"got {type(out).__name__}")
    g = [np.asarray(t, dtype=np.float64) for t in out]
    if [t.shape for t in g] != [t.shape for t in mats]:
        raise ValueError(f"method {name!r} returned products of shapes {[t.shape for t in g]}; "
                         f"expected the shapes of thetas {[t.shape for t in mats]}")
    return np.concatenate([t.ravel() for t in g])


@_docs.fill
def check_hessians(
    thetas: Sequence[ArrayLike] | None = None,
    X: ArrayLike | None = None,
    Y: ArrayLike | None = None,
    lam: float = 0.0,
    V: Sequence[ArrayLike] | None = None,
    *,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
    methods: Sequence[str] = DEFAULT_HESSIAN_METHODS,
    seed: int = 0,
    hvp: HvpFn | None = None,
    sizes: Sequence[int] = (3, 5, 3),
    m: int = 5,
    bug_size: float = BUG_SIZE,
) -> HessianReport:
    """Compute ``H v`` by every method and compare each with the reference, entry by entry.

    Parameters
    ----------
    thetas, X, Y : optional
        The problem; all three omitted: the course's debug problem of ``sizes`` and ``m``
        (:func:`gradtrio.network.debug_problem`, one-hot ``y_i = i mod K``).
    lam : float, default 0
    V : sequence of array_like, optional
        The direction, shaped like ``thetas``; by default standard normal entries drawn with ``seed``.
    {units}
    methods : sequence of str, default :data:`DEFAULT_HESSIAN_METHODS`
        From :data:`HESSIAN_METHODS`; the first is the reference ("gauss-newton" adds the pair
        ``gauss-newton`` vs ``gauss-newton-jax`` instead of comparing with the reference).
    seed : int, default 0
        Seeds the default direction.
    hvp : callable, optional
        A user's ``hvp(thetas, X, Y, lam, V, *, activation, output)`` (the units' keywords only where the
        network is not the course's), added as the method "user", judged as an exact method.
    sizes : sequence of int, default (3, 5, 3)
    m : int, default 5
        The debug problem's shape, when no problem is given.
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`

    Returns
    -------
    HessianReport
        ``.verdict`` "pass", "fail" or "inconclusive"; ``print(report)`` shows the table.
    """
    from . import autodiff, backprop
    from .network import debug_problem, one_hot
    from .oracles import second_order as so

    if thetas is None and X is None and Y is None:
        thetas, X, y = debug_problem(sizes, m)
        Y = one_hot(y, thetas[-1].shape[0])
    elif thetas is None or X is None or Y is None:
        raise ValueError("give thetas, X and Y together, or none of them (the debug problem); got "
                         + ", ".join(n for n, a in (("thetas", thetas), ("X", X), ("Y", Y)) if a is not None))
    problem, mats = validate(thetas, X, Y, lam, activations=activation, output=output)
    arch = problem.arch
    if V is None:
        rng = np.random.default_rng(seed)
        vmats = [rng.standard_normal(T.shape).astype(problem.dtype) for T in mats]
    else:
        vmats = check_direction(V, mats)
    if isinstance(methods, str):
        raise TypeError(f"methods must be a sequence of names such as ('backprop', 'central'); got {methods!r}")
    methods = list(dict.fromkeys(methods))
    if hvp is not None and "user" not in methods:
        methods.append("user")
    unknown = [n for n in methods if n not in HESSIAN_METHODS and n != "user"]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {', '.join(HESSIAN_METHODS)} (and 'user' with hvp=)")
    if "user" in methods and hvp is None:
        raise ValueError("method 'user' needs hvp=, a function of the signature of gradtrio.backprop.hvp")
    if methods[0] == "gauss-newton":
        raise ValueError("the first method is the reference for H v; 'gauss-newton' compares G v and cannot be it")
    hv_methods = [n for n in methods if n != "gauss-newton"]
    if len(hv_methods) < 2 and "gauss-newton" not in methods:
        raise ValueError(f"methods must name at least two methods to compare; got {methods}")

    X, Y, lam = problem.X, problem.Y, problem.lam
    units = arch.unit_keywords
    theta, v = arch.unroll(mats), arch.unroll(vmats)
    scales = scales_of(problem, mats)
    exact = HVP_SAFETY * arch.unroll(hvp_rounding(problem, mats, vmats))
    curved = any(curvature_kinks(g) for g in arch.hidden)  # a stencil may cross a jump of the Hessian
    flat: dict[str, np.ndarray] = {}
    errors: dict[str, np.ndarray] = {}
    steps: dict[str, float] = {}
    kinks: dict[str, int] = {}
    skipped: dict[str, str] = {}
    kw: dict[str, Any] = {"activation": arch.activations, "output": arch.output}
    for name in hv_methods:
        if name == "backprop":
            flat[name] = _as_flat(name, backprop.hvp(mats, X, Y, lam, vmats, **kw), mats)
        elif name == "loop":
            flat[name] = _as_flat(name, backprop.hvp_loop(mats, X, Y, lam, vmats, **kw), mats)
        elif name == "autodiff":
            flat[name] = _as_flat(name, autodiff.hvp(mats, X, Y, lam, vmats, **kw), mats)
        elif name == "user":
            assert hvp is not None
            flat[name] = _as_flat(name, hvp(mats, X, Y, lam, vmats, **units), mats)
        elif name == "hessian":
            if arch.num_params > autodiff.HESSIAN_MAX_PARAMS:
                skipped[name] = (f"{arch.num_params} parameters, above HESSIAN_MAX_PARAMS = "
                                 f"{autodiff.HESSIAN_MAX_PARAMS} (the dense matrix)")
                continue
            H = autodiff.hessian(mats, X, Y, lam, **kw)
            flat[name] = H.astype(np.float64) @ v.astype(np.float64)
        elif name == "central":
            def grad(t: np.ndarray) -> np.ndarray:
                return backprop.kernel(problem, arch.cut(t))[1].copy()

            res = so.central_hvp(grad, theta, v, grad_error=ANALYTIC_SAFETY * scales.grad_error(),
                                 step_scale=scales.flat_sensitivity())
            flat[name], steps[name] = res.hv, res.h
            errors[name] = res.error
            if curved:
                kinks[name] = so.stencil_crosses_kink(problem, mats, vmats, [-2 * res.h, -res.h, res.h, 2 * res.h],
                                                      scales.z_error)
            continue
        elif name == "complex":
            cgrad = so.complex_gradient_fn(problem)
            res = so.complex_step_hvp(cgrad, theta, v, step_scale=scales.flat_sensitivity())
            twice = so.complex_step_hvp(cgrad, theta, v, h=2 * res.h)
            flat[name], steps[name] = res.hv, res.h
            errors[name] = exact + np.abs(twice.hv - res.hv)  # rounding, and the truncation measured (doc)
            if curved:
                kinks[name] = so.stencil_crosses_kink(problem, mats, vmats, [1j * res.h, 2j * res.h],
                                                      scales.z_error)
            continue
        errors[name] = exact

    eps = float(np.finfo(problem.dtype).eps)
    tiny = float(np.finfo(problem.dtype).tiny)
    rows: list[Row] = []

    def compare(a: str, b: str, fa: np.ndarray, fb: np.ndarray, bound: np.ndarray) -> None:
        overall = float(max(np.max(np.abs(fa)), np.max(np.abs(fb))))
        for l, (ga, gb, bd) in enumerate(zip(arch.cut(fa), arch.cut(fb), arch.cut(bound))):
            max_abs, ratio, bmax, resolution = judge_layer(ga, gb, bd, eps, overall, tiny)
            rows.append(Row(a, b, f"Theta({l + 1})", max_abs, relative_error(ga, gb), bmax, ratio, resolution,
                            float(bug_size)))

    present = [n for n in hv_methods if n in flat]
    if len(present) >= 2:
        ref = present[0]
        for b in present[1:]:
            compare(ref, b, flat[ref], flat[b], errors[ref] + errors[b])
    products = {n: arch.cut(f) for n, f in flat.items()}
    if "gauss-newton" in methods:
        g_hand = _as_flat("gauss-newton", backprop.gvp(mats, X, Y, lam, vmats, **kw), mats)
        g_jax = _as_flat("gauss-newton-jax", autodiff.gvp(mats, X, Y, lam, vmats, **kw), mats)
        g_bound = 2 * HVP_SAFETY * arch.unroll(hvp_rounding(problem, mats, vmats, gauss_newton=True))
        compare("gauss-newton", "gauss-newton-jax", g_hand, g_jax, g_bound)
        products["gauss-newton"], products["gauss-newton-jax"] = arch.cut(g_hand), arch.cut(g_jax)
    return HessianReport(rows, arch.sizes, problem.m, float(lam), problem.dtype.name, products, steps, kinks,
                         skipped)
