"""The three-way gradient comparison and its report: the classic ``checkNNGradients``, for any net.

:func:`check_gradients` builds the course's deterministic debug problem
(:func:`gradtrio.network.debug_problem`) and :func:`compare_gradients` computes the gradient of the
cost by every requested method, then compares each method with the reference (the first method),
layer by layer, against the dtype-keyed table of :mod:`gradtrio.tolerances`.

Methods
-------
``backprop``   :func:`gradtrio.backprop.cost_and_grad` (vectorized, hand-written NumPy)
``loop``       :func:`gradtrio.backprop.cost_and_grad_loop` (the per-example course algorithm)
``autodiff``   :func:`gradtrio.autodiff.cost_and_grad` (``jax.grad`` of the same cost)
``central``    central differences, one coordinate at a time (``computeNumericalGradient``)
``batched``    central differences, many perturbations per ``jit(vmap(cost))`` call
``complex``    complex step on :func:`gradtrio.finite_diff.complex_cost_fn`
``forward``    forward differences (to show why central ones are used)
``richardson`` central differences at h and h/2, extrapolated
``directional`` ``gᵀv`` of the reference against central differences along random directions
               (one row, layer "all"; the only method that uses ``seed``)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import backprop, finite_diff
from ._validate import prepared_problem
from .network import debug_problem, one_hot, roll, sizes_of, unroll
from .tolerances import Tolerance, tolerance

__all__ = [
    "DEFAULT_METHODS",
    "KNOWN_METHODS",
    "Row",
    "GradientReport",
    "compare_gradients",
    "check_gradients",
]

DEFAULT_METHODS: tuple[str, ...] = ("backprop", "loop", "autodiff", "central", "complex")
KNOWN_METHODS: tuple[str, ...] = DEFAULT_METHODS + ("batched", "forward", "richardson", "directional")

GradFn = Callable[[list[np.ndarray], np.ndarray, np.ndarray, float], Sequence[np.ndarray]]


def _grad_backprop(th, X, Y, lam):
    return backprop.cost_and_grad(th, X, Y, lam)[1]


def _grad_loop(th, X, Y, lam):
    return backprop.cost_and_grad_loop(th, X, Y, lam)[1]


def _grad_autodiff(th, X, Y, lam):
    from . import autodiff

    return autodiff.cost_and_grad(th, X, Y, lam)[1]


def _numeric(method: str):
    def grad(th, X, Y, lam):
        sizes = sizes_of(th)
        v = unroll(th)
        if method == "central":
            flat = finite_diff.numerical_gradient(finite_diff.cost_fn(sizes, X, Y, lam), v)
        elif method == "forward":
            flat = finite_diff.numerical_gradient(finite_diff.cost_fn(sizes, X, Y, lam), v, scheme="forward")
        elif method == "richardson":
            flat, _ = finite_diff.richardson(finite_diff.cost_fn(sizes, X, Y, lam), v)
        elif method == "batched":
            flat = finite_diff.numerical_gradient_batched(finite_diff.cost_batch_fn(sizes, X, Y, lam), v)
        else:  # complex
            flat = finite_diff.complex_step_gradient(finite_diff.complex_cost_fn(sizes, X, Y, lam), v)
        return roll(flat, sizes)

    return grad


_GRADIENTS: dict[str, GradFn] = {
    "backprop": _grad_backprop,
    "loop": _grad_loop,
    "autodiff": _grad_autodiff,
    **{m: _numeric(m) for m in ("central", "batched", "complex", "forward", "richardson")},
}


@dataclass(frozen=True)
class Row:
    """One comparison: a method pair on one layer.

    Attributes
    ----------
    method_a, method_b : str
        ``method_a`` is the reference.
    layer : str
        ``"Theta(1)"`` ... (course numbering: ``Theta(1)`` is ``thetas[0]``), or ``"all"``.
    max_abs : float
        ``max |a - b|``.
    rel_err : float
        ``‖a - b‖ / ‖a + b‖`` (0 when both are zero).
    tol : float
        The relative tolerance ``rtol`` of the pair.
    atol : float
        The absolute tolerance, already multiplied by ``max(1, |J|)``.
    passed : bool
        ``rel_err <= tol or max_abs <= atol``.
    """

    method_a: str
    method_b: str
    layer: str
    max_abs: float
    rel_err: float
    tol: float
    atol: float
    passed: bool

    @property
    def pair(self) -> str:
        return f"{self.method_a} vs {self.method_b}"

    def describe(self) -> str:
        """One sentence saying what failed (or passed) and by how much."""
        verdict = "agree" if self.passed else "DISAGREE"
        return (f"{self.pair} {verdict} on {self.layer}: relative error {self.rel_err:.3g} "
                f"(tolerance {self.tol:.3g}), max |a-b| {self.max_abs:.3g} (tolerance {self.atol:.3g})")


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The course's relative error ``‖a − b‖ / ‖a + b‖`` (0 when a == b, inf when a == -b != 0)."""
    num = float(np.linalg.norm(a - b))
    den = float(np.linalg.norm(a + b))
    if num == 0.0:
        return 0.0
    return num / den if den > 0 else math.inf


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass
class GradientReport:
    """The result of :func:`compare_gradients` / :func:`check_gradients`.

    Attributes
    ----------
    rows : list of Row
        One per (method pair, layer).
    sizes : tuple of int
    m : int
    lam : float
    dtype : str
    J : float
        The cost (by backprop), which scales the absolute tolerances.
    gradients : dict of str to list of ndarray
        Every method's gradient, with the structure of ``thetas``.
    """

    rows: list[Row]
    sizes: tuple[int, ...]
    m: int
    lam: float
    dtype: str
    J: float
    gradients: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[Row]:
        """The rows that failed."""
        return [r for r in self.rows if not r.passed]

    def failure_message(self) -> str:
        """Every failure in one sentence each (names the layer and the method pair); "" if none."""
        head = f"sizes {self.sizes}, m = {self.m}, λ = {self.lam:g}, {self.dtype}, J = {self.J:.6g}: "
        return "\n".join(head + r.describe() for r in self.failures())

    def worst(self, method_b: str | None = None) -> Row:
        """The row with the largest relative error (optionally for one compared method)."""
        rows = [r for r in self.rows if method_b is None or r.method_b == method_b]
        return max(rows, key=lambda r: r.rel_err)

    def __str__(self) -> str:
        head = (f"gradient check: sizes {self.sizes}, m = {self.m}, λ = {self.lam:g}, {self.dtype}, "
                f"J = {self.J:.10g}")
        w = max([len(r.pair) for r in self.rows] + [4])
        lines = [head, f"{'pair':<{w}}  {'layer':<9} {'max |a-b|':>10} {'|a-b|/|a+b|':>12} "
                       f"{'rtol':>9} {'atol':>9}  result"]
        for r in self.rows:
            lines.append(f"{r.pair:<{w}}  {r.layer:<9} {r.max_abs:>10.2e} {r.rel_err:>12.2e} "
                         f"{r.tol:>9.1e} {r.atol:>9.1e}  {'ok' if r.passed else 'FAIL'}")
        n_fail = len(self.failures())
        lines.append(f"{'PASSED' if self.passed else 'FAILED'}: {len(self.rows) - n_fail}/{len(self.rows)} "
                     "comparisons agree (a row agrees when |a-b|/|a+b| <= rtol or max |a-b| <= atol)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary (gradients left out; non-finite numbers become None)."""
        return {
            "sizes": list(self.sizes),
            "m": self.m,
            "lam": self.lam,
            "dtype": self.dtype,
            "J": _finite_or_none(self.J),
            "passed": self.passed,
            "rows": [{k: _finite_or_none(v) for k, v in asdict(r).items()} for r in self.rows],
        }

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)


def _directional_row(ref: str, grads: Sequence[np.ndarray], sizes, X, Y, lam, theta, seed, J) -> Row:
    res = finite_diff.directional_check(unroll(grads), finite_diff.cost_fn(sizes, X, Y, lam), theta,
                                        k=10, seed=seed)
    den = float(np.max(np.abs(res.analytic) + np.abs(res.numeric)))
    rel = float(np.max(res.abs_err)) / den if den > 0 else 0.0
    i = int(np.argmax(res.ratio))
    return Row(ref, "directional", "all", float(res.abs_err[i]), rel, math.nan, float(res.bound[i]), res.passed)


def _float_dtype_arg(dtype: DTypeLike) -> np.dtype:
    """float32 or float64; anything else (ints would turn the debug weights into zeros) is refused."""
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float64 or float32; got {dt}")
    return dt


def compare_gradients(
    thetas: Sequence[ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    lam: float = 0.0,
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    custom: Mapping[str, GradFn] | None = None,
    pairs: str = "reference",
    dtype: DTypeLike | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> GradientReport:
    """Compute the gradient by every method and compare each with the reference, layer by layer.

    Parameters
    ----------
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0.
    X : array_like of shape (m, s_1)
    Y : array_like of shape (m, K), one-hot
    lam : float, default 0
    methods : sequence of str
        From :data:`KNOWN_METHODS` or the keys of ``custom``; the first is the reference.
    custom : mapping of str to callable, optional
        Extra gradient functions ``f(thetas, X, Y, lam) -> grads`` (e.g. a backprop with a planted
        bug); they are judged with the tolerances of an analytic method. A name that is also a known
        method replaces it.
    pairs : {"reference", "all"}
        Compare every method with the first one, or every pair.
    dtype : numpy dtype, optional
        Cast thetas and X to it (float64 or float32); by default the inputs' dtype.
    seed : int, default 0
        Seeds the random directions of ``"directional"``.
    progress : callable ``(method) -> None``, optional
        Called with each method's name before it runs (``gradtrio check`` shows progress with it).

    Returns
    -------
    GradientReport
    """
    mats, X, Y, lam, dt = prepared_problem(
        thetas, X, Y, lam, dtype=None if dtype is None else _float_dtype_arg(dtype))
    custom = dict(custom or {})
    if isinstance(methods, str):
        raise TypeError(f"methods must be a sequence of names such as ('backprop', 'central'); got the string {methods!r}")
    methods = list(dict.fromkeys(methods))  # each method once, in the order given
    if len(methods) < 2:
        raise ValueError(f"methods must name at least two methods to compare, e.g. ('backprop', 'central'); got {methods}")
    unknown = [m for m in methods if m not in KNOWN_METHODS and m not in custom]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {', '.join(KNOWN_METHODS)} (or pass custom=...)")
    if pairs not in ("reference", "all"):
        raise ValueError(f"pairs must be 'reference' or 'all'; got {pairs!r}")
    if methods[0] == "directional":
        raise ValueError("the first method is the reference and must give a full gradient, not 'directional'")
    sizes = sizes_of(mats)
    J = backprop.cost(mats, X, Y, lam)
    grads: dict[str, list[np.ndarray]] = {}
    for name in methods:
        if name == "directional":
            continue
        if progress is not None:
            progress(name)
        fn = custom.get(name, _GRADIENTS.get(name))
        g = [np.asarray(t, dtype=np.float64) for t in fn(mats, X, Y, lam)]
        if [t.shape for t in g] != [t.shape for t in mats]:
            raise ValueError(f"method {name!r} returned gradients of shapes {[t.shape for t in g]}; "
                             f"expected the shapes of thetas {[t.shape for t in mats]}")
        grads[name] = g

    def tol_of(a: str, b: str) -> Tolerance:
        return tolerance(dt, "backprop" if a in custom else a, "backprop" if b in custom else b)

    ref = methods[0]
    full = [m for m in methods if m != "directional"]
    if pairs == "reference":
        todo = [(ref, b) for b in full[1:]]
    else:
        todo = [(a, b) for i, a in enumerate(full) for b in full[i + 1 :]]
    rows = []
    for a, b in todo:
        tol = tol_of(a, b)
        atol = tol.atol * max(1.0, abs(J))
        for l, (ga, gb) in enumerate(zip(grads[a], grads[b])):
            max_abs = float(np.max(np.abs(ga - gb)))
            rel = relative_error(ga, gb)
            rows.append(Row(a, b, f"Theta({l + 1})", max_abs, rel, tol.rtol, atol, tol.agrees(rel, max_abs, J)))
    if "directional" in methods:
        if progress is not None:
            progress("directional")
        rows.append(_directional_row(ref, grads[ref], sizes, X, Y, lam, unroll(mats), seed, J))
    return GradientReport(rows, sizes, X.shape[0], lam, dt.name, J, grads)


def check_gradients(
    sizes: Sequence[int] = (3, 5, 3),
    lam: float = 0.0,
    m: int = 5,
    seed: int = 0,
    dtype: DTypeLike = np.float64,
    methods: Sequence[str] = DEFAULT_METHODS,
    **kw: Any,
) -> GradientReport:
    """The classic ``checkNNGradients``, for any sizes: debug weights, ``y_i = i mod K``.

    Parameters
    ----------
    sizes : sequence of int, default (3, 5, 3)
    lam : float, default 0
    m : int, default 5
        Number of examples.
    seed : int, default 0
        Seeds the random directions of ``"directional"`` (the debug problem itself is deterministic).
    dtype : numpy dtype, default float64
    methods : sequence of str, default ("backprop", "loop", "autodiff", "central", "complex")
        The first is the reference.
    **kw
        Passed to :func:`compare_gradients` (``custom``, ``pairs``).

    Returns
    -------
    GradientReport
        ``print(report)`` shows the table; ``report.passed``; ``report.failures()``.

    Examples
    --------
    >>> import gradtrio
    >>> print(gradtrio.check_gradients((3, 5, 3), lam=3.0))  # doctest: +SKIP
    """
    dtype = _float_dtype_arg(dtype)
    thetas, X, y = debug_problem(sizes, m, dtype)
    Y = one_hot(y, thetas[-1].shape[0], dtype)
    return compare_gradients(thetas, X, Y, lam, methods, dtype=dtype, seed=seed, **kw)
