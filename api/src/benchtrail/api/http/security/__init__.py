"""Who may call the HTTP API and how: tokens, roles, sessions, Host/Origin/JSON rules.

Every check lives here, as Litestar middleware and one guard; route handlers
hold none (see :mod:`benchtrail.api.http.security.roles` for the table of roles).
"""

from benchtrail.api.http.security.config import (
    LOCAL_ADMIN,
    LOOPBACK_HOSTS,
    SecurityConfig,
)
from benchtrail.api.http.security.ownership import check_lock_owner
from benchtrail.api.http.security.roles import OPEN, WRITES, needed_role, role_guard
from benchtrail.api.http.security.sessions import SESSION_COOKIE, SessionBook

__all__ = [
    "LOCAL_ADMIN",
    "LOOPBACK_HOSTS",
    "OPEN",
    "SESSION_COOKIE",
    "WRITES",
    "SecurityConfig",
    "SessionBook",
    "check_lock_owner",
    "needed_role",
    "role_guard",
]
