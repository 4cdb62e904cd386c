"""Hypothesis strategies for gradtrio problems, composed in order: dtype → sizes → data.

Each strategy is a public, documented function returning a strategy, so that a test can pin one
level and draw the others::

    problems()                                   # everything drawn
    problems(sizes=st.just((3, 5, 3)))           # one architecture, random data and λ
    problems(dtype=st.just(np.float32), lam=st.just(0.0))
    study_problems()                             # the detection study's fixed menu of small nets
    unit_problems()                              # any hidden units and output, pre-activations at kinks
    unit_problems(activation=st.just("relu"), kinks=st.just("at"))

The numbers inside the arrays come from a NumPy generator seeded by a drawn integer, not from one
Hypothesis draw per entry: a 5-layer net of width 12 has ~600 parameters, and drawing them one by
one would spend the example budget on array filling. Hypothesis keeps control of what breaks
gradients — the depth, the widths, m, λ, the scale of the weights and of X — and shrinks those.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

from ..model.activations import ACTIVATIONS, OUTPUTS
from ..network import one_hot, theta_shapes
from .problem import Problem

__all__ = [
    "Problem",
    "REGIMES",
    "STUDY_SIZES",
    "STUDY_M",
    "dtypes",
    "layer_sizes",
    "lams",
    "scales",
    "regimes",
    "problems",
    "study_problems",
    "verify_problems",
    "ACTIVATION_NAMES",
    "OUTPUT_NAMES",
    "KINK_PLACEMENTS",
    "UnitProblem",
    "activations",
    "hidden_units",
    "outputs",
    "targets",
    "kink_placements",
    "unit_problems",
]

#: Bounds of the drawn problems: depth 2-5 layers, sizes 1-12, m 1-20, λ 0..10.
MAX_LAYERS, MAX_SIZE, MAX_M, MAX_LAM = 5, 12, 20, 10.0

#: Largest |weight| and |x| of the "random" regime. With |Θ| <= 2 and |x| <= 3 a unit can be
#: saturated (|z| up to ~75 on the first layer) but not so deep in saturation that every gradient is
#: below rounding.
MAX_WEIGHT, MAX_X = 2.0, 3.0

#: Largest data scale of the "pixels" regime: raw pixel counts are 0..16 (scikit-learn's digits), and
#: unscaled features of other data reach ~100.
MAX_DATA_SCALE = 100.0

#: The regimes users check, beside random bounded draws:
#:
#: - "random": uniform weights in ±(up to 2), X in ±(up to 3);
#: - "pixels": X of non-negative integer counts, scaled to a maximum of 16 or up to 100 (raw data);
#: - "saturated": the random weights times 3 or 10 (near-saturated units);
#: - "fitted": weights trained by L-BFGS-B (:func:`gradtrio.train.train`) on the drawn data at the
#:   drawn λ, from the usual initialisation: at λ = 0 and small m a nearly perfect fit, J ≪ 1, whose
#:   cost is a difference of large terms and whose gradient nearly cancels.
REGIMES = ("random", "pixels", "saturated", "fitted")


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


def regimes(names: tuple[str, ...] = REGIMES) -> st.SearchStrategy[str]:
    """One of the :data:`REGIMES` (all by default)."""
    return st.sampled_from(list(names))


@st.composite
def problems(
    draw,
    sizes: st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: st.SearchStrategy[np.dtype] | None = None,
    m: st.SearchStrategy[int] | None = None,
    lam: st.SearchStrategy[float] | None = None,
    weight_scale: st.SearchStrategy[float] | None = None,
    x_scale: st.SearchStrategy[float] | None = None,
    regime: st.SearchStrategy[str] | None = None,
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
        (default up to :data:`MAX_X`; in the "pixels" regime X is counts scaled to ``x_scale``, by
        default 16 or up to :data:`MAX_DATA_SCALE`).
    regime : strategy of str, default :func:`regimes`
        One of :data:`REGIMES`: what kind of weights and data, beside their sizes.

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
    kind = draw(regime if regime is not None else regimes())
    ws = draw(weight_scale if weight_scale is not None else scales(MAX_WEIGHT))
    if x_scale is not None:
        xs = draw(x_scale)
    elif kind == "pixels":
        xs = draw(st.one_of(st.just(16.0), st.floats(3.0, MAX_DATA_SCALE)))
    else:
        xs = draw(scales(MAX_X))
    factor = draw(st.sampled_from([3.0, 10.0])) if kind == "saturated" else 1.0
    maxiter = draw(st.integers(20, 200)) if kind == "fitted" else 0
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    thetas = [factor * rng.uniform(-ws, ws, size=shape) for shape in theta_shapes(sz)]
    if kind == "pixels":
        X = rng.integers(0, 17, size=(n_ex, sz[0])) * (xs / 16.0)
    else:
        X = rng.uniform(-xs, xs, size=(n_ex, sz[0]))
    y = rng.integers(0, sz[-1], size=n_ex)
    if kind == "fitted":
        from ..train import train

        fit = train(X, y, hidden=sz[1:-1], lam=float(lm), maxiter=maxiter, num_labels=sz[-1],
                    seed=int(rng.integers(0, 2**31)))
        thetas = fit.thetas
    return Problem([t.astype(dt) for t in thetas], X.astype(dt), one_hot(y, sz[-1], dtype=dt), float(lm))


#: Architectures :func:`study_problems` draws from: no hidden layer, the course's debug net, a square
#: one (the only kind on which the catalog's "Θ transposed" runs), deeper ones. A fixed menu keeps the
#: number of shapes JAX compiles for small (each new shape costs one jit compilation).
STUDY_SIZES = ((2, 3), (3, 5, 3), (2, 3, 2), (3, 3, 3), (2, 4, 3, 2), (2, 2, 2, 2))
#: Example counts :func:`study_problems` draws: m = 1 hides the 1/m bugs, the others show them.
STUDY_M = (1, 2, 5)


def study_problems() -> st.SearchStrategy[Problem]:
    """The problems of the detection study (:mod:`gradtrio.catalog.study`): :func:`problems` on a menu.

    Sizes from :data:`STUDY_SIZES`, m from :data:`STUDY_M`, λ = 0 or uniform in [0.01, 10], weights
    and X uniform in [-1, 1] (the "random" regime at scale 1), random labels, float64. Every Hypothesis
    column of the detection table draws from it: its draws, in order, are what the table's counts of
    examples to the first failure measure.
    """
    return problems(sizes=st.sampled_from(STUDY_SIZES), dtype=st.just(np.dtype(np.float64)),
                    m=st.sampled_from(STUDY_M), lam=st.one_of(st.just(0.0), st.floats(0.01, 10.0)),
                    weight_scale=st.just(1.0), x_scale=st.just(1.0), regime=st.just("random"))


#: Largest layer of the problems :func:`verify_problems` draws: small enough that a per-example loop in
#: Python stays fast, large enough for every shape of bug (non-square layers, several rows and columns).
VERIFY_MAX_SIZE = 8


def _label_counts() -> st.SearchStrategy[int]:
    """K: small (1..6, where Hypothesis shrinks to) or the course's 10 (where "K fixed at 10" hides)."""
    return st.one_of(st.integers(1, 6), st.just(10))


@st.composite
def verify_problems(draw, signature: str = "gradtrio", sizes: tuple[int, ...] | None = None) -> tuple[Problem, str]:
    """The problems :func:`gradtrio.testing.verify` checks a user's implementation on, with their regime.

    Parameters
    ----------
    signature : {"gradtrio", "course"}
        "course": three layers; "gradtrio": 2 to 5.
    sizes : tuple of int, optional
        A fixed architecture (the user's), instead of drawn sizes.

    Returns
    -------
    (Problem, str)
        A float64 :func:`problems` draw: layers up to :data:`VERIFY_MAX_SIZE` units, K of 1..6 or 10, m from 1
        to :data:`MAX_M` (so m < K and absent classes occur), λ = 0 or positive, any of :data:`REGIMES`; and
        the regime's name.
    """
    if sizes is not None:
        sz: st.SearchStrategy[tuple[int, ...]] = st.just(tuple(sizes))
    else:
        depth = (3, 3) if signature == "course" else (2, MAX_LAYERS)
        sz = st.tuples(layer_sizes(depth[0] - 1, depth[1] - 1, 1, VERIFY_MAX_SIZE), _label_counts()).map(
            lambda t: t[0] + (t[1],))
    kind = draw(regimes())
    return draw(problems(sizes=sz, m=st.integers(1, MAX_M), regime=st.just(kind))), kind


# --------------------------------------------------------------------------------------------------
# Hidden units, outputs, and pre-activations at kinks
# --------------------------------------------------------------------------------------------------

#: Every hidden activation by its canonical name (``logistic`` is an alias of the sigmoid).
ACTIVATION_NAMES: tuple[str, ...] = tuple(n for n in ACTIVATIONS if n != "logistic")
#: Every output unit (with its loss).
OUTPUT_NAMES: tuple[str, ...] = tuple(OUTPUTS)
#: Where :func:`unit_problems` puts first-layer pre-activations:
#:
#: - "none": wherever the draw puts them;
#: - "at": exactly at 0 with no rounding behind it — a drawn set of examples is all zeros and every
#:   hidden bias is 0, so every hidden unit's z is exactly 0 on those examples, in every layer, for any
#:   computation (the convention's branch: relu'(0) = 0);
#: - "near": each first-layer unit's z on one drawn example within about two central-difference steps
#:   of 0 (its bias set to ``δ − x·w``, ``|δ| <= 2h``, h the dtype's default central step): stencils
#:   that cross the kink, and ones that stop just short of it;
#: - "both": the two at once.
KINK_PLACEMENTS = ("none", "at", "near", "both")


class UnitProblem(NamedTuple):
    """A problem with its units: the :class:`Problem` and the ``activation`` and ``output`` keywords.

    Attributes
    ----------
    problem : Problem
        ``(thetas, X, Y, lam)``; ``Y`` fits the output (one-hot for softmax and the sigmoid, real for
        identity).
    activation : str or tuple of str
        One name for every hidden layer, or one per hidden layer.
    output : str
    kinks : str
        The :data:`KINK_PLACEMENTS` entry the draw used.
    """

    problem: Problem
    activation: str | tuple[str, ...]
    output: str
    kinks: str

    @property
    def units(self) -> dict[str, Any]:
        """``{"activation": ..., "output": ...}``: the keywords of every gradtrio function."""
        return {"activation": self.activation, "output": self.output}

    def __repr__(self) -> str:
        return (f"UnitProblem({self.problem!r}, activation={self.activation!r}, output={self.output!r}, "
                f"kinks={self.kinks!r})")


def activations(names: tuple[str, ...] = ACTIVATION_NAMES) -> st.SearchStrategy[str]:
    """One hidden activation's name (all of them by default)."""
    return st.sampled_from(list(names))


def hidden_units(n_hidden: int, names: tuple[str, ...] = ACTIVATION_NAMES) -> st.SearchStrategy[str | tuple[str, ...]]:
    """The ``activation`` keyword for ``n_hidden`` hidden layers: one name for all, or one per layer."""
    one = activations(names)
    if n_hidden < 2:
        return one
    return st.one_of(one, st.tuples(*[activations(names)] * n_hidden))


def outputs(names: tuple[str, ...] = OUTPUT_NAMES) -> st.SearchStrategy[str]:
    """One output unit's name (all of them by default)."""
    return st.sampled_from(list(names))


def targets(output: str, m: int, K: int, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Targets ``(m, K)`` that fit ``output``: real numbers (normal, times ``scale``) for identity,
    one-hot rows of uniform labels otherwise (for softmax K must be >= 2)."""
    if OUTPUTS[output].targets == "real":
        return scale * rng.standard_normal((m, K))
    return one_hot(rng.integers(0, K, size=m), K)


def kink_placements(names: tuple[str, ...] = KINK_PLACEMENTS) -> st.SearchStrategy[str]:
    """One of :data:`KINK_PLACEMENTS`."""
    return st.sampled_from(list(names))


def _place_kinks(thetas: list[np.ndarray], X: np.ndarray, kinks: str, dt: np.dtype,
                 rng: np.random.Generator) -> None:
    """Set X rows and biases in place for the placement ``kinks`` (see :data:`KINK_PLACEMENTS`)."""
    m = X.shape[0]
    if kinks in ("at", "both"):
        rows = rng.choice(m, size=int(rng.integers(1, m + 1)), replace=False)
        X[rows] = 0.0
        for T in thetas[:-1]:
            T[:, 0] = 0.0
    if kinks in ("near", "both") and len(thetas) > 1:
        h = 5 * float(np.finfo(dt).eps) ** (1 / 3)  # the default central step of the dtype
        T = thetas[0]
        Xd = X.astype(dt).astype(np.float64)
        for u in range(T.shape[0]):
            k = int(rng.integers(m))
            if kinks == "both" and not np.any(Xd[k]):
                continue  # an "at" row: that unit stays exactly at 0 there
            delta = float(rng.uniform(-2.0, 2.0)) * h
            T[u, 0] = delta - float(Xd[k] @ T[u, 1:].astype(dt).astype(np.float64))


@st.composite
def unit_problems(
    draw,
    sizes: st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: st.SearchStrategy[np.dtype] | None = None,
    activation: st.SearchStrategy[str | tuple[str, ...]] | None = None,
    output: st.SearchStrategy[str] | None = None,
    kinks: st.SearchStrategy[str] | None = None,
    m: st.SearchStrategy[int] | None = None,
    lam: st.SearchStrategy[float] | None = None,
) -> UnitProblem:
    """A problem with drawn hidden units and output, its targets fitting the output, and first-layer
    pre-activations at and near the kinks when drawn so.

    Parameters
    ----------
    sizes : strategy of tuple of int, default 3 to 4 layers of 1..6 units
        When the output is softmax, K is raised to 2 if drawn as 1.
    dtype : strategy of np.dtype, default float64
    activation : strategy, default :func:`hidden_units` (one for all or one per hidden layer)
    output : strategy of str, default :func:`outputs`
    kinks : strategy of str, default :func:`kink_placements`
    m : strategy of int, default 1..8
    lam : strategy of float, default :func:`lams` up to 3

    Returns
    -------
    UnitProblem
        Weights uniform in ``±w`` (w of :func:`scales` up to :data:`MAX_WEIGHT`), X uniform in ``±x``
        (up to :data:`MAX_X`), then :data:`KINK_PLACEMENTS` applied.
    """
    dt = draw(dtype if dtype is not None else dtypes())
    out = draw(output if output is not None else outputs())
    sz = list(draw(sizes if sizes is not None else layer_sizes(3, 4, 1, 6)))
    if OUTPUTS[out].targets == "one-hot" and sz[-1] < 2:  # softmax: K >= 2
        sz[-1] = 2
    act = draw(activation if activation is not None else hidden_units(len(sz) - 2))
    kind = draw(kinks if kinks is not None else kink_placements())
    n_ex = draw(m if m is not None else st.integers(1, 8))
    lm = draw(lam if lam is not None else lams(3.0))
    ws, xs = draw(scales(MAX_WEIGHT)), draw(scales(MAX_X))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    thetas = [rng.uniform(-ws, ws, size=shape) for shape in theta_shapes(sz)]
    X = rng.uniform(-xs, xs, size=(n_ex, sz[0]))
    Y = targets(out, n_ex, sz[-1], rng)
    _place_kinks(thetas, X, kind, dt, rng)
    return UnitProblem(Problem([t.astype(dt) for t in thetas], X.astype(dt), Y.astype(dt), float(lm)),
                       act, out, kind)
