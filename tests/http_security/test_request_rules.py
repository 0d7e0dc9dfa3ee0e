"""Rules that hold on every API, open or with tokens: Host allowlist, JSON bodies, same origin.

A page on another site in an operator's browser must not change anything on the
hub (CSRF), and a DNS name rebound to the hub must not reach it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from benchtrail.api.http import create_app
from benchtrail.api.models.access import Role
from benchtrail.projector import Warehouse

from .conftest import LOCAL, bearer

CHANGE = ("/api/windows", {"name": "w", "device_ids": []})
"""A state change an operator may make (the app has no hub: allowed, it answers 503)."""


@pytest.fixture
def open_client(warehouse: Warehouse) -> Iterator[TestClient[Litestar]]:
    """The API running open (the hub on loopback without auth)."""
    with TestClient(create_app(warehouse), base_url=LOCAL) as test_client:
        yield test_client


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io", "10.0.0.5:8000"])
def test_a_foreign_host_is_refused_even_on_an_open_api(
    open_client: TestClient[Litestar], host: str
) -> None:
    response = open_client.get("/api/sessions", headers={"Host": host})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_host"
    assert "--allowed-host" in response.json()["detail"]


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:8000", "localhost"])
def test_loopback_names_are_served(open_client: TestClient[Litestar], host: str) -> None:
    assert open_client.get("/api/sessions", headers={"Host": host}).status_code == 200


def test_a_configured_host_is_served(
    client: TestClient[Litestar], role_tokens: dict[Role, str]
) -> None:
    headers = {"Host": "hub.lab:8000", **bearer(role_tokens["viewer"])}
    assert client.get("/api/sessions", headers=headers).status_code == 200
    other = client.get("/api/sessions", headers={**headers, "Host": "hub.lab.evil.example"})
    assert other.status_code == 400


def test_a_text_plain_body_is_refused_even_on_an_open_api(
    open_client: TestClient[Litestar],
) -> None:
    """What a cross-site HTML form or ``fetch`` without preflight can send."""
    response = open_client.post(
        CHANGE[0], content=b'{"name": "w"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    prune = open_client.post(
        "/api/data/prune", content=b"{}", headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert prune.status_code == 415


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["foreign-origin", "null-origin", "other-port", "sec-fetch-cross-site"],
)
def test_a_change_from_another_site_is_refused_even_on_an_open_api(
    open_client: TestClient[Litestar], headers: dict[str, str]
) -> None:
    response = open_client.post(CHANGE[0], json=CHANGE[1], headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    release = open_client.post("/api/locks/cell-7.dmm/release?force=true&by=x", headers=headers)
    assert release.status_code == 403


def test_a_change_from_the_api_own_page_or_a_script_passes(
    open_client: TestClient[Litestar],
) -> None:
    same = {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
    assert open_client.post(CHANGE[0], json=CHANGE[1], headers=same).status_code == 503
    assert open_client.post(CHANGE[0], json=CHANGE[1]).status_code == 503  # no Origin: a script


def test_reads_from_another_origin_are_not_refused(open_client: TestClient[Litestar]) -> None:
    """A GET changes nothing; the browser keeps its answer from the foreign page anyway."""
    headers = {"Origin": "http://evil.example"}
    response = open_client.get("/api/sessions", headers=headers)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
