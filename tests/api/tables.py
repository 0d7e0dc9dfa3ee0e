"""Comparing the tabular formats' rows with the JSON answers."""

from __future__ import annotations

from datetime import datetime

import msgspec


def same_as_json(item: dict[str, object], row: dict[str, object]) -> None:
    """An Arrow row says what a JSON item says, field by field: JSON text where the
    table holds mappings as text, the same instant where it holds a timestamp."""
    assert list(row) == list(item)
    for name, said in item.items():
        got, value = row[name], said
        if isinstance(got, str) and isinstance(value, dict | list):
            got = msgspec.json.decode(got) if got else type(value)()  # "": none stored
        if isinstance(got, datetime):
            assert isinstance(said, str)
            value = datetime.fromisoformat(said)
        assert got == value, (item.get("run_id", item.get("session_id")), name, got, value)
