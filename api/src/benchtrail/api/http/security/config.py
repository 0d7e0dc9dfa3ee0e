"""How the API decides who may call it: the token store (or none: open), the Host allowlist."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from benchtrail.api.http.security.sessions import SessionBook
from benchtrail.api.hub.access import TokenStore
from benchtrail.api.models.access import Identity

LOOPBACK_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
"""Host names every API answers to (``[::1]`` in a Host header is ``::1`` here)."""
LOCAL_ADMIN = Identity(name="local", role="admin")
"""Who every request is on an open API (no token store: the hub on loopback without auth)."""
MCP_IDENTITY = Identity(name="mcp", role="viewer")
"""Who the mounted MCP server's own calls to the API are (it only reads)."""


@dataclass
class SecurityConfig:
    """The API's security settings.

    Attributes:
        tokens: the hub's tokens; ``None`` runs the API open: every request is
            :data:`LOCAL_ADMIN` (only for a hub on loopback).
        allowed_hosts: host names the API answers to besides :data:`LOOPBACK_HOSTS`
            (a leading ``*.`` allows every subdomain).
        session_ttl: seconds a dashboard session lasts after its last use.
    """

    tokens: TokenStore | None = None
    allowed_hosts: tuple[str, ...] = ()
    session_ttl: float = 12 * 3600.0
    sessions: SessionBook = field(init=False)
    internal_secret: str = field(init=False, default_factory=lambda: secrets.token_urlsafe(32))

    def __post_init__(self) -> None:
        self.sessions = SessionBook(self.tokens, ttl=self.session_ttl)

    @property
    def open(self) -> bool:
        """Whether every request is the local admin (no token store)."""
        return self.tokens is None

    def still_valid(self, identity: Identity) -> bool:
        """Whether a request authenticated as ``identity`` may go on (its token not revoked)."""
        if self.tokens is None or identity.token_id is None:
            return True
        return self.tokens.is_active(identity.token_id)

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` (a Host header's name, without port or brackets) is allowed."""
        name = host.lower().rstrip(".")
        for entry in (*LOOPBACK_HOSTS, *self.allowed_hosts):
            allowed = entry.lower().strip("[]")
            if name == allowed or (allowed.startswith("*.") and name.endswith(allowed[1:])):
                return True
        return False
