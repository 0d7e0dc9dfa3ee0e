"""The station registry as the API offers it to admins: register, list, revoke, applied at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from benchtrail.api.hub.identity.registry import StationEntry, StationRegistry
from benchtrail.api.models.access import IssuedStation, StationView


class StationDesk:
    """Station identities of a running hub, for ``/api/admin/stations``.

    Args:
        data_dir: the hub's data directory.
        reload: has the hub's nats-server apply the registry (a new station may connect,
            a revoked one is cut off).
    """

    def __init__(self, data_dir: str | Path, reload: Callable[[], object]) -> None:
        self.registry = StationRegistry(data_dir)
        self._reload = reload

    def add(self, station_id: str) -> IssuedStation:
        """Register ``station_id``; its credentials are in the answer only."""
        credentials = self.registry.add(station_id)  # also renders the authorization block
        self._reload()
        entry = self.registry.get(station_id)
        assert entry is not None
        return IssuedStation(credentials=credentials.seed.decode(), station=station_view(entry))

    def views(self) -> list[StationView]:
        """Every registered station, revoked ones included, by id."""
        return [station_view(entry) for entry in self.registry.list()]

    def revoke(self, station_id: str) -> StationView:
        """Revoke ``station_id``; its connections are closed at once."""
        entry = self.registry.revoke(station_id)
        self._reload()
        return station_view(entry)


def station_view(entry: StationEntry) -> StationView:
    """How the API shows a registered station (times in ISO 8601, UTC)."""
    revoked = entry.revoked_at.isoformat() if entry.revoked_at else None
    return StationView(
        station_id=entry.station_id,
        public_key=entry.public_key,
        created_at=entry.created_at.isoformat(),
        revoked_at=revoked,
    )
