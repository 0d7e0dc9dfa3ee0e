"""Adapters' metadata: every JSON value is kept (scalars flat, the rest as JSON), the rest named."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchtrail.agents import InvalidMetadata, connect
from benchtrail.agents.adapters.run_metadata import run_fields, split_metadata
from benchtrail.agents.validation import check_structured_metadata
from benchtrail.schemas import MAX_STRUCTURED_METADATA, RunStarted

UTF8 = st.characters(blacklist_categories=("Cs",))  # JSON text is UTF-8: no lone surrogates
KEYS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="."), min_size=1, max_size=8
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(UTF8, max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


def _rebuilt(custom: dict[str, object], structured: dict[str, object]) -> dict[str, object]:
    """The nested metadata again, from dotted keys."""
    rebuilt: dict[str, object] = {}
    for key, value in {**custom, **structured}.items():
        *path, last = key.split(".")
        node = rebuilt
        for part in path:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = value
    return rebuilt


@given(st.dictionaries(KEYS.filter(lambda k: k not in {"dut_serial", "part_number"}), JSON))
def test_every_json_value_is_kept_and_nothing_is_reported(metadata: dict[str, object]) -> None:
    split = split_metadata(metadata)
    assert split.problems == []
    empty_mappings = {k for k, v in metadata.items() if v == {}}
    expected = {k: v for k, v in metadata.items() if k not in empty_mappings}
    assert _rebuilt(split.custom, split.structured) == _strip_empty(expected)
    text = check_structured_metadata(split.structured)
    assert msgspec.json.decode(text or "{}") == split.structured


def _strip_empty(value: object) -> object:
    if isinstance(value, dict):
        stripped = {k: _strip_empty(v) for k, v in value.items()}
        return {k: v for k, v in stripped.items() if v != {}}
    return value


def test_what_json_cannot_hold_is_reported_by_key_never_dropped_silently() -> None:
    split = split_metadata(
        {
            "max_dose": math.inf,
            "extents": [[0, 1], [2, math.nan]],
            "plug": object(),
            "label": "\ud800",
            "ok": [1],
        }
    )
    reasons = dict(split.problems)
    assert set(reasons) == {"max_dose", "extents", "plug", "label"}
    assert "UTF-8" in reasons["label"]
    assert "inf is not a finite number" in reasons["max_dose"]
    assert "nan is not a finite number" in reasons["extents"]
    assert split.structured == {"ok": [1]}


def test_whole_number_ids_become_run_fields() -> None:
    assert run_fields({"part_number": 1234, "lot_number": True, "revision": "B"}) == {
        "part_number": "1234",
        "revision": "B",
    }


def test_structured_metadata_is_checked_at_the_call(hub, read_stream) -> None:
    with connect("cell-7", hub=hub) as station:
        with pytest.raises(
            InvalidMetadata, match=r"structured_metadata\['limits'\]: expected a finite"
        ):
            station.run(structured_metadata={"limits": [1.0, math.inf]})
        with pytest.raises(InvalidMetadata, match=f"at most {MAX_STRUCTURED_METADATA} characters"):
            station.run(structured_metadata={"blob": "x" * MAX_STRUCTURED_METADATA})
        with station.run(structured_metadata={"shape": [3, 5], "note": None}):
            pass
    [started] = [e for e in read_stream(hub).events if isinstance(e, RunStarted)]
    assert msgspec.json.decode(started.structured_metadata) == {"shape": [3, 5], "note": None}
