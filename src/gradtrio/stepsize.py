"""The step-size study: how the error of a numerical derivative depends on its step and the dtype.

On the course's debugging network (:func:`gradtrio.network.debug_problem`, sizes 3-5-3, m = 5) the
gradient is computed by forward differences, central differences and the complex step at steps
``h`` from 1 down to 1e-12 (the complex step down to 1e-30), with the cost evaluated in float64
and in float32, and each is compared with the exact gradient (float64 backprop, exact to ~1e-16).

The curves are V-shaped. On the right arm (large h) the truncation error grows as ``h`` (forward)
or ``h²`` (central); on the left arm (small h) the rounding error ``≈ ε|J|/h`` grows. The bottom
of the V sits near ``h ≈ ε^(1/2)`` (forward) and ``h ≈ ε^(1/3)`` (central), at an error
``≈ ε^(1/2)`` and ``≈ ε^(2/3)``: that is where :func:`gradtrio.oracles.default_step` puts its
steps, and what the tolerances of :mod:`gradtrio.tolerances` budget for. The complex step takes no
difference, so it has no rounding arm: its error falls as ``h²`` down to ``ε`` and stays there for
every smaller ``h``.

``python -m gradtrio.stepsize --out docs/stepsize.png`` writes the plot and prints the numbers.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from . import backprop
from ._deprecate import module_getattr
from .network import debug_problem, one_hot, roll, unroll

__all__ = ["Curve", "StepStudy", "STEP_METHODS", "step_study", "plot_step_study", "main"]

#: Finite-difference steps: half-decades from 1 to 1e-12 (from 1 rather than 1e-1, so that the
#: truncation arm of float32 central differences, whose optimum is near 3e-2, shows).
FD_STEPS = 10.0 ** -np.arange(0.0, 12.01, 0.5)
#: Complex steps: half-decades from 1 to 1e-30 (no rounding arm, so the range can go far lower).
COMPLEX_STEPS = 10.0 ** -np.arange(0.0, 30.01, 0.5)
#: Errors of exactly 0 (a complex step can hit the exact gradient) are drawn at this floor on the
#: log axis, a decade below float64 rounding of the gradient (ε ≈ 2.2e-16).
ERROR_FLOOR = 1e-17

#: The numerical derivatives the study compares (names of :data:`gradtrio.oracles.NUMERICAL_METHODS`).
STEP_METHODS = ("forward", "central", "complex")

#: ``METHODS`` named optimizers in train, these in stepsize and gradient methods in tolerances.
__getattr__ = module_getattr(__name__, {"METHODS": ("STEP_METHODS", STEP_METHODS)})


@dataclass(frozen=True)
class Curve:
    """Error against step for one method in one dtype.

    Attributes
    ----------
    method : {"forward", "central", "complex"}
    dtype : str
        The dtype the cost is evaluated in ("float64" or "float32"; complex: complex128 / complex64).
    steps : ndarray of shape (n_steps,)
    errors : ndarray of shape (n_steps,)
        ``‖g_h − g‖ / ‖g‖`` over the whole gradient, g the exact (float64 backprop) gradient; NaN
        where the step is below the dtype's resolution (``θ_i ± h`` rounds back to ``θ_i``).
    default_step : float
        :func:`gradtrio.oracles.default_step` for this method and dtype.
    default_error : float
        The error at the default step.
    """

    method: str
    dtype: str
    steps: np.ndarray
    errors: np.ndarray
    default_step: float
    default_error: float

    @property
    def best(self) -> tuple[float, float]:
        """``(step, error)`` at the smallest error on the grid.

        For reporting only. Where rounding dominates near the bottom (and everywhere below ~1e-7 for
        the complex step, which has no rounding arm) this is the smallest of several samples of
        rounding noise, so it changes with the CPU and BLAS: tests compare the defaults with derived
        bounds and with the bottom of the fitted V (tests/test_stepsize.py), never with it.
        """
        i = int(np.nanargmin(self.errors))
        return float(self.steps[i]), float(self.errors[i])


@dataclass(frozen=True)
class StepStudy:
    """All the curves of the study, and the problem they were measured on."""

    curves: list[Curve]
    sizes: tuple[int, ...]
    m: int
    lam: float

    def curve(self, method: str, dtype: DTypeLike) -> Curve:
        """The curve of one method in one dtype."""
        name = np.dtype(dtype).name
        for c in self.curves:
            if c.method == method and c.dtype == name:
                return c
        raise KeyError(f"no curve for method {method!r} in {name}; have "
                       f"{sorted({(c.method, c.dtype) for c in self.curves})}")

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return {
            "sizes": list(self.sizes), "m": self.m, "lam": self.lam,
            "curves": [{"method": c.method, "dtype": c.dtype, "steps": c.steps.tolist(),
                        "errors": c.errors.tolist(), "default_step": c.default_step,
                        "default_error": c.default_error, "best_step": c.best[0], "best_error": c.best[1]}
                       for c in self.curves],
        }


def _gradient(method: str, theta: np.ndarray, sizes, X, Y, lam: float, h: float) -> np.ndarray:
    """The numerical gradient by ``method`` at step ``h``, the cost evaluated in theta's dtype: the
    complex step on the complex-safe cost (no cross-check: the study is of the step, not the cost), the
    differences on backprop's cost."""
    from . import oracles
    from .model.closures import complex_cost_fn

    if method == "complex":
        return oracles.estimate(method, complex_cost_fn(sizes, X, Y, lam), theta, h=h, cross_check=False)

    def J(v: np.ndarray) -> float:
        return backprop.cost(roll(v, sizes), X, Y, lam)

    return oracles.estimate(method, J, theta, h=h)


def _relative_error(method: str, theta: np.ndarray, sizes: Sequence[int], X: np.ndarray, Y: np.ndarray,
                    lam: float, exact: np.ndarray, norm: float, h: float) -> float:
    """‖g_h − g‖/‖g‖ of ``method`` at step ``h`` (nan when h is below the resolution of θ's dtype)."""
    if method != "complex" and np.any(theta + theta.dtype.type(h) == theta):
        return float("nan")  # h below the dtype's resolution: θ_i + h rounds back to θ_i
    gh = _gradient(method, theta, sizes, X, Y, lam, h)
    return float(np.linalg.norm(gh - exact)) / norm


def step_study(
    sizes: Sequence[int] = (3, 5, 3),
    m: int = 5,
    lam: float = 0.0,
    dtypes: Sequence[DTypeLike] = (np.float64, np.float32),
    methods: Sequence[str] = STEP_METHODS,
) -> StepStudy:
    """Measure the error of each numerical derivative against its step, per dtype.

    Parameters
    ----------
    sizes : sequence of int, default (3, 5, 3)
        Layer sizes of the debugging network (:func:`gradtrio.network.debug_problem`).
    m : int, default 5
        Examples.
    lam : float, default 0
    dtypes : sequence of dtype
        Precisions the cost is evaluated in (thetas, X and Y cast to it).
    methods : sequence of {"forward", "central", "complex"}

    Returns
    -------
    StepStudy
        One :class:`Curve` per (method, dtype): steps :data:`FD_STEPS` (:data:`COMPLEX_STEPS` for the
        complex step) and the relative error of the whole gradient at each.
    """
    from .oracles import default_step

    unknown = [mt for mt in methods if mt not in STEP_METHODS]
    if unknown:
        raise ValueError(f"methods must be among {STEP_METHODS}; got {unknown}")
    thetas, X, y = debug_problem(sizes, m)
    Y = one_hot(y, sizes[-1])
    _, exact = backprop.cost_and_grad(thetas, X, Y, lam)  # float64: exact to ~1e-16
    g = unroll(exact)
    norm = float(np.linalg.norm(g))
    curves = []
    for dt in [np.dtype(d) for d in dtypes]:
        theta, Xd, Yd = unroll(thetas).astype(dt), X.astype(dt), Y.astype(dt)
        for method in methods:
            steps = COMPLEX_STEPS if method == "complex" else FD_STEPS
            err = functools.partial(_relative_error, method, theta, sizes, Xd, Yd, lam, g, norm)
            with np.errstate(under="ignore"):  # float32 complex steps of 1e-30 make subnormal products
                errors = np.array([err(h) for h in steps])
                h0 = default_step(method, dt)
                curves.append(Curve(method, dt.name, steps.copy(), errors, h0, err(h0)))
    return StepStudy(curves, tuple(sizes), m, lam)


#: Where each default-step label goes, relative to its marker: in the empty corner beside each curve.
_LABEL_AT = {"forward": {"xytext": (-12, 10), "ha": "right"},
             "central": {"xytext": (-12, -16), "ha": "right"},
             "complex": {"xytext": (10, -14), "ha": "left"}}
_STYLE = {"forward": ("tab:orange", "s"), "central": ("tab:blue", "o"), "complex": ("tab:green", "^")}


def plot_step_study(study: StepStudy, path: str) -> None:
    """Draw the study: one panel per dtype, error against step on log-log axes, defaults marked.

    Parameters
    ----------
    study : StepStudy
    path : str
        Where to write the PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .tolerances import tolerance

    dtypes = list(dict.fromkeys(c.dtype for c in study.curves))
    fig, axes = plt.subplots(1, len(dtypes), figsize=(6.2 * len(dtypes), 5.0), sharey=True, squeeze=False)
    for ax, dt in zip(axes[0], dtypes):
        eps = float(np.finfo(dt).eps)
        for c in (c for c in study.curves if c.dtype == dt):
            color, marker = _STYLE[c.method]
            ax.loglog(c.steps, np.maximum(c.errors, ERROR_FLOOR), color=color, lw=1.6, marker=marker, ms=3,
                      label=c.method)
            ax.loglog([c.default_step], [max(c.default_error, ERROR_FLOOR)], marker=marker, ms=13,
                      mfc="none", mec="black", mew=1.8, ls="none")
            at = (c.default_step, max(c.default_error, ERROR_FLOOR))
            ax.annotate(f"default h={c.default_step:.0e}: {c.default_error:.0e}", at,
                        textcoords="offset points", fontsize=8, color=color, **_LABEL_AT[c.method])
        lost = [h for c in study.curves if c.dtype == dt for h, e in zip(c.steps, c.errors) if np.isnan(e)]
        if lost:
            ax.axvspan(min(lost), max(lost), color="0.92", zorder=0)
            ax.text(max(lost) / 3, 3e-14, f"finite differences\nundefined: θ ± h\nrounds to θ in {dt}",
                    fontsize=8, color="0.35", ha="right")
        tol = tolerance(dt, "backprop", "central").rtol
        ax.axhline(tol, color="tab:blue", ls=":", lw=1)
        ax.text(1e-29, tol * 1.6, f"central tolerance {tol:.1e}", fontsize=8, color="tab:blue")
        ax.axhline(eps, color="gray", ls="--", lw=0.8)
        ax.text(1e-29, eps * 12, f"ε = {eps:.1e}", fontsize=8, color="gray")
        ax.set_xlim(3e-31, 3)
        ax.set_ylim(ERROR_FLOOR / 2, 1e4)
        ax.set_xlabel("step h")
        ax.set_title(f"cost evaluated in {dt}" + (" (complex step in complex64)" if dt == "float32" else ""),
                     fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="lower right", fontsize=9)
    axes[0][0].set_ylabel("‖g_h − g‖ / ‖g‖  (g: exact backprop gradient)")
    sizes = "-".join(map(str, study.sizes))
    fig.suptitle(f"Numerical-derivative error against step, debug net {sizes}, m={study.m}, "
                 f"λ={study.lam:g}: "
                 "rounding error ~ε/h on the left arm, truncation ~h or h² on the right; "
                 "black outlines: the default steps",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary(study: StepStudy) -> str:
    """The numbers behind the plot: best and default step and error, per method and dtype."""
    head = ("dtype", "method", "best h", "best err", "default h", "default err")
    lines = ["{:<8} {:<8} {:>8} {:>9} {:>10} {:>11}".format(*head)]
    for c in study.curves:
        bh, be = c.best
        lines.append(f"{c.dtype:<8} {c.method:<8} {bh:>8.0e} {be:>9.1e} "
                     f"{c.default_step:>10.1e} {c.default_error:>11.1e}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gradtrio.stepsize --out docs/stepsize.png [--json FILE]``."""
    p = argparse.ArgumentParser(prog="python -m gradtrio.stepsize", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/stepsize.png", help="PNG to write (default docs/stepsize.png)")
    p.add_argument("--json", metavar="FILE", help="also write the data as JSON")
    p.add_argument("--lam", type=float, default=0.0, help="λ of the debug problem (default 0)")
    args = p.parse_args(argv)
    for path in filter(None, (args.out, args.json)):
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            p.error(f"cannot write {path}: the folder {folder} does not exist")
    try:
        study = step_study(lam=args.lam)
    except ValueError as exc:
        p.error(str(exc))
    plot_step_study(study, args.out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(study.to_dict(), f, indent=1)
    print(summary(study))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
