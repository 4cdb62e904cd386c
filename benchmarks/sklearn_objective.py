"""Same objective as scikit-learn: on the same weights, ``MLPClassifier``/``MLPRegressor`` give gradtrio's
cost and gradient to rounding, for the hidden activations they share (identity, logistic, tanh, relu)::

    python -m benchmarks.sklearn_objective [--draws 20] [--out benchmarks/results/sklearn]

scikit-learn's side is the very function its L-BFGS minimizes, ``_loss_grad_lbfgs`` (which calls
``_backprop``) in ``sklearn/neural_network/_multilayer_perceptron.py``, on an estimator fitted once
(``max_iter=1``, to set up its layers, output unit and label binarizer) and then given gradtrio's weights.
What it computes (scikit-learn 1.9, read from that source and ``_base.py``):

- loss: ``LOSS_FUNCTIONS[loss](y, activations[-1]) + (alpha / 2) Σ‖W‖² / m``: the L2 penalty on the
  coefficient matrices only, never the intercepts: gradtrio's ``(λ/(2m)) Σ Θ²`` without the bias
  column, so ``alpha`` is λ;
- gradient: ``(aᵀδ + alpha W) / m`` and ``Σδ / m`` for the intercepts, ``δ_last = h − y`` (the
  canonical link of each output): gradtrio's ``(1/m) Δ + (λ/m) Θ``.

The three outputs (:data:`KINDS`):

- ``multilabel``: ``MLPClassifier`` fitted on a one-hot indicator matrix Y has K logistic outputs with
  ``binary_log_loss`` (the per-unit cross-entropy summed over units, averaged over examples): gradtrio's
  ``output="sigmoid"``, the course's cost;
- ``multiclass``: ``MLPClassifier`` on class labels (3 or more classes) has a softmax output with
  ``log_loss``: gradtrio's ``output="softmax"``;
- ``regression``: ``MLPRegressor`` (``squared_error``) has an identity output with the loss
  ``0.5 · mean over outputs of the mean over examples of (h − y)²``. For one output that is
  ``(1/(2m)) Σ (h − y)²``, gradtrio's ``output="identity"``. For K > 1 outputs scikit-learn also divides
  the data term by K (not the penalty): its loss is ``(J_data)/K + P`` for gradtrio's ``J = J_data + P``,
  while its gradient is gradtrio's gradient of ``J`` itself, K times the gradient of its own loss's data
  term: scikit-learn's loss and gradient disagree there (its open issue #8349, PR #34830). The
  ``regression K=3`` row checks both statements.

The log losses clip probabilities to ``[eps, 1 − eps]``; no drawn problem comes near that (the weights and
inputs are of order 1), so the clip changes nothing here.

Agreement is judged against a bound on the rounding error of the two computations, derived from the
magnitudes of the terms each one sums (:func:`rounding_bound`), not against a fixed 1e-6.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SK_ACTIVATIONS", "KINDS", "to_sklearn", "SklearnObjective", "sklearn_objective", "gradtrio_cost_and_grad",
           "rounding_bound", "draw_problem", "compare", "main"]

#: scikit-learn's hidden activations and gradtrio's name for each (gradtrio knows "logistic" too).
SK_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}

#: Each kind of problem: (scikit-learn estimator, gradtrio output).
KINDS = {"multilabel": ("MLPClassifier", "sigmoid"), "multiclass": ("MLPClassifier", "softmax"),
         "regression": ("MLPRegressor", "identity")}

EPS = float(np.finfo(np.float64).eps)
#: Relative rounding error of one evaluation of exp, log, tanh, log1p... by NumPy's libm: a few units in
#: the last place (glibc documents at most 1-4 ulp for these); 4 covers one such call and its rounding.
FUNCTION_ULPS = 4.0

RESULTS_DIR = Path(__file__).resolve().parent / "results" / "sklearn"


def to_sklearn(thetas: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """gradtrio's ``thetas[l] = [intercept | coef.T]`` (shape ``(s_out, s_in + 1)``) as scikit-learn's
    ``coefs_`` (``(s_in, s_out)``) and ``intercepts_`` (``(s_out,)``)."""
    return ([np.ascontiguousarray(t[:, 1:].T) for t in thetas], [np.array(t[:, 0]) for t in thetas])


def _from_packed(packed: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """scikit-learn's packed vector (all coefs_ raveled, then all intercepts_) in gradtrio's layout."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    coefs, start = [], 0
    for s_in, s_out in pairs:
        coefs.append(packed[start:start + s_in * s_out].reshape(s_in, s_out))
        start += s_in * s_out
    out = []
    for (_, s_out), c in zip(pairs, coefs):
        out.append(np.hstack([packed[start:start + s_out][:, None], c.T]))
        start += s_out
    return out


@dataclass
class SklearnObjective:
    """scikit-learn's L-BFGS objective on one data set: ``loss_and_grad(thetas) -> (J, grads)``.

    Attributes
    ----------
    estimator : MLPClassifier or MLPRegressor
        Fitted once (``max_iter=1``) to set up its layers; its weights are replaced at each call.
    X : ndarray of shape (m, n)
    Y : ndarray of shape (m, K)
        The targets as scikit-learn hands them to ``_loss_grad_lbfgs`` (binarized labels for a classifier).
    sizes : tuple of int
    """

    estimator: object
    X: np.ndarray
    Y: np.ndarray
    sizes: tuple[int, ...]

    def loss_and_grad(self, thetas: Sequence[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        from sklearn.neural_network._multilayer_perceptron import _pack

        est = self.estimator
        units = list(self.sizes)
        activations = [self.X] + [None] * (len(units) - 1)
        deltas = [None] * (len(units) - 1)
        coef_grads = [np.empty((a, b)) for a, b in zip(units[:-1], units[1:])]
        intercept_grads = [np.empty(b) for b in units[1:]]
        packed = _pack(*to_sklearn(thetas))
        J, g = est._loss_grad_lbfgs(packed, self.X, self.Y, None, activations, deltas,  # type: ignore[attr-defined]
                                    coef_grads, intercept_grads)
        return float(J), _from_packed(np.asarray(g), self.sizes)


def sklearn_objective(kind: str, hidden: Sequence[int], sk_activation: str, X: np.ndarray, y: np.ndarray,
                      alpha: float) -> SklearnObjective:
    """scikit-learn's estimator for ``kind`` (:data:`KINDS`), set up on ``(X, y)``.

    ``y``: an indicator matrix (m, K) for "multilabel", class labels (m,) for "multiclass", real targets
    (m,) or (m, K) for "regression".
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if KINDS[kind][0] == "MLPClassifier" else MLPRegressor
    est = cls(hidden_layer_sizes=tuple(hidden), activation=sk_activation, alpha=alpha, solver="lbfgs",
              max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    Xv, Yv = est._validate_input(X, y, incremental=False, reset=False)  # type: ignore[attr-defined]
    Yv = np.asarray(Yv)
    if Yv.ndim == 1:
        Yv = Yv.reshape(-1, 1)
    expected = {"multilabel": "logistic", "multiclass": "softmax", "regression": "identity"}[kind]
    if est.out_activation_ != expected:
        raise AssertionError(f"scikit-learn chose the output {est.out_activation_!r} for {kind}; expected {expected!r}")
    sizes = (X.shape[1], *hidden, Yv.shape[1])
    return SklearnObjective(est, np.asarray(Xv), Yv, sizes)


def gradtrio_targets(kind: str, y: np.ndarray, K: int) -> np.ndarray:
    """gradtrio's Y (m, K) for the y given to scikit-learn."""
    from gradtrio.network import one_hot

    if kind == "multiclass":
        return one_hot(y, K)
    Y = np.asarray(y, dtype=np.float64)
    return Y.reshape(-1, 1) if Y.ndim == 1 else Y


def gradtrio_cost_and_grad(kind: str, thetas: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float,
                           activation: str) -> tuple[float, list[np.ndarray]]:
    """gradtrio's ``backprop.cost_and_grad`` with the output of ``kind``."""
    from gradtrio import backprop

    J, grads = backprop.cost_and_grad(thetas, X, Y, lam, activation=activation, output=KINDS[kind][1])
    return float(J), [np.asarray(g) for g in grads]


def penalty(thetas: Sequence[np.ndarray], lam: float, m: int) -> float:
    """``(λ/(2m)) Σ Θ²`` over the non-bias columns."""
    return float(lam / (2 * m) * sum(float(np.sum(t[:, 1:] ** 2)) for t in thetas))


def rounding_bound(thetas: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float, activation: str,
                   output: str) -> tuple[float, list[np.ndarray], bool]:
    """A bound on the rounding error of one float64 evaluation of the cost and of each gradient entry.

    Forward-error analysis of the network's own sums, on the problem at hand: a dot product of n terms
    computed in floating point is off by at most ``γ_n |a|·|b|`` (γ_n = nε / (1 − nε) ≈ nε, Higham,
    *Accuracy and Stability of Numerical Algorithms*, §3.1), whatever the order of summation (BLAS blocks,
    pairwise sums); each elementwise function adds :data:`FUNCTION_ULPS` ulps, and an error ``e`` in its
    argument becomes ``|g'| e`` (plus ``|g''| e · |upstream|`` for the derivatives backprop uses). The
    errors are propagated layer by layer through ``|Θ|``, forward to the cost and back to every gradient
    entry. Any two correct float64 implementations (gradtrio's, scikit-learn's) differ by at most twice
    this bound.

    Returns
    -------
    tol_J : float
        Bound on the cost's error.
    tol_grads : list of ndarray
        Bound on each gradient entry's error, shapes of ``thetas``.
    near_kink : bool
        True when some relu pre-activation lies within its own rounding bound of the kink at 0: there the
        two computations may legitimately take different branches, and no rounding bound holds.
    """
    from gradtrio.model import Architecture

    arch = Architecture.of(thetas, activation, output)
    L = len(thetas)
    A, eA = np.asarray(X, dtype=np.float64), np.zeros_like(X, dtype=np.float64)
    layers = []  # (A_in, eA_in, z, ez)
    near_kink = False
    for l, T in enumerate(thetas):
        b, W = T[:, 0], T[:, 1:]
        n = W.shape[1] + 1
        z = A @ W.T + b
        ez = (n + 1) * EPS * (np.abs(A) @ np.abs(W).T + np.abs(b)) + eA @ np.abs(W).T
        layers.append((A, eA, z, ez))
        if l < L - 1:
            g = arch.hidden[l]
            if g.kinks and np.any(np.abs(z - g.kinks[0]) <= ez):
                near_kink = True
            a = g.value(z)
            eA = np.abs(g.derivative(z)) * ez + FUNCTION_ULPS * EPS * np.abs(a)
            A = a
    m, K = Y.shape
    zL, ezL = layers[-1][2], layers[-1][3]
    H = arch.out.value(zL)
    R = H - Y
    # the loss: its argument errors through |∂ℓ/∂z| = |h − y|, then the sum of its m·K terms, each of
    # magnitude |ℓ_ik| ≤ |z|(1 + |y|) + |loss of the example|, with FUNCTION_ULPS for its exp/log
    loss_total = float(arch.out.loss_sum(zL, Y))
    terms = float(np.sum(np.abs(zL) * (1.0 + np.abs(Y)) + np.abs(R) * (np.abs(zL) + np.abs(Y)))) + abs(loss_total)
    e_data = (float(np.sum(np.abs(R) * ezL)) + (m * K + FUNCTION_ULPS) * EPS * terms) / m
    N = sum(t[:, 1:].size for t in thetas)
    P = penalty(thetas, lam, m)
    tol_J = e_data + (N + FUNCTION_ULPS) * EPS * P
    # backward: δ_L = h − y; the softmax's Jacobian spreads an error of z over the row (|H| · max error)
    d = R
    ed = ezL + np.abs(H) * ezL.max(axis=1, keepdims=True) + FUNCTION_ULPS * EPS * (np.abs(H) + np.abs(Y))
    tol_grads: list[np.ndarray] = [np.empty(0)] * L
    for l in range(L - 1, -1, -1):
        A_in, eA_in, _, _ = layers[l]
        T = thetas[l]
        ones = np.ones((m, 1))
        A1, eA1 = np.hstack([ones, A_in]), np.hstack([np.zeros((m, 1)), eA_in])
        eD = ((m + 1) * EPS * np.abs(d).T @ np.abs(A1) + ed.T @ np.abs(A1) + np.abs(d).T @ eA1) / m
        reg = np.hstack([np.zeros((T.shape[0], 1)), np.abs(T[:, 1:])])
        tol_grads[l] = eD + FUNCTION_ULPS * EPS * lam * reg / m
        if l == 0:
            break
        W = T[:, 1:]
        u = d @ W
        eu = (W.shape[0] + 1) * EPS * (np.abs(d) @ np.abs(W)) + ed @ np.abs(W)
        g = arch.hidden[l - 1]
        z_prev, ez_prev = layers[l - 1][2], layers[l - 1][3]
        gp = g.derivative(z_prev)
        gpp = np.abs(g.second_derivative(z_prev))
        # g' written from the output a (sigmoid a(1−a), tanh 1−a²): |dg'/da| ≤ 2, times a's error
        e_gp = gpp * ez_prev + 2.0 * layers[l][1] + FUNCTION_ULPS * EPS * np.abs(gp)
        d_new = u * gp
        ed = eu * np.abs(gp) + np.abs(u) * e_gp
        d = d_new
    return float(tol_J), tol_grads, near_kink


def draw_problem(rng: np.random.Generator, kind: str, *, m: int | None = None, n: int | None = None,
                 hidden: Sequence[int] | None = None, K: int | None = None):
    """A random problem of ``kind``: (hidden, thetas, X, y, alpha). Weights of order 1 (uniform in
    ±1/sqrt(fan-in)·2), inputs standard normal, alpha in [0, 1]; every class present."""
    m = int(rng.integers(8, 60)) if m is None else m
    n = int(rng.integers(2, 9)) if n is None else n
    if hidden is None:
        hidden = tuple(int(h) for h in rng.integers(2, 9, size=int(rng.integers(1, 3))))
    hidden = tuple(hidden)
    if K is None:
        K = {"multilabel": int(rng.integers(2, 6)), "multiclass": int(rng.integers(3, 6)), "regression": 1}[kind]
    X = rng.normal(size=(m, n))
    sizes = (n, *hidden, K)
    thetas = [rng.uniform(-2, 2, size=(s_out, s_in + 1)) / np.sqrt(s_in + 1)
              for s_in, s_out in zip(sizes[:-1], sizes[1:])]
    labels = rng.permutation(np.arange(m) % K)
    if kind == "multilabel":
        y = np.eye(K, dtype=np.int64)[labels]
    elif kind == "multiclass":
        y = labels
    else:
        y = rng.normal(size=(m,)) if K == 1 else rng.normal(size=(m, K))
    alpha = float(rng.choice([0.0, float(rng.uniform(0, 1))]))
    return hidden, thetas, X, y, alpha


def _used(diff: np.ndarray, bound: np.ndarray) -> float:
    """max diff/bound; an entry both sides compute as exactly equal uses none of a zero bound (a dead relu
    unit's gradient is exactly 0 on both), a differing one uses all of it and more (inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(diff == 0, 0.0, diff / bound)
    return float(np.max(r))


def compare(kind: str, sk_activation: str, hidden, thetas, X, y, alpha) -> dict:
    """Both costs and gradients on one problem, and how much of the rounding bound their gap uses."""
    act = SK_ACTIVATIONS[sk_activation]
    sk = sklearn_objective(kind, hidden, sk_activation, X, y, alpha)
    Y = gradtrio_targets(kind, y, sk.Y.shape[1])
    J_sk, G_sk = sk.loss_and_grad(thetas)
    J, G = gradtrio_cost_and_grad(kind, thetas, X, Y, alpha, act)
    tol_J, tol_G, near_kink = rounding_bound(thetas, X, Y, alpha, act, KINDS[kind][1])
    K = Y.shape[1]
    J_expected = J
    if kind == "regression" and K > 1:  # scikit-learn's loss divides the data term by K (module docstring)
        P = penalty(thetas, alpha, X.shape[0])
        J_expected = (J - P) / K + P
    dJ = abs(J_sk - J_expected)
    dG = max(float(np.max(np.abs(a - b))) for a, b in zip(G_sk, G))
    used_G = max(_used(np.abs(a - b), 2 * t) for a, b, t in zip(G_sk, G, tol_G))
    scale_G = max(float(np.max(np.abs(g))) for g in G)
    return {"kind": kind, "K": K, "activation": sk_activation, "sizes": list(sk.sizes), "m": int(X.shape[0]),
            "alpha": alpha, "J": J, "J_sklearn": J_sk, "cost_diff": dJ, "cost_rel": dJ / max(abs(J_expected), 1e-300),
            "cost_bound": 2 * tol_J, "cost_used": dJ / (2 * tol_J), "grad_diff": dG,
            "grad_rel": dG / max(scale_G, 1e-300), "grad_used": used_G, "near_kink": near_kink,
            "agree": bool(dJ <= 2 * tol_J and used_G <= 1.0)}


def _md(rows: list[dict], env: dict, command: str, draws: int) -> str:
    from collections import defaultdict

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["kind"], r["K"] > 1 and r["kind"] == "regression", r["activation"])].append(r)
    out = ["## Same objective as scikit-learn", "",
           f"- **Date**: {env['date_utc']}; command `{command}`; gradtrio commit {env['git']['commit'][:12]}",
           f"- **Machine**: {env['platform']}; CPU {env['cpu_model']}, {env['cpu_count']} logical cores",
           f"- **Versions**: Python {env['python']}, numpy {env['versions']['numpy']}, scikit-learn "
           f"{env['versions']['sklearn']}",
           "",
           f"{draws} drawn problems per row (1-2 hidden layers of 2-8 units, 2-8 inputs, 8-59 examples, alpha = λ "
           "0 or uniform in [0, 1]). `bound used`: the largest |gradtrio − scikit-learn| over the bound on two "
           "float64 evaluations' rounding (`rounding_bound`), cost and worst gradient entry; ≤ 1 is agreement "
           "to rounding.", "",
           "| scikit-learn | gradtrio output | hidden | max rel. cost diff | max rel. grad diff "
           "| bound used (cost, grad) | agree |",
           "|---|---|---|---|---|---|---|"]
    for (kind, multi, act), rs in groups.items():
        est = KINDS[kind][0]
        what = {"multilabel": f"{est}, one-hot Y (logistic)", "multiclass": f"{est}, labels (softmax)",
                "regression": f"{est}, " + ("K = 3 outputs" if multi else "one output")}[kind]
        out_name = KINDS[kind][1] + (" (loss: (J − P)/K + P)" if multi else "")
        out.append(f"| {what} | {out_name} | {act} | {max(r['cost_rel'] for r in rs):.1e} | "
                   f"{max(r['grad_rel'] for r in rs):.1e} | {max(r['cost_used'] for r in rs):.3f}, "
                   f"{max(r['grad_used'] for r in rs):.3f} | {'yes' if all(r['agree'] for r in rs) else 'NO'} |")
    skipped = sum(r["near_kink"] for r in rows)
    out += ["", f"Problems with a relu pre-activation within rounding of 0: {skipped} (none expected for continuous "
            "draws)."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison over every activation and output; write results.json and results.md."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.sklearn_objective", description=__doc__.split("\n")[0])
    p.add_argument("--draws", type=int, default=20, help="problems per row (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(RESULTS_DIR))
    args = p.parse_args(argv)
    from .env import collect_environment

    rng = np.random.default_rng(args.seed)
    rows = []
    for kind, K in (("multilabel", None), ("multiclass", None), ("regression", None), ("regression", 3)):
        for act in SK_ACTIVATIONS:
            for _ in range(args.draws):
                hidden, thetas, X, y, alpha = draw_problem(rng, kind, K=K)
                rows.append(compare(kind, act, hidden, thetas, X, y, alpha))
    command = "python -m benchmarks.sklearn_objective " + " ".join(sys.argv[1:] if argv is None else argv)
    env = collect_environment()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "objective.json"), "w") as f:
        json.dump({"environment": env, "command": command.strip(), "rows": rows}, f, indent=1)
    text = _md(rows, env, command.strip(), args.draws)
    with open(os.path.join(args.out, "objective.md"), "w") as f:
        f.write(text)
    print(text)
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
