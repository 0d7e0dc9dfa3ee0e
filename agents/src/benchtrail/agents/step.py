"""A step (phase) of a run between its ``step.started`` and ``step.ended`` events."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from benchtrail.agents.errors import InvalidTime, RunNotActive
from benchtrail.agents.times import When, check_time
from benchtrail.schemas import StepEnded, StepOutcome, StepStarted, new_id, now_ns

if TYPE_CHECKING:
    from benchtrail.agents.run import Run

__all__ = ["Step", "span_end"]


class Step:
    """A started step of a run; :meth:`end` records its outcome. Made by :meth:`Run.start_step`.

    The step's end time minus its start time is always its ``duration_ns``.

    Attributes:
        run: the run the step belongs to.
        step_id: the step's UUIDv7.
        name: the step's name.
        started_at_ns: when it started, ns since the epoch.
        outcome: its outcome once ended, else ``None``.
    """

    def __init__(self, run: Run, name: str, started_at_ns: int, explicit: bool) -> None:
        self.run = run
        self.step_id = new_id()
        self.name = name
        self.started_at_ns = started_at_ns
        self.outcome: StepOutcome | None = None
        self._explicit = explicit
        self._monotonic = time.monotonic_ns()
        self._failed_before = run.failed_measurement_count

    def start(self) -> Step:
        """Record ``step.started`` (done by :meth:`Run.start_step`)."""
        self.run.station.emit(
            StepStarted,
            at=self.started_at_ns,
            run_id=self.run.run_id,
            step_id=self.step_id,
            name=self.name,
        )
        return self

    def end(
        self, outcome: StepOutcome | None = None, error: str = "", *, ended_at: When | None = None
    ) -> StepOutcome:
        """Record ``step.ended``; return the outcome.

        Args:
            outcome: the step's outcome; default ``failed`` when a measurement of
                the run failed since the step started, else ``passed``.
            error: what went wrong, for an ``error`` or ``aborted`` step.
            ended_at: when it ended (``int`` ns or aware ``datetime``); default now.

        Raises:
            InvalidTime: ``ended_at`` is not a time, is outside the time window,
                or is before the step started.
            RunNotActive: the step or its run has already ended.
        """
        if self.outcome is not None or not self.run.active:
            raise RunNotActive(self.run.run_id)
        what = f"step {self.name!r} ended_at"
        end, duration = span_end(
            what,
            started_at_ns=self.started_at_ns,
            explicit_start=self._explicit,
            started_monotonic=self._monotonic,
            ended_at=ended_at,
            run=self.run,
        )
        if outcome is None:
            failed = self.run.failed_measurement_count > self._failed_before
            outcome = "failed" if failed else "passed"
        self.run.step_count += 1
        self.run.station.emit(
            StepEnded,
            at=end,
            run_id=self.run.run_id,
            step_id=self.step_id,
            name=self.name,
            outcome=outcome,
            duration_ns=duration,
            error=error,
        )
        self.outcome = outcome
        return outcome


def span_end(
    what: str,
    *,
    started_at_ns: int,
    explicit_start: bool,
    started_monotonic: int,
    ended_at: When | None,
    run: Run,
    duration_ns: int | None = None,
) -> tuple[int, int]:
    """The end time and duration of a run or step, so that ``end - start == duration``.

    An explicit ``ended_at`` gives the duration; else a given ``duration_ns`` gives
    the end; else a start given explicitly ends now, and one stamped at the call
    lasts the monotonic time since (a wall clock step does not change it).
    """
    end = check_time(what, ended_at, run.station.time_window)
    if end is not None:
        if end < started_at_ns:
            raise InvalidTime(what, ended_at, f"{end} ns is before the start, {started_at_ns} ns")
        if duration_ns is not None and duration_ns != end - started_at_ns:
            raise InvalidTime(
                what,
                ended_at,
                f"{end} ns - {started_at_ns} ns disagrees with duration_ns={duration_ns}",
            )
        return end, end - started_at_ns
    if duration_ns is None:
        if explicit_start:
            end = max(now_ns(), started_at_ns)
            return end, end - started_at_ns
        duration_ns = time.monotonic_ns() - started_monotonic
    if duration_ns < 0:
        raise InvalidTime(what, duration_ns, f"duration_ns must be >= 0, got {duration_ns}")
    end = check_time(what, started_at_ns + duration_ns, run.station.time_window)
    assert end is not None
    return end, duration_ns
