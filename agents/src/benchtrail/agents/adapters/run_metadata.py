"""A framework's free-form metadata → a run's DUT/product fields and ``custom_metadata``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import TypedDict

from benchtrail.schemas import CustomValue

LIST_SEPARATOR = ", "
"""How a list of scalars is written as one ``custom_metadata`` text value."""


class RunFields(TypedDict, total=False):
    """The text fields of :meth:`benchtrail.agents.Station.run` an adapter may fill."""

    dut_serial: str
    part_number: str
    revision: str
    lot_number: str
    product_id: str
    product_name: str
    product_revision: str
    slot_id: str
    fixture_id: str
    test_phase: str
    project_name: str


RUN_FIELD_NAMES: frozenset[str] = frozenset(RunFields.__annotations__)
"""Metadata keys taken as run fields (when their value is text) rather than custom metadata."""


def run_fields(metadata: Mapping[str, object]) -> RunFields:
    """The run fields found in ``metadata``: keys named like a field, with a text value."""
    fields = RunFields()
    for key, value in metadata.items():
        if _is_run_field(key, value):
            fields[key] = value  # type: ignore[literal-required]  # key is a RunFields key
    return fields


def _is_run_field(key: str, value: object) -> bool:
    return key in RUN_FIELD_NAMES and isinstance(value, str) and bool(value)


def custom_metadata(
    metadata: Mapping[str, object], prefix: str = "", skip: frozenset[str] = frozenset()
) -> dict[str, CustomValue]:
    """Flatten metadata into ``custom_metadata`` values.

    Text, whole numbers, flags and finite numbers go as they are; nested mappings
    become dotted keys (``versions.bluesky``); lists of scalars become one text
    (``"det1, det2"``). Everything else (``None``, NaN, lists of mappings, objects)
    is left out, and so are the keys in ``skip`` and those taken by :func:`run_fields`.

    Args:
        metadata: the framework's metadata.
        prefix: put in front of every key (``"openhtf."``).
        skip: top-level keys to leave out.
    """
    flat: dict[str, CustomValue] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or key in skip or _is_run_field(key, value):
            continue
        _add(flat, prefix + key, value)
    return flat


def _add(flat: dict[str, CustomValue], key: str, value: object) -> None:
    scalar = custom_value(value)
    if scalar is not None:
        flat[key] = scalar
    elif isinstance(value, Mapping):
        for inner, item in value.items():
            if isinstance(inner, str) and inner:
                _add(flat, f"{key}.{inner}", item)
    elif isinstance(value, list | tuple) and value:
        items = [custom_value(item) for item in value]
        if all(item is not None for item in items):
            flat[key] = LIST_SEPARATOR.join(str(item) for item in items)


def custom_value(value: object) -> CustomValue | None:
    """``value`` as a ``custom_metadata`` value, or ``None`` when it is not a scalar."""
    if isinstance(value, str | bool):
        return value
    if isinstance(value, numbers.Integral):  # int, numpy integers
        return int(value)
    if isinstance(value, numbers.Real):  # float, numpy floats
        number = float(value)
        return number if math.isfinite(number) else None
    return None
