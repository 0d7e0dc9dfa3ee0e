"""Client methods of ingest health: ``GET /api/health/ingest`` and ``/api/health/checksums``."""

from __future__ import annotations

from datetime import datetime

import msgspec

from benchtrail.api.client.base import ClientBase, QueryValue
from benchtrail.api.models.ingest import IngestHealth, WarehouseChecksums
from benchtrail.api.timestamps import datetime_to_ns

_ingest_health = msgspec.json.Decoder(IngestHealth)
_checksums = msgspec.json.Decoder(WarehouseChecksums)


class HealthMethods(ClientBase):
    """Whether every recorded event reached the warehouse, and what the warehouse holds."""

    def ingest_health(
        self, since: str | int | datetime | None = None, *, sessions: int = 50, ranges: int = 20
    ) -> IngestHealth:
        """Stream, consumer lag, last ingest, dead letters and per-session ``seq`` gaps.

        Args:
            since: check the sessions with an event on or after this UTC day (ISO-8601,
                ns since the epoch, or a datetime); default: the last 7 days.
            sessions: most sessions with gaps listed (the totals count all).
            ranges: most missing ranges listed per session.

        Raises:
            BadParameter: ``since`` is not a time, or a limit is out of range.
        """
        query: dict[str, QueryValue] = {"sessions": sessions, "ranges": ranges}
        if since is not None:
            query["since"] = datetime_to_ns(since) if isinstance(since, datetime) else since
        return _ingest_health.decode(self._get("/api/health/ingest", query))

    def warehouse_checksums(self) -> WarehouseChecksums:
        """Rows and content checksum of every live table, and the stream position they hold."""
        return _checksums.decode(self._get("/api/health/checksums"))
