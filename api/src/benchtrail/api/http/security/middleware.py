"""The two middlewares every request passes: the request rules, then who is calling.

:class:`RequestRules` holds on every address, open or not: a Host allowlist
(against DNS rebinding), JSON bodies only as ``application/json`` (one exception:
the raw bytes of ``PUT /api/files/{file_id}/content``, as
``application/octet-stream`` and nothing else), and no
state change from a foreign page (``Origin`` of another host, or
``Sec-Fetch-Site: cross-site``): a web page in an operator's browser cannot
post to the hub. :class:`Authentication` sets ``request.user`` to the caller's
:class:`~benchtrail.api.models.access.Identity` (or None: anonymous).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    ASGIMiddleware,
    AuthenticationResult,
)
from litestar.types import ASGIApp, Receive, Scope, Send

from benchtrail.api.http.security.config import LOCAL_ADMIN, MCP_IDENTITY, SecurityConfig
from benchtrail.api.http.security.sessions import SESSION_COOKIE

INTERNAL_HEADER = "x-benchtrail-internal"
"""Header of the mounted MCP server's in-process calls (a per-app secret, never on the wire)."""
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON = "application/json"
_OCTET = "application/octet-stream"
OCTET_ROUTE = re.compile(r"^/api/files/[^/]+/content$")
"""The one path whose ``PUT`` takes a raw body, as ``application/octet-stream`` only."""
_BEARER = "bearer "
INVALID_TOKEN = {"WWW-Authenticate": 'Bearer realm="benchtrail", error="invalid_token"'}
"""The challenge of a 401 for a token the hub does not know (RFC 6750)."""


class RequestRules(ASGIMiddleware):
    """Refuse foreign hosts (400), non-JSON bodies (415) and cross-site state changes (403)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Check the request's Host, and for a state change its origin and body type."""
        headers = Headers.from_scope(scope)
        host = _host_name(headers.get("host", ""))
        if not self.config.host_allowed(host):
            raise ClientException(
                status_code=400,
                detail=f"the Host {host!r} is not one this API answers to "
                "(benchtrail up --allowed-host NAME adds one)",
                extra={"refused": "host"},
            )
        if scope.get("method", "GET") in STATE_CHANGING:
            _check_same_site(headers)
            raw = scope.get("method") == "PUT" and OCTET_ROUTE.match(str(scope.get("path", "")))
            _check_body_type(headers, _OCTET if raw else _JSON)
        await next_app(scope, receive, send)


class Authentication(AbstractAuthenticationMiddleware):
    """Who calls: a bearer token, the dashboard session cookie, or nobody (anonymous)."""

    def __init__(self, app: ASGIApp, config: SecurityConfig) -> None:
        super().__init__(app, exclude_http_methods=[])
        self.config = config

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """The caller's identity; 401 for a bearer token the hub does not know."""
        internal = connection.headers.get(INTERNAL_HEADER)
        if internal is not None and internal == self.config.internal_secret:
            return AuthenticationResult(user=MCP_IDENTITY, auth=None)
        tokens = self.config.tokens
        if tokens is None:
            return AuthenticationResult(user=LOCAL_ADMIN, auth=None)
        authorization = connection.headers.get("authorization", "")
        if authorization[: len(_BEARER)].lower() == _BEARER:
            identity = tokens.identify(authorization[len(_BEARER) :].strip())
            if identity is None:
                raise NotAuthorizedException(
                    detail="the bearer token is unknown or revoked",
                    headers=INVALID_TOKEN,
                )
            return AuthenticationResult(user=identity, auth=None)
        session_id = connection.cookies.get(SESSION_COOKIE)
        if session_id:
            return AuthenticationResult(user=self.config.sessions.identify(session_id), auth=None)
        return AuthenticationResult(user=None, auth=None)


def _host_name(host: str) -> str:
    """The name of a Host header: ``[::1]:8000`` is ``::1``, ``hub:80`` is ``hub``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _check_same_site(headers: Headers) -> None:
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise PermissionDeniedException(
            detail="a change from another site's page is refused (Sec-Fetch-Site: cross-site)",
            extra={"refused": "origin"},
        )
    origin = headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
        raise PermissionDeniedException(
            detail=f"a change from the page of another origin ({origin!r}) is refused",
            extra={"refused": "origin"},
        )


def _check_body_type(headers: Headers, expected: str) -> None:
    has_body = headers.get("content-length", "0") not in ("", "0") or (
        "transfer-encoding" in headers
    )
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if has_body and media_type != expected:
        raise ClientException(
            status_code=415,
            detail=f"a request body must be {expected}, not {media_type or 'untyped'!r}",
            extra={"refused": "content-type"},
        )
