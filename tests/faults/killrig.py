"""Kill -9 the standalone projector during ingestion, then prove the warehouse exact.

Shared by tests/faults/test_projector_kill.py (short) and benchmarks/projector_kill.py
(long). A :class:`Corpus` is a deterministic set of events (sessions, runs, steps,
measurements, measurement batches) cut into frames as an agent cuts them, each with
its ``Nats-Msg-Id``. :func:`ingest_with_kills` publishes it, runs
``python -m benchtrail.projector`` as a child process, SIGKILLs it when the
consumer's ack floor passes chosen points (plus a random delay, so kills land
mid-batch), restarts it, and lets the last run finish. Then :func:`verify` (in a
child process: chDB opens one directory per process) writes the same events with
``RowBatch``/``Warehouse.write`` into a database ``expected`` of the same
directory and compares counts and content checksums, and reads the runs and some
sessions back through the HTTP API (Litestar's ``TestClient``) looking for
duplicates.

Run as a program, it is the verifier:
``python tests/faults/killrig.py DIR '<corpus json>'`` prints a JSON :class:`Verdict`.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import msgspec
import nats
import nats.errors
import nats.js.errors
from litestar import Litestar
from litestar.testing import TestClient
from nats.js import JetStreamContext

from benchtrail.api.http import create_app
from benchtrail.api.queries.measurement_events import measured_envelopes
from benchtrail.projector import (
    DATABASE,
    ProjectorSettings,
    RowBatch,
    ensure_streams,
    open_warehouse,
)
from benchtrail.projector.checksums import warehouse_checksums
from benchtrail.projector.streams import projector_consumer_config
from benchtrail.schemas import (
    EVENTS_STREAM,
    MSG_ID_HEADER,
    PROJECTOR_DURABLE,
    DutInfo,
    Event,
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
)

T0 = 1_767_225_600_000_000_000
"""2026-01-01T00:00:00Z in ns: the corpus clock starts here."""
MS = 1_000_000


class Corpus(msgspec.Struct, frozen=True, kw_only=True):
    """The shape of a deterministic event set; the same fields give the same events."""

    sessions: int = 1000
    runs: int = 2
    steps: int = 3
    measurements: int = 20
    batch_points: int = 16
    frame_events: int = 50
    stations: int = 8
    seed: int = 7

    @property
    def events_per_session(self) -> int:
        per_step = 2 + self.measurements + 1
        return 2 + self.runs * (2 + self.steps * per_step)

    @property
    def events(self) -> int:
        return self.sessions * self.events_per_session


@dataclass(frozen=True)
class Frame:
    """One frame as an agent publishes it."""

    subject: str
    msg_id: str
    events: list[Event]


class _Ids:
    """Deterministic UUIDv7-shaped ids from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def next(self, at_ns: int) -> str:
        ms = at_ns // MS
        bits = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | self.rng.getrandbits(12) << 64
        bits |= 0b10 << 62 | self.rng.getrandbits(62)
        return str(uuid.UUID(int=bits))


def _session_events(corpus: Corpus, index: int, ids: _Ids) -> list[Event]:
    station = f"kill-{index % corpus.stations}"
    clock = T0 + index * 60_000 * MS
    session_id = ids.next(clock)
    events: list[Event] = []

    def add(event_type: type[Event], **fields: object) -> None:
        nonlocal clock
        clock += MS
        envelope = {
            "event_id": ids.next(clock),
            "session_id": session_id,
            "station_id": station,
            "seq": len(events) + 1,
            "occurred_at": clock,
        }
        events.append(event_type(**envelope, **fields))  # type: ignore[arg-type]

    add(SessionStarted, session_type="script", station=StationInfo(id=station))
    for r in range(corpus.runs):
        run_id = ids.next(clock)
        add(RunStarted, run_id=run_id, dut=DutInfo(serial=f"SN-{index}-{r}", part_number="PN-K"))
        for s in range(corpus.steps):
            step_id, step = ids.next(clock), f"step-{s}"
            add(StepStarted, run_id=run_id, step_id=step_id, name=step)
            for m in range(corpus.measurements):
                value = round((index * 7 + r * 5 + s * 3 + m) % 101 * 0.01, 2)
                add(
                    Measurement,
                    run_id=run_id,
                    name=f"m{m}",
                    value=value,
                    unit="V",
                    low=0.05,
                    high=0.95,
                    outcome="passed" if 0.05 <= value <= 0.95 else "failed",
                    step=step,
                )
            add(
                MeasurementBatch,
                run_id=run_id,
                name="ripple",
                values=[float(p % 13) for p in range(corpus.batch_points)],
                timestamps_ns=[clock + p for p in range(corpus.batch_points)],
                unit="V",
                step=step,
            )
            add(
                StepEnded, run_id=run_id, step_id=step_id, name=step, outcome="passed",
                duration_ns=corpus.measurements * MS,
            )  # fmt: skip
        add(RunEnded, run_id=run_id, outcome="passed")
    add(SessionEnded, run_count=corpus.runs, event_count=len(events) + 1, reason="finished")
    return events


def frames(corpus: Corpus) -> Iterator[Frame]:
    """Every frame of the corpus, sessions interleaved (as stations record side by side)."""
    ids = _Ids(corpus.seed)
    window = 16  # sessions recording at the same time
    for first in range(0, corpus.sessions, window):
        sessions = [
            _session_events(corpus, index, ids)
            for index in range(first, min(first + window, corpus.sessions))
        ]
        cuts = [list(_cut(events, corpus.frame_events)) for events in sessions]
        for round_ in range(max(len(c) for c in cuts)):
            for cut in cuts:
                if round_ < len(cut):
                    yield cut[round_]


def _cut(events: list[Event], size: int) -> Iterator[Frame]:
    first = events[0]
    subject = event_subject(first.station_id, first.session_id)
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        yield Frame(subject, frame_msg_id(first.session_id, chunk[0].seq), chunk)


async def publish(url: str, corpus: Corpus) -> int:
    """Publish every frame (async acks, each checked); return the last stream sequence."""
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=512)
    await ensure_streams(js)
    last = 0
    pending: list[asyncio.Future[object]] = []
    try:
        for frame in frames(corpus):
            data = encode_frame(frame.events)
            headers = {MSG_ID_HEADER: frame.msg_id}
            pending.append(await js.publish_async(frame.subject, data, headers=headers))
            if len(pending) >= 512:
                last = max(last, await _settle(pending))
        return max(last, await _settle(pending))
    finally:
        await nc.close()


async def _settle(pending: list[asyncio.Future[object]]) -> int:
    acks = await asyncio.gather(*pending)
    pending.clear()
    return max(int(ack.seq) for ack in acks)  # type: ignore[attr-defined]


# -- the projector, killed and restarted ----------------------------------------------


@dataclass
class KillReport:
    """What happened to the projector processes."""

    kills: list[tuple[int, int, int]] = field(default_factory=list)
    """(delivered, ack floor, ack pending) of the consumer just before each SIGKILL."""
    final: tuple[int, int, int] = (0, 0, 0)
    """The same once the last run has acked everything."""
    after_exit: tuple[int, int, int] = (0, 0, 0)
    """The same after the last run exited on SIGTERM."""
    exit_status: int | None = None
    seconds: float = 0.0
    log_tail: str = ""


def projector_command(url: str, warehouse: Path, batch_max_events: int) -> list[str]:
    """The standalone projector, as an operator runs it."""
    return [
        sys.executable,
        "-m",
        "benchtrail.projector",
        "--hub",
        url,
        "--warehouse",
        str(warehouse),
        "--batch-max-events",
        str(batch_max_events),
        "--log-level",
        "WARNING",
    ]


async def consumer_position(js: JetStreamContext) -> tuple[int, int, int]:
    """The projector consumer's delivered sequence, ack floor and unacknowledged count.

    All 0 before a projector has created the consumer.
    """
    try:
        info = await js.consumer_info(EVENTS_STREAM, PROJECTOR_DURABLE, timeout=2.0)
    except nats.js.errors.NotFoundError:
        return 0, 0, 0
    delivered = info.delivered.stream_seq if info.delivered else 0
    floor = info.ack_floor.stream_seq if info.ack_floor else 0
    return int(delivered or 0), int(floor or 0), int(info.num_ack_pending or 0)


async def wait_position(
    js: JetStreamContext,
    process: subprocess.Popen[bytes],
    *,
    delivered: int = 0,
    floor: int = 0,
    timeout: float = 120.0,  # noqa: ASYNC109 -- the error then says how far it got
) -> tuple[int, int, int]:
    """Poll the consumer until it has delivered and acked that far (the hub pushes neither)."""
    deadline = time.monotonic() + timeout
    while True:
        position = await consumer_position(js)
        if position[0] >= delivered and position[1] >= floor:
            return position
        if process.poll() is not None:
            raise AssertionError(f"the projector exited with {process.returncode} at {position}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"(delivered, ack floor, ack pending) {position} short of "
                f"({delivered}, {floor}) after {timeout} s"
            )
        await asyncio.sleep(0.02)


async def hurry_redelivery(js: JetStreamContext) -> None:
    """Cut the consumer's ack wait to 1 s while no projector runs, as an operator may
    (``nats consumer edit``): what the killed projector held comes back at once instead
    of after 30 s. The next projector sets its own ack wait again when it starts."""
    config = projector_consumer_config(ProjectorSettings(ack_wait=1.0))
    await js.add_consumer(EVENTS_STREAM, config)


def kill_points(last_seq: int, kills: int, rng: random.Random) -> list[int]:
    """Sorted random delivered-sequence points in (5%, 90%) of the stream at which to kill."""
    return sorted(rng.randint(max(1, last_seq // 20), last_seq * 9 // 10) for _ in range(kills))


async def ingest_with_kills(
    url: str,
    warehouse: Path,
    last_seq: int,
    *,
    kills: int,
    seed: int,
    batch_max_events: int = 5000,
    timeout: float = 120.0,  # noqa: ASYNC109
) -> KillReport:
    """Run the projector, SIGKILL it ``kills`` times mid-ingestion, let the last run finish.

    Each run is killed once the consumer has delivered past a random point and a
    random 0-300 ms more (so kills land while a batch is gathered or written).
    """
    rng = random.Random(seed)
    report = KillReport()
    nc = await nats.connect(url)
    js = nc.jetstream()
    t0 = time.perf_counter()
    command = projector_command(url, warehouse, batch_max_events)
    floor = 0
    try:
        for point in kill_points(last_seq, kills, rng):
            process = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
            try:
                # Past the point, and this run has acked a batch of its own: mid-ingestion.
                position = await wait_position(
                    js, process, delivered=point, floor=floor + 1, timeout=timeout
                )
                floor = position[1]
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                report.kills.append(await consumer_position(js))
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait()
            await hurry_redelivery(js)
        process = subprocess.Popen(command, stderr=subprocess.PIPE)  # noqa: ASYNC220
        report.final = await wait_position(js, process, floor=last_seq, timeout=timeout)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=60)
        report.exit_status = process.returncode
        report.log_tail = stderr.decode(errors="replace")[-2000:]
        report.after_exit = await consumer_position(js)
    finally:
        await nc.close()
    report.seconds = time.perf_counter() - t0
    return report


# -- the verdict (in a child process) -------------------------------------------------


@dataclass
class Verdict:
    """Live warehouse against the expected one, and what the API shows."""

    live: dict[str, list[int]]
    expected: dict[str, list[int]]
    events_final: int
    events_distinct: int
    api_runs: int
    api_runs_distinct: int
    api_runs_equal_expected: bool
    api_sessions_checked: int
    api_sessions_wrong: int


def verify_in_child(warehouse: Path, corpus: Corpus) -> Verdict:
    """Run :func:`verify` in a child process (this one may hold another chDB directory)."""
    result = subprocess.run(
        [sys.executable, __file__, str(warehouse), msgspec.json.encode(corpus).decode()],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return Verdict(**json.loads(result.stdout.strip().splitlines()[-1]))


def verify(warehouse_dir: Path, corpus: Corpus) -> Verdict:
    """Write the expected database, compare checksums, read the API back."""
    warehouse = open_warehouse(warehouse_dir, database=DATABASE)
    expected = open_warehouse(warehouse_dir, database="expected")
    expected.command(f"DROP DATABASE IF EXISTS {expected.database}")
    expected.ensure_schema()
    batch = RowBatch()
    for seq, frame in enumerate(frames(corpus), start=1):
        batch.add_frame(frame.events, stream_seq=seq)  # type: ignore[arg-type]
        if seq % 2000 == 0:
            expected.write(batch)
            batch = RowBatch()
    expected.write(batch)
    live = {t: [c.rows, c.checksum] for t, c in warehouse_checksums(warehouse).items()}
    want = {t: [c.rows, c.checksum] for t, c in warehouse_checksums(expected).items()}
    db = warehouse.database
    events = warehouse.rows(
        f"SELECT count() AS n, uniqExact(event_id) AS u FROM (SELECT event_id FROM {db}.events"
        f" FINAL UNION ALL SELECT event_id FROM ({measured_envelopes(db, final=True)}))"
    )[0]
    with (
        TestClient(create_app(warehouse), base_url="http://127.0.0.1") as live_api,
        TestClient(create_app(expected), base_url="http://127.0.0.1") as api,
    ):
        runs = _all_runs(live_api)
        sampled = sorted({str(run["session_id"]) for run in runs})[:: max(1, len(runs) // 40)]
        wrong = sum(
            1
            for session_id in sampled
            if _api_events(live_api, session_id) != _api_events(api, session_id)
            or [e["seq"] for e in _api_events(live_api, session_id)]
            != list(range(1, corpus.events_per_session + 1))
        )
        by_id = sorted(runs, key=lambda run: str(run["run_id"]))
        runs_equal = by_id == sorted(_all_runs(api), key=lambda run: str(run["run_id"]))
    return Verdict(
        live=live,
        expected=want,
        events_final=int(events["n"]),
        events_distinct=int(events["u"]),
        api_runs=len(runs),
        api_runs_distinct=len({run["run_id"] for run in runs}),
        api_runs_equal_expected=runs_equal,
        api_sessions_checked=len(sampled),
        api_sessions_wrong=wrong,
    )


def _all_runs(client: TestClient[Litestar]) -> list[dict[str, object]]:
    """Every run the API lists, page by page."""
    runs: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/runs", params=params).json()
        runs.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return runs


def _api_events(client: TestClient[Litestar], session_id: str) -> list[dict[str, object]]:
    """A session's events as the API returns them."""
    response = client.get(f"/api/sessions/{session_id}/events", params={"limit": 1000})
    assert response.status_code == 200, response.text
    events: list[dict[str, object]] = response.json()
    return events


def counts_in_child(warehouse: Path, database: str = "benchtrail") -> dict[str, int]:
    """Rows per table after ``FINAL``, read in a child process."""
    result = subprocess.run(
        [sys.executable, __file__, "--counts", str(warehouse), database],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    counts: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return counts


def events_through(corpus: Corpus, stream_seq: int) -> int:
    """Events in the first ``stream_seq`` frames (frame n is stream sequence n when the
    corpus was published alone into a new stream)."""
    total = 0
    for seq, frame in enumerate(frames(corpus), start=1):
        if seq > stream_seq:
            break
        total += len(frame.events)
    return total


if __name__ == "__main__":
    if sys.argv[1] == "--counts":
        print(json.dumps(open_warehouse(Path(sys.argv[2]), database=sys.argv[3]).table_counts()))
    else:
        verdict = verify(Path(sys.argv[1]), msgspec.json.decode(sys.argv[2], type=Corpus))
        print(json.dumps(asdict(verdict)))
