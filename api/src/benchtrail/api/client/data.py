"""Client methods of data retention: :meth:`DataMethods.prune` (``POST /api/data/prune``)."""

from __future__ import annotations

import msgspec

from benchtrail.api.client.base import ClientBase, QueryValue
from benchtrail.api.models.prune import PruneReport

_report = msgspec.json.Decoder(PruneReport)


class DataMethods(ClientBase):
    """Managing the hub's data: retention."""

    def prune(self, older_than: str | None = None, *, dry_run: bool = False) -> PruneReport:
        """Drop the whole days older than ``older_than`` (``"90d"``, ``"12h"``, ``"2w"``).

        Without ``older_than`` the hub's configured retention applies; without one,
        nothing is removed (the report's ``policy`` is ``"none"``).

        Args:
            older_than: the age; ``None`` for the hub's configured retention.
            dry_run: change nothing; the report says what would go.

        Raises:
            BadParameter: ``older_than`` is not an age the hub accepts.
            ApiUnavailable: the API cannot be reached, or runs without a hub (HTTP 503).
        """
        query: dict[str, QueryValue] = {"dry_run": "true" if dry_run else "false"}
        if older_than is not None:
            query["older_than"] = older_than
        response = self._request("/api/data/prune", query, method="POST")
        return _report.decode(response.content)
