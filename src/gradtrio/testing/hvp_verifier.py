"""Verify a user's own Hessian-vector product: :func:`verify_hvp` (``gradtrio verify FILE.py:FUNC --hvp``).

The function is ``hvp(thetas, X, Y, lam, V) -> list of ndarray`` in gradtrio's conventions (``thetas[l]`` of
shape ``(s_{l+1}, s_l + 1)``, bias in column 0, ``Y`` one-hot, ``V`` shaped like ``thetas``; the result
``H V`` shaped like ``thetas``, H the Hessian of the regularized cost). It is checked, as
:func:`gradtrio.testing.verify` checks a gradient, on the course's debug problems (3-5-3, m = 5, λ = 0 and
λ = 3) and on seeded drawn problems (2 to 4 layers, m from 1, λ = 0 and λ > 0, weights of three scales):

1. against gradtrio's :func:`gradtrio.backprop.hvp`, entry by entry within a rounding bound computed from
   the problem's own term magnitudes (:func:`gradtrio.catalog.second_order_study.product_bound`); on the
   debug problems gradtrio's product is itself held to JAX's forward-over-reverse;
2. the user's product for symmetry, ``uᵀ(H v) = vᵀ(H u)`` (on the debug problems);
3. the contract: arguments unchanged, a list of arrays of the weights' shapes; an exception is a finding with
   its type, message and the user's line that raised it.

A failing product is localized (layer, bias column or weights, and when it shows: only when λ > 0, ...) and
diagnosed by the second-order catalog (:data:`gradtrio.catalog.second_order.SECOND_ORDER_CATALOG`): the
bugs whose product equals the user's on every problem. The drawn problems come from a seeded NumPy generator
(not Hypothesis: there is no shrinking here, the smallest failing problem is reported as it was drawn).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..catalog.second_order import SecondOrderProblem
from ..model import Architecture
from .report import Diagnosis, Finding

__all__ = ["DEFAULT_HVP_EXAMPLES", "HvpReport", "HvpSignatureError", "verify_hvp"]

#: Problems drawn beside the two debug problems: every bug of the second-order catalog shows on most draws
#: (the penalty bugs on those with λ > 0, a third of them), and a verdict stays within a few seconds.
DEFAULT_HVP_EXAMPLES = 12
DEBUG_SIZES = (3, 5, 3)
DEBUG_M = 5
DEBUG_LAMS = (0.0, 3.0)
#: What the drawn problems range over: layers (with the input), widths, examples, λ, the weights' scale.
DRAW_LAYERS = (2, 3, 4)
DRAW_WIDTH = (1, 6)
DRAW_M = (1, 8)
DRAW_LAMS = (0.0, 0.5, 3.0)
DRAW_SCALES = (0.5, 1.0, 2.0)
#: Fewest failing problems from which a condition ("only when λ > 0") is stated (as the gradient verifier's).
MIN_FOR_CONDITION = 3


class HvpSignatureError(ValueError):
    """The function cannot be checked: it does not take ``(thetas, X, Y, lam, V)`` or does not return a list
    of arrays of the weights' shapes. The message says what was expected and what came."""


@dataclass
class HvpReport:
    """What :func:`verify_hvp` found: a verdict, findings, a diagnosis.

    Attributes
    ----------
    verdict : {"pass", "fail", "inconclusive", "error"}
    function : str
    units : dict
        ``{"activation": ..., "output": ...}``: the network the product was checked as.
    findings : list of Finding
    diagnosis : list of Diagnosis
        Second-order catalog bugs whose product equals the user's on every problem.
    pattern : str
        When it fails and no bug matches: where the differences are, in words.
    problems : int
    seconds : float
    smallest : str
        The smallest failing problem, in one line, and the worst entry there.
    """

    verdict: str
    function: str
    units: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    diagnosis: list[Diagnosis] = field(default_factory=list)
    pattern: str = ""
    problems: int = 0
    seconds: float = 0.0
    smallest: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = {"pass": "PASSED", "fail": "FAILED", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}[self.verdict]
        lines = [f"gradtrio verify --hvp {self.function}: {head}",
                 f"network: {self.units['activation']} hidden units, {self.units['output']} output",
                 f"checked on {self.problems} problems in {self.seconds:.1f} s"]
        lines += [f"note: {n}" for n in self.notes]
        for f in self.findings:
            lines += f.lines()
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += ["  " + d.line() for d in self.diagnosis]
        elif self.verdict == "fail":
            lines.append("diagnosis: no bug of gradtrio's second-order catalog matches"
                         + (f"; {self.pattern}" if self.pattern else ""))
        if self.smallest:
            lines.append(f"smallest failing problem: {self.smallest}")
        if self.verdict == "pass":
            lines.append("PASSED: your H V agrees with gradtrio's (held to JAX's) within rounding, and is "
                         "symmetric, on every problem checked")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        from ..check import _finite_or_none as clean

        return {"function": self.function, "product": "hvp", "verdict": self.verdict, "passed": self.passed,
                "units": self.units, "findings": [{k: clean(v) for k, v in vars(f).items()} for f in self.findings],
                "diagnosis": [vars(d) for d in self.diagnosis], "pattern": self.pattern, "problems": self.problems,
                "seconds": self.seconds, "smallest": self.smallest, "notes": list(self.notes)}

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)


@dataclass(eq=False)
class _Outcome:
    problem: SecondOrderProblem
    kind: str
    out: list[np.ndarray] | None = None
    error: str | None = None
    where: str | None = None
    changed: list[str] = field(default_factory=list)
    masks: list[np.ndarray] | None = None
    ratio: float = 0.0
    jax: str = "n/a"
    symmetric: str = "n/a"

    @property
    def failed(self) -> bool:
        return self.error is not None or self.masks is None or any(m.any() for m in self.masks)

    def features(self) -> dict[str, bool]:
        p = self.problem
        return {"λ > 0": p.lam > 0, "m > 1": p.m > 1, "a hidden layer": len(p.sizes) > 2,
                "two or more hidden layers": len(p.sizes) > 3}


_NEGATION = {"λ > 0": "λ = 0", "m > 1": "m = 1", "a hidden layer": "no hidden layer",
             "two or more hidden layers": "at most one hidden layer"}


def _targets(rng: np.random.Generator, m: int, K: int, output: str) -> np.ndarray:
    if output == "identity":
        return rng.normal(size=(m, K))
    if output == "sigmoid" and K == 1:
        return (rng.uniform(size=(m, 1)) < 0.5).astype(float)
    return np.eye(K)[rng.integers(0, K, size=m)]


def _problems(sizes: tuple[int, ...] | None, examples: int, seed: int, activation: str, output: str,
              layers: Sequence[int] = DRAW_LAYERS) -> list[tuple[SecondOrderProblem, str]]:
    from ..network import debug_problem

    rng = np.random.default_rng([seed, 4242])
    sz = sizes if sizes is not None else DEBUG_SIZES
    thetas, X, y = debug_problem(sz, DEBUG_M)
    K = sz[-1]
    Y = np.eye(K)[np.asarray(y, dtype=int) % K] if output != "identity" else rng.normal(size=(DEBUG_M, K))
    if output == "sigmoid" and K == 1:
        Y = (np.asarray(y) % 2).astype(float).reshape(-1, 1)
    arch = Architecture(sz, activation, output)
    V = [rng.uniform(-1.0, 1.0, size=s) for s in arch.shapes]
    out = [(SecondOrderProblem([t.copy() for t in thetas], X.copy(), Y.copy(), lam, [v.copy() for v in V],
                               activation, output), "debug") for lam in DEBUG_LAMS]
    for _ in range(examples):
        if sizes is None:
            depth = int(rng.choice(list(layers)))
            d = [int(rng.integers(DRAW_WIDTH[0], DRAW_WIDTH[1] + 1)) for _ in range(depth)]
            if output == "softmax":
                d[-1] = max(d[-1], 2)
        else:
            d = list(sizes)
        m = int(rng.integers(DRAW_M[0], DRAW_M[1] + 1))
        lam = float(rng.choice(DRAW_LAMS))
        scale = float(rng.choice(DRAW_SCALES))
        a = Architecture(tuple(d), activation, output)
        th = [rng.uniform(-scale, scale, size=s) for s in a.shapes]
        Xd = rng.uniform(-1.0, 1.0, size=(m, d[0]))
        Vd = [rng.uniform(-1.0, 1.0, size=s) for s in a.shapes]
        out.append((SecondOrderProblem(th, Xd, _targets(rng, m, d[-1], output), lam, Vd, activation, output),
                    f"drawn, weights in ±{scale:g}"))
    return out


def _user_line(exc: BaseException, fn: Callable) -> str | None:
    from .conventions import _user_frame

    return _user_frame(exc.__traceback__, fn)[0]


def _shape_error(out: Any, problem: SecondOrderProblem) -> str | None:
    want = ", ".join(str(t.shape) for t in problem.thetas)
    expected = f"a list of {len(problem.thetas)} arrays shaped like thetas ({want})"
    if isinstance(out, np.ndarray) or not isinstance(out, (list, tuple)):
        shape = f" of shape {np.shape(out)}" if isinstance(out, np.ndarray) else ""
        return f"must return {expected}; got {type(out).__name__}{shape}"
    if len(out) != len(problem.thetas):
        return f"must return {expected}; got a {type(out).__name__} of {len(out)}"
    for l, (o, t) in enumerate(zip(out, problem.thetas)):
        try:
            arr = np.asarray(o, dtype=np.float64)
        except Exception:
            return f"must return {expected}; got {type(o).__name__} at position {l}"
        if arr.shape != t.shape:
            return (f"must return {expected}; got {', '.join(str(np.shape(x)) for x in out)} "
                    f"(position {l}: expected {t.shape}, got {arr.shape})")
    return None


def _run(fn: Callable, problem: SecondOrderProblem, kind: str) -> _Outcome:
    res = _Outcome(problem, kind)
    thetas, X, Y, lam, V = problem.args()
    before = [(f"Theta({l + 1})", a.copy()) for l, a in enumerate(thetas)] + [("X", X.copy()), ("Y", Y.copy())] \
        + [(f"V[{l}]", v.copy()) for l, v in enumerate(V)]
    try:
        with np.errstate(all="ignore"):
            out = fn(thetas, X, Y, lam, V)
    except Exception as exc:
        res.error = f"{type(exc).__name__}: {exc}"
        res.where = _user_line(exc, fn)
        return res
    after = dict([(f"Theta({l + 1})", a) for l, a in enumerate(thetas)] + [("X", X), ("Y", Y)]
                 + [(f"V[{l}]", v) for l, v in enumerate(V)])
    res.changed = [name for name, b in before if not np.array_equal(after[name], b)]
    bad = _shape_error(out, problem)
    if bad is not None:
        res.error = f"HvpSignatureError: {bad}"
        return res
    res.out = [np.asarray(o, dtype=np.float64) for o in out]
    return res


def _judge(res: _Outcome) -> None:
    from ..catalog.second_order import reference_product
    from ..catalog.second_order_study import compare, product_bound

    if res.out is None:
        return
    res.masks, res.ratio = compare(res.out, reference_product(res.problem, "hvp"), product_bound(res.problem, "hvp"))


def _conditions(outcomes: list[_Outcome]) -> list[str]:
    failing = [o for o in outcomes if o.failed and o.error is None]
    passing = [o for o in outcomes if not o.failed]
    if len(failing) < MIN_FOR_CONDITION or not passing:
        return []
    out = []
    for feat in failing[0].features():
        if all(o.features()[feat] for o in failing) and any(not o.features()[feat] for o in passing):
            if all(not o.features()[feat] for o in passing):
                out.append(f"only when {feat} (right on every problem with {_NEGATION[feat]})")
    return out


def _describe(p: SecondOrderProblem, kind: str) -> str:
    return f"{p.describe()} ({kind})"


def verify_hvp(
    fn: Callable[..., Any],
    *,
    activation: str = "sigmoid",
    output: str = "sigmoid",
    sizes: Sequence[int] | None = None,
    examples: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> HvpReport:
    """Verify a user's Hessian-vector product against gradtrio's and JAX's, with a diagnosis.

    Parameters
    ----------
    fn : callable
        ``fn(thetas, X, Y, lam, V) -> list of ndarray``: ``H V`` shaped like ``thetas`` (gradtrio's conventions).
    activation : str, default "sigmoid"
        The hidden units the function computes (one name for every hidden layer).
    output : str, default "sigmoid"
        Its output unit and loss.
    sizes : sequence of int, optional
        Check only this architecture; by default sizes are drawn.
    examples : int, optional
        Problems drawn beside the two debug problems; default :data:`DEFAULT_HVP_EXAMPLES`.
    seed : int, default 0
    progress : callable ``(str) -> None``, optional

    Returns
    -------
    HvpReport

    Raises
    ------
    TypeError, ValueError
        For bad options.
    HvpSignatureError
        When the function cannot be checked (it raises ``TypeError`` on the first call, before entering its
        body, or returns something other than a list of arrays of the weights' shapes); the message says
        what was expected and what came.
    """
    from ..catalog.second_order import reference_product
    from ..catalog.second_order_study import check_symmetry, compare, diagnose_products, jax_product, product_bound
    from ..model import ACTIVATIONS, OUTPUTS
    from ..model.validate import check_sizes
    from .verifier import _where

    if not callable(fn):
        raise TypeError(f"fn must be a callable hvp(thetas, X, Y, lam, V); got {type(fn).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {activation!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(map(repr, OUTPUTS))}; got {output!r}")
    sz = None if sizes is None else tuple(check_sizes(sizes))
    n = DEFAULT_HVP_EXAMPLES if examples is None else examples
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"examples must be a non-negative integer; got {examples!r}")
    say = progress or (lambda _msg: None)
    start = time.perf_counter()
    fname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    units = {"activation": activation, "output": output}
    problems = _problems(sz, int(n), int(seed), activation, output)

    say("checking the debug problems")
    first = _run(fn, *problems[0])
    if first.error is not None and (first.error.startswith("HvpSignatureError")
                                    or (first.error.startswith("TypeError") and first.where is None)):
        raise HvpSignatureError(f"{fname} {first.error.removeprefix('HvpSignatureError: ')}"
                                if first.error.startswith("HvpSignatureError")
                                else f"{fname} cannot be called as hvp(thetas, X, Y, lam, V): {first.error}")
    notes: list[str] = []
    if sz is None:  # a function written for the course's three layers (T1, T2 = thetas) is checked on those
        layers = [d for d in DRAW_LAYERS if d == len(DEBUG_SIZES) or _takes_depth(fn, d, activation, output)]
        if len(layers) < len(DRAW_LAYERS):
            skipped = [str(d) for d in DRAW_LAYERS if d not in layers]
            notes.append(f"your function raised on networks of {' and '.join(skipped)} layers, so the drawn "
                         f"problems keep {', '.join(map(str, layers))} (pass --sizes to choose the architecture)")
            problems = problems[:2] + _problems(sz, int(n), int(seed), activation, output, layers)[2:]
    outcomes = [first] + [_run(fn, p, k) for p, k in problems[1:2]]
    say(f"checking {len(problems) - 2} drawn problems")
    outcomes += [_run(fn, p, k) for p, k in problems[2:]]
    for o in outcomes:
        _judge(o)
    for o in outcomes[:2]:  # the references held to JAX, and the user's product to symmetry, on the debug problems
        p = o.problem
        _, worst = compare(reference_product(p, "hvp"), jax_product(p, "hvp"), product_bound(p, "hvp"))
        o.jax = "ok" if worst <= 1.0 else "fail"
        if o.out is not None:
            o.symmetric = "fail" if check_symmetry(fn_units(fn), p, "hvp").flagged else "ok"

    total = len(outcomes)
    findings: list[Finding] = []
    errs = [o for o in outcomes if o.error is not None]
    if errs:
        by: dict[str, list[_Outcome]] = {}
        for o in errs:
            by.setdefault(o.error + (f" at {o.where}" if o.where else ""), []).append(o)  # type: ignore[operator]
        for msg, os_ in sorted(by.items(), key=lambda kv: -len(kv[1])):
            findings.append(Finding("exception", "fail", f"raised {msg}", len(os_), total,
                                    example=_describe(os_[0].problem, os_[0].kind)))
    changed = [o for o in outcomes if o.changed]
    if changed:
        names = sorted({c for o in changed for c in o.changed})
        findings.append(Finding("arguments changed", "fail", f"writes into its arguments ({', '.join(names)}): the "
                                "caller's arrays change (work on copies)", len(changed), total,
                                example=_describe(changed[0].problem, changed[0].kind)))
    judged = [o for o in outcomes if o.masks is not None]
    wrong = [o for o in judged if any(m.any() for m in o.masks)]  # type: ignore[union-attr]
    smallest = ""
    where: list[str] = []
    if wrong:
        r0 = min(wrong, key=lambda o: (sum(t.size for t in o.problem.thetas), o.problem.m))
        ref = reference_product(r0.problem, "hvp")
        diffs = [np.where(mk, np.abs(a - b), -1.0) for mk, a, b in zip(r0.masks, r0.out, ref)]  # type: ignore[arg-type]
        l = int(np.argmax([float(np.max(d)) for d in diffs]))
        i, j = (int(x) for x in np.unravel_index(int(np.argmax(diffs[l])), diffs[l].shape))
        smallest = (f"{_describe(r0.problem, r0.kind)}; (H V)[{l}][{i}, {j}]: yours {r0.out[l][i, j]:.10g}, "  # type: ignore[index]
                    f"expected {ref[l][i, j]:.10g}")
        where = _where([o.masks for o in wrong])  # type: ignore[misc]
        findings.append(Finding("hvp", "fail", "your H V differs from the Hessian of the cost times V (gradtrio's "
                                "R-operator; on the debug problems JAX's jvp of grad too)", len(wrong), len(judged),
                                _conditions(outcomes), where, example=_describe(r0.problem, r0.kind)))
    asym = [o for o in outcomes if o.symmetric == "fail"]
    if asym:
        findings.append(Finding("symmetry", "fail", "uᵀ(H v) ≠ vᵀ(H u) for your product: the matrix it applies "
                                "is not symmetric, so it is no Hessian (a term of the R-operator's product rule "
                                "is missing or doubled)", len(asym), 2))
    jax_bad = [o for o in outcomes if o.jax == "fail"]
    if jax_bad:
        findings.append(Finding("jax", "inconclusive", "gradtrio's H V and JAX's disagree on this problem: a bug in "
                                "gradtrio's references, not in your code; please report it", len(jax_bad),
                                example=_describe(jax_bad[0].problem, jax_bad[0].kind)))
    failed = any(f.severity == "fail" for f in findings)
    diagnosis: list[Diagnosis] = []
    pattern = ""
    if failed:
        say("diagnosing")
        if not errs:
            found = diagnose_products([o.out for o in outcomes], [o.problem for o in outcomes], "hvp")
            diagnosis = [Diagnosis(mu.name or "", mu.description, mu.where, mu.product) for mu in found]
        if not diagnosis and where:
            pattern = "the differences: " + "; ".join(where)
    verdict = "fail" if failed else ("inconclusive" if findings and any(f.severity == "inconclusive"
                                                                         for f in findings) else "pass")
    return HvpReport(verdict, fname, units, findings, diagnosis, pattern, total, time.perf_counter() - start,
                     smallest, notes)


def _takes_depth(fn: Callable, depth: int, activation: str, output: str) -> bool:
    """Whether ``fn`` returns a product of the right shapes on a small debug network of ``depth`` layers."""
    sizes = (3,) + (4,) * (depth - 2) + (3,)
    problem = _problems(sizes, 0, 0, activation, output)[0]
    res = _run(fn, *problem)
    return res.error is None


def fn_units(fn: Callable) -> Callable[..., Any]:
    """``fn(thetas, X, Y, lam, V)`` as a product function of the study (which passes the units as keywords)."""

    def product(thetas, X, Y, lam, V, **_units):
        return fn(thetas, X, Y, lam, V)

    return product

