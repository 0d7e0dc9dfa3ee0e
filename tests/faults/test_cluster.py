"""A 3-node JetStream cluster loses its stream leader during ingestion: 0 lost, 0 duplicated.

Stations and the projector are given the three URLs as their hub; the test kills the
``BT_EVENTS`` leader with SIGKILL while both stations record and never restarts
anything else: every measurement recorded is in the warehouse exactly once.
"""

from __future__ import annotations

import asyncio
import threading

import nats

from benchtrail.agents import connect
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station
from benchtrail.projector import Projector, ProjectorSettings, StreamSettings, Warehouse
from benchtrail.schemas import EVENTS_STREAM

from .natscluster import NatsCluster

STATIONS = ("cell-r1", "cell-r2")
PER_PHASE = 1500
"""Measurements each station records before and after the kill."""


def _record(run: Run, first: int, count: int) -> None:
    for number in range(first, first + count):
        run.measure("n", float(number), unit="count")


async def _stream_leader(url: str) -> tuple[str, int]:
    nc = await nats.connect(servers=url.split(","))
    try:
        info = await nc.jetstream().stream_info(EVENTS_STREAM)
        assert info.cluster is not None and info.config.num_replicas == 3
        return str(info.cluster.leader), int(info.state.last_seq)
    finally:
        await nc.close()


async def _last_seq(url: str) -> int:
    nc = await nats.connect(servers=url.split(","))
    try:
        return int((await nc.jetstream().stream_info(EVENTS_STREAM)).state.last_seq)
    finally:
        await nc.close()


def test_killing_the_stream_leader_loses_and_doubles_nothing(
    nats_cluster: NatsCluster, warehouse: Warehouse
):
    hub = nats_cluster.url
    settings = ProjectorSettings(
        streams=StreamSettings(num_replicas=3),
        batch_max_wait=0.05,
        fetch_timeout=0.05,
        reconnect_time_wait=0.2,
    )

    async def scenario() -> str:
        async with Projector(warehouse, hub, settings=settings) as projector:
            stations: list[Station] = [
                connect(s, hub=hub, flush_timeout=45).start() for s in STATIONS
            ]
            runs = [station.run(dut_serial=f"SN-{station.station_id}") for station in stations]
            for run in runs:
                _record(run, 0, PER_PHASE)
            await asyncio.gather(*(asyncio.to_thread(s.flush) for s in stations))

            leader, _ = await _stream_leader(hub)
            recording = [
                threading.Thread(target=_record, args=(run, PER_PHASE, PER_PHASE)) for run in runs
            ]
            for thread in recording:
                thread.start()
            nats_cluster.kill(leader)  # mid-recording, as frames are in flight
            for thread in recording:
                await asyncio.to_thread(thread.join)
            for run in runs:
                run.end()
            for station in stations:
                station.stop()  # on the main thread: it restores the SIGTERM handler

            new_leader, last = await _stream_leader(hub)
            assert new_leader != leader
            await projector.wait_until_ingested(last, timeout=30)
            return leader

    killed = asyncio.run(scenario())
    assert not nats_cluster.node(killed).running()

    recorded = 2 * PER_PHASE
    for station_id in STATIONS:
        row = warehouse.rows(
            f"SELECT count() AS n, uniqExact(event_id) AS events, uniqExact(value) AS numbers,"
            f" min(value) AS low, max(value) AS high"
            f" FROM {warehouse.database}.measurements FINAL WHERE station_id = {{s:String}}",
            {"s": station_id},
        )[0]
        assert row == {
            "n": recorded,
            "events": recorded,
            "numbers": recorded,
            "low": 0.0,
            "high": float(recorded - 1),
        }, f"{station_id}: every number 0..{recorded - 1} stored exactly once"
    sessions = warehouse.rows(f"SELECT count() AS n FROM {warehouse.database}.session_ends FINAL")[
        0
    ]["n"]
    assert sessions == len(STATIONS), "both sessions ended and were recorded after the kill"
