"""SIGTERM during a recorded pytest session stops pytest the way Ctrl-C does.

The station agent turns SIGTERM into ``SystemExit`` so that ``with`` blocks unwind.
Inside a test, pytest would report that ``SystemExit`` as the test's failure and go on
with the next test. While the plugin records, SIGTERM raises ``KeyboardInterrupt``
instead: pytest stops, the run ends ``aborted``, the session ends and every instrument
is put in its safe state and unlocked.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


class SigtermInterrupts:
    """Installs (in the main thread, over the default handler only) and restores the handler."""

    def __init__(self) -> None:
        self._previous: Handler = None
        self._installed = False

    def install(self) -> None:
        """Make SIGTERM raise ``KeyboardInterrupt`` unless someone already handles it."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        self._previous = signal.signal(signal.SIGTERM, _interrupt)
        self._installed = True

    def restore(self) -> None:
        """Put back the handler found by :meth:`install`."""
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)
            self._installed = False


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")
