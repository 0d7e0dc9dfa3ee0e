"""Real Bluesky plans on ophyd.sim devices, recorded by BenchtrailCallback, read from ClickHouse."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import bluesky.plan_stubs as bps
import numpy as np
import pytest
from bluesky import RunEngine
from bluesky.plans import count, scan
from event_model import pack_event_page
from ophyd.sim import SynSignal, det, det1, det2, motor

from benchtrail.agents import Station, connect
from benchtrail.agents.adapters.bluesky import LOGGER, BenchtrailCallback
from benchtrail.api.hub.embedded import Hub

Document = tuple[str, dict[str, Any]]


class DescribedSignal(SynSignal):
    """A simulated signal whose description carries more (units, a dtype), as EPICS ones do."""

    def __init__(self, func: Callable[[], object], *, name: str, **description: object) -> None:
        super().__init__(func=func, name=name)
        self._description = description

    def describe(self) -> dict[str, dict[str, object]]:
        result: dict[str, dict[str, object]] = super().describe()
        result[self.name].update(self._description)
        return result


def _station(hub: Hub) -> Station:
    return connect("beamline-2", hub=hub.nats.url, session_type="observation")


def _rows(hub: Hub, sql: str, **params: str) -> list[dict[str, Any]]:
    warehouse = hub.warehouse
    assert warehouse is not None
    return warehouse.rows(sql.format(db=warehouse.database), params)


def _points(hub: Hub, run_id: str) -> dict[str, list[dict[str, Any]]]:
    rows = _rows(
        hub,
        "SELECT name, toUnixTimestamp64Nano(ts) AS ts_ns, value, value_str, value_kind, unit,"
        " step, low, high, outcome, event_id"
        " FROM {db}.measurements FINAL WHERE run_id = {{r:String}} ORDER BY ts",
        r=run_id,
    )
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_name[row["name"]].append(row)
    return dict(by_name)


def _expected(docs: list[Document], start_uid: str) -> dict[str, list[tuple[int, float]]]:
    """(timestamp ns, value) of every point of every data key, from the run's event documents."""
    descriptors = {
        d["uid"] for name, d in docs if name == "descriptor" and d["run_start"] == start_uid
    }
    points: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for name, doc in docs:
        if name == "event" and doc["descriptor"] in descriptors:
            for key, value in doc["data"].items():
                points[key].append((round(doc["timestamps"][key] * 1e9), float(value)))
    return {key: sorted(values) for key, values in points.items()}


def _assert_points_match(
    points: dict[str, list[dict[str, Any]]], expected: dict[str, list[tuple[int, float]]]
) -> None:
    assert set(points) == set(expected)
    for key, rows in points.items():
        got = [(row["ts_ns"], row["value"]) for row in rows]
        assert len(got) == len(expected[key]), key
        for (ts, value), (ts_doc, value_doc) in zip(got, expected[key], strict=True):
            assert abs(ts - ts_doc) < 1_000, key  # the event's per-key timestamp
            assert value == value_doc, key
        assert {row["step"] for row in rows} == {"primary"}
        assert {row["value_kind"] for row in rows} == {"float"}


def test_a_scan_and_a_count_become_runs_with_points_per_data_key(running_hub: Hub, RE: RunEngine):
    docs: list[Document] = []
    RE.subscribe(lambda name, doc: docs.append((name, doc)))
    with _station(running_hub) as station:
        callback = BenchtrailCallback(station)
        RE.subscribe(callback)
        (scan_uid,) = RE(scan([det], motor, -1, 1, 11), sample="SN-7", operator="alice")
        (count_uid,) = RE(count([det1, det2], num=5))
        scan_run, count_run = callback.runs[scan_uid].run_id, callback.runs[count_uid].run_id
    running_hub.wait_ingested()

    runs = _rows(
        running_hub,
        "SELECT run_id, dut_serial, custom_metadata, structured_metadata FROM {db}.runs FINAL"
        " WHERE session_id = {{s:String}}",
        s=station.session_id,
    )
    assert {r["run_id"] for r in runs} == {scan_run, count_run}
    scan_row = next(r for r in runs if r["run_id"] == scan_run)
    assert scan_row["dut_serial"] == "SN-7"
    custom = json.loads(scan_row["custom_metadata"])
    assert custom["plan_name"] == "scan"
    assert custom["uid"] == scan_uid
    assert custom["scan_id"] == 1
    assert custom["operator"] == "alice"
    assert "detectors" not in custom  # a list: kept as a list in structured_metadata
    assert json.loads(scan_row["structured_metadata"])["detectors"] == ["det"]
    assert custom["num_points"] == 11
    assert custom["versions.bluesky"]
    assert not any(key.startswith("hints") for key in custom)

    ends = _rows(
        running_hub,
        "SELECT run_id, outcome, measurement_count, error FROM {db}.run_ends FINAL"
        " WHERE session_id = {{s:String}}",
        s=station.session_id,
    )
    assert {(e["run_id"], e["outcome"], e["measurement_count"], e["error"]) for e in ends} == {
        (scan_run, "passed", 33, ""),  # det, motor, motor_setpoint at 11 points
        (count_run, "passed", 10, ""),  # det1, det2 at 5 points
    }

    scan_points = _points(running_hub, scan_run)
    _assert_points_match(scan_points, _expected(docs, scan_uid))
    assert [row["value"] for row in scan_points["motor"]] == pytest.approx(np.linspace(-1, 1, 11))
    count_points = _points(running_hub, count_run)
    _assert_points_match(count_points, _expected(docs, count_uid))
    assert {len(rows) for rows in count_points.values()} == {5}


def test_units_kinds_and_non_scalar_keys(running_hub: Hub, RE: RunEngine):
    temperature = DescribedSignal(lambda: 21.5, name="temperature", units="degC")
    photons = SynSignal(func=lambda: 7, name="photons")  # described as an integer
    shutter_open = DescribedSignal(lambda: True, name="shutter_open", dtype="boolean")
    laser = SynSignal(func=lambda: "locked", name="laser")  # described as a string
    spectrum = SynSignal(func=lambda: np.arange(3.0), name="spectrum")  # an array
    with _station(running_hub) as station:
        callback = BenchtrailCallback(station)
        RE.subscribe(callback)
        (uid,) = RE(count([temperature, photons, shutter_open, laser, spectrum], num=3))
        run_id = callback.runs[uid].run_id
    running_hub.wait_ingested()

    points = _points(running_hub, run_id)
    assert set(points) == {"temperature", "photons", "shutter_open", "laser"}
    assert {len(rows) for rows in points.values()} == {3}

    def column(name: str, *fields: str) -> set[tuple[Any, ...]]:
        return {tuple(row[f] for f in fields) for row in points[name]}

    assert column("temperature", "value", "unit", "value_kind") == {(21.5, "degC", "float")}
    assert column("photons", "value", "unit", "value_kind") == {(7.0, "", "int")}
    assert column("shutter_open", "value", "value_kind") == {(1.0, "bool")}
    assert column("laser", "value_str", "value_kind") == {("locked", "str")}
    assert column("temperature", "low", "high", "outcome") == {(None, None, "unset")}

    logs = _rows(
        running_hub,
        "SELECT payload FROM {db}.events FINAL WHERE session_id = {{s:String}} AND type = 'log'",
        s=station.session_id,
    )
    messages = [json.loads(row["payload"]) for row in logs]
    skipped = [m for m in messages if m["logger"] == LOGGER]
    assert len(skipped) == 1  # one log event per data key, not per point
    assert "'spectrum'" in skipped[0]["message"]
    assert "array of shape [3]" in skipped[0]["message"]
    assert skipped[0]["run_id"] == run_id


def test_a_plan_raising_gives_an_error_run_with_the_reason(running_hub: Hub, RE: RunEngine):
    def failing_plan() -> Iterator[Any]:
        yield from bps.open_run()
        yield from bps.trigger_and_read([det])
        raise RuntimeError("shutter closed")

    with _station(running_hub) as station:
        callback = BenchtrailCallback(station)
        RE.subscribe(callback)
        with pytest.raises(RuntimeError, match="shutter closed"):
            RE(failing_plan())
        [run] = callback.runs.values()
    running_hub.wait_ingested()

    [end] = _rows(
        running_hub,
        "SELECT outcome, error, measurement_count FROM {db}.run_ends FINAL"
        " WHERE run_id = {{r:String}}",
        r=run.run_id,
    )
    assert (end["outcome"], end["error"]) == ("error", "shutter closed")
    assert end["measurement_count"] == 1  # the point read before the plan failed
    assert [row["name"] for row in _points(running_hub, run.run_id)["det"]] == ["det"]


@pytest.mark.parametrize(
    ("flush_points", "flush_seconds", "batch_sizes"),
    [
        (4, 3600.0, [3, 4, 4]),  # every 4 points of a data key, the rest at stop
        (1000, 0.0, [1] * 11),  # every event's points at once
        (1000, 3600.0, [11]),  # all at stop
    ],
)
def test_points_are_recorded_every_n_points_and_at_stop(
    running_hub: Hub, RE: RunEngine, flush_points: int, flush_seconds: float, batch_sizes: list[int]
):
    with _station(running_hub) as station:
        callback = BenchtrailCallback(
            station, flush_points=flush_points, flush_seconds=flush_seconds
        )
        RE.subscribe(callback)
        (uid,) = RE(scan([det], motor, -1, 1, 11))
        run_id = callback.runs[uid].run_id
    running_hub.wait_ingested()

    batches = _rows(
        running_hub,
        "SELECT count() AS points FROM {db}.measurements FINAL"
        " WHERE run_id = {{r:String}} AND name = 'det' GROUP BY event_id",
        r=run_id,
    )
    assert sorted(b["points"] for b in batches) == batch_sizes


def test_a_run_replayed_as_event_pages_records_the_same_points(running_hub: Hub, RE: RunEngine):
    docs: list[Document] = []
    RE.subscribe(lambda name, doc: docs.append((name, doc)))
    (uid,) = RE(scan([det], motor, -1, 1, 11))
    events = [doc for name, doc in docs if name == "event"]
    replay = [(name, doc) for name, doc in docs if name != "event"]
    replay.insert(-1, ("event_page", pack_event_page(*events)))  # before the stop document

    with _station(running_hub) as station:
        callback = BenchtrailCallback(station)
        for name, doc in replay:
            callback(name, doc)
        run_id = callback.runs[uid].run_id
    running_hub.wait_ingested()

    _assert_points_match(_points(running_hub, run_id), _expected(docs, uid))
