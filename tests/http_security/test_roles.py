"""Every route of the app, for anonymous / viewer / operator / admin callers.

The table below is this test's own statement of who may call what; a route the
app serves that the table does not list fails the test, so a new route cannot
ship without a decision.
"""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from benchtrail.api.models.access import ROLES, Role, role_allows

from .conftest import bearer

OPEN = None
EXPECTED: dict[tuple[str, str], Role | None] = {
    ("GET", "/api/health"): OPEN,
    ("GET", "/"): OPEN,
    ("GET", "/dashboard"): OPEN,
    ("GET", "/dashboard/{file_path:path}"): OPEN,
    ("HEAD", "/dashboard/{file_path:path}"): OPEN,
    ("GET", "/dashboard/signin"): OPEN,
    ("POST", "/api/auth/session"): OPEN,
    ("DELETE", "/api/auth/session"): OPEN,
    ("GET", "/api/auth/session"): "viewer",
    ("GET", "/api/stations"): "viewer",
    ("GET", "/api/sessions"): "viewer",
    ("GET", "/api/sessions/{session_id:str}"): "viewer",
    ("GET", "/api/sessions/{session_id:str}/events"): "viewer",
    ("GET", "/api/sessions/{session_id:str}/live"): "viewer",
    ("GET", "/api/live"): "viewer",
    ("GET", "/api/runs"): "viewer",
    ("GET", "/api/runs/{run_id:str}"): "viewer",
    ("GET", "/api/runs/{run_id:str}/experiment"): "viewer",
    ("GET", "/api/runs/{run_id:str}/tables"): "viewer",
    ("GET", "/api/runs/{run_id:str}/tables/{name:str}"): "viewer",
    ("GET", "/api/runs/{run_id:str}/attachments"): "viewer",
    ("GET", "/api/runs/{run_id:str}/attachments/{name:str}"): "viewer",
    ("GET", "/api/runs/{run_id:str}/logs"): "viewer",
    ("GET", "/api/measurements"): "viewer",
    ("GET", "/api/measurements/series"): "viewer",
    ("GET", "/api/duts/{serial:str}"): "viewer",
    ("GET", "/api/export/runs"): "viewer",
    ("GET", "/api/export/sessions"): "viewer",
    ("GET", "/api/export/measurements"): "viewer",
    ("GET", "/api/health/ingest"): "viewer",
    ("GET", "/api/health/checksums"): "viewer",
    ("GET", "/api/analytics/yield"): "viewer",
    ("GET", "/api/analytics/first-pass-yield"): "viewer",
    ("GET", "/api/analytics/pareto"): "viewer",
    ("GET", "/api/analytics/capability"): "viewer",
    ("GET", "/api/analytics/histogram"): "viewer",
    ("GET", "/api/analytics/control-chart"): "viewer",
    ("GET", "/api/files/{file_id:str}"): "viewer",
    ("GET", "/api/files/{file_id:str}/content"): "viewer",
    ("GET", "/api/windows"): "viewer",
    ("GET", "/api/windows/{window_id:str}"): "viewer",
    ("GET", "/api/windows/{window_id:str}/devices"): "viewer",
    ("GET", "/api/windows/{window_id:str}/files"): "viewer",
    ("GET", "/api/windows/{window_id:str}/topics"): "viewer",
    ("GET", "/api/locks"): "viewer",
    ("GET", "/api/dead-letters"): "viewer",
    ("GET", "/api/dead-letters/{seq:str}"): "viewer",
    ("GET", "/schema"): "viewer",
    ("GET", "/schema/{path:str}"): "viewer",
    ("GET", "/schema/openapi.json"): "viewer",
    ("GET", "/schema/oauth2-redirect.html"): "viewer",
    ("GET", "/mcp"): "viewer",
    ("POST", "/mcp"): "viewer",
    ("DELETE", "/mcp"): "viewer",
    ("POST", "/api/files"): "operator",
    ("PUT", "/api/files/{file_id:str}/content"): "operator",
    ("POST", "/api/windows"): "operator",
    ("PATCH", "/api/windows/{window_id:str}"): "operator",
    ("DELETE", "/api/windows/{window_id:str}"): "operator",
    ("POST", "/api/windows/{window_id:str}/devices"): "operator",
    ("DELETE", "/api/windows/{window_id:str}/devices/{device_id:str}"): "operator",
    ("POST", "/api/windows/{window_id:str}/files"): "operator",
    ("DELETE", "/api/windows/{window_id:str}/files"): "operator",
    ("POST", "/api/locks/{key:str}/release"): "operator",
    ("POST", "/api/data/prune"): "admin",
    ("POST", "/api/dead-letters/retry"): "admin",
    ("POST", "/api/dead-letters/{seq:str}/retry"): "admin",
    ("GET", "/api/admin/tokens"): "admin",
    ("POST", "/api/admin/tokens"): "admin",
    ("DELETE", "/api/admin/tokens/{id_or_name:str}"): "admin",
    ("GET", "/api/admin/stations"): "admin",
    ("POST", "/api/admin/stations"): "admin",
    ("DELETE", "/api/admin/stations/{station_id:str}"): "admin",
}
"""Who may call each route: ``OPEN`` (anyone) or the weakest role allowed."""
MOUNT_METHODS = ("GET", "POST", "DELETE")
"""Methods tried on a mounted ASGI app (``/mcp``), which declares none."""
_PARAM = re.compile(r"\{(\w+):(\w+)\}")
RAW_BODY = ("PUT", "/api/files/{file_id:str}/content")
"""The one route whose body is raw bytes (``application/octet-stream``), not JSON."""


def served_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, but Litestar's own ``OPTIONS`` answers."""
    served = set()
    for route in app.routes:
        methods = getattr(route, "methods", None) or MOUNT_METHODS
        served |= {(method, route.path) for method in methods if method != "OPTIONS"}
    return served


def concrete(path: str) -> str:
    """A path to request for a route's template (``index.html`` for a file, ``x`` for ids)."""
    return _PARAM.sub(lambda m: "index.html" if m.group(2) == "path" else "x", path)


def call(client: TestClient[Litestar], method: str, path: str, headers: dict[str, str]) -> int:
    if (method, path) == RAW_BODY:
        raw = {**headers, "Content-Type": "application/octet-stream"}
        return client.request(method, concrete(path), content=b"bytes", headers=raw).status_code
    body = {} if method in ("POST", "PATCH", "PUT") else None
    response = client.request(method, concrete(path), json=body, headers=headers)
    return response.status_code


def test_the_table_names_every_route_of_the_app(secured_app: Litestar) -> None:
    served = served_routes(secured_app)
    assert sorted(served - EXPECTED.keys()) == [], "routes without a rule in EXPECTED"
    assert sorted(EXPECTED.keys() - served) == [], "rules of routes the app does not serve"


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(*rule, id=" ".join(rule)) for rule in sorted(EXPECTED)]
)
def test_each_caller_gets_in_exactly_where_its_role_allows(
    client: TestClient[Litestar], role_tokens: dict[Role, str], method: str, path: str
) -> None:
    need = EXPECTED[(method, path)]
    anonymous = call(client, method, path, {})
    if need is None:
        assert anonymous not in (401, 403), f"{method} {path} is open but refused anonymous"
    else:
        assert anonymous == 401, f"{method} {path} let an anonymous caller in ({anonymous})"
    for role in ROLES:
        status = call(client, method, path, bearer(role_tokens[role]))
        if need is None or role_allows(role, need):
            assert status not in (401, 403), f"{role} refused on {method} {path}"
            assert status < 500 or status == 503, f"{role}: {method} {path} answered {status}"
        else:
            assert status == 403, f"{role} got {status} on {method} {path}, needs {need}"


def test_a_refusal_says_what_to_do(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    anonymous = client.post("/api/data/prune", json={})
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["error"] == "unauthorized"
    viewer = client.post("/api/data/prune", json={}, headers=bearer(role_tokens["viewer"]))
    assert viewer.json() == {
        "status_code": 403,
        "error": "forbidden",
        "detail": "'viewer' has the role 'viewer'; this needs 'admin'",
        "role": "admin",
    }
    unknown = client.get("/api/sessions", headers=bearer("bt_not-a-token"))
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["www-authenticate"]


def test_health_tells_an_anonymous_caller_only_up_or_degraded(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    detailed = client.get("/api/health", headers=bearer(role_tokens["viewer"])).json()
    assert detailed["status"] == "ok"
    assert "warehouse" in detailed
