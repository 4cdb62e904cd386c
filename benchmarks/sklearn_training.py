"""Training against scikit-learn at the same objective: gradtrio's ``train`` and ``MLPClassifier`` /
``MLPRegressor`` with ``solver="lbfgs"``, on the embedded digits and the embedded diabetes data::

    python -m benchmarks.sklearn_training [--seeds 11] [--out benchmarks/results/sklearn]

The same objective (``benchmarks/sklearn_objective.py`` shows the two costs and gradients agree to
rounding): the same hidden sizes and activation, ``alpha = λ``, the output scikit-learn picks for the
targets (softmax for class labels, logistic units for a one-hot indicator matrix, identity for real
targets). The same solver with the same options: SciPy's L-BFGS-B, ``maxiter`` iterations, ``gtol = 1e-5``
(scikit-learn passes its ``tol`` as ``gtol``; ``tol=1e-5`` makes it SciPy's default, which gradtrio
uses), SciPy's default ``ftol``, ``maxcor`` and ``maxfun`` (scikit-learn's ``max_fun=15000`` is SciPy's
default too). Both run with BLAS limited to one thread (:func:`gradtrio.train.blas_limited`), one after
the other, on the same training split.

What differs is the initialisation, each library's own: gradtrio's :meth:`gradtrio.model.Architecture.init`
(uniform, Glorot ``sqrt(6/(s_in + s_out))`` for layers feeding logistic, tanh or identity units and for the
output layer, He ``sqrt(6/s_in)`` for layers feeding relu units; biases drawn alike), scikit-learn's
``_init_coef`` (uniform, ``sqrt(6/(s_in + s_out))``, or ``sqrt(2/(s_in + s_out))`` when the hidden
activation is logistic; for every layer, relu included). So each seed starts both from a different point,
and the table reports medians over seeds.

Reported per library: wall time of the fit, iterations, the final objective (gradtrio's cost evaluated on
each library's final weights: the one objective both minimize) and the held-out score: accuracy (the
argmax of the outputs) on the digits' test split, R² on the diabetes test split. The diabetes data are
:func:`gradtrio.data.load_diabetes`: features and target standardized with the training split's mean and
standard deviation (R² does not depend on the target's scale; RMSE is given in the target's units).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from statistics import median

import numpy as np

__all__ = ["CONFIGS", "run_one", "main"]

RESULTS_DIR = Path(__file__).resolve().parent / "results" / "sklearn"

#: scikit-learn's ``tol``, passed to L-BFGS-B as ``gtol``: SciPy's default, the one gradtrio's train uses.
GTOL = 1e-5

#: (data set, scikit-learn's hidden activation, gradtrio's output, hidden sizes, λ = alpha, maxiter).
#: The digits: the README's network (25 hidden units, λ = 1, 100 iterations) with each activation, softmax
#: on class labels, and the course's logistic outputs on one-hot targets. The diabetes data (331 training
#: examples, 10 features): 10 hidden units, with λ = 1 and a stronger λ = 10.
CONFIGS = (
    ("digits", "relu", "softmax", (25,), 1.0, 100),
    ("digits", "tanh", "softmax", (25,), 1.0, 100),
    ("digits", "logistic", "softmax", (25,), 1.0, 100),
    ("digits", "identity", "softmax", (25,), 1.0, 100),
    ("digits", "logistic", "sigmoid", (25,), 1.0, 100),
    ("digits", "relu", "sigmoid", (25,), 1.0, 100),
    ("diabetes", "relu", "identity", (10,), 1.0, 200),
    ("diabetes", "tanh", "identity", (10,), 1.0, 200),
    ("diabetes", "relu", "identity", (10,), 10.0, 200),
    ("diabetes", "tanh", "identity", (10,), 10.0, 200),
    ("diabetes", "identity", "identity", (10,), 1.0, 200),
)

#: Scores are compared at the precision the table shows: accuracy to the test example (450 of them: 0.01 %
#: is finer than one), R² to 4 decimals. Finer differences are where L-BFGS-B stopped on the same minimum
#: (the linear network on the diabetes data reaches one minimum from every start, both objectives equal to
#: 6 digits, and R² differs by ~5e-6 between the points where each run's gradient fell under gtol).
R2_DECIMALS = 4

WHO = ("gradtrio", "sklearn", "gradtrio_sklearn_init")

_GT = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


def _data(name: str):
    from gradtrio.data import load_diabetes, load_digits

    return load_diabetes() if name == "diabetes" else load_digits()


def _thetas_of(est) -> list[np.ndarray]:
    return [np.hstack([b[:, None], W.T]) for W, b in zip(est.coefs_, est.intercepts_)]


def _score(thetas, d, act: str, output: str) -> tuple[float, float | None]:
    """(held-out accuracy or R², RMSE in the target's units or None)."""
    from gradtrio.train import accuracy, r2_score, rmse

    units = {"activation": act, "output": output}
    if output == "identity":
        return r2_score(thetas, d.X_test, d.y_test, **units), rmse(thetas, d.X_test, d.y_test, **units) * d.y_scale
    return accuracy(thetas, d.X_test, d.y_test, **units), None


def sklearn_initial_thetas(sk_act: str, sizes: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """The initial weights scikit-learn's fit draws with ``random_state=seed`` (its own ``_init_coef``, layer
    after layer, coefficients then intercepts, from the ``RandomState`` its L-BFGS fit consumes nothing else
    of before), in gradtrio's layout."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.utils import check_random_state

    est = MLPRegressor(activation=sk_act, random_state=seed)
    est._random_state = check_random_state(seed)
    out = []
    for s_in, s_out in zip(sizes[:-1], sizes[1:]):
        W, b = est._init_coef(s_in, s_out, np.float64)
        out.append(np.hstack([b[:, None], W.T]))
    return out


def run_one(data: str, sk_act: str, output: str, hidden: tuple[int, ...], lam: float, maxiter: int,
            seed: int) -> dict:
    """One seed of one configuration: both libraries' time, iterations, final objective, held-out score."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from gradtrio import backprop
    from gradtrio.network import one_hot
    from gradtrio.train import blas_limited, train

    d = _data(data)
    act = _GT[sk_act]
    K = 1 if output == "identity" else d.num_labels
    Y = d.y_train.reshape(-1, 1) if output == "identity" else one_hot(d.y_train, K)
    units = {"activation": act, "output": output}

    t0 = time.perf_counter()
    r = train(d.X_train, d.y_train, hidden=hidden, lam=lam, maxiter=maxiter, seed=seed, **units)
    t_gt = time.perf_counter() - t0

    cls = MLPRegressor if output == "identity" else MLPClassifier
    est = cls(hidden_layer_sizes=hidden, activation=sk_act, alpha=lam, solver="lbfgs", max_iter=maxiter,
              tol=GTOL, random_state=seed)
    y_sk = one_hot(d.y_train, K).astype(np.int64) if output == "sigmoid" else d.y_train
    with warnings.catch_warnings(), blas_limited(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(d.X_train, y_sk)
        t_sk = time.perf_counter() - t0
    expected = {"softmax": "softmax", "sigmoid": "logistic", "identity": "identity"}[output]
    assert est.out_activation_ == expected, (est.out_activation_, expected)
    th_sk = _thetas_of(est)
    sizes = (d.X_train.shape[1], *hidden, K)
    start = sklearn_initial_thetas(sk_act, sizes, seed)
    t0 = time.perf_counter()
    r_same = train(d.X_train, d.y_train, hidden=hidden, lam=lam, maxiter=maxiter, initial_thetas=start, **units)
    t_same = time.perf_counter() - t0

    row = {"data": data, "activation": sk_act, "output": output, "hidden": list(hidden), "lam": lam,
           "maxiter": maxiter, "seed": seed}
    for who, thetas, t, nit in (("gradtrio", r.thetas, t_gt, r.iterations), ("sklearn", th_sk, t_sk, est.n_iter_),
                                ("gradtrio_sklearn_init", r_same.thetas, t_same, r_same.iterations)):
        J = backprop.cost(thetas, d.X_train, Y, lam, **units)
        score, err = _score(thetas, d, act, output)
        row[who] = {"time_s": t, "iterations": int(nit), "objective": float(J), "score": score, "rmse": err}
    return row


def _summary(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["data"], r["activation"], r["output"], tuple(r["hidden"]), r["lam"], r["maxiter"]),
                          []).append(r)
    out = []
    for key, rs in groups.items():
        s = {"data": key[0], "activation": key[1], "output": key[2], "hidden": list(key[3]), "lam": key[4],
             "maxiter": key[5], "seeds": len(rs)}
        for who in WHO:
            s[who] = {k: median(r[who][k] for r in rs) for k in ("time_s", "iterations", "objective", "score")}
            s[who]["score_min"] = min(r[who]["score"] for r in rs)
            s[who]["score_max"] = max(r[who]["score"] for r in rs)
            if rs[0][who]["rmse"] is not None:
                s[who]["rmse"] = median(r[who]["rmse"] for r in rs)
        digits = R2_DECIMALS if key[2] == "identity" else 4  # accuracy as a fraction: 4 decimals = 0.01 %
        g, k = (round(s[w]["score"], digits) for w in ("gradtrio", "sklearn"))
        s["score_at_least_sklearn"] = bool(g >= k)
        s["tie"] = bool(g == k)
        out.append(s)
    return out


def _md(summary: list[dict], env: dict, command: str) -> str:
    lines = ["## Training against scikit-learn at the same objective", "",
             f"- **Date**: {env['date_utc']}; command `{command}`; gradtrio commit {env['git']['commit'][:12]}",
             f"- **Machine**: {env['platform']}; CPU {env['cpu_model']}, {env['cpu_count']} logical cores; BLAS "
             "limited to 1 thread for both",
             f"- **Versions**: Python {env['python']}, numpy {env['versions']['numpy']}, scipy "
             f"{env['versions']['scipy']}, scikit-learn {env['versions']['sklearn']}",
             "",
             "Medians over seeds. L-BFGS-B for both with the same options (maxiter, gtol = 1e-5); each library's own "
             "initialisation. `objective`: gradtrio's cost on each one's final weights (the objective both "
             "minimize). Scores: median [min, max] over the seeds. `≥`: gradtrio's median score at least "
             "scikit-learn's at the precision shown (`tie`: equal "
             "there). Score: held-out accuracy (digits, 450 test examples) or R² (diabetes, 111 test "
             "examples; RMSE in the target's units). `gradtrio, sklearn's init`: gradtrio's train started "
             "from the initial weights scikit-learn draws for the same seed: the same objective, solver and "
             "starting point.", "",
             "| data | hidden | output | λ = alpha | iters | gradtrio time | sklearn time | speed-up | "
             "gradtrio objective | sklearn objective | gradtrio score | sklearn score | ≥ | gradtrio, sklearn's init |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        g, k, same = s["gradtrio"], s["sklearn"], s["gradtrio_sklearn_init"]
        if s["output"] == "identity":
            sc = [f"R² {x['score']:.4f} [{x['score_min']:.3f}, {x['score_max']:.3f}] (RMSE {x['rmse']:.2f})"
                  for x in (g, k, same)]
        else:
            sc = [f"{100 * x['score']:.2f} % [{100 * x['score_min']:.1f}, {100 * x['score_max']:.1f}]"
                  for x in (g, k, same)]
        out_name = {"softmax": "softmax (labels)", "sigmoid": "logistic (one-hot Y)",
                    "identity": "identity"}[s["output"]]
        verdict = ("tie" if s["tie"] else "yes") if s["score_at_least_sklearn"] else "NO"
        lines.append(f"| {s['data']} | {'-'.join(map(str, s['hidden']))} {s['activation']} | {out_name} | "
                     f"{s['lam']:g} | "
                     f"{g['iterations']:g} / {k['iterations']:g} | {g['time_s']:.3f} s | {k['time_s']:.3f} s | "
                     f"{k['time_s'] / g['time_s']:.1f}× | {g['objective']:.6f} | {k['objective']:.6f} | {sc[0]} | "
                     f"{sc[1]} | {verdict} | {sc[2]}, objective "
                     f"{same['objective']:.6f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run every configuration over the seeds; write training.json and training.md."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.sklearn_training", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=11, help="seeds per configuration (default: %(default)s)")
    p.add_argument("--only", default=None, choices=("digits", "diabetes"), help="one data set only")
    p.add_argument("--out", default=str(RESULTS_DIR))
    args = p.parse_args(argv)
    from .env import collect_environment

    rows = []
    for cfg in CONFIGS:
        if args.only is not None and cfg[0] != args.only:
            continue
        for seed in range(args.seeds):
            rows.append(run_one(*cfg, seed=seed))
            print(json.dumps({k: rows[-1][k] for k in ("data", "activation", "output", "lam", "seed")}),
                  {w: round(rows[-1][w]["score"], 4) for w in WHO}, file=sys.stderr, flush=True)
    summary = _summary(rows)
    command = ("python -m benchmarks.sklearn_training " + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    env = collect_environment()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({"environment": env, "command": command, "summary": summary, "rows": rows}, f, indent=1)
    text = _md(summary, env, command)
    with open(os.path.join(args.out, "training.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
