"""The report of :func:`gradtrio.testing.verify`: a verdict, findings, a diagnosis, a counterexample, a picture.

Every part is plain data, so that ``str(report)`` reads as a student's feedback, ``report.to_dict()`` is
JSON-ready for a grader or a CI job, and ``report.plot()`` draws where the gradient is wrong.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..check import _finite_or_none as _clean  # JSON has no inf or nan: None, as in the gradient report

__all__ = ["VERDICTS", "Finding", "Diagnosis", "Counterexample", "VerifyReport"]

#: The four verdicts of :func:`gradtrio.testing.verify`.
VERDICTS = ("pass", "fail", "inconclusive", "error")


@dataclass
class Finding:
    """One thing found, with the problems that show it.

    Attributes
    ----------
    check : str
        What was checked: ``"conventions"``, ``"exception"``, ``"contract"``, ``"arguments changed"``,
        ``"repeat call"``, ``"cost"``, ``"gradient"``, ``"self-consistency"``, ``"jax"``, ``"notes"``.
    severity : {"fail", "inconclusive", "note"}
        A "fail" makes the verdict fail; a "note" never does.
    message : str
        What is wrong, in words a student understands.
    problems : int
        On how many of the problems checked it showed.
    total : int
        How many problems were checked for it.
    conditions : list of str
        When it shows, as far as the problems tell: ``"only when λ > 0"``, ``"only when a class is absent"``.
    where : list of str
        Localization: ``"Theta(1): the bias column (column 0) only, every row"``.
    example : str
        The smallest problem that shows it, in one line.
    """

    check: str
    severity: str
    message: str
    problems: int = 0
    total: int = 0
    conditions: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    example: str = ""

    def lines(self) -> list[str]:
        word = {"fail": "FAIL", "inconclusive": "INCONCLUSIVE", "note": "note"}[self.severity]
        head = f"[{word}] {self.check}: {self.message}"
        if self.total:
            head += f" (on {self.problems} of {self.total} problems)"
        out = [head]
        out += [f"    when: {c}" for c in self.conditions]
        out += [f"    where: {w}" for w in self.where]
        if self.example:
            out.append(f"    e.g. {self.example}")
        return out


@dataclass
class Diagnosis:
    """A catalog bug whose cost and gradient match the implementation's on every problem checked.

    Attributes
    ----------
    name : str
        The key in :data:`gradtrio.catalog.CATALOG`.
    description : str
    where : str
        Where the bug is classically made.
    kind : str
    """

    name: str
    description: str
    where: str
    kind: str

    def line(self) -> str:
        return f"matches `{self.name}`: {self.description} — {self.where}"


@dataclass
class Counterexample:
    """The smallest failing problem Hypothesis shrank to, with a runnable snippet.

    Attributes
    ----------
    check : str
        The check that fails on it.
    sizes : tuple of int
    m : int
    lam : float
    snippet : str
        Python that builds the problem, calls the function and prints what it returned and what was expected.
    yours, expected : float
        The compared value: the cost, or the gradient entry that is furthest off.
    what : str
        Which value: ``"J"`` or ``"grad[7]"`` (an index into the user's own vector) or ``"Theta(1)[0, 2]"``.
    thetas, X, Y
        The problem, in gradtrio's layout.
    difference : list of ndarray or None
        The user's gradient minus the reference, per layer (what :meth:`VerifyReport.plot` draws).
    """

    check: str
    sizes: tuple[int, ...]
    m: int
    lam: float
    snippet: str
    yours: float | None
    expected: float | None
    what: str
    thetas: list[np.ndarray] = field(repr=False, default_factory=list)
    X: np.ndarray | None = field(repr=False, default=None)
    Y: np.ndarray | None = field(repr=False, default=None)
    difference: list[np.ndarray] | None = field(repr=False, default=None)


@dataclass
class VerifyReport:
    """What :func:`gradtrio.testing.verify` found.

    Attributes
    ----------
    verdict : {"pass", "fail", "inconclusive", "error"}
        "error": the function could not be checked at all (it cannot be called in the signature given).
    function : str
        The function's name.
    conventions : dict
        ``signature``, ``order``, ``labels``, ``y_shape`` as used, and for each whether it was ``"given"``,
        ``"detected"`` or ``"not applicable"`` (under the key ``how``).
    findings : list of Finding
    diagnosis : list of Diagnosis
        Catalog bugs that match (empty when it passed or when none matches).
    pattern : str
        When it fails and no catalog bug matches: the pattern of the difference, in words.
    counterexample : Counterexample or None
    problems : int
        Problems checked.
    seconds : float
        Time the verification took.
    timing : dict
        ``{"sizes", "m", "yours_s", "gradtrio_s", "ratio"}``: the function against gradtrio's backprop at
        one size (median of repeated calls), or empty when it was not timed.
    """

    verdict: str
    function: str
    conventions: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    diagnosis: list[Diagnosis] = field(default_factory=list)
    pattern: str = ""
    counterexample: Counterexample | None = None
    problems: int = 0
    seconds: float = 0.0
    timing: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "fail"]

    def __str__(self) -> str:
        head = {"pass": "PASSED", "fail": "FAILED", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}[self.verdict]
        conv = self.conventions
        how = conv.get("how", {})
        used = ", ".join(f"{k} {conv[k]} ({how.get(k, 'given')})" for k in ("signature", "order", "labels", "y_shape")
                         if conv.get(k) is not None)
        lines = [f"gradtrio verify {self.function}: {head}", f"conventions: {used}",
                 f"checked on {self.problems} problems in {self.seconds:.1f} s"]
        for f in self.findings:
            lines += f.lines()
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += ["  " + d.line() for d in self.diagnosis]
        elif self.verdict == "fail":
            lines.append("diagnosis: no bug of gradtrio's catalog matches"
                         + (f"; {self.pattern}" if self.pattern else ""))
        if self.counterexample is not None:
            c = self.counterexample
            values = f"; {c.what}: yours {_fmt(c.yours)}, expected {_fmt(c.expected)}" if c.yours is not None else ""
            lines.append(f"smallest failing problem ({c.check}): sizes {c.sizes}, m = {c.m}, λ = {c.lam:g}{values}")
            lines += ["    " + s for s in c.snippet.splitlines()]
        if self.timing:
            t = self.timing
            lines.append(f"speed at sizes {tuple(t['sizes'])}, m = {t['m']}: yours {t['yours_s'] * 1e3:.3g} ms a call, "
                         f"gradtrio's backprop {t['gradtrio_s'] * 1e3:.3g} ms ({t['ratio']:.3g}x)")
        if self.verdict == "pass":
            lines.append("PASSED: cost and gradient agree with gradtrio's and JAX's, and the gradient is the "
                         "derivative of your own cost, on every problem checked")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (arrays left out, except the counterexample's problem as lists)."""
        c = self.counterexample
        return {
            "function": self.function,
            "verdict": self.verdict,
            "passed": self.passed,
            "conventions": self.conventions,
            "findings": [{k: _clean(v) for k, v in vars(f).items()} for f in self.findings],
            "diagnosis": [vars(d) for d in self.diagnosis],
            "pattern": self.pattern,
            "counterexample": None if c is None else {
                "check": c.check, "sizes": list(c.sizes), "m": c.m, "lam": c.lam, "what": c.what,
                "yours": _clean(c.yours), "expected": _clean(c.expected), "snippet": c.snippet,
                "thetas": [t.tolist() for t in c.thetas], "X": None if c.X is None else c.X.tolist(),
                "labels": None if c.Y is None else np.argmax(c.Y, axis=1).tolist()},
            "problems": self.problems,
            "seconds": self.seconds,
            "timing": self.timing,
        }

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)

    def plot(self, path: str | os.PathLike[str] | None = None) -> Any:
        """For each layer, the user's gradient minus the reference on the smallest failing problem, as a heat map.

        Rows and columns are Θ's; column 0, the bias, is marked. A student sees at a glance "only column 0
        is wrong" or "only Theta(1)".

        Parameters
        ----------
        path : path-like, optional
            Write a PNG there (atomically).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            When there is no gradient difference to draw (the function passed, or failed without
            returning a gradient).
        """
        c = self.counterexample
        if c is None or c.difference is None:
            raise ValueError(f"nothing to draw: {self.function} has no failing problem with a gradient to compare "
                             f"(verdict {self.verdict})")
        from matplotlib.figure import Figure

        diffs = c.difference
        fig = Figure(figsize=(4.0 * len(diffs), 3.6), layout="constrained")
        axes = fig.subplots(1, len(diffs), squeeze=False)[0]
        for l, (ax, D) in enumerate(zip(axes, diffs)):
            top = float(np.max(np.abs(D))) or 1.0
            im = ax.imshow(D, cmap="RdBu_r", vmin=-top, vmax=top, aspect="auto", interpolation="nearest")
            ax.axvline(0.5, color="black", linewidth=1.5)
            rows, cols = D.shape
            ax.set_xticks(range(0, cols, max(1, cols // 12)))
            ax.set_yticks(range(0, rows, max(1, rows // 12)))
            ax.set_title(f"Theta({l + 1}): yours − expected")
            ax.set_xlabel("column (0 = bias, left of the line)")
            ax.set_ylabel("row (unit)")
            fig.colorbar(im, ax=ax, shrink=0.85)
        fig.suptitle(f"{self.function}: sizes {c.sizes}, m = {c.m}, λ = {c.lam:g} ({c.check})")
        if path is not None:
            from ..data import atomic_write

            atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
        return fig


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.10g}"
