"""Every gradient entry against its own central difference and its own measured error bound.

For each entry ``i``: ``D_i(h)`` and ``D_i(2h)`` by central differences along the coordinate ``e_i``;
rounding ``σ/h`` with σ measured; truncation ``|D_i(h) − D_i(2h)|/3``; the bound and the names of
:mod:`gradtrio.oracles.probes`. Four evaluations an entry (two more for each halving of its step, where the
expansion is not asymptotic at the base step): the full check that :func:`gradtrio.oracles.localize`
avoids, kept for small problems and for the entries a localization names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..network import theta_shapes
from ..tolerances import BUG_SIZE, judged
from ._compat import legacy, located_order
from .function import Function, as_function, gradient_of
from .probes import PREFETCH_NUMBERS, Prober, Suspect, check_inputs, suspect_at

__all__ = ["EntryBounds", "entry_bounds"]


class _CoordinateProber(Prober):
    """A :class:`Prober` of single entries on a cost that differences its own coordinates
    (``Function.coordinate_differences``): every ``J(θ ± s e_i) − J(θ)`` comes from the cost, in bulk for the
    two base steps of every entry, one by one for the few entries a halving revisits; the rounding of each
    probe is the bound those differences come with (no noise measurement, no ``J(θ)``: it is 0 here)."""

    def __init__(self, differences, g: np.ndarray, theta: np.ndarray, h: float | None, seed,
                 grad_error: ArrayLike | None, step_scale: ArrayLike | None, idx: np.ndarray):
        self._diff = differences
        self._cache: dict[tuple[int, float], tuple[float, float, float, float, float]] = {}
        self._probe_noise = 0.0
        super().__init__(self._origin, g, theta, h, 0.0, seed, 0.0, grad_error, step_scale)
        self.evaluations = 0
        self.noise = float("nan")  # per probe: the bound of its own differences
        steps = self.h / np.maximum(1.0, self.step_scale[idx])
        for k in (1.0, 2.0):
            self._fetch(idx, k * steps)

    def _origin(self, v: np.ndarray) -> float:
        return 0.0  # J(θ) is the origin of every difference: the prober's J0, never evaluated

    def _J(self, v: np.ndarray, key: tuple[bytes, bytes, float] | None = None) -> float:
        return 0.0

    def _fetch(self, idx: np.ndarray, steps: np.ndarray) -> None:
        zero = np.zeros(idx.size)
        Jp, rp, ep = self._diff(idx, steps, zero)
        Jm, rm, em = self._diff(idx, -steps, zero)
        self.evaluations += 2 * idx.size
        for i, s, a, b, c, d, e in zip(idx.tolist(), steps.tolist(), Jp, Jm, rp, rm, np.maximum(ep, em)):
            self._cache[(i, s)] = (float(a), float(b), float(c), float(d), float(e))

    def _central(self, support: np.ndarray, u: np.ndarray, step: float) -> tuple[float, float, float, float]:
        i, s = int(support[0]), float(step * u[0])
        if (i, s) not in self._cache:
            self._fetch(np.array([i]), np.array([s]))
        Jp, Jm, rp, rm, rounding = self._cache[(i, s)]
        self._probe_noise = max(self._probe_noise, rounding)
        g = float(self.g[i])
        return (Jp - Jm) / (2 * step), g * (rp - rm) / (2 * step), Jp + Jm, abs(g) * abs(rp + rm)

    def probe(self, support: np.ndarray, signs: np.ndarray) -> tuple[float, float, float, float, float]:
        i = int(support[0])
        s = self.h / max(1.0, float(self.step_scale[i]))
        self._probe_noise = 0.0
        self._central(support, np.ones(1), s)
        self._central(support, np.ones(1), 2 * s)
        self.noise = self._probe_noise  # the rounding of this entry's differences, for its bound
        return super().probe(support, signs)


@dataclass
class EntryBounds:
    """Per-entry comparison of an analytic gradient with central differences.

    All arrays have shape ``(k,)``, one value per checked entry, aligned with ``indices``.

    Attributes
    ----------
    indices : ndarray of int
        Unrolled positions of the checked entries.
    analytic, fd : ndarray
        The analytic entry and its central difference ``D(h)``.
    rounding, truncation : ndarray
        The two error estimates (before safety factors), see the module docstring.
    bound : ndarray
        The bound the error is judged against (safety factors applied).
    ratio : ndarray
        ``|analytic − fd| / bound``; an entry fails when its ratio is > 1.
    sizes : tuple of int
    evaluations : int
    noise, step : float
    """

    indices: np.ndarray
    analytic: np.ndarray
    fd: np.ndarray
    rounding: np.ndarray
    truncation: np.ndarray
    bound: np.ndarray
    ratio: np.ndarray
    sizes: tuple[int, ...]
    evaluations: int
    noise: float
    step: float
    resolution: float = 0.0
    bug_size: float = BUG_SIZE

    @property
    def verdict(self) -> str:
        """"fail" when an entry's ratio is > 1; "inconclusive" when none is but :attr:`resolution` (the
        largest bound of a layer over its largest entry) is above :attr:`bug_size`; else "pass"."""
        return judged(bool(np.any(self.ratio > 1.0)), self.resolution, self.bug_size)

    @property
    def passed(self) -> bool:
        """True when the verdict is "pass": every entry within its bound, at the resolution asked for."""
        return self.verdict == "pass"

    def failing(self) -> list[Suspect]:
        """The entries whose ratio is > 1, in unrolled order."""
        return [suspect_at(int(i), self.sizes) for i in self.indices[self.ratio > 1.0]]

    def worst(self, k: int = 3) -> dict[int, list[tuple[Suspect, float]]]:
        """The ``k`` largest ratios of each layer: ``{layer: [(Suspect, ratio), ...]}``."""
        out: dict[int, list[tuple[Suspect, float]]] = {}
        named = [suspect_at(int(i), self.sizes) for i in self.indices]
        for layer in sorted({s.layer for s in named}):
            pos = [j for j, s in enumerate(named) if s.layer == layer]
            top = sorted(pos, key=lambda j: -self.ratio[j])[:k]
            out[layer] = [(named[j], float(self.ratio[j])) for j in top]
        return out

    def __str__(self) -> str:
        lines = [
            f"entry bounds: {self.verdict.upper()}, {self.indices.size} entries, "
            f"{self.evaluations} cost evaluations, h = {self.step:.3g}, noise σ = {self.noise:.3g}",
            f"  {'entry':<22}{'analytic':>13}{'FD':>13}{'bound':>11}{'ratio':>9}",
        ]
        pos = {int(i): j for j, i in enumerate(self.indices)}
        for items in self.worst().values():
            for s, r in items:
                j = pos[s.index]
                lines.append(
                    f"  {str(s):<22}{self.analytic[j]:>13.5g}{self.fd[j]:>13.5g}{self.bound[j]:>11.3g}{r:>9.3g}"
                )
        return "\n".join(lines)


def _resolution(idx: np.ndarray, bound: np.ndarray, g: np.ndarray, sizes: tuple[int, ...]) -> float:
    """The largest bound of a layer over its largest entry, worst layer."""
    resolution = 0.0
    starts = np.cumsum([0] + [r * c for r, c in theta_shapes(sizes)])
    for a, b in zip(starts[:-1], starts[1:]):
        inside = (idx >= a) & (idx < b)
        if np.any(inside):
            top = float(np.max(np.abs(g[a:b]))) or float(np.max(np.abs(g)))
            worst = float(np.max(bound[inside]))
            resolution = max(resolution, worst / top if top > 0 else (0.0 if worst == 0 else np.inf))
    return resolution


@legacy(("grad", "f", "theta", "sizes"), located_order, "(grad, cost_fn, theta, sizes)", {"cost_fn": "f"})
def entry_bounds(
    f: Callable[[np.ndarray], float] | Function,
    grad: ArrayLike | Sequence[ArrayLike] | Callable[[np.ndarray], ArrayLike] | None,
    theta: ArrayLike,
    *,
    h: float | None = None,
    seed: int | np.random.Generator | None = 0,
    sizes: Sequence[int],
    indices: ArrayLike | None = None,
    noise: float | None = None,
    noise_floor: float = 0.0,
    grad_error: ArrayLike | None = None,
    step_scale: ArrayLike | None = None,
    bug_size: float = BUG_SIZE,
) -> EntryBounds:
    """Compare each gradient entry with its central difference, against a per-entry error bound.

    Parameters
    ----------
    f : callable or Function
        ``f(theta) -> float`` on an unrolled vector of shape ``(n,)``.
    grad : array_like of shape (n,), list of matrices, callable, or None
        The analytic gradient at ``theta`` (``grad(theta)`` for a callable, ``f.grad`` for None).
    theta : array_like of shape (n,)
    h, seed, sizes, noise, noise_floor, grad_error, step_scale
        As in :func:`gradtrio.oracles.localize`.
    indices : array_like of int, optional
        Unrolled positions to check (default: all ``n``; each costs 4 evaluations, and 2 a halving of its step).
        A cost with ``coordinate_differences`` (:class:`gradtrio.oracles.Function`; gradtrio's model through
        :meth:`gradtrio.incremental.IncrementalCost.function`) gives them all in bulk, incrementally, with the
        rounding bound of each difference in place of the noise σ (``noise`` is then not read, and the
        report's ``noise`` is NaN).
        A batched ``f`` (``f.batched``: ``(B, n) -> (B,)``, as :func:`gradtrio.model.closures.cost_batch_fn`)
        gets the 4 points of many entries a call (:meth:`gradtrio.oracles.probes.Prober.prefetch`), which
        gradtrio's JAX batched cost splits over every device (:mod:`gradtrio.sharding`).
    bug_size : float, default :data:`gradtrio.tolerances.BUG_SIZE`
        "inconclusive" when some layer's largest bound exceeds ``bug_size`` × its largest entry.

    Returns
    -------
    EntryBounds
        ``.ratio`` per entry, ``.worst(k)`` the worst entries by layer, ``str()`` a table.
    """
    fn = as_function(f)
    theta_arr = np.asarray(theta)
    g, theta_arr, sizes = check_inputs(gradient_of(fn, grad, theta_arr), theta_arr, sizes)
    idx = np.arange(g.size) if indices is None else np.asarray(indices, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= g.size):
        raise ValueError(f"indices must lie in 0..{g.size - 1}; got {int(idx.min())}..{int(idx.max())}")
    pr: Prober
    if fn.coordinate_differences is not None:  # the cost differences its own coordinates (gradtrio's model)
        pr = _CoordinateProber(fn.coordinate_differences, g, theta_arr, h, seed, grad_error, step_scale, idx)
    else:
        pr = Prober(fn.value, g, theta_arr, h, noise, seed, noise_floor, grad_error, step_scale,
                    batched=fn.batched, batch_size=fn.batch_size)
    one = np.ones(1, dtype=np.int8)
    rows = np.empty((idx.size, 5))
    chunk = max(1, PREFETCH_NUMBERS // (4 * g.size))  # a batched cost gets these many entries' points ahead
    for start in range(0, idx.size, chunk):
        supports = [np.array([i]) for i in idx[start : start + chunk]]
        pr.prefetch([(s, one) for s in supports])
        rows[start : start + len(supports)] = [pr.probe(s, one) for s in supports]
    analytic, fd, rounding, truncation, bound = rows.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(bound > 0, np.abs(analytic - fd) / bound, np.where(analytic == fd, 0.0, np.inf))
    return EntryBounds(idx, analytic, fd, rounding, truncation, bound, ratio, sizes, pr.evaluations, pr.noise, pr.h,
                       _resolution(idx, bound, g, sizes), float(bug_size))
