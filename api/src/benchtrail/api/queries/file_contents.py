"""Questions about the uploaded bytes of registered files (observation windows).

A file's content is recorded as an ``attachment.added`` event without a run
(``run_id`` ``""``) named by the file's id, so it lives in the ``attachments``
table beside run attachments and goes with them in retention. Uploaded again, the
latest upload counts.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.models.windows import FileContent
from benchtrail.api.queries._sql import with_times
from benchtrail.projector import Warehouse

FILE_RUN_ID = ""
"""The ``run_id`` of the ``attachment.added`` events that carry files' contents."""

_LATEST = "(attached_at, event_id)"


def file_contents(warehouse: Warehouse, file_ids: list[str]) -> dict[str, FileContent]:
    """The uploaded content of each of ``file_ids`` that has one, by file id."""
    if not file_ids:
        return {}
    sql = f"""
        SELECT name AS file_id, argMax(size_bytes, {_LATEST}) AS size_bytes,
               argMax(sha256, {_LATEST}) AS sha256, argMax(mimetype, {_LATEST}) AS mimetype,
               toUnixTimestamp64Nano(max(attached_at)) AS uploaded_ns
        FROM {warehouse.database}.attachments FINAL
        WHERE run_id = {{run_id:String}} AND name IN {{ids:Array(String)}}
        GROUP BY name
    """
    rows = warehouse.rows(sql, {"run_id": FILE_RUN_ID, "ids": file_ids})
    return {
        str(row.pop("file_id")): msgspec.convert(with_times(row, "uploaded"), FileContent)
        for row in rows
    }
