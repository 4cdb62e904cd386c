"""gradtrio: feed-forward networks whose cost gradient is computed three independent ways.

- :mod:`gradtrio.backprop` — backpropagation written by hand in NumPy (loop and vectorized), and the
  Hessian- and Gauss-Newton-vector products `hvp`/`gvp` by the R-operator;
- :mod:`gradtrio.autodiff` — ``jax.grad`` of the same cost;
- :mod:`gradtrio.oracles` — central differences, complex step, random directions, localization and
  tolerance-free verdicts, on any black-box cost (:mod:`gradtrio.finite_diff` keeps the former names).

The network (units, the ``(s_{l+1}, s_l + 1)`` weight layout with the bias in column 0, validation, the
forward pass and cost) is written once, in :mod:`gradtrio.model`.
"""

__version__ = "0.1.0"

__all__ = [
    "model",
    "oracles",
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
    "check_hessian",
    "check_hessians",
    "tolerances",
    "rounding",
    "measured",
    "localize",
    "verdicts",
    "mutants",
    "catalog",
    "testing",
    "stepsize",
    "sharding",
    "verify",
    "assert_verified",
]

# Everything is imported on first use, so that ``import gradtrio`` (done by every CLI command before
# its Ctrl-C handling is in place) loads neither NumPy, SciPy nor JAX: the command imports them itself.
_LAZY_MODULES = {"model", "oracles", "backprop", "network", "autodiff", "finite_diff", "check", "check_hessian",
                 "tolerances",
                 "rounding", "measured", "localize", "verdicts", "mutants", "catalog", "testing", "stepsize",
                 "sharding"}
_LAZY_NAMES = {
    "load_digits": "data",
    "debug_problem": "network",
    "init_weights": "network",
    "one_hot": "network",
    "roll": "network",
    "unroll": "network",
    "accuracy": "train",
    "predict": "train",  # not train(): it would hide the module gradtrio.train
    "check_gradients": "check",
    "check_hessians": "check_hessian",  # H v by hand against JAX, jax.hessian, differences, complex step
    "verify": "testing",  # gradtrio.verify(my_fn, ...): a user's own implementation checked
    "assert_verified": "testing",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
