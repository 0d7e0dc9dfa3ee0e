"""SIGTERM turns into ``SystemExit`` so a recording script's ``with`` blocks unwind."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import CodeType, FrameType

Handler = signal.Handlers | Callable[..., object] | int | None
"""A signal handler as ``signal.signal`` returns it."""
RETRY_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
"""How soon a held-back SIGTERM is sent again: the first tries, then every 0.1 s."""


class SigtermExit:
    """SIGTERM as ``SystemExit``, held back while the main thread stamps and submits an event.

    Raised between the two, the exit would leave a ``seq`` used by no event (a gap the
    session's ``event_count`` would show). The handler looks at what the main thread was
    running when the signal came: inside a function marked with :meth:`guard`, it sends the
    signal again a moment later instead of raising, so recording a point costs nothing
    for this.
    """

    def __init__(self) -> None:
        self._guarded: frozenset[CodeType] = frozenset()
        self._tries = 0

    def guard(self, *functions: Callable[..., object]) -> None:
        """Hold SIGTERM back while the main thread runs any of ``functions``."""
        self._guarded |= {function.__code__ for function in functions}

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self._inside_guarded(frame):
            delay = RETRY_S[min(self._tries, len(RETRY_S) - 1)]
            self._tries += 1
            resend = threading.Timer(delay, os.kill, (os.getpid(), signum))
            resend.daemon = True
            resend.start()
            return
        self._tries = 0
        raise SystemExit(128 + signum)

    def _inside_guarded(self, frame: FrameType | None) -> bool:
        while frame is not None:
            if frame.f_code in self._guarded:
                return True
            frame = frame.f_back
        return False


SIGTERM_EXIT = SigtermExit()
"""The handler a recording station installs for SIGTERM in the main thread."""


def install_sigterm_exit() -> Handler:
    """In the main thread, turn SIGTERM into SystemExit; return the handler replaced, if any."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        return signal.signal(signal.SIGTERM, SIGTERM_EXIT)
    return None


def restore_sigterm(previous: Handler) -> Handler:
    """Put ``previous`` back (possible from the main thread only); return what is left."""
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)
        return None
    return previous
