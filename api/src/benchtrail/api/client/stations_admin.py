"""``StationAdminClient``: an admin's calls to ``/api/admin/stations`` from another machine."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import msgspec

from benchtrail.api.client.base import ClientBase, path_segment
from benchtrail.api.models.access import IssuedStation, StationRegistration, StationView

_issued = msgspec.json.Decoder(IssuedStation)
_view = msgspec.json.Decoder(StationView)
_views = msgspec.json.Decoder(list[StationView])


class StationAdminClient(ClientBase):
    """Register, list and revoke a hub's station identities; needs an ``admin`` token.

    Takes the arguments of :class:`~benchtrail.api.client.base.ClientBase`.
    """

    def add(self, station_id: str) -> IssuedStation:
        """Register ``station_id``; its credentials are in the answer only."""
        body = msgspec.json.encode(StationRegistration(station_id=station_id))
        response = self._request("/api/admin/stations", None, method="POST", body=body)
        return _issued.decode(response.content)

    def stations(self) -> list[StationView]:
        """Every registered station, revoked ones too (never their credentials)."""
        return _views.decode(self._request("/api/admin/stations", None).content)

    def revoke(self, station_id: str) -> StationView:
        """Revoke ``station_id``: the hub refuses it and closes its connections."""
        path = f"/api/admin/stations/{path_segment('station_id', station_id)}"
        return _view.decode(self._request(path, None, method="DELETE").content)


def write_credentials(path: Path, credentials: str) -> Path:
    """Write a station's credentials to ``path``, readable by its owner only; return the path.

    The file is created mode 0600 beside its final name and renamed over it, so no
    other user ever sees a readable copy.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.write(descriptor, credentials.strip().encode() + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    return path
