"""gradtrio: feed-forward networks whose cost gradient is computed three independent ways.

- :mod:`gradtrio.backprop` — backpropagation written by hand in NumPy (loop and vectorized);
- :mod:`gradtrio.autodiff` — ``jax.grad`` of the same cost;
- :mod:`gradtrio.finite_diff` — central differences, complex step, random directions.

Conventions (layer sizes, the ``(s_{l+1}, s_l + 1)`` weight layout with the bias in column 0, the
cost and labels) are written once in :mod:`gradtrio.network` and :mod:`gradtrio.backprop`.
"""

from . import backprop, network
from .data import load_digits
from .network import debug_problem, init_weights, one_hot, roll, unroll
from .train import accuracy, predict  # not train(): it would hide the module gradtrio.train

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
    "load_digits",
    "predict",
    "accuracy",
    "autodiff",
    "finite_diff",
    "check",
    "check_gradients",
    "tolerances",
    "localize",
    "verdicts",
    "mutants",
    "stepsize",
]

# Imported on first use, so that ``import gradtrio`` (done by every CLI command) does not load JAX.
_LAZY_MODULES = {
    "autodiff", "finite_diff", "check", "tolerances", "localize", "verdicts", "mutants", "stepsize",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "check_gradients":
        return importlib.import_module(".check", __name__).check_gradients
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
