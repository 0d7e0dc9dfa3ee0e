"""Every list endpoint as JSON, CSV, Parquet or Arrow: the same rows, readable by polars."""

from __future__ import annotations

import io

import httpx
import msgspec
import polars as pl
import pyarrow as pa
import pytest

from benchtrail.api import EventStore, RunSummary, SessionSummary, StationSummary
from benchtrail.api.models.entities import MeasurementRow

from .seed import PAGED_COUNT, PAGED_STATION, Seed
from .tables import same_as_json

MEDIA = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}


def read_table(response: httpx.Response) -> pl.DataFrame:
    """The body of a tabular answer as polars reads it, by its content type."""
    content_type = response.headers["content-type"].split(";")[0]
    body = io.BytesIO(response.content)
    if content_type == MEDIA["csv"]:
        return pl.read_csv(body)
    if content_type == MEDIA["parquet"]:
        return pl.read_parquet(body)
    assert content_type == MEDIA["arrow"], content_type
    frame = pl.from_arrow(pa.ipc.open_stream(response.content).read_all())
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.mark.parametrize("output", ["csv", "parquet", "arrow"])
def test_runs_page_in_each_format_has_the_json_rows_and_columns(api_url: str, output: str) -> None:
    params = {"station_id": "cell-7", "limit": 10}
    items = httpx.get(f"{api_url}/api/runs", params=params).json()["items"]
    response = httpx.get(f"{api_url}/api/runs", params={**params, "format": output})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(MEDIA[output])
    frame = read_table(response)
    assert frame.columns == list(RunSummary.__struct_fields__)
    assert frame["run_id"].to_list() == [item["run_id"] for item in items] == ["run-a2", "run-a1"]
    assert frame["outcome"].to_list() == ["passed", "failed"]
    assert frame["started_at_ns"].to_list() == [item["started_at_ns"] for item in items]
    row = frame.filter(pl.col("run_id") == "run-a1").row(0, named=True)
    assert msgspec.json.decode(row["packages"]) == {"pyvisa": "1.14"}
    assert msgspec.json.decode(row["custom_metadata"])["temp_c"] == 25.5
    assert (row["measurement_count"], row["failed_measurement_count"]) == (5, 1)


def test_lists_are_typed_in_arrow_and_parquet_and_json_text_in_csv(api_url: str) -> None:
    url = f"{api_url}/api/runs"
    params = {"dut_serial": "SN123"}
    parquet = read_table(httpx.get(url, params={**params, "format": "parquet"}))
    assert parquet.schema["channel_refs"] == pl.List(pl.String)
    assert parquet.schema["started_at"] == pl.Datetime("ns", "UTC")
    assert parquet["channel_refs"].to_list() == [["ch1", "ch2"]]
    csv = read_table(httpx.get(url, params={**params, "format": "csv"}))
    assert csv["channel_refs"].to_list() == ['["ch1","ch2"]']


@pytest.mark.parametrize("output", ["csv", "parquet", "arrow"])
def test_accept_header_chooses_the_format(api_url: str, output: str) -> None:
    headers = {"Accept": f"{MEDIA[output]}, application/json;q=0.5"}
    response = httpx.get(f"{api_url}/api/sessions", params={"limit": 3}, headers=headers)
    assert response.headers["content-type"].startswith(MEDIA[output])
    assert read_table(response).columns == list(SessionSummary.__struct_fields__)


def test_json_stays_the_default_with_its_shape(api_url: str) -> None:
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "image/png"}):
        response = httpx.get(f"{api_url}/api/runs", params={"limit": 2}, headers=headers)
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"items", "next_cursor"}


def test_tabular_pages_follow_the_cursor_header_like_json_pages(seeded: Seed, api_url: str) -> None:
    def pages(output: str) -> tuple[list[str], list[str | None]]:
        seen: list[str] = []
        cursors: list[str | None] = []
        cursor = None
        while True:
            params = {"station_id": PAGED_STATION, "limit": 10, "format": output}
            if cursor:
                params["cursor"] = cursor
            response = httpx.get(f"{api_url}/api/runs", params=params)
            if output == "json":
                body = response.json()
                seen += [item["run_id"] for item in body["items"]]
                cursor = body["next_cursor"]
            else:
                seen += read_table(response)["run_id"].to_list()
                cursor = response.headers.get("X-Next-Cursor")
            cursors.append(cursor)
            if cursor is None:
                return seen, cursors

    as_json = pages("json")
    assert pages("csv") == pages("arrow") == as_json
    assert len(as_json[0]) == len(set(as_json[0])) == PAGED_COUNT
    assert as_json[1][-1] is None


def test_link_header_is_the_next_page(api_url: str) -> None:
    first = httpx.get(
        f"{api_url}/api/sessions",
        params={"station_id": PAGED_STATION, "limit": 20, "format": "csv"},
    )
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    second = httpx.get(link[1 : link.index(">")])
    assert second.headers["content-type"].startswith("text/csv")
    rows = [*read_table(first)["session_id"], *read_table(second)["session_id"]]
    assert len(rows) == len(set(rows)) == PAGED_COUNT
    assert "Link" not in second.headers and "X-Next-Cursor" not in second.headers


def test_stations_as_a_table(api_url: str) -> None:
    response = httpx.get(f"{api_url}/api/stations", params={"format": "parquet"})
    frame = read_table(response)
    assert frame.columns == list(StationSummary.__struct_fields__)
    assert frame["station_id"].to_list() == ["cell-7", "cell-9", PAGED_STATION]
    running = frame.filter(pl.col("station_id") == PAGED_STATION)["running_session_ids"]
    assert len(running.to_list()[0]) == PAGED_COUNT


def test_session_events_as_a_table_with_the_sent_json(seeded: Seed, api_url: str) -> None:
    url = f"{api_url}/api/sessions/{seeded.main_session.session_id}/events"
    response = httpx.get(url, params={"format": "arrow", "limit": 5})
    frame = read_table(response)
    assert frame["seq"].to_list() == [1, 2, 3, 4, 5]
    assert frame["type"].to_list()[:2] == ["session.started", "run.started"]
    assert [msgspec.json.decode(p)["seq"] for p in frame["payload"]] == [1, 2, 3, 4, 5]
    assert response.headers["X-Next-After-Seq"] == response.headers["X-Next-Cursor"] == "5"
    assert "after_seq=5" in response.headers["Link"]


def test_measurements_as_csv(api_url: str) -> None:
    response = httpx.get(
        f"{api_url}/api/measurements", params={"run_id": "run-a1", "format": "csv"}
    )
    frame = read_table(response)
    assert frame.columns == list(MeasurementRow.__struct_fields__)
    assert sorted(frame["name"].to_list()) == ["fw_version", "ripple", "ripple", "ripple", "vout"]
    text = frame.filter(pl.col("name") == "fw_version").row(0, named=True)
    assert (text["value"], text["value_str"]) == (None, "1.2.3")


def test_client_fetches_arrow_straight_into_polars(store: EventStore) -> None:
    frame = store.runs(station_id=PAGED_STATION, limit=None, as_polars=True)
    records = store.runs(station_id=PAGED_STATION, limit=None)
    assert frame.columns == records.to_polars().columns
    assert frame["run_id"].to_list() == [run.run_id for run in records]
    assert store.runs(station_id=PAGED_STATION, limit=7, as_polars=True).height == 7
    assert store.sessions(station_id="nobody", as_polars=True).shape == (
        0,
        len(SessionSummary.__struct_fields__),
    )


def test_unknown_format_is_a_400_naming_it(api_url: str) -> None:
    response = httpx.get(f"{api_url}/api/runs", params={"format": "xlsx"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "format"


@pytest.mark.parametrize(
    ("path", "key"),
    [("/api/runs", "items"), ("/api/sessions", "items"), ("/api/sessions/{session}", "runs")],
)
def test_arrow_rows_are_the_json_items_field_by_field(
    seeded: Seed, api_url: str, path: str, key: str
) -> None:
    url = api_url + path.format(session=seeded.main_session.session_id)
    if key == "runs":  # a session's runs as a table: the runs page of that session
        items = httpx.get(url).json()["runs"]
        url, params = f"{api_url}/api/runs", {"session_id": seeded.main_session.session_id}
    else:
        params = {"limit": 100}
        items = httpx.get(url, params=params).json()["items"]
    response = httpx.get(url, params={**params, "format": "arrow"})
    rows = pa.ipc.open_stream(response.content).read_all().to_pylist()
    assert len(rows) == len(items) > 1
    for item, row in zip(items, rows, strict=True):
        same_as_json(item, row)
    statuses = {item["status"] for item in items}
    assert statuses == {"ended", "running"} or key == "runs", statuses
