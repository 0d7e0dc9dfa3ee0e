"""The hub's API tokens: ``<data-dir>/auth/tokens.json``, holding hashes, never tokens.

The file is written atomically (a temporary file renamed over it) under a file
lock, so ``benchtrail token create`` on the hub's machine and the running hub can
both change it. The hub re-reads it whenever it changed on disk, so a revocation
takes effect at the next request. Needs no web stack: the CLI uses it directly.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from filelock import FileLock

from benchtrail.api.errors import TokenNameTaken, UnknownToken
from benchtrail.api.models.access import Identity, IssuedToken, Role, TokenView

TOKEN_PREFIX = "bt_"
"""How every token starts, so a leaked one is recognisable (e.g. by secret scanners)."""
TOKENS_FILE = Path("auth") / "tokens.json"
"""Where the token file lives in the hub's data directory."""


class TokenRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One token in the file: its SHA-256, never the token itself."""

    id: str
    name: str
    role: Role
    sha256: str
    created_at: str
    revoked_at: str | None = None
    last_used_at: str | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None

    def view(self) -> TokenView:
        """The record as the API shows it (no hash)."""
        return TokenView(
            id=self.id,
            name=self.name,
            role=self.role,
            created_at=self.created_at,
            revoked_at=self.revoked_at,
        )


class _TokenFile(msgspec.Struct, kw_only=True):
    tokens: list[TokenRecord] = msgspec.field(default_factory=list)


_decoder = msgspec.json.Decoder(_TokenFile)
_FileStamp = tuple[int, int, int]


class TokenStore:
    """The API tokens of one hub, in ``path`` (see :func:`token_store`).

    Args:
        path: the JSON file; created with its folder (mode 0700, file 0600) on first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", mode=0o600)
        self._stamp: _FileStamp | None = None
        self._by_hash: dict[str, TokenRecord] = {}

    def create(self, name: str, role: Role) -> IssuedToken:
        """A new token named ``name`` with ``role``; the token is in the answer only.

        Raises:
            TokenNameTaken: an active token already has this name.
        """
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            id=secrets.token_hex(6), name=name, role=role, sha256=_hash(token), created_at=_now()
        )
        with self._locked():
            records = self._read()
            if any(r.name == name and r.active for r in records):
                raise TokenNameTaken(name)
            self._write([*records, record])
        return IssuedToken(token=token, info=record.view())

    def views(self) -> list[TokenView]:
        """Every token, revoked ones too, oldest first."""
        with self._locked():
            return [record.view() for record in self._read()]

    def revoke(self, id_or_name: str) -> TokenView:
        """Revoke the token with this id, or the active token with this name.

        Raises:
            UnknownToken: no token has this id, and no active token this name.
        """
        with self._locked():
            records = self._read()
            index = _find(records, id_or_name)
            revoked: TokenRecord = msgspec.structs.replace(records[index], revoked_at=_now())
            records[index] = revoked
            self._write(records)
        return revoked.view()

    def identify(self, token: str) -> Identity | None:
        """The identity of an active ``token``, else None (re-reads the file if it changed)."""
        self._refresh()
        record = self._by_hash.get(_hash(token))
        if (
            record is None
            or not record.active
            or not hmac.compare_digest(record.sha256, _hash(token))
        ):
            return None
        return Identity(name=record.name, role=record.role, token_id=record.id)

    def is_active(self, token_id: str) -> bool:
        """Whether the token ``token_id`` exists and is not revoked (re-reads if changed)."""
        self._refresh()
        return any(r.id == token_id and r.active for r in self._by_hash.values())

    def _refresh(self) -> None:
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return
        with self._locked():
            records = self._read()
            self._stamp = _stamp(self.path)
        self._by_hash = {record.sha256: record for record in records}

    def _locked(self) -> FileLock:
        """The file lock, its folder made first (mode 0700: only the hub's user reads it)."""
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.parent.chmod(0o700)
        return self._lock

    def _read(self) -> list[TokenRecord]:
        try:
            return _decoder.decode(self.path.read_bytes()).tokens
        except FileNotFoundError:
            return []

    def _write(self, records: list[TokenRecord]) -> None:
        content = msgspec.json.format(msgspec.json.encode(_TokenFile(tokens=records)), indent=2)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def token_store(data_dir: str | Path) -> TokenStore:
    """The token store of the hub whose data directory is ``data_dir``."""
    return TokenStore(Path(data_dir).resolve() / TOKENS_FILE)


def _find(records: list[TokenRecord], id_or_name: str) -> int:
    for index, record in enumerate(records):
        if record.id == id_or_name:
            return index
    for index, record in enumerate(records):
        if record.name == id_or_name and record.active:
            return index
    raise UnknownToken(id_or_name)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stamp(path: Path) -> _FileStamp | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)
