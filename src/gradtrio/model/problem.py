"""One validated problem: what user input becomes at the boundary, and what every kernel trusts.

:func:`validate` (weights and data) and :func:`validate_data` (data for an architecture, weights to
come, as training and the cost closures need) run every check of :mod:`gradtrio.model.validate` once
and return a frozen :class:`Problem`; the kernels, cost closures and optimizers take it and never
validate again. :func:`validation_count` counts the validations, so that a test can hold training to a
constant number of them, however many cost evaluations it makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .architecture import Architecture
from .validate import check_lam, check_problem, check_thetas, check_X, check_Y, float_dtype

__all__ = ["Problem", "validate", "validate_data", "validation_count"]

_validations = [0]  # problems validated so far in this process


def _count() -> None:
    _validations[0] += 1


def validation_count() -> int:
    """How many problems have been validated in this process (a counter for tests)."""
    return _validations[0]


@dataclass(frozen=True, eq=False)
class Problem:
    """Validated data of one network: arrays of one floating dtype, ready for the kernels.

    Attributes
    ----------
    arch : Architecture
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K)
        One-hot labels (real targets for squared error).
    lam : float
        λ >= 0.
    dtype : numpy.dtype
        float64, or float32 when every input was float32.
    """

    arch: Architecture
    X: np.ndarray
    Y: np.ndarray
    lam: float
    dtype: np.dtype

    @property
    def m(self) -> int:
        """Number of examples."""
        return int(self.X.shape[0])

    def weights(self, thetas: Sequence[ArrayLike]) -> list[np.ndarray]:
        """New weights for this problem, validated against its architecture and cast to its dtype."""
        mats = check_thetas(thetas, self.arch.sizes)
        return [t.astype(self.dtype, copy=False) for t in mats]


def validate(thetas: Sequence[Any], X: Any, Y: Any, lam: Any = 0.0, *, activations: Any = "sigmoid",
             output: str = "sigmoid", check_finite: bool = True,
             dtype: DTypeLike | None = None) -> tuple[Problem, list[np.ndarray]]:
    """Validate weights and data together (the shared ``(thetas, X, Y, lam)`` signature).

    Parameters
    ----------
    thetas, X, Y, lam
        The problem; shapes are anchored on the data, and the first matrix that does not fit is named.
    activations : str or sequence of str
        The hidden units, one name for all or one per hidden layer (see :class:`Architecture`).
    output : str
        The output unit and its loss (:data:`gradtrio.model.OUTPUTS`).
    check_finite : bool, default True
        Refuse NaN/±inf in X and the weights.
    dtype : numpy dtype, optional
        The working precision; by default float64 unless every input is float32.

    Returns
    -------
    problem : Problem
    mats : list of ndarray
        The weights, cast to ``problem.dtype``.
    """
    from .activations import output as _output

    targets = _output(output).targets  # an unknown name is refused here, before any data check
    mats, Xv, Yv, lam_v = check_problem(thetas, X, Y, lam, check_finite=check_finite, targets=targets)
    dt = float_dtype(Xv, *mats) if dtype is None else np.dtype(dtype)
    arch = Architecture((Xv.shape[1],) + tuple(t.shape[0] for t in mats), activations, output)
    _count()
    problem = Problem(arch, Xv.astype(dt, copy=False), Yv.astype(dt, copy=False), lam_v, dt)
    return problem, [t.astype(dt, copy=False) for t in mats]


def validate_data(arch: Architecture | Sequence[int], X: Any, Y: Any, lam: Any = 0.0, *,
                  check_finite: bool = True, dtype: DTypeLike | None = None) -> Problem:
    """Validate the data of a network whose weights come later (training, cost closures).

    Parameters
    ----------
    arch : Architecture or sequence of int
        The network (sizes alone mean sigmoid units throughout, the course's network).
    X, Y, lam
        As :func:`validate`.
    check_finite : bool, default True
    dtype : numpy dtype, optional
        By default X's (float64 unless X is float32).

    Returns
    -------
    Problem
    """
    if not isinstance(arch, Architecture):
        arch = Architecture(arch)
    Xv = check_X(X, arch.sizes[0], check_finite=check_finite)
    Yv = check_Y(Y, Xv.shape[0], arch.sizes[-1], arch.out.targets)
    lam_v = check_lam(lam)
    dt = float_dtype(Xv) if dtype is None else np.dtype(dtype)
    _count()
    return Problem(arch, Xv.astype(dt, copy=False), Yv.astype(dt, copy=False), lam_v, dt)
