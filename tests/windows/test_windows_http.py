"""The window endpoints over HTTP: JSON bodies, the user header, errors that name the problem."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from litestar.testing import TestClient

from benchtrail.api import BadParameter, NotFound, Window, WindowClient
from benchtrail.api.http import create_app
from benchtrail.api.hub.embedded import Hub
from benchtrail.projector import Warehouse

from .conftest import T0, Captures, at


@pytest.fixture
def http(running_hub: Hub, operator_token: Callable[[str], str]) -> Iterator[httpx.Client]:
    """An HTTP client with the operator token ``api``."""
    headers = {"Authorization": f"Bearer {operator_token('api')}"}
    with httpx.Client(base_url=running_hub.api_url, timeout=30, headers=headers) as client:
        yield client


def bad(response: httpx.Response, parameter: str) -> dict[str, object]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad_parameter"
    assert body["parameter"] == parameter
    assert parameter in body["detail"]
    return body


def missing(response: httpx.Response, kind: str, key: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {
        "status_code": 404,
        "error": "not_found",
        "detail": f"{kind} {key!r} not found",
        "kind": kind,
        "key": key,
    }


def test_endpoints_mirror_the_client_and_record_the_token_not_a_header(
    http: httpx.Client, operator_token: Callable[[str], str]
):
    created = http.post("/api/windows", json={"name": "soak", "device_ids": ["cell-1"]})
    assert created.status_code == 201
    window = created.json()
    assert (window["name"], window["device_ids"], window["created_by"]) == (
        "soak",
        ["cell-1"],
        "api",
    )
    path = f"/api/windows/{window['window_id']}"

    capture = http.post(
        "/api/files",
        json={"dataset_id": "run-9", "path": "a.bin", "start_ns": T0, "end_ns": at(1)},
        headers={"X-Benchtrail-User": "carol"},  # a header naming someone is ignored
    ).json()
    assert (capture["registered_by"], capture["topics"]) == ("api", [])

    added = http.post(
        f"{path}/files",
        json={"files": [{"file_id": capture["file_id"]}]},
        headers={"Authorization": f"Bearer {operator_token('dave')}"},
    ).json()
    assert (added["min_timestamp_ns"], added["max_timestamp_ns"]) == (T0, at(1))
    assert added["modified_by"] == "dave"
    assert http.get(f"{path}/files").json()[0]["added_by"] == "dave"

    renamed = http.patch(path, json={"name": None}).json()
    assert (renamed["name"], renamed["modified_by"]) == (None, "api")
    removed = http.delete(f"{path}/files", params={"file_id": capture["file_id"]}).json()
    assert (removed["min_timestamp_ns"], removed["file_count"]) == (None, 0)
    assert http.delete(f"{path}/devices/cell-1").json()["device_ids"] == []

    assert http.delete(path).status_code == 204
    missing(http.get(path), "window", window["window_id"])


def test_bad_values_are_400s_naming_them(http: httpx.Client, captures: Captures):
    window_id = http.post("/api/windows", json={}).json()["window_id"]
    files = f"/api/windows/{window_id}/files"
    scope = captures.scope.file_id

    def register(**fields: object) -> httpx.Response:
        return http.post("/api/files", json={"dataset_id": "d", "path": "p", **fields})

    body = bad(register(start_ns=T0), "end_ns")
    assert body["expected"] == "nanoseconds since the epoch, 0 to 9223372036854775807 (required)"
    bad(register(end_ns=T0), "start_ns")
    bad(register(start_ns=T0 + 1, end_ns=T0), "end_ns")
    bad(register(start_ns=T0, end_ns=2**63), "end_ns")
    bad(register(start_ns=T0, end_ns=T0 + 1, dataset_id=" "), "dataset_id")
    bad(
        register(start_ns=T0, end_ns=at(1), topics=[{"name": "a", "start_ns": T0}]),
        "topics[0].end_ns",
    )
    outside = [{"name": "a", "start_ns": T0 - 1, "end_ns": T0}]
    bad(register(start_ns=T0, end_ns=at(1), topics=outside), "topics[0].start_ns")
    twice = [{"name": "a"}, {"name": "a"}]
    bad(register(start_ns=T0, end_ns=at(1), topics=twice), "topics[1].name")

    def add(**contribution: object) -> httpx.Response:
        return http.post(files, json={"files": [{"file_id": scope, **contribution}]})

    body = bad(add(range_min_timestamp_ns=T0), "files[0].range_max_timestamp_ns")
    assert "both or neither" in str(body["expected"])
    bad(add(range_max_timestamp_ns=T0), "files[0].range_min_timestamp_ns")
    bad(
        add(range_min_timestamp_ns=T0 + 2, range_max_timestamp_ns=T0 + 1),
        "files[0].range_max_timestamp_ns",
    )
    bad(
        add(range_min_timestamp_ns=T0, range_max_timestamp_ns=at(101)),
        "files[0].range_max_timestamp_ns",
    )
    bad(http.post(files, json={"files": []}), "files")
    bad(http.post(files, json={"files": [{"file_id": scope}, {"file_id": scope}]}), "files[1]")
    bad(http.post("/api/windows", json={"name": ""}), "name")
    bad(http.post("/api/windows", json={"device_ids": ["a", "a"]}), "device_ids[1]")
    bad(http.get("/api/windows", params={"cursor": "not-a-cursor"}), "cursor")
    bad(http.get("/api/windows", params={"limit": 0}), "limit")
    assert http.post("/api/windows", json={"nmae": "typo"}).status_code == 400

    assert http.get(f"/api/windows/{window_id}").json()["file_count"] == 0  # nothing recorded


def test_unknown_ids_are_404s_naming_them(http: httpx.Client, captures: Captures):
    window_id = http.post("/api/windows", json={"device_ids": ["cell-1"]}).json()["window_id"]
    path = f"/api/windows/{window_id}"

    for response in (
        http.get("/api/windows/nope"),
        http.patch("/api/windows/nope", json={"name": "x"}),
        http.delete("/api/windows/nope"),
        http.get("/api/windows/nope/topics"),
        http.get("/api/windows/nope/files"),
        http.post("/api/windows/nope/devices", json={"device_id": "cell-1"}),
    ):
        missing(response, "window", "nope")
    missing(http.get("/api/files/nope"), "file", "nope")
    missing(http.post(f"{path}/files", json={"files": [{"file_id": "nope"}]}), "file", "nope")
    unheld = captures.scope.file_id
    missing(http.delete(f"{path}/files", params={"file_id": unheld}), "window file", unheld)
    missing(http.delete(f"{path}/devices/fixture-9"), "window device", "fixture-9")


def test_the_client_raises_the_same_errors(client: WindowClient, captures: Captures):
    window = Window.create(client=client)

    with pytest.raises(BadParameter, match=r"range_max_timestamp_ns.*both or neither"):
        window.add_file(captures.scope.file_id, range_min_timestamp_ns=T0)
    with pytest.raises(NotFound, match="file 'nope' not found"):
        window.add_file("nope")
    with pytest.raises(NotFound, match="window 'nope' not found"):
        Window.from_id("nope", client=client)
    with pytest.raises(BadParameter, match="'end_ns'"):
        client.register_file(dataset_id="d", path="p", start_ns=T0 + 1, end_ns=T0)


def test_changes_need_the_hub_reads_do_not(warehouse: Warehouse):
    with TestClient(create_app(warehouse), base_url="http://127.0.0.1") as client:
        response = client.post("/api/windows", json={"name": "x"})
        assert response.status_code == 503
        assert response.json() == {
            "status_code": 503,
            "error": "unavailable",
            "detail": (
                "observation windows are not available: this API runs without a hub connection"
            ),
        }
        assert client.get("/api/windows").json() == {"items": [], "next_cursor": None}


def test_the_openapi_document_lists_every_window_endpoint(warehouse: Warehouse):
    with TestClient(create_app(warehouse), base_url="http://127.0.0.1") as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    methods = {
        (path, method)
        for path, operations in paths.items()
        if path.startswith(("/api/windows", "/api/files"))
        for method in operations
    }
    assert methods == {
        ("/api/files", "post"),
        ("/api/files/{file_id}", "get"),
        ("/api/files/{file_id}/content", "put"),
        ("/api/files/{file_id}/content", "get"),
        ("/api/windows", "get"),
        ("/api/windows", "post"),
        ("/api/windows/{window_id}", "get"),
        ("/api/windows/{window_id}", "patch"),
        ("/api/windows/{window_id}", "delete"),
        ("/api/windows/{window_id}/devices", "get"),
        ("/api/windows/{window_id}/devices", "post"),
        ("/api/windows/{window_id}/devices/{device_id}", "delete"),
        ("/api/windows/{window_id}/files", "get"),
        ("/api/windows/{window_id}/files", "post"),
        ("/api/windows/{window_id}/files", "delete"),
        ("/api/windows/{window_id}/topics", "get"),
    }
