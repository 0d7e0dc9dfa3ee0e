"""Abuse benchmark: a real hub under careless and hostile load, with a station recording throughout.

Starts ``benchtrail up`` as its own process (nats-server is its child) and one station
process recording paced ``measure()`` calls for the whole run. Then applies, one
phase after another:

- ``baseline``: nothing but the station;
- ``slow-live``: N clients open ``/api/live?since=0`` and never read;
- ``big-reads``: M clients read ``/api/measurements?limit=100000`` in a loop;
- ``bad-frames``: ``measurement.batch`` frames whose points spread over 3,000 days;
- ``feeds-per-client``: one client address opens more live feeds than it may (refusals
  counted) while another address opens one (it must be served);
- ``deleted-streams``: ``BT_EVENTS``, ``BT_DEAD`` and ``bt_locks`` are deleted while the
  station publishes; the hub recreates them.

For each phase it prints ``/api/health`` latency p50/p99 (sampled every 100 ms), the
ingest lag p99 (``hub.ingest_lag_s`` of ``/api/health``: how long the oldest frame not yet
in the warehouse had waited at the hub's last check, every 2 s), the peak
RSS of the hub and of nats-server, and failed health probes; then a note per phase that
counts something (feeds opened and refused; the station's events around the deletion).
At the end: events the station had acknowledged, events stored in the warehouse, and
the difference (lost).

Lost by design: events the hub had acknowledged into ``BT_EVENTS`` and the projector
had not stored when the stream was deleted are gone with it (the station does not keep
what was acknowledged). What the station sent while the stream was missing was not
acknowledged: its outbox keeps it and resends it once the stream is back, so none of
it is lost. Without ``deleted-streams`` nothing may be lost.

    uv run python benchmarks/abuse.py
    uv run python benchmarks/abuse.py --seconds 40 --live-clients 100 --readers 20
    uv run python benchmarks/abuse.py --phases baseline,feeds-per-client --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nats
import numpy as np

from benchtrail.schemas import (
    DEAD_STREAM,
    EVENTS_STREAM,
    LOCKS_BUCKET,
    MeasurementBatch,
    encode_frame,
    event_subject,
    new_id,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/hubprocess.py
from tests.hubprocess import hub_process

DAY_NS = 86_400 * 1_000_000_000
PHASES = (
    "baseline",
    "slow-live",
    "big-reads",
    "bad-frames",
    "feeds-per-client",
    "deleted-streams",
)

# -- the hub and what it uses -------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


# -- the recording station ------------------------------------------------------------------


def _station(nats_url: str, rate: float, stop: mp.Event, out: mp.Queue, counts: Any) -> None:  # type: ignore[type-arg]
    """Record ``rate`` measurements a second until ``stop``; ``counts`` is [sent, acknowledged]."""
    from benchtrail.agents import connect

    with connect("abuse-1", hub=nats_url, flush_timeout=120) as station:
        out.put(station.session_id)
        with station.run(dut_serial="SN-ABUSE") as run:
            sent, t0 = 0, time.monotonic()
            while not stop.is_set():
                due = int((time.monotonic() - t0) * rate)
                while sent < due:
                    sent += 1
                    run.measure("vout", float(sent), unit="V")
                counts[:] = [sent, station.publisher.stats.events_acknowledged]
                time.sleep(0.005)
        station.flush()
        out.put((sent, station.publisher.stats.events_acknowledged))


# -- samplers --------------------------------------------------------------------------------


class Samples:
    """Health latencies, ingest lags and RSS peaks of the phase under way."""

    def __init__(self, api: str, hub_pid: int, nats_pid: int) -> None:
        self.api, self.hub_pid, self.nats_pid = api, hub_pid, nats_pid
        self.health_ms: list[float] = []
        self.lag_s: list[float] = []
        self.failures = 0
        self.hub_peak = self.nats_peak = 0.0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._health, daemon=True),
            threading.Thread(target=self._lag, daemon=True),
            threading.Thread(target=self._rss, daemon=True),
        ]

    def __enter__(self) -> Samples:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _every(self, seconds: float, probe: Callable[[], None]) -> None:
        while not self._stop.wait(seconds):
            probe()

    def _health(self) -> None:
        with httpx.Client(base_url=self.api, timeout=10) as client:

            def probe() -> None:
                t0 = time.perf_counter()
                try:
                    client.get("/api/health").raise_for_status()
                    self.health_ms.append((time.perf_counter() - t0) * 1000)
                except httpx.HTTPError:
                    self.failures += 1

            self._every(0.1, probe)

    def _lag(self) -> None:
        with httpx.Client(base_url=self.api, timeout=10) as client:

            def probe() -> None:
                try:  # the hub's own check (every 2 s): health answers from memory
                    age = client.get("/api/health").json()["hub"]["ingest_lag_s"]
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    return
                self.lag_s.append(float(age or 0.0))

            self._every(0.5, probe)

    def _rss(self) -> None:
        def probe() -> None:
            self.hub_peak = max(self.hub_peak, rss_mib(self.hub_pid))
            self.nats_peak = max(self.nats_peak, rss_mib(self.nats_pid))

        self._every(0.2, probe)

    def line(self, phase: str) -> str:
        health = np.asarray(self.health_ms or [float("nan")])
        lag = np.asarray(self.lag_s or [float("nan")])
        return (
            f"{phase:<16} {np.percentile(health, 50):8.1f} {np.percentile(health, 99):8.1f} "
            f"{np.percentile(lag, 99):9.2f} {self.hub_peak:9.0f} {self.nats_peak:10.0f} "
            f"{self.failures:8d}"
        )


# -- the loads ------------------------------------------------------------------------------


def slow_live(api: str, clients: int, seconds: float) -> None:
    """Clients that open a replaying live feed and never read a byte of it."""
    host, port = api.removeprefix("http://").split(":")
    sockets = []
    for _ in range(clients):
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = f"GET /api/live?since=2000-01-01T00:00:00Z HTTP/1.1\r\nHost: {host}\r\n\r\n"
        sock.sendall(request.encode())
        sockets.append(sock)
    time.sleep(seconds)
    for sock in sockets:
        sock.close()


def big_reads(api: str, readers: int, seconds: float, output: str = "json") -> str:
    """Clients reading 100k-row measurement pages (as ``output``) as fast as the hub answers."""
    deadline = time.monotonic() + seconds
    answers: list[int] = []

    def read() -> None:
        with httpx.Client(base_url=api, timeout=60) as client:
            while time.monotonic() < deadline:
                try:
                    answers.append(
                        client.get(
                            "/api/measurements", params={"limit": 100_000, "format": output}
                        ).status_code
                    )
                except httpx.HTTPError:
                    answers.append(0)
                    time.sleep(0.1)

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    served, busy = answers.count(200), answers.count(503)
    return (
        f"big-reads: {served} pages of up to 100k points served, {busy} refused 503 (busy),"
        f" {len(answers) - served - busy} other"
    )


def bad_frames(nats_url: str, frames: int, seconds: float) -> None:
    """``measurement.batch`` frames whose 3,000 points fall on 3,000 different days."""

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        start = time.time_ns() - 3000 * DAY_NS
        for _ in range(frames):
            session_id = new_id()
            batch = MeasurementBatch(
                event_id=new_id(),
                session_id=session_id,
                station_id="abuser",
                seq=1,
                occurred_at=time.time_ns(),
                name="spread",
                values=[1.0] * 3000,
                timestamps_ns=[start + day * DAY_NS for day in range(3000)],
            )
            await js.publish(event_subject("abuser", session_id), encode_frame([batch]))
        await nc.close()

    asyncio.run(publish())
    time.sleep(seconds)


def feeds_per_client(api: str, feeds: int, seconds: float) -> str:
    """One client address asks for ``feeds`` live feeds at once; another address for one."""
    answers: Counter[int] = Counter()
    with contextlib.ExitStack() as held:
        greedy = held.enter_context(httpx.Client(base_url=api, timeout=10))
        for _ in range(feeds):
            answers[held.enter_context(greedy.stream("GET", "/api/live")).status_code] += 1
        elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")  # another client address
        with (
            httpx.Client(base_url=api, timeout=10, transport=elsewhere) as other,
            other.stream("GET", "/api/live") as feed,
        ):
            t0 = time.perf_counter()
            try:
                first = next((line for line in feed.iter_lines() if line.startswith("id:")), None)
            except httpx.ReadTimeout:
                first = None
            waited = time.perf_counter() - t0
        time.sleep(seconds)
    refused = ", ".join(f"{n} x {code}" for code, n in sorted(answers.items()) if code != 200)
    served = f"its first event after {waited:.2f} s" if first else "no event"
    return (
        f"feeds-per-client: 127.0.0.1 asked for {feeds} feeds: {answers[200]} opened, refused"
        f" {refused or 'none'}; 127.0.0.2 meanwhile: {feed.status_code}, {served}"
    )


class StationWatch:
    """The recording station's counts, and what the warehouse holds of its session."""

    def __init__(self, api: str, session_id: str, counts: Any) -> None:
        self.api, self.session_id, self.counts = api, session_id, counts

    def now(self) -> tuple[int, int, int]:
        """Measurements sent, events acknowledged (both so far) and measurements stored."""
        stored = _stored(self.api, self.session_id)  # first: what is stored was acknowledged
        sent, acked = self.counts[:]
        return sent, acked, stored


def deleted_streams(nats_url: str, station: StationWatch, seconds: float) -> str:
    """Delete ``BT_EVENTS``, ``BT_DEAD`` and ``bt_locks`` under the recording station."""

    async def delete() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        for stream in (EVENTS_STREAM, DEAD_STREAM):
            await js.delete_stream(stream)
        await js.delete_key_value(LOCKS_BUCKET)
        await nc.close()

    before = station.now()
    asyncio.run(delete())
    time.sleep(seconds)
    after = station.now()
    sent, acked, stored = (f"{b} -> {a}" for b, a in zip(before, after, strict=True))
    return (
        f"deleted-streams: measurements sent {sent}, events acknowledged {acked} (with the"
        f" session's and run's starts), measurements stored {stored} (just before the deletion"
        f" -> {seconds:g} s after). Up to {max(before[1] - 2 - before[2], 0)} measurements"
        " acknowledged and not yet stored at the deletion are lost by design; what was sent"
        " while the stream was missing is resent by the station's outbox once it is back."
    )


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=2000.0, help="station events/s")
    parser.add_argument("--live-clients", type=int, default=30)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--read-format", default="json", choices=["json", "arrow", "csv"])
    parser.add_argument("--bad-frames", type=int, default=2)
    parser.add_argument("--feeds", type=int, default=12, help="feeds one client asks for")
    parser.add_argument("--phases", default=",".join(PHASES), help="which, comma-separated")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bt-abuse-"))
        hub = stack.enter_context(hub_process(Path(tmp) / "data", stop_timeout=120))
        api, nats_url = hub.api_url, hub.nats_url
        (nats_pid,) = children(hub.pid)
        stop, out, counts = mp.Event(), mp.Queue(), mp.Array("q", 2)
        station = mp.Process(target=_station, args=(nats_url, args.rate, stop, out, counts))
        station.start()
        session_id = out.get(timeout=60)
        watch = StationWatch(api, session_id, counts)
        time.sleep(2.0)
        loads: dict[str, Callable[[], str | None]] = {
            "baseline": lambda: time.sleep(args.seconds),
            "slow-live": lambda: slow_live(api, args.live_clients, args.seconds),
            "big-reads": lambda: big_reads(api, args.readers, args.seconds, args.read_format),
            "bad-frames": lambda: bad_frames(nats_url, args.bad_frames, args.seconds),
            "feeds-per-client": lambda: feeds_per_client(api, args.feeds, args.seconds),
            "deleted-streams": lambda: deleted_streams(nats_url, watch, args.seconds),
        }
        print(f"hub pid {hub.pid} at {api}; station at {args.rate:g} events/s")
        print("phase            health ms p50/p99  lag p99 s  hub MiB  nats MiB  failures")
        notes: list[str] = []
        for name in args.phases.split(","):
            with Samples(api, hub.pid, nats_pid) as samples:
                notes.append(loads[name]() or "")
            print(samples.line(name), flush=True)
        stop.set()
        sent, acked = out.get(timeout=180)
        station.join(60)
        lost = _lost(api, session_id, sent)
        print("", *(note for note in notes if note), sep="\n")
        if "deleted-streams" in args.phases:
            lost += " (by design: see deleted-streams)"
        print(f"\nstation: {sent} measurements sent, {acked} events acknowledged; {lost}")


def _stored(api: str, session_id: str) -> int:
    """Measurements of the session the warehouse holds (-1: unknown)."""
    try:
        body = httpx.get(f"{api}/api/sessions/{session_id}", timeout=30).json()
        return int(body["counts"]["measurement_count"])
    except (httpx.HTTPError, KeyError, ValueError):
        return -1


def _lost(api: str, session_id: str, sent: int) -> str:
    """How many of the station's measurements are missing from the warehouse (waits up to 60 s)."""
    deadline = time.monotonic() + 60
    stored = -1
    while time.monotonic() < deadline:
        stored = _stored(api, session_id)
        if stored >= sent:
            break
        time.sleep(1.0)
    return f"{stored} stored, {sent - stored} lost"


if __name__ == "__main__":
    main()
