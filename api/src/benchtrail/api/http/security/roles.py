"""Which role each route needs, declared once for the whole API, and the guard enforcing it.

Every ``GET`` (reads, dashboard data, live feeds, exports, the schema) needs a
``viewer``; the writes below name their role; a write not listed needs an
``admin`` (a new route is closed until someone decides). :data:`OPEN` routes
need no token: liveness, signing in and out, and the dashboard's static files.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from benchtrail.api.models.access import Identity, Role, role_allows

Rule = tuple[str, str]
"""An HTTP method and a route's path as declared (``/api/windows/{window_id:str}``)."""

OPEN: frozenset[Rule] = frozenset(
    {
        ("GET", "/api/health"),
        ("POST", "/api/auth/session"),
        ("DELETE", "/api/auth/session"),
        ("GET", "/dashboard/signin"),
        ("GET", "/"),
        ("GET", "/dashboard"),
        ("GET", "/dashboard/{file_path:path}"),
        ("HEAD", "/dashboard/{file_path:path}"),
    }
)
"""Routes anyone reaching the API may call (the dashboard's files hold no data: its pages
read the API, and ask to sign in when it answers 401). ``OPTIONS`` is always open."""

WRITES: dict[Rule, Role] = {
    ("POST", "/api/files"): "operator",
    ("PUT", "/api/files/{file_id:str}/content"): "operator",
    ("POST", "/api/windows"): "operator",
    ("PATCH", "/api/windows/{window_id:str}"): "operator",
    ("DELETE", "/api/windows/{window_id:str}"): "operator",
    ("POST", "/api/windows/{window_id:str}/devices"): "operator",
    ("DELETE", "/api/windows/{window_id:str}/devices/{device_id:str}"): "operator",
    ("POST", "/api/windows/{window_id:str}/files"): "operator",
    ("DELETE", "/api/windows/{window_id:str}/files"): "operator",
    ("POST", "/api/locks/{key:str}/release"): "operator",  # admin: any; operator: own
    ("POST", "/api/data/prune"): "admin",
    ("POST", "/api/dead-letters/{seq:str}/retry"): "admin",
    ("POST", "/api/dead-letters/retry"): "admin",
}
"""The role of each state-changing route."""

PREFIXES: dict[str, Role] = {"/api/admin/": "admin", "/mcp": "viewer"}
"""Roles of whole path prefixes, whatever the method (MCP speaks JSON-RPC over POST, reads)."""

READ_METHODS = frozenset({"GET", "HEAD"})
_PARAM_TYPE = re.compile(r"\{(\w+):\w+\}")


def route_template(path: str) -> str:
    """A route's path without parameter types: ``/api/windows/{window_id}`` (as routed)."""
    return _PARAM_TYPE.sub(r"{\1}", path)


_OPEN = frozenset((method, route_template(path)) for method, path in OPEN)
_WRITES = {(method, route_template(path)): role for (method, path), role in WRITES.items()}


def needed_role(method: str, path: str) -> Role | None:
    """The role a request with ``method`` on the route ``path`` needs (None: open).

    ``path`` is the route's path as declared (``{window_id:str}``) or as routed
    (``{window_id}``).
    """
    path = route_template(path)
    if method == "OPTIONS" or (method, path) in _OPEN:
        return None
    for prefix, role in PREFIXES.items():
        if path.startswith(prefix):
            return role
    if method in READ_METHODS:
        return "viewer"
    return _WRITES.get((method, path), "admin")


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Refuse a request whose identity lacks the route's role: 401 without one, 403 if weaker."""
    method = str(connection.scope.get("method", "GET"))
    path = str(connection.scope.get("path_template") or next(iter(handler.paths)))
    need = needed_role(method, path)
    if need is None:
        return
    identity: Identity | None = connection.scope.get("user")
    if identity is None:
        raise NotAuthorizedException(
            detail="this API needs a token (Authorization: Bearer, or sign in on the dashboard)",
            headers={"WWW-Authenticate": 'Bearer realm="benchtrail"'},
            extra={"role": need},
        )
    if not role_allows(identity.role, need):
        raise PermissionDeniedException(
            detail=f"{identity.name!r} has the role {identity.role!r}; this needs {need!r}",
            extra={"role": need},
        )
