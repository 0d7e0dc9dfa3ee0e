"""Background tasks of a measurement session: threads told to stop through one event."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from benchtrail.agents.errors import TaskFailed
from benchtrail.agents.workflows.binding import Bound


class TaskGroup:
    """Runs bound tasks in threads for the length of a run.

    A task gets ``stop_event`` and should return soon after it is set. When a
    task raises, the event is set (so the run and the other tasks stop) and
    :meth:`check` raises :class:`TaskFailed` naming it.
    """

    def __init__(self, tasks: Sequence[Bound], stop_event: threading.Event) -> None:
        self.stop_event = stop_event
        self._tasks = list(tasks)
        self._threads: list[threading.Thread] = []
        self._failure: tuple[str, BaseException] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start every task in its own (daemon) thread."""
        for task in self._tasks:
            thread = threading.Thread(
                target=self._run, args=(task,), name=f"benchtrail-task-{task.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, task: Bound) -> None:
        try:
            result = task.function(**task.fixed)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
        except BaseException as e:  # handed to the run through check()
            with self._lock:
                if self._failure is None:
                    self._failure = (task.name, e)
            self.stop_event.set()

    def check(self) -> None:
        """Raise :class:`TaskFailed` if a task has failed."""
        if self._failure is not None:
            name, error = self._failure
            raise TaskFailed(name, error) from error

    def stop(self, timeout: float = 10.0) -> list[str]:
        """Tell the tasks to stop and wait for them; return the names of those still running."""
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)
        return [t.name.removeprefix("benchtrail-task-") for t in self._threads if t.is_alive()]
