"""The HTTP API as a Litestar application over one shared :class:`Warehouse`.

Errors the caller can fix come back as JSON :class:`~benchtrail.api.models.entities.ErrorBody`:
404 naming the unknown id, 400 naming the bad parameter. OpenAPI is served at
``/schema`` (``/schema/openapi.json`` for the document), viewed with the Swagger UI
shipped under the dashboard's ``vendor/``: the page works offline.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from benchtrail.api.errors import (
    AuthOff,
    BadParameter,
    FileTooLarge,
    HubUnavailable,
    InvalidStationId,
    LimitReached,
    NotFound,
    StationExists,
    TokenNameTaken,
    UnknownStation,
    UnknownToken,
)
from benchtrail.api.http.bounded_request import MAX_BODY_BYTES, BoundedRequest
from benchtrail.api.http.error_bodies import bounded_handlers
from benchtrail.api.http.mcp_mount import McpMount
from benchtrail.api.http.read_gate import READ_GATE_STATE, ReadGate, ReadLimits
from benchtrail.api.http.routes.analytics import ANALYTICS_ROUTES
from benchtrail.api.http.routes.attachments import ATTACHMENT_ROUTES
from benchtrail.api.http.routes.dashboard import DASHBOARD_PATH, DASHBOARD_ROUTES
from benchtrail.api.http.routes.data import DATA_ROUTES
from benchtrail.api.http.routes.deadletters import DEAD_LETTER_ROUTES
from benchtrail.api.http.routes.entities import ROUTES, StatusProvider
from benchtrail.api.http.routes.experiments import EXPERIMENT_ROUTES
from benchtrail.api.http.routes.file_content import FILE_CONTENT_ROUTES
from benchtrail.api.http.routes.health import HEALTH_ROUTES
from benchtrail.api.http.routes.live import LIVE_ROUTES
from benchtrail.api.http.routes.locks import LOCK_ROUTES
from benchtrail.api.http.routes.stations_admin import STATION_ADMIN_ROUTES
from benchtrail.api.http.routes.windows import WINDOW_ROUTES
from benchtrail.api.http.security import SecurityConfig, role_guard
from benchtrail.api.http.security import responses as refusals
from benchtrail.api.http.security.middleware import Authentication, RequestRules
from benchtrail.api.http.security.routes import AUTH_ROUTES
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.lockboard import LockBoard
from benchtrail.api.models.access import Identity
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.quoting import clip, quote
from benchtrail.projector import Warehouse

_SWAGGER_UI = f"{DASHBOARD_PATH}/vendor/swagger-ui"
"""Where the vendored Swagger UI files are served (see its README.md)."""
_MSGSPEC_GOT = re.compile(r", got .*$")
_MISSING = re.compile(r"Missing required \w+ parameter '([^']+)'")
_Refusal = Literal["bad_host", "unsupported_media_type"]


def create_app(
    warehouse: Warehouse,
    *,
    status_provider: StatusProvider | None = None,
    lock_board: LockBoard | None = None,
    hub_link: HubLink | None = None,
    security: SecurityConfig | None = None,
    reads: ReadLimits | None = None,
) -> Litestar:
    """Build the read API over ``warehouse``.

    Args:
        warehouse: the warehouse to query (shared, thread-safe, blocking; the
            handlers call it from worker threads).
        status_provider: called by ``GET /api/health``; the mapping it returns
            is merged into the health body (e.g. the projector's statistics).
        lock_board: the hub's view of ``bt_locks`` for ``/api/locks``; without
            one those endpoints answer 503.
        hub_link: the hub's NATS connection and projector, for what publishes events
            or follows the stream (live feed, observation windows); without one
            those endpoints answer 503.
        security: tokens (or none: open, every request the local admin) and the
            hosts the API answers to besides the loopback names; default open.
        reads: how many warehouse reads are answered at once and how many wait
            (:class:`~benchtrail.api.http.read_gate.ReadLimits`; its defaults).

    Returns:
        The ASGI application, to serve with uvicorn.
    """

    def provide_warehouse() -> Warehouse:
        return warehouse

    def provide_status_provider() -> StatusProvider | None:
        return status_provider

    def provide_lock_board() -> LockBoard | None:
        return lock_board

    def provide_hub_link() -> HubLink | None:
        return hub_link

    config = security if security is not None else SecurityConfig()

    def provide_security() -> SecurityConfig:
        return config

    def provide_identity(request: Request[Any, Any, Any]) -> Identity | None:
        identity: Identity | None = request.scope.get("user")
        return identity

    mcp = McpMount(config.internal_secret)
    read_gate = ReadGate(reads)
    app = Litestar(
        route_handlers=[
            *ROUTES,
            *HEALTH_ROUTES,
            *EXPERIMENT_ROUTES,
            *ANALYTICS_ROUTES,
            *WINDOW_ROUTES,
            *LIVE_ROUTES,
            *DATA_ROUTES,
            *LOCK_ROUTES,
            *ATTACHMENT_ROUTES,
            *FILE_CONTENT_ROUTES,
            *DASHBOARD_ROUTES,
            *DEAD_LETTER_ROUTES,
            *AUTH_ROUTES,
            *STATION_ADMIN_ROUTES,
            mcp.route(),
        ],
        lifespan=[mcp.lifespan],
        middleware=[
            RequestRules(config),
            DefineMiddleware(Authentication, config=config),
            read_gate,
        ],
        guards=[role_guard],
        dependencies={
            "security": Provide(provide_security, sync_to_thread=False),
            "identity": Provide(provide_identity, sync_to_thread=False),
            "warehouse": Provide(provide_warehouse, sync_to_thread=False),
            "status_provider": Provide(provide_status_provider, sync_to_thread=False),
            "lock_board": Provide(provide_lock_board, sync_to_thread=False),
            "hub_link": Provide(provide_hub_link, sync_to_thread=False),
        },
        request_class=BoundedRequest,
        request_max_body_size=MAX_BODY_BYTES,
        exception_handlers=bounded_handlers(
            {
                NotFound: _not_found,
                BadParameter: _bad_parameter,
                ValidationException: _invalid_parameter,
                ClientException: _client_error,
                HubUnavailable: _unavailable,
                LimitReached: _limit_reached,
                FileTooLarge: _file_too_large,
                NotAuthorizedException: refusals.unauthorized,
                PermissionDeniedException: refusals.forbidden,
                AuthOff: refusals.auth_off,
                UnknownToken: refusals.unknown_token,
                TokenNameTaken: refusals.conflict,
                StationExists: refusals.conflict,
                UnknownStation: refusals.unknown_station,
                InvalidStationId: refusals.invalid_station,
            }
        ),
        openapi_config=OpenAPIConfig(
            title="benchtrail API",
            version=_package_version(),
            description="Read the benchtrail event log: stations, sessions, events and runs.",
            path="/schema",
            render_plugins=[_schema_viewer()],
            components=Components(
                security_schemes={
                    "token": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API token (benchtrail token create); not needed on "
                        "a hub running open on loopback.",
                    )
                }
            ),
            security=[{"token": []}],
        ),
    )
    mcp.app = app
    app.state[READ_GATE_STATE] = read_gate
    return app


def _schema_viewer() -> SwaggerRenderPlugin:
    """Swagger UI at ``/schema``, from the package's own files (no CDN, no web fonts)."""
    return SwaggerRenderPlugin(
        path="/",
        js_url=f"{_SWAGGER_UI}/swagger-ui-bundle.js",
        css_url=f"{_SWAGGER_UI}/swagger-ui.css",
        standalone_preset_js_url=f"{_SWAGGER_UI}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{_SWAGGER_UI}/favicon-32x32.png'>",
    )


def _package_version() -> str:
    try:
        return version("benchtrail-api")
    except PackageNotFoundError:
        return "0.0.0"


def _not_found(request: Request[Any, Any, Any], error: NotFound) -> Response[ErrorBody]:
    body = ErrorBody(
        status_code=404, error="not_found", detail=str(error), kind=error.kind, key=error.key
    )
    return Response(body, status_code=404)


def _bad_parameter(request: Request[Any, Any, Any], error: BadParameter) -> Response[ErrorBody]:
    body = ErrorBody(
        status_code=400,
        error="bad_parameter",
        detail=str(error),
        parameter=error.name,
        value=str(error.value),
        expected=error.expected,
    )
    return Response(body, status_code=400)


def _invalid_parameter(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[ErrorBody]:
    """Litestar's own validation failures (e.g. ``limit=-1``), in the same shape as ours."""
    problems = error.extra if isinstance(error.extra, list) else []
    first = problems[0] if problems and isinstance(problems[0], dict) else {}
    missing = _MISSING.search(str(error.detail))
    name = str(first.get("key") or (missing.group(1) if missing else "request"))
    value = request.query_params.get(name, request.path_params.get(name, ""))
    message = str(first.get("message", error.detail))
    expected = _MSGSPEC_GOT.sub("", message).replace("Expected ", "", 1).replace("`", "")
    expected = clip(expected)  # e.g. "Invalid enum value '...'" quotes the value
    return _bad_parameter(request, BadParameter(name, str(value), expected))


def _client_error(request: Request[Any, Any, Any], error: ClientException) -> Response[Any]:
    """Litestar's other 4xx (e.g. a malformed JSON body): a 400 becomes our ErrorBody."""
    refused = error.extra.get("refused") if isinstance(error.extra, dict) else None
    if refused in {"host", "content-type"}:
        kind: _Refusal = "bad_host" if refused == "host" else "unsupported_media_type"
        refusal = ErrorBody(status_code=error.status_code, error=kind, detail=str(error.detail))
        return Response(refusal, status_code=error.status_code)
    if error.status_code == 404:  # no route: e.g. an id holding a "/"
        path = request.url.path
        unrouted = ErrorBody(
            status_code=404,
            error="not_found",
            detail=f"no such path: {quote(path)}",
            kind="path",
            key=path,
        )
        return Response(unrouted, status_code=404)
    if error.status_code == 413:
        detail = f"the request body is larger than {MAX_BODY_BYTES} bytes"
        too_large = ErrorBody(status_code=413, error="too_large", detail=detail)
        return Response(too_large, status_code=413)
    if error.status_code == 400:
        detail = str(error.detail)
        return _bad_parameter(request, BadParameter("body", "", f"a valid request body: {detail}"))
    body = {"status_code": error.status_code, "detail": str(error.detail)}
    return Response(body, status_code=error.status_code, headers=error.headers)


def _unavailable(request: Request[Any, Any, Any], error: HubUnavailable) -> Response[ErrorBody]:
    body = ErrorBody(status_code=503, error="unavailable", detail=str(error))
    return Response(body, status_code=503)


def _limit_reached(request: Request[Any, Any, Any], error: LimitReached) -> Response[ErrorBody]:
    code = error.status_code
    body = ErrorBody(status_code=code, error="limit_reached", detail=str(error), limit=error.limit)
    return Response(body, status_code=code, headers={"Retry-After": str(error.retry_after_s)})


def _file_too_large(request: Request[Any, Any, Any], error: FileTooLarge) -> Response[ErrorBody]:
    body = ErrorBody(status_code=413, error="too_large", detail=str(error), limit="max_file_bytes")
    return Response(body, status_code=413)
