"""Refusals as JSON :class:`~benchtrail.api.models.entities.ErrorBody`: 401, 403, 415, 400 host."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from benchtrail.api.errors import (
    AuthOff,
    InvalidStationId,
    StationExists,
    TokenNameTaken,
    UnknownStation,
    UnknownToken,
)
from benchtrail.api.models.entities import ErrorBody

Req = Request[Any, Any, Any]


def unauthorized(request: Req, error: NotAuthorizedException) -> Response[ErrorBody]:
    """401 with ``WWW-Authenticate: Bearer``: no token, or one the hub does not know."""
    body = ErrorBody(
        status_code=401, error="unauthorized", detail=str(error.detail), role=_role(error.extra)
    )
    headers = dict(error.headers or {}) or {"WWW-Authenticate": 'Bearer realm="benchtrail"'}
    return Response(body, status_code=401, headers=headers)


def forbidden(request: Req, error: PermissionDeniedException) -> Response[ErrorBody]:
    """403 naming the role needed (or what was refused: a foreign origin)."""
    body = ErrorBody(
        status_code=403, error="forbidden", detail=str(error.detail), role=_role(error.extra)
    )
    return Response(body, status_code=403)


def auth_off(request: Req, error: AuthOff) -> Response[ErrorBody]:
    """409: token management asked of an API that runs open."""
    body = ErrorBody(status_code=409, error="conflict", detail=str(error))
    return Response(body, status_code=409)


def unknown_token(request: Req, error: UnknownToken) -> Response[ErrorBody]:
    """404 naming the token id or name."""
    body = ErrorBody(
        status_code=404, error="not_found", detail=str(error), kind="token", key=error.id_or_name
    )
    return Response(body, status_code=404)


def conflict(request: Req, error: TokenNameTaken | StationExists) -> Response[ErrorBody]:
    """409: the token name or station is already taken."""
    body = ErrorBody(status_code=409, error="conflict", detail=str(error))
    return Response(body, status_code=409)


def unknown_station(request: Req, error: UnknownStation) -> Response[ErrorBody]:
    """404 naming the station."""
    body = ErrorBody(
        status_code=404, error="not_found", detail=str(error), kind="station", key=error.station_id
    )
    return Response(body, status_code=404)


def invalid_station(request: Req, error: InvalidStationId) -> Response[ErrorBody]:
    """400 naming the station id and what a station id is."""
    body = ErrorBody(
        status_code=400,
        error="bad_parameter",
        detail=str(error),
        parameter="station_id",
        value=error.station_id[:200],
        expected=error.problem,
    )
    return Response(body, status_code=400)


def _role(extra: object) -> str | None:
    role = extra.get("role") if isinstance(extra, dict) else None
    return str(role) if role else None
