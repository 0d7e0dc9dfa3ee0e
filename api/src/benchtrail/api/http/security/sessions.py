"""Dashboard sessions: a random id in an HttpOnly cookie, mapped in memory to a token.

A session ends when it was not used for its time to live, when the browser signs
out, or as soon as its token is revoked (checked on every use). Sessions live in
the API process: restarting the hub signs every browser out.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from benchtrail.api.hub.access import TokenStore
from benchtrail.api.models.access import Identity

SESSION_COOKIE = "bt_session"
"""The cookie holding a dashboard session id."""


@dataclass
class _Session:
    identity: Identity
    expires: float


class SessionBook:
    """The signed-in browsers of one API.

    Args:
        tokens: where to check that a session's token is still active.
        ttl: seconds a session lasts after its last use.
    """

    def __init__(self, tokens: TokenStore | None, *, ttl: float) -> None:
        self.tokens = tokens
        self.ttl = ttl
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def open(self, identity: Identity) -> str:
        """A new session for ``identity``; returns its id (the cookie's value)."""
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            self._sessions[session_id] = _Session(identity, time.monotonic() + self.ttl)
        return session_id

    def identify(self, session_id: str) -> Identity | None:
        """Who the session ``session_id`` is, else None (unknown, expired or revoked)."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.expires < time.monotonic():
                self._sessions.pop(session_id, None)
                return None
            session.expires = time.monotonic() + self.ttl
        token_id = session.identity.token_id
        if self.tokens is not None and token_id is not None and not self.tokens.is_active(token_id):
            self.close(session_id)
            return None
        return session.identity

    def close(self, session_id: str) -> None:
        """End a session (signing out); unknown ids are ignored."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for session_id in [k for k, s in self._sessions.items() if s.expires < now]:
            del self._sessions[session_id]
