"""``gradtrio train``: fit a network, print a summary, write the weights and pictures, check the gradient.

The output folder is checked before any work; the files are written atomically; Ctrl-C while training
saves the best weights so far and exits 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .argtypes import layer_sizes
from .check import debug_check, gradient_check
from .errors import EXIT_INTERRUPTED, EXIT_OF_VERDICT, memory_context
from .interrupts import defer_interrupts, restore_interrupts
from .paths import check_out_dir
from .progress import Progress, close_progress

#: Examples in the gradient check run after training: a handful suffices (the check compares
#: gradients of the same architecture, and its cost grows with m times the parameter count).
TRAIN_CHECK_EXAMPLES = 5
#: Training examples the trained weights are checked on after training ("the gradient of my trained
#: network"): a few, since the full check's cost grows with m times the parameter count.
TRAINED_CHECK_EXAMPLES = 20

#: Parameters up to which the check after training is the full three-way check
#: (:data:`gradtrio.check.DEFAULT_METHODS`: central differences and complex step over every parameter).
#: Above, both cost O(N) cost evaluations of O(N) work each, which grows to minutes at 64-200-200-10.
#: There the check compares backprop (vectorized and per-example loop) with JAX, and both with central
#: differences along random directions (O(1) evaluations): still three independent ways.
FULL_CHECK_MAX_PARAMS = 2000
CHEAP_CHECK_METHODS = ("backprop", "loop", "autodiff", "directional")

#: Fraction of the data held out by ``gradtrio train``, and assumed by ``gradtrio predict``.
DEFAULT_TEST_SIZE = 0.25

#: The embedded data sets of ``--dataset``: scikit-learn's digits (classification, the default) and its
#: diabetes data (regression, :func:`gradtrio.data.load_diabetes`).
DATASETS = ("digits", "diabetes")

WEIGHTS_NAME = "weights"
PICTURE_NAME = "hidden_units.png"
HISTORY_NAME = "cost_history.csv"
CURVE_NAME = "training_curve.png"

Labels = Literal["course", "stored"]


def check_methods(sizes: Sequence[int]) -> tuple[str, ...]:
    """The methods of the gradient check after training (see :data:`FULL_CHECK_MAX_PARAMS`)."""
    from ..check import DEFAULT_METHODS
    from ..network import num_params

    return tuple(DEFAULT_METHODS) if num_params(sizes) <= FULL_CHECK_MAX_PARAMS else CHEAP_CHECK_METHODS


def _describe_methods(methods: Sequence[str]) -> str:
    if "central" in methods:
        return "backprop vs JAX vs central differences and complex step"
    return "backprop vs JAX vs finite differences along 10 random directions"


#: How the summary names each curvature product.
CURVATURE_WORDS = {"hvp": "Hessian-vector products", "gvp": "Gauss-Newton-vector products"}


def check_curvature(args: argparse.Namespace) -> None:
    """Refuse ``--curvature`` with a method that uses the gradient only."""
    from ..train import SECOND_ORDER_METHODS

    if getattr(args, "curvature", None) is not None and args.method not in SECOND_ORDER_METHODS:
        raise ValueError(f"--curvature {args.curvature} is for --method {', '.join(SECOND_ORDER_METHODS)}; "
                         f"--method {args.method} uses the gradient only")


def check_test_size(test_size: float) -> None:
    """Refuse a ``--test-size`` that is not a fraction strictly between 0 and 1."""
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"--test-size must be a fraction strictly between 0 and 1; got {test_size}")


@dataclass
class _Run:
    """What ``gradtrio train`` works on, decided before training starts."""

    args: argparse.Namespace
    name: str
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    image_shape: tuple[int, int] | None
    order: str  # how one example unfolds into an image: "C" (digits) or "F" (course, MATLAB)
    hidden: list[int]
    sizes: tuple[int, ...]
    K: int
    weights_path: str
    labels: Labels
    activation: str | tuple[str, ...] = "sigmoid"
    output: str = "sigmoid"
    y_scale: float | None = None  # regression: the targets' standard deviation (gradtrio.data.Dataset)

    @property
    def regression(self) -> bool:
        return self.y_scale is not None

    @property
    def net(self) -> str:
        return "-".join(map(str, self.sizes))

    @property
    def curve_title(self) -> str:
        return f"training curve of {self.net}, λ={self.args.lam:g}, {self.args.method}"


def embedded_dataset(args: argparse.Namespace, test_size: float):
    """The embedded data set of ``--dataset`` (digits unless named), or None when ``--data`` gives a file."""
    from ..data import load_diabetes, load_digits

    if args.data is not None:
        if args.dataset is not None:
            raise ValueError(f"--dataset {args.dataset} names an embedded data set and --data gives a file: "
                             f"pass one of them")
        return None
    return load_diabetes(test_size) if args.dataset == "diabetes" else load_digits(test_size)


def _load_training_data(args: argparse.Namespace) -> tuple:
    """(name, X_train, y_train, X_test, y_test, image_shape, image_order, y_scale)."""
    from ..data import load_mat, split

    check_test_size(args.test_size)
    d = embedded_dataset(args, args.test_size)
    if d is not None:
        return d.name, d.X_train, d.y_train, d.X_test, d.y_test, d.image_shape, "C", d.y_scale
    X, y = load_mat(args.data, labels=args.labels or "course")
    X_train, X_test, y_train, y_test = split(X, y, args.test_size, name=args.data)
    # course images are stored column-major (MATLAB): unfold rows with order "F"
    return os.path.basename(args.data), X_train, y_train, X_test, y_test, None, "F", None


def check_units(args: argparse.Namespace, name: str, regression: bool, K: int) -> None:
    """Refuse an output that does not fit the data: a regression output on class labels, a classifier on
    real targets, a softmax over one class."""
    if args.output == "identity" and not regression:
        raise ValueError(f"--output identity fits real targets (squared error); {name} holds class labels: use "
                         f"--output sigmoid or softmax, or regress on --dataset diabetes")
    if args.output != "identity" and regression:
        raise ValueError(f"{name} holds real targets, not class labels: train it with --output identity "
                         f"(got --output {args.output})")
    if args.output == "softmax" and K < 2:
        raise ValueError(f"--output softmax needs at least 2 classes; {name} has only the label 0 (K = 1): "
                         f"use --output sigmoid for one binary output")


def _prepare(args: argparse.Namespace) -> _Run:
    """Check the options, the output folder and the data; create the folder. ``args.lam`` was
    validated by its argparse type and is used as it is."""
    from ..model import Architecture
    from ..model.validate import check_sizes
    from ..network import num_params
    from .check import unit_names

    if args.labels is not None and args.data is None:
        raise ValueError("--labels applies to a --data file; the embedded data sets are labelled already")
    check_curvature(args)
    weights_name = f"{WEIGHTS_NAME}.{args.format}"
    check_out_dir("--out", args.out, (weights_name, HISTORY_NAME, CURVE_NAME, PICTURE_NAME))
    hidden = layer_sizes(args.hidden)
    name, X_train, y_train, X_test, y_test, image_shape, order, y_scale = _load_training_data(args)
    regression = y_scale is not None
    K = 1 if regression else int(max(y_train.max(), y_test.max())) + 1
    check_units(args, name, regression, K)
    sizes = check_sizes((X_train.shape[1], *hidden, K))
    activation = unit_names(args.activation)
    try:
        Architecture(sizes, activation, args.output)
    except ValueError as exc:
        raise ValueError(f"--activation: {exc} (one name for every hidden layer, or one per --hidden size)") from None
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise OSError(f"--out {args.out}: cannot create the folder ({exc.strerror or exc})") from None
    labels: Labels = ("course" if (args.format == "mat" and K == 10 and args.labels != "stored" and not regression)
                      else "stored")
    run = _Run(args, name, X_train, y_train, X_test, y_test, image_shape, order, hidden, sizes, K,
               os.path.join(args.out, weights_name), labels, activation, args.output, y_scale)
    n = num_params(sizes)
    memory_context["what"] = f"the network {run.net} ({n} parameters, {n * 8 / 2**30:.3g} GiB per copy of its weights)"
    return run


def _fit(run: _Run):
    """Train, with a progress bar; raises :class:`gradtrio.train.TrainingInterrupted` on Ctrl-C."""
    from ..network import num_params
    from ..train import train

    args = run.args
    acts = (run.activation,) if isinstance(run.activation, str) else run.activation
    units = "" if (set(acts) <= {"sigmoid"} and run.output == "sigmoid") else \
        f" ({'/'.join(acts)} hidden units, {run.output} output)"
    print(f"gradtrio train: {run.name}: {len(run.y_train)} train / {len(run.y_test)} test examples; network "
          f"{run.net}{units} ({num_params(run.sizes)} parameters); λ = {args.lam:g}; "
          f"{args.method}{_curvature_words(args)}, {args.backend} backend, seed {args.seed}", flush=True)
    # --maxiter 0 evaluates the initial weights only: nothing to show progress of
    progress = Progress(args.maxiter, desc="iteration") if args.maxiter > 0 else None
    try:
        # the jax backend: Ctrl-C held back during JAX calls, raised by the progress at the next iteration
        defer_interrupts(args.backend == "jax" and progress is not None)
        try:
            return train(run.X_train, run.y_train, hidden=run.hidden, lam=args.lam, maxiter=args.maxiter,
                         method=args.method, seed=args.seed, backend=args.backend, callback=progress,
                         num_labels=run.K, activation=run.activation, output=run.output,
                         curvature=getattr(args, "curvature", None))
        finally:
            restore_interrupts()
    finally:
        if progress is not None:
            progress.close()


def _curvature_words(args: argparse.Namespace) -> str:
    """`` (Hessian-vector products)`` after a second-order method's name; empty for the others."""
    from ..train import DEFAULT_CURVATURE

    if args.method not in DEFAULT_CURVATURE:
        return ""
    return f" ({CURVATURE_WORDS[getattr(args, 'curvature', None) or DEFAULT_CURVATURE[args.method]]})"


def _evaluations(result) -> str:
    """The summary's count of evaluations: cost-and-gradient ones, and curvature products if any."""
    text = f"{result.function_evals} cost evaluations"
    if result.curvature is not None:
        text += f", {result.hessp_evals} {CURVATURE_WORDS[result.curvature]}"
    return text


def _save_run(run: _Run, result, title: str) -> dict[str, str]:
    """Write the weights, the cost history (CSV) and the training curve (PNG): name → path."""
    from ..data import save_cost_history, save_weights
    from ..plots import save_training_curve

    out = run.args.out
    return {
        "weights": save_weights(run.weights_path, result.thetas, labels=run.labels, **result.units),
        "cost history": save_cost_history(os.path.join(out, HISTORY_NAME), result.cost_history),
        "training curve": save_training_curve(os.path.join(out, CURVE_NAME), result.cost_history,
                                              title=title),
    }


def _hidden_units(run: _Run, result) -> str:
    """Draw the hidden units; the path, or why they were not drawn."""
    from ..plots import save_hidden_units

    try:
        return save_hidden_units(os.path.join(run.args.out, PICTURE_NAME), result.thetas, run.image_shape,
                                 run.order, title=f"hidden units of {run.net}, λ={run.args.lam:g}")
    except ValueError as exc:  # inputs that are not square images: the library's hint names a keyword
        reason = str(exc).split(";")[0]  # the command line has no image_shape option to suggest
        return f"not drawn ({reason}: the picture shows each hidden unit's input weights as an image)"


def _check_after_training(run: _Run, result, saved: dict[str, str]) -> tuple[list, list, list] | None:
    """The gradient check of the architecture (debug problem) and of the trained weights:
    (summary rows, reports, verdicts), or None when Ctrl-C stopped it (the message is printed)."""
    from ..check import compare_gradients
    from ..network import num_params, one_hot

    lam = run.args.lam
    methods = check_methods(run.sizes)
    m_trained = min(TRAINED_CHECK_EXAMPLES, len(run.y_train))
    X_chk = run.X_train[:m_trained]
    if run.regression:
        Y_chk = run.y_train[:m_trained].reshape(m_trained, -1)
    else:
        Y_chk = one_hot(run.y_train[:m_trained], run.K, dtype=run.X_train.dtype)
    def trained(**kw):
        return compare_gradients(result.thetas, X_chk, Y_chk, lam, activation=run.activation, output=run.output,
                                 **kw)

    checks = [("gradient check", f"debug problem, m = {TRAIN_CHECK_EXAMPLES}",
               debug_check(run.sizes, lam, TRAIN_CHECK_EXAMPLES, activation=run.activation, output=run.output)),
              ("trained weights", f"the trained weights on {m_trained} training examples", trained)]
    print(f"gradient check: {_describe_methods(methods)} on {num_params(run.sizes)} parameters ({run.net}): "
          f"the debug problem, then the trained weights...", file=sys.stderr, flush=True)
    rows, reports, verdicts = [], [], []
    for label, what, check in checks:
        try:
            report, verdict = gradient_check(check, methods, show_progress=True)
        except KeyboardInterrupt:
            close_progress()
            print(f"gradtrio: gradient check interrupted; the trained weights were already saved to "
                  f"{saved['weights']}", file=sys.stderr, flush=True)
            return None
        word = {"pass": "passed", "fail": "FAILED", "inconclusive": "INCONCLUSIVE"}[verdict]
        rows.append((label, f"{word} ({_describe_methods(methods)}, {what}, λ = {lam:g})"))
        reports.append(report)
        verdicts.append(verdict)
    return rows, reports, verdicts


def score_rows(run: _Run, result) -> list[tuple[str, str]]:
    """Accuracy on both splits for a classifier; R² on both and the test RMSE for a regression."""
    from ..train import accuracy, r2_score, rmse

    if not run.regression:
        return [("train accuracy", f"{100 * accuracy(result.thetas, run.X_train, run.y_train, **result.units):.2f} %"),
                ("test accuracy", f"{100 * accuracy(result.thetas, run.X_test, run.y_test, **result.units):.2f} %")]
    e = rmse(result.thetas, run.X_test, run.y_test, **result.units)
    return [("train R²", f"{r2_score(result.thetas, run.X_train, run.y_train, **result.units):.4f}"),
            ("test R²", f"{r2_score(result.thetas, run.X_test, run.y_test, **result.units):.4f}"),
            ("test RMSE", f"{e * (run.y_scale or 1.0):.4g} in the target's units ({e:.4f} standardized)")]


def cmd_train(args: argparse.Namespace) -> int:
    """``gradtrio train``: the exit code is the verdict of the gradient check after training."""
    from ..tolerances import verdict_of
    from ..train import TrainingInterrupted

    run = _prepare(args)
    try:
        result = _fit(run)
    except TrainingInterrupted as stop:
        r = stop.result
        saved = _save_run(run, r, run.curve_title + " (interrupted)")
        print(f"gradtrio: interrupted after {r.iterations} iterations; best weights so far "
              f"(cost {r.final_cost:.6f}) saved to {saved['weights']} (the cost history and the training "
              f"curve beside it)", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    saved = _save_run(run, result, run.curve_title)
    picture = _hidden_units(run, result)
    rows = [
        ("iterations", f"{result.iterations} ({_evaluations(result)}; {result.message})"),
        ("time", f"{result.wall_time:.3f} s"),
        ("final cost", f"{result.final_cost:.6f}"),
        *score_rows(run, result),
    ]
    reports, verdicts = [], []
    if not args.no_check:
        checked = _check_after_training(run, result, saved)
        if checked is None:
            return EXIT_INTERRUPTED
        rows += checked[0]
        reports, verdicts = checked[1], checked[2]
    rows += list(saved.items())
    rows.append(("hidden units", picture))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for report in reports:
        print()
        print(report)
    return EXIT_OF_VERDICT[verdict_of(verdicts)]
