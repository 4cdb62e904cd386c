"""The cases of the suite: what is timed, on which data, and how each result is checked.

Each ``*_case`` function builds the methods of one case (a problem size and dtype), runs them with
:func:`benchmarks.timing.run_interleaved`, and returns a plain dict (JSON-ready): per-method
median/min/max, per-pair ratios of the same rounds, the accuracy of each result against float64
backprop on identical inputs, and every method that did not run with the reason.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradtrio import backprop, model, network

from .env import jax_config
from .peers import SklearnMLP, sklearn_mlp_or_reason, torch_cost_and_grad_fn
from .problems import LAM, Size, make_problem
from .timing import Method, Skipped, ratio_summary, run_interleaved, summarize

__all__ = ["Context", "costgrad_case", "gradcheck_case", "train_case", "objective_case"]

# The per-example loop does m Python iterations of L small products: ~30 µs each. Above this much
# work (m × parameters) a single call takes seconds and tells nothing new.
LOOP_MAX_WORK = 5_000_000
# Full finite differences take 2 × parameters cost evaluations: beyond this many parameters
# (the course net has 10285) one gradient takes many minutes on a CPU.
FD_MAX_PARAMS = 20_000
# Calls per round of the cheap references of the gradient-checking case (one cost, one gradient):
# beside minute-long finite differences a round may be the only one, and one call of a few ms is noise.
REFERENCE_INNER = 10
# Directions of the directional check (the library's default).
DIRECTIONAL_K = 10


@dataclass
class Context:
    """Run-wide settings and the optional libraries, imported once.

    Attributes
    ----------
    device : {"cpu", "gpu"}
        Where JAX runs. In a ``gpu`` run the CPU peers (PyTorch, scikit-learn, the loop, CPU finite
        differences) are skipped with that reason: they belong to the CPU run.
    jax : module or None
    jax_reason : str or None
        Why JAX methods are skipped when ``jax`` is None.
    torch : module or None
    torch_reason : str or None
    repeats : int
    budget_s : float
        Soft time limit of the timed rounds of one case.
    skip : frozenset of str
        Methods not to run (``--skip``), reported as skipped.
    """

    device: str
    jax: Any
    jax_reason: str | None
    torch: Any
    torch_reason: str | None
    repeats: int
    budget_s: float
    skip: frozenset[str] = frozenset()

    @property
    def gpu(self) -> bool:
        return self.device == "gpu"


def _max_rel(grads: Sequence[Any], ref: Sequence[np.ndarray]) -> float:
    """max over layers of max|g - r| / max|r|: the worst entry, relative to the gradient's scale."""
    scale = max(float(np.max(np.abs(r))) for r in ref) or 1.0
    return max(float(np.max(np.abs(np.asarray(g, dtype=np.float64) - r))) for g, r in zip(grads, ref)) / scale


def _checker(J_ref: float, g_ref: Sequence[np.ndarray], to_std: Callable[[Any], tuple[float, Sequence[Any]]]):
    def check(result: Any) -> dict[str, float]:
        J, grads = to_std(result)
        return {"cost_rel_diff": abs(float(J) - J_ref) / abs(J_ref),
                "grad_max_rel_diff": _max_rel(grads, g_ref)}

    return check


def _std(result: Any) -> tuple[float, Sequence[Any]]:
    return result[0], result[1]


def _finish(case: dict[str, Any], methods: list[Method], skipped: list[Skipped], ctx: Context,
            refs: Sequence[tuple[str, Any, str]]) -> dict[str, Any]:
    """Time the methods, summarize, check, and compute the per-round ratios against ``refs``.

    ``refs`` holds ``(reference method, scale, label)``: the ratio ``method / (scale × reference)``;
    ``scale`` may be a function of the method, returning None where the ratio means nothing.
    Each method's ``check`` sees its last result; what it returns is stored under ``check``.
    """
    skipped = skipped + [Skipped(m.name, "skipped (--skip)") for m in methods if m.name in ctx.skip]
    methods = [m for m in methods if m.name not in ctx.skip]
    t0 = time.perf_counter()
    times, last, first, failed = run_interleaved(methods, ctx.repeats, ctx.budget_s)
    skipped = skipped + [Skipped(name, f"skipped (failed: {err})") for name, err in failed.items()]
    methods = [m for m in methods if m.name not in failed]
    case["wall_s"] = time.perf_counter() - t0
    case["budget_s"] = ctx.budget_s
    out = {}
    for meth in methods:
        entry = {"device": meth.device, "label": meth.label, **summarize(times[meth.name]),
                 "first_call_s": first[meth.name], **meth.info}
        if meth.check is not None:
            try:
                entry["check"] = meth.check(last[meth.name])
            except Exception as exc:  # noqa: BLE001 - a failed check is recorded, the timing stays
                entry["check"] = {"error": f"{type(exc).__name__}: {exc}"}
        out[meth.name] = entry
    case["methods"] = out
    case["skipped"] = {s.name: s.reason for s in skipped}
    ratios = {}
    for ref, scale, label in refs:
        if ref not in times:
            continue
        for meth in methods:
            k = scale(meth) if callable(scale) else scale
            if meth.name != ref and k is not None:
                ratios[f"{meth.name}/{label}"] = ratio_summary(times[meth.name], times[ref], k)
    case["ratios"] = ratios
    return case


def _case_header(kind: str, size: Size, dtype: str) -> dict[str, Any]:
    return {"case": kind, "size": size.name, "problem": size.describe(), "m": size.m,
            "layers": list(size.layers), "n_params": size.n_params, "work": size.work, "dtype": dtype}


# ----------------------------------------------------------------------------------------------
# cost + gradient
# ----------------------------------------------------------------------------------------------


def floor_numpy(size: Size, dtype: str) -> Callable[[], list[np.ndarray]]:
    """The matrix products of one backprop pass alone, in NumPy, on random arrays of the right shapes.

    Forward ``A(l) @ W(l)ᵀ`` for every layer, the gradients ``δ(l+1)ᵀ @ A(l)`` for every layer and
    the back-propagation ``δ(l+1) @ W(l)`` for every layer but the first: no cost can be computed
    with fewer multiply-adds, so its time is a floor for every method.
    """
    rng = np.random.default_rng(1)
    dt = np.dtype(dtype)
    L = size.layers
    A = [rng.random((size.m, s)).astype(dt) for s in L[:-1]]
    D = [rng.random((size.m, s)).astype(dt) for s in L[1:]]
    W = [rng.random((b, a)).astype(dt) for a, b in zip(L[:-1], L[1:])]

    def products() -> list[np.ndarray]:
        out = [A[l] @ W[l].T for l in range(len(W))]
        out += [D[l].T @ A[l] for l in range(len(W))]
        out += [D[l] @ W[l] for l in range(1, len(W))]
        return out

    return products


def elementwise_floor(size: Size, dtype: str) -> Callable[[], Any]:
    """The transcendental functions an exact sigmoid cost + gradient cannot avoid, alone: one ``exp`` per
    hidden activation (the sigmoid), one ``exp`` and one ``log1p`` per output (the cross-entropy from the
    logits, ``max(z, 0) + log1p(e^{-|z|})``, whose exponential also gives the output sigmoid). NumPy
    computes float64 exp/log1p with SIMD only on some CPUs (AVX-512); elsewhere one call per element."""
    rng = np.random.default_rng(2)
    dt = np.dtype(dtype)
    hidden = rng.normal(size=(size.m, sum(size.layers[1:-1]))).astype(dt)
    out = -np.abs(rng.normal(size=(size.m, size.layers[-1]))).astype(dt)
    h_buf, o_buf = np.empty_like(hidden), np.empty_like(out)

    def functions() -> Any:
        np.exp(hidden, out=h_buf)
        np.exp(out, out=o_buf)
        return np.log1p(o_buf, out=o_buf)

    return functions


def floor_jax(jax: Any, size: Size, dtype: str) -> Callable[[], Any]:
    """:func:`floor_numpy`'s products, jitted, on JAX's default device (for the GPU run)."""
    key = jax.random.PRNGKey(1)
    L = size.layers
    ks = jax.random.split(key, 3 * len(L))
    A = [jax.random.uniform(ks[i], (size.m, s), dtype=dtype) for i, s in enumerate(L[:-1])]
    D = [jax.random.uniform(ks[len(L) + i], (size.m, s), dtype=dtype) for i, s in enumerate(L[1:])]
    W = [jax.random.uniform(ks[2 * len(L) + i], (b, a), dtype=dtype)
         for i, (a, b) in enumerate(zip(L[:-1], L[1:]))]

    @jax.jit
    def products(A, D, W):
        out = [A[l] @ W[l].T for l in range(len(W))]
        out += [D[l].T @ A[l] for l in range(len(W))]
        out += [D[l] @ W[l] for l in range(1, len(W))]
        return out

    return lambda: products(A, D, W)


def _jax_methods(ctx: Context, thetas, X, Y, dtype: str, check) -> tuple[list[Method], list[Skipped]]:
    """``jit(value_and_grad(jax_cost))`` on device arrays, and the public ``autodiff.cost_and_grad``."""
    if ctx.jax is None:
        reason = ctx.jax_reason or "skipped (JAX unavailable)"
        return [], [Skipped(n, reason) for n in ("jax_jit", "autodiff")]
    from gradtrio import autodiff  # imports JAX: only once the context has it
    jax = ctx.jax
    dev = jax.devices()[0]
    Tj = [jax.device_put(t, dev) for t in thetas]
    Xj, Yj = jax.device_put(X, dev), jax.device_put(Y, dev)
    lam = jax.device_put(np.asarray(LAM, dtype=dtype), dev)  # on the device too: no transfer per call
    std = lambda r: (float(r[0]), [np.asarray(g) for g in r[1]])  # noqa: E731
    methods = []
    vg = jax.jit(jax.value_and_grad(autodiff.jax_cost))
    prec = str(jax_config(jax, "jax_default_matmul_precision"))
    methods.append(Method(
        "jax_jit", lambda: vg(Tj, Xj, Yj, lam), ctx.device,
        "jax.jit(jax.value_and_grad(autodiff.jax_cost)), arrays already on the device",
        check=lambda r: check(std(r)), info={"matmul_precision": prec},
    ))
    if ctx.gpu and dtype == "float32":
        vg_hi = jax.jit(jax.value_and_grad(autodiff.jax_cost))

        def highest():
            with jax.default_matmul_precision("highest"):
                return vg_hi(Tj, Xj, Yj, lam)

        methods.append(Method(
            "jax_jit[highest]", highest, ctx.device,
            "as jax_jit, with jax.default_matmul_precision('highest') (true float32, no TF32)",
            check=lambda r: check(std(r)), info={"matmul_precision": "highest"},
        ))
    methods.append(Method(
        "autodiff", lambda: autodiff.cost_and_grad(thetas, X, Y, LAM), ctx.device,
        "gradtrio.autodiff.cost_and_grad: validation, host→device copy, jitted value_and_grad, copy back",
        check=lambda r: check(_std(r)),
    ))
    return methods, []


def costgrad_case(ctx: Context, size: Size, dtype: str) -> dict[str, Any]:
    """Cost + gradient at one size and dtype: floor, backprop (vectorized, loop), JAX, peers."""
    thetas, X, Y = make_problem(size, dtype)
    # Reference: float64 backprop on exactly the same (possibly float32-rounded) inputs.
    J_ref, g_ref = backprop.cost_and_grad([t.astype(np.float64) for t in thetas], X.astype(np.float64),
                                          Y.astype(np.float64), LAM)
    check = _checker(J_ref, g_ref, lambda r: r)
    case = _case_header("costgrad", size, dtype)
    methods: list[Method] = [
        Method("floor", floor_numpy(size, dtype), "cpu",
               "the matrix products of one forward + backward pass alone (NumPy, same shapes)"),
        Method("backprop", lambda: backprop.cost_and_grad(thetas, X, Y, LAM), "cpu",
               "gradtrio.backprop.cost_and_grad (vectorized NumPy, input validation included)",
               check=lambda r: check(_std(r))),
    ]
    if not ctx.gpu:
        problem, mats = model.validate(thetas, X, Y, LAM)
        kernel, v = backprop.flat_kernel(problem), problem.arch.unroll(mats)
        methods += [
            Method("backprop_kernel", lambda: kernel(v), "cpu",
                   "the training path: backprop.flat_kernel of the validated problem, as train() calls it",
                   check=lambda r: check((r[0], problem.arch.cut(r[1])))),
            Method("elementwise", elementwise_floor(size, dtype), "cpu",
                   "the exp/log1p calls an exact sigmoid cost + gradient needs, alone (same counts)"),
        ]
    skipped: list[Skipped] = []
    cpu_peer_reason = "skipped (CPU method: measured in the CPU run, --device cpu)"
    if ctx.gpu:
        skipped.append(Skipped("backprop_loop", cpu_peer_reason))
    elif size.m * size.n_params <= LOOP_MAX_WORK:
        methods.append(Method("backprop_loop", lambda: backprop.cost_and_grad_loop(thetas, X, Y, LAM), "cpu",
                              "gradtrio.backprop.cost_and_grad_loop (per-example classic algorithm)",
                              check=lambda r: check(_std(r))))
    else:
        skipped.append(Skipped("backprop_loop", f"skipped (per-example loop only where m × parameters <= "
                                                f"{LOOP_MAX_WORK:.0e}; here {size.m * size.n_params:.1e})"))
    jm, js = _jax_methods(ctx, thetas, X, Y, dtype, check)
    methods += jm
    skipped += js
    if ctx.gpu and ctx.jax is not None:
        methods.append(Method("floor_jax", floor_jax(ctx.jax, size, dtype), ctx.device,
                              "the same matrix products alone, jitted JAX on the device"))
    # Peers (CPU).
    if ctx.gpu:
        skipped += [Skipped(n, cpu_peer_reason) for n in ("torch", "sklearn_backprop", "sklearn_loss_grad")]
    else:
        if ctx.torch is None:
            skipped.append(Skipped("torch", ctx.torch_reason or "skipped (not installed)"))
        else:
            methods.append(Method("torch", torch_cost_and_grad_fn(ctx.torch, thetas, X, Y, LAM), "cpu",
                                  "PyTorch autograd, eager, CPU (torch.autograd.grad of the same cost)",
                                  check=lambda r: check(_std(r))))
        sk, reason = sklearn_mlp_or_reason(thetas, X, Y, LAM)
        if sk is None:
            skipped += [Skipped("sklearn_backprop", reason), Skipped("sklearn_loss_grad", reason)]
        else:
            methods.append(Method(
                "sklearn_backprop", sk.backprop_raw, "cpu",
                "scikit-learn MLPClassifier._backprop (private API; loss + coef/intercept grads)",
                check=lambda r: check((r[0], SklearnMLP.to_thetas(r[1], r[2]))),
            ))
            methods.append(Method(
                "sklearn_loss_grad", sk.loss_grad_lbfgs, "cpu",
                "scikit-learn MLPClassifier._loss_grad_lbfgs "
                "(unpack + _backprop + pack, what its L-BFGS calls)",
                check=lambda r: check((r[0], sk.unpack(r[1]))),
            ))
    refs = [("floor", 1.0, "floor"), ("jax_jit", 1.0, "jax_jit"), ("backprop", 1.0, "backprop")]
    if ctx.gpu:
        refs.append(("floor_jax", 1.0, "floor_jax"))
    return _finish(case, methods, skipped, ctx, refs)


# ----------------------------------------------------------------------------------------------
# gradient checking
# ----------------------------------------------------------------------------------------------


def gradcheck_case(ctx: Context, size: Size) -> dict[str, Any]:
    """Gradient checking at one size (float64): full central differences (loop, batched), complex
    step, the directional check, against one cost evaluation and one backprop gradient."""
    dtype = "float64"
    case = _case_header("gradcheck", size, dtype)
    from gradtrio import finite_diff as fd
    thetas, X, Y = make_problem(size, dtype)
    sizes, n = size.layers, size.n_params
    theta = network.unroll(thetas)
    J = fd.cost_fn(sizes, X, Y, LAM)
    _, g_ref = backprop.cost_and_grad(thetas, X, Y, LAM)
    g_flat = network.unroll(g_ref)

    def check_flat(g: np.ndarray) -> dict[str, float]:
        return {"grad_max_rel_diff": _max_rel([g], [g_flat])}

    methods = [
        Method("cost", lambda: J(theta), "cpu",
               f"one cost evaluation, gradtrio.backprop.cost (NumPy; mean of "
               f"{REFERENCE_INNER} calls per round)", inner=REFERENCE_INNER),
        Method("backprop", lambda: backprop.cost_and_grad(thetas, X, Y, LAM), "cpu",
               f"gradtrio.backprop.cost_and_grad (the gradient being checked; "
               f"mean of {REFERENCE_INNER} calls per round)", inner=REFERENCE_INNER),
    ]
    skipped: list[Skipped] = []
    too_big = n > FD_MAX_PARAMS
    big_reason = (f"skipped ({n} parameters: full finite differences only up to {FD_MAX_PARAMS} "
                  f"parameters; use the directional check)")
    cpu_reason = "skipped (CPU method: measured in the CPU run, --device cpu)"
    if ctx.gpu:
        skipped += [Skipped("fd_loop", cpu_reason), Skipped("complex_step", cpu_reason)]
    elif too_big:
        skipped += [Skipped("fd_loop", big_reason), Skipped("complex_step", big_reason)]
    else:
        methods.append(Method(
            "fd_loop", lambda: fd.numerical_gradient(J, None, theta), "cpu",
            "finite_diff.numerical_gradient: central differences, one coordinate at a time (2n costs)",
            warmup=lambda: J(theta), check=check_flat, info={"evaluations": 2 * n},
        ))
        cJ = fd.complex_cost_fn(sizes, X, Y, LAM)
        methods.append(Method(
            "complex_step", lambda: fd.complex_step_gradient(cJ, None, theta), "cpu",
            "finite_diff.complex_step_gradient (h=1e-20, complex_cost_fn batched 32 coordinates a call)",
            warmup=lambda: cJ(theta.astype(np.complex128)), check=check_flat, info={"evaluations": n},
        ))
    if ctx.jax is None:
        skipped.append(Skipped("fd_batched", ctx.jax_reason or "skipped (JAX unavailable)"))
    elif too_big:
        skipped.append(Skipped("fd_batched", big_reason))
    else:
        Jb = fd.cost_batch_fn(sizes, X, Y, LAM, backend="jax")
        batches = [("fd_batched", int(Jb.batch_size))]  # the library's device-aware default batch
        for name, B in batches:
            methods.append(Method(
                name, lambda B=B: fd.numerical_gradient_batched(Jb, None, theta, batch_size=B), ctx.device,
                "finite_diff.numerical_gradient_batched on cost_batch_fn(backend='jax'): jit(vmap(cost)), "
                "2 × batch_size perturbed vectors a call",
                warmup=lambda B=B: Jb(np.repeat(theta[None, :], 2 * B, axis=0)), check=check_flat,
                info={"batch_size": B, "evaluations": 2 * n},
            ))
    methods.append(Method(
        "directional", lambda: fd.directional_check(J, g_flat, theta, k=DIRECTIONAL_K), "cpu",
        f"finite_diff.directional_check, k={DIRECTIONAL_K} random directions (4k costs)",
        check=lambda r: {"passed": bool(r.passed), "worst_error_over_bound": float(np.max(r.ratio))},
        info={"evaluations": 4 * DIRECTIONAL_K},
    ))
    full = ("fd_loop", "fd_batched", "complex_step")
    refs = [("cost", lambda m: 2.0 * n if m.name.startswith(full) else None, "(2n·cost)"),
            ("cost", lambda m: m.info.get("evaluations"), "(evals·cost)"),
            ("backprop", 1.0, "backprop")]
    case["note"] = ("(2n·cost): 2 × parameters single cost evaluations; (evals·cost): as many single cost "
                    "evaluations as the method makes; both from the same rounds")
    return _finish(case, methods, skipped, ctx, refs)


# ----------------------------------------------------------------------------------------------
# training and the scikit-learn objective
# ----------------------------------------------------------------------------------------------

TRAIN_HIDDEN = (25,)
TRAIN_MAXITER = 100


def _sklearn_classifier(lam: float, maxiter: int):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=TRAIN_HIDDEN, activation="logistic", solver="lbfgs", alpha=lam,
                         max_iter=maxiter, random_state=0)


def _sklearn_thetas(clf) -> list[np.ndarray]:
    return SklearnMLP.to_thetas(clf.coefs_, clf.intercepts_)


def train_case(ctx: Context, maxiter: int = TRAIN_MAXITER) -> dict[str, Any]:
    """``maxiter`` (100) L-BFGS-B iterations on the embedded digits: gradtrio.train vs MLPClassifier
    fitted on the one-hot Y (the same objective; see :func:`objective_case`)."""
    case = {"case": "train", "size": "digits", "dtype": "float64", "hidden": list(TRAIN_HIDDEN),
            "lam": LAM, "maxiter": maxiter}
    from gradtrio import data as data_mod
    from gradtrio import train
    d = data_mod.load_digits()
    K = int(max(d.y_train.max(), d.y_test.max())) + 1
    Y = network.one_hot(d.y_train, K)
    case["problem"] = (f"{d.X_train.shape[0]} × {d.X_train.shape[1]}-{TRAIN_HIDDEN[0]}-{K}, "
                       f"test {d.X_test.shape[0]}")
    methods = [Method(
        "gradtrio", lambda: train.train(d.X_train, d.y_train, hidden=TRAIN_HIDDEN, lam=LAM, maxiter=maxiter,
                                        method="L-BFGS-B", seed=0, backend="numpy"),
        "cpu", f"gradtrio.train.train(hidden=(25,), lam=1, maxiter={maxiter}, L-BFGS-B, backend='numpy')",
    )]
    skipped: list[Skipped] = []
    try:
        from sklearn.exceptions import ConvergenceWarning

        _sklearn_classifier(LAM, 1)

        def fit_sklearn():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return _sklearn_classifier(LAM, maxiter).fit(d.X_train, Y)

        methods.append(Method(
            "sklearn", fit_sklearn, "cpu",
            "MLPClassifier(hidden_layer_sizes=(25,), activation='logistic', solver='lbfgs', alpha=1, "
            f"max_iter={maxiter}).fit(X, one-hot Y)",
        ))

        def fit_sklearn_one_thread():
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, user_api="blas"):
                return fit_sklearn()

        # Much of gradtrio's lead under default environments is the BLAS thread pools (train() limits
        # them; scikit-learn does not): this row gives scikit-learn the same limits, to separate the two.
        methods.append(Method(
            "sklearn[1 thread]", fit_sklearn_one_thread, "cpu",
            "the same MLPClassifier fit inside threadpoolctl.threadpool_limits(1, user_api='blas'), "
            "gradtrio's thread setting",
        ))
    except ImportError as exc:
        skipped.append(Skipped("sklearn", f"skipped (scikit-learn not importable: {exc})"))
    # Accuracy, iterations and the final objective of each method's last fit (outside the timing),
    # the objective evaluated by gradtrio's own cost for both, so the two are comparable.
    def outcome(thetas: list[np.ndarray], iterations: int) -> dict[str, Any]:
        return {"test_accuracy": float(train.accuracy(thetas, d.X_test, d.y_test)),
                "iterations": int(iterations),
                "final_cost": float(backprop.cost(thetas, d.X_train, Y, LAM))}

    methods[0].check = lambda r: outcome(r.thetas, r.iterations)
    for meth in methods[1:]:
        meth.check = lambda clf: outcome(_sklearn_thetas(clf), clf.n_iter_)
    return _finish(case, methods, skipped, ctx, [("gradtrio", 1.0, "gradtrio")])


def objective_case(ctx: Context) -> dict[str, Any]:
    """Does ``MLPClassifier(activation='logistic', alpha=λ)`` on one-hot Y minimize gradtrio's cost?

    Sets scikit-learn's weights from gradtrio's, asks ``_loss_grad_lbfgs`` for its loss and gradient
    and records the largest differences from ``backprop.cost_and_grad``, on several problems.
    """
    out: dict[str, Any] = {"case": "objective", "problems": []}
    from gradtrio import data as data_mod

    d = data_mod.load_digits()
    Yd = network.one_hot(d.y_train, 10)
    problems = [
        ("embedded digits, init_weights(64-25-10)", network.init_weights((64, 25, 10), seed=0), d.X_train,
         Yd),
        ("embedded digits, init_weights(64-30-20-10)", network.init_weights((64, 30, 20, 10), seed=0),
         d.X_train, Yd),
    ]
    th, X, y = network.debug_problem((3, 5, 3), m=5)
    problems.append(("debug problem 5 × 3-5-3 (checkNNGradients)", th, X, network.one_hot(y, 3)))
    for name, thetas, X, Y in problems:
        sk, reason = sklearn_mlp_or_reason(thetas, X, Y, LAM)
        if sk is None:
            out["skipped"] = reason
            break
        J, g = backprop.cost_and_grad(thetas, X, Y, LAM)
        out["problems"].append({"problem": name, "lam": LAM, **sk.objective_check(J, g)})
    return out
