"""A test run of one DUT: measurements, batches and steps, ending with a verdict."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from benchtrail.agents.attachments import AttachmentSource, attach
from benchtrail.agents.batch_points import (
    Numbers,
    Timestamps,
    batch_chunks,
    batch_names,
    batch_timestamps,
    batch_values,
)
from benchtrail.agents.errors import RunNotActive
from benchtrail.agents.measurement_tables import AxisColumn, check_table, record_table
from benchtrail.agents.sink import EventSink
from benchtrail.agents.step import Step, span_end
from benchtrail.agents.times import When, check_time
from benchtrail.agents.validation import (
    check_limits,
    check_name,
    check_point,
    check_timestamps,
    check_value,
    outcome_of,
)
from benchtrail.schemas import (
    AttachmentAdded,
    Measurement,
    MeasurementBatch,
    MeasurementOutcome,
    MeasurementValue,
    RunEnded,
    RunOutcome,
    StepOutcome,
    now_ns,
)

if TYPE_CHECKING:
    from benchtrail.agents.instruments import Waveform


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
        if self.outcome is not None:  # _check_active(), inline: this runs for every point
            raise RunNotActive(self.run_id)
        checked: MeasurementValue = value
        point = check_point(name, value, low, high)
        if point is None:  # the general path: it raises for a bad point, naming the value
            lo, hi = check_limits(check_name(name), low, high)
            checked = check_value(name, value)
            point = check_point(name, checked, lo, hi)
            if point is None:  # a whole number a float cannot hold: one measurement event
                return self._measure_event(name, checked, unit, (lo, hi), step=step, at=at)
        if type(unit) is not str or type(step) is not str:
            return self._measure_event(name, checked, unit, point[3:5], step=step, at=at)
        window = self.station.time_window
        stamp = None if at is None else check_time(f"measurement {name!r} at", at, window)
        number, text, kind, lo, hi, outcome = point
        row = (number, text, kind, self.run_id, name, unit, lo, hi, outcome, step)
        self.station.record_point(row, stamp)
        self.measurement_count += 1
        if outcome == "failed":
            self.failed_measurement_count += 1
        return outcome

    def _measure_event(
        self,
        name: str,
        value: MeasurementValue,
        unit: str,
        limits: tuple[float | None, float | None],
        *,
        step: str,
        at: When | None,
    ) -> MeasurementOutcome:
        """Record one ``measurement`` event (what a series cannot carry exactly)."""
        outcome = outcome_of(value, *limits)
        stamp = check_time(f"measurement {name!r} at", at, self.station.time_window)
        self.station.emit(
            Measurement,
            at=stamp,
            run_id=self.run_id,
            name=name,
            value=value,
            unit=unit,
            low=limits[0],
            high=limits[1],
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
        points = batch_values(label, values)
        stamps = batch_timestamps(label, len(points), timestamps_ns, interval_ns)
        names = batch_names(name, len(points))
        lo, hi = check_limits(label, low, high)
        check_timestamps(label, stamps, self.station.time_window)
        for start, end in batch_chunks(stamps):
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

    def measure_table(
        self,
        name: str,
        columns: Mapping[str, AxisColumn],
        *,
        dimensions: int = 1,
        outcome: MeasurementOutcome = "unset",
        step: str = "",
        at: When | None = None,
    ) -> int:
        """Record a dimensioned measurement (points on named axes); return its point count.

        ``run.measure_table("iv", {"t": (t_ms, "ms"), "V": (volts, "V"), "I": (amps, "A")})``
        records one measurement whose points have a time, a voltage and a current.
        It counts as one measurement of the run (``failed`` if ``outcome`` says so);
        the API returns it as a table with these column names and units.

        Args:
            name: the measurement's name.
            columns: axis name → its values (one per point, aligned), or ``(values, unit)``.
            dimensions: how many of the first axes are coordinates (time, frequency,
                motor positions); the others were measured at them.
            outcome: the measurement's verdict, if the caller judged it.
            step: the step the measurement belongs to.
            at: when it was measured (``int`` ns or aware ``datetime``), default now.

        Raises:
            InvalidMeasurement: see :func:`~benchtrail.agents.measurement_tables.check_table`.
                Nothing is recorded.
            InvalidTime: ``at`` is not a time or is outside the time window.
        """
        self._check_active()
        axes = check_table(name, columns, dimensions, outcome)
        stamp = check_time(f"measurement {name!r} at", at, self.station.time_window)
        points = record_table(
            self.station,
            self.run_id,
            name,
            axes,
            dimensions=dimensions,
            outcome=outcome,
            step=step,
            at=stamp,
        )
        self.measurement_count += 1
        if outcome == "failed":
            self.failed_measurement_count += 1
        return points

    def attach(
        self, name: str, data: AttachmentSource, mimetype: str | None = None, *, step: str = ""
    ) -> AttachmentAdded:
        """Attach bytes, or a file given by its path, to the run; return the event recorded.

        The bytes are stored on the hub named by their sha256 (the same bytes twice are
        stored once) and kept in the station's outbox until the hub has them. The
        mimetype is guessed from ``name`` when not given.

        Raises:
            InvalidAttachment: the name has a path separator or is too long, the mimetype
                is not ``type/subtype``, or the path is not a readable file.
            AttachmentTooLarge: larger than the outbox's ``max_attachment_bytes``.
        """
        self._check_active()
        limit = self.station.publisher.outbox_config.max_attachment_bytes
        return attach(self.station, self.run_id, name, data, mimetype, step=step, max_bytes=limit)

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
