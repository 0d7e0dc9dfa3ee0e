"""The hub's NATS security room: station and service identities and their permissions.

:class:`StationRegistry` keeps the stations (public nkeys) and the hub's own
identities in ``<data-dir>/auth``; :func:`permissions` decides what each may do;
the registry renders nats-server's ``authorization`` block from both, and
:func:`reload_nats_server` applies it to a running hub without a restart.
"""

from benchtrail.api.hub.identity.desk import StationDesk, station_view
from benchtrail.api.hub.identity.hub_access import (
    CREDENTIALS_DIR,
    HubAccess,
    credentials_path,
    ensure_station,
    prepare_hub_access,
)
from benchtrail.api.hub.identity.keys import StationCredentials
from benchtrail.api.hub.identity.permissions import (
    Permissions,
    Role,
    permissions,
)
from benchtrail.api.hub.identity.registry import StationEntry, StationRegistry
from benchtrail.api.hub.identity.reload import (
    JETSTREAM_DIR,
    PID_FILE,
    hub_pid_file,
    reload_nats_server,
)
from benchtrail.api.hub.identity.render import NatsUser, render_authorization

__all__ = [
    "CREDENTIALS_DIR",
    "JETSTREAM_DIR",
    "PID_FILE",
    "HubAccess",
    "NatsUser",
    "Permissions",
    "Role",
    "StationCredentials",
    "StationDesk",
    "StationEntry",
    "StationRegistry",
    "credentials_path",
    "ensure_station",
    "hub_pid_file",
    "permissions",
    "prepare_hub_access",
    "reload_nats_server",
    "render_authorization",
    "station_view",
]
