"""``benchtrail up``: nats-server, the projector and the API in one process tree.

nats-server runs as a child process with its JetStream store in
``<data-dir>/jetstream``; the projector and the HTTP API share this process,
one event loop and one embedded chDB warehouse in ``<data-dir>/warehouse``
(a chDB directory opens in one process only). SIGINT or SIGTERM stops the
demo stations, lets the projector write and ack its batch in hand, stops the
API and then nats-server. Restarting on the same data dir keeps everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable, Generator, Mapping
from pathlib import Path

import msgspec
import nats
import uvicorn
from nats.aio.client import Client as NatsClient

from benchtrail.agents.demo import DEMO_STOPPED, DemoFleet, demo_station_ids
from benchtrail.agents.demo_status import DemoStatus
from benchtrail.agents.locks import Locks
from benchtrail.api.http import create_app
from benchtrail.api.http.read_gate import READ_GATE_STATE, ReadGate
from benchtrail.api.http.security import SecurityConfig
from benchtrail.api.http.stream_guard import StalledStreamGuard
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.attachment_store import ensure_attachments_bucket
from benchtrail.api.hub.http_server import api_server_config
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.identity import JETSTREAM_DIR, StationDesk, prepare_hub_access
from benchtrail.api.hub.live_limits import LiveFeeds
from benchtrail.api.hub.lockboard import LockBoard, hub_station
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.api.hub.options import HubOptions
from benchtrail.api.hub.ports import ensure_free
from benchtrail.api.hub.retention import RETENTION_STATE, HubRetention, Pruner
from benchtrail.api.hub.tls import LabCertificates, ensure_lab_certificates
from benchtrail.api.hub.upkeep import HubUpkeep
from benchtrail.projector import (
    Projector,
    ProjectorSettings,
    Warehouse,
    open_warehouse,
)
from benchtrail.schemas import EVENTS_STREAM

log = logging.getLogger("benchtrail.hub")


SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the interpreter lock while another waits (Python's default: 5 ms).

The hub's event loop (HTTP, live feeds, the projector's NATS traffic) shares the
interpreter with the worker threads building large answers; every time the loop
waits for I/O it must win the lock back. Measured with ``benchmarks/abuse.py``
(20 clients reading 100k-point pages): health p50/p99 38/314 ms at 5 ms, 12/111 ms
at 1 ms.
"""


@contextlib.contextmanager
def startup_frozen() -> Generator[None, None, None]:
    """Keep what is alive now out of the cyclic garbage collector's scans (``gc.freeze``).

    A full collection walks every tracked object; a serving hub holds hundreds of
    thousands from its start (modules, schemas, routes, clients), and a collection set off
    by a large answer's allocations walked them all: a 10,000-point control chart took
    ~190 ms instead of ~55 whenever one ran (``benchmarks/queries.py``, p95). Frozen
    objects are never collected; when the hub stops they go back to the collector, and
    what of them died meanwhile is collected then (not at some later, unrelated moment).
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.collect()


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the hub decides how to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Hub:
    """The running embedded hub; :meth:`serve` until :meth:`request_stop`."""

    def __init__(self, options: HubOptions, announce: Callable[[Hub], None] | None = None) -> None:
        self.options = options
        self.data_dir = Path(options.data_dir).resolve()
        self.lab_certificates: LabCertificates | None = None
        tls_cert, tls_key, tls_ca = self._tls_files(options)
        demo_ids = demo_station_ids(options.demo_stations) if options.demo else []
        self.access = prepare_hub_access(
            self.data_dir, auth=options.auth, tls_ca=tls_ca, stations=demo_ids
        )
        self.nats = NatsServer(
            self.data_dir / JETSTREAM_DIR,
            port=options.nats_port,
            host=options.nats_host,
            sync_interval=options.sync_interval or None,
            authorization=self.access.authorization_file or "",
            tls_cert=tls_cert,
            tls_key=tls_key,
        )
        self.warehouse: Warehouse | None = None
        self.projector: Projector | None = None
        self.api: _ApiServer | None = None
        self.lock_board: LockBoard | None = None
        self.retention = HubRetention(options.retention_days, options.retention_interval)
        self._retention_task: asyncio.Task[None] | None = None
        self.upkeep: HubUpkeep | None = None
        self.read_gate: ReadGate | None = None
        self._upkeep_task: asyncio.Task[None] | None = None
        self._nc: NatsClient | None = None
        self._live_nc: NatsClient | None = None
        self.http_port = options.http_port
        self.ready = threading.Event()
        self._announce = announce
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.demo: DemoFleet | None = None

    def _tls_files(self, options: HubOptions) -> tuple[str, str, str]:
        """Certificate, key and the CA the hub's own clients trust (all ``""`` without TLS)."""
        if options.tls_generate:
            names = (*options.allowed_hosts, options.nats_host, options.http_host)
            hosts = [name for name in names if name not in _ANY_ADDRESS]
            lab = ensure_lab_certificates(self.data_dir / TLS_DIR, hosts)
            self.lab_certificates = lab
            return str(lab.server_cert), str(lab.server_key), str(lab.ca_cert)
        cert, key = _absolute(options.tls_cert), _absolute(options.tls_key)
        return cert, key, _absolute(options.tls_ca) or cert

    @property
    def api_url(self) -> str:
        """Base URL of the HTTP API (``https://`` with TLS)."""
        scheme = "https" if self.nats.tls_cert else "http"
        return f"{scheme}://{self.options.http_host}:{self.http_port}"

    @property
    def local_nats_url(self) -> str:
        """The URL the hub's own clients use (loopback when nats-server listens everywhere)."""
        host = self.nats.host
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return self.nats.url.replace(f"//{host}:", f"//{local}:", 1)

    def security(self) -> SecurityConfig:
        """The API's tokens (with ``auth``) and allowed hosts (the listen address among them)."""
        tokens = token_store(self.data_dir) if self.options.auth else None
        host = self.options.http_host
        listen = () if host in ("0.0.0.0", "::", "") else (host,)
        return SecurityConfig(tokens=tokens, allowed_hosts=(*listen, *self.options.allowed_hosts))

    def status(self) -> Mapping[str, object]:
        """Health details merged into ``GET /api/health``; ``reasons`` make it ``degraded``."""
        projector = msgspec.to_builtins(self.projector.stats) if self.projector else None
        running, upkeep = self.nats.running(), self.upkeep
        down = [] if running else ["nats-server is not running"]
        return {
            "reasons": down + (list(upkeep.problems) if upkeep is not None else []),
            "warehouse": upkeep.warehouse if upkeep is not None else None,
            "reads": self.read_gate.status() if self.read_gate is not None else None,
            "hub": {"nats_url": self.nats.url, "nats_running": running}
            | {"recreated": list(upkeep.recreated) if upkeep is not None else []}
            | {"ingest_lag_s": upkeep.ingest_lag_s if upkeep is not None else None},
            "projector": projector,
            "retention": self.retention.status(),
            "demo": self.demo.statuses() if self.demo is not None else None,
        }

    def request_stop(self) -> None:
        """Ask a serving hub to stop; safe to call from any thread."""
        if self._stop is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def ingest_all(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """Wait until everything in ``BT_EVENTS`` now is queryable; return the stream sequence."""
        assert self.projector is not None and self._nc is not None, "the hub is not running"
        info = await self._nc.jetstream().stream_info(EVENTS_STREAM)
        last = int(info.state.last_seq)
        await self.projector.wait_until_ingested(last, timeout)
        return last

    def wait_ingested(self, timeout: float = 30.0) -> int:
        """:meth:`ingest_all` for callers on other threads (tests, scripts)."""
        assert self._loop is not None, "the hub is not running"
        future = asyncio.run_coroutine_threadsafe(self.ingest_all(timeout), self._loop)
        return future.result(timeout + 5)

    async def serve(self) -> None:
        """Start everything, serve until stopped, then stop everything in order."""
        self._stop = asyncio.Event()
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        loop = self._loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):  # not the main thread
                loop.add_signal_handler(signum, self._stop.set)
        try:
            await self._start()
            frozen = startup_frozen() if self.options.freeze_startup else contextlib.nullcontext()
            with frozen:
                self.ready.set()
                if self._announce is not None:
                    self._announce(self)
                await self._stop.wait()
        finally:
            await self._shutdown()
            sys.setswitchinterval(switch_interval)

    async def _start(self) -> None:
        await asyncio.to_thread(self.nats.start)
        target = self.options.warehouse or str(self.data_dir / "warehouse")
        self.warehouse = await asyncio.to_thread(open_warehouse, target, self.options.database)
        url, access = self.local_nats_url, self.access
        settings = ProjectorSettings(
            time_window=self.options.time_window, max_frame_days=self.options.max_frame_days
        )
        self.projector = Projector(self.warehouse, url, settings=settings, access=access.hub)
        await self.projector.start()
        self._nc = await nats.connect(url, name="benchtrail-hub", **access.hub.connect_options())
        live_feeds = LiveFeeds(self.options.live)
        self._live_nc = await nats.connect(
            url,
            name="benchtrail-live",
            error_cb=live_feeds.on_error,
            **access.live.connect_options(),
        )
        station = functools.partial(
            hub_station, credentials=access.hub.credentials, tls_ca=access.hub.tls_ca
        )
        locks = await Locks(self._nc.jetstream()).open()
        await ensure_attachments_bucket(self._nc.jetstream())
        self.lock_board = LockBoard(locks, url, station_factory=station)
        hub_link = HubLink(
            self._nc,
            self.projector,
            live_nc=self._live_nc,
            live_feeds=live_feeds,
            stations=StationDesk(self.data_dir, self.nats.reload),
        )
        self.upkeep = HubUpkeep(
            hub_link,
            self.lock_board,
            interval_s=self.options.upkeep_interval_s,
            max_ingest_lag_s=self.options.max_ingest_lag_s,
            warehouse=self.warehouse,
        )
        assert self._stop is not None
        upkeep = self.upkeep.run(self._stop)
        self._upkeep_task = asyncio.create_task(upkeep, name="benchtrail-upkeep")
        app = create_app(
            self.warehouse,
            status_provider=self.status,
            lock_board=self.lock_board,
            hub_link=hub_link,
            security=self.security(),
            reads=self.options.reads,
        )
        self.read_gate = app.state[READ_GATE_STATE]
        app.state[RETENTION_STATE] = self.retention
        config = api_server_config(
            StalledStreamGuard(app, self.options.live.send_timeout_s),
            host=self.options.http_host,
            port=self.options.http_port,
            max_concurrency=self.options.http_max_concurrency,
            ssl_certfile=self.nats.tls_cert or None,
            ssl_keyfile=self.nats.tls_key or None,
        )
        self.api = _ApiServer(config)
        self._api_task = asyncio.create_task(self.api.serve(), name="benchtrail-api")
        while not self.api.started:
            if self._api_task.done():
                with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind
                    self._api_task.result()
                self.api = None
                host, port = self.options.http_host, self.options.http_port
                ensure_free("HTTP", host, port)  # names the clash if that is the cause
                raise OSError(f"the API could not listen on {host}:{port} (see the error above)")
            await asyncio.sleep(0.01)
        self.http_port = self.api.servers[0].sockets[0].getsockname()[1]
        self._start_retention()
        if self.options.demo:
            self.demo = DemoFleet(
                url,
                self.options.demo_stations,
                on_stop=_demo_station_stopped,
                outbox_dir=str(self.data_dir / "outbox"),
                credentials_dir=str(access.credentials_dir) if self.options.auth else "",
                tls_ca=access.hub.tls_ca,
            ).start()

    def _start_retention(self) -> None:
        """Apply the retention policy now and every interval (nothing if it keeps everything)."""
        assert self.warehouse is not None and self._nc is not None and self._stop is not None
        if self.retention.older_than is None or self.projector is None:
            return
        pruner = Pruner(
            self.warehouse,
            self._nc.jetstream(),
            projector=self.projector,
            lock=self.retention.lock,
        )
        run = self.retention.run(pruner, self._stop)
        self._retention_task = asyncio.create_task(run, name="benchtrail-retention")

    async def _shutdown(self) -> None:
        """Stop in order — stations, projector, API, nats-server — even if a step fails."""
        steps = [
            self._stop_retention,
            self._stop_demo,
            self._stop_locks,
            self._stop_projector,
            self._stop_api,
            self._stop_nats,
        ]
        for step in steps:
            try:
                await step()
            except Exception as e:  # the next steps must still run
                log.warning("while stopping (%s): %r", step.__name__.strip("_"), e)

    async def _stop_retention(self) -> None:
        if self._stop is not None:
            self._stop.set()  # also when starting failed: the tasks end after a round in hand
        if self._retention_task is not None:
            await self._retention_task
        if self._upkeep_task is not None:
            await self._upkeep_task

    async def _stop_demo(self) -> None:
        if self.demo is not None:
            await asyncio.to_thread(self.demo.stop, 30)

    async def _stop_locks(self) -> None:
        if self.lock_board is not None:
            await asyncio.to_thread(self.lock_board.close)
        for nc in (self._nc, self._live_nc):
            if nc is not None:
                await nc.close()

    async def _stop_projector(self) -> None:
        if self.projector is not None:
            await self.projector.stop()

    async def _stop_api(self) -> None:
        if self.api is not None:
            self.api.should_exit = True
            await self._api_task

    async def _stop_nats(self) -> None:
        await asyncio.to_thread(self.nats.stop)
        if self.warehouse is not None and not self.options.warehouse:
            self.warehouse.close()  # a warehouse given in the options belongs to the caller


TLS_DIR = "tls"
"""Where ``tls_generate`` keeps the lab CA and the hub's certificate: ``<data-dir>/tls``."""
_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})


def _absolute(path: str) -> str:
    """``path`` made absolute (``""`` stays ``""``): nats-server resolves it elsewhere."""
    return str(Path(path).resolve()) if path else ""


def _demo_station_stopped(status: DemoStatus) -> None:
    """Say which demo station stopped and why (a demo being stopped is no news)."""
    if status.stopped_reason != DEMO_STOPPED:
        log.error("demo station %s stopped: %s", status.station_id, status.stopped_reason)
