"""``benchtrail export``: runs, sessions or measurements to a Parquet, CSV or Arrow file.

The rows come from ``GET /api/export/...`` as a stream of Arrow record batches
(the server reads the warehouse page by page) and each batch is written to the
file as it arrives, so neither the API nor this command holds the whole result.
The file is written under a ``.part`` name and renamed when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

from benchtrail.api.cli.read import filter_options, given_filters, open_store, token_option
from benchtrail.api.client.base import DEFAULT_URL
from benchtrail.api.client.filters import EXPORT_FILTERS
from benchtrail.api.client.tables import ExportEntity
from benchtrail.api.errors import ApiError

if TYPE_CHECKING:
    import pyarrow as pa

FileFormat = Literal["parquet", "csv", "arrow"]
"""What ``export`` writes: Parquet, CSV (with a header row) or an Arrow IPC file."""

SUFFIXES: dict[str, FileFormat] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
}
"""File suffix → format, when ``--format`` is not given."""


class BatchWriter(Protocol):
    """Writes record batches to a file, one at a time."""

    def write_batch(self, batch: pa.RecordBatch) -> None: ...  # pragma: no cover

    def close(self) -> None: ...  # pragma: no cover


class _RowRate(ProgressColumn):
    """Rows written and rows per second."""

    def render(self, task: Task) -> Text:
        rate = f"{task.speed:,.0f} rows/s" if task.speed else ""
        return Text(f"{int(task.completed):,} rows  {rate}".rstrip())


@click.command("export")
@click.argument("entity", type=click.Choice(list(EXPORT_FILTERS)))
@click.option(
    "-o",
    "--output",
    "path",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["parquet", "csv", "arrow"]),
    help="File format (default: from the suffix: .parquet/.pq, .csv, .arrow/.feather/.ipc).",
)
@filter_options(*EXPORT_FILTERS.values())
@click.option(
    "--api",
    "api_url",
    envvar="BENCHTRAIL_API",
    default=DEFAULT_URL,
    show_default=True,
    help="URL of the benchtrail API (env BENCHTRAIL_API).",
)
@token_option
def export(
    *,
    entity: ExportEntity,
    path: Path,
    file_format: FileFormat | None,
    api_url: str,
    **filters: str | None,
) -> None:
    """Write every ENTITY (runs, sessions or measurements) matching the filters to a file.

    Rows stream from the API and are written as they arrive, with a progress
    line (rows written, rate). Times are those of the list endpoints: start
    time for runs and sessions, measurement time for measurements.

    \b
    benchtrail export measurements --station cell-7 --name vout --since 7d -o vout.parquet
    benchtrail export runs --since 2024-05-01 --until 2024-06-01 --outcome failed -o failed.csv
    """
    chosen = file_format or _format_of(path)
    query = _query(entity, filters)
    with open_store(api_url) as store:
        reader = store.export(entity, flat=chosen == "csv", **query)
        rows = _write(reader, path, chosen)
    click.echo(f"wrote {rows:,} {entity} rows to {path} ({chosen})")


def _format_of(path: Path) -> FileFormat:
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise click.UsageError(
            f"cannot tell the format from {path.name!r}: give --format "
            f"or a suffix among {', '.join(SUFFIXES)}"
        )
    return found


def _query(entity: ExportEntity, filters: dict[str, str | None]) -> dict[str, str]:
    given = given_filters(filters)
    declared = EXPORT_FILTERS[entity]
    unknown = sorted(set(given) - set(declared.names))
    if unknown:
        options = ", ".join(_FLAGS[name] for name in unknown)
        raise click.UsageError(f"{options}: not a filter of {entity}")
    return given


_FLAGS = {
    declared_filter.name: declared_filter.option
    for declared in EXPORT_FILTERS.values()
    for declared_filter in declared.filters
}


def _write(reader: pa.RecordBatchReader, path: Path, file_format: FileFormat) -> int:
    """Write every batch of ``reader`` to ``path`` (via a ``.part`` file); return the rows."""
    partial = path.with_name(path.name + ".part")
    rows = 0
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _RowRate(),
        console=Console(stderr=True),
    )
    writer = _open(partial, file_format, reader.schema)
    try:
        with progress:
            task = progress.add_task(f"exporting to {path.name}", total=None)
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
                progress.update(task, advance=batch.num_rows)
        writer.close()
        partial.replace(path)
    except (ApiError, OSError, KeyboardInterrupt):
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    return rows


def _open(path: Path, file_format: FileFormat, schema: pa.Schema) -> BatchWriter:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if file_format == "parquet":
        return pq.ParquetWriter(str(path), schema)
    if file_format == "csv":
        return pa_csv.CSVWriter(str(path), schema)
    return pa.ipc.new_file(str(path), schema)
