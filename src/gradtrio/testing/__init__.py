"""Tools for testing gradient code: the :class:`Problem` tuple and public Hypothesis strategies.

- :mod:`gradtrio.testing.strategies` — Hypothesis strategies of problems ``(thetas, X, Y, lam)``,
  composed in order (dtype → sizes → data), for property tests of any gradient implementation.

Importing this package loads neither Hypothesis nor the strategies: they are imported on first use.
"""

from __future__ import annotations

__all__ = ["Problem", "strategies"]


def __getattr__(name: str):
    import importlib

    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    if name == "Problem":
        return importlib.import_module(".problem", __name__).Problem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
