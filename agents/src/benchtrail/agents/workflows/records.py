"""Ad-hoc results of a measurement session (``session.record()``) and the run they go to.

A value recorded during ``run()`` belongs to that run (and to its experiment's
``records``); outside it, to the session's own run, opened on the first record and
ended when the session closes.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator

from benchtrail.agents.run import Run
from benchtrail.schemas import MeasurementOutcome, MeasurementValue


class Records:
    """The values recorded with ``record()``, by key, and the run each goes to.

    Args:
        open_run: opens the session's own run (called on the first record outside ``run()``).
    """

    def __init__(self, open_run: Callable[[], Run]) -> None:
        self.by_key: defaultdict[str, list[MeasurementValue]] = defaultdict(list)
        self.adhoc: Run | None = None
        self._open_run = open_run
        self._current: Run | None = None
        self._in_run: defaultdict[str, list[MeasurementValue]] = defaultdict(list)

    def record(
        self, key: str, value: object, unit: str, low: float | None, high: float | None
    ) -> MeasurementOutcome:
        """Record ``value`` in the current run (else the session's own); return its verdict."""
        run = self._current or self._adhoc_run()
        outcome = run.measure(key, value, unit, low=low, high=high)  # type: ignore[arg-type]
        self.by_key[key].append(value)  # type: ignore[arg-type]  # checked by measure()
        if self._current is run:
            self._in_run[key].append(value)  # type: ignore[arg-type]
        return outcome

    @contextlib.contextmanager
    def during(self, run: Run) -> Iterator[dict[str, list[MeasurementValue]]]:
        """Send records to ``run`` inside the block; yields them (filled as they come)."""
        self._in_run = defaultdict(list)
        self._current = run
        try:
            yield self._in_run
        finally:
            self._current = None

    def close(self, error: BaseException | None) -> None:
        """End the session's own run (``error``: the exception that ends the session)."""
        if self.adhoc is not None and self.adhoc.active:
            self.adhoc.__exit__(type(error) if error else None, error, None)

    def _adhoc_run(self) -> Run:
        if self.adhoc is None or not self.adhoc.active:
            self.adhoc = self._open_run()
        return self.adhoc
