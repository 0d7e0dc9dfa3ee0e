"""``benchtrail up``: run the embedded hub (nats-server + projector + API)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.panel import Panel

from benchtrail.agents.config import HubConfig, load_hub_config
from benchtrail.agents.errors import ConfigError
from benchtrail.api.errors import BadHostName, HubStartError, LabCertificateError, PortInUse
from benchtrail.api.hub.ports import ensure_free, is_loopback

if TYPE_CHECKING:
    from benchtrail.api.hub.embedded import Hub

console = Console(stderr=True)

_PORT_OPTIONS = {"NATS": ("--nats-port", "NATS_PORT"), "HTTP": ("--http-port", "HTTP_PORT")}
"""The ``benchtrail up`` option and the ``make demo`` variable that move each port."""


def _announce(hub: Hub) -> None:
    lines = [
        f"[bold]Dashboard[/]  {hub.api_url}/dashboard/",
        f"[bold]API[/]        {hub.api_url}/api/sessions",
        f"[bold]OpenAPI[/]    {hub.api_url}/schema",
        f"[bold]MCP[/]        {hub.api_url}/mcp/  (or: benchtrail mcp --api {hub.api_url})",
        f"[bold]Hub (NATS)[/] {hub.nats.url}",
        f"[bold]Data[/]       {hub.data_dir}",
        "",
        f"Record from a script:  BENCHTRAIL_HUB={hub.nats.url} python my_test.py",
        f"Read from the shell:   BENCHTRAIL_API={hub.api_url} benchtrail sessions",
    ]
    if hub.options.auth:
        lines.append(
            "Auth is on: each station needs its credentials file (benchtrail station add ID"
            f" --data-dir {hub.data_dir}; then BENCHTRAIL_CREDENTIALS=<file>), and every"
            " API caller a token (benchtrail token create --role viewer --name NAME"
            f" --data-dir {hub.data_dir}; then BENCHTRAIL_TOKEN=<token>)."
        )
    if hub.lab_certificates is not None:
        lines += ["", *hub.lab_certificates.describe().splitlines()]
    if hub.retention.older_than is not None:
        lines.append(f"Retention: data older than {hub.retention.older_than} is pruned hourly.")
    if hub.options.demo:
        lines.append(
            f"Demo: {hub.options.demo_stations} simulated stations record; each one's state"
            " and last error are on the dashboard, and one that stops is reported here."
        )
    lines.append("Ctrl-C stops everything; data is kept for the next start.")
    console.print(Panel("\n".join(lines), title="benchtrail is up", expand=False))


@click.command("up")
@click.option(
    "--data-dir",
    default=".benchtrail",
    show_default=True,
    help="Where the JetStream store and the warehouse live.",
)
@click.option("--demo", is_flag=True, help="Run simulated stations (pyvisa-sim) that record.")
@click.option("--demo-stations", default=3, show_default=True, type=click.IntRange(1, 20))
@click.option("--http-host", default="127.0.0.1", show_default=True)
@click.option(
    "--nats-host",
    default="127.0.0.1",
    show_default=True,
    help="Address stations publish to; any but loopback needs --auth.",
)
@click.option(
    "--auth",
    is_flag=True,
    help="Every station needs its credentials (benchtrail station add ID); needed off loopback.",
)
@click.option("--tls-cert", default="", help="Certificate (PEM) for TLS on NATS and HTTPS.")
@click.option("--tls-key", default="", help="Private key (PEM) of --tls-cert.")
@click.option(
    "--tls-ca",
    default="",
    help="CA certificate (PEM) that signed --tls-cert, if the certificate file does not hold it.",
)
@click.option(
    "--tls-generate",
    is_flag=True,
    help="Make (once) a lab CA and a hub certificate in <data-dir>/tls and serve TLS with them; "
    "prints the CA's fingerprint.",
)
@click.option(
    "--http-port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the API and dashboard (0 picks a free one; make demo HTTP_PORT=N).",
)
@click.option(
    "--nats-port",
    default=4222,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port stations publish to, on 127.0.0.1 (0 picks a free one; make demo NATS_PORT=N).",
)
@click.option(
    "--retention-days",
    type=click.IntRange(min=0),
    help="Drop recorded data older than this many days, at start and hourly (0 keeps "
    "everything). Default: hub.retention.days of the configuration files, else keep everything.",
)
@click.option(
    "--sync-interval",
    help="How often nats-server fsyncs its store: 'always' (before every ack) or a duration "
    "such as '2m'. Default: hub.sync_interval of the configuration files, else 'always'.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="A host name the API answers to besides localhost/127.0.0.1/[::1] (repeatable).",
)
@click.option(
    "--live-max-feeds",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most live feeds (/api/live, SSE) open at once; beyond, 503.",
)
@click.option(
    "--live-max-feeds-per-client",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most live feeds open at once from one client address; beyond, 429.",
)
@click.option(
    "--http-max-concurrency",
    type=click.IntRange(min=1),
    help="Connections (idle ones and live feeds too) and requests the API serves at a time; "
    "beyond them it answers 503 at once. Default: 200.",
)
@click.option(
    "--max-concurrent-reads",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Warehouse reads (lists, analytics, exports) answered at once; up to 64 more wait "
    "up to 10 s, beyond that 503. Bounds how much reading slows ingestion; raise it for a "
    "ClickHouse server warehouse.",
)
def up(
    *,
    max_concurrent_reads: int,
    allowed_hosts: tuple[str, ...],
    live_max_feeds: int,
    live_max_feeds_per_client: int,
    data_dir: str,
    demo: bool,
    demo_stations: int,
    http_host: str,
    nats_host: str,
    auth: bool,
    tls_cert: str,
    tls_key: str,
    tls_ca: str,
    tls_generate: bool,
    http_port: int,
    nats_port: int,
    retention_days: int | None,
    sync_interval: str | None,
    http_max_concurrency: int | None,
) -> None:
    """Start nats-server, the projector and the API on this machine."""
    _check_exposure(auth, {"--http-host": http_host, "--nats-host": nats_host})
    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if tls_generate and tls_cert:
        raise click.UsageError("--tls-generate makes its own certificate: drop --tls-cert")
    try:
        ensure_free("NATS", nats_host, nats_port)
        ensure_free("HTTP", http_host, http_port)
    except PortInUse as e:
        raise _port_in_use(e) from e
    # Imported after the port check: loading the hub (web stack, warehouse) takes seconds,
    # and a busy port should be said at once.
    from benchtrail.api.http.read_gate import ReadLimits
    from benchtrail.api.hub.embedded import Hub
    from benchtrail.api.hub.http_server import MAX_CONCURRENCY
    from benchtrail.api.hub.live_limits import LiveLimits
    from benchtrail.api.hub.options import DEFAULT_SYNC_INTERVAL, HubOptions
    from benchtrail.projector import HubUnavailable, WarehouseUnavailable

    options = HubOptions(
        data_dir=data_dir,
        demo=demo,
        demo_stations=demo_stations,
        http_host=http_host,
        http_port=http_port,
        nats_port=nats_port,
        auth=auth,
        nats_host=nats_host,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_ca=tls_ca,
        tls_generate=tls_generate,
        retention_days=_retention_days(retention_days),
        sync_interval=_sync_interval(sync_interval) or DEFAULT_SYNC_INTERVAL,
        allowed_hosts=allowed_hosts,
        time_window=_hub_config().time_window,
        max_frame_days=_hub_config().max_frame_days,
        live=LiveLimits(max_feeds=live_max_feeds, max_feeds_per_client=live_max_feeds_per_client),
        http_max_concurrency=http_max_concurrency or MAX_CONCURRENCY,
        reads=ReadLimits(slots=max_concurrent_reads),
        freeze_startup=True,  # this process is the hub
    )
    # The MCP library logs its session manager's start at INFO, above the banner.
    logging.getLogger("mcp").setLevel(logging.WARNING)
    try:
        hub = Hub(options, announce=_announce)
    except (BadHostName, LabCertificateError) as e:
        raise click.ClickException(str(e)) from e
    try:
        asyncio.run(hub.serve())
    except PortInUse as e:
        raise _port_in_use(e) from e
    except (HubStartError, HubUnavailable, WarehouseUnavailable, OSError) as e:
        raise click.ClickException(str(e)) from e
    console.print("benchtrail stopped cleanly.")


def _check_exposure(auth: bool, hosts: dict[str, str]) -> None:
    """Refuse to listen beyond this machine without auth, saying how to turn it on."""
    exposed = [f"{option} {host}" for option, host in hosts.items() if not is_loopback(host)]
    if exposed and not auth:
        raise click.UsageError(
            f"{', '.join(exposed)} would let anyone on the network record and read: add --auth."
            "\nThen register each station and give it its credentials file:"
            "\n  benchtrail up --auth " + " ".join(exposed) + "\n  benchtrail station add cell-7"
            "\n  benchtrail token create --role viewer --name wall-display  (HTTP access)"
        )


def _port_in_use(error: PortInUse) -> click.ClickException:
    """The clash, and how to choose another port."""
    option, variable = _PORT_OPTIONS.get(error.service, ("", ""))
    hint = f"\nChoose another: benchtrail up {option} N  (or: make demo {variable}=N)"
    return click.ClickException(f"{error}{hint if option else ''}")


def _hub_config() -> HubConfig:
    """The ``hub:`` block of the configuration files (defaults without one)."""
    try:
        return load_hub_config()[0]
    except ConfigError as e:
        raise click.ClickException(str(e)) from e


def _retention_days(option: int | None) -> int:
    """``--retention-days``, else ``hub.retention.days`` of the configuration files, else 0."""
    if option is not None:
        return option
    try:
        hub_config, _ = load_hub_config()
    except ConfigError as e:
        raise click.ClickException(str(e)) from e
    return hub_config.retention.days if hub_config.retention is not None else 0


def _sync_interval(option: str | None) -> str:
    """``--sync-interval``, else ``hub.sync_interval`` of the configuration files, else ``""``."""
    if option:
        return option
    try:
        hub_config, _ = load_hub_config()
    except ConfigError as e:
        raise click.ClickException(str(e)) from e
    return hub_config.sync_interval or ""
