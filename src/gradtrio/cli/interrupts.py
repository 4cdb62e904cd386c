"""Ctrl-C handling of the ``gradtrio`` command: raised as one line and exit 130 at any moment.

A Ctrl-C raised inside JAX can crash the interpreter, and one raised in a garbage-collector callback
can only be printed and ignored by Python: both are recorded in :data:`pending_interrupt` and raised
again at the next progress step (:meth:`gradtrio.cli.progress.Progress.update`) or at the end of
:func:`gradtrio.cli.main`.
"""

from __future__ import annotations

from .errors import EXIT_INTERRUPTED


def interrupted(exc: BaseException | None) -> bool:
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
#: :func:`defer_interrupts`). :meth:`gradtrio.cli.progress.Progress.update` and :func:`gradtrio.cli.main` raise it.
pending_interrupt: list[bool] = []

#: The gradient-check methods that run JAX (import, tracing, compilation, XLA): see defer_interrupts.
#: (Central, forward and Richardson differences and the complex step run JAX's kernels too when incremental:
#: :func:`gradtrio.cli.check._method_progress` holds Ctrl-C back between their progress steps.)
JAX_METHODS = frozenset({"autodiff", "batched"})


def _hold_interrupt(signum, frame) -> None:
    """The SIGINT handler while JAX runs: record the Ctrl-C, raise nothing.

    A second Ctrl-C while one is held exits at once, with the one line and 130 (``os._exit``: no
    exception is raised into JAX, and nothing more is saved): the way out of a step that takes long
    to reach the next progress step, such as a user's own function under ``gradtrio verify``."""
    if not pending_interrupt:
        pending_interrupt.append(True)
        return
    import os
    import sys

    try:
        sys.stdout.flush()
        sys.stderr.write("\ngradtrio: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def defer_interrupts(on: bool) -> None:
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
    raise_pending()


def unraisable_hook(previous):
    """A ``sys.unraisablehook`` that records an ignored KeyboardInterrupt as pending, and passes on the rest."""

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            pending_interrupt.append(True)
            return
        previous(unraisable)

    return hook


def restore_interrupts() -> None:
    """Let Ctrl-C raise again, keeping one held back pending (for the next progress step or main)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def raise_pending() -> None:
    """Raise a Ctrl-C held back meanwhile (a progress step between two pieces of work)."""
    if pending_interrupt:
        pending_interrupt.clear()
        raise KeyboardInterrupt
