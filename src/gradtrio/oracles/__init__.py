"""Black-box numerical checkers on a cost ``f(θ)`` of one flat parameter vector: one vocabulary.

Every oracle takes ``(f, grad, theta, *, h=None, seed=0, ...)``: ``f`` a callable or a :class:`Function`,
``grad`` the gradient under test (None where the oracle only estimates one, or to use ``f.grad``), ``theta``
the point, ``h`` the step (``eps`` is only ever machine ε) and ``seed`` its randomness. The estimators give
a gradient (:func:`numerical_gradient`, :func:`numerical_gradient_batched`, :func:`richardson`,
:func:`complex_step_gradient`) or a gradient with a measured per-entry error bound
(:func:`bounded_difference`); the checkers give a verdict on ``grad`` (:func:`directional_check`,
:func:`localize`, :func:`entry_bounds`, :func:`taylor_test`, :func:`kink_check`; :func:`adjoint_test`, which
needs the network's JAX cost, takes the problem instead). :data:`NUMERICAL_METHODS` picks an estimator by
name (:func:`estimate`, :func:`measure`).

How each method's error follows from its step
---------------------------------------------
ε is the machine epsilon of the dtype, ``np.finfo(dtype).eps``; the a-priori tolerances in
:mod:`gradtrio.tolerances` are built from these.

- **Central differences** ``(J(θ+h e_i) - J(θ-h e_i)) / 2h``: truncation ``h² |J'''| / 6`` plus
  rounding ``≈ ε |J| / h`` (each evaluation of J is wrong by about ε|J|, and the difference is
  divided by 2h). The sum is smallest at ``h* = (3 ε |J| / |J'''|)^(1/3) ∝ ε^(1/3)``, where the error is
  ``∝ ε^(2/3)``: about 4e-11 in float64 and 2e-5 in float32 (times the scale of J). One fixed
  step for every dtype (1e-4, the course's) is fine in float64 but wrong in float32, which is why
  :func:`default_step` derives the step from the dtype.
- **Forward differences** ``(J(θ+h e_i) - J(θ)) / h``: truncation ``h |J''| / 2`` plus rounding
  ``≈ 2 ε |J| / h``; optimum ``h ∝ ε^(1/2)``, error ``∝ ε^(1/2)`` (1.5e-8 in float64).
- **Complex step** ``Im J(θ + i h e_i) / h``: no difference is taken, so there is no subtractive
  cancellation and h can be tiny (1e-20): the truncation ``h² |J'''| / 6`` vanishes below rounding
  and the result is exact to about ``ε·|∂J/∂θ_i|``. It needs a cost that is *complex-safe* (analytic in
  θ: no ``abs``, ``float()``, ``.real``, ``.astype(float)`` or writes into real arrays).
  :func:`gradtrio.model.closures.complex_cost_fn` is one for the sigmoid network, and :func:`complex_step_gradient`
  cross-checks a new cost against a loose central difference before trusting it.
- **Richardson** (:func:`richardson`): central differences at h and h/2 combined as
  ``(4 D(h/2) - D(h)) / 3`` cancel the h² term; ``|D(h) - D(h/2)| = (3/4) c h²`` estimates the
  truncation error ``c h²`` of D(h) (three quarters of it; three times that of D(h/2)).
- **Directional check** (:func:`directional_check`): ``gᵀv`` against a central difference along k
  random unit directions v — 4k evaluations (steps h and 2h) however many parameters there are;
  each direction gets its own error bound: rounding ``σ/h`` with σ the cost's noise *measured* at θ
  (never ``ε|J|``, which a well-fitted network makes tiny while its terms stay large), plus the
  truncation estimated from the two steps.

Every bound on a finite difference's rounding uses the cost's noise σ of :func:`noise_level`.
"""

from .adjoint import ADJOINT_RTOL as ADJOINT_RTOL
from .adjoint import AdjointResult as AdjointResult
from .adjoint import adjoint_test as adjoint_test
from .bisection import LocalizeResult as LocalizeResult
from .bisection import localize as localize
from .bounded import BATCH as BATCH
from .bounded import SCHEMES as SCHEMES
from .bounded import BoundedGradient as BoundedGradient
from .bounded import bounded_difference as bounded_difference
from .complex_step import ComplexStepError as ComplexStepError
from .complex_step import complex_step_gradient as complex_step_gradient
from .differences import numerical_gradient as numerical_gradient
from .differences import numerical_gradient_batched as numerical_gradient_batched
from .differences import richardson as richardson
from .directional import DirectionalResult as DirectionalResult
from .directional import directional_check as directional_check
from .entries import EntryBounds as EntryBounds
from .entries import entry_bounds as entry_bounds
from .function import Function as Function
from .function import as_function as as_function
from .function import flat_vector as flat_vector
from .kink import KinkResult as KinkResult
from .kink import kink_check as kink_check
from .methods import NUMERICAL_METHODS as NUMERICAL_METHODS
from .methods import NumericalMethod as NumericalMethod
from .methods import estimate as estimate
from .methods import measure as measure
from .methods import numerical_method as numerical_method
from .noise import estimate_noise as estimate_noise
from .noise import noise_level as noise_level
from .probes import ProbeRecord as ProbeRecord
from .probes import Suspect as Suspect
from .probes import suspect_at as suspect_at
from .steps import CENTRAL_SCALE as CENTRAL_SCALE
from .steps import COMPLEX_STEP as COMPLEX_STEP
from .steps import FORWARD_SCALE as FORWARD_SCALE
from .steps import default_step as default_step
from .taylor import SLOPE_THRESHOLD as SLOPE_THRESHOLD
from .taylor import TaylorResult as TaylorResult
from .taylor import taylor_test as taylor_test

__all__ = [
    "Function",
    "as_function",
    "flat_vector",
    "default_step",
    "COMPLEX_STEP",
    "CENTRAL_SCALE",
    "FORWARD_SCALE",
    "estimate_noise",
    "noise_level",
    "numerical_gradient",
    "numerical_gradient_batched",
    "richardson",
    "complex_step_gradient",
    "ComplexStepError",
    "bounded_difference",
    "BoundedGradient",
    "BATCH",
    "SCHEMES",
    "NUMERICAL_METHODS",
    "NumericalMethod",
    "numerical_method",
    "estimate",
    "measure",
    "directional_check",
    "DirectionalResult",
    "localize",
    "LocalizeResult",
    "entry_bounds",
    "EntryBounds",
    "Suspect",
    "ProbeRecord",
    "suspect_at",
    "taylor_test",
    "TaylorResult",
    "SLOPE_THRESHOLD",
    "kink_check",
    "KinkResult",
    "adjoint_test",
    "AdjointResult",
    "ADJOINT_RTOL",
]
