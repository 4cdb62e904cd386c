"""Tools for testing gradient code: verify a user's implementation, and public Hypothesis strategies.

- :func:`verify` (:mod:`gradtrio.testing.verifier`) checks a cost-and-gradient function gradtrio did not
  write, in the gradtrio signature ``fn(thetas, X, Y, lam)`` or the course's
  ``nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lam)``, and returns a
  :class:`VerifyReport`; :func:`assert_verified` raises an ``AssertionError`` whose message is the report,
  for a test suite::

      from gradtrio.testing import assert_verified
      from my_ex4 import nnCostFunction

      def test_my_gradient():
          assert_verified(nnCostFunction, signature="course")

- :mod:`gradtrio.testing.conventions` — signatures and conventions, and one guarded call of a user's function;
- :mod:`gradtrio.testing.strategies` — Hypothesis strategies of problems ``(thetas, X, Y, lam)``, composed
  in order (dtype → sizes → data), for property tests of any gradient implementation;
- :class:`Problem` — the named tuple every gradient takes.

Importing this package loads neither Hypothesis, NumPy's users nor the strategies: each is imported on
first use.
"""

from __future__ import annotations

__all__ = ["Problem", "VerifyReport", "assert_verified", "conventions", "strategies", "verify"]

_FROM = {"Problem": ".problem", "VerifyReport": ".report", "verify": ".verifier", "assert_verified": ".verifier"}


def __getattr__(name: str):
    import importlib

    if name in ("strategies", "conventions", "report"):
        return importlib.import_module(f".{name}", __name__)
    if name in _FROM:
        return getattr(importlib.import_module(_FROM[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
