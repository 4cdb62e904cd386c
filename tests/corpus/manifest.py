"""Every module of the corpus with its EXPECTED labels, for tests to parametrize over.

``entries()`` imports each ``*.py`` module of this folder (this file and ``__init__`` excepted), in
name order, and returns ``[(module_name, EXPECTED), ...]``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
_SKIP = {"__init__", "manifest"}


def module_names() -> list[str]:
    """The corpus modules' names (without the package), sorted."""
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in _SKIP)


def load(name: str) -> ModuleType:
    """The corpus module ``name``, imported as a submodule of this package."""
    return importlib.import_module(f"{__package__}.{name}")


def entries() -> list[tuple[str, dict[str, Any]]]:
    """``(module_name, EXPECTED)`` for every corpus module, sorted by name."""
    return [(name, load(name).EXPECTED) for name in module_names()]
