"""The ``gradtrio`` command: ``train``, ``check``, ``predict`` and ``mutants``.

- ``gradtrio train`` fits a network (the embedded digits by default), shows a progress bar with the
  current cost on stderr, prints a summary (iterations, time, final cost, train and test accuracy,
  the three-way gradient check of the trained architecture) and writes the weights and a PNG of the
  hidden units, atomically, into the output directory.
- ``gradtrio check`` runs the three-way gradient check on the course's debug network or given sizes.
- ``gradtrio predict`` applies saved weights to data: accuracy, and predictions to a file on request.
- ``gradtrio mutants`` measures which checker catches which classic backprop bug
  (:mod:`gradtrio.mutants`).

Exit codes: 0 success; 1 a gradient check failed; 2 bad input (one line on stderr, no traceback);
130 interrupted by Ctrl-C (after saving the best weights so far, when training).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn, TextIO

import numpy as np

__all__ = ["main", "build_parser", "Progress"]

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Examples in the gradient check run after training: a handful suffices (the check compares
#: gradients of the same architecture, and its cost grows with m times the parameter count).
TRAIN_CHECK_EXAMPLES = 5

#: Parameters up to which the check after training is the full three-way check (central differences
#: and complex step over every parameter, ~1 s at 64-25-10's 1885). Above, both cost O(N) cost
#: evaluations of O(N) work each: 18 s at 400-25-10, minutes at 64-200-200-10. There the check compares
#: backprop (vectorized and per-example loop) with JAX, and both with central differences along
#: random directions (O(1) evaluations): still three independent ways, in well under a second.
FULL_CHECK_MAX_PARAMS = 2000
FULL_CHECK_METHODS = ("backprop", "loop", "autodiff", "central", "complex")
CHEAP_CHECK_METHODS = ("backprop", "loop", "autodiff", "directional")

#: Fraction of the data held out by ``gradtrio train``, and assumed by ``gradtrio predict``.
DEFAULT_TEST_SIZE = 0.25

WEIGHTS_NAME = "weights"
PICTURE_NAME = "hidden_units.png"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (``gradtrio: error: ...``) and exits 2."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see '{self.prog} --help')")


def _fail(message: str) -> NoReturn:
    print(f"gradtrio: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


class Progress:
    """A progress bar with the current cost, on stderr, with no third-party dependency.

    On a terminal it redraws one line (at most every ``interval`` seconds, and on the last
    iteration); elsewhere (CI, a pipe) it prints a plain line at iteration 0, each tenth of the
    way, and whenever ``plain_interval`` seconds have passed since the last line, so logs stay
    short yet a long run keeps showing signs of life. :meth:`close` always shows the last
    iteration reached (a run that stops early included).

    Parameters
    ----------
    total : int
        The most iterations.
    stream : text file, default sys.stderr
    interval : float, default 0.1
        Seconds between redraws on a terminal.
    plain_interval : float, default 2.0
        Most seconds between two plain lines elsewhere.
    """

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None, interval: float = 0.1,
                 plain_interval: float = 2.0):
        self.total = max(int(total), 1)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.plain_interval = plain_interval
        self.start = time.perf_counter()
        self._last_draw = -np.inf
        self._step = max(1, self.total // 10)
        self._drawn: int | None = None  # the iteration last drawn on the terminal
        self._last: tuple[int, float] | None = None

    def __call__(self, iteration: int, cost: float, *, force: bool = False) -> None:
        elapsed = time.perf_counter() - self.start
        self._last = (iteration, cost)
        if self.tty:
            now = time.perf_counter()
            if now - self._last_draw < self.interval and iteration < self.total and not force:
                return
            self._last_draw = now
            filled = int(self.WIDTH * min(iteration, self.total) / self.total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r  [{bar}] {iteration:>{len(str(self.total))}}/{self.total}"
                              f"  cost {cost:.6f}  {elapsed:5.1f} s")
            self._drawn = iteration
        else:
            now = time.perf_counter()
            if not (force or iteration % self._step == 0 or iteration == self.total
                    or now - self._last_draw >= self.plain_interval):
                return
            self._last_draw = now
            self.stream.write(f"  iteration {iteration}/{self.total}  cost {cost:.6f}  {elapsed:.2f} s\n")
            self._drawn = iteration
        self.stream.flush()

    def close(self) -> None:
        """Show the last iteration if it was not shown, and end the bar's line (terminal only)."""
        if self._last is not None and self._drawn != self._last[0]:
            self(*self._last, force=True)
        if self.tty and self._drawn is not None:
            self.stream.write("\n")
            self.stream.flush()


# --- argument types -----------------------------------------------------------------------------

def _int_at_least(low: int):
    """An argparse type: an integer >= ``low``."""
    what = "a positive integer" if low == 1 else f"an integer >= {low}"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"expected {what}; got {v}")
        return v

    return parse


_positive_int, _nonneg_int = _int_at_least(1), _int_at_least(0)


def _lam(text: str) -> float:
    from ._validate import check_lam

    try:
        return check_lam(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"λ must be a finite number >= 0; got {text!r}") from None


def _sizes(values: Sequence[str]) -> list[int]:
    """Layer sizes from ``25 25`` as well as ``25,25``; the library checks that they are >= 1."""
    out = []
    for part in (p for v in values for p in str(v).replace(",", " ").split()):
        try:
            out.append(int(part))
        except ValueError:
            raise ValueError(f"layer sizes must be integers; got {part!r}") from None
    return out


def build_parser(mutants_module=None) -> argparse.ArgumentParser:
    """The argument parser. ``mutants_module``, when given, adds its own ``mutants`` options."""
    from .train import BACKENDS, METHODS

    p = _Parser(prog="gradtrio", description="Train sigmoid networks and prove that hand-written "
                "backprop, JAX autodiff and finite differences agree.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"gradtrio {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{train,check,predict,mutants}", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train", help="train a network (the embedded digits by default)",
                       description="Train a network; print a summary; write the weights and a picture "
                       "of the hidden units.")
    t.add_argument("--data", metavar="FILE.mat", help="a course-format data file (X m×n, y m×1 with "
                   "1..10); default: the embedded 8×8 digits")
    t.add_argument("--labels", choices=("course", "stored"), default=None,
                   help="with --data: course: y 1..10 become the digits 0..9 (10 is 0); stored: keep y "
                   "as is (default: course)")
    t.add_argument("--test-size", type=float, default=DEFAULT_TEST_SIZE, metavar="F",
                   help="fraction held out for testing, stratified (default: %(default)s)")
    t.add_argument("--hidden", nargs="+", default=["25"], metavar="N",
                   help="hidden-layer sizes, e.g. --hidden 25 or --hidden 50 25 (default: 25)")
    t.add_argument("--lam", type=_lam, default=1.0, metavar="λ",
                   help="regularization λ >= 0 (default: %(default)s)")
    t.add_argument("--maxiter", type=_nonneg_int, default=100, help="most iterations (default: %(default)s)")
    t.add_argument("--method", choices=METHODS, default="L-BFGS-B",
                   help="scipy optimizer (default: %(default)s)")
    t.add_argument("--backend", choices=BACKENDS, default="numpy",
                   help="numpy: hand-written backprop; jax: jax.grad (default: %(default)s)")
    t.add_argument("--seed", type=_nonneg_int, default=0,
                   help="seed of the initial weights; the train/test split is fixed (default: %(default)s)")
    t.add_argument("--out", default="gradtrio-out", metavar="DIR",
                   help="output directory, created if needed (default: ./%(default)s/)")
    t.add_argument("--format", choices=("npz", "mat"), default="npz",
                   help="weights file format: .npz or the course's .mat (default: %(default)s)")
    t.add_argument("--no-check", action="store_true", help="skip the gradient check after training")

    c = sub.add_parser("check", help="three-way gradient check (backprop, JAX, finite differences)",
                       description="Compare the gradients of hand-written backprop, JAX autodiff and "
                       "finite differences on the course's debug network (3-5-3) or given sizes.")
    c.add_argument("--sizes", nargs="+", default=["3", "5", "3"], metavar="N",
                   help="layer sizes, inputs first (default: 3 5 3, the course's checkNNGradients)")
    c.add_argument("--lam", type=_lam, default=0.0, metavar="λ",
                   help="regularization λ (default: %(default)s)")
    c.add_argument("-m", "--examples", type=_positive_int, default=5, dest="m",
                   help="examples in the debug problem (default: %(default)s)")
    c.add_argument("--seed", type=_nonneg_int, default=0,
                   help="seed of random directions (default: %(default)s)")
    c.add_argument("--dtype", choices=("float64", "float32"), default="float64")

    r = sub.add_parser("predict", help="apply saved weights to data: accuracy, predictions",
                       description="Predict with saved weights; print the accuracy.")
    r.add_argument("weights", metavar="WEIGHTS", help="a .npz or course .mat weights file")
    r.add_argument("--data", metavar="FILE.mat", help="a course-format data file; default: the embedded "
                   "digits' test split")
    r.add_argument("--labels", choices=("course", "stored"), default=None,
                   help="with --data: label convention of the data file (default: course); .mat "
                   "weights written by gradtrio record their own")
    r.add_argument("--test-size", type=float, default=None, metavar="F",
                   help="without --data: the fraction of the embedded digits held out, as given to "
                   f"'gradtrio train' (default: {DEFAULT_TEST_SIZE})")
    r.add_argument("--output", metavar="FILE", help="write the predicted labels there, one per line")

    mu = sub.add_parser("mutants", help="which checker catches which classic backprop bug",
                        description="Run the catalog of classic backprop bugs against every checker.")
    if mutants_module is not None:
        mutants_module.add_cli_arguments(mu)
    return p


# --- subcommands --------------------------------------------------------------------------------

def _split(X: np.ndarray, y: np.ndarray, test_size: float, name: str = "the data"):
    """Seeded train/test split, stratified when every label can be in both parts."""
    import math

    from sklearn.model_selection import train_test_split

    from .data import DIGITS_SPLIT_SEED
    m = len(y)
    n_test = math.ceil(test_size * m)  # scikit-learn's rounding
    if m < 2 or n_test >= m:
        raise ValueError(f"{name} has {m} example{'s' if m != 1 else ''}: too few to hold out "
                         f"--test-size {test_size:g} for testing and keep some for training")
    _, counts = np.unique(y, return_counts=True)  # not bincount: its size is the largest label
    # stratifying needs two of each label and room for every label in both parts
    can_stratify = counts.min() >= 2 and min(n_test, m - n_test) >= len(counts)
    return train_test_split(X, y, test_size=test_size, stratify=y if can_stratify else None,
                            random_state=DIGITS_SPLIT_SEED)


def _load_training_data(args):
    """(name, X_train, y_train, X_test, y_test, image_shape, image_order)."""
    from .data import load_digits, load_mat

    _check_test_size(args.test_size)
    if args.data is None:
        d = load_digits(args.test_size)
        return d.name, d.X_train, d.y_train, d.X_test, d.y_test, d.image_shape, "C"
    X, y = load_mat(args.data, labels=args.labels or "course")
    X_train, X_test, y_train, y_test = _split(X, y, args.test_size, args.data)
    # course images are stored column-major (MATLAB): unfold rows with order "F"
    return os.path.basename(args.data), X_train, y_train, X_test, y_test, None, "F"


def _check_test_size(test_size: float) -> None:
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"--test-size must be a fraction strictly between 0 and 1; got {test_size}")


def _check_labels_option(args) -> None:
    if args.labels is not None and args.data is None:
        raise ValueError("--labels applies to a --data file; the embedded digits are labelled 0..9 already")


def check_methods(sizes: Sequence[int]) -> tuple[str, ...]:
    """The methods of the gradient check after training (see :data:`FULL_CHECK_MAX_PARAMS`)."""
    from .network import num_params

    return FULL_CHECK_METHODS if num_params(sizes) <= FULL_CHECK_MAX_PARAMS else CHEAP_CHECK_METHODS


def _describe_methods(methods: Sequence[str]) -> str:
    if "central" in methods:
        return "backprop vs JAX vs central differences and complex step"
    return "backprop vs JAX vs finite differences along 10 random directions"


def _gradient_check(sizes, lam: float, m: int, seed: int = 0, dtype=np.float64, methods=None):
    """(report, passed) of gradtrio.check, or (one-line reason, None) when it is unavailable."""
    try:
        from .check import DEFAULT_METHODS, check_gradients
    except ImportError as exc:
        return f"unavailable ({exc})", None
    report = check_gradients(tuple(sizes), lam=lam, m=m, seed=seed, dtype=dtype,
                             methods=DEFAULT_METHODS if methods is None else methods)
    return str(report), bool(report.passed)


def _cmd_train(args) -> int:
    from ._validate import check_lam, check_sizes
    from .data import save_weights
    from .network import num_params
    from .train import TrainingInterrupted, accuracy, train

    _check_labels_option(args)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out must be a folder; {args.out} is a file")
    hidden = _sizes(args.hidden)
    name, X_train, y_train, X_test, y_test, image_shape, order = _load_training_data(args)
    K = int(max(y_train.max(), y_test.max())) + 1
    sizes = check_sizes((X_train.shape[1], *hidden, K))
    check_lam(args.lam)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise OSError(f"--out {args.out}: cannot create the folder ({exc.strerror or exc})") from None
    weights_path = os.path.join(args.out, f"{WEIGHTS_NAME}.{args.format}")
    labels = "course" if (args.format == "mat" and K == 10 and args.labels != "stored") else "stored"
    _memory_context["what"] = (f"the network {'-'.join(map(str, sizes))} ({num_params(sizes)} parameters, "
                               f"{num_params(sizes) * 8 / 2**30:.3g} GiB per copy of its weights)")

    print(f"gradtrio train: {name}: {len(y_train)} train / {len(y_test)} test examples; network "
          f"{'-'.join(map(str, sizes))} ({num_params(sizes)} parameters); λ = {args.lam:g}; "
          f"{args.method}, {args.backend} backend, seed {args.seed}", flush=True)
    progress = Progress(args.maxiter)
    try:
        result = train(X_train, y_train, hidden=hidden, lam=args.lam, maxiter=args.maxiter,
                       method=args.method, seed=args.seed, backend=args.backend, callback=progress,
                       num_labels=K)
    except TrainingInterrupted as stop:
        progress.close()
        r = stop.result
        path = save_weights(weights_path, r.thetas, labels=labels)
        print(f"gradtrio: interrupted after {r.iterations} iterations; best weights so far "
              f"(cost {r.final_cost:.6f}) saved to {path}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    progress.close()

    path = save_weights(weights_path, result.thetas, labels=labels)
    picture, picture_note = None, ""
    try:
        from .plots import save_hidden_units

        picture = save_hidden_units(os.path.join(args.out, PICTURE_NAME), result.thetas, image_shape, order,
                                    title=f"hidden units of {'-'.join(map(str, sizes))}, λ={args.lam:g}")
    except ValueError as exc:  # inputs that are not square images
        picture_note = f"not drawn ({exc})"
    rows = [
        ("iterations", f"{result.iterations} ({result.function_evals} cost evaluations; {result.message})"),
        ("time", f"{result.wall_time:.3f} s"),
        ("final cost", f"{result.final_cost:.6f}"),
        ("train accuracy", f"{100 * accuracy(result.thetas, X_train, y_train):.2f} %"),
        ("test accuracy", f"{100 * accuracy(result.thetas, X_test, y_test):.2f} %"),
    ]
    passed = True
    report = None
    if not args.no_check:
        methods = check_methods(sizes)
        print(f"gradient check: {_describe_methods(methods)} on {num_params(sizes)} parameters "
              f"({'-'.join(map(str, sizes))}, m = {TRAIN_CHECK_EXAMPLES})...", file=sys.stderr, flush=True)
        try:
            report, passed = _gradient_check(sizes, args.lam, TRAIN_CHECK_EXAMPLES, methods=methods)
        except KeyboardInterrupt:
            print(f"\ngradtrio: gradient check interrupted; the trained weights were already saved to "
                  f"{path}", file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED
        what = (f"({_describe_methods(methods)}, {'-'.join(map(str, sizes))}, λ = {args.lam:g}, "
                f"m = {TRAIN_CHECK_EXAMPLES})")
        verdict = report if passed is None else f"{'passed' if passed else 'FAILED'} {what}"
        rows.append(("gradient check", verdict))
    rows.append(("weights", path))
    rows.append(("hidden units", picture if picture else picture_note))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    if report is not None and passed is not None:
        print()
        print(report)
    return EXIT_OK if passed is not False else EXIT_CHECK_FAILED


def _cmd_check(args) -> int:
    from ._validate import check_sizes

    sizes = check_sizes(tuple(_sizes(args.sizes)))
    report, passed = _gradient_check(sizes, args.lam, args.m, args.seed, np.dtype(args.dtype))
    if passed is None:
        _fail(f"gradient check {report}")
    print(report)
    return EXIT_OK if passed else EXIT_CHECK_FAILED


def _cmd_predict(args) -> int:
    from .data import atomic_write, load_digits, load_mat, load_weights
    from .train import accuracy, predict

    _check_labels_option(args)
    if args.test_size is not None:
        if args.data is not None:
            raise ValueError("--test-size applies to the embedded digits; with --data every example "
                             "of the file is predicted")
        _check_test_size(args.test_size)
    if args.output is not None:
        _check_output_path(args.output)
    thetas = load_weights(args.weights)  # .mat files written by gradtrio record their label order
    if args.data is None:
        test_size = DEFAULT_TEST_SIZE if args.test_size is None else args.test_size
        d = load_digits(test_size)
        X, y, name = d.X_test, d.y_test, f"{d.name}, test split {test_size:g}"
    else:
        X, y = load_mat(args.data, labels=args.labels or "course")
        name = os.path.basename(args.data)
    n_in = thetas[0].shape[1] - 1
    if X.shape[1] != n_in:
        raise ValueError(f"the weights in {args.weights} take {n_in} inputs but {name} has {X.shape[1]} "
                         f"features per example")
    K = thetas[-1].shape[0]
    if y.max() >= K:
        raise ValueError(f"the weights in {args.weights} have {K} output units (labels 0..{K - 1}) but "
                         f"{name} has labels up to {int(y.max())}: they were trained for other labels")
    pred = predict(thetas, X)
    print(f"accuracy  {100 * accuracy(thetas, X, y):.2f} %  ({len(y)} examples of {name})")
    if args.output:
        text = "".join(f"{int(p)}\n" for p in pred).encode()
        print(f"predictions  {atomic_write(args.output, lambda f: f.write(text))}")
    return EXIT_OK


def _check_output_path(path: str) -> None:
    """Refuse an --output that cannot be written, before any work, naming the option."""
    if os.path.isdir(path):
        raise ValueError(f"--output must be a file name; {path} is a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"--output {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"--output {path}: the folder {parent} is not writable")


#: What ``gradtrio train`` is about to allocate, for the message of a MemoryError.
_memory_context: dict[str, str] = {}


def _cli_message(exc: BaseException) -> str:
    """The library's message, with its Python spellings of options turned into the CLI's."""
    text = " ".join(str(exc).split())
    return text.replace("labels='stored'", "--labels stored").replace("labels='course'", "--labels course")


def _first_positional(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gradtrio`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code (see the module docstring).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    _memory_context.clear()
    try:
        mutants = None
        if _first_positional(argv) == "mutants":
            try:
                mutants = importlib.import_module("gradtrio.mutants")
            except ImportError as exc:
                _fail(f"the mutants subcommand is unavailable: gradtrio.mutants could not be imported "
                      f"({exc})")
            if not (hasattr(mutants, "add_cli_arguments") and hasattr(mutants, "run_from_cli")):
                _fail("the mutants subcommand is unavailable: gradtrio.mutants has no add_cli_arguments/"
                      "run_from_cli")
        args = build_parser(mutants).parse_args(argv)
        if args.command == "train":
            return _cmd_train(args)
        if args.command == "check":
            return _cmd_check(args)
        if args.command == "predict":
            return _cmd_predict(args)
        return int(mutants.run_from_cli(args))
    except SystemExit as exc:  # argparse's --help/--version (0) and our one-line errors (2)
        if isinstance(exc.code, str):  # SystemExit("message") from a subcommand: say it, in one line
            print(f"gradtrio: error: {' '.join(exc.code.split())}", file=sys.stderr)
            return EXIT_USAGE
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except (ValueError, TypeError, OSError) as exc:
        print(f"gradtrio: error: {_cli_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as exc:
        what = _memory_context.get("what", "the data or the network")
        detail = f" ({_cli_message(exc)})" if str(exc) else ""
        print(f"gradtrio: error: out of memory: {what} is too big for this machine{detail}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ngradtrio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
