"""gradtrio: feed-forward networks whose cost gradient is computed three independent ways.

- :mod:`gradtrio.backprop` — backpropagation written by hand in NumPy (loop and vectorized);
- :mod:`gradtrio.autodiff` — ``jax.grad`` of the same cost;
- :mod:`gradtrio.finite_diff` — central differences, complex step, random directions.

Conventions (layer sizes, the ``(s_{l+1}, s_l + 1)`` weight layout with the bias in column 0, the
cost and labels) are written once in :mod:`gradtrio.network` and :mod:`gradtrio.backprop`.
"""

from . import backprop, network
from .network import debug_problem, init_weights, one_hot, roll, unroll

__version__ = "0.1.0"

__all__ = [
    "backprop",
    "network",
    "debug_problem",
    "init_weights",
    "one_hot",
    "roll",
    "unroll",
    "__version__",
]
