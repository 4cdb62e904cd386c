"""BLAS thread pools and training speed: why ``gradtrio.train`` limits them while it optimizes.

NumPy's and SciPy's wheels each vendor an OpenBLAS with its own thread pool. This script times 100
L-BFGS-B iterations (the same objective, the same start) under four settings, interleaved, and
prints medians:

- ``both pools default`` — ``scipy.optimize.minimize`` called directly, nothing limited;
- ``scipy pool = 1``     — SciPy's pool limited to one thread, NumPy's left alone
  (``gradtrio.train(..., numpy_threads=None)``);
- ``both pools = 1``     — ``gradtrio.train``'s default;
- ``numpy pool = 1``     — NumPy's limited, SciPy's left alone (for completeness).

Run: ``python -m benchmarks.threads [digits] [course] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numpy as np
import scipy.optimize

from gradtrio import backprop, network
from gradtrio.data import load_digits
from gradtrio.train import _blas_pools

SETTINGS = ("both pools default", "scipy pool = 1", "both pools = 1", "numpy pool = 1")


def _problem(kind: str):
    if kind == "digits":
        d = load_digits()
        return d.X_train, d.y_train
    rng = np.random.default_rng(0)  # course size, random data: the timing does not depend on the values
    return rng.random((5000, 400)), rng.integers(0, 10, 5000)


def _limits(setting: str):
    scipy_pools, numpy_pools = _blas_pools()
    stack = contextlib.ExitStack()
    if setting in ("scipy pool = 1", "both pools = 1") and scipy_pools is not None:
        stack.enter_context(scipy_pools.limit(limits=1))
    if setting in ("numpy pool = 1", "both pools = 1") and numpy_pools is not None:
        stack.enter_context(numpy_pools.limit(limits=1))
    return stack


def time_training(X: np.ndarray, y: np.ndarray, setting: str, maxiter: int = 100) -> float:
    """Seconds for ``maxiter`` L-BFGS-B iterations of a n-25-10 network under ``setting``."""
    sizes = (X.shape[1], 25, 10)
    Y = network.one_hot(y, 10)
    x0 = network.unroll(network.init_weights(sizes, seed=0))

    def f(v):
        return backprop.cost_and_grad_flat(v, sizes, X, Y, 1.0, check_finite=False)

    with _limits(setting):
        t = time.perf_counter()
        scipy.optimize.minimize(f, x0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
        return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("problems", nargs="*", help="digits and/or course (default: both)")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    print("| problem | " + " | ".join(SETTINGS) + " |")
    print("|---|" + "---|" * len(SETTINGS))
    for kind in args.problems or ["digits", "course"]:
        if kind not in ("digits", "course"):
            p.error(f"unknown problem {kind!r}: choose digits or course")
        X, y = _problem(kind)
        times = {s: [] for s in SETTINGS}
        for r in range(args.repeats):  # interleaved: every setting once per round, rotating the start
            for s in SETTINGS[r % 4:] + SETTINGS[: r % 4]:
                times[s].append(time_training(X, y, s))
        label = f"{kind} ({X.shape[0]} × {X.shape[1]}-25-10)"
        print(f"| {label} | " + " | ".join(f"{statistics.median(times[s]):.3f} s" for s in SETTINGS) + " |")


if __name__ == "__main__":
    main()
