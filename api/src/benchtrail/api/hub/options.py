"""How ``benchtrail up`` runs: the options of the embedded hub, with their defaults."""

from __future__ import annotations

import msgspec

from benchtrail.api.http.read_gate import ReadLimits
from benchtrail.api.hub.http_server import MAX_CONCURRENCY
from benchtrail.api.hub.live_limits import LiveLimits
from benchtrail.api.hub.upkeep import DEFAULT_INTERVAL_S, DEFAULT_MAX_INGEST_LAG_S
from benchtrail.projector import DATABASE
from benchtrail.schemas import DEFAULT_TIME_WINDOW, MAX_FRAME_DAYS, TimeWindow

MEMORY_CEILING_MIB = 1536
"""The hub's resident memory stays under this with its default bounds, whatever clients do
(README, "Bounds"; measured by ``benchmarks/abuse.py``). The warehouse itself (chDB)
takes about 500 MiB of it once it has data; every other bound (live feeds, read turns,
request sizes, the projector's batches) keeps the rest in its share."""
DEFAULT_SYNC_INTERVAL = "always"
"""The embedded hub fsyncs every JetStream write before acking it (docs/durability.md)."""


class HubOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How ``benchtrail up`` runs.

    Attributes:
        data_dir: where the JetStream store and the warehouse live.
        http_host: address the API listens on.
        http_port: port of the API (0 picks a free one).
        nats_port: client port of nats-server (0 picks a free one).
        demo: run simulated stations that record into the hub.
        demo_stations: how many.
        warehouse: chDB directory or ``http(s)://`` ClickHouse URL; default
            ``<data-dir>/warehouse``.
        database: the ClickHouse database of the benchtrail tables.
        retention_days: drop recorded data older than this many days (whole UTC
            days, warehouse and stream) at start and every ``retention_interval``
            seconds; 0 keeps everything.
        retention_interval: seconds between two prunes of the retention policy.
        sync_interval: nats-server's JetStream fsync interval: ``"always"`` (an ack means
            the frame is on disk, measured in docs/durability.md) or a duration (``"2m"``
            is nats-server's own default).
        auth: every connection proves who it is: API callers with tokens
            (``<data-dir>/auth/tokens.json``; without auth the API runs open, every request
            the local admin), NATS clients with nkeys (:mod:`benchtrail.api.hub.identity`):
            stations with their own credentials, the hub's services with theirs.
        allowed_hosts: host names the API answers to besides the loopback names.
        nats_host: address nats-server listens on.
        tls_cert: certificate (PEM) of TLS for NATS and HTTPS; with ``tls_key``. The
            hub's own clients trust it as their CA (a self-signed certificate, or a file
            holding the chain up to the CA).
        tls_key: its private key (PEM).
        tls_ca: the CA certificate (PEM) the hub's own clients trust; ``""``: ``tls_cert``.
        tls_generate: make (once) a lab CA and a hub certificate it signs in
            ``<data-dir>/tls`` (:mod:`benchtrail.api.hub.tls`) and serve TLS with them.
        time_window: the times an event may carry; the projector dead-letters one outside.
        max_frame_days: most UTC days one frame may touch; the projector dead-letters
            a frame touching more, whole.
        live: the live feeds' limits (:class:`~benchtrail.api.hub.live_limits.LiveLimits`).
        upkeep_interval_s: seconds between checks of streams, lock bucket and ingestion
            (:mod:`benchtrail.api.hub.upkeep`; missing two checks in a row: recreated).
        max_ingest_lag_s: health is ``degraded`` once a frame waited this long to be written.
        http_max_concurrency: connections (idle ones and live feeds too) and requests
            the API serves at a time; beyond it uvicorn answers 503 at once
            (:mod:`benchtrail.api.hub.http_server` says why the default is 200).
        reads: warehouse reads answered at once and how many wait
            (:class:`~benchtrail.api.http.read_gate.ReadLimits`): what bounds how much
            reading can slow ingestion.
        freeze_startup: keep what the hub made at startup out of the cyclic garbage
            collector while it serves (``startup_frozen`` in ``embedded.py``): a process
            that is the hub (``benchtrail up``); off for a hub embedded in another
            program (tests, notebooks), whose own collection it would change.
    """

    data_dir: str = ".benchtrail"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    nats_port: int = 4222
    demo: bool = False
    demo_stations: int = 3
    warehouse: str = ""
    database: str = DATABASE
    retention_days: int = 0
    retention_interval: float = 3600.0
    sync_interval: str = DEFAULT_SYNC_INTERVAL
    auth: bool = False
    allowed_hosts: tuple[str, ...] = ()
    nats_host: str = "127.0.0.1"
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca: str = ""
    tls_generate: bool = False
    time_window: TimeWindow = DEFAULT_TIME_WINDOW
    max_frame_days: int = MAX_FRAME_DAYS
    live: LiveLimits = msgspec.field(default_factory=LiveLimits)
    upkeep_interval_s: float = DEFAULT_INTERVAL_S
    max_ingest_lag_s: float = DEFAULT_MAX_INGEST_LAG_S
    http_max_concurrency: int = MAX_CONCURRENCY
    reads: ReadLimits = msgspec.field(default_factory=ReadLimits)
    freeze_startup: bool = False
