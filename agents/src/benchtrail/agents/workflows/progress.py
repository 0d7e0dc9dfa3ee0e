"""Progress of a run: a rich bar (points done / total, rate, ETA) when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

_REFRESH_NS = 100_000_000


class RunProgress:
    """Shows a run's progress; silent (and nearly free) when ``show`` is False.

    ``advance`` is called at every point and only touches the bar every 0.1 s, so a
    fast pure-Python sweep does not pay for drawing it.

    Args:
        description: what is running (the session's name).
        total: points expected, or None when unknown.
        seconds: for a timed run, its duration (the bar shows time instead of points).
        show: draw the bar; None draws it when stderr is a terminal.
    """

    def __init__(
        self,
        description: str,
        total: int | None,
        seconds: float | None = None,
        show: bool | None = None,
    ) -> None:
        self.show = sys.stderr.isatty() if show is None else show
        self.description = description
        self.total = total
        self.seconds = seconds
        self.done = 0
        self._started = time.monotonic()
        self._next = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> RunProgress:
        if self.show:
            self._start_bar()
        return self

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = [
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn() if self.seconds is None else TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        self._progress = Progress(*columns, console=Console(stderr=True), transient=False)
        total = self.seconds if self.seconds is not None else self.total
        self._task = self._progress.add_task(self.description, total=total, rate="")
        self._progress.start()

    def advance(self) -> None:
        """Count one point done."""
        self.done += 1
        if self._progress is not None and time.monotonic_ns() >= self._next:
            self._draw()

    def _draw(self) -> None:
        assert self._progress is not None and self._task is not None
        self._next = time.monotonic_ns() + _REFRESH_NS
        elapsed = time.monotonic() - self._started
        rate = f"{self.done / elapsed:,.0f} points/s" if elapsed > 0 else ""
        completed = min(elapsed, self.seconds) if self.seconds is not None else self.done
        self._progress.update(self._task, completed=completed, rate=rate)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._draw()
            self._progress.stop()
