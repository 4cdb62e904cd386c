"""The argument parser of the ``gradtrio`` command: one sub-parser per command.

Every usage error is one line on stderr and exit code 2 (:class:`Parser`); values are validated by
their argparse types (:mod:`gradtrio.cli.argtypes`), once.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from . import argtypes
from .errors import fail
from .train import CURVE_NAME, DEFAULT_TEST_SIZE, HISTORY_NAME, PICTURE_NAME


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (``gradtrio: error: ...``) and exits 2."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see '{self.prog} --help')")


def build_parser(mutant_options: bool = False) -> argparse.ArgumentParser:
    """The argument parser; ``mutant_options`` adds the options of ``gradtrio mutants``.

    Those options list the catalog's names (``--only``), so they import :mod:`gradtrio.catalog`: only
    the ``mutants`` command asks for them.
    """
    from .. import __version__

    p = Parser(prog="gradtrio", description="Train feed-forward networks and prove that hand-written "
               "backprop, JAX autodiff and finite differences agree.")
    p.add_argument("--version", action="version", version=f"gradtrio {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{train,check,predict,mutants,verify}", parser_class=Parser)
    sub.required = True
    _add_train(sub)
    _add_check(sub)
    _add_predict(sub)
    from .verify import add_verify

    add_verify(sub)
    mu = sub.add_parser("mutants", help="which checker catches which classic backprop bug",
                        description="Run the catalog of classic backprop bugs against every checker.")
    if mutant_options:
        from .mutants import add_cli_arguments

        add_cli_arguments(mu)
    return p


def _add_units(parser, default_output: str = "sigmoid") -> None:
    """``--activation`` and ``--output``: the network's units (:data:`gradtrio.model.ACTIVATIONS`)."""
    from ..model import ACTIVATIONS, OUTPUTS

    parser.add_argument("--activation", nargs="+", default=["sigmoid"], choices=tuple(ACTIVATIONS), metavar="NAME",
                        help="the hidden units, one name for all or one per hidden layer: "
                        f"{', '.join(ACTIVATIONS)} (default: sigmoid)")
    parser.add_argument("--output", choices=tuple(OUTPUTS), default=default_output,
                        help="the output and its loss: sigmoid (the course's cross-entropy), softmax "
                        "(categorical cross-entropy), identity (squared error) (default: %(default)s)")


def _add_dataset(parser) -> None:
    """``--dataset``: which embedded data set, when no ``--data`` file is given."""
    from .train import DATASETS

    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="an embedded data set, without --data: digits (scikit-learn's 8×8 digits, "
                        "classification) or diabetes (scikit-learn's diabetes data, regression: train it with "
                        "--output identity) (default: digits)")


def _add_train(sub) -> None:
    from ..train import BACKENDS, CURVATURES, DEFAULT_CURVATURE, METHODS

    t = sub.add_parser("train", help="train a network (the embedded digits by default)",
                       description="Train a network; print a summary; write the weights, the cost "
                       f"history ({HISTORY_NAME}), the training curve ({CURVE_NAME}) and a picture of the "
                       f"hidden units ({PICTURE_NAME}) into --out.")
    t.add_argument("--data", metavar="FILE.mat", help="a course-format data file (X m×n, y m×1 with "
                   "1..10); default: the embedded 8×8 digits")
    _add_dataset(t)
    t.add_argument("--labels", choices=("course", "stored"), default=None,
                   help="with --data: course: y 1..10 become the digits 0..9 (10 is 0); stored: keep y "
                   "as is (default: course)")
    t.add_argument("--test-size", type=float, default=DEFAULT_TEST_SIZE, metavar="F",
                   help="fraction held out for testing, stratified (default: %(default)s)")
    t.add_argument("--hidden", nargs="+", default=["25"], metavar="N",
                   help="hidden-layer sizes, e.g. --hidden 25 or --hidden 50 25 (default: 25)")
    t.add_argument("--lam", type=argtypes.lam, default=1.0, metavar="λ",
                   help="regularization λ >= 0 (default: %(default)s)")
    t.add_argument("--maxiter", type=argtypes.nonneg_int, default=100, help="most iterations (default: %(default)s)")
    t.add_argument("--method", choices=METHODS, default="L-BFGS-B",
                   help="scipy optimizer; Newton-CG, trust-ncg and trust-krylov also use curvature products "
                   "(--curvature) (default: %(default)s)")
    kinds = set(DEFAULT_CURVATURE.values())
    defaults = kinds.pop() if len(kinds) == 1 else ", ".join(f"{c} for {m}" for m, c in DEFAULT_CURVATURE.items())
    t.add_argument("--curvature", choices=CURVATURES, default=None,
                   help="the second-order methods' product: hvp the exact Hessian's, gvp the Gauss-Newton "
                   f"matrix's (positive semi-definite) (default: {defaults})")
    t.add_argument("--backend", choices=BACKENDS, default="numpy",
                   help="numpy: hand-written backprop; jax: jax.grad (default: %(default)s)")
    t.add_argument("--seed", type=argtypes.nonneg_int, default=0,
                   help="seed of the initial weights; the train/test split is fixed (default: %(default)s)")
    t.add_argument("--out", default="gradtrio-out", metavar="DIR",
                   help="output directory, created if needed (default: ./%(default)s/)")
    t.add_argument("--format", choices=("npz", "mat"), default="npz",
                   help="weights file format: .npz or the course's .mat (default: %(default)s)")
    t.add_argument("--no-check", action="store_true", help="skip the gradient check after training")
    _add_units(t)


def _add_check(sub) -> None:
    from ..check import DEFAULT_METHODS as default_methods
    from ..check import KNOWN_METHODS as known_methods

    c = sub.add_parser("check", help="three-way gradient check (backprop, JAX, finite differences)",
                       description="Compare the gradients of hand-written backprop, JAX autodiff and "
                       "finite differences on the course's debug network (3-5-3) or given sizes.")
    c.add_argument("--sizes", nargs="+", default=["3", "5", "3"], metavar="N",
                   help="layer sizes, inputs first (default: 3 5 3, the course's checkNNGradients)")
    c.add_argument("--lam", type=argtypes.lam, default=0.0, metavar="λ",
                   help="regularization λ (default: %(default)s)")
    c.add_argument("-m", "--examples", type=argtypes.positive_int, default=5, dest="m",
                   help="examples in the debug problem (default: %(default)s)")
    c.add_argument("--seed", type=argtypes.nonneg_int, default=0,
                   help="seed of random directions (default: %(default)s)")
    c.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    c.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                   help=f"methods to compare, the first the reference (from: {', '.join(known_methods)}; "
                   f"default: {' '.join(default_methods)})")
    c.add_argument("--bug-size", type=argtypes.fraction, default=None, metavar="R",
                   help="relative size of a wrong entry the check must be able to see (default 0.05: 5%% of "
                   "a layer's largest entry); coarser bounds give 'inconclusive', exit code 3")
    c.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
    _add_units(c)


def _add_predict(sub) -> None:
    r = sub.add_parser("predict", help="apply saved weights to data: accuracy, predictions",
                       description="Predict with saved weights; print the accuracy.")
    r.add_argument("weights", metavar="WEIGHTS", help="a .npz or course .mat weights file")
    r.add_argument("--data", metavar="FILE.mat", help="a course-format data file; default: the embedded "
                   "data set's test split (--dataset)")
    _add_dataset(r)
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
