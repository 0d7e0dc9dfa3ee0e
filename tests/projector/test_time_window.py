"""Event times outside the window and frames touching too many days never reach the warehouse.

One small ``measurement.batch`` whose points spread over thousands of days used to
make one warehouse part per day. Now such a frame is dead-lettered whole, an event
with a time outside ``[2000-01-01, now + 1 day]`` is dead-lettered on its own, and
the valid frames and events around them still land.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import msgspec
import nats
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from benchtrail.projector import FrameRejected, Projector, ensure_streams
from benchtrail.projector.frames import check_frame
from benchtrail.projector.warehouse import split_by_day
from benchtrail.schemas import (
    DAY_NS,
    DEAD_EVENT_INDEX_HEADER,
    DEAD_REASON_HEADER,
    DEAD_STREAM,
    FileAttached,
    Measurement,
    MeasurementBatch,
    TimeWindow,
    encode_frame,
)

from .conftest import T0, Session

YEAR_2100 = 4_102_444_800_000_000_000
"""2100-01-01T00:00:00Z in ns."""
JAN_2_1970 = DAY_NS
"""1970-01-02T00:00:00Z in ns."""


def _parts(warehouse) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Active parts of the measurements table, and the distinct partitions they hold."""
    row = warehouse.rows(
        "SELECT count() AS parts, uniqExact(partition_id) AS partitions FROM system.parts"
        " WHERE database = {db:String} AND table = 'measurements' AND active",
        {"db": warehouse.database},
    )[0]
    return int(row["parts"]), int(row["partitions"])


def _dead_letters(hub_url: str) -> list[tuple[str, str | None]]:
    """Every dead letter's reason and event index (``None``: the whole message)."""

    async def read() -> list[tuple[str, str | None]]:
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        total = (await js.stream_info(DEAD_STREAM)).state.messages
        letters = [await js.get_msg(DEAD_STREAM, seq) for seq in range(1, total + 1)]
        await nc.close()
        return [
            (d.headers[DEAD_REASON_HEADER], d.headers.get(DEAD_EVENT_INDEX_HEADER)) for d in letters
        ]

    return asyncio.run(read())


def _project(warehouse, hub_url, settings, publish, frames, *, first=False):  # type: ignore[no-untyped-def]
    """Publish frames (lists of events) to a projector; wait until all are handled.

    ``first``: publish them all before the projector starts (so one batch takes them).
    """

    async def scenario():  # type: ignore[no-untyped-def]
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        last = 0
        if first:
            await ensure_streams(js)
            for events in frames:
                last = await publish(js, events)
        async with Projector(warehouse, hub_url, settings=settings) as projector:
            for events in [] if first else frames:
                last = await publish(js, events)
            stats = await projector.wait_until_ingested(last, timeout=10)
        await nc.close()
        return stats

    return asyncio.run(scenario())


def test_a_batch_spread_over_3000_days_is_dead_lettered_and_makes_no_parts(
    warehouse, hub_url, session, publish, fast_settings
):
    now = time.time_ns()
    before = session.measurements(3)
    spread = MeasurementBatch(
        **session.envelope(),
        run_id=session.run_id,
        name="drift",
        values=[float(i) for i in range(3000)],
        timestamps_ns=[now - i * DAY_NS for i in range(3000)],
    )
    after = session.measurements(3)
    parts_before = _parts(warehouse)

    stats = _project(warehouse, hub_url, fast_settings, publish, [before, [spread], after])

    parts_after = _parts(warehouse)
    assert warehouse.table_counts(["measurements"]) == {"measurements": 6}
    assert stats.dead_letters == 1
    [(reason, index)] = _dead_letters(hub_url)
    assert index is None, "the frame is dead-lettered whole"
    assert reason.startswith("too-many-days: the frame's times touch 3000 UTC days (")
    assert "more than the 32 one frame may touch (setting max_frame_days" in reason
    # Only the valid frames' one day of measurements: no part per day of the spread.
    assert parts_before == (0, 0)
    assert parts_after[1] == 1
    assert parts_after[0] <= 2


def test_events_from_1970_and_2100_are_dead_lettered_and_their_neighbours_land(
    warehouse, hub_url, session, publish, fast_settings
):
    def measurement(occurred_at: int | None = None) -> Measurement:
        envelope = session.envelope()
        if occurred_at is not None:
            envelope["occurred_at"] = occurred_at
        return Measurement(**envelope, run_id=session.run_id, name="v", value=1.0)

    old = [measurement(JAN_2_1970 + i) for i in range(2)]
    future = [measurement(YEAR_2100 + i) for i in range(2)]
    envelope = session.envelope()
    stamps = [envelope["occurred_at"], YEAR_2100, envelope["occurred_at"]]
    mixed = [
        measurement(),
        MeasurementBatch(
            **envelope,
            run_id=session.run_id,
            name="w",
            values=[1.0, 2.0, 3.0],
            timestamps_ns=stamps,
        ),
        measurement(),
    ]

    stats = _project(warehouse, hub_url, fast_settings, publish, [old, future, mixed])

    assert warehouse.table_counts(["measurement_events", "measurements"]) == {
        "measurement_events": 2,
        "measurements": 2,
    }
    assert stats.dead_letters == 5
    reasons = [reason for reason, _ in _dead_letters(hub_url)]
    window = r"is outside the time window [2000-01-01T00:00:00Z, "
    assert reasons[0].startswith(
        f"bad-time: event seq 1 occurred_at {JAN_2_1970} ns (1970-01-02T00:00:00Z) {window}"
    )
    assert reasons[2].startswith(
        f"bad-time: event seq 3 occurred_at {YEAR_2100} ns (2100-01-01T00:00:00Z) {window}"
    )
    assert reasons[4].startswith(
        f"bad-time: measurement.batch seq 5 point 1 timestamp {YEAR_2100} ns"
        f" (2100-01-01T00:00:00Z) {window}"
    )
    assert all(reason.endswith("(now + 1 day)]") for reason in reasons)


def test_a_batch_of_frames_over_150_days_is_inserted_in_bounded_groups(
    warehouse, hub_url, session, publish, fast_settings
):
    """A replay or backfill batch spans many days: inserts are split, none is refused."""
    now = time.time_ns()
    frames = [
        [
            MeasurementBatch(
                **session.envelope(),
                run_id=session.run_id,
                name="daily",
                values=[float(day)],
                timestamps_ns=[now - day * DAY_NS],
            )
        ]
        for day in range(150)
    ]
    settings = msgspec.structs.replace(fast_settings, batch_max_wait=2.0)

    stats = _project(warehouse, hub_url, settings, publish, frames, first=True)

    assert stats.dead_letters == 0
    assert stats.write_failures == 0
    assert warehouse.table_counts(["measurements"]) == {"measurements": 150}
    assert _parts(warehouse)[1] == 150


def test_split_by_day_bounds_the_days_of_each_insert():
    times = [day * DAY_NS + 5 for day in (3, 1, 4, 1, 5, 9, 2, 6)]
    table = pa.table({"ts": pa.array(times, pa.int64()).cast(pa.timestamp("ns")), "i": range(8)})

    parts = split_by_day(table, "ts", 3)

    days = [{t.value // DAY_NS for t in part.column("ts")} for part in parts]
    assert days == [{1, 2, 3}, {4, 5, 6}, {9}]
    assert sorted(i for part in parts for i in part.column("i").to_pylist()) == list(range(8))
    assert split_by_day(table, "ts", 8) == [table]
    assert split_by_day(table, None, 1) == [table]


_EARLIEST = 946_684_800_000_000_000
_LATEST = T0 + DAY_NS
_stamps = st.lists(
    st.one_of(
        st.integers(min_value=_EARLIEST, max_value=_LATEST),  # inside
        st.integers(min_value=0, max_value=2**63 - 1),  # anywhere a timestamp column can hold
        st.sampled_from([0, _EARLIEST - 1, _EARLIEST, _LATEST, _LATEST + 1, YEAR_2100]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(stamps=_stamps)
def test_a_batch_is_refused_exactly_when_a_point_is_outside_the_window(stamps):
    session = Session()
    batch = MeasurementBatch(
        **session.envelope(), name="w", values=[1.0] * len(stamps), timestamps_ns=stamps
    )
    outside = [i for i, t in enumerate(stamps) if not _EARLIEST <= t <= _LATEST]

    try:
        frame = check_frame(session.subject, encode_frame([batch]), now_ns=T0)
    except FrameRejected as e:  # points over more than 32 days: refused whole
        assert e.kind == "too-many-days"
        assert not outside
        assert len({t // DAY_NS for t in stamps} | {batch.occurred_at // DAY_NS}) > 32
        return

    if not outside:
        assert frame.events == [batch] and not frame.rejected
        return
    [rejected] = frame.rejected
    assert frame.events == []
    first = outside[0]
    assert rejected.reason.startswith(
        f"bad-time: measurement.batch seq 1 point {first} timestamp {stamps[first]} ns ("
    )
    assert rejected.reason.endswith(
        "is outside the time window [2000-01-01T00:00:00Z, 2025-10-10T08:53:20Z (now + 1 day)]"
    )


@settings(max_examples=300, deadline=None)
@given(
    stamps=_stamps,
    earliest=st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2030, 1, 1)),
    slack=st.floats(min_value=0, max_value=10 * 86_400, allow_nan=False),
)
def test_the_window_finds_the_first_time_outside_it(stamps, earliest, slack):
    window = TimeWindow(earliest=earliest, future_slack=slack)
    low = int(dt.datetime(earliest.year, earliest.month, earliest.day, tzinfo=dt.UTC).timestamp())
    high = T0 + round(slack * 1e9)
    outside = [(i, t) for i, t in enumerate(stamps) if not low * 10**9 <= t <= high]

    assert window.first_outside(stamps, T0) == (outside[0] if outside else None)


def test_a_file_whose_data_times_lie_outside_the_window_is_refused():
    session = Session()
    inside = FileAttached(
        **session.envelope(), file_id="f1", path="cap.bin", start_ns=T0, end_ns=T0 + 1
    )
    outside = FileAttached(
        **session.envelope(), file_id="f2", path="old.bin", start_ns=JAN_2_1970, end_ns=T0
    )

    frame = check_frame(session.subject, encode_frame([inside, outside]), now_ns=T0)

    assert frame.events == [inside]
    [rejected] = frame.rejected
    assert rejected.reason.startswith(
        f"bad-time: event seq 2 start_ns {JAN_2_1970} ns (1970-01-02T00:00:00Z) is outside the"
        " time window [2000-01-01T00:00:00Z, 2025-10-10T08:53:20Z (now + 1 day)]"
    )
