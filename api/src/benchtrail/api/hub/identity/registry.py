"""The hub's register of stations and service identities, in ``<data-dir>/auth``.

Files (the directory is the hub's; keep it private):

- ``stations.json``: every station ever registered: id, public nkey, ``created_at``,
  ``revoked_at`` (written atomically, under the lock file ``stations.lock``);
- ``hub.nk``, ``live.nk``: the seeds of the hub's own identities (mode 0600);
- ``authorization.conf``: the nats-server ``authorization`` block, rewritten after every
  change and included by the hub's configuration file.

Station seeds are never kept here: :meth:`StationRegistry.add` returns the seed once,
for the credentials file given to the station.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from benchtrail.api.errors import InvalidStationId, StationExists, UnknownStation
from benchtrail.api.hub.identity.keys import (
    SEED_SUFFIX,
    StationCredentials,
    new_seed,
    public_key,
    service_seed,
)
from benchtrail.api.hub.identity.permissions import SERVICE_IDENTITIES
from benchtrail.api.hub.identity.render import NatsUser, render_authorization
from benchtrail.schemas import HUB_IDENTITY, LIVE_IDENTITY

AUTH_DIR = "auth"
AUTHORIZATION_FILE = "authorization.conf"
_STATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class StationEntry(msgspec.Struct, frozen=True):
    """One registered station.

    Attributes:
        station_id: the station's id.
        public_key: its nkey public key.
        created_at: when it was registered (UTC).
        revoked_at: when it was revoked (UTC); ``None`` while it may connect.
    """

    station_id: str
    public_key: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the station may connect."""
        return self.revoked_at is None


class _Stations(msgspec.Struct):
    stations: list[StationEntry] = []


class StationRegistry:
    """Stations and service identities of one hub data directory.

    Every method re-reads ``stations.json`` under the lock, so the CLI and a running
    hub (or an HTTP route) can change it at the same time.

    Args:
        data_dir: the hub's data directory (``benchtrail up --data-dir``).
    """

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.directory = self.data_dir / AUTH_DIR

    @property
    def authorization_file(self) -> Path:
        """The rendered ``authorization`` block nats-server includes."""
        return self.directory / AUTHORIZATION_FILE

    def add(self, station_id: str, *, replace: bool = False) -> StationCredentials:
        """Register ``station_id`` with a new key pair; return its credentials (seed once).

        Args:
            station_id: the station (``cell-7``).
            replace: give an already registered station a new key (the old one stops working).

        Raises:
            InvalidStationId: not a station id, or a service identity's name.
            StationExists: it is registered and ``replace`` is false.
        """
        _check_id(station_id)
        seed = new_seed()
        entry = StationEntry(station_id, public_key(seed), datetime.now(UTC))
        with self._editing() as stations:
            current = _find(stations, station_id)
            if current is not None and current.active and not replace:
                raise StationExists(station_id)
            stations.stations = [s for s in stations.stations if s.station_id != station_id]
            stations.stations.append(entry)
        return StationCredentials(station_id, seed, entry.public_key)

    def revoke(self, station_id: str) -> StationEntry:
        """Revoke ``station_id``: the hub refuses it after the next reload.

        Raises:
            UnknownStation: no active station of that id.
        """
        with self._editing() as stations:
            current = _find(stations, station_id)
            if current is None or not current.active:
                raise UnknownStation(station_id)
            revoked = msgspec.structs.replace(current, revoked_at=datetime.now(UTC))
            stations.stations = [
                revoked if s.station_id == station_id else s for s in stations.stations
            ]
        return revoked

    def list(self) -> list[StationEntry]:
        """Every registered station, revoked ones included, by id."""
        with self._locked():
            return sorted(self._read().stations, key=lambda s: s.station_id)

    def get(self, station_id: str) -> StationEntry | None:
        """The entry of ``station_id``, if registered."""
        with self._locked():
            return _find(self._read(), station_id)

    def service_credentials(self, identity: str) -> Path:
        """The seed file of a service identity (``hub`` or ``live``), made on first use."""
        if identity not in SERVICE_IDENTITIES:
            raise InvalidStationId(identity, "not a service identity")
        path = self.directory / f"{identity}{SEED_SUFFIX}"
        with self._locked():  # made once, whoever asks first
            service_seed(path)
        return path

    def users(self) -> builtins.list[NatsUser]:
        """Every identity nats-server accepts now: the services and the active stations."""
        users = [
            NatsUser(HUB_IDENTITY, "hub", self._service_key(HUB_IDENTITY)),
            NatsUser(LIVE_IDENTITY, "live", self._service_key(LIVE_IDENTITY)),
        ]
        stations = [s for s in self.list() if s.active]
        return users + [NatsUser(s.station_id, "station", s.public_key) for s in stations]

    def render_authorization(self) -> str:
        """The nats-server ``authorization`` block of :meth:`users`."""
        return render_authorization(self.users())

    def write_authorization(self) -> Path:
        """Write :meth:`render_authorization` to :attr:`authorization_file`; return it."""
        text = self.render_authorization()
        with self._locked():
            _write_atomically(self.authorization_file, text.encode())
        return self.authorization_file

    def _service_key(self, identity: str) -> str:
        return public_key(service_seed(self.service_credentials(identity)))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.directory / "stations.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _editing(self) -> Iterator[_Stations]:
        """The stations, under the lock; written back (and the block rendered) on success."""
        with self._locked():
            stations = self._read()
            yield stations
            _write_atomically(self._path, msgspec.json.format(msgspec.json.encode(stations)))
        self.write_authorization()

    @property
    def _path(self) -> Path:
        return self.directory / "stations.json"

    def _read(self) -> _Stations:
        try:
            return msgspec.json.decode(self._path.read_bytes(), type=_Stations)
        except FileNotFoundError:
            return _Stations()


def _find(stations: _Stations, station_id: str) -> StationEntry | None:
    return next((s for s in stations.stations if s.station_id == station_id), None)


def _check_id(station_id: str) -> None:
    if not _STATION_ID.match(station_id):
        raise InvalidStationId(station_id, "use 1-128 letters, digits, '-' or '_'")
    if station_id in SERVICE_IDENTITIES:
        raise InvalidStationId(station_id, "the name of one of the hub's own identities")


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
