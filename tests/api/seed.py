"""The seeded data set of the API tests: one ended session, one running, 25 for paging.

The data goes in exactly as the projector puts it: schema Structs, ``RowBatch``,
``Warehouse.write``. No NATS is needed to test reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from benchtrail.projector import RowBatch, Warehouse
from benchtrail.schemas import (
    ClientInfo,
    DutInfo,
    EnvironmentInfo,
    Event,
    EventUnion,
    GitInfo,
    Log,
    Measurement,
    MeasurementBatch,
    OperatorInfo,
    ProcessInfo,
    ProductInfo,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SlotInfo,
    StationInfo,
    StepEnded,
    StepStarted,
    new_id,
)

T0 = 1_714_564_800_000_000_000
"""2024-05-01T12:00:00Z in ns: every seeded time is an offset from it."""
S = 1_000_000_000
PAGED_STATION = "cell-p"
PAGED_COUNT = 25


@dataclass
class Seed:
    """What the ``seeded`` fixture wrote, to compare answers with."""

    warehouse: Warehouse
    main: list[EventUnion] = field(default_factory=list)
    running: list[EventUnion] = field(default_factory=list)
    paged: list[EventUnion] = field(default_factory=list)

    @property
    def main_session(self) -> SessionStarted:
        event = self.main[0]
        assert isinstance(event, SessionStarted)
        return event

    def run_started(self, run_id: str) -> RunStarted:
        return next(e for e in self.all if isinstance(e, RunStarted) and e.run_id == run_id)

    @property
    def all(self) -> list[EventUnion]:
        return [*self.main, *self.running, *self.paged]


class _Session:
    """Builds one session's events with gap-free seq."""

    def __init__(self, station_id: str, start_ns: int) -> None:
        self.session_id = new_id()
        self.station_id = station_id
        self.clock = start_ns
        self.events: list[EventUnion] = []

    def add(self, event_type: type[Event], step_ns: int = S, **fields: object) -> None:
        envelope = {
            "event_id": new_id(),
            "session_id": self.session_id,
            "station_id": self.station_id,
            "seq": len(self.events) + 1,
            "occurred_at": self.clock,
        }
        self.events.append(event_type(**envelope, **fields))  # type: ignore[arg-type]
        self.clock += step_ns


def main_session() -> list[EventUnion]:
    s = _Session("cell-7", T0 + 1000 * S)
    s.add(
        SessionStarted,
        session_type="pytest",
        station=StationInfo(
            id="cell-7", name="Cell 7", type="ict", location="Line 2", hostname="bench-pc-7"
        ),
        process=ProcessInfo(pid=4242, client=ClientInfo(name="pytest", version="8.3.2")),
        operator=OperatorInfo(id="op-1", name="Ada Lovelace"),
        fixture_id="FX-9",
        slot_count=4,
        device_ids=["dmm-1", "psu-2"],
        git=GitInfo(commit="abc123def456", branch="main", remote="git@x:y.git", dirty=True),
        environment=EnvironmentInfo(python="3.11.9", packages={"pyvisa": "1.14", "numpy": "2.0"}),
    )
    s.add(
        RunStarted,
        run_id="run-a1",
        dut=DutInfo(serial="SN123", part_number="PN-1", revision="B", lot_number="L42"),
        product=ProductInfo(id="P-100", name="Widget", revision="3"),
        slot=SlotInfo(id="slot-2", index=2),
        fixture_id="FX-9",
        test_phase="final",
        project_name="widget-eol",
        git=GitInfo(commit="abc123def456", branch="main", remote="git@x:y.git", dirty=False),
        environment=EnvironmentInfo(python="3.11.9", packages={"pyvisa": "1.14"}),
        custom_metadata={"temp_c": 25.5, "retest": False, "fw": "1.2.3", "count": 3},
        channel_refs=["ch1", "ch2"],
    )
    s.add(StepStarted, run_id="run-a1", step_id="step-1", name="power")
    s.add(
        Measurement,
        run_id="run-a1",
        name="vout",
        value=3.31,
        unit="V",
        low=3.2,
        high=3.4,
        outcome="passed",
        step="power",
    )
    s.add(Measurement, run_id="run-a1", name="fw_version", value="1.2.3", step="power")
    s.add(
        MeasurementBatch,
        run_id="run-a1",
        name="ripple",
        values=[0.01, 0.02, 0.05],
        timestamps_ns=[s.clock, s.clock + 1, s.clock + 2],
        unit="V",
        high=0.04,
        step="power",
    )
    s.add(
        StepEnded,
        run_id="run-a1",
        step_id="step-1",
        name="power",
        outcome="failed",
        duration_ns=3 * S,
    )
    s.add(
        RunEnded,
        run_id="run-a1",
        outcome="failed",
        measurement_count=5,
        failed_measurement_count=1,
        step_count=1,
        duration_ns=5 * S,
        error="ripple high",
    )
    s.add(RunStarted, run_id="run-a2", dut=DutInfo(serial="SN124", part_number="PN-1"))
    s.add(
        Measurement,
        run_id="run-a2",
        name="vout",
        value=3.30,
        unit="V",
        low=3.2,
        high=3.4,
        outcome="passed",
    )
    s.add(RunEnded, run_id="run-a2", outcome="passed", measurement_count=1)
    s.add(Log, level="info", message="all done")
    s.add(SessionEnded, run_count=2, event_count=13, reason="finished")
    return s.events


def running_session() -> list[EventUnion]:
    s = _Session("cell-9", T0 + 2000 * S)
    s.add(
        SessionStarted,
        station=StationInfo(id="cell-9", name="Cell 9"),
        operator=OperatorInfo(id="op-2", name="Grace"),
    )
    s.add(RunStarted, run_id="run-b1", dut=DutInfo(serial="SN200", part_number="PN-2"))
    s.add(Measurement, run_id="run-b1", name="iq", value=0.5, unit="A")
    return s.events


def paged_sessions() -> list[EventUnion]:
    """25 sessions of one run each; sessions 10 to 12 share one start time (ties by id)."""
    events: list[EventUnion] = []
    for i in range(PAGED_COUNT):
        start = T0 + (10 if 10 <= i <= 12 else i) * S
        s = _Session(PAGED_STATION, start)
        s.add(SessionStarted, station=StationInfo(id=PAGED_STATION), step_ns=0)
        s.add(RunStarted, run_id=f"run-p{i:02d}", dut=DutInfo(serial=f"SN-P{i:02d}"))
        events.extend(s.events)
    return events


def write_events(warehouse: Warehouse, events: Sequence[EventUnion]) -> None:
    """Write events as the projector does: one RowBatch, one insert per table."""
    batch = RowBatch()
    batch.add_frame(events, stream_seq=1)
    warehouse.write(batch)


T1 = T0 + 10_000 * S
"""Start of the history data set (DUT retests across stations, and a long series)."""
SERIES_T0 = T1 + 5000 * S
SERIES_POINTS = 10_000
SERIES_STEP_NS = 1_000_000
"""The series run's ``vout`` batch: 10,000 points 1 ms apart from SERIES_T0."""


def series_values() -> list[float]:
    """The values of the series batch: a sawtooth with a slow drift (exact in float)."""
    return [float(i % 97) + i / 1000 for i in range(SERIES_POINTS)]


def history_sessions() -> list[EventUnion]:
    """DUT SN-H1 tested at ICT on two stations (failed, then passed on retest) and twice
    at functional test (failed, then still running); SN-H2 once; a long series on cell-s."""
    return [*_ict_1(), *_ict_2(), *_fct_1(), *_series_session()]


def _started(s: _Session, operator: str, commit: str) -> None:
    s.add(
        SessionStarted,
        session_type="script",
        station=StationInfo(id=s.station_id, type="bench", location="Line 9"),
        operator=OperatorInfo(id=operator),
        git=GitInfo(commit=commit),
    )


def _run(s: _Session, run_id: str, serial: str, phase: str) -> None:
    s.add(
        RunStarted,
        run_id=run_id,
        dut=DutInfo(serial=serial, part_number="PN-H", lot_number="LOT-7"),
        product=ProductInfo(id="P-H", name="Heater"),
        test_phase=phase,
        project_name="proj-h",
    )


def _ict_1() -> list[EventUnion]:
    s = _Session("ict-1", T1)
    _started(s, "op-h", "feedbeef1234")
    _run(s, "run-h1", "SN-H1", "ict")
    s.add(
        Measurement,
        run_id="run-h1",
        name="vout",
        value=4.9,
        unit="V",
        low=5.0,
        high=5.5,
        outcome="failed",
        step="rails",
    )
    s.add(Measurement, run_id="run-h1", name="fw", value="0.9", outcome="failed", step="boot")
    s.add(Measurement, run_id="run-h1", name="iq", value=0.1, unit="A", high=1.0, outcome="passed")
    s.add(RunEnded, run_id="run-h1", outcome="failed")
    _run(s, "run-h2", "SN-H2", "ict")
    s.add(RunEnded, run_id="run-h2", outcome="passed")
    s.add(SessionEnded, reason="finished")
    return s.events


def _ict_2() -> list[EventUnion]:
    s = _Session("ict-2", T1 + 100 * S)
    _started(s, "op-h2", "0ddba11")
    _run(s, "run-h3", "SN-H1", "ict")
    s.add(Measurement, run_id="run-h3", name="vout", value=5.2, unit="V", low=5.0, high=5.5)
    s.add(RunEnded, run_id="run-h3", outcome="passed")
    return s.events


def _fct_1() -> list[EventUnion]:
    s = _Session("fct-1", T1 + 200 * S)
    _started(s, "op-h", "feedbeef9999")
    _run(s, "run-h4", "SN-H1", "functional")
    s.add(
        MeasurementBatch,
        run_id="run-h4",
        name="ripple",
        values=[0.5, 0.01, 0.7, 0.9],
        timestamps_ns=[s.clock + i for i in range(4)],
        unit="V",
        high=0.1,
        step="load",
    )
    s.add(RunEnded, run_id="run-h4", outcome="failed")
    _run(s, "run-h5", "SN-H1", "functional")
    return s.events


def _series_session() -> list[EventUnion]:
    s = _Session("cell-s", SERIES_T0 - S)
    _started(s, "op-s", "5e41e5")
    _run(s, "run-s1", "SN-S1", "burn-in")
    s.add(
        MeasurementBatch,
        run_id="run-s1",
        name="vout",
        values=series_values(),
        timestamps_ns=[SERIES_T0 + i * SERIES_STEP_NS for i in range(SERIES_POINTS)],
        unit="V",
    )
    s.add(Measurement, run_id="run-s1", name="vout", value="n/a")
    other = _Session("cell-s2", SERIES_T0)
    _started(other, "op-s", "5e41e5")
    _run(other, "run-s2", "SN-S2", "burn-in")
    other.add(Measurement, run_id="run-s2", name="vout", value=1000.0, unit="V")
    return [*s.events, *other.events]
