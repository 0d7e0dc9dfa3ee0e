"""Dimensioned measurements built by hand: the projector refuses what the station refuses."""

from __future__ import annotations

import msgspec
import pytest

from benchtrail.agents import InvalidMeasurement
from benchtrail.agents.measurement_tables import check_table
from benchtrail.projector.frames import check_frame
from benchtrail.projector.validation import EVENT_CODES
from benchtrail.schemas import (
    MAX_AXES,
    MAX_AXIS_NAME,
    MAX_TABLE_POINTS,
    Axis,
    MeasurementTable,
    new_id,
)

from .conftest import T0, Session


def _table(session: Session, **changes: object) -> dict[str, object]:
    event = MeasurementTable(
        **session.envelope(),
        run_id=session.run_id,
        name="iv",
        table_id=new_id(),
        axes=[
            Axis(name="V", unit="V", values=[1.0, 2.0]),
            Axis(name="I", unit="A", values=[0.1, 0.2]),
        ],
        point_count=2,
    )
    return {**msgspec.to_builtins(event), **changes}


def _axes(*specs: tuple[str, list[float]]) -> list[dict[str, object]]:
    return [{"name": name, "unit": "", "values": values} for name, values in specs]


BAD_TABLES = {
    "blank name": ({"name": " "}, "bad-name"),
    "no axis": ({"axes": []}, "empty-batch"),
    "no point": ({"axes": _axes(("V", [])), "point_count": 0}, "empty-batch"),
    "axes of different lengths": (
        {"axes": _axes(("V", [1.0, 2.0]), ("I", [0.1]))},
        "misaligned-batch",
    ),
    "repeated axis name": ({"axes": _axes(("V", [1.0]), ("V", [2.0]))}, "bad-name"),
    "blank axis name": ({"axes": _axes(("V", [1.0]), ("  ", [2.0]))}, "bad-name"),
    "axis name too long": ({"axes": _axes(("x" * (MAX_AXIS_NAME + 1), [1.0]))}, "invalid-event"),
    "NaN on an axis": ({"axes": _axes(("V", [float("nan")]))}, "non-finite"),
    "too many axes": (
        {"axes": _axes(*((f"a{i}", [1.0]) for i in range(MAX_AXES + 1)))},
        "out-of-range",
    ),
    "dimensions above the axes": ({"dimensions": 3}, "out-of-range"),
    "part beyond the point count": ({"first_point": 1, "point_count": 2}, "out-of-range"),
    "too many points": ({"point_count": MAX_TABLE_POINTS + 1}, "out-of-range"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_a_bad_dimensioned_measurement_is_refused_with_its_code(session: Session, case: str):
    changes, code = BAD_TABLES[case]
    good, bad = _table(session), _table(session, **changes)
    frame = check_frame(session.subject, msgspec.msgpack.encode([good, bad]), now_ns=T0)

    assert [event.seq for event in frame.events] == [good["seq"]]
    [rejected] = frame.rejected
    assert (rejected.index, rejected.code) == (1, code), rejected.detail
    assert code in EVENT_CODES


REFUSED_AT_THE_CALL = {
    "no axis": ({}, 1, "at least one axis"),
    "too many axes": ({f"a{i}": [1.0] for i in range(MAX_AXES + 1)}, 1, f"at most {MAX_AXES}"),
    "blank axis name": ({" ": [1.0]}, 1, "axis names must be non-empty"),
    "axis name too long": ({"x" * (MAX_AXIS_NAME + 1): [1.0]}, 1, f"longer than {MAX_AXIS_NAME}"),
    "unit too long": ({"V": ([1.0], "u" * 65)}, 1, "unit must be text of at most 64"),
    "text values": ({"V": ["high"]}, 1, "values must be numbers"),
    "NaN": ({"V": [1.0, float("nan")]}, 1, "value 1 is nan"),
    "2-D values": ({"V": [[1.0, 2.0]]}, 1, "1-dimensional"),
    "different lengths": ({"V": [1.0, 2.0], "I": [0.1]}, 1, "axes of different lengths"),
    "no point": ({"V": []}, 1, "at least one point"),
    "dimensions above the axes": ({"V": [1.0]}, 2, "dimensions 2 is outside [0, 1]"),
}


@pytest.mark.parametrize("case", list(REFUSED_AT_THE_CALL))
def test_the_station_refuses_a_bad_dimensioned_measurement_naming_the_problem(case: str):
    columns, dimensions, message = REFUSED_AT_THE_CALL[case]
    with pytest.raises(InvalidMeasurement, match="measurement 'iv'") as refused:
        check_table("iv", columns, dimensions, "unset")
    assert message in str(refused.value)


def test_the_station_refuses_more_points_than_a_measurement_may_hold():
    with pytest.raises(InvalidMeasurement, match=f"at most {MAX_TABLE_POINTS}"):
        check_table("iv", {"t": [0.0] * (MAX_TABLE_POINTS + 1)}, 1, "unset")
    assert len(check_table("iv", {"t": [0.0] * MAX_TABLE_POINTS}, 1, "unset")[0].values) == (
        MAX_TABLE_POINTS
    )
