"""Which problems the incremental engine (:mod:`gradtrio.incremental`) covers, and when it pays.

Kept apart from the engine, which imports JAX: :func:`gradtrio.check.compare_gradients` decides whether to
use the engine on every check, and a check that stays on NumPy must not import JAX for it (an import of
JAX costs about a second, and ``gradtrio check`` holds Ctrl-C back only while JAX runs: a Ctrl-C inside
JAX's import can crash the interpreter). :mod:`gradtrio.incremental` re-exports every name here.
"""

from __future__ import annotations

import numpy as np

from .model.problem import Problem

__all__ = ["DIFFERENCE_FORMS", "COMPLEX_FORMS", "AUTO_WORK", "full_work", "pays", "supports"]

#: The hidden activations the engine writes in difference form (its ``g(u) − g(v)``, exact to a few ε of
#: the change). Others (the GELU) are differenced directly, with the ε|g| rounding that adds.
DIFFERENCE_FORMS = ("identity", "sigmoid", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus")
#: The hidden activations the complex step can run through (JAX has no complex ``erf``: the GELU's
#: complex step stays on the model's NumPy complex cost).
COMPLEX_FORMS = DIFFERENCE_FORMS


#: The work below which ``incremental="auto"`` keeps the full-evaluation path: multiply-adds of central
#: differences at two steps evaluated in full, ``4·n·m·Σ_l (s_l + 1)·s_{l+1}`` (:func:`full_work`). Below 10⁹
#: the full path takes about a second on the 2-core CPU while compiling the engine's kernels (one a layer)
#: takes about as long; above it the engine wins by the ratio of a forward pass to the changed terms
#: (``python -m benchmarks.incremental`` measures both).
AUTO_WORK = 1e9


def full_work(problem: Problem) -> float:
    """Multiply-adds of central differences at steps h and 2h evaluated in full: ``4·n·m·Σ_l (s_l+1)s_{l+1}``."""
    sizes = problem.arch.sizes
    per_pass = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 4.0 * problem.arch.num_params * problem.m * per_pass


def pays(problem: Problem) -> bool:
    """Whether ``incremental="auto"`` picks the engine: :func:`full_work` at least :data:`AUTO_WORK`."""
    return full_work(problem) >= AUTO_WORK


def supports(problem: Problem, method: str = "central") -> bool:
    """Whether the engine covers ``problem`` for ``method`` (``"central"`` or ``"complex"``).

    Central differences cover every activation and output; the complex step every activation but the GELU,
    in float64.
    """
    names = tuple(g.name for g in problem.arch.hidden)
    if method == "complex" and problem.dtype != np.float64:
        # complex64's imaginary parts underflow where the gradient is tiny (h = 1e-10 times entries of
        # 1e-27, a trained float32 network at λ = 0: the false-alarm study); the NumPy complex cost keeps them
        return False
    forms = COMPLEX_FORMS if method == "complex" else names
    return all(n in forms for n in names)
