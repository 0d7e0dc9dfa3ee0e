"""``benchtrail replay --into DIR``: rebuild a warehouse from the stream, and check it.

The command connects to the hub's NATS (``--hub``) and replays ``BT_EVENTS`` into a
fresh warehouse of its own (:mod:`benchtrail.projector.replay`): a chDB directory, which
this process opens (a chDB directory opens in one process only, and the hub's is not
this one), or a ``http(s)://`` ClickHouse server. With ``--verify`` it then asks the live
API (``--api``) for the live tables' checksums and compares them table by table.

Exit status: 0 when done (and, with ``--verify``, every table matches), 1 on a mismatch
or an error, 3 when the live warehouse cannot be compared (it was not caught up to the
same stream sequence: something was recorded meanwhile).
"""

from __future__ import annotations

import sys

import click
import msgspec
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from benchtrail.agents.config import DEFAULT_HUB
from benchtrail.api.cli.read import open_store, token_option
from benchtrail.api.client.base import DEFAULT_URL
from benchtrail.api.models.ingest import WarehouseChecksums
from benchtrail.projector import DATABASE, HubUnavailable, IngestTimeout, WarehouseUnavailable
from benchtrail.projector.replay import (
    ReplayProgress,
    ReplayResult,
    ReplayTargetNotEmpty,
    replay,
)
from benchtrail.schemas import HUB_IDENTITY, NatsAccess

NOT_COMPARABLE = 3
"""Exit status when ``--verify`` cannot compare: the live side is at another stream sequence."""


class TableCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One table of the replay beside the live one."""

    table: str
    rows: int
    checksum: int
    live_rows: int | None
    live_checksum: int | None
    match: bool


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    """What ``--verify`` found.

    Attributes:
        verdict: ``match``, ``mismatch`` or ``not-comparable``.
        detail: one sentence saying why.
        live: the live warehouse's checksums and stream position.
        tables: every table, replayed beside live (empty when not comparable).
    """

    verdict: str
    detail: str
    live: WarehouseChecksums
    tables: list[TableCheck]


class ReplayReport(msgspec.Struct, frozen=True, kw_only=True):
    """The ``--json`` output: the replay, and the verification if asked for."""

    replay: ReplayResult
    verify: Verification | None = None


@click.command("replay")
@click.option(
    "--into",
    "target",
    required=True,
    help="A new chDB data directory, or http(s)://user:password@host:port of a ClickHouse server.",
)
@click.option("--database", default=DATABASE, show_default=True, help="ClickHouse database.")
@click.option(
    "--hub",
    envvar="BENCHTRAIL_HUB",
    default=DEFAULT_HUB,
    show_default=True,
    help="NATS URL of the hub (env BENCHTRAIL_HUB).",
)
@click.option(
    "--credentials",
    envvar="BENCHTRAIL_CREDENTIALS",
    default="",
    help="The hub identity's seed file, for a hub with auth: <data-dir>/auth/hub.nk "
    "(env BENCHTRAIL_CREDENTIALS).",
)
@click.option(
    "--tls-ca",
    envvar="BENCHTRAIL_TLS_CA",
    default="",
    help="CA certificate (PEM) of the hub's TLS (env BENCHTRAIL_TLS_CA).",
)
@click.option(
    "--api",
    "api_url",
    envvar="BENCHTRAIL_API",
    default=DEFAULT_URL,
    show_default=True,
    help="URL of the live benchtrail API, for --verify (env BENCHTRAIL_API).",
)
@token_option
@click.option("--verify", is_flag=True, help="Compare every table with the live warehouse.")
@click.option("--force", is_flag=True, help="Replay into a target that holds data (dropped).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def replay_command(
    *,
    target: str,
    database: str,
    hub: str,
    credentials: str,
    tls_ca: str,
    api_url: str,
    verify: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Rebuild a warehouse from the hub's stream into --into, and show its tables' checksums.

    \b
    benchtrail replay --into /tmp/rebuilt --verify
    benchtrail replay --into http://default:@ch-host:8123 --database rebuilt
    """
    if verify:
        with open_store(api_url) as store:
            store.health()  # fail now, not after a long replay, if the API is not there
    access = NatsAccess.of(HUB_IDENTITY, credentials, tls_ca)
    result = _replay(target, database, hub, access, force=force)
    checked = _verify(api_url, result) if verify else None
    if as_json:
        report = ReplayReport(replay=result, verify=checked)
        click.echo(msgspec.json.format(msgspec.json.encode(report), indent=2).decode())
    else:
        _print(result, checked)
    if checked is not None and checked.verdict != "match":
        click.echo(f"verify: {checked.detail}", err=True)
        sys.exit(1 if checked.verdict == "mismatch" else NOT_COMPARABLE)


def _replay(
    target: str, database: str, hub: str, access: NatsAccess, *, force: bool
) -> ReplayResult:
    progress = Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames  {task.fields[events]:,} events  {task.fields[rate]:,.0f} events/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    task = progress.add_task("replay", total=None, events=0, rate=0.0)

    def on_progress(step: ReplayProgress) -> None:
        progress.update(
            task,
            completed=step.done,
            total=step.total,
            events=step.events,
            rate=step.events_per_s,
        )

    try:
        with progress:
            return replay(
                hub,
                target,
                database=database,
                force=force,
                on_progress=on_progress,
                access=access,
            )
    except (ReplayTargetNotEmpty, HubUnavailable, WarehouseUnavailable, IngestTimeout) as e:
        raise click.ClickException(str(e)) from e


def _verify(api_url: str, result: ReplayResult) -> Verification:
    """Compare the replay with the live warehouse, if it holds the same stream sequences."""
    with open_store(api_url) as store:
        live = store.warehouse_checksums()
    if not live.caught_up or live.ingested_through != result.through:
        detail = (
            f"cannot compare: the live warehouse holds the stream through sequence "
            f"{live.ingested_through} of {live.stream_last_seq}, the replay through "
            f"{result.through}; verify again when nothing is being recorded"
        )
        return Verification(verdict="not-comparable", detail=detail, live=live, tables=[])
    checks = [_check(table, result, live) for table in sorted({*result.tables, *live.tables})]
    bad = [check.table for check in checks if not check.match]
    detail = (
        f"every table matches the live warehouse at stream sequence {result.through}"
        if not bad
        else f"{len(bad)} table(s) differ from the live warehouse: {', '.join(bad)}"
    )
    return Verification(
        verdict="mismatch" if bad else "match", detail=detail, live=live, tables=checks
    )


def _check(table: str, result: ReplayResult, live: WarehouseChecksums) -> TableCheck:
    mine, theirs = result.tables.get(table), live.tables.get(table)
    rows, checksum = (mine.rows, mine.checksum) if mine else (0, 0)
    live_rows = theirs.rows if theirs else None
    live_checksum = theirs.checksum if theirs else None
    return TableCheck(
        table=table,
        rows=rows,
        checksum=checksum,
        live_rows=live_rows,
        live_checksum=live_checksum,
        match=(rows, checksum) == (live_rows, live_checksum),
    )


def _print(result: ReplayResult, checked: Verification | None) -> None:
    console = Console()
    rate = result.events / result.elapsed_s if result.elapsed_s else 0.0
    console.print(
        f"replayed stream sequences {result.first_seq}..{result.through} into "
        f"{result.target} (database {result.database}): {result.frames:,} frames, "
        f"{result.events:,} events, {result.dead_letters:,} unusable (kept in BT_DEAD), "
        f"{result.elapsed_s:.1f} s, {rate:,.0f} events/s (checksums {result.checksum_s:.1f} s)"
    )
    table = Table(header_style="bold")
    for column in ("table", "rows", "checksum"):
        table.add_column(column, justify="left" if column == "table" else "right")
    compared = checked is not None and bool(checked.tables)
    if compared:
        for column in ("live rows", "live checksum", ""):
            table.add_column(column, justify="right")
    checks = {check.table: check for check in checked.tables} if checked else {}
    for name, sums in result.tables.items():
        row = [name, f"{sums.rows:,}", f"{sums.checksum:016x}"]
        check = checks.get(name)
        if compared and check is not None:
            row += [
                f"{check.live_rows:,}" if check.live_rows is not None else "-",
                f"{check.live_checksum:016x}" if check.live_checksum is not None else "-",
                "[green]✓[/]" if check.match else "[red]✗[/]",
            ]
        table.add_row(*row)
    console.print(table)
    if checked is not None:
        console.print(checked.detail)
