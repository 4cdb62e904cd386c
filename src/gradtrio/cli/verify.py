"""``gradtrio verify FILE.py:FUNC``: a user's implementation checked (:func:`gradtrio.testing.verify`).

``FILE.py:FUNC`` loads ``FUNC`` from a file (its folder is put first on ``sys.path``, so that the file's own
``from sigmoid import sigmoid`` works, as it does when the student runs it); ``package.module:FUNC``
imports a module. A file that is missing, does not import (a syntax error, a missing module), or has no
such function is one line on stderr and exit 2. The readable report goes to stdout (``--json``: the
report as JSON), progress to stderr; exit 0 pass, 1 fail, 3 inconclusive, 2 bad usage or a function
that cannot be called in the signature given.

``--hvp`` verifies a Hessian-vector product ``hvp(thetas, X, Y, lam, V)`` instead
(:func:`gradtrio.testing.hvp_verifier.verify_hvp`; ``--activation``/``--output`` name its network): a function
that does not take those arguments or returns something other than a list of arrays shaped like ``thetas`` is
one line on stderr (expected vs got) and exit 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

from .argtypes import layer_sizes
from .errors import EXIT_OF_VERDICT, EXIT_USAGE, fail
from .interrupts import defer_interrupts, raise_pending, restore_interrupts

__all__ = ["load_function", "add_verify", "cmd_verify"]


def load_function(spec: str) -> Callable[..., Any]:
    """The function named by ``FILE.py:FUNC`` or ``package.module:FUNC``; one-line errors (exit 2) otherwise."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        fail(f"expected FILE.py:FUNC or package.module:FUNC (e.g. my_ex4.py:nnCostFunction); got {spec!r}")
    if target.endswith(".py") or os.sep in target or "/" in target:
        path = os.path.abspath(target)
        if not os.path.isfile(path):
            fail(f"no such file: {target}")
        folder, module = os.path.dirname(path), os.path.splitext(os.path.basename(path))[0]
        if folder not in sys.path:
            sys.path.insert(0, folder)
        try:
            spec_ = importlib.util.spec_from_file_location(module, path)
            assert spec_ is not None and spec_.loader is not None
            mod = importlib.util.module_from_spec(spec_)
            sys.modules[module] = mod
            spec_.loader.exec_module(mod)
        except SyntaxError as exc:
            fail(f"{target} cannot be imported: SyntaxError at line {exc.lineno}: {exc.msg}")
        except Exception as exc:  # anything the user's module raises while it is imported
            fail(f"{target} cannot be imported: {type(exc).__name__}: {exc}")
    else:
        try:
            mod = importlib.import_module(target)
        except Exception as exc:
            fail(f"module {target} cannot be imported: {type(exc).__name__}: {exc}")
    fn = getattr(mod, name, None)
    if fn is None:
        names = sorted(n for n, v in vars(mod).items() if callable(v) and not n.startswith("_")
                       and getattr(v, "__module__", None) == mod.__name__)
        fail(f"{target} has no function {name!r}" + (f"; it defines {', '.join(names)}" if names else ""))
    if not callable(fn):
        fail(f"{target}:{name} is a {type(fn).__name__}, not a function")
    return fn


def add_verify(sub) -> None:
    """The ``verify`` sub-parser."""
    from ..testing.conventions import LABELS, ORDERS, SIGNATURES, Y_SHAPES
    from . import argtypes

    v = sub.add_parser("verify", help="verify your own cost-and-gradient implementation",
                       description="Check a cost-and-gradient function gradtrio did not write: its cost and "
                       "gradient against gradtrio's and JAX's, its gradient against finite differences of its "
                       "own cost, its arguments, with a diagnosis from the bug catalog and a minimal "
                       "counterexample. Exit 0 pass, 1 fail, 3 inconclusive, 2 bad usage.")
    v.add_argument("function", metavar="FILE.py:FUNC", help="the function, e.g. my_ex4.py:nnCostFunction "
                   "or package.module:cost_and_grad")
    v.add_argument("--signature", choices=SIGNATURES, default=None,
                   help="course: fn(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lam); "
                   "gradtrio: fn(thetas, X, Y, lam) (default: course; with --hvp: gradtrio)")
    v.add_argument("--hvp", action="store_true",
                   help="verify a Hessian-vector product hvp(thetas, X, Y, lam, V) -> list shaped like thetas "
                   "(gradtrio's conventions) instead of a cost and gradient")
    v.add_argument("--activation", default=None, metavar="NAME",
                   help="with --hvp: the hidden units your function computes (default: sigmoid)")
    v.add_argument("--output", default=None, metavar="NAME",
                   help="with --hvp: its output unit and loss, sigmoid, softmax or identity (default: sigmoid)")
    v.add_argument("--order", choices=("auto",) + ORDERS, default="auto",
                   help="how nn_params is unrolled: C (NumPy) or F (Octave's (:)); default: detected")
    v.add_argument("--labels", choices=("auto",) + LABELS, default="auto", help="what y holds; default: detected")
    v.add_argument("--y-shape", choices=("auto",) + Y_SHAPES, default="auto", dest="y_shape",
                   help="shape of a label vector; default: detected")
    v.add_argument("--sizes", nargs="+", default=None, metavar="N",
                   help="check only this architecture (e.g. 400 25 10); default: sizes are drawn")
    v.add_argument("--examples", type=argtypes.nonneg_int, default=None,
                   help="problems Hypothesis draws beside the two debug problems (default: 30)")
    v.add_argument("--seed", type=argtypes.nonneg_int, default=0, help="seed of every draw (default: %(default)s)")
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.add_argument("--png", default=None, metavar="FILE",
                   help="write a heat map of your gradient minus the expected one (when it fails)")
    v.add_argument("--no-timing", action="store_true", help="do not time the function against gradtrio's backprop")


def _progress(msg: str) -> None:
    """Say ``msg`` on stderr, raising a Ctrl-C held back since the previous step (Ctrl-C is held while the
    verifier runs: see :func:`gradtrio.cli.interrupts.defer_interrupts`)."""
    raise_pending()
    print(f"gradtrio verify: {msg}", file=sys.stderr, flush=True)


def cmd_verify(args) -> int:
    """``gradtrio verify``."""
    from ..testing import verify

    if args.hvp:
        return _cmd_verify_hvp(args)
    for name in ("activation", "output"):
        if getattr(args, name) is not None:
            fail(f"--{name} applies to --hvp only (the cost-and-gradient check is of the course's sigmoid network); "
                 f"got --{name} {getattr(args, name)} without --hvp")
    sizes = tuple(layer_sizes(args.sizes)) if args.sizes is not None else None
    if args.png is not None:
        folder = os.path.dirname(os.path.abspath(args.png))
        if not os.path.isdir(folder):
            fail(f"--png: the folder {folder} does not exist")
    defer_interrupts(True)  # the user's module and gradtrio's references may import and run JAX
    try:
        fn = load_function(args.function)
        report = verify(fn, signature=args.signature or "course", order=args.order, labels=args.labels,
                        y_shape=args.y_shape, sizes=sizes, examples=args.examples, seed=args.seed,
                        timing=not args.no_timing, progress=_progress)
        defer_interrupts(False)
    finally:
        restore_interrupts()
    print(report.to_json(indent=2) if args.json else report)
    if args.png is not None:
        if report.counterexample is not None and report.counterexample.difference is not None:
            report.plot(args.png)
            print(f"gradtrio verify: wrote {args.png}", file=sys.stderr)
        else:
            print("gradtrio verify: no --png written: there is no gradient difference to draw", file=sys.stderr)
    if report.verdict == "error":
        return EXIT_USAGE
    return EXIT_OF_VERDICT[report.verdict]


def _cmd_verify_hvp(args) -> int:
    """``gradtrio verify FILE.py:FUNC --hvp``: :func:`gradtrio.testing.hvp_verifier.verify_hvp`."""
    from ..model import ACTIVATIONS, OUTPUTS
    from ..testing.hvp_verifier import HvpSignatureError, verify_hvp

    if args.signature not in (None, "gradtrio"):
        fail(f"--hvp takes hvp(thetas, X, Y, lam, V) in the gradtrio signature; got --signature {args.signature}")
    for option, value, default in (("--order", args.order, "auto"), ("--labels", args.labels, "auto"),
                                   ("--y-shape", args.y_shape, "auto"), ("--png", args.png, None)):
        if value != default:
            fail(f"{option} applies to the cost-and-gradient check, not to --hvp; got {option} {value}")
    activation = args.activation or "sigmoid"
    output = args.output or "sigmoid"
    if activation not in ACTIVATIONS:
        fail(f"--activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    if output not in OUTPUTS:
        fail(f"--output must be one of {', '.join(OUTPUTS)}; got {output!r}")
    defer_interrupts(True)  # the user's module and the JAX references may import and run JAX
    try:
        fn = load_function(args.function)
        sizes = tuple(layer_sizes(args.sizes)) if args.sizes is not None else None
        report = verify_hvp(fn, activation=activation, output=output, sizes=sizes, examples=args.examples,
                            seed=args.seed, progress=_progress)
        defer_interrupts(False)
    except HvpSignatureError as exc:
        fail(str(exc))
    except ValueError as exc:  # sizes the units cannot have (a softmax of one class, ...)
        fail(str(exc))
    finally:
        restore_interrupts()
    print(report.to_json(indent=2) if args.json else report)
    return EXIT_OF_VERDICT[report.verdict]
