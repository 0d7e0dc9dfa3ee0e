"""Bad requests to the live feed are 400s naming the parameter; without a hub, 503."""

from __future__ import annotations

import httpx
import pytest
from litestar.testing import TestClient

from benchtrail.api.http import create_app
from benchtrail.api.hub.embedded import Hub
from benchtrail.projector import Warehouse


def test_without_a_hub_the_live_feed_is_unavailable(warehouse: Warehouse) -> None:
    with TestClient(create_app(warehouse), base_url="http://127.0.0.1") as client:
        for path in ("/api/live", "/api/sessions/s-1/live"):
            response = client.get(path)
            assert response.status_code == 503
            body = response.json()
            assert body["error"] == "unavailable"
            assert "live feeds" in body["detail"] and "hub" in body["detail"]


@pytest.mark.parametrize(
    ("path", "params", "headers", "parameter"),
    [
        ("/api/sessions/s-1/live", {}, {"Last-Event-ID": "yesterday"}, "Last-Event-ID"),
        ("/api/live", {"last_event_id": "12"}, {}, "last_event_id"),
        ("/api/live", {"event_type": "measurment"}, {}, "event_type"),
        ("/api/live", {"station_id": "cell.7"}, {}, "station_id"),
        ("/api/sessions/bad.session/live", {}, {}, "session_id"),
        ("/api/live", {"since": "last tuesday"}, {}, "since"),
        ("/api/live", {"keepalive": "0"}, {}, "keepalive"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    running_hub: Hub,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    parameter: str,
) -> None:
    response = httpx.get(f"{running_hub.api_url}{path}", params=params, headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad_parameter"
    assert body["parameter"] == parameter
