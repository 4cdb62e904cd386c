"""A network problem seen as functions of one flat parameter vector, each call counted.

The detection study (:mod:`gradtrio.catalog.study`) and the checker benchmark
(``benchmarks/bench_checkers.py``) both hand a checker ``f(theta)`` and ``grad(theta)`` built from an
implementation's ``cost(thetas, X, Y, lam)`` and ``cost_and_grad(thetas, X, Y, lam)``, and report
how many evaluations each checker spent: :class:`FlatProblem` is that adapter, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..network import roll, sizes_of, unroll

__all__ = ["Counted", "FlatProblem"]


class Counted:
    """A function that counts its calls (:attr:`calls`)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.fn(*args)


class FlatProblem:
    """The cost and the gradient of an implementation on one problem, as counted flat-vector functions.

    Parameters
    ----------
    thetas, X, Y, lam
        The problem, in the usual conventions; ``thetas`` fix the sizes and the point :attr:`theta`.
    cost_and_grad : callable ``(thetas, X, Y, lam) -> (J, grads)``
        The implementation's gradient (the code under test).
    cost : callable ``(thetas, X, Y, lam) -> J``
        The implementation's own cost, the function finite differences differentiate; it is given
        the flat vector's type (complex vectors for the complex step), and its value is returned as
        it comes.

    Attributes
    ----------
    sizes : tuple of int
    theta : ndarray of shape (n,)
        ``unroll(thetas)``, the point the problem's ``thetas`` give.
    cost : Counted
        ``v -> cost(roll(v, sizes), X, Y, lam)``.
    grad : Counted
        ``v -> unroll(cost_and_grad(roll(v, sizes), X, Y, lam)[1])``.
    """

    def __init__(self, thetas: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float,
                 cost_and_grad: Callable[..., tuple[Any, list[np.ndarray]]], cost: Callable[..., Any]) -> None:
        self.thetas, self.X, self.Y, self.lam = thetas, X, Y, lam
        self.backward = cost_and_grad
        self.sizes = sizes = sizes_of(thetas)
        self.cost = Counted(lambda v: cost(roll(v, sizes), X, Y, lam))
        self.grad = Counted(lambda v: unroll(cost_and_grad(roll(v, sizes), X, Y, lam)[1]))

    @property
    def theta(self) -> np.ndarray:
        """``unroll(thetas)``, a new array at each access (a checker may perturb it in place)."""
        return unroll(self.thetas)

    @property
    def calls(self) -> int:
        """Evaluations of the implementation so far: costs plus gradients."""
        return self.cost.calls + self.grad.calls

    def reset(self) -> None:
        """Set both counts back to zero."""
        self.cost.calls = self.grad.calls = 0
