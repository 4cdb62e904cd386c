"""The spellings of the checkers before the one vocabulary, served for one release with a warning.

Before: the step was ``eps`` in :func:`numerical_gradient`, :func:`richardson`, :func:`directional_check`
and :func:`numerical_gradient_batched`; the estimators took ``(J, theta, step)``; :func:`directional_check`,
:func:`localize` and :func:`entry_bounds` took the gradient first (``(grad, J, theta, ...)``, ``sizes``
positional); the cost was ``J``, ``J_batch`` or ``cost_fn``; the Taylor test's largest step was ``h_max``.
Now every oracle takes ``(f, grad, theta, *, h=None, seed=0, ...)``. :func:`legacy` wraps an oracle so that
a call in the old spelling is rewritten to the new one and warns (:class:`GradtrioDeprecationWarning`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from .._deprecate import warn_renamed

R = TypeVar("R")

#: The positional parameters every oracle starts with.
NEW_ORDER = ("f", "grad", "theta")

Test = Callable[[tuple, dict], bool]


def estimator_order(args: tuple, kwargs: dict) -> bool:
    """``(f, theta[, step])``: an estimator called the old way (its third argument, if any, is a step)."""
    if "theta" in kwargs:
        return len(args) <= 1 and "grad" not in kwargs
    return len(args) == 2 or (len(args) >= 3 and np.ndim(args[2]) == 0)


def gradient_first(args: tuple, kwargs: dict) -> bool:
    """``(grad, f, theta, ...)``: the gradient (never callable there) came before the cost."""
    return bool(args) and not callable(args[0])


def located_order(args: tuple, kwargs: dict) -> bool:
    """``(grad, f, theta, sizes)``: localize's old order (``sizes`` positional, or the cost second, perhaps as
    ``cost_fn=``, which arrives here renamed to ``f=``)."""
    if "f" in kwargs:
        return len(args) >= 1
    return len(args) >= 4 or (len(args) >= 2 and callable(args[1]) and not callable(args[0]))


def _rename_keywords(where: str, kwargs: dict, renames: dict[str, str]) -> None:
    for old, new in renames.items():
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"{where}: give {new}= only ({old}= is its deprecated spelling), not both")
            warn_renamed(f"{where}({old}=...)", f"{new}=", stacklevel=4)
            kwargs[new] = kwargs.pop(old)


def _reorder(where: str, old: tuple[str, ...], args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    if len(args) > len(old):
        raise TypeError(f"{where}() takes at most {len(old)} positional arguments in its old spelling; "
                        f"got {len(args)}")
    named = dict(zip(old, args))
    twice = sorted(set(named) & set(kwargs))
    if twice:
        raise TypeError(f"{where}() got multiple values for {', '.join(twice)}")
    named.update(kwargs)
    return tuple(named.pop(k, None) for k in NEW_ORDER), named


def legacy(old: tuple[str, ...], is_old: Test, spelled: str,
           renames: dict[str, str] | None = None) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Serve the old spelling of an oracle.

    Parameters
    ----------
    old : tuple of str
        The old positional order, in the new names (``("grad", "f", "theta", "k", "h", "seed")``).
    is_old : callable
        ``is_old(args, kwargs)``: whether a call's positional arguments follow ``old``.
    spelled : str
        The old signature as its users wrote it, for the warning.
    renames : dict, optional
        Old keyword → new keyword (``{"eps": "h", "J": "f"}``).

    The wrapped oracle is typed as taking any arguments while the old spellings are served (a type
    checker would otherwise refuse them); its documented signature, ``inspect.signature``, is the new one.
    """
    renames = renames or {}

    def wrap(fn: Callable[..., R]) -> Callable[..., R]:
        where = fn.__name__

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> R:
            _rename_keywords(where, kwargs, renames)
            if is_old(args, kwargs):
                warn_renamed(f"{where}{spelled}", f"{where}(f, grad, theta, *, h=None, seed=0, ...)", stacklevel=3)
                args, kwargs = _reorder(where, old, args, kwargs)
            return fn(*args, **kwargs)

        return call

    return wrap
