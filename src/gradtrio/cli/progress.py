"""Progress bars of the ``gradtrio`` command, on stderr: tqdm on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
import os
import sys
import time
from typing import TextIO

from .interrupts import raise_pending


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
        active_progress.append(self)

    def update(self, n: int, postfix: str = "", *, force: bool = False) -> None:
        """Move to step ``n`` (absolute), with ``postfix`` (e.g. the current cost) after the count.

        Raises KeyboardInterrupt here if a Ctrl-C was swallowed meanwhile (see :func:`gradtrio.cli.main`)."""
        raise_pending()
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
        if self in active_progress:
            active_progress.remove(self)


#: Bars drawn now: closed before an error or interrupt message, so that it starts on its own line.
active_progress: list[Progress] = []


def close_progress() -> None:
    """Close every bar drawn now, so that the message that follows starts on its own line."""
    for bar in list(active_progress):
        try:
            bar.close()
        except Exception:  # a broken stderr must not hide the message that follows
            pass

