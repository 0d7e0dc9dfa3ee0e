"""Hostile values are 400s with small bodies, never 500s or echoes of the whole value.

Each case here answered 500 or echoed megabytes before: an overlong ``tz`` (OSError), a
JSON body nested 100,000 deep (RecursionError), a measurement cursor past 2^64
(accepted), a long bad value (echoed twice in the error body).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from benchtrail.api.http import create_app
from benchtrail.api.http.bounded_request import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth
from benchtrail.api.http.error_bodies import MAX_ERROR_BODY
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.queries import measurements as measurement_queries
from benchtrail.api.queries.cursors import MAX_CURSOR_LENGTH

from .seed import Seed

JSON = {"content-type": "application/json"}
_error_body = msgspec.json.Decoder(ErrorBody)


@pytest.fixture(scope="module")
def client(seeded: Seed) -> Iterator[TestClient[object]]:
    app = create_app(seeded.warehouse)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as test:
        yield test


def error_of(response: object, status: int) -> ErrorBody:
    """The response's ErrorBody, checked to have ``status`` and to be small."""
    content: bytes = response.content  # type: ignore[attr-defined]
    assert response.status_code == status, content[:300]  # type: ignore[attr-defined]
    assert len(content) <= MAX_ERROR_BODY
    body = _error_body.decode(content)
    assert body.status_code == status
    return body


def point_cursor(ts_ns: int, point_index: int = 0) -> str:
    raw = json.dumps([measurement_queries.CURSOR_KIND, "st-1", "v", ts_ns, "e", point_index])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("tz", ["A" * 60_000, "A" * 300, "../../etc/passwd", "Europe/", "UTC\0"])
def test_an_unusable_time_zone_is_a_400_naming_tz(client: TestClient[object], tz: str) -> None:
    body = error_of(client.get("/api/analytics/yield", params={"tz": tz}), 400)
    assert body.parameter == "tz"
    assert "IANA time zone" in (body.expected or "")


def test_a_known_time_zone_still_groups_days(client: TestClient[object]) -> None:
    response = client.get("/api/analytics/yield", params={"tz": "Europe/Berlin", "by": "day"})
    assert response.status_code == 200


def test_a_long_bad_value_is_quoted_clipped_with_its_length(client: TestClient[object]) -> None:
    tz = "Z" * 60_000
    body = error_of(client.get("/api/analytics/yield", params={"tz": tz}), 400)
    assert body.value == "Z" * 200 + "… (60000 characters)"
    assert "(60000 characters)" in body.detail


def test_a_long_unknown_id_is_a_small_404(client: TestClient[object]) -> None:
    body = error_of(client.get("/api/sessions/" + "s" * 12_000), 404)
    assert body.kind == "session"
    assert body.key == "s" * 200 + "… (12000 characters)"


def test_a_long_bad_enum_in_a_body_is_a_small_400(client: TestClient[object]) -> None:
    token = {"name": "ci", "role": "r" * 900_000}
    response = client.post("/api/admin/tokens", content=json.dumps(token), headers=JSON)
    body = error_of(response, 400)
    assert body.parameter == "role"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_a_400_before_decoding(
    client: TestClient[object], depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    for path in ("/api/admin/tokens", "/api/windows", "/api/auth/session"):
        body = error_of(client.post(path, content=nested, headers=JSON), 400)
        assert body.parameter == "body"
        assert f"nested {depth} levels deep" in body.detail


def test_a_body_over_the_limit_is_a_413(client: TestClient[object]) -> None:
    token = json.dumps({"name": "x" * MAX_BODY_BYTES, "role": "viewer"})
    body = error_of(client.post("/api/admin/tokens", content=token, headers=JSON), 413)
    assert body.error == "too_large"
    assert str(MAX_BODY_BYTES) in body.detail


@pytest.mark.parametrize(
    "cursor",
    [
        point_cursor(2**64 + 1),
        point_cursor(2**70),
        point_cursor(2**63),
        point_cursor(-5),
        point_cursor(5, point_index=-1),
        point_cursor(5, point_index=2**32),
        "A" * (MAX_CURSOR_LENGTH + 4),
    ],
    ids=["ts>2^64", "ts=2^70", "ts=2^63", "ts<0", "index<0", "index=2^32", "overlong"],
)
def test_a_measurement_cursor_out_of_range_is_a_400(
    client: TestClient[object], cursor: str
) -> None:
    body = error_of(client.get("/api/measurements", params={"cursor": cursor}), 400)
    assert body.parameter == "cursor"


def test_a_measurement_cursor_in_range_still_pages(client: TestClient[object]) -> None:
    response = client.get("/api/measurements", params={"cursor": point_cursor(5)})
    assert response.status_code == 200


def _nested(depth: int) -> st.SearchStrategy[object]:
    leaves = st.none() | st.integers() | st.text(alphabet='[]{}"\\ab,:', max_size=8)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=depth,
    )


def _reference_depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_reference_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_reference_depth(item) for item in value.values()), default=0)
    return 0


@given(_nested(40))
def test_json_depth_counts_nesting_and_ignores_brackets_in_strings(value: object) -> None:
    assert json_depth(json.dumps(value).encode()) == _reference_depth(value)
