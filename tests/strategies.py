"""Hypothesis strategies for gradtrio problems, composed in order: dtype → sizes → data.

Each strategy is a public, documented function returning a strategy, so that a test can pin one
level and draw the others::

    problems()                                   # everything drawn
    problems(sizes=st.just((3, 5, 3)))           # one architecture, random data and λ
    problems(dtype=st.just(np.float32), lam=st.just(0.0))

The numbers inside the arrays come from a NumPy generator seeded by a drawn integer, not from one
Hypothesis draw per entry: a 5-layer net of width 12 has ~600 parameters, and drawing them one by
one would spend the example budget on array filling. Hypothesis keeps control of what breaks
gradients — the depth, the widths, m, λ, the scale of the weights and of X — and shrinks those.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

from gradtrio.network import one_hot, theta_shapes

__all__ = ["Problem", "dtypes", "layer_sizes", "lams", "scales", "problems"]

#: Bounds of the drawn problems: depth 2-5 layers, sizes 1-12, m 1-20, λ 0..10.
MAX_LAYERS, MAX_SIZE, MAX_M, MAX_LAM = 5, 12, 20, 10.0

#: Largest |weight| and |x|. With |Θ| <= 2 and |x| <= 3 a unit can be saturated (|z| up to ~75 on
#: the first layer) but not so deep in saturation that every gradient is below rounding.
MAX_WEIGHT, MAX_X = 2.0, 3.0


class Problem(NamedTuple):
    """One drawn problem: the arguments of every ``cost_and_grad``."""

    thetas: list[np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    lam: float

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.X.shape[1],) + tuple(t.shape[0] for t in self.thetas)

    @property
    def m(self) -> int:
        return self.X.shape[0]

    def __repr__(self) -> str:  # short, for Hypothesis' "Falsifying example"
        w = max(float(np.abs(t).max()) for t in self.thetas)
        return (f"Problem(sizes={self.sizes}, m={self.m}, lam={self.lam!r}, dtype={self.X.dtype}, "
                f"max|Θ|={w:.3g}, max|X|={float(np.abs(self.X).max()):.3g})")


def dtypes(float32: bool = False) -> st.SearchStrategy[np.dtype]:
    """float64, or float64 and float32 when ``float32`` is true."""
    return st.sampled_from([np.dtype(np.float64), np.dtype(np.float32)] if float32 else [np.dtype(np.float64)])


def layer_sizes(
    min_layers: int = 2, max_layers: int = MAX_LAYERS, min_size: int = 1, max_size: int = MAX_SIZE
) -> st.SearchStrategy[tuple[int, ...]]:
    """Layer sizes ``(s_1, ..., s_L)`` with ``min_layers <= L <= max_layers`` and each size in range."""
    return st.lists(st.integers(min_size, max_size), min_size=min_layers, max_size=max_layers).map(tuple)


def lams(max_lam: float = MAX_LAM) -> st.SearchStrategy[float]:
    """λ: exactly 0 (a third of the draws) or a positive float up to ``max_lam``."""
    return st.one_of(st.just(0.0), st.floats(1e-3, max_lam, allow_nan=False, allow_infinity=False))


def scales(max_scale: float) -> st.SearchStrategy[float]:
    """A magnitude for weights or X: a few fixed values (tiny, small, unit) or anything up to ``max_scale``."""
    return st.one_of(st.sampled_from([1e-3, 0.1, 1.0]), st.floats(0.0, max_scale)).map(lambda s: min(s, max_scale))


@st.composite
def problems(
    draw,
    sizes: st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: st.SearchStrategy[np.dtype] | None = None,
    m: st.SearchStrategy[int] | None = None,
    lam: st.SearchStrategy[float] | None = None,
    weight_scale: st.SearchStrategy[float] | None = None,
    x_scale: st.SearchStrategy[float] | None = None,
) -> Problem:
    """A whole problem ``(thetas, X, Y, lam)``, each level drawn from its own strategy.

    Parameters
    ----------
    sizes : strategy of tuple of int, default :func:`layer_sizes`
    dtype : strategy of np.dtype, default :func:`dtypes` (float64 only)
    m : strategy of int, default 1..20
    lam : strategy of float, default :func:`lams`
    weight_scale, x_scale : strategy of float
        Weights are uniform in ``±weight_scale`` (default up to :data:`MAX_WEIGHT`), X in ``±x_scale``
        (default up to :data:`MAX_X`).

    Returns
    -------
    Problem
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, X ``(m, s_1)``, one-hot Y ``(m, s_L)`` with labels
        drawn uniformly, float λ.
    """
    dt = draw(dtype if dtype is not None else dtypes())
    sz = draw(sizes if sizes is not None else layer_sizes())
    n_ex = draw(m if m is not None else st.integers(1, MAX_M))
    lm = draw(lam if lam is not None else lams())
    ws = draw(weight_scale if weight_scale is not None else scales(MAX_WEIGHT))
    xs = draw(x_scale if x_scale is not None else scales(MAX_X))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    thetas = [rng.uniform(-ws, ws, size=shape).astype(dt) for shape in theta_shapes(sz)]
    X = rng.uniform(-xs, xs, size=(n_ex, sz[0])).astype(dt)
    Y = one_hot(rng.integers(0, sz[-1], size=n_ex), sz[-1], dtype=dt)
    return Problem(thetas, X, Y, float(lm))
