"""How the embedded hub's own connections and demo stations prove who they are."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import msgspec

from benchtrail.api.hub.identity.keys import SEED_SUFFIX, public_key, read_seed
from benchtrail.api.hub.identity.registry import StationRegistry
from benchtrail.schemas import HUB_IDENTITY, LIVE_IDENTITY, NatsAccess

CREDENTIALS_DIR = "credentials"
"""Station credentials files the hub's machine writes: ``<data-dir>/credentials/<id>.nk``."""


class HubAccess(msgspec.Struct, frozen=True, kw_only=True):
    """The accesses of a hub's own connections.

    Attributes:
        hub: the hub identity (projector, lock board, windows, retention).
        live: the read-only identity of the live feeds.
        authorization_file: the ``authorization`` block nats-server includes
            (``None``: the hub runs without auth).
        credentials_dir: where station credentials files are written on this machine.
    """

    hub: NatsAccess
    live: NatsAccess
    authorization_file: Path | None
    credentials_dir: Path


def credentials_path(data_dir: str | Path, station_id: str) -> Path:
    """The default credentials file of ``station_id`` on the hub's machine."""
    return Path(data_dir) / CREDENTIALS_DIR / f"{station_id}{SEED_SUFFIX}"


def prepare_hub_access(
    data_dir: str | Path, *, auth: bool, tls_ca: str = "", stations: Iterable[str] = ()
) -> HubAccess:
    """Set up the identities of a starting hub.

    With ``auth``: the service identities' seeds exist, ``stations`` (the demo fleet)
    are registered with credentials files in ``<data-dir>/credentials`` (kept across
    restarts while their key is still the registered one) and the authorization
    block is written. ``tls_ca`` is the CA its own clients trust.
    """
    directory = Path(data_dir) / CREDENTIALS_DIR
    if not auth:
        anonymous = NatsAccess(tls_ca=tls_ca)
        return HubAccess(
            hub=anonymous, live=anonymous, authorization_file=None, credentials_dir=directory
        )
    registry = StationRegistry(data_dir)
    for station_id in stations:
        ensure_station(registry, station_id, credentials_path(data_dir, station_id))
    hub_seed = str(registry.service_credentials(HUB_IDENTITY))
    live_seed = str(registry.service_credentials(LIVE_IDENTITY))
    return HubAccess(
        hub=NatsAccess.of(HUB_IDENTITY, hub_seed, tls_ca),
        live=NatsAccess.of(LIVE_IDENTITY, live_seed, tls_ca),
        authorization_file=registry.write_authorization(),
        credentials_dir=directory,
    )


def ensure_station(registry: StationRegistry, station_id: str, path: Path) -> Path:
    """``station_id`` registered with the seed in ``path``: kept if it matches, else renewed."""
    entry = registry.get(station_id)
    kept = entry is not None and entry.active and path.exists()
    if kept and entry is not None and public_key(read_seed(path)) == entry.public_key:
        return path
    return registry.add(station_id, replace=True).write(path)
