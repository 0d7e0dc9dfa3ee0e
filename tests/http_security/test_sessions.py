"""Dashboard sign-in: a token once, then an HttpOnly SameSite=Strict session cookie."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from benchtrail.api.hub.access import TokenStore
from benchtrail.api.models.access import Role

from .conftest import bearer


def test_signing_in_sets_a_strict_http_only_cookie_that_reads(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    assert client.get("/api/sessions").status_code == 401
    signed = client.post("/api/auth/session", json={"token": role_tokens["viewer"]})
    assert signed.status_code == 200
    assert signed.json() == {
        "name": "viewer",
        "role": "viewer",
        "token_id": signed.json()["token_id"],
    }
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("bt_session=")
    assert {"HttpOnly", "Path=/", "SameSite=strict"} <= {p.strip() for p in cookie.split(";")}
    assert role_tokens["viewer"] not in cookie
    assert "Secure" not in cookie  # served over plain HTTP here
    assert client.get("/api/sessions").status_code == 200
    assert client.get("/api/auth/session").json()["name"] == "viewer"
    assert client.post("/api/data/prune", json={}).status_code == 403  # still a viewer


def test_a_wrong_token_does_not_sign_in(client: TestClient[Litestar]) -> None:
    response = client.post("/api/auth/session", json={"token": "bt_guess"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert client.get("/api/sessions").status_code == 401


def test_signing_out_ends_the_session(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    client.post("/api/auth/session", json={"token": role_tokens["viewer"]})
    session_id = client.cookies["bt_session"]
    assert client.delete("/api/auth/session").status_code == 204
    assert client.get("/api/sessions").status_code == 401
    client.cookies.set("bt_session", session_id)
    assert client.get("/api/sessions").status_code == 401  # the old cookie is dead on the server


def test_revoking_a_token_ends_its_requests_and_sessions_at_once(
    client: TestClient[Litestar], tokens: TokenStore, role_tokens: dict[Role, str]
) -> None:
    operator = role_tokens["operator"]
    client.post("/api/auth/session", json={"token": role_tokens["viewer"]})
    assert client.get("/api/sessions").status_code == 200
    assert client.get("/api/runs", headers=bearer(operator)).status_code == 200

    tokens.revoke("viewer")
    tokens.revoke("operator")

    assert client.get("/api/sessions").status_code == 401
    assert client.get("/api/runs", headers=bearer(operator)).status_code == 401


def test_a_viewer_link_signs_a_wall_display_in_without_keeping_the_token(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    token = role_tokens["viewer"]
    response = client.get(f"/dashboard/signin?token={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/"
    assert token not in response.headers["location"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "HttpOnly" in response.headers["set-cookie"]
    assert client.get("/api/sessions").status_code == 200
    assert client.get("/dashboard/signin?token=bt_guess", follow_redirects=False).status_code == 401


def test_an_admin_manages_tokens_over_http_and_never_sees_a_secret_again(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    admin = bearer(role_tokens["admin"])
    made = client.post("/api/admin/tokens", json={"name": "wall", "role": "viewer"}, headers=admin)
    assert made.status_code == 201
    secret = made.json()["token"]
    assert secret.startswith("bt_")
    assert client.get("/api/stations", headers=bearer(secret)).status_code == 200
    listed = client.get("/api/admin/tokens", headers=admin)
    assert secret not in listed.text
    assert "sha256" not in listed.text
    assert [t["name"] for t in listed.json()] == ["viewer", "operator", "admin", "wall"]
    revoked = client.delete("/api/admin/tokens/wall", headers=admin)
    assert revoked.json()["revoked_at"]
    assert client.get("/api/stations", headers=bearer(secret)).status_code == 401
    missing = client.delete("/api/admin/tokens/nobody", headers=admin)
    assert (missing.status_code, missing.json()["kind"]) == (404, "token")
