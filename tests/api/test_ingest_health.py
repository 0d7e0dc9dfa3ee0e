"""``GET /api/health/ingest``: lag, last ingest, dead letters and per-session seq gaps.

Frames are published raw (as a station's publisher cuts them) to put a session's
events in the stream out of order, or to leave some out, on a real hub.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import nats
import pytest
from click.testing import CliRunner

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.hub import ingest_status
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.models.ingest import IngestHealth, MissingRange, SessionGap
from benchtrail.cli import main
from benchtrail.schemas import (
    MSG_ID_HEADER,
    Event,
    EventUnion,
    Measurement,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StationInfo,
    encode_frame,
    event_subject,
    frame_msg_id,
    new_id,
)

from .seed import Seed

MS = 1_000_000


def health(hub: Hub) -> IngestHealth:
    with EventStore(hub.api_url) as store:
        return store.ingest_health()


def publish(hub: Hub, *frames: Sequence[EventUnion] | tuple[str, bytes]) -> None:
    """Publish frames (a session's events, or a subject and raw bytes) and wait for ingest."""

    async def send() -> None:
        nc = await nats.connect(hub.nats.url)
        js = nc.jetstream()
        for frame in frames:
            if isinstance(frame, tuple):
                await js.publish(*frame)
                continue
            first = frame[0]
            await js.publish(
                event_subject(first.station_id, first.session_id),
                encode_frame(list(frame)),
                headers={MSG_ID_HEADER: frame_msg_id(first.session_id, first.seq)},
            )
        await nc.close()

    asyncio.run(send())
    hub.wait_ingested()


def session_events(count: int, *, event_count: int | None = None) -> list[EventUnion]:
    """A session of ``count`` events: start, a run of measurements, run end, session end."""
    session_id, run_id, start = new_id(), new_id(), time.time_ns() - 60_000 * MS

    def event(seq: int, event_type: type[Event], **fields: Any) -> EventUnion:
        return event_type(  # type: ignore[return-value]
            event_id=new_id(),
            session_id=session_id,
            station_id="cell-9",
            seq=seq,
            occurred_at=start + seq * MS,
            **fields,
        )

    events = [
        event(1, SessionStarted, station=StationInfo(id="cell-9")),
        event(2, RunStarted, run_id=run_id),
    ]
    events += [
        event(seq, Measurement, run_id=run_id, name="v", value=seq) for seq in range(3, count - 1)
    ]
    events.append(event(count - 1, RunEnded, run_id=run_id, outcome="passed"))
    events.append(event(count, SessionEnded, run_count=1, event_count=event_count or count))
    return events


def listed(found: IngestHealth, session_id: str) -> SessionGap:
    (gap,) = [gap for gap in found.gaps.sessions if gap.session_id == session_id]
    return gap


def test_recorded_sessions_are_healthy_with_no_lag(running_hub: Hub) -> None:
    for station_id in ("cell-1", "cell-2"):
        with connect(station_id, hub=running_hub.nats.url) as station, station.run() as run:
            for index in range(50):
                run.measure("vout", 3.3 + index / 1000, "V")
    running_hub.wait_ingested()

    found = health(running_hub)

    assert found.status == "ok", found.problems
    assert found.problems == []
    assert found.gaps.sessions_checked == 2
    assert (found.gaps.sessions_with_gaps, found.gaps.missing_events) == (0, 0)
    assert found.stream is not None and found.consumer is not None
    assert found.ingested_through == found.stream.last_seq > 0
    assert found.consumer.num_pending == 0
    assert found.dead_letters is not None and found.dead_letters.count == 0
    assert found.last_ingest_age_s is not None and 0 <= found.last_ingest_age_s < 60
    assert found.last_error == ""


def test_a_late_first_half_shows_as_a_gap_until_it_arrives(running_hub: Hub) -> None:
    events = session_events(1000)
    session_id, run_id = events[0].session_id, events[1].run_id  # type: ignore[union-attr]
    publish(running_hub, events[500:])  # seq 501..1000 first

    early = health(running_hub)

    assert early.status == "gaps"
    gap = listed(early, session_id)
    assert gap.ranges == [MissingRange(first=1, last=500)]
    assert (gap.stored, gap.expected_last, gap.missing) == (500, 1000, 500)
    assert gap.start_missing and gap.ended
    assert early.gaps.sessions_without_start == 1

    publish(running_hub, events[:500])  # the late frame
    found = health(running_hub)

    assert found.status == "ok", found.problems
    assert found.gaps.sessions == []
    with EventStore(running_hub.api_url) as store:
        stored = store.events(session_id, limit=None)
        run = store.run(run_id)
        session = store.session(session_id)
    assert [event.seq for event in stored] == list(range(1, 1001))
    assert [event.occurred_at for event in stored] == sorted(e.occurred_at for e in events)
    assert [point.value for point in run.measurements] == [float(seq) for seq in range(3, 999)]
    assert (run.status, run.outcome) == ("ended", "passed")
    assert session.ended_at is not None
    assert (session.counts.runs_by_outcome["passed"], session.counts.measurement_count) == (1, 996)


def test_a_session_end_counting_more_events_than_stored_is_a_tail_gap(running_hub: Hub) -> None:
    events = session_events(8, event_count=10)

    publish(running_hub, events)
    found = health(running_hub)

    assert found.status == "gaps"
    gap = listed(found, events[0].session_id)
    assert gap.ranges == [MissingRange(first=9, last=10)]
    assert (gap.stored, gap.max_seq, gap.expected_last, gap.missing) == (8, 8, 10, 2)
    assert not gap.start_missing
    assert found.problems == ["1 session(s) miss 2 event(s)"]


def test_garbage_on_a_valid_subject_counts_as_a_dead_letter(running_hub: Hub) -> None:
    subject = event_subject("cell-3", new_id())

    publish(running_hub, (subject, b"\xc1 not msgpack"))
    found = health(running_hub)

    assert found.status == "dead-letters"
    assert found.dead_letters is not None and found.dead_letters.count == 1
    (letter,) = found.dead_letters.newest
    assert letter.original_subject == subject
    assert letter.original_seq == found.stream.last_seq if found.stream else False
    assert letter.reason.startswith("undecodable")
    assert "BT_DEAD holds 1 message(s)" in found.problems
    assert found.gaps.sessions == []


def test_gaps_are_checked_only_for_sessions_active_since_the_window(running_hub: Hub) -> None:
    events = session_events(8, event_count=10)
    publish(running_hub, events)

    with EventStore(running_hub.api_url) as store:
        future = store.ingest_health(since=time.time_ns() + 2 * 86_400 * 10**9)

    assert future.gaps.sessions_checked == 0
    assert future.status == "ok"


def test_the_health_command_lists_a_gap_and_prints_json(running_hub: Hub) -> None:
    events = session_events(8, event_count=10)
    publish(running_hub, events)
    runner = CliRunner(env={"COLUMNS": "200"})

    shown = runner.invoke(main, ["health", "--api", running_hub.api_url])
    as_json = runner.invoke(main, ["health", "--json", "--api", running_hub.api_url])

    assert shown.exit_code == 0, shown.output
    assert "ingest: gaps" in shown.output
    assert events[0].session_id in shown.output and "9..10" in shown.output
    assert json.loads(as_json.output)["gaps"]["sessions"][0]["ranges"] == [{"first": 9, "last": 10}]


def test_without_a_hub_the_warehouse_part_is_answered_and_the_rest_says_why(
    store: EventStore, seeded: Seed
) -> None:
    found = store.ingest_health(since=0)
    sums = store.warehouse_checksums()

    assert found.gaps.sessions_checked == len({e.session_id for e in seeded.all})
    assert (found.status, found.gaps.sessions_with_gaps) == ("ok", 0)
    assert (found.stream, found.consumer, found.dead_letters, found.ingested_through) == (
        None,
        None,
        None,
        None,
    )
    assert found.unavailable["stream"] == "this API runs without a hub connection"
    stored = sums.tables["events"].rows + sums.tables["measurement_events"].rows
    assert stored == len(seeded.all)
    assert (sums.ingested_through, sums.caught_up) == (None, None)
    assert set(sums.unavailable) == {"stream_last_seq", "ingested_through"}


def test_a_message_in_flight_is_not_lagging_until_it_waits_too_long(
    running_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(running_hub, session_events(5))
    assert running_hub.projector is not None and running_hub._loop is not None
    asyncio.run_coroutine_threadsafe(running_hub.projector.stop(), running_hub._loop).result(30)
    events = session_events(5)

    async def send_unwritten() -> None:  # as a station would, while the batch is not written
        nc = await nats.connect(running_hub.nats.url)
        await nc.jetstream().publish(
            event_subject(events[0].station_id, events[0].session_id), encode_frame(events)
        )
        await nc.close()

    asyncio.run(send_unwritten())

    in_flight = health(running_hub)
    assert in_flight.stream is not None and in_flight.ingested_through is not None
    assert in_flight.stream.last_seq == in_flight.ingested_through + 1
    assert in_flight.status == "ok", in_flight.problems
    assert in_flight.unwritten_age_s is not None and 0 <= in_flight.unwritten_age_s < 5

    monkeypatch.setattr(ingest_status, "LAG_GRACE_S", 0.0)  # as if it had waited too long
    stuck = health(running_hub)
    assert stuck.status == "lagging"
    assert stuck.problems[0].startswith("1 stream message(s) not in the warehouse yet, the oldest")
    shown = CliRunner().invoke(main, ["health", "--api", running_hub.api_url])
    assert "lagging" in shown.output and "not written yet" in shown.output
