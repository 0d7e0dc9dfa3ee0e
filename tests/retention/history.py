"""Recorded history for the retention tests: sessions dated in the past, published as frames.

A station cannot record in the past, so the tests build the events a station would
have sent on an earlier day (every table gets rows: events, sessions and their ends,
runs and their ends, steps, measurements and a batch, an instrument call, a lock)
and publish them as frames to the hub's JetStream, exactly as the agent does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import nats

from benchtrail.projector import Warehouse
from benchtrail.schemas import (
    EVENTS_STREAM,
    MSG_ID_HEADER,
    DutInfo,
    Event,
    InstrumentCall,
    LockAcquired,
    LockReleased,
    Measurement,
    MeasurementBatch,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StationInfo,
    StepEnded,
    StepStarted,
    encode_frame,
    event_subject,
    frame_msg_id,
    new_id,
    now_ns,
)

DAY_NS = 86_400 * 1_000_000_000
MS = 1_000_000

TIME_COLUMNS = {
    "events": "occurred_at",
    "measurement_events": "occurred_at",
    "sessions": "started_at",
    "session_ends": "ended_at",
    "runs": "started_at",
    "run_ends": "ended_at",
    "steps": "at",
    "instrument_calls": "occurred_at",
    "locks": "occurred_at",
    "measurements": "ts",
    "run_points": "at",
    "session_seqs": "day",  # the seqs of its events, per day (filled by views)
}
"""The tables a recorded session fills, and the time column each is cut by."""


@dataclass
class RecordedSession:
    """One station session recorded at ``start_ns``, one run in it."""

    station_id: str
    start_ns: int
    session_id: str = field(default_factory=new_id)
    run_id: str = field(default_factory=new_id)
    stream_seq: int = 0

    def events(self) -> list[Event]:
        """Every event of the session, 1 ms apart, filling every table."""
        clock = iter(range(self.start_ns, self.start_ns + 100 * MS, MS))
        seq = iter(range(1, 100))

        def envelope() -> dict[str, object]:
            return {
                "event_id": new_id(),
                "session_id": self.session_id,
                "station_id": self.station_id,
                "seq": next(seq),
                "occurred_at": next(clock),
            }

        run, step, key = self.run_id, new_id(), f"{self.station_id}.dmm"
        batch_at = self.start_ns + 50 * MS
        return [
            SessionStarted(**envelope(), station=StationInfo(id=self.station_id)),
            RunStarted(**envelope(), run_id=run, dut=DutInfo(serial=f"SN-{self.session_id}")),
            LockAcquired(**envelope(), key=key, fencing_token=7),
            StepStarted(**envelope(), run_id=run, step_id=step, name="power"),
            InstrumentCall(**envelope(), instrument="dmm", command="MEAS:VOLT:DC?", run_id=run),
            Measurement(**envelope(), run_id=run, name="vout", value=5.01, unit="V"),
            MeasurementBatch(
                **envelope(),
                run_id=run,
                name="ripple",
                values=[0.01, 0.02, 0.03],
                timestamps_ns=[batch_at, batch_at + 1, batch_at + 2],
                unit="V",
            ),
            StepEnded(**envelope(), run_id=run, step_id=step, name="power", outcome="passed"),
            LockReleased(**envelope(), key=key, fencing_token=7),
            RunEnded(**envelope(), run_id=run, outcome="passed", measurement_count=4),
            SessionEnded(**envelope(), run_count=1, event_count=11, reason="finished"),
        ]


def days_ago(days: float) -> int:
    """Nanoseconds since the epoch, ``days`` before now."""
    return now_ns() - int(days * DAY_NS)


def publish(hub_url: str, sessions: Sequence[RecordedSession]) -> None:
    """Publish each session as one frame, in order; note each frame's stream sequence."""

    async def send() -> None:
        nc = await nats.connect(hub_url)
        try:
            js = nc.jetstream()
            for session in sessions:
                events = session.events()
                ack = await js.publish(
                    event_subject(session.station_id, session.session_id),
                    encode_frame(events),
                    headers={MSG_ID_HEADER: frame_msg_id(session.session_id, events[0].seq)},
                )
                session.stream_seq = ack.seq
        finally:
            await nc.close()

    asyncio.run(send())


def stream_first_seq(hub_url: str) -> int:
    """The first sequence ``BT_EVENTS`` holds now."""

    async def ask() -> int:
        nc = await nats.connect(hub_url)
        try:
            info = await nc.jetstream().stream_info(EVENTS_STREAM)
            return int(info.state.first_seq)
        finally:
            await nc.close()

    return asyncio.run(ask())


def session_rows(warehouse: Warehouse, session: RecordedSession) -> dict[str, int]:
    """Rows the session has in each table (as stored)."""
    db = warehouse.database
    return {
        table: int(
            warehouse.scalar(
                f"SELECT count() FROM {db}.{table} WHERE session_id = {{s:String}}",
                {"s": session.session_id},
            )
        )
        for table in TIME_COLUMNS
    }


def rows_before(warehouse: Warehouse, before_ns: int) -> dict[str, int]:
    """Rows of each table whose time is before ``before_ns``."""
    db = warehouse.database
    return {
        table: int(
            warehouse.scalar(
                f"SELECT count() FROM {db}.{table}"
                f" WHERE {column} < fromUnixTimestamp64Nano({{t:Int64}}, 'UTC')",
                {"t": before_ns},
            )
        )
        for table, column in TIME_COLUMNS.items()
    }
