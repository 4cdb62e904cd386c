"""Interleaved timing: every method of one case is timed round-robin, and ratios are taken per round.

Why interleave. On a shared machine the speed drifts (other processes, CPU frequency, caches). Timing
method A ten times and then method B ten times puts A and B under different conditions; timing them
in rounds (A B C, B C A, C A B, ...) exposes both to the same drift, and a ratio taken *within* a round
(A's time / B's time, same round) cancels most of it. We report, for each method, the median and the
min/max of its per-round times, and for each pair the median (and min/max) of the per-round ratios.

The start of each round rotates, so no method always runs first (right after another method has
thrashed the cache) or last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Method", "Skipped", "sync", "run_interleaved", "summarize", "ratio_summary"]


@dataclass
class Method:
    """One timed computation of a case.

    Attributes
    ----------
    name : str
        Short identifier, unique within the case (``"backprop"``, ``"jax_jit"``, ...).
    fn : callable
        One call does the whole computation once and returns its result (device arrays are synced
        with :func:`sync` before the clock stops).
    device : str
        Where the computation runs: ``"cpu"`` or ``"gpu"`` (never mixed up in the reports).
    label : str
        One line for the tables: what exactly is timed.
    warmup : callable, optional
        Called once before the timed rounds, untimed (JIT compilation, caches). Defaults to ``fn``;
        methods whose single call is long give a cheaper call that triggers the same compilation.
    check : callable, optional
        ``check(result) -> dict`` of accuracy figures against the reference (recorded, not timed).
    inner : int
        Calls per timed slot, their mean being the round's time: cheap references beside slow methods
        (one cost evaluation next to a minute-long finite-difference gradient) are then not judged on
        a single call of a few milliseconds.
    """

    name: str
    fn: Callable[[], Any]
    device: str
    label: str
    warmup: Callable[[], Any] | None = None
    check: Callable[[Any], dict] | None = None
    info: dict = field(default_factory=dict)
    inner: int = 1


@dataclass
class Skipped:
    """A method that was not run, and why (listed in every report, never dropped silently)."""

    name: str
    reason: str


def sync(result: Any) -> Any:
    """Wait until every JAX array in ``result`` (nested lists/tuples) is computed.

    JAX dispatches asynchronously: without ``block_until_ready`` a GPU timing measures only the
    launch. NumPy and PyTorch (CPU) results are already computed and pass through.
    """
    if hasattr(result, "block_until_ready"):
        result.block_until_ready()
    elif isinstance(result, (list, tuple)):
        for r in result:
            sync(r)
    return result


def run_interleaved(
    methods: Sequence[Method], repeats: int, budget_s: float
) -> tuple[dict[str, list[float]], dict[str, Any], dict[str, float], dict[str, str]]:
    """Warm every method up, then time them in rotated rounds.

    Parameters
    ----------
    methods : sequence of Method
    repeats : int
        The number of rounds wanted (>= 1).
    budget_s : float
        Soft time limit for the timed rounds of this case: no new round starts when the rounds so
        far say it would end past the budget. At least one round always runs, so a method whose
        single call exceeds the budget is still measured once (and reported with its repeat count).

    Returns
    -------
    times : dict name -> list of float
        Seconds per call, one entry per round (same length for every method).
    last : dict name -> result
        Each method's last result (for accuracy checks outside the timing).
    first_call_s : dict name -> float
        Seconds of the untimed warm-up call (includes JIT compilation for JAX methods).
    failed : dict name -> str
        Methods whose warm-up call raised, with the error; they are left out of the rounds (and
        reported as skipped by the caller) instead of losing the whole case.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    last: dict[str, Any] = {}
    first: dict[str, float] = {}
    failed: dict[str, str] = {}
    for meth in methods:
        t0 = time.perf_counter()
        try:
            out = sync((meth.warmup or meth.fn)())
        except Exception as exc:  # noqa: BLE001 - recorded with its message, the others still run
            failed[meth.name] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        first[meth.name] = time.perf_counter() - t0
        if meth.warmup is None:
            last[meth.name] = out
    methods = [m for m in methods if m.name not in failed]
    times: dict[str, list[float]] = {m.name: [] for m in methods}
    start = time.perf_counter()
    n = len(methods)
    for r in range(repeats):
        for k in range(n):
            meth = methods[(r + k) % n]
            t0 = time.perf_counter()
            for _ in range(meth.inner):
                out = sync(meth.fn())
            times[meth.name].append((time.perf_counter() - t0) / meth.inner)
            last[meth.name] = out
        elapsed = time.perf_counter() - start
        if elapsed / (r + 1) * (r + 2) > budget_s:
            break
    return times, last, first, failed


def summarize(times: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of per-round times (seconds), and the number of rounds."""
    a = np.asarray(times, dtype=float)
    return {
        "median_s": float(np.median(a)),
        "min_s": float(a.min()),
        "max_s": float(a.max()),
        "repeats": int(a.size),
        "times_s": [float(t) for t in a],
    }


def ratio_summary(num: Sequence[float], den: Sequence[float], scale: float = 1.0) -> dict[str, Any]:
    """Per-round ratios ``num[r] / (scale * den[r])``: their median, min and max.

    Both sequences come from the same rounds of :func:`run_interleaved`, so round ``r`` of one is
    paired with round ``r`` of the other.
    """
    a = np.asarray(num, dtype=float)
    b = np.asarray(den, dtype=float) * scale
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"ratios need paired rounds; got {a.size} and {b.size} times")
    r = a / b
    return {"median": float(np.median(r)), "min": float(r.min()), "max": float(r.max()), "n": int(r.size)}
