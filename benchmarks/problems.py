"""The problem sizes the suite knows, and their random data (fixed seed, nothing downloaded)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from gradtrio import network

__all__ = ["Size", "SIZES", "parse_sizes", "make_problem", "LAM"]

# The course's regularization strength for the 400-25-10 network; every case uses it.
LAM = 1.0

SEED = 0


@dataclass(frozen=True)
class Size:
    """A named problem size: ``m`` examples through layer sizes ``layers``."""

    name: str
    m: int
    layers: tuple[int, ...]

    @property
    def n_params(self) -> int:
        return network.num_params(self.layers)

    @property
    def work(self) -> int:
        """m × (weights): proportional to the multiply-adds of one cost-and-gradient evaluation."""
        return self.m * sum(a * b for a, b in zip(self.layers[:-1], self.layers[1:]))

    def describe(self) -> str:
        return f"{self.m} × {'-'.join(map(str, self.layers))}"


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("debug", 5, (3, 5, 3)),  # the course's checkNNGradients problem (debug_problem)
        Size("digits", 1347, (64, 25, 10)),  # scikit-learn's 8×8 digits, 75 % training split
        Size("course", 5000, (400, 25, 10)),  # the course exercise (ex4data1)
        Size("large", 60000, (784, 800, 10)),  # MNIST-sized, one wide hidden layer
        Size("large-deep", 60000, (784, 1024, 1024, 10)),  # MNIST-sized, two hidden layers
    )
}

_CUSTOM = re.compile(r"^(\d+)x(\d+(?:-\d+)+)$")


def parse_sizes(spec: str) -> list[Size]:
    """Sizes from a comma-separated list of names (see :data:`SIZES`) or ``MxA-B-C`` (m x layers).

    >>> [s.name for s in parse_sizes("digits,200x20-8-4")]
    ['digits', '200x20-8-4']
    """
    out = []
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        if item in SIZES:
            out.append(SIZES[item])
            continue
        match = _CUSTOM.match(item)
        if not match:
            raise ValueError(
                f"unknown size {item!r}: expected one of {', '.join(SIZES)} or MxA-B-C such as 200x20-8-4"
            )
        layers = tuple(int(v) for v in match.group(2).split("-"))
        network.check_sizes(layers)
        out.append(Size(item, int(match.group(1)), layers))
    if not out:
        raise ValueError(f"no sizes in {spec!r}")
    return out


def make_problem(size: Size, dtype: str = "float64") -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Weights, inputs and one-hot labels for ``size``, reproducible from :data:`SEED`.

    ``debug`` is the course's deterministic problem (:func:`gradtrio.network.debug_problem`); every
    other size draws X uniform in [0, 1) (like pixel intensities), labels uniform over the classes,
    and weights from :func:`gradtrio.network.init_weights`.

    Returns
    -------
    thetas : list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, in ``dtype``.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, s_L), one-hot, in ``dtype``.
    """
    dt = np.dtype(dtype)
    if size.name == "debug":
        thetas, X, y = network.debug_problem(size.layers, m=size.m)
    else:
        rng = np.random.default_rng(SEED)
        X = rng.random((size.m, size.layers[0]))
        y = rng.integers(0, size.layers[-1], size=size.m)
        thetas = network.init_weights(size.layers, seed=SEED)
    Y = network.one_hot(y, size.layers[-1])
    return [t.astype(dt) for t in thetas], X.astype(dt), Y.astype(dt)
