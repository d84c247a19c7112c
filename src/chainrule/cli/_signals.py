"""Ctrl-C and SIGTERM for the command line: both stop the command the same way.

While a command runs, :func:`handling` turns SIGINT and SIGTERM into ``KeyboardInterrupt``
(exit status 128 + the signal: 130 or 143). While training, ``fit`` owns SIGINT and stops after
the current batch; a SIGTERM is passed on to it, so it stops the same way. Inside
:meth:`Signals.deferred` (saving a finished run) a signal is only recorded, so the work already
done is kept; the command then exits with the signal's status.

>>> with handling() as s:
...     s.status(0)
0
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Signals", "current", "handling"]

_HANDLED = (signal.SIGINT, signal.SIGTERM)


class Signals:
    """What the command received, and whether it is in a stretch that must not be cut short."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._defer = 0
        self._count = 0

    @property
    def pending(self) -> bool:
        """Whether a signal arrived (the command should finish what it saves, then exit)."""
        return self.received is not None

    def status(self, default: int) -> int:
        """128 + the signal received (130 for SIGINT, 143 for SIGTERM), else ``default``."""
        return default if self.received is None else 128 + int(self.received)

    @contextmanager
    def deferred(self, then_raise: bool = False) -> Iterator[Signals]:
        """A stretch in which signals are recorded, not raised (saving the finished work).
        With ``then_raise``, one that arrived meanwhile raises ``KeyboardInterrupt`` at the
        end (a step too short to be cut, such as making and removing a probe)."""
        self._defer += 1
        count = self._count
        try:
            yield self
        finally:
            self._defer -= 1
        if then_raise and not self._defer and self._count != count:
            raise KeyboardInterrupt

    @contextmanager
    def interruptible(self) -> Iterator[Signals]:
        """A stretch inside :meth:`deferred` that a signal may cut short (optional work, such
        as plots): the signal raises ``KeyboardInterrupt`` there, as outside."""
        saved, self._defer = self._defer, 0
        try:
            if saved and self.pending:
                raise KeyboardInterrupt
            yield self
        finally:
            self._defer = saved

    def pause_point(self, name: str) -> None:
        """For the signal tests: with ``CHAINRULE_TEST_PAUSE_AT=name`` in the environment,
        say so on stderr and wait (at most 30 s) for a signal here. Otherwise nothing."""
        if os.environ.get("CHAINRULE_TEST_PAUSE_AT") != name:
            return
        print(f"chainrule: paused at {name}", file=sys.stderr, flush=True)
        end = time.monotonic() + 30
        while not self.pending and time.monotonic() < end:
            time.sleep(0.01)

    def _handler(self, signum: int, frame: Any) -> None:
        self._count += 1
        if self.received is None or signum == signal.SIGTERM:
            self.received = signum
        if signum == signal.SIGTERM:
            owner = signal.getsignal(signal.SIGINT)
            if callable(owner) and owner != self._handler:  # fit owns Ctrl-C: stop like it
                owner(signal.SIGINT, frame)
                return
        if not self._defer:
            raise KeyboardInterrupt


_current = threading.local()


def current() -> Signals:
    """The :class:`Signals` of the running command (an inert one outside :func:`handling`)."""
    return getattr(_current, "signals", None) or Signals()


@contextmanager
def handling() -> Iterator[Signals]:
    """Handle SIGINT and SIGTERM as described above, in the main thread (elsewhere: record
    nothing, as signal handlers can only be set there)."""
    s = Signals()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _HANDLED:
            previous[sig] = signal.signal(sig, s._handler)
    _current.signals = s
    try:
        yield s
    finally:
        _current.signals = None
        for sig, handler in previous.items():
            signal.signal(sig, handler)
