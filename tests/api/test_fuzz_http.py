"""Arbitrary query values and JSON bodies never give a 5xx or a large error body.

Beside the schemathesis run (which sends values the schema describes, and some it
forbids), these throw what no schema expects at the parsers: any string or integer
(huge, negative, overlong, control characters) at every query and path parameter of
every read route, and any JSON (deeply nested, huge strings and numbers) at every
route that takes a JSON body. The routes come from the served OpenAPI document, so a
new route is fuzzed without editing this file. The API runs in process (no HTTP
server limits in between: those are tested in test_http_server.py) without a hub
connection: a route that needs one answers 503 "unavailable", after parsing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import quote

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from benchtrail.api.http import create_app
from benchtrail.api.http.error_bodies import MAX_ERROR_BODY
from benchtrail.api.models.entities import ErrorBody
from benchtrail.projector import Warehouse

from .seed import Seed

EXAMPLES = 25
"""Requests per route and test: all together run in about 15 s on two cores."""
_error_body = msgspec.json.Decoder(ErrorBody)
_STREAM = "text/event-stream"
_CHANGES = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def client(seeded: Seed) -> Iterator[TestClient[object]]:
    app = create_app(seeded.warehouse)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as test:
        yield test


class Operation(msgspec.Struct, frozen=True):
    """One route of the OpenAPI document: its method, path, parameters and body fields."""

    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_fields: tuple[str, ...] = ()

    def url(self, values: dict[str, str]) -> str:
        path = self.path
        for name in self.path_params:
            path = path.replace("{" + name + "}", quote(values.get(name) or "x", safe=""))
        return path


def _operations(document: dict[str, Any]) -> Iterator[tuple[Operation, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            parameters = spec.get("parameters", [])
            yield (
                Operation(
                    method,
                    path,
                    tuple(p["name"] for p in parameters if p["in"] == "path"),
                    tuple(p["name"] for p in parameters if p["in"] == "query"),
                ),
                spec,
            )


def read_operations(document: dict[str, Any]) -> list[Operation]:
    """Every GET with parameters, but live feeds (they stream until the client leaves)."""
    found = []
    for operation, spec in _operations(document):
        answers = spec.get("responses", {}).get("200", {}).get("content", {})
        has_params = operation.query_params or operation.path_params
        if operation.method == "get" and has_params and _STREAM not in answers:
            found.append(operation)
    return found


def body_operations(document: dict[str, Any]) -> list[Operation]:
    """Every change that takes a JSON body, with the fields of that body."""
    found = []
    for operation, spec in _operations(document):
        content = spec.get("requestBody", {}).get("content", {})
        if operation.method in _CHANGES and "application/json" in content:
            fields = _fields(document, content["application/json"].get("schema", {}))
            found.append(msgspec.structs.replace(operation, body_fields=fields))
    return found


def _fields(document: dict[str, Any], schema: dict[str, Any]) -> tuple[str, ...]:
    ref = schema.get("$ref", "")
    if ref:
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return tuple(schema.get("properties", {}))


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# httpx refuses a query over 64 KiB, and the hub's server any head over 16 KiB
_long = st.builds(str.__mul__, st.sampled_from("x9-é\0 "), st.integers(0, 2500))
_number = st.integers().map(str) | st.integers(2**60, 2**80).map(lambda n: str(n * -1 or n))
_ODD_VALUES = (
    *("", " ", "-1", "1e309", "nan", "inf", "0x1f", "%00", "9" * 5000, "A" * 300),
    *(
        "2262-04-12",
        "9999-12-31T23:59:59",
        "0001-01-01T00:00:00+14:00",
        "1970-01-01T00:00:00.9999999999",
    ),
)
_odd = st.sampled_from(_ODD_VALUES)
QUERY_VALUES = _text | _long | _number | _odd
"""Anything a query string may carry."""


def _deep(depth: int, opener: str) -> str:
    closer = "]" if opener == "[" else "}"
    inner = '{"a":' if opener == "{" else "["
    return inner * depth + "1" + closer * depth if opener == "{" else "[" * depth + "]" * depth


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text | _long,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_raw_json = (
    st.builds(_deep, st.integers(1, 120_000), st.sampled_from("[{"))
    | st.integers(0, 300).map(lambda n: "9" * (n * 20))
    | st.sampled_from(["", "{", "nul", '"\\ud800"', "[1,]", "{}" * 1000, "\0"])
)


def _served_document() -> dict[str, Any]:
    """The OpenAPI document the API serves (building it needs no warehouse)."""
    document: dict[str, Any] = create_app(cast(Warehouse, None)).openapi_schema.to_schema()
    return document


_DOCUMENT = _served_document()
READS = read_operations(_DOCUMENT)
"""Every read route with parameters, from the served document."""
CHANGES = body_operations(_DOCUMENT)
"""Every route with a JSON body, from the served document."""


def check(response: Any) -> None:
    """Never a 5xx (but a 503 ErrorBody), every 4xx an ErrorBody, every error body small."""
    status, content = response.status_code, response.content
    if status < 400:
        return
    assert status < 500 or status == 503, f"HTTP {status}: {content[:300]!r}"
    assert len(content) <= MAX_ERROR_BODY, f"HTTP {status}: a {len(content)}-byte error body"
    body = _error_body.decode(content)  # an ErrorBody, or this raises
    assert body.status_code == status
    assert status != 503 or body.error == "unavailable"


_FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("operation", READS, ids=lambda operation: operation.path)
@_FUZZ
@given(data=st.data())
def test_any_query_value_is_answered_without_5xx_and_small_errors(
    client: TestClient[object], operation: Operation, data: st.DataObject
) -> None:
    names = operation.query_params + operation.path_params
    values = data.draw(
        st.dictionaries(st.sampled_from(names), QUERY_VALUES, min_size=1, max_size=4)
    )
    query = {name: value for name, value in values.items() if name in operation.query_params}
    check(client.get(operation.url(values), params=query))


@pytest.mark.parametrize("operation", CHANGES, ids=lambda op: f"{op.method.upper()} {op.path}")
@_FUZZ
@given(data=st.data())
def test_any_json_body_is_answered_without_5xx_and_small_errors(
    client: TestClient[object], operation: Operation, data: st.DataObject
) -> None:
    fields = st.sampled_from(operation.body_fields or ("name",))
    shaped = st.dictionaries(fields, _json, max_size=6).map(json.dumps)
    body = data.draw(shaped | _json.map(json.dumps) | _raw_json)
    headers = {"content-type": "application/json"}
    check(
        client.request(operation.method.upper(), operation.url({}), content=body, headers=headers)
    )


def test_the_fuzzed_routes_include_lists_analytics_and_bodies() -> None:
    reads = {operation.path for operation in READS}
    changes = {operation.path for operation in CHANGES}
    assert {"/api/runs", "/api/measurements", "/api/analytics/yield"} <= reads
    assert {"/api/windows", "/api/admin/tokens", "/api/auth/session"} <= changes
