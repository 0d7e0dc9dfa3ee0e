"""Bad input never gives a 500: 404 naming the id, 400 naming the parameter."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from clickhouse_connect.driver.exceptions import OperationalError
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from benchtrail.api import (
    ApiUnavailable,
    BadParameter,
    EventStore,
    NotFound,
)
from benchtrail.api.http import create_app
from benchtrail.api.queries.cursors import encode_cursor
from benchtrail.projector import Warehouse
from benchtrail.schemas import EVENT_TAGS

from .seed import Seed


@pytest.fixture(scope="module")
def client(seeded: Seed) -> Iterator[TestClient[object]]:
    with TestClient(create_app(seeded.warehouse), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "kind", "key"),
    [
        ("/api/sessions/nope-1", "session", "nope-1"),
        ("/api/sessions/nope-2/events", "session", "nope-2"),
        ("/api/runs/nope-3", "run", "nope-3"),
        ("/api/duts/nope-4", "dut", "nope-4"),
    ],
)
def test_unknown_id_is_a_404_naming_it(
    client: TestClient[object], path: str, kind: str, key: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "error": "not_found",
        "detail": f"{kind} {key!r} not found",
        "kind": kind,
        "key": key,
    }


OTHER_CURSOR = encode_cursor("r", 1, "run-x")

BAD_REQUESTS = [
    ("/api/sessions", "since", "yesterday"),
    ("/api/sessions", "since", "2024-13-01"),
    ("/api/sessions", "until", "12:00 tomorrow"),
    ("/api/runs", "until", "2024-05-01T25:00"),
    ("/api/sessions", "limit", "-1"),
    ("/api/sessions", "limit", "0"),
    ("/api/sessions", "limit", "1001"),
    ("/api/runs", "limit", "100000000000000000000000000000"),
    ("/api/runs", "limit", "ten"),
    ("/api/sessions", "cursor", "not-a-cursor"),
    ("/api/sessions", "cursor", "WyJzIiwtMSwieCJd"),
    ("/api/sessions", "cursor", OTHER_CURSOR),
    ("/api/runs", "outcome", "exploded"),
    ("/api/sessions", "session_type", "party"),
    ("/api/sessions/s-1/events", "event_type", "run.exploded"),
    ("/api/sessions/s-1/events", "after_seq", "-3"),
    ("/api/runs/r-1", "measurement_limit", "-5"),
    ("/api/sessions/s-1", "run_limit", "many"),
    ("/api/runs", "format", "xlsx"),
    ("/api/stations", "since", "whenever"),
    ("/api/sessions/s-1/events", "until", "later"),
    ("/api/measurements", "outcome", "so-so"),
    ("/api/measurements", "limit", "100001"),
    ("/api/measurements", "cursor", OTHER_CURSOR),
    ("/api/runs", "cursor", encode_cursor("m", 1, "x")),
    ("/api/duts/SN123", "failed_limit", "-1"),
    ("/api/duts/SN123", "limit", "0"),
    ("/api/measurements/series", "buckets", "5001"),
    ("/api/export/runs", "outcome", "exploded"),
    ("/api/export/measurements", "since", "yesterday"),
    ("/api/export/sessions", "session_type", "party"),
]


@pytest.mark.parametrize(("path", "name", "value"), BAD_REQUESTS)
def test_bad_parameter_is_a_400_naming_it(
    client: TestClient[object], path: str, name: str, value: str
) -> None:
    response = client.get(path, params={name: value})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad_parameter"
    assert body["parameter"] == name
    assert body["value"] == value
    assert repr(name) in body["detail"]


# An id of slashes only would be another route: the server routes on the decoded path.
@settings(max_examples=40, deadline=None)  # six requests: over 200 ms on a loaded machine
@given(text=st.text(min_size=1, max_size=60).filter(lambda text: text.strip("/")))
def test_any_filter_text_or_id_is_answered_never_a_500(
    client: TestClient[object], text: str
) -> None:
    assert client.get("/api/sessions", params={"station_id": text}).status_code == 200
    assert client.get("/api/runs", params={"dut_serial": text}).status_code == 200
    assert client.get("/api/measurements", params={"name": text}).status_code == 200
    assert client.get(f"/api/duts/{quote(text, safe='')}").status_code == 404
    assert client.get(f"/api/runs/{quote(text, safe='')}").status_code == 404
    assert client.get(f"/api/sessions/{quote(text, safe='')}/events").status_code == 404


def test_a_lock_key_no_bucket_can_hold_is_a_404(client: TestClient[object]) -> None:
    response = client.post("/api/locks/bad key!/release", params={"force": "true", "by": "x"})
    assert response.status_code == 404
    assert response.json()["kind"] == "lock"


def test_unknown_event_type_lists_the_known_ones(client: TestClient[object]) -> None:
    body = client.get("/api/sessions/s-1/events", params={"event_type": "nope"}).json()
    for tag in EVENT_TAGS:
        assert tag in body["expected"]


def test_unknown_outcome_lists_the_known_ones(client: TestClient[object]) -> None:
    body = client.get("/api/runs", params={"outcome": "meh"}).json()
    assert body["expected"] == "one of aborted, error, failed, passed, running"


def test_openapi_document_lists_every_endpoint(client: TestClient[object]) -> None:
    document = client.get("/schema/openapi.json").json()
    assert set(document["paths"]) >= {
        "/api/health",
        "/api/stations",
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/sessions/{session_id}/events",
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/measurements",
        "/api/measurements/series",
        "/api/duts/{serial}",
        "/api/export/runs",
        "/api/export/sessions",
        "/api/export/measurements",
    }
    assert client.get("/schema").status_code == 200


def test_client_raises_not_found_with_the_server_message(seeded: Seed, store: EventStore) -> None:
    with pytest.raises(NotFound, match="run 'no-such-run' not found") as caught:
        store.run("no-such-run")
    assert (caught.value.kind, caught.value.key) == ("run", "no-such-run")
    with pytest.raises(NotFound, match="session 'a/b' not found"):
        store.events("a/b")


def test_client_raises_bad_parameter_naming_it(store: EventStore) -> None:
    with pytest.raises(BadParameter, match="'since'") as caught:
        store.sessions(since="last tuesday")
    assert caught.value.name == "since"
    with pytest.raises(BadParameter, match="'outcome'"):
        store.runs(outcome="exploded")
    with pytest.raises(BadParameter, match="'cursor'"):
        store.runs(cursor="garbage")


def test_client_raises_api_unavailable_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with EventStore(url, timeout=5) as store, pytest.raises(ApiUnavailable) as caught:
        store.sessions()
    assert caught.value.url == url
    assert url in str(caught.value)


class _BrokenClient:
    """A clickhouse-connect client whose server is gone."""

    def query(self, *args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")


def test_health_says_when_the_warehouse_is_unreachable() -> None:
    warehouse = Warehouse(_BrokenClient(), "http://gone:8123")  # type: ignore[arg-type]
    with TestClient(create_app(warehouse), base_url="http://127.0.0.1") as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["warehouse"]["reachable"] is False
    assert "connection refused" in body["warehouse"]["error"]
