"""``/api/admin/stations``: an admin registers, lists and revokes station identities remotely.

On the hub's machine ``benchtrail station`` edits the registry directly; these routes do
the same from elsewhere (with an admin token) and have nats-server apply the change at
once. A new station's credentials are in the answer to its registration only.
"""

from __future__ import annotations

import asyncio

from litestar import Response, delete, get, post
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody

from benchtrail.api.errors import HubUnavailable
from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.hub.identity import StationDesk
from benchtrail.api.models.access import IssuedStation, StationRegistration, StationView

_NO_STORE = {"Cache-Control": "no-store"}


def _desk(hub_link: HubLink | None) -> StationDesk:
    desk = require(hub_link, "station identities").stations
    if desk is None:
        raise HubUnavailable("station identities")
    return desk


@post("/api/admin/stations", tags=["admin"], status_code=201)
async def register_station(
    hub_link: NamedDependency[HubLink | None], data: JSONBody[StationRegistration]
) -> Response[IssuedStation]:
    """Register a station; the answer holds its credentials (nkey seed) this once."""
    issued = await asyncio.to_thread(_desk(hub_link).add, data.station_id)
    return Response(issued, status_code=201, headers=_NO_STORE)


@get("/api/admin/stations", tags=["admin"])
async def list_stations(hub_link: NamedDependency[HubLink | None]) -> list[StationView]:
    """Every registered station (never its credentials), revoked ones too."""
    return await asyncio.to_thread(_desk(hub_link).views)


@delete("/api/admin/stations/{station_id:str}", tags=["admin"], status_code=200)
async def revoke_station(
    hub_link: NamedDependency[HubLink | None], station_id: FromPath[str]
) -> StationView:
    """Revoke a station: the hub refuses its credentials and closes its connections."""
    return await asyncio.to_thread(_desk(hub_link).revoke, station_id)


STATION_ADMIN_ROUTES: list[BaseRouteHandler] = [register_station, list_stations, revoke_station]
"""Every route handler of station identity management."""
