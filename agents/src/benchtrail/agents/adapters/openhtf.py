"""OpenHTF → benchtrail: an output callback recording each test record as a run.

Usage::

    with connect("cell-7") as station:
        test = openhtf.Test(power_on, measure_rails)
        test.add_output_callbacks(BenchtrailOutput(station))
        test.execute(test_start=lambda: "SN-1")

The record becomes one run (DUT id → ``dut_serial``), one step per phase with the
phase's outcome, and one measurement per set measurement, with its unit, the
limits (and marginal limits) of its range validators, its docstring, OpenHTF's
verdict and marginal flag; the record's log records at or above ``log_level``
(default WARNING) become ``log`` events. Every event carries OpenHTF's own time:
the run its ``start_time_millis``/``end_time_millis``, each step its phase's, each
measurement the time it was set (else its phase's end), each log line its own.
See ``docs/adapters.md`` for the whole mapping.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping

import numpy as np

from benchtrail.agents.adapters.run_metadata import (
    SplitMetadata,
    fit_structured,
    metadata_warnings,
    run_fields,
    split_metadata,
)
from benchtrail.agents.log_capture import DEFAULT_LOG_LEVEL, clip_message, level_name
from benchtrail.agents.log_capture import log_level as log_level_number
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station
from benchtrail.schemas import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_TEXT_VALUE,
    Log,
    Measurement,
    MeasurementOutcome,
    MeasurementValue,
    RunOutcome,
    StepOutcome,
)

try:
    import openhtf  # type: ignore[import-untyped]
    from openhtf.core import (  # type: ignore[import-untyped]
        measurements,
        phase_executor,
        test_record,
    )
    from openhtf.util import units, validators  # type: ignore[import-untyped]
except ImportError as e:
    raise ImportError(
        "benchtrail.agents.adapters.openhtf needs OpenHTF: pip install 'benchtrail-agents[openhtf]'"
    ) from e

from benchtrail.agents.adapters.openhtf_attachments import record_attachments
from benchtrail.agents.adapters.openhtf_dimensions import record_dimensioned

__all__ = ["LOGGER", "BenchtrailOutput", "record_attachments"]

LOGGER = "benchtrail.adapters.openhtf"
"""The ``logger`` of the log events this adapter records (values it could not record)."""

_RUN_OUTCOMES: dict[object, RunOutcome] = {
    test_record.Outcome.PASS: "passed",
    test_record.Outcome.FAIL: "failed",
    test_record.Outcome.ERROR: "error",
    test_record.Outcome.ABORTED: "aborted",
    test_record.Outcome.TIMEOUT: "aborted",
}
_STEP_OUTCOMES: dict[object, StepOutcome] = {
    test_record.PhaseOutcome.PASS: "passed",
    test_record.PhaseOutcome.FAIL: "failed",
    test_record.PhaseOutcome.SKIP: "skipped",
    test_record.PhaseOutcome.ERROR: "error",
}
_MEASUREMENT_OUTCOMES: dict[object, MeasurementOutcome] = {
    measurements.Outcome.PASS: "passed",
    measurements.Outcome.FAIL: "failed",
}
_NO_UNIT_CODES = frozenset({units.NONE.code, units.NO_DIMENSION.code})


class BenchtrailOutput:
    """An OpenHTF output callback: each test record becomes a benchtrail run.

    Add it with ``test.add_output_callbacks(BenchtrailOutput(station))``; the
    station's session must be running when the test ends. OpenHTF calls output
    callbacks once the test has finished; every event is stamped with the time
    the record gives for it, so the run, its steps and measurements sit where the
    test put them, not at the moment of the callback.

    Args:
        station: the station session the runs are recorded in.
        log_level: the lowest level of the record's log records kept as ``log``
            events (``logging.WARNING`` by default; ``"INFO"``, ``20`` also work).

    Attributes:
        station: the station session the runs are recorded in.
        last_run: the run recorded for the latest test record, if any.
    """

    def __init__(self, station: Station, *, log_level: int | str = DEFAULT_LOG_LEVEL) -> None:
        self.station = station
        self.log_level = log_level_number(log_level)
        self.last_run: Run | None = None

    def __call__(self, record: test_record.TestRecord) -> None:
        """Record a finished test as one run: its phases, measurements, logs and verdict."""
        metadata: Mapping[str, object] = record.metadata
        fields = run_fields(metadata)
        fields["dut_serial"] = str(record.dut_id or "")
        split = _run_metadata(record)
        run = self.station.run(
            **fields,
            custom_metadata=split.custom,
            structured_metadata=split.structured,
            started_at=_ns(record.start_time_millis),
        )
        self.last_run = run
        try:
            for warning in metadata_warnings(split, "OpenHTF"):
                self._warn(run, warning, run.started_at_ns)
            for phase in record.phases:
                self._record_phase(run, phase, record.end_time_millis)
            record_attachments(run, record, step_name=_step_name, logger=LOGGER)
            self._record_logs(run, record)
        except BaseException as e:
            run.end("error", f"recording the OpenHTF test record failed: {e!r}")
            raise
        outcome = _RUN_OUTCOMES.get(record.outcome, "error")
        run.end(
            outcome,
            _run_error(record) if outcome != "passed" else "",
            ended_at=_ns(_end_millis(record.start_time_millis, record.end_time_millis)),
        )

    def _record_phase(
        self, run: Run, phase: test_record.PhaseRecord, test_end_millis: int | None
    ) -> None:
        started = phase.start_time_millis or None
        ended = _end_millis(started, phase.end_time_millis or test_end_millis)
        step = run.start_step(_step_name(phase), started_at=_ns(started))
        for measurement in (phase.measurements or {}).values():
            self._record_measurement(run, measurement, step.name, ended)
        outcome, error = _step_outcome(phase)
        step.end(outcome, error, ended_at=_ns(ended))

    def _record_measurement(
        self,
        run: Run,
        measurement: measurements.Measurement,
        step: str,
        phase_end_millis: int | None,
    ) -> None:
        measured = measurement.measured_value
        if not measured.is_value_set:
            return  # declared but never set: OpenHTF's verdict is on the phase
        name = _short(str(measurement.name))
        set_millis = getattr(measurement, "set_time_millis", None) or phase_end_millis
        dimensioned_outcome = _MEASUREMENT_OUTCOMES.get(measurement.outcome, "unset")
        if record_dimensioned(
            run, measurement, name, step, dimensioned_outcome, at=_ns(set_millis)
        ):
            return  # axes with their names and units: see openhtf_dimensions.py
        value = _value(measured.value, measured.basetype_value())
        if value is None:
            message = (
                f"OpenHTF measurement {name!r} of phase {step!r} not recorded: "
                f"its value {_excerpt(measured.value)} is not a number, flag or text "
                f"of at most {MAX_TEXT_VALUE} characters"
            )
            self._warn(run, message, _ns(set_millis))
            return
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        low, high = _limits(measurement, "minimum", "maximum") if numeric else (None, None)
        marginal = (
            _limits(measurement, "marginal_minimum", "marginal_maximum")
            if numeric
            else (None, None)
        )
        outcome = _MEASUREMENT_OUTCOMES.get(measurement.outcome, "unset")
        self.station.emit(
            Measurement,
            at=_ns(set_millis),
            run_id=run.run_id,
            name=name,
            value=value,
            unit=_unit_text(measurement.units),
            low=low,
            high=high,
            outcome=outcome,
            step=step,
            description=str(measurement.docstring or "")[:MAX_DESCRIPTION],
            marginal_low=marginal[0],
            marginal_high=marginal[1],
            marginal=bool(measurement.marginal),
        )
        run.measurement_count += 1
        if outcome == "failed":
            run.failed_measurement_count += 1

    def _warn(self, run: Run, message: str, at: int | None) -> None:
        """A warning of this adapter (something it could not record) in the run."""
        self.station.log(message, "warning", LOGGER, run_id=run.run_id, at=at)

    def _record_logs(self, run: Run, record: test_record.TestRecord) -> None:
        """The record's log records at or above ``log_level``, each at its own time."""
        for line in record.log_records:
            if line.level < self.log_level:
                continue
            self.station.emit(
                Log,
                at=_ns(line.timestamp_millis),
                level=level_name(line.level),
                message=clip_message(str(line.message)),
                logger=_short(str(line.logger_name)),
                run_id=run.run_id,
                source=f"{line.source}:{line.lineno}"[:MAX_NAME],
            )


def _run_metadata(record: test_record.TestRecord) -> SplitMetadata:
    """The test's metadata (but its config) as they are, and OpenHTF's own as ``openhtf.*``."""
    code = record.code_info
    own: dict[str, object] = {
        "version": openhtf.__version__,
        "station_id": record.station_id,
        "outcome": record.outcome.name if record.outcome is not None else "",
        "start_time_millis": record.start_time_millis,
        "end_time_millis": record.end_time_millis,
        "marginal": record.marginal,
        "code_info": {"name": code.name, "docstring": code.docstring} if code.name else {},
    }
    split = split_metadata(record.metadata, skip=frozenset({"config"}))
    ours = split_metadata(own, prefix="openhtf.")
    split.custom.update(ours.custom)
    split.structured.update(ours.structured)
    split.problems += ours.problems
    fit_structured(split)
    return split


def _run_error(record: test_record.TestRecord) -> str:
    details = "; ".join(f"{d.code}: {d.description}" for d in record.outcome_details)
    name = record.outcome.name if record.outcome is not None else "no outcome"
    return f"{name}: {details}" if details else name


def _step_name(phase: test_record.PhaseRecord) -> str:
    name = str(phase.name)
    return _short(f"{phase.subtest_name}/{name}" if phase.subtest_name else name)


def _step_outcome(phase: test_record.PhaseRecord) -> tuple[StepOutcome, str]:
    result = phase.result
    if result is not None and result.is_aborted:
        return "aborted", _result_error(result)
    outcome = _STEP_OUTCOMES.get(phase.outcome, "error")
    return outcome, (_result_error(result) if outcome == "error" else "")


def _result_error(result: phase_executor.PhaseExecutionOutcome | None) -> str:
    """What ended a phase in error: the exception raised, a timeout, or the result returned."""
    if result is None:
        return "the phase did not finish"
    info = result.phase_result
    if isinstance(info, phase_executor.ExceptionInfo):
        return f"{info.exc_type.__name__}: {info.exc_val}"
    if isinstance(info, BaseException):
        return repr(info)
    if result.is_timeout:
        return "the phase timed out"
    return f"the phase returned {getattr(info, 'name', info)}"


def _ns(millis: int | None) -> int | None:
    """OpenHTF's ms since the epoch in ns; ``None`` (stamp at the call) when it has none."""
    return millis * 1_000_000 if millis else None


def _end_millis(start_millis: int | None, end_millis: int | None) -> int | None:
    """An end time that is not before its start (OpenHTF's clock is ms, not monotonic)."""
    if not end_millis:
        return None
    return max(end_millis, start_millis or 0)


def _value(value: object, basetype_value: object) -> MeasurementValue | None:
    """A measured value as benchtrail records it: scalars as they are, the rest as JSON text.

    Non-finite numbers become their text (``"nan"``); lists, dicts, arrays and
    dimensioned values their JSON text; ``None`` and texts longer than
    ``MAX_TEXT_VALUE`` cannot be recorded (``None`` is returned).
    """
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else repr(number)
    text = value if isinstance(value, str) else json.dumps(basetype_value, default=str)
    return text if len(text) <= MAX_TEXT_VALUE else None


def _limits(
    measurement: measurements.Measurement, lower: str, upper: str
) -> tuple[float | None, float | None]:
    """The tightest range of the measurement's range validators (``in_range``, ``within_percent``).

    ``lower``/``upper`` name the validator's bounds: ``minimum``/``maximum`` for the
    limits, ``marginal_minimum``/``marginal_maximum`` for the marginal ones. Other
    validators (``equals`` on text, regexes, functions) give no limits.
    """
    low: float | None = None
    high: float | None = None
    for validator in measurement.validators:
        if not isinstance(validator, validators.RangeValidatorBase):
            continue
        minimum, maximum = _bound(validator, lower), _bound(validator, upper)
        if minimum is not None:
            low = minimum if low is None else max(low, minimum)
        if maximum is not None:
            high = maximum if high is None else min(high, maximum)
    if low is not None and high is not None and low > high:
        return None, None
    return low, high


def _bound(validator: validators.RangeValidatorBase, which: str) -> float | None:
    try:
        bound = getattr(validator, which, None)
    except (TypeError, ValueError):  # a typed validator converting a missing bound
        return None
    if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
        return None
    number = float(bound)
    return number if math.isfinite(number) else None


def _unit_text(unit: units.UnitDescriptor | None) -> str:
    """An OpenHTF unit as text: its symbol (``"V"``), else its name; none for NONE."""
    if unit is None or unit.code in _NO_UNIT_CODES:
        return ""
    return str(unit.suffix or unit.name or "")


def _short(name: str) -> str:
    """A name as events carry it: 1 to 256 characters."""
    return name[:MAX_NAME] or "?"


def _excerpt(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
