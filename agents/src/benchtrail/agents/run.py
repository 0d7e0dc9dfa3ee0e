"""A test run of one DUT: measurements, batches and steps, ending with a verdict."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from benchtrail.agents.errors import InvalidMeasurement, RunNotActive
from benchtrail.agents.sink import EventSink
from benchtrail.agents.step import Step, span_end
from benchtrail.agents.times import When, check_time
from benchtrail.agents.validation import (
    check_limits,
    check_name,
    check_timestamps,
    check_value,
    outcome_of,
)
from benchtrail.schemas import (
    DAY_NS,
    MAX_FRAME_DAYS,
    Measurement,
    MeasurementBatch,
    MeasurementOutcome,
    RunEnded,
    RunOutcome,
    StepOutcome,
    now_ns,
)

if TYPE_CHECKING:
    from benchtrail.agents.instruments import Waveform

BATCH_CHUNK_POINTS = 20_000
"""Points per ``measurement.batch`` event; larger batches are split (a frame stays < 1 MB)."""

Numbers = Sequence[float] | npt.NDArray[np.floating] | npt.NDArray[np.integer]
Timestamps = Sequence[int] | npt.NDArray[np.integer]


class Run:
    """One run of a DUT on a station; use it as a context manager.

    Leaving the block records ``run.ended``: ``error`` when an exception escaped
    (it is re-raised), ``aborted`` on Ctrl-C, ``failed`` when a measurement
    failed its limits, ``passed`` otherwise.
    """

    def __init__(self, station: EventSink, run_id: str, started_at_ns: int | None = None) -> None:
        self.station = station
        self.run_id = run_id
        self.measurement_count = 0
        self.failed_measurement_count = 0
        self.step_count = 0
        self.outcome: RunOutcome | None = None
        self.started_at_ns = now_ns() if started_at_ns is None else started_at_ns
        """When the run started, ns since the epoch (its ``run.started`` time)."""
        self._explicit_start = started_at_ns is not None
        self._started_ns = time.monotonic_ns()

    @property
    def active(self) -> bool:
        """Whether the run has not ended yet."""
        return self.outcome is None

    def _check_active(self) -> None:
        if self.outcome is not None:
            raise RunNotActive(self.run_id)

    def measure(
        self,
        name: str,
        value: float | int | bool | str,
        unit: str = "",
        *,
        low: float | None = None,
        high: float | None = None,
        step: str = "",
        at: When | None = None,
    ) -> MeasurementOutcome:
        """Record one value with its unit and limits; return its verdict.

        ``at`` is when it was measured (``int`` ns or aware ``datetime``), default now.

        Raises:
            InvalidMeasurement: empty name, non-finite limits, ``low > high`` or a
                value that is not a number, flag or text. Nothing is recorded.
            InvalidTime: ``at`` is not a time or is outside the time window.
        """
        self._check_active()
        check_name(name)
        lo, hi = check_limits(name, low, high)
        checked = check_value(name, value)
        outcome = outcome_of(checked, lo, hi)
        stamp = check_time(f"measurement {name!r} at", at, self.station.time_window)
        self.station.emit(
            Measurement,
            at=stamp,
            run_id=self.run_id,
            name=name,
            value=checked,
            unit=unit,
            low=lo,
            high=hi,
            outcome=outcome,
            step=step,
        )
        self.measurement_count += 1
        if outcome == "failed":
            self.failed_measurement_count += 1
        return outcome

    def measure_batch(
        self,
        name: str | Sequence[str],
        values: Numbers,
        timestamps_ns: Timestamps | None = None,
        *,
        unit: str = "",
        low: float | None = None,
        high: float | None = None,
        step: str = "",
        interval_ns: int | None = None,
    ) -> int:
        """Record many points at once (columnar); return how many.

        Args:
            name: one name for every point, or one name per point.
            values: the values (a list or a numpy array).
            timestamps_ns: one timestamp per point, ns since the epoch; or give
                ``interval_ns`` to stamp points from now at that spacing.
            unit: the unit of every point.
            low: low limit of every point (verdicts are derived per point).
            high: high limit of every point.
            step: the step the points belong to.
            interval_ns: spacing of points when ``timestamps_ns`` is not given.
        """
        self._check_active()
        label = name if isinstance(name, str) else "<per-point names>"
        points = _as_floats(label, values)
        stamps = _timestamps(label, len(points), timestamps_ns, interval_ns)
        names = _names(name, len(points))
        lo, hi = check_limits(label, low, high)
        check_timestamps(label, stamps, self.station.time_window)
        for start, end in _chunks(stamps):
            self.station.emit(
                MeasurementBatch,
                size_hint=300 + 20 * (end - start),
                run_id=self.run_id,
                name=name if isinstance(name, str) else "",
                names=names[start:end] if names else [],
                values=points[start:end],
                timestamps_ns=stamps[start:end],
                unit=unit,
                low=lo,
                high=hi,
                step=step,
            )
        self.measurement_count += len(points)
        if lo is not None or hi is not None:
            array = np.asarray(points)
            inside = np.ones(len(array), dtype=bool)
            if lo is not None:
                inside &= array >= lo
            if hi is not None:
                inside &= array <= hi
            self.failed_measurement_count += int((~inside).sum())
        return len(points)

    def measure_waveform(
        self,
        name: str,
        waveform: Waveform,
        *,
        low: float | None = None,
        high: float | None = None,
        step: str = "",
    ) -> int:
        """Record a scope capture as ``measurement.batch`` events; return the points."""
        return self.measure_batch(
            name,
            waveform.values,
            waveform.timestamps_ns,
            unit=waveform.unit,
            low=low,
            high=high,
            step=step,
        )

    def start_step(self, name: str, *, started_at: When | None = None) -> Step:
        """Record ``step.started`` and return the :class:`Step`; end it with ``step.end()``.

        For steps whose times the caller knows (an imported test record):
        ``started_at`` here and ``ended_at`` in :meth:`Step.end`.

        Raises:
            InvalidTime: ``started_at`` is not a time or is outside the time window.
        """
        self._check_active()
        check_name(name)
        start = check_time(f"step {name!r} started_at", started_at, self.station.time_window)
        return Step(self, name, now_ns() if start is None else start, start is not None).start()

    @contextmanager
    def step(self, name: str, *, started_at: When | None = None) -> Iterator[str]:
        """Record a named step around a block; yields the step id.

        The step ends when the block does: ``error`` when an exception escaped,
        ``aborted`` on Ctrl-C, ``failed`` when a measurement failed in it.
        """
        step = self.start_step(name, started_at=started_at)
        outcome: StepOutcome | None = None
        error = ""
        try:
            yield step.step_id
        except BaseException as e:
            outcome, error = ("aborted" if isinstance(e, KeyboardInterrupt) else "error"), repr(e)
            raise
        finally:
            if self.active:
                step.end(outcome, error)

    def end(
        self,
        outcome: RunOutcome | None = None,
        error: str = "",
        duration_ns: int | None = None,
        *,
        ended_at: When | None = None,
    ) -> RunOutcome:
        """End the run (done for you by the ``with`` block); return its outcome.

        For a run recorded after the fact (an imported test record knows its own
        times) give ``ended_at`` (``int`` ns or aware ``datetime``) or ``duration_ns``;
        either way the run's end minus its start is its duration.

        Raises:
            InvalidTime: ``ended_at`` is not a time, is outside the time window, is
                before the run started, or disagrees with ``duration_ns``.
        """
        self._check_active()
        final: RunOutcome = outcome or ("failed" if self.failed_measurement_count else "passed")
        end, duration_ns = span_end(
            "run ended_at",
            started_at_ns=self.started_at_ns,
            explicit_start=self._explicit_start,
            started_monotonic=self._started_ns,
            ended_at=ended_at,
            run=self,
            duration_ns=duration_ns,
        )
        self.station.emit(
            RunEnded,
            at=end,
            run_id=self.run_id,
            outcome=final,
            measurement_count=self.measurement_count,
            failed_measurement_count=self.failed_measurement_count,
            step_count=self.step_count,
            duration_ns=duration_ns,
            error=error,
        )
        self.outcome = final
        self.station.run_ended(self.run_id)
        return final

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.active:
            return
        if exc is None:
            self.end()
        elif isinstance(exc, KeyboardInterrupt):
            self.end("aborted", "KeyboardInterrupt")
        else:
            self.end("error", repr(exc))

    async def __aenter__(self) -> Run:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def _as_floats(label: str, values: Numbers) -> list[float]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidMeasurement(label, f"batch values must be numbers: {e}") from None
    if array.ndim != 1:
        raise InvalidMeasurement(label, f"batch values must be 1-dimensional, got {array.shape}")
    if len(array) == 0:
        raise InvalidMeasurement(label, "batch has no values")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InvalidMeasurement(
            label, f"batch values must be finite; value {bad} is {float(array[bad])!r}"
        )
    values_list: list[float] = array.tolist()
    return values_list


def _timestamps(
    label: str, count: int, timestamps_ns: Timestamps | None, interval_ns: int | None
) -> list[int]:
    if timestamps_ns is None:
        if interval_ns is None or interval_ns <= 0:
            raise InvalidMeasurement(
                label, "give timestamps_ns (one per value) or a positive interval_ns"
            )
        start = now_ns()
        stamps_list: list[int] = list(range(start, start + count * interval_ns, interval_ns))
        return stamps_list
    try:
        stamps = np.asarray(timestamps_ns, dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as e:
        raise InvalidMeasurement(label, f"timestamps_ns must be integers: {e}") from None
    if stamps.shape != (count,):
        raise InvalidMeasurement(
            label, f"{count} values but {stamps.size} timestamps: they must be aligned"
        )
    if stamps.min() < 0:
        raise InvalidMeasurement(label, "timestamps_ns must be ns since the epoch (>= 0)")
    result: list[int] = stamps.tolist()
    return result


def _chunks(stamps: list[int]) -> list[tuple[int, int]]:
    """Index ranges of the events a batch is recorded as.

    At most :data:`BATCH_CHUNK_POINTS` points each (a frame stays < 1 MB), and
    points of at most ``MAX_FRAME_DAYS - 1`` UTC days (the event's own
    ``occurred_at`` may add one), so that a backfill spanning months still
    travels in frames the hub accepts.
    """
    count = len(stamps)
    days = np.asarray(stamps, dtype=np.int64) // DAY_NS
    if np.unique(days).size < MAX_FRAME_DAYS:
        return [
            (start, min(start + BATCH_CHUNK_POINTS, count))
            for start in range(0, count, BATCH_CHUNK_POINTS)
        ]
    chunks: list[tuple[int, int]] = []
    start, seen = 0, set[int]()
    for index, day in enumerate(days.tolist()):
        full = index - start == BATCH_CHUNK_POINTS
        if full or (day not in seen and len(seen) == MAX_FRAME_DAYS - 1):
            chunks.append((start, index))
            start, seen = index, set()
        seen.add(day)
    chunks.append((start, count))
    return chunks


def _names(name: str | Sequence[str], count: int) -> list[str]:
    if isinstance(name, str):
        check_name(name)
        return []
    names = list(name)
    if len(names) != count:
        raise InvalidMeasurement("<per-point names>", f"{count} values but {len(names)} names")
    for each in set(names):
        check_name(each)
    return names
