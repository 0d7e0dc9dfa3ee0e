"""nkey seeds: a new identity's key pair, and its credentials file (mode 0600)."""

from __future__ import annotations

import secrets
from pathlib import Path

import msgspec
import nkeys

from benchtrail.api.client.stations_admin import write_credentials

SEED_SUFFIX = ".nk"
"""Credentials files are ``<identity>.nk``: the nkey seed, one line."""


class StationCredentials(msgspec.Struct, frozen=True):
    """What a station needs to connect: its seed (secret) and public key.

    Attributes:
        station_id: the station.
        seed: the nkey user seed (``SU…``); whoever holds it is the station.
        public_key: the public key (``U…``) the hub's nats-server knows.
    """

    station_id: str
    seed: bytes
    public_key: str

    def write(self, path: str | Path) -> Path:
        """Write the seed to ``path`` (mode 0600, parents created); return the path."""
        return write_seed(Path(path), self.seed)


def new_seed() -> bytes:
    """A new nkey user seed."""
    seed: bytes = nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_USER)
    return seed


def public_key(seed: bytes) -> str:
    """The public key (``U…``) of a user seed."""
    pair = nkeys.from_seed(bytearray(seed))
    try:
        key: bytes = pair.public_key
        return key.decode()
    finally:
        pair.wipe()


def write_seed(path: Path, seed: bytes) -> Path:
    """Write ``seed`` to ``path`` readable by its owner only (replacing it atomically)."""
    return write_credentials(path, seed.decode())


def read_seed(path: Path) -> bytes:
    """The seed in a credentials file."""
    return path.read_bytes().strip()


def service_seed(path: Path) -> bytes:
    """The seed of a service identity kept at ``path``, made on first use."""
    if path.exists():
        return read_seed(path)
    seed = new_seed()
    write_seed(path, seed)
    return seed
