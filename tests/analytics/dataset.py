"""A constructed factory day whose yields, Paretos and statistics are known by hand.

Twelve runs on two stations (``st-a``, ``st-b``) over 1-2 May 2024 (UTC), DUT by DUT:

====  ======  ====  =====  =======  ===========  =====  =====================
run   serial  part  phase  station  outcome      time   shift (06-14-22, UTC)
====  ======  ====  =====  =======  ===========  =====  =====================
r01   SN1     P1    ict    st-a     passed       05:00  22-06 of 30 April
r02   SN2     P1    ict    st-a     failed       07:00  06-14 of 1 May
r03   SN2     P1    ict    st-b     passed       13:59  06-14
r04   SN3     P1    ict    st-a     error        14:00  14-22
r05   SN3     P1    ict    st-a     failed       21:00  14-22
r06   SN3     P1    ict    st-b     passed       22:30  22-06
r07   SN1     P1    final  st-b     passed       03:00  22-06 (2 May, night)
r08   SN4     P2    ict    st-a     aborted      08:00  06-14 of 2 May
r09   SN4     P2    ict    st-a     passed       09:00  06-14
r10   SN5     P2    ict    st-b     (running)    10:00  06-14
r11   SN2     P2    ict    st-b     failed       11:00  06-14
r12   (none)  P2    ict    st-a     passed       12:00  06-14
====  ======  ====  =====  =======  ===========  =====  =====================

Runs r01-r06 are on fixture ``fx-1``, r07-r12 on ``fx-2``; part P1 is product
``prod-1``, P2 ``prod-2``.

Failures: ``vout`` fails in r02, r05 (twice) and r11; ``iq`` in r02 and r04; a
``ripple`` batch of three points fails in r11; ``temp`` always passes. Step ``power``
fails in r02 and r05, ``load`` ends in error in r04, ``comms`` passes.

Statistics: ``cap_v`` has 25 points in r01 (st-a) and 15 in r03 (st-b) within
limits 4.9..5.1, 10 points in r06 under limits 4.8..5.2 and 5 without limits;
``cap_hi`` has 20 points with only a high limit; ``spc_x`` 60 points in r09 with a
spike at point 45.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchtrail.projector import RowBatch, Warehouse
from benchtrail.schemas import (
    DutInfo,
    EventUnion,
    Measurement,
    MeasurementBatch,
    ProductInfo,
    RunEnded,
    RunStarted,
    SessionStarted,
    StationInfo,
    StepEnded,
    StepStarted,
    new_id,
)

S = 1_000_000_000
H = 3600 * S
MAY_1 = 1_714_521_600 * S
"""2024-05-01T00:00:00Z in ns."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of the table above."""

    run_id: str
    serial: str
    part: str
    phase: str
    station: str
    outcome: str | None
    at_ns: int
    fixture: str


def _hour(day: int, hour: float) -> int:
    return MAY_1 + (day - 1) * 24 * H + int(hour * H)


RUNS = [
    PlannedRun("r01", "SN1", "P1", "ict", "st-a", "passed", _hour(1, 5), "fx-1"),
    PlannedRun("r02", "SN2", "P1", "ict", "st-a", "failed", _hour(1, 7), "fx-1"),
    PlannedRun("r03", "SN2", "P1", "ict", "st-b", "passed", _hour(1, 13 + 59 / 60), "fx-1"),
    PlannedRun("r04", "SN3", "P1", "ict", "st-a", "error", _hour(1, 14), "fx-1"),
    PlannedRun("r05", "SN3", "P1", "ict", "st-a", "failed", _hour(1, 21), "fx-1"),
    PlannedRun("r06", "SN3", "P1", "ict", "st-b", "passed", _hour(1, 22.5), "fx-1"),
    PlannedRun("r07", "SN1", "P1", "final", "st-b", "passed", _hour(2, 3), "fx-2"),
    PlannedRun("r08", "SN4", "P2", "ict", "st-a", "aborted", _hour(2, 8), "fx-2"),
    PlannedRun("r09", "SN4", "P2", "ict", "st-a", "passed", _hour(2, 9), "fx-2"),
    PlannedRun("r10", "SN5", "P2", "ict", "st-b", None, _hour(2, 10), "fx-2"),
    PlannedRun("r11", "SN2", "P2", "ict", "st-b", "failed", _hour(2, 11), "fx-2"),
    PlannedRun("r12", "", "P2", "ict", "st-a", "passed", _hour(2, 12), "fx-2"),
]
BY_ID = {run.run_id: run for run in RUNS}

CAP_LOW, CAP_HIGH = 4.9, 5.1
CAP_WIDE_LOW, CAP_WIDE_HIGH = 4.8, 5.2
CAP_HI_HIGH = 1.0
SPIKE_AT = 45


def _values(seed: int, n: int, mean: float, sigma: float) -> list[float]:
    return [float(v) for v in np.random.default_rng(seed).normal(mean, sigma, n)]


CAP_ST_A = _values(1, 25, 5.01, 0.02)
CAP_ST_B = _values(2, 15, 4.99, 0.025)
CAP_WIDE = _values(3, 10, 5.0, 0.05)
CAP_UNLIMITED = _values(4, 5, 5.0, 0.3)
CAP_HI = _values(5, 20, 0.8, 0.05)
SPC = _values(6, 60, 10.0, 0.1)
SPC[SPIKE_AT] = 11.5


@dataclass
class Recorder:
    """Events of the constructed data set, per station session, with explicit times."""

    events: list[EventUnion] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)

    def add(self, event_type: type, station_id: str, at_ns: int, **fields: object) -> None:
        if station_id not in self.sessions:
            self.sessions[station_id] = new_id()
            self.seqs[station_id] = 0
            self.add(SessionStarted, station_id, MAY_1 - H, station=StationInfo(id=station_id))
        self.seqs[station_id] += 1
        envelope = {
            "event_id": new_id(),
            "session_id": self.sessions[station_id],
            "station_id": station_id,
            "seq": self.seqs[station_id],
            "occurred_at": at_ns,
        }
        self.events.append(event_type(**envelope, **fields))

    def measure(
        self,
        run: PlannedRun,
        name: str,
        values: list[float],
        *,
        low: float | None = None,
        high: float | None = None,
        start_ns: int = S,
    ) -> None:
        """One ``measurement`` event per value, a millisecond apart, verdict from the limits."""
        for i, value in enumerate(values):
            failed = (low is not None and value < low) or (high is not None and value > high)
            limited = low is not None or high is not None
            self.add(
                Measurement,
                run.station,
                run.at_ns + start_ns + i * 1_000_000,
                run_id=run.run_id,
                name=name,
                value=value,
                unit="V",
                low=low,
                high=high,
                outcome=("failed" if failed else "passed") if limited else "unset",
            )

    def step(self, run: PlannedRun, name: str, outcome: str, offset_ns: int) -> None:
        step_id = new_id()
        at = run.at_ns + offset_ns
        self.add(StepStarted, run.station, at, run_id=run.run_id, step_id=step_id, name=name)
        self.add(
            StepEnded,
            run.station,
            at + S // 2,
            run_id=run.run_id,
            step_id=step_id,
            name=name,
            outcome=outcome,
            duration_ns=S // 2,
        )


def _runs(recorder: Recorder) -> None:
    for run in RUNS:
        recorder.add(
            RunStarted,
            run.station,
            run.at_ns,
            run_id=run.run_id,
            dut=DutInfo(serial=run.serial, part_number=run.part),
            product=ProductInfo(id="prod-1" if run.part == "P1" else "prod-2"),
            fixture_id=run.fixture,
            test_phase=run.phase,
        )
        if run.outcome is not None:
            recorder.add(
                RunEnded, run.station, run.at_ns + 60 * S, run_id=run.run_id, outcome=run.outcome
            )


def _failures(recorder: Recorder) -> None:
    limits = {"low": 4.9, "high": 5.1}
    for run_id, values in {"r01": [5.0], "r02": [5.3], "r05": [5.2, 4.7], "r11": [5.25]}.items():
        recorder.measure(BY_ID[run_id], "vout", values, **limits)
    for run_id, value in {"r02": 0.9, "r04": 0.95, "r09": 0.1}.items():
        recorder.measure(BY_ID[run_id], "iq", [value], high=0.5, start_ns=2 * S)
    for run in RUNS:
        recorder.measure(run, "temp", [25.0], low=0.0, high=60.0, start_ns=3 * S)
    r11 = BY_ID["r11"]
    stamps = [r11.at_ns + 4 * S + i for i in range(4)]
    recorder.add(
        MeasurementBatch,
        r11.station,
        r11.at_ns + 4 * S,
        run_id="r11",
        name="ripple",
        values=[0.01, 0.07, 0.08, 0.09],
        timestamps_ns=stamps,
        unit="V",
        high=0.05,
    )
    for run_id, name, outcome in [
        ("r01", "comms", "passed"),
        ("r02", "comms", "passed"),
        ("r03", "comms", "passed"),
        ("r02", "power", "failed"),
        ("r05", "power", "failed"),
        ("r04", "load", "error"),
    ]:
        recorder.step(BY_ID[run_id], name, outcome, 5 * S)


def _statistics(recorder: Recorder) -> None:
    recorder.measure(BY_ID["r01"], "cap_v", CAP_ST_A, low=CAP_LOW, high=CAP_HIGH, start_ns=10 * S)
    recorder.measure(BY_ID["r03"], "cap_v", CAP_ST_B, low=CAP_LOW, high=CAP_HIGH, start_ns=10 * S)
    recorder.measure(
        BY_ID["r06"], "cap_v", CAP_WIDE, low=CAP_WIDE_LOW, high=CAP_WIDE_HIGH, start_ns=10 * S
    )
    recorder.measure(BY_ID["r07"], "cap_v", CAP_UNLIMITED, start_ns=10 * S)
    recorder.measure(BY_ID["r01"], "cap_hi", CAP_HI, high=CAP_HI_HIGH, start_ns=20 * S)
    recorder.measure(BY_ID["r09"], "spc_x", SPC, start_ns=30 * S)


def events() -> list[EventUnion]:
    """Every event of the data set."""
    recorder = Recorder()
    _runs(recorder)
    _failures(recorder)
    _statistics(recorder)
    return recorder.events


def write(warehouse: Warehouse, batch_events: list[EventUnion], stream_seq: int = 1) -> None:
    """Write events as the projector does: one RowBatch, one insert per table."""
    batch = RowBatch()
    batch.add_frame(batch_events, stream_seq=stream_seq)
    warehouse.write(batch)
