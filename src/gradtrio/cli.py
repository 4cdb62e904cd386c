"""The ``gradtrio`` command: ``train``, ``check``, ``predict`` and ``mutants``.

- ``gradtrio train`` fits a network (the embedded digits by default), shows its progress with the
  current cost on stderr, prints a summary (iterations, time, final cost, train and test accuracy,
  the three-way gradient check of the trained architecture) and writes the weights, the cost
  history (CSV), a PNG of the training curve and one of the hidden units, atomically, into the
  output directory, which is checked before any work.
- ``gradtrio check`` runs the three-way gradient check on the course's debug network or given sizes
  (``--methods``, ``--json``).
- ``gradtrio predict`` applies saved weights to data: accuracy, and predictions to a file on request.
- ``gradtrio mutants`` measures which checker catches which classic backprop bug
  (:mod:`gradtrio.mutants`).

Exit codes: 0 success; 1 a gradient check failed; 2 bad input (one line on stderr, no traceback);
3 a gradient check was inconclusive (no entry beyond its measured bound, but the bounds too coarse to
see a bug of the size asked for: the report says what would resolve it); 130 interrupted by Ctrl-C
(after saving the best weights so far, when training), at any moment: NumPy, SciPy and JAX are
imported inside :func:`main`, after its Ctrl-C handling is in place, never at the import of this module.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, NoReturn, TextIO

__all__ = ["main", "build_parser", "Progress"]

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: The exit code of each verdict of a gradient check.
EXIT_OF_VERDICT = {"pass": EXIT_OK, "fail": EXIT_CHECK_FAILED, "inconclusive": EXIT_INCONCLUSIVE}

#: Examples in the gradient check run after training: a handful suffices (the check compares
#: gradients of the same architecture, and its cost grows with m times the parameter count).
TRAIN_CHECK_EXAMPLES = 5
#: Training examples the trained weights are checked on after training ("the gradient of my trained
#: network"): a few, so that the full check stays about a second at the digits size.
TRAINED_CHECK_EXAMPLES = 20

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
HISTORY_NAME = "cost_history.csv"
CURVE_NAME = "training_curve.png"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (``gradtrio: error: ...``) and exits 2."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see '{self.prog} --help')")


def _fail(message: str) -> NoReturn:
    print(f"gradtrio: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


class Progress:
    """Progress of a long operation on stderr, with a rate and an estimate of the time left.

    On a terminal it is a :mod:`tqdm` bar that redraws one line. Elsewhere (CI, a pipe, a log file)
    a redrawn line would garble the log, so it prints plain lines, formatted by tqdm too: at the
    start, at each tenth of the way, whenever ``plain_interval`` seconds have passed since the last
    line, and at the end. :meth:`close` always shows the last step reached (a run that stops early
    included). Only progress goes to stderr this way; reports go to stdout.

    Parameters
    ----------
    total : int
        The number of steps (iterations, methods, checks).
    desc : str, default "iteration"
        What a step is, shown before the count.
    unit : str, default "it"
        The unit of the rate (``it/s``, ``s/method``).
    stream : text file, default sys.stderr
    plain_interval : float, default 2.0
        Most seconds between two plain lines when ``stream`` is not a terminal.
    tty : bool, optional
        Draw a terminal bar; by default ``stream.isatty()``.
    """

    PLAIN_FORMAT = "{desc} {n_fmt}/{total_fmt}{postfix}  {elapsed} elapsed, {remaining} left, {rate_fmt}"

    def __init__(self, total: int, desc: str = "iteration", unit: str = "it", stream: TextIO | None = None,
                 plain_interval: float = 2.0, tty: bool | None = None):
        self.total = max(int(total), 0)
        self.desc = desc
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.plain_interval = plain_interval
        self.start = time.perf_counter()
        self.n = 0
        self.postfix = ""
        self._shown: int | None = None  # the step of the last plain line
        self._last_line = -float("inf")
        self._step = max(1, self.total // 10)
        self._bar = None
        self._updated = False
        self.closed = False
        if self.tty:
            from tqdm import tqdm

            # a terminal that reports no size (0 × 0: some ptys) would get no bar at all from tqdm
            try:
                size = os.get_terminal_size(self.stream.fileno())
                sized = size.columns > 0 and size.lines > 0
            except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
                sized = False
            self._bar = tqdm(total=self.total, desc=f"  {desc}", unit=unit, file=self.stream, mininterval=0.1,
                             dynamic_ncols=sized, ncols=None if sized else 100, nrows=None if sized else 24,
                             leave=True)
        _active_progress.append(self)

    def update(self, n: int, postfix: str = "", *, force: bool = False) -> None:
        """Move to step ``n`` (absolute), with ``postfix`` (e.g. the current cost) after the count.

        Raises KeyboardInterrupt here if a Ctrl-C was swallowed meanwhile (see :func:`main`)."""
        if _pending_interrupt:
            _pending_interrupt.clear()
            raise KeyboardInterrupt
        if self.closed:
            return
        previous, self.n, self.postfix, self._updated = self.n, int(n), postfix, True
        if self._bar is not None:
            self._bar.set_postfix_str(postfix, refresh=False)
            self._bar.update(self.n - previous)
            if force:
                self._bar.refresh()
            return
        now = time.perf_counter()
        crossed_a_tenth = self.n // self._step > (self._shown or 0) // self._step
        if (force or self.n == 0 or self.n == self.total or crossed_a_tenth
                or now - self._last_line >= self.plain_interval):
            self._last_line = now
            self._shown = self.n
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def __call__(self, iteration: int, cost: float) -> None:
        """The callback of :func:`gradtrio.train.train`: ``(iteration, cost)``."""
        self.update(iteration, f"cost {cost:.6f}")

    def line(self) -> str:
        """The plain line for the current step."""
        from tqdm import tqdm

        elapsed = time.perf_counter() - self.start
        return tqdm.format_meter(self.n, self.total, elapsed, prefix=f"  {self.desc}", unit=self.unit,
                                 bar_format=self.PLAIN_FORMAT, postfix=self.postfix or None)

    def close(self) -> None:
        """Show the last step reached if it was not shown, and end the bar's line (terminal only)."""
        if self.closed:
            return
        self.closed = True
        if self._bar is not None:
            if not self._updated:  # nothing happened: leave no empty bar behind
                self._bar.leave = False
            self._bar.close()
        elif self._shown != self.n and self._updated:
            self.closed = False
            self.update(self.n, self.postfix, force=True)
            self.closed = True
        if self in _active_progress:
            _active_progress.remove(self)


#: Bars drawn now: closed before an error or interrupt message, so that it starts on its own line.
_active_progress: list[Progress] = []


def _close_progress() -> None:
    for bar in list(_active_progress):
        try:
            bar.close()
        except Exception:  # a broken stderr must not hide the message that follows
            pass


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


def _fraction(text: str) -> float:
    """A relative size strictly between 0 and 1 (``--bug-size``)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, such as 0.05; got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction strictly between 0 and 1, such as 0.05; got {v:g}")
    return v


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
    from .check import DEFAULT_METHODS as default_methods
    from .check import KNOWN_METHODS as known_methods
    from .train import BACKENDS, METHODS

    p = _Parser(prog="gradtrio", description="Train sigmoid networks and prove that hand-written "
                "backprop, JAX autodiff and finite differences agree.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"gradtrio {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{train,check,predict,mutants}", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train", help="train a network (the embedded digits by default)",
                       description="Train a network; print a summary; write the weights, the cost "
                       f"history ({HISTORY_NAME}), the training curve ({CURVE_NAME}) and a picture of the "
                       f"hidden units ({PICTURE_NAME}) into --out.")
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
    c.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                   help=f"methods to compare, the first the reference (from: {', '.join(known_methods)}; "
                   f"default: {' '.join(default_methods)})")
    c.add_argument("--bug-size", type=_fraction, default=None, metavar="R",
                   help="relative size of a wrong entry the check must be able to see (default 0.05: 5%% of "
                   "a layer's largest entry); coarser bounds give 'inconclusive', exit code 3")
    c.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")

    r = sub.add_parser("predict", help="apply saved weights to data: accuracy, predictions",
                       description="Predict with saved weights; print the accuracy.")
    r.add_argument("weights", metavar="WEIGHTS", help="a .npz or course .mat weights file")
    r.add_argument("--data", metavar="FILE.mat", help="a course-format data file; default: the embedded "
                   "digits' test split")
    r.add_argument("--labels", choices=("course", "stored"), default=None,
                   help="the label convention of --data and of the labels written to --output: course: "
                   "1..10, 10 for the digit 0; stored: as the file stores them (default with --data: "
                   "course, so --output is written the file's way; without --data the digits 0..9 are "
                   "written, or 1..10 with --labels course); .mat weights written by gradtrio record their "
                   "own output order")
    r.add_argument("--test-size", type=float, default=None, metavar="F",
                   help="without --data: the fraction of the embedded digits held out, as given to "
                   f"'gradtrio train' (default: {DEFAULT_TEST_SIZE})")
    r.add_argument("--output", metavar="FILE", help="write the predicted labels there, one per line "
                   "(see --labels)")

    mu = sub.add_parser("mutants", help="which checker catches which classic backprop bug",
                        description="Run the catalog of classic backprop bugs against every checker.")
    if mutants_module is not None:
        mutants_module.add_cli_arguments(mu)
    return p


# --- subcommands --------------------------------------------------------------------------------

def _split(X, y, test_size: float, name: str = "the data"):
    """Seeded train/test split, stratified when every label can be in both parts."""
    import math

    import numpy as np
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


# --- output paths: checked before any work -------------------------------------------------------

def _writable_folder(folder: str) -> str | None:
    """None if a file can be created in the existing ``folder``, else the reason (strerror)."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".gradtrio-probe."):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def _check_out_dir(option: str, out: str, files: Sequence[str]) -> None:
    """Refuse, before any work, an output folder gradtrio could not write ``files`` into.

    The folder need not exist: then the nearest existing folder above it must let it be created.
    Each message names the real path (never a temporary file's).
    """
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{option} must be a folder; {out} is a file")
    if os.path.isdir(out):
        for name in files:
            path = os.path.join(out, name)
            if os.path.isdir(path):
                raise ValueError(f"{option} {out}: {path} is a folder, where gradtrio writes a file: "
                                 f"move it away or choose another {option}")
        why = _writable_folder(out)
        if why:
            raise ValueError(f"{option} {out}: the folder is not writable ({why})")
        return
    above = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(above):
        above = os.path.dirname(above)
    if not os.path.isdir(above):
        raise ValueError(f"{option} {out}: cannot create the folder: {above} is a file")
    why = _writable_folder(above)
    if why:
        raise ValueError(f"{option} {out}: cannot create the folder: {above} is not writable ({why})")


def _check_output_path(path: str, option: str = "--output") -> None:
    """Refuse an output file that cannot be written, before any work, naming the option and path."""
    if os.path.isdir(path):
        raise ValueError(f"{option} must be a file name; {path} is a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"{option} {path}: the folder {parent} does not exist")
    why = _writable_folder(parent)
    if why:
        raise ValueError(f"{option} {path}: the folder {parent} is not writable ({why})")


# --- the gradient check ---------------------------------------------------------------------------

def _method_progress(methods: Sequence[str], desc: str = "gradient check"):
    """(bar, hook): a :class:`Progress` over ``methods`` and the ``progress`` hook of
    :func:`gradtrio.check.compare_gradients`, called with each method's name before it runs."""
    bar = Progress(len(methods), desc=desc, unit="method")
    order = list(dict.fromkeys(methods))

    def hook(name: str) -> None:
        _defer_interrupts(name in _JAX_METHODS)  # raises a Ctrl-C held back during the previous method
        i = order.index(name) if name in order else bar.n
        bar.update(i, name)

    return bar, hook


def _gradient_check(run: Callable[..., object], methods: Sequence[str], show_progress: bool = False):
    """(report, verdict) of ``run(methods=..., progress=...)`` — :func:`gradtrio.check.check_gradients`
    or :func:`gradtrio.check.compare_gradients` with its problem bound — with progress and Ctrl-C
    handling; verdict "pass", "fail" or "inconclusive"."""
    methods = tuple(methods)
    kw: dict = {}
    bar = None
    if show_progress:
        bar, kw["progress"] = _method_progress(methods)
    else:  # no hook between methods: hold Ctrl-C back for the whole check if it runs JAX
        _defer_interrupts(bool(_JAX_METHODS & set(methods)))
    try:
        report = run(methods=methods, **kw)
        _defer_interrupts(False)
        if bar is not None:
            bar.update(bar.total, "done")
    finally:
        _restore_interrupts()
        if bar is not None:
            bar.close()
    return report, str(report.verdict)  # type: ignore[attr-defined]  # a GradientReport


def _debug_check(sizes, lam: float, m: int, seed: int = 0, dtype="float64", bug_size: float | None = None
                 ) -> Callable[..., object]:
    """The course's checkNNGradients problem of an architecture, as a ``run`` for :func:`_gradient_check`."""
    from .check import check_gradients

    extra = {} if bug_size is None else {"bug_size": bug_size}

    def run(**kw):
        return check_gradients(tuple(sizes), lam=lam, m=m, seed=seed, dtype=dtype, **extra, **kw)

    return run


def _check_method_names(names: Sequence[str]) -> tuple[str, ...]:
    from .check import KNOWN_METHODS

    methods = [p for v in names for p in str(v).replace(",", " ").split()]
    unknown = [m for m in methods if m not in KNOWN_METHODS]
    if unknown:
        raise ValueError(f"--methods: unknown method{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                         f"known: {', '.join(KNOWN_METHODS)}")
    if len(dict.fromkeys(methods)) < 2:
        raise ValueError(f"--methods needs at least two different methods, the first the reference "
                         f"(e.g. --methods backprop central); got {' '.join(methods)}")
    if methods[0] == "directional":
        raise ValueError("--methods: the first method is the reference and must give a full gradient, "
                         "not directional")
    return tuple(methods)


# --- train ----------------------------------------------------------------------------------------

def _save_run(out: str, weights_path: str, result, labels: Literal["course", "stored"], title: str
              ) -> dict[str, str]:
    """Write the weights, the cost history (CSV) and the training curve (PNG): name → path."""
    from .data import save_cost_history, save_weights
    from .plots import save_training_curve

    return {
        "weights": save_weights(weights_path, result.thetas, labels=labels),
        "cost history": save_cost_history(os.path.join(out, HISTORY_NAME), result.cost_history),
        "training curve": save_training_curve(os.path.join(out, CURVE_NAME), result.cost_history,
                                              title=title),
    }


def _cmd_train(args) -> int:
    from ._validate import check_lam, check_sizes
    from .network import num_params
    from .train import TrainingInterrupted, accuracy, train

    _check_labels_option(args)
    weights_name = f"{WEIGHTS_NAME}.{args.format}"
    _check_out_dir("--out", args.out, (weights_name, HISTORY_NAME, CURVE_NAME, PICTURE_NAME))
    hidden = _sizes(args.hidden)
    name, X_train, y_train, X_test, y_test, image_shape, order = _load_training_data(args)
    K = int(max(y_train.max(), y_test.max())) + 1
    sizes = check_sizes((X_train.shape[1], *hidden, K))
    check_lam(args.lam)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise OSError(f"--out {args.out}: cannot create the folder ({exc.strerror or exc})") from None
    weights_path = os.path.join(args.out, weights_name)
    labels: Literal["course", "stored"] = (
        "course" if (args.format == "mat" and K == 10 and args.labels != "stored") else "stored")
    net = "-".join(map(str, sizes))
    _memory_context["what"] = (f"the network {net} ({num_params(sizes)} parameters, "
                               f"{num_params(sizes) * 8 / 2**30:.3g} GiB per copy of its weights)")
    curve_title = f"training curve of {net}, λ={args.lam:g}, {args.method}"

    print(f"gradtrio train: {name}: {len(y_train)} train / {len(y_test)} test examples; network "
          f"{net} ({num_params(sizes)} parameters); λ = {args.lam:g}; "
          f"{args.method}, {args.backend} backend, seed {args.seed}", flush=True)
    # --maxiter 0 evaluates the initial weights only: nothing to show progress of
    progress = Progress(args.maxiter, desc="iteration") if args.maxiter > 0 else None
    try:
        # the jax backend: Ctrl-C held back during JAX calls, raised by the progress at the next iteration
        _defer_interrupts(args.backend == "jax" and progress is not None)
        try:
            result = train(X_train, y_train, hidden=hidden, lam=args.lam, maxiter=args.maxiter,
                           method=args.method, seed=args.seed, backend=args.backend, callback=progress,
                           num_labels=K)
        finally:
            _restore_interrupts()
    except TrainingInterrupted as stop:
        if progress is not None:
            progress.close()
        r = stop.result
        saved = _save_run(args.out, weights_path, r, labels, curve_title + " (interrupted)")
        print(f"gradtrio: interrupted after {r.iterations} iterations; best weights so far "
              f"(cost {r.final_cost:.6f}) saved to {saved['weights']} (the cost history and the training "
              f"curve beside it)", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    if progress is not None:
        progress.close()

    saved = _save_run(args.out, weights_path, result, labels, curve_title)
    picture, picture_note = None, ""
    try:
        from .plots import save_hidden_units

        picture = save_hidden_units(os.path.join(args.out, PICTURE_NAME), result.thetas, image_shape, order,
                                    title=f"hidden units of {net}, λ={args.lam:g}")
    except ValueError as exc:  # inputs that are not square images
        picture_note = f"not drawn ({exc})"
    rows = [
        ("iterations", f"{result.iterations} ({result.function_evals} cost evaluations; {result.message})"),
        ("time", f"{result.wall_time:.3f} s"),
        ("final cost", f"{result.final_cost:.6f}"),
        ("train accuracy", f"{100 * accuracy(result.thetas, X_train, y_train):.2f} %"),
        ("test accuracy", f"{100 * accuracy(result.thetas, X_test, y_test):.2f} %"),
    ]
    reports, verdicts = [], []
    if not args.no_check:
        from .check import compare_gradients
        from .network import one_hot

        methods = check_methods(sizes)
        m_trained = min(TRAINED_CHECK_EXAMPLES, len(y_train))
        X_chk, Y_chk = X_train[:m_trained], one_hot(y_train[:m_trained], K, dtype=X_train.dtype)

        def trained(**kw):
            return compare_gradients(result.thetas, X_chk, Y_chk, args.lam, **kw)

        checks = [("gradient check", f"debug problem, m = {TRAIN_CHECK_EXAMPLES}",
                   _debug_check(sizes, args.lam, TRAIN_CHECK_EXAMPLES)),
                  ("trained weights", f"the trained weights on {m_trained} training examples", trained)]
        print(f"gradient check: {_describe_methods(methods)} on {num_params(sizes)} parameters ({net}): "
              f"the debug problem, then the trained weights...", file=sys.stderr, flush=True)
        for label, what, run in checks:
            try:
                report, verdict = _gradient_check(run, methods, show_progress=True)
            except KeyboardInterrupt:
                _close_progress()
                print(f"gradtrio: gradient check interrupted; the trained weights were already saved to "
                      f"{saved['weights']}", file=sys.stderr, flush=True)
                return EXIT_INTERRUPTED
            word = {"pass": "passed", "fail": "FAILED", "inconclusive": "INCONCLUSIVE"}[verdict]
            rows.append((label, f"{word} ({_describe_methods(methods)}, {what}, λ = {args.lam:g})"))
            reports.append(report)
            verdicts.append(verdict)
    rows += list(saved.items())
    rows.append(("hidden units", picture if picture else picture_note))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for report in reports:
        print()
        print(report)
    from .tolerances import verdict_of

    return EXIT_OF_VERDICT[verdict_of(verdicts)]


# --- check, predict ---------------------------------------------------------------------------------

def _cmd_check(args) -> int:
    from ._validate import check_sizes
    from .check import DEFAULT_METHODS

    sizes = check_sizes(tuple(_sizes(args.sizes)))
    methods = DEFAULT_METHODS if args.methods is None else _check_method_names(args.methods)
    report, verdict = _gradient_check(_debug_check(sizes, args.lam, args.m, args.seed, args.dtype, args.bug_size),
                                      methods, show_progress=True)
    print(report.to_json(indent=2) if args.json else report)
    return EXIT_OF_VERDICT[verdict]


#: How ``gradtrio predict`` writes labels: the course's 1..10 (10 for the digit 0), or class indices.
_WRITTEN_LABELS = {"course": "labels 1..10 as the course stores them, 10 for the digit 0",
                   "stored": "class indices 0..K-1"}


def _cmd_predict(args) -> int:
    from .data import COURSE_NUM_LABELS, atomic_write, load_digits, load_mat, load_weights
    from .train import accuracy, predict

    if args.labels is not None and args.data is None and args.output is None:
        raise ValueError("--labels applies to a --data file or to the labels written with --output; the "
                         "embedded digits are labelled 0..9 already")
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
        written: Literal["course", "stored"] = args.labels or "stored"  # the digits are 0..9 unless asked
    else:
        written = args.labels or "course"
        X, y = load_mat(args.data, labels=written)
        name = os.path.basename(args.data)
    n_in = thetas[0].shape[1] - 1
    if X.shape[1] != n_in:
        raise ValueError(f"the weights in {args.weights} take {n_in} inputs but {name} has {X.shape[1]} "
                         f"features per example")
    K = thetas[-1].shape[0]
    if y.max() >= K:
        raise ValueError(f"the weights in {args.weights} have {K} output units (labels 0..{K - 1}) but "
                         f"{name} has labels up to {int(y.max())}: they were trained for other labels")
    if args.output is not None and written == "course" and K != COURSE_NUM_LABELS:
        raise ValueError(f"--labels course writes the course's labels 1..10 for the digits; the weights in "
                         f"{args.weights} have {K} output units: pass --labels stored")
    pred = predict(thetas, X)
    print(f"accuracy  {100 * accuracy(thetas, X, y):.2f} %  ({len(y)} examples of {name})")
    if args.output:
        # course: digit d is stored as d, the digit 0 as 10
        out = [COURSE_NUM_LABELS if (written == "course" and int(p) == 0) else int(p) for p in pred]
        text = "".join(f"{p}\n" for p in out).encode()
        path = atomic_write(args.output, lambda f: f.write(text))
        print(f"predictions  {path} ({_WRITTEN_LABELS[written]})")
    return EXIT_OK


# --- main -------------------------------------------------------------------------------------------

#: What ``gradtrio train`` is about to allocate, for the message of a MemoryError.
_memory_context: dict[str, str] = {}


def _cli_message(exc: BaseException) -> str:
    """The library's message, with its Python spellings of options turned into the CLI's."""
    text = " ".join(str(exc).split())
    return text.replace("labels='stored'", "--labels stored").replace("labels='course'", "--labels course")


def _first_positional(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _interrupted(exc: BaseException | None) -> bool:
    """True when ``exc`` is a Ctrl-C, or was raised while handling one (an import that a
    KeyboardInterrupt broke can surface as an ImportError or AttributeError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


#: Non-empty when a Ctrl-C is waiting to be raised: one that Python could only print and ignore (raised
#: in a garbage-collector callback, such as JAX's, or a __del__), or one held back while JAX runs (see
#: :func:`_defer_interrupts`). :meth:`Progress.update` and :func:`main` raise it.
_pending_interrupt: list[bool] = []

#: The gradient-check methods that run JAX (import, tracing, compilation, XLA): see _defer_interrupts.
_JAX_METHODS = frozenset({"autodiff", "batched"})


def _hold_interrupt(signum, frame) -> None:
    _pending_interrupt.append(True)


def _defer_interrupts(on: bool) -> None:
    """Hold Ctrl-C back (``on``) while JAX runs, or let it raise again, raising one held meanwhile.

    A KeyboardInterrupt raised inside JAX's import, tracing or compilation can crash the interpreter
    (seen: SIGSEGV and SIGABRT instead of exit 130). While held, a Ctrl-C is recorded and raised at
    the next progress step (each training iteration, each method of a check, each mutant check), which
    runs between JAX calls. Only in the main thread: elsewhere a signal handler cannot be set.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    if on:
        signal.signal(signal.SIGINT, _hold_interrupt)
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if _pending_interrupt:
        _pending_interrupt.clear()
        raise KeyboardInterrupt


def _unraisable_hook(previous):
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            _pending_interrupt.append(True)
            return
        previous(unraisable)

    return hook


def _restore_interrupts() -> None:
    """Let Ctrl-C raise again, keeping one held back pending (for the next progress step or main)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _say_interrupted() -> int:
    _close_progress()
    try:
        print("gradtrio: interrupted", file=sys.stderr, flush=True)
    except Exception:
        pass
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gradtrio`` command.

    Ctrl-C at any moment after this function starts, even while NumPy, SciPy or JAX are still being
    imported (this module imports none of them at its top), prints one line and returns 130. Called
    as the command (``argv`` None), a Ctrl-C after the work is done, while the interpreter shuts
    down, is ignored (the exit code stays the command's) instead of printing a traceback from an exit
    handler. A Ctrl-C that Python can only ignore (raised inside a garbage-collector callback, such as
    JAX's) is raised again at the next progress step, or at the end.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code (see the module docstring).
    """
    as_command = argv is None
    previous_hook = sys.unraisablehook
    _pending_interrupt.clear()
    try:
        sys.unraisablehook = _unraisable_hook(previous_hook)
        code = _main(sys.argv[1:] if argv is None else list(argv))
        if as_command:
            sys.stdout.flush()
        if _pending_interrupt:
            raise KeyboardInterrupt
    except BaseException as exc:  # KeyboardInterrupt anywhere, even inside an import
        if not _interrupted(exc):
            raise
        code = _say_interrupted()
    finally:
        sys.unraisablehook = previous_hook
        _pending_interrupt.clear()
    if as_command:  # the work is done and said: a Ctrl-C while the interpreter exits changes nothing
        import signal

        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread
            pass
        # A KeyboardInterrupt that ended a string exec/eval (dataclasses and others exec generated
        # code while NumPy, SciPy or JAX import) sets CPython's "unhandled KeyboardInterrupt" flag even
        # though main caught it; under ``python -m gradtrio`` the interpreter would then kill itself
        # with SIGINT (exit -2) instead of exiting 130. Each string exec resets the flag when it starts.
        exec("None")
    return code


def _main(argv: list[str]) -> int:
    _memory_context.clear()
    try:
        mutants: Any = None
        if _first_positional(argv) == "mutants":
            try:
                mutants = importlib.import_module("gradtrio.mutants")
            except ImportError as exc:
                if _interrupted(exc):
                    raise
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
        _defer_interrupts(True)  # every checker may run JAX; the progress raises Ctrl-C between checks
        try:
            return int(mutants.run_from_cli(args, progress=_mutants_progress()))
        finally:
            _restore_interrupts()
    except SystemExit as exc:  # argparse's --help/--version (0) and our one-line errors (2)
        if isinstance(exc.code, str):  # SystemExit("message") from a subcommand: say it, in one line
            _close_progress()
            print(f"gradtrio: error: {' '.join(exc.code.split())}", file=sys.stderr)
            return EXIT_USAGE
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except (ValueError, TypeError, OSError) as exc:
        if _interrupted(exc):
            raise
        _close_progress()
        print(f"gradtrio: error: {_cli_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as exc:
        _close_progress()
        what = _memory_context.get("what", "the data or the network")
        detail = f" ({_cli_message(exc)})" if str(exc) else ""
        print(f"gradtrio: error: out of memory: {what} is too big for this machine{detail}", file=sys.stderr)
        return EXIT_USAGE


def _mutants_progress() -> Callable[[int, int, str, str], None]:
    """The ``progress`` callback of :func:`gradtrio.mutants.detection_table`: one step per (mutant,
    checker), called before each check runs and once more, with ``done == total``, at the end."""
    bar: Progress | None = None

    def step(done: int, total: int, mutant: str, checker: str) -> None:
        nonlocal bar
        if bar is None:
            bar = Progress(total, desc="mutants", unit="check")
        bar.update(done, f"{mutant}: {checker}" if done < total else "done")
        if done >= total:
            bar.close()

    return step
