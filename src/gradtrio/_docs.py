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
    One-hot labels, K = s_L (:func:`gradtrio.network.one_hot` makes them from class indices); any
    real targets for ``output="identity"``."""
_LAM = """lam : float, default 0
    Regularization λ >= 0; bias columns (column 0) are never regularized."""

_CLOSURE = """sizes : sequence of int, Architecture, or Problem
    The network's layer sizes (sigmoid units throughout) or :class:`gradtrio.model.Architecture`
    (any units), with the data below; or a validated :class:`gradtrio.model.Problem` alone (then
    nothing is validated again).
X : array_like of shape (m, sizes[0]), optional
Y : array_like of shape (m, sizes[-1]), optional
    One-hot labels.
lam : float, default 0"""

_UNITS = """activation : str or sequence of str, default "sigmoid"
    The hidden layers' activation, one name for all or one per hidden layer: ``"sigmoid"`` (alias
    ``"logistic"``), ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"softplus"``, ``"gelu"``,
    ``"identity"`` (:data:`gradtrio.model.ACTIVATIONS`).
output : {"sigmoid", "softmax", "identity"}, default "sigmoid"
    The output unit and its loss: the course's cross-entropy of K logistic units, softmax with
    categorical cross-entropy, or identity with squared error ``(1/(2m)) Σ‖h − y‖²``."""

#: The shared parameter descriptions, by placeholder name.
PARAMETERS: dict[str, str] = {
    "thetas": _THETAS,
    "X": _X,
    "Y": _Y,
    "lam": _LAM,
    "data": "\n".join((_X, _Y, _LAM)),
    "problem": "\n".join((_THETAS, _X, _Y, _LAM)),
    "closure": _CLOSURE,
    "units": _UNITS,
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
