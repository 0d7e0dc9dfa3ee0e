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
