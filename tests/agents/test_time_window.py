"""The station refuses a point outside its time window at the call, and keeps frames few-day."""

from __future__ import annotations

import asyncio
import datetime as dt
import textwrap
import time
from pathlib import Path

import nats
import numpy as np
import pytest

from benchtrail.agents import InvalidMeasurement, connect
from benchtrail.agents.config import HubConfig, load_hub_config, load_station_config
from benchtrail.schemas import (
    DAY_NS,
    EVENTS_STREAM,
    MAX_FRAME_DAYS,
    MeasurementBatch,
    TimeWindow,
    decode_frame,
    utc_days,
)

YEAR_2100 = 4_102_444_800_000_000_000
"""2100-01-01T00:00:00Z in ns."""


def test_a_point_outside_the_window_is_refused_at_the_call_naming_value_index_and_window(
    hub, read_stream
):
    now = time.time_ns()
    with connect("cell-7", hub=hub) as station, station.run() as run:
        with pytest.raises(InvalidMeasurement) as refused:
            run.measure_batch("w", [1.0, 2.0, 3.0], [now, now + 1, YEAR_2100])
        with pytest.raises(InvalidMeasurement, match=r"\(1970-01-02T00:00:00Z\) at index 0"):
            run.measure_batch("w", [1.0], [DAY_NS])
        run.measure_batch("w", [1.0], [now])

    assert str(refused.value).startswith(
        f"measurement 'w': timestamp {YEAR_2100} ns (2100-01-01T00:00:00Z) at index 2 is outside"
        " the time window [2000-01-01T00:00:00Z, "
    )
    assert str(refused.value).endswith("(now + 1 day)]")
    batches = [e for e in read_stream(hub).events if isinstance(e, MeasurementBatch)]
    assert [b.timestamps_ns for b in batches] == [[now]], "nothing of the refused calls went out"


def test_the_window_is_a_connect_option_and_a_configuration_key(hub, tmp_path: Path):
    (tmp_path / "benchtrail.yaml").write_text(
        textwrap.dedent(
            """
            station:
              id: cell-7
              time_window: {earliest: 2020-01-01, future_slack: 60}
            """
        )
    )
    resolved = load_station_config("cell-7", cwd=tmp_path, home=tmp_path, environ={})
    window = TimeWindow(earliest=dt.date(2020, 1, 1), future_slack=60)
    assert resolved.station.time_window == window

    year_2015 = 1_420_070_400_000_000_000
    window_text = r"\[2020-01-01T00:00:00Z, .* \(now \+ 60 s\)\]"
    with (
        connect(config=resolved.station, hub=hub) as station,
        station.run() as run,
        pytest.raises(InvalidMeasurement, match=window_text),
    ):
        run.measure_batch("w", [1.0], [year_2015])
    with connect("cell-7", hub=hub, time_window=TimeWindow(future_slack=0)) as station:
        with station.run() as run, pytest.raises(InvalidMeasurement, match=r"now \+ 0 s"):
            run.measure_batch("w", [1.0], [time.time_ns() + 10 * 1_000_000_000])
        assert station.time_window == TimeWindow(future_slack=0)


def test_a_backfill_over_a_year_travels_in_frames_of_at_most_32_days(hub):
    now = time.time_ns()
    stamps = now - np.arange(365, dtype=np.int64)[::-1] * DAY_NS  # one point a day, oldest first
    with connect("cell-7", hub=hub) as station, station.run() as run:
        assert run.measure_batch("daily", np.arange(365.0), stamps) == 365

    async def frames() -> list[list[object]]:
        nc = await nats.connect(hub)
        js = nc.jetstream()
        total = (await js.stream_info(EVENTS_STREAM)).state.messages
        found = [
            decode_frame((await js.get_msg(EVENTS_STREAM, s)).data) for s in range(1, total + 1)
        ]
        await nc.close()
        return found  # type: ignore[return-value]

    landed = asyncio.run(frames())
    days_per_frame = [
        set().union(
            *(
                utc_days(e.occurred_at, e.timestamps_ns if isinstance(e, MeasurementBatch) else ())
                for e in frame
            )
        )
        for frame in landed
    ]
    points = [
        t
        for frame in landed
        for e in frame
        if isinstance(e, MeasurementBatch)
        for t in e.timestamps_ns
    ]
    assert points == stamps.tolist()
    assert max(len(days) for days in days_per_frame) <= MAX_FRAME_DAYS
    assert len(landed) >= 365 // MAX_FRAME_DAYS


def test_the_hub_reads_its_window_and_day_cap_from_the_hub_block(tmp_path: Path):
    (tmp_path / "benchtrail.yaml").write_text(
        textwrap.dedent(
            """
            hub:
              time_window: {earliest: 2015-06-01}
              max_frame_days: 8
            """
        )
    )
    hub, sources = load_hub_config(cwd=tmp_path, home=tmp_path, environ={})
    assert HubConfig().time_window == TimeWindow() and HubConfig().max_frame_days == 32

    assert hub.time_window == TimeWindow(earliest=dt.date(2015, 6, 1))
    assert hub.max_frame_days == 8
    assert sources["hub.max_frame_days"] == "benchtrail.yaml:4"
