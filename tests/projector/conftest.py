"""Fixtures of the projector tests: sessions of real events, publishing, fast settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest
from nats.js import JetStreamContext

from benchtrail.projector import ProjectorSettings
from benchtrail.schemas import (
    MSG_ID_HEADER,
    ClientInfo,
    DutInfo,
    EnvironmentInfo,
    Event,
    GitInfo,
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
    encode_frame,
    event_subject,
    frame_msg_id,
    new_id,
)

T0 = 1_760_000_000_000_000_000
"""2025-10-09T08:53:20Z in ns: a fixed clock for the events of the tests."""


class Session:
    """One station session's events, numbered in ``seq`` order as an agent would."""

    def __init__(self, station_id: str = "cell-7") -> None:
        self.station_id = station_id
        self.session_id = new_id()
        self.run_id = new_id()
        self.seq = 0

    @property
    def subject(self) -> str:
        return event_subject(self.station_id, self.session_id)

    def envelope(self) -> dict[str, object]:
        self.seq += 1
        return {
            "event_id": new_id(),
            "session_id": self.session_id,
            "station_id": self.station_id,
            "seq": self.seq,
            "occurred_at": T0 + self.seq * 1_000_000,
        }

    def measurements(self, count: int) -> list[Event]:
        """``count`` plain measurements named ``m0``, ``m1``, ..."""
        return [
            Measurement(**self.envelope(), run_id=self.run_id, name=f"m{i}", value=float(i))
            for i in range(count)
        ]

    def full_run(self) -> list[Event]:
        """A whole session: started, one run with a step and measurements, ended."""
        return [
            SessionStarted(
                **self.envelope(),
                session_type="pytest",
                station=StationInfo(
                    id=self.station_id,
                    name="Cell 7",
                    type="ict",
                    location="Line 2",
                    hostname="pc-7",
                ),
                process=ProcessInfo(pid=4242, client=ClientInfo(name="pytest", version="8.3")),
                operator=OperatorInfo(id="op-1", name="Ada Lovelace"),
                fixture_id="fx-1",
                slot_count=4,
                device_ids=["dmm-1", "psu-2"],
                git=GitInfo(commit="abc123", branch="main", remote="git@lab:eol", dirty=True),
                environment=EnvironmentInfo(python="3.11.7", packages={"numpy": "2.1.0"}),
            ),
            RunStarted(
                **self.envelope(),
                run_id=self.run_id,
                dut=DutInfo(serial="SN-0001", part_number="PN-9", revision="B", lot_number="L42"),
                product=ProductInfo(id="widget", name="Widget", revision="3"),
                slot=SlotInfo(id="slot-2", index=2),
                fixture_id="fx-1",
                test_phase="EOL",
                project_name="widget-eol",
                custom_metadata={"temp_c": 23.5, "shift": "night"},
                channel_refs=["ch1", "ch2"],
            ),
            StepStarted(**self.envelope(), run_id=self.run_id, step_id="st-1", name="power-up"),
            Measurement(
                **self.envelope(),
                run_id=self.run_id,
                name="vbus",
                value=5.02,
                unit="V",
                low=4.9,
                high=5.1,
                outcome="passed",
                step="power-up",
            ),
            Measurement(**self.envelope(), run_id=self.run_id, name="label", value="OK"),
            MeasurementBatch(
                **self.envelope(),
                run_id=self.run_id,
                name="ripple",
                unit="V",
                high=0.1,
                values=[0.01, 0.02, 0.5],
                timestamps_ns=[T0 + 1, T0 + 2, T0 + 3],
            ),
            StepEnded(
                **self.envelope(),
                run_id=self.run_id,
                step_id="st-1",
                name="power-up",
                outcome="failed",
                duration_ns=1_000,
                error="ripple too high",
            ),
            RunEnded(
                **self.envelope(),
                run_id=self.run_id,
                outcome="failed",
                measurement_count=5,
                failed_measurement_count=1,
                step_count=1,
                duration_ns=5_000_000,
            ),
            SessionEnded(**self.envelope(), run_count=1, event_count=9, reason="done"),
        ]


Publish = Callable[..., Awaitable[int]]


async def publish_frame(
    js: JetStreamContext,
    events: Sequence[Event],
    *,
    subject: str | None = None,
    msg_id: str | None = None,
    data: bytes | None = None,
) -> int:
    """Publish one frame as an agent does; return its ``BT_EVENTS`` sequence."""
    first = events[0]
    subject = subject or event_subject(first.station_id, first.session_id)
    msg_id = msg_id or frame_msg_id(first.session_id, first.seq)
    payload = encode_frame(events) if data is None else data
    ack = await js.publish(subject, payload, headers={MSG_ID_HEADER: msg_id})
    assert not ack.duplicate
    return ack.seq


@pytest.fixture
def session() -> Session:
    """A new session on station ``cell-7``."""
    return Session()


@pytest.fixture
def publish() -> Publish:
    """``await publish(js, events, subject=..., msg_id=..., data=...)`` → stream sequence."""
    return publish_frame


@pytest.fixture
def fast_settings() -> ProjectorSettings:
    """Settings that keep tests quick: short waits, short redelivery back-off."""
    return ProjectorSettings(
        batch_max_wait=0.05,
        fetch_timeout=0.05,
        backoff=(0.05,),
        connect_timeout=5.0,
        consumer_info_interval=0.1,
    )
