"""Raw limits for benchmarks/ingest.py, measured in the same run as the phases they bound.

- a plain chDB Arrow insert of the very ``measurements`` rows a phase wrote, into a
  fresh warehouse (same DDL), in a child process (a chDB data directory opens in one
  process only, and the benchmark's own warehouse is open);
- a plain decode → Arrow → chDB pass over the same frames the single ``measure()``
  phase sends: the projector's work without NATS, in the same child process kind;
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pyarrow as pa

RAW_PROJECTOR_BATCH_ROWS = 100_000
"""Points per write of the plain decode → Arrow → chDB pass."""
RAW_INSERT_ROWS = 1_000_000
"""Rows per insert of the raw chDB insert (one big insert, as the architecture notes measure)."""


class RecordedInserts:
    """Keeps every ``measurements`` Arrow table a warehouse inserts (for the raw insert)."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []

    def rows(self) -> int:
        """Rows kept so far."""
        return sum(t.num_rows for t in self.tables)

    def save(self, path: Path) -> int:
        """Write the kept rows as one Arrow IPC file; forget them; return the row count."""
        rows = self.rows()
        if rows:
            table = pa.concat_tables(self.tables).unify_dictionaries().combine_chunks()
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
                out.write_table(table)
        self.tables.clear()
        return rows


def raw_insert(arrow_file: Path, directory: Path, chunk: int = RAW_INSERT_ROWS) -> dict[str, float]:
    """Rows/s of ``insert_arrow`` of the rows in ``arrow_file`` into a fresh warehouse (child)."""
    return _in_child(_raw_insert_child, (str(arrow_file), str(directory), chunk))


def raw_projector(payloads: list[tuple[str, bytes]], directory: Path) -> dict[str, float]:
    """Points/s of decode → rows → Arrow → chDB for ``(subject, payload)`` frames (child)."""
    return _in_child(_raw_projector_child, (payloads, str(directory)))


def _in_child(target: object, args: tuple[object, ...]) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))  # type: ignore[arg-type]
    proc.start()
    result: dict[str, float] = out.get()
    proc.join()
    return result


def _raw_insert_child(arrow_file: str, directory: str, chunk: int, out: mp.Queue) -> None:
    from benchtrail.projector import open_warehouse

    with pa.memory_map(arrow_file) as source:
        table = pa.ipc.open_file(source).read_all()
    warehouse = open_warehouse(Path(directory) / "warehouse")
    try:
        t0 = time.perf_counter()
        for start in range(0, table.num_rows, chunk):
            warehouse.insert_arrow("measurements", table.slice(start, chunk))
        elapsed = time.perf_counter() - t0
    finally:
        warehouse.close()
    out.put({"rows": float(table.num_rows), "rows_per_s": table.num_rows / elapsed})


def _raw_projector_child(payloads: list[tuple[str, bytes]], directory: str, out: mp.Queue) -> None:
    from benchtrail.projector import RowBatch, open_warehouse
    from benchtrail.projector.frames import check_frame

    warehouse = open_warehouse(Path(directory) / "warehouse")
    points, per_batch = 0, RAW_PROJECTOR_BATCH_ROWS
    try:
        t0, cpu0 = time.perf_counter(), time.process_time()
        batch, in_batch = RowBatch(), 0
        for index, (subject, payload) in enumerate(payloads):
            frame = check_frame(subject, payload)
            batch.add_frame(frame.events, index + 1)
            in_batch += frame.measurement_rows
            points += frame.measurement_rows
            if in_batch >= per_batch or index == len(payloads) - 1:
                warehouse.write(batch)
                batch, in_batch = RowBatch(), 0
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        warehouse.close()
    out.put(
        {
            "points": float(points),
            "points_per_s": points / elapsed,
            "cpu_us_per_point": cpu / max(points, 1) * 1e6,
        }
    )
