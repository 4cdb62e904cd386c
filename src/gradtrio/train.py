"""Fitting with :func:`scipy.optimize.minimize`, prediction, accuracy and R².

:func:`train` minimizes the cost of :mod:`gradtrio.backprop` (or the same cost through JAX) over the
unrolled weights with ``minimize(jac=True)``: L-BFGS-B by default, CG and TNC too, and three methods
that also use curvature (Newton-CG, trust-ncg, trust-krylov, below). The data are validated once, into
a :class:`gradtrio.model.Problem`, before the optimizer starts; every evaluation inside the loop is a
kernel call that checks nothing again.

Training with curvature
-----------------------
``method="Newton-CG"``, ``"trust-ncg"`` and ``"trust-krylov"`` are given SciPy's ``hessp(x, p)``: a
curvature matrix times a vector, never the matrix (1885 parameters at 64-25-10, 10285 at the course's
400-25-10). ``curvature=`` chooses which matrix:

- ``"hvp"``: the exact Hessian (Pearlmutter's R-operator, :func:`gradtrio.backprop.hvp`), indefinite
  away from a minimum. The default of all three. The trust-region methods are built for indefinite
  matrices: a trust region bounds the step whatever the curvature, Steihaug's CG (trust-ncg) follows a
  direction of negative curvature to the region's boundary and the Lanczos method of trust-krylov solves
  the indefinite subproblem nearly exactly. Newton-CG's inner conjugate gradients assume a positive
  definite matrix, but SciPy's stop at the first direction of negative curvature (and take the steepest
  descent when it is the first), so every step is still a descent direction for the line search.
- ``"gvp"``: the Gauss-Newton matrix ``G = J_zᵀ C J_z / m + (λ/m) I`` on the non-bias weights
  (Schraudolph's product, :func:`gradtrio.backprop.gvp`), positive semi-definite for every network,
  the usual choice for Hessian-free training (Martens 2010), where the CG is run without safeguards.

Why the exact Hessian by default, even for Newton-CG, whose textbook wants a positive definite matrix:
measured, it reached the cost of 100 L-BFGS-B iterations with fewer products than Gauss-Newton for each of
the three methods, on the digits (64-25-10) and at 400-25-10 (Newton-CG: 174 against 600 products on
the digits, 198 against 315 at 400-25-10; the trust-region methods with ``gvp`` mostly ran out of their
300 iterations; the README's "Training with curvature").

``backend="numpy"`` uses the hand-written products; ``backend="jax"`` JAX's: forward-over-reverse
(``jvp`` of ``grad``) for the Hessian, and ``vjp(C jvp)`` of the network's logits for Gauss-Newton.
The measured comparison of all six methods is in the README ("Training with curvature", made with
``python -m benchmarks.second_order_training``).

What one iteration is
---------------------
``maxiter`` bounds the optimizer's outer iterations, and ``cost_history`` holds the cost after each:

- L-BFGS-B, CG: one search direction and its line search (a few cost-and-gradient evaluations).
- TNC: one truncated-Newton step (an inner CG on finite differences of gradients, then a line
  search); TNC has no iteration limit of its own, so :func:`train` stops it after ``maxiter``.
- Newton-CG: one Newton step: an inner CG of up to ``20 n`` curvature products, then a line search.
- trust-ncg, trust-krylov: one trust-region step: the subproblem (several curvature products), then
  one cost-and-gradient evaluation at the proposed point. A rejected step counts as an iteration too
  (the weights stay, the region shrinks): ``cost_history`` then repeats the cost.

:attr:`TrainResult.function_evals` counts cost-and-gradient evaluations and
:attr:`TrainResult.hessp_evals` curvature products (each costs about 1.5-2 gradients).

Units
-----
Any hidden activation of :data:`gradtrio.model.ACTIVATIONS` (one for all hidden layers or one per
layer) and any output of :data:`gradtrio.model.OUTPUTS`:

- ``output="sigmoid"`` (the default, the course's network) and ``"softmax"`` classify: ``y`` holds class
  indices 0..K-1, which become one-hot rows; the score is :func:`accuracy`.
- ``output="identity"`` regresses with the squared error ``(1/(2m)) Σ‖h − y‖²``: ``y`` holds real
  targets, shape ``(m,)`` (one output unit) or ``(m, K)``; the scores are :func:`r2_score` and
  :func:`rmse`.

The initial weights are :meth:`gradtrio.model.Architecture.init`'s: uniform in ``[−ε, ε]`` with Glorot's
``ε = sqrt(6 / (s_in + s_out))`` for layers feeding sigmoid, tanh, softplus or identity units and for
the output layer, He's ``ε = sqrt(6 / s_in)`` for layers feeding rectifiers (relu, leaky_relu, elu,
gelu). The :class:`TrainResult` records the units, so that :func:`predict`, the scores and the saved
weights files (:func:`gradtrio.data.save_weights`) use them.

BLAS thread pools
-----------------
NumPy and SciPy wheels each bring their own OpenBLAS, each with its own pool of threads. When both
pools are multi-threaded, the optimizer's small BLAS calls (SciPy's pool) and the cost's matrix
products (NumPy's pool) keep waking each other's spinning threads, and training slows several times
over. So :func:`train` runs with SciPy's own pool at one thread and NumPy's at ``numpy_threads=1`` (pass
None to leave NumPy's pool alone, e.g. for large data on many idle cores), through :mod:`threadpoolctl`,
only for the duration of the optimization: no environment variable is needed, and the caller's
settings are restored afterwards. The measurements behind the default are in the README ("Speed: BLAS
thread pools"), made with ``python -m benchmarks.threads``.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .backprop import predict
from .model import Architecture, Problem, validate_data
from .model import output as output_unit
from .model.validate import check_labels, check_X
from .network import one_hot

__all__ = [
    "METHODS",
    "FIRST_ORDER_METHODS",
    "SECOND_ORDER_METHODS",
    "CURVATURES",
    "DEFAULT_CURVATURE",
    "BACKENDS",
    "TrainResult",
    "TrainingInterrupted",
    "train",
    "predict",
    "accuracy",
    "r2_score",
    "rmse",
    "blas_limited",
]

#: The scipy.optimize methods that use the gradient only and suit an unconstrained smooth cost.
FIRST_ORDER_METHODS = ("L-BFGS-B", "CG", "TNC")
#: The scipy.optimize methods that also take a curvature product ``hessp(x, p)`` (module docstring).
SECOND_ORDER_METHODS = ("Newton-CG", "trust-ncg", "trust-krylov")
#: Every method :func:`train` offers.
METHODS = FIRST_ORDER_METHODS + SECOND_ORDER_METHODS
#: Curvature products: "hvp" the exact Hessian's, "gvp" the Gauss-Newton matrix's (PSD).
CURVATURES = ("hvp", "gvp")
#: Each second-order method's curvature when none is given: the exact Hessian's for all three, measured
#: faster than Gauss-Newton's for each (module docstring, "Training with curvature").
DEFAULT_CURVATURE = {"Newton-CG": "hvp", "trust-ncg": "hvp", "trust-krylov": "hvp"}
#: Cost-and-gradient implementations the optimizer can call.
BACKENDS = ("numpy", "jax")

#: How many recent evaluations are remembered to give an iterate's cost without recomputing it. The
#: iterate is almost always the last point its line search evaluated; with 4, 100 iterations of each
#: method on the digits needed no extra evaluation (a miss costs one evaluation, never a wrong cost).
_EVAL_CACHE_SIZE = 4


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    thetas : list of ndarray
        The trained weights, ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    sizes : tuple of int
        Layer sizes ``(n_features, *hidden, num_labels)``.
    cost_history : ndarray of shape (iterations + 1,)
        The cost at the initial weights, then after each iteration.
    iterations : int
        Optimizer iterations done.
    function_evals : int
        Cost-and-gradient evaluations (line searches take several per iteration).
    wall_time : float
        Seconds spent in the optimizer.
    method, backend : str
    lam : float
    seed : int
    message : str
        The optimizer's own account of why it stopped.
    interrupted : bool
        True when training was stopped by Ctrl-C; ``thetas`` are then those of the iterate with
        the lowest cost so far (the last one, for these descent methods), and ``cost_history`` ends
        with its cost.
    activations : tuple of str
        The hidden units, one name per hidden layer (empty without hidden layer).
    output : str
        The output unit and its loss: "sigmoid", "softmax" or "identity".
    hessp_evals : int
        Curvature products ``hessp(x, p)`` evaluated (0 for the first-order methods).
    curvature : str or None
        The curvature product of a second-order method ("hvp" or "gvp"); None for the others.
    """

    thetas: list[np.ndarray]
    sizes: tuple[int, ...]
    cost_history: np.ndarray
    iterations: int
    function_evals: int
    wall_time: float
    method: str
    backend: str
    lam: float
    seed: int
    message: str = ""
    interrupted: bool = False
    activations: tuple[str, ...] = ()
    output: str = "sigmoid"
    hessp_evals: int = 0
    curvature: str | None = None

    def __post_init__(self) -> None:
        if not self.activations:  # made without units: the course's network, sigmoid throughout
            self.activations = ("sigmoid",) * (len(self.sizes) - 2)

    @property
    def final_cost(self) -> float:
        """The cost of the returned weights."""
        return float(self.cost_history[-1])

    @property
    def architecture(self) -> Architecture:
        """The trained network's sizes and units."""
        return Architecture(self.sizes, self.activations, self.output)

    @property
    def units(self) -> dict[str, object]:
        """``activation=`` and ``output=`` keywords of :func:`predict`, :func:`accuracy`, :func:`r2_score`
        and :func:`gradtrio.data.save_weights` for these weights."""
        return {"activation": self.activations, "output": self.output}


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`. A ``KeyboardInterrupt`` (so scripts stop as they always do)
    carrying ``result``: a :class:`TrainResult` with the best weights so far (lowest-cost iterate)."""

    def __init__(self, result: TrainResult):
        super().__init__("training interrupted")
        self.result = result


def _blas_pools():
    """threadpoolctl controllers: (SciPy's own vendored BLAS pools, every other BLAS pool)."""
    import numpy
    import scipy
    import scipy.optimize  # noqa: F401 (loads SciPy's BLAS so that threadpoolctl can see it)
    from threadpoolctl import ThreadpoolController

    def inside(path: str, module) -> bool:
        d = os.path.dirname(os.path.realpath(module.__file__))
        # wheels vendor their libraries in <pkg>.libs (Linux, Windows) or <pkg>/.dylibs (macOS)
        return any(path.startswith(p + os.sep) for p in (d, d + ".libs"))

    ctl = ThreadpoolController()
    blas = [lib.filepath for lib in ctl.lib_controllers if lib.user_api == "blas" and lib.filepath]
    own = [f for f in blas if inside(os.path.realpath(f), scipy) and not inside(os.path.realpath(f), numpy)]
    others = [f for f in blas if f not in own]
    return (ctl.select(filepath=own) if own else None), (ctl.select(filepath=others) if others else None)


@contextlib.contextmanager
def blas_limited(numpy_threads: int | None = 1):
    """Limit the BLAS thread pools while the block runs (see the module docstring).

    SciPy's own OpenBLAS pool (when its wheel brings one) gets one thread; every other BLAS pool
    (NumPy's) gets ``numpy_threads``, or is left as it is when ``numpy_threads`` is None. The
    previous limits are restored on exit.
    """
    own, others = _blas_pools()
    with contextlib.ExitStack() as stack:
        if own is not None:
            stack.enter_context(own.limit(limits=1))
        if others is not None and numpy_threads is not None:
            stack.enter_context(others.limit(limits=int(numpy_threads)))
        yield


def _cost_and_grad_fn(backend: str, problem: Problem) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """The optimizer's ``v -> (J, ∇J)`` on the validated problem: no validation per evaluation."""
    if backend == "numpy":
        from .backprop import flat_kernel

        return flat_kernel(problem)
    from .autodiff import flat_kernel as jax_flat_kernel

    return jax_flat_kernel(problem)


def _hessp_fn(backend: str, problem: Problem, curvature: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The optimizer's ``(x, p) -> H(x) p`` (``"hvp"``) or ``G(x) p`` (``"gvp"``) on the validated problem."""
    if backend == "numpy":
        from .backprop import flat_hessp_kernel

        return flat_hessp_kernel(problem, gauss_newton=curvature == "gvp")
    from .autodiff import flat_hessp_kernel as jax_flat_hessp_kernel

    return jax_flat_hessp_kernel(problem, gauss_newton=curvature == "gvp")


def _check_curvature(method: str, curvature: str | None) -> str | None:
    """The curvature product a method uses: None for the first-order methods, else ``curvature`` or
    the method's default (:data:`DEFAULT_CURVATURE`)."""
    if method not in SECOND_ORDER_METHODS:
        if curvature is not None:
            raise ValueError(f"curvature={curvature!r} is for the second-order methods "
                             f"({', '.join(SECOND_ORDER_METHODS)}); method {method!r} uses the gradient only")
        return None
    if curvature is None:
        return DEFAULT_CURVATURE[method]
    if curvature not in CURVATURES:
        raise ValueError(f"curvature must be one of {', '.join(CURVATURES)}; got {curvature!r}")
    return curvature


def _check_int(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")


def _check_hidden(hidden: Sequence[int] | int) -> tuple[int, ...]:
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (int(hidden),)
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (Sequence, np.ndarray)):
        raise TypeError(f"hidden must be a sequence of hidden-layer sizes such as (25,); got {hidden!r}")
    return tuple(hidden)


def _check_labels(y: ArrayLike, m: int, num_labels: int | None) -> tuple[np.ndarray, int]:
    """Training labels: one integer class index per example; K read off them unless given."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (m,):
        raise ValueError(f"y must hold one class index per row of X, shape ({m},); got shape {y.shape}")
    if y.dtype.kind not in "iu":  # training refuses 1.0 for 1: float labels usually mean regression targets
        raise TypeError(f"y must hold integer class indices 0..K-1; got dtype {y.dtype}")
    if num_labels is None:
        from .data import check_label_range

        num_labels = check_label_range(y, "y")
    _check_int("num_labels", num_labels, 1)
    if y.size and y.min() >= 0 and y.max() >= num_labels:
        raise ValueError(f"y holds the label {int(y.max())} but num_labels is {num_labels}")
    return check_labels(y, int(num_labels)), int(num_labels)


def _check_targets(y: ArrayLike, m: int, num_labels: int | None) -> np.ndarray:
    """Regression targets (the identity output): real numbers, shape (m,) or (m, K), as (m, K)."""
    Y = np.asarray(y)
    if Y.dtype.kind not in "iuf":
        raise TypeError(f"y must hold real regression targets for output='identity'; got dtype {Y.dtype}")
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != m:
        raise ValueError(f"y must hold the targets of the {m} rows of X, shape ({m},) or ({m}, K); "
                         f"got shape {Y.shape}")
    if num_labels is not None and num_labels != Y.shape[1]:
        raise ValueError(f"num_labels={num_labels} but y holds {Y.shape[1]} target(s) per example")
    return Y.astype(np.float64, copy=False)


def _validated(X: ArrayLike, y: ArrayLike, hidden: Sequence[int] | int, lam: float, maxiter: int, method: str,
               seed: int, backend: str, num_labels: int | None, numpy_threads: int | None,
               activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
               target_cost: float | None = None) -> Problem:
    """Every argument of :func:`train` checked, and the data validated once into a float64 Problem (the
    optimizer works in float64 whatever X's dtype)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    _check_int("maxiter", maxiter, 0)
    _check_int("seed", seed, 0)
    if target_cost is not None and (isinstance(target_cost, bool) or not isinstance(target_cost, (int, float))
                                    or math.isnan(target_cost)):
        raise ValueError(f"target_cost must be a real number or None; got {target_cost!r}")
    if numpy_threads is not None:
        _check_int("numpy_threads", numpy_threads, 1)
    out = output_unit(output)  # an unknown name is refused here, with the known ones
    X = check_X(X, check_finite=False)  # its shape and dtype: validate_data below checks the values
    if out.classifier:
        labels, K = _check_labels(y, X.shape[0], num_labels)
        Y = one_hot(labels, K, dtype=X.dtype)
    else:
        Y = _check_targets(y, X.shape[0], num_labels)
        K = Y.shape[1]
    arch = Architecture((X.shape[1], *_check_hidden(hidden), K), activation, out.name)
    return validate_data(arch, X, Y, lam, dtype=np.float64)


def train(
    X: ArrayLike,
    y: ArrayLike,
    hidden: Sequence[int] = (25,),
    lam: float = 1.0,
    maxiter: int = 100,
    method: str = "L-BFGS-B",
    seed: int = 0,
    backend: str = "numpy",
    callback: Callable[[int, float], None] | None = None,
    *,
    num_labels: int | None = None,
    numpy_threads: int | None = 1,
    activation: str | Sequence[str] = "sigmoid",
    output: str = "sigmoid",
    initial_thetas: Sequence[ArrayLike] | None = None,
    curvature: str | None = None,
    target_cost: float | None = None,
) -> TrainResult:
    """Train a network on ``(X, y)`` by minimizing the regularized cost (see the module docstring).

    Parameters
    ----------
    X : array_like of shape (m, n)
        Training examples, one a row.
    y : array_like, shape (m,) or (m, K)
        Class indices 0..K-1 (integers, shape (m,)) for the sigmoid and softmax outputs; real targets
        for the identity output, shape (m,) for one output unit or (m, K).
    hidden : sequence of int, default (25,)
        Hidden-layer sizes; ``sizes = (n, *hidden, K)``.
    lam : float, default 1.0
        λ >= 0, the weight of the penalty ``λ/(2m) Σ Θ²`` (bias columns excluded).
    maxiter : int, default 100
        Most optimizer iterations (what one iteration is for each method: the module docstring).
    method : {"L-BFGS-B", "CG", "TNC", "Newton-CG", "trust-ncg", "trust-krylov"}, default "L-BFGS-B"
        The first three use the gradient only; the last three a curvature product too (``curvature``).
    seed : int, default 0
        Seed of the initial weights (:func:`gradtrio.network.init_weights`): the same seed, data
        and options give bit-identical weights.
    backend : {"numpy", "jax"}, default "numpy"
        The hand-written backprop or ``jax.grad`` of the same cost.
    callback : callable ``(iteration, cost) -> None``, optional
        Called with iteration 0 and the initial cost, then after every iteration.
    num_labels : int, optional
        K; by default ``max(y) + 1`` for class indices, the number of target columns for regression.
    numpy_threads : int or None, default 1
        Threads of NumPy's BLAS pool during training; None leaves it as it is. SciPy's own pool
        always gets one thread. See the module docstring for the measurements behind the default.
    activation : str or sequence of str, default "sigmoid"
        The hidden units (:data:`gradtrio.model.ACTIVATIONS`): one name for all hidden layers or
        one per hidden layer. They also choose the initialisation range (module docstring).
    output : {"sigmoid", "softmax", "identity"}, default "sigmoid"
        The output unit and its loss (:data:`gradtrio.model.OUTPUTS`).
    initial_thetas : sequence of array_like, optional
        Start from these weights (``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, finite) instead of
        :meth:`~gradtrio.model.Architecture.init`'s draw; ``seed`` is then unused. They are copied.
    curvature : {"hvp", "gvp"}, optional
        The second-order methods' ``hessp``: the exact Hessian's product or the Gauss-Newton matrix's
        (positive semi-definite). By default :data:`DEFAULT_CURVATURE`: "hvp" for all three (why: the
        module docstring). Refused with a first-order method.
    target_cost : float, optional
        Stop at the first iterate whose cost is at most this (the message then says so): to measure
        the work a method needs to reach a cost.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError, TypeError
        On bad data or options, before any optimization.
    TrainingInterrupted
        On Ctrl-C; its ``result`` holds the best weights so far.
    """
    import scipy.optimize

    problem = _validated(X, y, hidden, lam, maxiter, method, seed, backend, num_labels, numpy_threads,
                         activation, output, target_cost)
    curvature = _check_curvature(method, curvature)
    arch, sizes, lam = problem.arch, problem.arch.sizes, problem.lam
    fun = _cost_and_grad_fn(backend, problem)
    product = None if curvature is None else _hessp_fn(backend, problem, curvature)

    if initial_thetas is None:
        x0 = np.concatenate([t.ravel() for t in arch.init(seed)])
    else:
        from .model.validate import check_thetas

        start_mats = check_thetas(initial_thetas, sizes)  # shapes of the network, finite values
        x0 = np.concatenate([np.asarray(t, dtype=np.float64).ravel() for t in start_mats])
    recent: OrderedDict[bytes, float] = OrderedDict()
    state = _State(nfev=0, best_J=np.inf, best_x=x0, last_x=x0, nhessp=0)
    history: list[float] = []

    def counted(v: np.ndarray) -> tuple[float, np.ndarray]:
        J, g = fun(v)
        state.nfev += 1
        recent[v.tobytes()] = J
        if len(recent) > _EVAL_CACHE_SIZE:
            recent.popitem(last=False)
        return J, g

    def hessp(v: np.ndarray, p: np.ndarray) -> np.ndarray:
        assert product is not None  # only given to the second-order methods
        state.nhessp += 1
        return product(v, p)

    def on_iteration(xk: np.ndarray) -> None:
        xk = np.asarray(xk, dtype=np.float64)
        J = recent.get(xk.tobytes())
        if J is None and np.array_equal(xk, state.last_x):  # a rejected trust-region step: x stayed
            J = history[-1]
        if J is None:  # an iterate the line search never evaluated as such (rare): compute it
            J = fun(xk)[0]
        history.append(float(J))
        state.last_x = xk = xk.copy()
        if J < state.best_J:
            state.best_J, state.best_x = J, xk
        if callback is not None:
            callback(len(history) - 1, float(J))
        if target_cost is not None and J <= target_cost:
            raise _Stop(f"target cost {target_cost:.6g} reached")
        if method == "TNC" and len(history) > maxiter:
            raise _Stop(f"maxiter={maxiter} iterations reached")  # TNC has no iteration limit of its own

    def result(x: np.ndarray, J: float, iterations: int, message: str, interrupted: bool) -> TrainResult:
        if history[-1] != J:
            history.append(float(J))
        return TrainResult(
            thetas=[t.copy() for t in arch.cut(x)], sizes=sizes, cost_history=np.array(history),
            iterations=iterations, function_evals=state.nfev, wall_time=time.perf_counter() - start,
            method=method, backend=backend, lam=lam, seed=int(seed), message=message,
            interrupted=interrupted, activations=arch.activations, output=arch.output,
            hessp_evals=state.nhessp, curvature=curvature,
        )

    # TNC counts function evaluations, not iterations: its own limit is set out of reach (each
    # iteration's inner conjugate-gradient loop takes at most one evaluation per parameter) and the
    # callback stops it after maxiter iterations.
    options = {"maxiter": int(maxiter)} if method != "TNC" else {"maxfun": (int(maxiter) + 1) * (x0.size + 2)}
    start = time.perf_counter()
    try:
        with blas_limited(numpy_threads):
            J0, _ = counted(x0)
            history.append(float(J0))
            state.best_J = J0
            if callback is not None:
                callback(0, float(J0))
            if maxiter == 0:
                return result(x0, J0, 0, "maxiter is 0: the initial weights", False)
            if target_cost is not None and J0 <= target_cost:
                return result(x0, J0, 0, f"target cost {target_cost:.6g} reached", False)
            extra = {} if product is None else {"hessp": hessp}
            # method is one of METHODS (checked above); scipy-stubs want it as a Literal.
            res = scipy.optimize.minimize(counted, x0, jac=True, method=method,  # type: ignore[call-overload]
                                          callback=on_iteration, options=options, **extra)
    except _Stop as stop:
        return result(state.last_x, history[-1], len(history) - 1, str(stop), False)
    except KeyboardInterrupt:
        if not history:  # stopped before the first cost was known: there is nothing to give back
            raise
        partial = result(state.best_x, state.best_J, len(history) - 1, "interrupted (Ctrl-C)", True)
        raise TrainingInterrupted(partial) from None
    x = np.asarray(res.x, dtype=np.float64)
    J_final = recent.get(x.tobytes(), float(res.fun))
    return result(x, J_final, int(res.nit), str(res.message), False)


@dataclass
class _State:
    """What the optimizer's callbacks share: evaluations so far, the best and the last iterate."""

    nfev: int
    best_J: float
    best_x: np.ndarray
    last_x: np.ndarray
    nhessp: int = 0


class _Stop(Exception):
    """Raised by the iteration callback to stop the optimizer (TNC after ``maxiter`` iterations, any method
    at ``target_cost``); its message is the result's."""


def _one_per_row(y: ArrayLike, m: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (m,):
        raise ValueError(f"y must hold one label per row of X, shape ({m},); got shape {y.shape}")
    return y


def accuracy(thetas: Sequence[ArrayLike], X: ArrayLike, y: ArrayLike, *,
             activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid") -> float:
    """Fraction of examples whose predicted class is ``y``.

    Parameters
    ----------
    thetas : sequence of array_like
    X : array_like of shape (m, s_1)
    y : array_like of int, shape (m,)
        Class indices 0..K-1, K the number of output units of ``thetas``.
    activation, output
        The network's units (:attr:`TrainResult.units`); ``output`` a classifier's (sigmoid, softmax).

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        If ``y`` does not hold one label per row of ``X``, or holds a label the network cannot
        predict (``max(y) >= K``: the weights were trained for other labels), or the output is the
        identity (a regression: use :func:`r2_score`).
    """
    if not output_unit(output).classifier:
        raise ValueError(f"accuracy is for classifiers (sigmoid or softmax outputs); output={output!r} "
                         f"regresses: use r2_score or rmse")
    pred = predict(thetas, X, activation=activation, output=output)
    y = _one_per_row(y, pred.shape[0])
    K = np.shape(thetas[-1])[0]
    if y.size and y.max() >= K:
        raise ValueError(f"the weights have {K} output units (labels 0..{K - 1}) but y holds the label "
                         f"{y.max()}: they were trained for other labels")
    return float(np.mean(pred == y))


def _regression(thetas: Sequence[ArrayLike], X: ArrayLike, y: ArrayLike, activation: str | Sequence[str],
                output: str) -> tuple[np.ndarray, np.ndarray]:
    """(H, Y) of shape (m, K): the predictions of a regression network and the targets."""
    if output_unit(output).classifier:
        raise ValueError(f"R² and RMSE are for regression (the identity output); output={output!r} "
                         f"classifies: use accuracy")
    H = np.asarray(predict(thetas, X, activation=activation, output=output), dtype=np.float64)
    Y = _check_targets(y, H.shape[0], H.shape[1])
    if not np.all(np.isfinite(Y)):
        raise ValueError("y must be finite")
    return H, Y


def r2_score(thetas: Sequence[ArrayLike], X: ArrayLike, y: ArrayLike, *,
             activation: str | Sequence[str] = "sigmoid", output: str = "identity") -> float:
    """The coefficient of determination ``R² = 1 − Σ(y − h)² / Σ(y − ȳ)²`` of a regression network.

    With K > 1 outputs, the mean of the K outputs' R² (scikit-learn's ``r2_score`` with
    ``multioutput="uniform_average"``, which ``MLPRegressor.score`` uses).

    Parameters
    ----------
    thetas : sequence of array_like
    X : array_like of shape (m, s_1)
    y : array_like of float, shape (m,) or (m, K)
        The targets, in the units the network was trained on.
    activation, output
        The network's units (:attr:`TrainResult.units`); ``output`` must be "identity".

    Returns
    -------
    float
        At most 1; 0 for predicting the mean of ``y``, negative for worse. An output whose targets are
        all equal scores 1 when predicted exactly, else 0 (scikit-learn's convention).
    """
    H, Y = _regression(thetas, X, y, activation, output)
    ss_res = ((Y - H) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0),
                      np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))


def rmse(thetas: Sequence[ArrayLike], X: ArrayLike, y: ArrayLike, *,
         activation: str | Sequence[str] = "sigmoid", output: str = "identity") -> float:
    """Root-mean-square error ``sqrt(mean((h − y)²))`` over every example and output, in y's units.

    Parameters are those of :func:`r2_score`.

    Returns
    -------
    float
    """
    H, Y = _regression(thetas, X, y, activation, output)
    return float(np.sqrt(np.mean((H - Y) ** 2)))
