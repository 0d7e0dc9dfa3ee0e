"""Bluesky documents recorded as they are: their own times, true value kinds, structured metadata.

The tutorial plans run on ophyd.sim devices; what the API returns is compared with
the documents the RunEngine emitted (run start/stop times, each point's time,
kind and value, the start document's metadata).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from bluesky import RunEngine
from bluesky.plans import count, grid_scan, list_scan, rel_scan, scan
from ophyd.sim import SynSignal, det, det4, motor, motor1, motor2

from benchtrail.agents import connect
from benchtrail.agents.adapters.bluesky import LOGGER, BenchtrailCallback
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.models.entities import RunDetail

Document = tuple[str, dict[str, Any]]


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


def _replay(hub: Hub, docs: list[Document]) -> dict[str, RunDetail]:
    """Feed recorded documents to a callback (as from storage, later); the runs read back."""
    with connect("beamline-2", hub=hub.nats.url, session_type="observation") as station:
        callback = BenchtrailCallback(station)
        for name, doc in docs:
            callback(name, doc)
        run_ids = {uid: run.run_id for uid, run in callback.runs.items()}
    hub.wait_ingested()
    with EventStore(hub.api_url) as store:
        return {uid: store.run(run_id) for uid, run_id in run_ids.items()}


def _events(docs: list[Document], start_uid: str) -> list[dict[str, Any]]:
    descriptors = {
        d["uid"]: d for n, d in docs if n == "descriptor" and d["run_start"] == start_uid
    }
    return [d for n, d in docs if n == "event" and d["descriptor"] in descriptors]


TUTORIAL_PLANS = {
    "count": lambda: count([det], num=3),
    "scan": lambda: scan([det], motor, -1, 1, 5),
    "rel_scan": lambda: rel_scan([det], motor, -1, 1, 3),
    "list_scan": lambda: list_scan([det], motor, [1, 3, 5]),
    "grid_scan": lambda: grid_scan([det4], motor1, -1.5, 1.5, 3, motor2, -0.1, 0.1, 5),
}


@pytest.mark.parametrize("plan", sorted(TUTORIAL_PLANS))
def test_a_replayed_run_keeps_the_documents_times_and_values(
    running_hub: Hub, RE: RunEngine, plan: str
) -> None:
    docs: list[Document] = []
    (uid,) = RE(TUTORIAL_PLANS[plan](), lambda name, doc: docs.append((name, doc)))
    time.sleep(0.05)  # replayed later: the times must still be the documents'
    run = _replay(running_hub, docs)[uid]

    start = next(d for n, d in docs if n == "start")
    stop = next(d for n, d in docs if n == "stop")
    assert run.started_at_ns == _ns(start["time"])
    assert run.ended_at_ns == _ns(stop["time"])
    assert run.duration_ns == _ns(stop["time"]) - _ns(start["time"])
    assert run.outcome == "passed"

    expected = sorted(
        (_ns(event["timestamps"][key]), key, value)
        for event in _events(docs, uid)
        for key, value in event["data"].items()
    )
    stored = sorted((m.ts_ns, m.name, m.value) for m in run.measurements)
    assert [(ts, name) for ts, name, _ in stored] == [(ts, name) for ts, name, _ in expected]
    assert [value for *_, value in stored] == pytest.approx([v for *_, v in expected])


def test_an_integer_key_with_a_fraction_is_never_stored_as_int(
    running_hub: Hub, RE: RunEngine
) -> None:
    readings = [7, 7, 1.5, 2.25]  # read once before the run (to describe it), then per point
    photons = SynSignal(
        func=lambda: readings.pop(0) if len(readings) > 1 else readings[0], name="photons"
    )
    docs: list[Document] = []
    (uid,) = RE(count([photons], num=3), lambda name, doc: docs.append((name, doc)))
    [descriptor] = [d for n, d in docs if n == "descriptor"]
    assert descriptor["data_keys"]["photons"]["dtype"] == "integer"

    run = _replay(running_hub, docs)[uid]
    points = sorted((m.ts_ns, m.value, m.value_kind) for m in run.measurements)
    assert [(value, kind) for _, value, kind in points] == [
        (7.0, "int"),
        (1.5, "float"),
        (2.25, "float"),
    ]
    with EventStore(running_hub.api_url) as store:
        [warning] = store.logs(run.run_id, logger=LOGGER)
    assert "'photons'" in warning.message
    assert "descriptor says integer but a value is 1.5" in warning.message
    assert warning.level == "warning"


def test_start_metadata_is_kept_as_json_and_what_json_cannot_hold_is_a_warning(
    running_hub: Hub, RE: RunEngine
) -> None:
    docs: list[Document] = []
    (uid,) = RE(
        grid_scan([det4], motor1, -1.5, 1.5, 3, motor2, -0.1, 0.1, 5),
        lambda name, doc: docs.append((name, doc)),
        sample={"id": 42, "composition": "Si"},
        part_number=1234,
        operators=[{"name": "alice", "shift": 1}, {"name": "bob", "shift": 2}],
        note=None,
        max_dose=math.inf,
    )
    start = json.loads(json.dumps(next(d for n, d in docs if n == "start")))  # tuples → lists
    assert start["shape"] == [3, 5]
    run = _replay(running_hub, docs)[uid]

    assert run.dut_serial == "42"
    assert run.dut_part_number == "1234"
    assert run.custom_metadata["sample.composition"] == "Si"
    structured = run.structured_metadata
    assert structured["shape"] == [3, 5]
    assert structured["extents"] == start["extents"]  # a list of lists
    assert structured["operators"] == [{"name": "alice", "shift": 1}, {"name": "bob", "shift": 2}]
    assert structured["note"] is None
    assert structured["detectors"] == ["det4"]
    assert structured["plan_pattern_args.args"] == start["plan_pattern_args"]["args"]
    assert "max_dose" not in structured and "max_dose" not in run.custom_metadata

    with EventStore(running_hub.api_url) as store:
        warnings = store.logs(run.run_id, logger=LOGGER, level="warning")
    [dose] = [w for w in warnings if "'max_dose'" in w.message]
    assert "inf is not a finite number" in dose.message
    assert dose.at_ns == _ns(start["time"])  # the start document's time
