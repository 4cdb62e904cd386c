"""One release of grace for renamed spellings: the old name works and says what replaces it.

The test suite turns :class:`GradtrioDeprecationWarning` into an error (``pyproject.toml``), so gradtrio's
own code never calls a deprecated spelling; the tests that exercise one use ``pytest.warns``.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["GradtrioDeprecationWarning", "warn_renamed", "renamed_keyword", "module_getattr"]


class GradtrioDeprecationWarning(DeprecationWarning):
    """A gradtrio spelling that will be removed in the next release."""


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (blamed on the caller's caller by default)."""
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}",
                  GradtrioDeprecationWarning, stacklevel=stacklevel)


def renamed_keyword(kwargs: dict[str, Any], old: str, new: str, value: Any, where: str) -> Any:
    """Resolve a keyword renamed from ``old`` to ``new``: pop ``old`` from ``kwargs`` (warning), refuse both.

    Returns the value to use: ``kwargs[old]`` when only the old spelling was given, else ``value``.
    """
    if old not in kwargs:
        return value
    if value is not None:
        raise TypeError(f"{where}: give {new}= only ({old}= is its deprecated spelling), not both")
    warn_renamed(f"{where}({old}=...)", f"{new}=", stacklevel=4)
    return kwargs.pop(old)


def module_getattr(module: str, renamed: dict[str, tuple[str, Any]]):
    """A module ``__getattr__`` serving deprecated module-level names: ``renamed[old] = (new, value)``."""

    def __getattr__(name: str) -> Any:
        if name in renamed:
            new, value = renamed[name]
            warn_renamed(f"{module}.{name}", f"{module}.{new}" if "." not in new else new)
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
