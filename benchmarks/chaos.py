"""Chaos run: stations record numbered events while faults are injected; then count, Jepsen-style.

The whole path runs as separate processes, as on a real floor: station
processes (the real agent with its outbox, recording a numbered measurement
at a steady rate), nats-server (one server, or a 3-node cluster with R3
streams), and the standalone projector writing chDB. While they run, the
schedule injects, in turn: kill -9 of a station (restarted: its next
``connect()`` delivers what its outbox kept), kill -9 of the projector,
SIGSTOP/SIGCONT of the projector and of a station, kill -9 of nats-server
(or of one cluster node), the whole hub down for a while, and thousands of
malformed messages. At the end every station stops cleanly, the projector
catches up and stops, and this program counts:

- **sent**: numbered events the stations recorded;
- **acknowledged**: of those, events the station confirmed durable (committed
  to its outbox, as it reported before any kill);
- **stored**: distinct numbered events in the warehouse;
- **lost**: acknowledged but not stored;
- **duplicated**: stored more than once (as the API reads: after ``FINAL``);
- **quarantined**: bad inputs found in ``BT_DEAD``, against bad inputs sent;
- **unexpected**: stored events nobody sent (including bad input that landed).

    uv run python benchmarks/chaos.py                     # single server, then 3-node cluster
    uv run python benchmarks/chaos.py --topology single --minutes 2
    uv run python benchmarks/chaos.py --short              # about a minute: every fault once
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Protocol

CHAOS_NAME = "chaos_n"
"""Name of the numbered measurement every station records."""


# -- the station child ------------------------------------------------------------------


def station_child(station_id: str, hub: str, rate: float) -> None:
    """Record ``chaos_n`` = 1, 2, 3, … at ``rate`` per second until SIGTERM; report progress.

    Prints one JSON line per report on stdout: the session id, how many were
    recorded and how many are confirmed durable (in the outbox, or acked).
    """
    from benchtrail.agents import connect

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with connect(station_id, hub=hub, session_type="service", flush_timeout=5) as station:
        report(station.session_id, 0, 0)
        with station.run(dut_serial=f"{station_id}-dut", test_phase="chaos") as run:
            n = 0
            started = time.monotonic()
            next_report = started
            while not stop.is_set():
                due = started + n / rate
                now = time.monotonic()
                if due > now:
                    stop.wait(due - now)
                    continue
                n += 1
                run.measure(CHAOS_NAME, float(n))
                if now >= next_report:
                    next_report = now + 0.2
                    report(station.session_id, n, _durable(station, n))
        station.publisher.wait_stored(30)
        report(station.session_id, n, _durable(station, n))
    report(station.session_id, n, n, done=True)


def _durable(station: object, recorded: int) -> int:
    """Numbered events of the session committed to the outbox (seq 1 and 2 start it)."""
    stored_seq = station.publisher.durable_count(station.session_id)  # type: ignore[attr-defined]
    return max(0, min(recorded, stored_seq - 2))


def report(session_id: str, recorded: int, durable: int, *, done: bool = False) -> None:
    """One progress line of a station child."""
    line = {"session": session_id, "recorded": recorded, "durable": durable, "done": done}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


# -- the processes under test -----------------------------------------------------------


class Hub(Protocol):
    """The NATS side: one server or a cluster, with its faults."""

    url: str
    name: str

    def kill_one(self) -> str: ...
    def restart_killed(self) -> None: ...
    def stop_all(self) -> None: ...
    def start_all(self) -> None: ...
    def close(self) -> None: ...


class SingleHub:
    """One nats-server with JetStream, restarted on the same port and store."""

    name = "single server"
    replicas = 1

    def __init__(self, root: Path) -> None:
        from benchtrail.api.hub.natsserver import NatsServer

        self.server = NatsServer(root / "nats").start()
        self.server.requested_port = self.server.port
        self.url = self.server.url

    def kill_one(self) -> str:
        self.server.kill()
        return "nats-server"

    def restart_killed(self) -> None:
        self.server.start()

    def stop_all(self) -> None:
        self.server.stop()

    def start_all(self) -> None:
        self.server.start()

    def close(self) -> None:
        self.server.stop()


def _natscluster() -> ModuleType:
    """The fault tests' local cluster (``tests/faults/natscluster.py``)."""
    faults = str(Path(__file__).resolve().parents[1] / "tests" / "faults")
    if faults not in sys.path:
        sys.path.insert(0, faults)
    return importlib.import_module("natscluster")


class ClusterHub:
    """Three nats-server nodes with R3 streams; a fault kills one node, the leader if known."""

    name = "3-node cluster (R3)"
    replicas = 3

    def __init__(self, root: Path) -> None:
        self.cluster = _natscluster().NatsCluster(root / "cluster").start()
        self.url = self.cluster.url
        self.killed: list[str] = []

    def kill_one(self) -> str:
        name = _stream_leader(self.url) or random.choice(self.cluster.names)
        self.cluster.kill(name)
        self.killed.append(name)
        return f"node {name} (stream leader)"

    def restart_killed(self) -> None:
        while self.killed:
            self.cluster.start_node(self.killed.pop())

    def stop_all(self) -> None:
        for name in self.cluster.names:
            self.cluster.node(name).kill()

    def start_all(self) -> None:
        for name in self.cluster.names:
            self.cluster.start_node(name)
        self.cluster.wait_jetstream()

    def close(self) -> None:
        self.cluster.stop()


def _stream_leader(url: str) -> str | None:
    async def ask() -> str | None:
        import nats

        from benchtrail.schemas import EVENTS_STREAM

        nc = await nats.connect(url.split(","), connect_timeout=2)
        try:
            info = await nc.jetstream().stream_info(EVENTS_STREAM)
            return info.cluster.leader if info.cluster else None
        finally:
            await nc.close()

    try:
        return asyncio.run(ask())
    except Exception:
        return None


class Child:
    """A process of ours (a station or the projector), with its faults."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> subprocess.Popen[str]:
        with self.log.open("a") as err:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        return self.process

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def terminate(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        return self.process.wait(timeout)


class Ledger:
    """What the stations said: per session, numbered events recorded and confirmed durable."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, dict[str, object]] = {}

    def recording(self, station_id: str) -> tuple[bool, str]:
        """Whether the station's newest session has confirmed durable events."""
        with self.lock:
            mine = [s for s in self.sessions.values() if s["station"] == station_id]
            durable = int(mine[-1].get("durable", 0)) if mine else 0  # type: ignore[call-overload]
        return durable > 0, f"{durable} durable"

    def follow(self, station_id: str, process: subprocess.Popen[str]) -> threading.Thread:
        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                entry = json.loads(line)
                with self.lock:
                    known = self.sessions.setdefault(entry["session"], {"station": station_id})
                    known.update(entry)

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        return thread


class Stations:
    """Station processes recording numbered events; a killed one is started again."""

    def __init__(self, count: int, hub: str, rate: float, root: Path, ledger: Ledger) -> None:
        env = {**os.environ, "BENCHTRAIL_OUTBOX_DIR": str(root / "outbox")}
        self.ledger = ledger
        self.children = [
            Child(
                f"chaos-{index}",
                [sys.executable, __file__, "--child", f"chaos-{index}", hub, str(rate)],
                env,
                root / f"chaos-{index}.log",
            )
            for index in range(1, count + 1)
        ]
        self.readers: list[threading.Thread] = []

    def start(self, child: Child) -> None:
        self.readers.append(self.ledger.follow(child.name, child.start()))

    def start_all(self) -> None:
        for child in self.children:
            self.start(child)

    def stop_all(self) -> list[int]:
        codes = [child.terminate() for child in self.children]
        for reader in self.readers:
            reader.join(10)
        return codes


# -- bad input --------------------------------------------------------------------------


def malformed_messages(count: int, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """``count`` messages that must all be quarantined, each holding exactly one bad thing."""
    import msgspec

    from benchtrail.schemas import (
        Log,
        Measurement,
        encode_frame,
        event_subject,
        new_id,
        now_ns,
    )

    def envelope(session: str, **fields: object) -> dict[str, object]:
        return {
            "event_id": new_id(),
            "session_id": session,
            "station_id": "chaos-bad",
            "seq": 1,
            "occurred_at": now_ns(),
            **fields,
        }

    for index in range(count):
        session = new_id()
        subject = event_subject("chaos-bad", session)
        kind = index % 7
        if kind == 0:
            data = rng.randbytes(rng.randint(1, 300))
        elif kind == 1:
            data = msgspec.msgpack.encode({"not": "a frame"})
        elif kind == 2:
            data = msgspec.msgpack.encode([{**envelope(session), "type": "no.such.event"}])
        elif kind == 3:
            event = Measurement(**envelope(session, run_id=new_id(), name="v"), value=1.0)
            raw = msgspec.to_builtins(event)
            raw["value"] = float("nan")
            data = msgspec.msgpack.encode([raw])
        elif kind == 4:
            data = encode_frame([Log(**envelope(new_id()), message="wrong session")])
        elif kind == 5:
            data = msgspec.msgpack.encode([])
        else:
            good = encode_frame([Log(**envelope(session), message="cut short")])
            data = good[: rng.randint(1, len(good) - 1)]
        yield subject, data


def inject_malformed(url: str, count: int, seed: int) -> int:
    """Publish ``count`` malformed messages (acknowledged by JetStream); return how many."""

    async def publish() -> int:
        import nats
        import nats.errors

        nc = await nats.connect(url.split(","))
        js = nc.jetstream()
        acked = 0
        for subject, data in malformed_messages(count, random.Random(seed)):
            for attempt in range(20):
                try:
                    await js.publish(subject, data, timeout=5)
                    acked += 1
                    break
                except (nats.errors.Error, TimeoutError) as e:
                    print(f"    publish of bad input failed ({e!r}); again", flush=True)
                    await asyncio.sleep(0.1 * (attempt + 1))
        await nc.close()
        return acked

    return asyncio.run(publish())


# -- waiting and counting ---------------------------------------------------------------


def consumer_caught_up(url: str) -> tuple[bool, str]:
    """Whether the projector's consumer has nothing pending or unacknowledged."""

    async def ask() -> tuple[bool, str]:
        import nats

        from benchtrail.schemas import EVENTS_STREAM, PROJECTOR_DURABLE

        nc = await nats.connect(url.split(","), connect_timeout=2)
        try:
            info = await nc.jetstream().consumer_info(EVENTS_STREAM, PROJECTOR_DURABLE)
            pending, unacked = info.num_pending or 0, info.num_ack_pending or 0
            return pending == 0 and unacked == 0, f"{pending} pending, {unacked} unacked"
        finally:
            await nc.close()

    try:
        return asyncio.run(ask())
    except Exception as e:
        return False, repr(e)


def wait_until(what: str, check: Callable[[], tuple[bool, str]], timeout: float) -> None:
    """Poll ``check`` (no event exists for these) until it holds; fail naming the last state."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        done, state = check()
        if done:
            return
        time.sleep(0.5)
    raise SystemExit(f"chaos: {what} not reached within {timeout:.0f} s ({state})")


def dead_letters(url: str) -> dict[str, int]:
    """Messages in ``BT_DEAD`` by subject prefix: the injector's, and everyone else's."""

    async def ask() -> dict[str, int]:
        import nats

        from benchtrail.schemas import (
            DEAD_STREAM,
            DEAD_SUBJECTS,
            dead_subject_filter,
            station_filter,
        )

        injected = dead_subject_filter(station_filter("chaos-bad")).removesuffix(">")
        nc = await nats.connect(url.split(","))
        try:
            info = await nc.jetstream().stream_info(DEAD_STREAM, subjects_filter=DEAD_SUBJECTS)
            counts = {"bad": 0, "good": 0}
            for subject, n in (info.state.subjects or {}).items():
                counts["bad" if subject.startswith(injected) else "good"] += n
            return counts
        finally:
            await nc.close()

    return asyncio.run(ask())


def count(warehouse_dir: Path, ledger: Ledger) -> dict[str, int]:
    """The Jepsen-style counts, from the ledger and the warehouse."""
    from benchtrail.projector import open_warehouse

    warehouse = open_warehouse(warehouse_dir)
    db = warehouse.database
    try:
        stored = {
            row["session_id"]: row
            for row in warehouse.rows(
                f"SELECT session_id, any(station_id) AS station, count() AS rows,"
                f" uniqExact(value) AS distinct, max(value) AS top FROM {db}.measurements FINAL"
                " WHERE name = {name:String} GROUP BY session_id",
                {"name": CHAOS_NAME},
            )
        }
        totals = dict.fromkeys(
            ("sent", "acknowledged", "stored", "lost", "duplicated", "unexpected"), 0
        )
        stations = {str(said["station"]) for said in ledger.sessions.values()}
        for session_id, row in stored.items():
            if session_id not in ledger.sessions and row["station"] in stations:
                # killed before its first report: its outbox delivered what it recorded
                ledger.sessions[session_id] = {"station": row["station"], "recorded": 0}
        for session_id, said in ledger.sessions.items():
            row = stored.get(session_id, {"rows": 0, "distinct": 0, "top": 0})
            durable = int(said.get("durable", 0))  # type: ignore[call-overload]
            sent = max(int(said.get("recorded", 0)), int(row["top"] or 0))  # type: ignore[call-overload]
            kept = int(
                warehouse.scalar(
                    f"SELECT uniqExact(value) FROM {db}.measurements FINAL"
                    " WHERE name = {name:String} AND session_id = {s:String}"
                    " AND value <= {d:Float64}",
                    {"name": CHAOS_NAME, "s": session_id, "d": float(durable)},
                )
            )
            totals["sent"] += sent
            totals["acknowledged"] += durable
            totals["stored"] += int(row["distinct"])
            totals["lost"] += durable - kept
            totals["duplicated"] += int(row["rows"]) - int(row["distinct"])
        foreign = set(stored) - set(ledger.sessions)
        totals["unexpected"] += sum(int(stored[s]["rows"]) for s in foreign)
        totals["unexpected"] += int(
            warehouse.scalar(
                f"SELECT count() FROM (SELECT station_id FROM {db}.events FINAL UNION ALL"
                f" SELECT station_id FROM {db}.measurement_events FINAL)"
                " WHERE station_id = 'chaos-bad'"
            )
        )
        ended = warehouse.scalar(
            f"SELECT uniqExact(session_id) FROM {db}.session_ends FINAL"
            " WHERE has({stations:Array(String)}, station_id)",
            {"stations": sorted(stations)},
        )
        totals["sessions"] = len(ledger.sessions)
        totals["sessions_ended"] = int(ended)
        return totals
    finally:
        warehouse.close()


# -- the schedule -----------------------------------------------------------------------


@contextmanager
def step(log: list[tuple[str, float]], what: str) -> Iterator[None]:
    """Time one fault of the schedule and print it."""
    print(f"  {what} …", flush=True)
    started = time.monotonic()
    yield
    log.append((what, time.monotonic() - started))


def run_chaos(args: argparse.Namespace, topology: str) -> dict[str, int]:
    """One full chaos run on one topology; returns the counts."""
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix=f"bt-chaos-{topology}-"))
    hub: Hub = ClusterHub(root) if topology == "cluster" else SingleHub(root)
    print(f"\n## {hub.name}: data in {root}", flush=True)
    print(f"   {args.stations} stations at {args.rate:.0f} events/s each", flush=True)
    ledger = Ledger()
    env = {**os.environ}
    projector = Child(
        "projector",
        [
            sys.executable,
            "-m",
            "benchtrail.projector",
            "--hub",
            hub.url,
            "--warehouse",
            str(root / "warehouse"),
            "--replicas",
            str(hub.replicas),  # type: ignore[attr-defined]
            "--log-level",
            "WARNING",
        ],
        env,
        root / "projector.log",
    )
    stations = Stations(args.stations, hub.url, args.rate, root, ledger)
    timeline: list[tuple[str, float]] = []
    hold = args.hold
    bad = 0
    started = time.monotonic()
    try:
        projector.start()
        stations.start_all()
        time.sleep(hold)  # steady traffic before the first fault
        victim = rng.choice(stations.children)
        with step(timeline, f"kill -9 station {victim.name}, start it again"):
            wait_until(f"{victim.name} recording", lambda: ledger.recording(victim.name), 60)
            victim.kill()
            stations.start(victim)
            time.sleep(hold)
        with step(timeline, "kill -9 projector, start it again"):
            projector.kill()
            projector.start()
            time.sleep(hold)
        with step(timeline, f"SIGSTOP projector for {hold:.0f} s, SIGCONT"):
            projector.signal(signal.SIGSTOP)
            time.sleep(hold)
            projector.signal(signal.SIGCONT)
        victim = rng.choice(stations.children)
        with step(timeline, f"SIGSTOP station {victim.name} for {hold:.0f} s, SIGCONT"):
            victim.signal(signal.SIGSTOP)
            time.sleep(hold)
            victim.signal(signal.SIGCONT)
        with step(timeline, f"{args.malformed} malformed messages"):
            bad = inject_malformed(hub.url, args.malformed, args.seed)
        with step(timeline, "kill -9 of " + hub.name.split(" (")[0]):
            print(f"    killed {hub.kill_one()}", flush=True)
            time.sleep(hold)
            hub.restart_killed()
            time.sleep(hold)
        with step(timeline, f"whole hub down for {args.hub_down:.0f} s"):
            hub.stop_all()
            time.sleep(args.hub_down)
            hub.start_all()
            time.sleep(hold)
        with step(timeline, "stop stations (SIGTERM), projector catches up, SIGTERM"):
            codes = stations.stop_all()
            wait_until("projector caught up", lambda: consumer_caught_up(hub.url), 600)
            projector_code = projector.terminate()
        elapsed = time.monotonic() - started
        dead = dead_letters(hub.url)
    finally:
        for child in [projector, *stations.children]:
            if child.process is not None and child.process.poll() is None:
                child.process.kill()
        hub.close()
    for session_id, said in ledger.sessions.items():
        print(f"    session {session_id} of {said['station']}: {said}", flush=True)
    totals = count(root / "warehouse", ledger)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    totals["quarantined"] = dead["bad"]
    totals["bad_input"] = bad
    totals["good_quarantined"] = dead["good"]
    totals["seconds"] = round(elapsed)
    print(f"    station exit codes {codes}, projector exit code {projector_code}")
    for what, seconds in timeline:
        print(f"    {seconds:6.1f} s  {what}")
    return totals


def print_table(results: dict[str, dict[str, int]]) -> None:
    """The counts, one column per topology."""
    rows = [
        ("sent", "sent"),
        ("acknowledged (durable at the station)", "acknowledged"),
        ("stored", "stored"),
        ("lost", "lost"),
        ("duplicated", "duplicated"),
        ("bad input sent", "bad_input"),
        ("quarantined", "quarantined"),
        ("good events quarantined", "good_quarantined"),
        ("unexpected", "unexpected"),
        ("sessions / closed", "sessions"),
        ("seconds", "seconds"),
    ]
    names = list(results)
    print("\n| count | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, key in rows:
        cells = []
        for name in names:
            value = results[name][key]
            if key == "sessions":
                value = f"{value} / {results[name]['sessions_ended']}"  # type: ignore[assignment]
            cells.append(f"{value:,}" if isinstance(value, int) else str(value))
        print(f"| {label} | " + " | ".join(cells) + " |")


def verdict(results: dict[str, dict[str, int]]) -> bool:
    """0 lost, 0 duplicated, 0 unexpected, every bad input quarantined, every session closed."""
    return all(
        r["lost"] == 0
        and r["duplicated"] == 0
        and r["unexpected"] == 0
        and r["good_quarantined"] == 0
        and r["quarantined"] == r["bad_input"]
        and r["sessions_ended"] == r["sessions"]
        for r in results.values()
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topology", choices=["single", "cluster", "both"], default="both")
    parser.add_argument("--stations", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1500.0, help="events/s per station")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds between faults")
    parser.add_argument("--hub-down", type=float, default=60.0, help="seconds the hub is down")
    parser.add_argument("--malformed", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--short", action="store_true", help="every fault once, about a minute")
    args = parser.parse_args(argv)
    if args.short:
        args.hold, args.hub_down, args.malformed, args.rate = 2.0, 5.0, 1000, 300.0
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chaos schedule on each topology; print the table; exit 1 unless all is well."""
    args = parse_args(argv)
    topologies = ["single", "cluster"] if args.topology == "both" else [args.topology]
    results = {name: run_chaos(args, name) for name in topologies}
    print_table(results)
    ok = verdict(results)
    print("\nverdict:", "0 lost, 0 duplicated, all bad input quarantined" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        station_child(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(main())
