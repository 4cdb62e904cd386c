"""Shared pieces of numpydoc docstrings, written once.

Every function that takes the problem ``thetas, X, Y, lam`` describes it the same way; instead of a
copy in each docstring, a docstring holds a line ``{problem}`` (or ``{thetas}``, ``{X}``, ``{Y}``,
``{lam}``, ``{data}`` for ``X, Y, lam``) and :func:`fill` replaces it, at the line's indentation, with
the text below. Sphinx and ``help()`` read the filled docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["PARAMETERS", "fill"]

F = TypeVar("F", bound=Callable)

_THETAS = """thetas : sequence of array_like
    ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, one matrix per layer, the bias in column 0
    (the course's layout; :class:`gradtrio.model.Architecture`)."""
_X = """X : array_like of shape (m, s_1)
    One example a row, m >= 1."""
_Y = """Y : array_like of shape (m, K)
    One-hot labels, K = s_L (:func:`gradtrio.model.one_hot` makes them from class indices)."""
_LAM = """lam : float, default 0
    Regularization λ >= 0; bias columns (column 0) are never regularized."""

#: The shared parameter descriptions, by placeholder name.
PARAMETERS: dict[str, str] = {
    "thetas": _THETAS,
    "X": _X,
    "Y": _Y,
    "lam": _LAM,
    "data": "\n".join((_X, _Y, _LAM)),
    "problem": "\n".join((_THETAS, _X, _Y, _LAM)),
}


def fill(fn: F) -> F:
    """Replace each line ``{name}`` of ``fn.__doc__`` (a key of :data:`PARAMETERS`) by its text.

    Raises
    ------
    KeyError
        If a placeholder line names no shared description (a typo must not ship as ``{thetsa}``).
    """
    doc = fn.__doc__
    if not doc:
        return fn
    out: list[str] = []
    for line in doc.splitlines():
        key = line.strip()
        if key.startswith("{") and key.endswith("}") and key[1:-1].isidentifier():
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + part if part else part for part in PARAMETERS[key[1:-1]].splitlines())
        else:
            out.append(line)
    fn.__doc__ = "\n".join(out)
    return fn
