"""run.measure() points travel as ``measurement.series`` events: few bytes, every seq kept."""

from __future__ import annotations

import pytest

from benchtrail.agents import InvalidMeasurement, connect
from benchtrail.agents.publishing import PublisherSettings
from benchtrail.schemas import Log, Measurement, MeasurementSeries, RunEnded


def test_consecutive_points_travel_as_one_series_and_read_back_as_measurements(hub, read_stream):
    # A frame is also cut when it is older than the linger (5 ms by default): a pause of the
    # machine in the loop split the series once in CI. Here the series ends at the log event.
    settings = PublisherSettings(linger=60.0)
    with (
        connect("cell-7", hub=hub, publisher_settings=settings) as station,
        station.run(dut_serial="SN-1") as run,
    ):
        for i in range(300):
            run.measure("vout", 5.0 + (i % 100) * 1e-3, unit="V", low=4.9, high=5.1)
        station.log("halfway")
        assert run.measure("vout", 9.0, unit="V", low=4.9, high=5.1) == "failed"

    landed = read_stream(hub)
    series = [e for e in landed.wire if isinstance(e, MeasurementSeries)]
    assert [s.point_count for s in series] == [300, 1]
    assert series[0].names == ["vout"] and series[0].lows == [4.9]  # sent once, not 300 times
    measurements = [e for e in landed.events if isinstance(e, Measurement)]
    assert len(measurements) == 301
    assert [e.seq for e in landed.events] == list(range(1, len(landed.events) + 1))
    assert isinstance(landed.events[302], Log)  # started, run started, 300 points, then the log
    assert measurements[-1].outcome == "failed"
    ended = next(e for e in landed.events if isinstance(e, RunEnded))
    assert (ended.measurement_count, ended.failed_measurement_count) == (301, 1)


@pytest.mark.parametrize(
    ("value", "low", "high", "words"),
    [
        (float("nan"), None, None, "value must be finite, got nan"),
        (1.0, float("inf"), None, "low limit must be finite, got inf"),
        (1.0, 5.0, 1.0, "low limit 5.0 is above high limit 1.0"),
        ([1], None, None, "value must be a number, bool or str, got list [1]"),
        ("x" * 70_000, None, None, "text value longer than"),
    ],
)
def test_a_bad_point_is_refused_at_the_call_naming_the_bad_value(hub, value, low, high, words):
    with connect("cell-7", hub=hub) as station, station.run() as run:
        with pytest.raises(InvalidMeasurement, match=words.replace("[", r"\[").replace("]", r"\]")):
            run.measure("vout", value, low=low, high=high)
        assert run.measurement_count == 0
