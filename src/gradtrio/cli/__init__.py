"""The ``gradtrio`` command: ``train``, ``check``, ``predict``, ``mutants`` and ``verify``.

- ``gradtrio train`` fits a network (the embedded digits by default), shows its progress with the
  current cost on stderr, prints a summary (iterations, time, final cost, train and test accuracy,
  the three-way gradient check of the trained architecture) and writes the weights, the cost
  history (CSV), a PNG of the training curve and one of the hidden units, atomically, into the
  output directory, which is checked before any work.
- ``gradtrio check`` runs the three-way gradient check on the course's debug network or given sizes
  (``--methods``, ``--json``).
- ``gradtrio predict`` applies saved weights to data: accuracy, and predictions to a file on request.
- ``gradtrio mutants`` measures which checker catches which classic backprop bug
  (:mod:`gradtrio.catalog`).
- ``gradtrio verify FILE.py:FUNC`` checks a user's own cost-and-gradient function
  (:func:`gradtrio.testing.verify`): exit 0 pass, 1 fail, 3 inconclusive, 2 bad usage.

Exit codes: 0 success; 1 a gradient check failed; 2 bad input (one line on stderr, no traceback);
3 a gradient check was inconclusive (no entry beyond its measured bound, but the bounds too coarse to
see a bug of the size asked for: the report says what would resolve it); 130 interrupted by Ctrl-C
(after saving the best weights so far, when training), at any moment: NumPy, SciPy and JAX are
imported inside :func:`main`, after its Ctrl-C handling is in place, never at the import of this package.

One module a job: :mod:`~gradtrio.cli.parser` (with :mod:`~gradtrio.cli.argtypes`, which validate each
value once), one module a command (:mod:`~gradtrio.cli.train`, :mod:`~gradtrio.cli.check`,
:mod:`~gradtrio.cli.predict`, :mod:`~gradtrio.cli.mutants`), :mod:`~gradtrio.cli.progress`,
:mod:`~gradtrio.cli.interrupts`, :mod:`~gradtrio.cli.paths` and :mod:`~gradtrio.cli.errors`.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from .check import cmd_check
from .errors import (
    EXIT_CHECK_FAILED,
    EXIT_INCONCLUSIVE,
    EXIT_INTERRUPTED,
    EXIT_OF_VERDICT,
    EXIT_OK,
    EXIT_USAGE,
    cli_message,
    fail,
    memory_context,
)
from .interrupts import interrupted, pending_interrupt, unraisable_hook
from .parser import build_parser
from .predict import cmd_predict
from .progress import Progress, close_progress
from .train import cmd_train

__all__ = [
    "main",
    "build_parser",
    "Progress",
    "EXIT_OK",
    "EXIT_CHECK_FAILED",
    "EXIT_USAGE",
    "EXIT_INCONCLUSIVE",
    "EXIT_INTERRUPTED",
    "EXIT_OF_VERDICT",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gradtrio`` command.

    Ctrl-C at any moment after this function starts, even while NumPy, SciPy or JAX are still being
    imported (this package imports none of them at its top), prints one line and returns 130. Called
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
    pending_interrupt.clear()
    try:
        sys.unraisablehook = unraisable_hook(previous_hook)
        code = _main(sys.argv[1:] if argv is None else list(argv))
        if as_command:
            sys.stdout.flush()
        if pending_interrupt:
            raise KeyboardInterrupt
    except BaseException as exc:  # KeyboardInterrupt anywhere, even inside an import
        if not interrupted(exc):
            raise
        code = _say_interrupted()
    finally:
        sys.unraisablehook = previous_hook
        pending_interrupt.clear()
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


def _first_positional(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _say_interrupted() -> int:
    close_progress()
    try:
        print("gradtrio: interrupted", file=sys.stderr, flush=True)
    except Exception:
        pass
    return EXIT_INTERRUPTED


def _import_catalog() -> None:
    """Import the bug catalog before ``gradtrio mutants`` parses its options (``--only`` lists its names);
    a catalog that cannot be imported is a one-line error, as any other."""
    try:
        importlib.import_module("gradtrio.catalog")
    except ImportError as exc:
        if interrupted(exc):
            raise
        fail(f"the mutants subcommand is unavailable: gradtrio.catalog could not be imported ({exc})")


def _run(argv: list[str]) -> int:
    """Parse ``argv`` and run its command."""
    is_mutants = _first_positional(argv) == "mutants"
    if is_mutants:
        _import_catalog()
    args = build_parser(mutant_options=is_mutants).parse_args(argv)
    if args.command == "train":
        return cmd_train(args)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "predict":
        return cmd_predict(args)
    if args.command == "verify":
        from .verify import cmd_verify

        return cmd_verify(args)
    from .mutants import cmd_mutants

    return cmd_mutants(args)


def _main(argv: list[str]) -> int:
    """:func:`_run`, with every error said in one line on stderr and turned into its exit code."""
    memory_context.clear()
    try:
        if os.environ.get("JAX_COORDINATOR_ADDRESS"):  # one command per host: join the others first
            from ..sharding import initialize

            initialize()  # a ValueError (one line, exit 2) names a missing JAX_NUM_PROCESSES / JAX_PROCESS_ID
        return _run(argv)
    except SystemExit as exc:  # argparse's --help/--version (0) and our one-line errors (2)
        if isinstance(exc.code, str):  # SystemExit("message") from a subcommand: say it, in one line
            close_progress()
            print(f"gradtrio: error: {' '.join(exc.code.split())}", file=sys.stderr)
            return EXIT_USAGE
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except (ValueError, TypeError, OSError) as exc:
        if interrupted(exc):
            raise
        close_progress()
        print(f"gradtrio: error: {cli_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as exc:
        close_progress()
        what = memory_context.get("what", "the data or the network")
        detail = f" ({cli_message(exc)})" if str(exc) else ""
        print(f"gradtrio: error: out of memory: {what} is too big for this machine{detail}", file=sys.stderr)
        return EXIT_USAGE
