"""SIGTERM turns into ``SystemExit`` so a recording script's ``with`` blocks unwind."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

_MAIN = threading.main_thread()
Handler = signal.Handlers | Callable[..., object] | int | None
"""A signal handler as ``signal.signal`` returns it."""


class SigtermExit:
    """SIGTERM as ``SystemExit``, held back while the main thread stamps and submits an event.

    Raised between the two, the exit would leave a ``seq`` used by no event (a gap the
    session's ``event_count`` would show); it is raised right after instead.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._pending: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self._depth:
            self._pending = signum
            return
        raise SystemExit(128 + signum)

    def __enter__(self) -> None:
        """Hold SIGTERM back inside ``with SIGTERM_EXIT:`` (main thread); exit right after it."""
        if threading.get_ident() == _MAIN.ident:  # signal handlers run in the main thread only
            self._depth += 1

    def __exit__(self, *exc_info: object) -> None:
        if threading.get_ident() != _MAIN.ident:
            return
        self._depth -= 1
        if not self._depth and self._pending is not None:
            signum, self._pending = self._pending, None
            raise SystemExit(128 + signum)


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
