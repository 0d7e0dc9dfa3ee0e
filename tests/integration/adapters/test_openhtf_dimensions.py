"""OpenHTF's own dimensioned examples arrive as tables: axis names, units and exact values.

The phases are OpenHTF's (``openhtf_examples.py``); what is stored is compared
with OpenHTF's own JSON form of the record (``convert_to_base_types``), field by field.
"""

from __future__ import annotations

from typing import Any

import openhtf as htf
import pytest
from openhtf.util import configuration, data

from benchtrail.agents import connect
from benchtrail.agents.adapters.openhtf import BenchtrailOutput
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub

from .openhtf_examples import dimensions, multdim_measurements


def _run_examples(hub: Hub) -> tuple[str, dict[str, Any]]:
    """Run both example phases through the callback; the run id and OpenHTF's own JSON."""
    records: list[Any] = []
    test = htf.Test(multdim_measurements, dimensions, test_name="dims")
    with connect("bench-3", hub=hub.nats.url) as station:
        output = BenchtrailOutput(station)
        test.add_output_callbacks(records.append, output)
        configuration.CONF.save_and_restore(station_id="htf-bench-3")(test.execute)(
            test_start=lambda: "SN-DIMS"
        )
        assert output.last_run is not None
        run_id = output.last_run.run_id
    hub.wait_ingested()
    own = data.convert_to_base_types(records[0])
    measured = {name: m for phase in own["phases"] for name, m in phase["measurements"].items()}
    return run_id, measured


def _expected_columns(own: dict[str, Any]) -> list[tuple[str, str, list[float]]]:
    """OpenHTF's columns: each dimension's name and suffix, then the value's (or 'value')."""
    labels = [(d["name"], d["suffix"] or "") for d in own["dimensions"]]
    unit = own.get("units")
    labels.append((unit["name"], unit["suffix"] or "") if unit else ("value", ""))
    rows = own["measured_value"]
    return [
        (name, suffix, [float(row[i]) for row in rows]) for i, (name, suffix) in enumerate(labels)
    ]


def test_openhtf_dimensioned_examples_arrive_with_axes_units_and_exact_values(
    running_hub: Hub, request: pytest.FixtureRequest
):
    run_id, own = _run_examples(running_hub)
    store = EventStore(running_hub.api_url)
    request.addfinalizer(store.close)

    listed = {t.name: t for t in store.measurement_tables(run_id).items}
    assert set(listed) == {"power_time_series", "dimensions", "lots_of_dims"}
    power = listed["power_time_series"]
    assert [(a.name, a.unit) for a in power.axes] == [
        ("ms", "ms"),
        ("V", "V"),
        ("A", "A"),
        ("value", ""),
    ]
    assert (power.dimensions, power.point_count, power.points_received) == (3, 10, 10)
    assert power.step == "multdim_measurements"
    lots = listed["lots_of_dims"]
    assert [(a.name, a.unit) for a in lots.axes] == [
        ("hertz", "Hz"),
        ("second [unit of time]", "s"),
        ("my_angle", "rad"),
        ("value", ""),
    ]

    for name in ("power_time_series", "dimensions", "lots_of_dims"):
        table = store.measurement_table(run_id, name)
        stored = [(c.name, c.unit, c.values) for c in table.columns]
        assert stored == _expected_columns(own[name]), name
    lots_table = store.measurement_table(run_id, "lots_of_dims")
    assert [c.values for c in lots_table.columns] == [
        [1, 2, 3, 4],
        [21, 22, 23, 24],
        [101, 102, 103, 104],
        [123, 126, 129, 132],
    ]

    # No longer flattened into a JSON text row with unit '': only the scalars are points.
    names = {m.name for m in store.run(run_id).measurements}
    assert names == {"average_voltage", "average_current", "resistance"}
