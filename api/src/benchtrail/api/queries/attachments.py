"""Questions about run attachments: which a run has, and where one's bytes are.

A name attached twice in one run is listed once, as last attached.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models.attachments import AttachmentView
from benchtrail.api.queries._sql import with_times
from benchtrail.projector import Warehouse

_LATEST = "(attached_at, event_id)"


def run_attachments(
    warehouse: Warehouse, run_id: str, name: str | None = None
) -> list[AttachmentView]:
    """The attachments of a run (only ``name``, if given), in the order they were attached.

    Raises:
        NotFound: the run has no attachments and is not in the warehouse.
    """
    only = "AND name = {name:String}" if name is not None else ""
    sql = f"""
        SELECT name, argMax(size_bytes, {_LATEST}) AS size, argMax(sha256, {_LATEST}) AS sha256,
               argMax(mimetype, {_LATEST}) AS mimetype, argMax(step, {_LATEST}) AS step,
               toUnixTimestamp64Nano(max(attached_at)) AS attached_at_ns
        FROM {warehouse.database}.attachments FINAL
        WHERE run_id = {{run_id:String}} {only}
        GROUP BY name ORDER BY attached_at_ns, name
    """
    rows = warehouse.rows(sql, {"run_id": run_id, "name": name or ""})
    if not rows and not _run_exists(warehouse, run_id):
        raise NotFound("run", run_id)
    return [msgspec.convert(with_times(row, "attached_at"), AttachmentView) for row in rows]


def run_attachment(warehouse: Warehouse, run_id: str, name: str) -> AttachmentView:
    """One attachment of a run, by name.

    Raises:
        NotFound: the run, or an attachment of that name in it, is not in the warehouse.
    """
    found = run_attachments(warehouse, run_id, name)
    if not found:
        raise NotFound("attachment", name)
    return found[0]


def unreferenced_digests(warehouse: Warehouse, before_ns: int) -> list[str]:
    """Digests every attachment row of which is older than ``before_ns`` (retention)."""
    sql = f"""
        SELECT sha256 FROM {warehouse.database}.attachments
        GROUP BY sha256
        HAVING max(attached_at) < fromUnixTimestamp64Nano({{before_ns:Int64}}, 'UTC')
        ORDER BY sha256
    """
    return [str(row["sha256"]) for row in warehouse.rows(sql, {"before_ns": before_ns})]


def _run_exists(warehouse: Warehouse, run_id: str) -> bool:
    sql = f"SELECT count() FROM {warehouse.database}.runs WHERE run_id = {{run_id:String}}"
    return bool(warehouse.scalar(sql, {"run_id": run_id}))
