"""A framework's free-form metadata → a run's DUT/product fields and its metadata.

Scalars go to ``custom_metadata`` (nested mappings as dotted keys:
``versions.bluesky``); everything else JSON can hold (lists, lists of lists or of
mappings, ``None``) goes to ``structured_metadata`` as it is; what JSON cannot
hold (``inf``, NaN, objects) is reported, so the adapter records a warning
rather than dropping it silently.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

import msgspec
import numpy as np

from benchtrail.agents.validation import json_problem
from benchtrail.schemas import MAX_STRUCTURED_METADATA, CustomValue

_json = msgspec.json.Encoder()


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
"""Metadata keys taken as run fields (when their value is text or a whole number)."""


def run_fields(metadata: Mapping[str, object]) -> RunFields:
    """The run fields found in ``metadata``: keys named like a field, with a text or int value."""
    fields = RunFields()
    for key, value in metadata.items():
        text = _field_text(key, value)
        if text:
            fields[key] = text  # type: ignore[literal-required]  # key is a RunFields key
    return fields


def id_text(value: object) -> str:
    """An identifier as text: text as it is, a whole number (``42``) as its digits, else ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    return ""


def _field_text(key: object, value: object) -> str:
    return id_text(value) if key in RUN_FIELD_NAMES else ""


@dataclass
class SplitMetadata:
    """Metadata sorted into what a run can keep, and what it could not.

    Attributes:
        custom: scalars (``custom_metadata``), nested mappings as dotted keys.
        structured: lists and ``None`` as JSON values (``structured_metadata``).
        problems: ``(key, why)`` of each value that could not be kept.
    """

    custom: dict[str, CustomValue] = field(default_factory=dict)
    structured: dict[str, object] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


def split_metadata(
    metadata: Mapping[str, object], prefix: str = "", skip: frozenset[str] = frozenset()
) -> SplitMetadata:
    """Sort metadata into ``custom_metadata`` scalars and ``structured_metadata`` JSON values.

    Args:
        metadata: the framework's metadata.
        prefix: put in front of every key (``"openhtf."``).
        skip: top-level keys to leave out (besides those taken by :func:`run_fields`).
    """
    split = SplitMetadata()
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or key in skip or _field_text(key, value):
            continue
        problem = json_problem({key: None})
        if problem is not None:
            split.problems.append((_excerpt(key), f"its key is not {problem[0]}"))
            continue
        _add(split, prefix + key, value)
    return split


def _add(split: SplitMetadata, key: str, value: object) -> None:
    scalar = custom_value(value)
    if scalar is not None:
        split.custom[key] = scalar
    elif isinstance(value, Mapping):
        for inner, item in value.items():
            if isinstance(inner, str) and inner:
                _add(split, f"{key}.{inner}", item)
            else:
                split.problems.append((key, f"its key {inner!r} is not text"))
    else:
        plain = value.tolist() if isinstance(value, np.ndarray) else value
        problem = json_problem(plain)
        if problem is None:
            split.structured[key] = plain
        else:
            expected, found = problem
            split.problems.append((key, f"{_excerpt(found)} is not {expected}"))


def custom_value(value: object) -> CustomValue | None:
    """``value`` as a ``custom_metadata`` value, or ``None`` when it is not a finite scalar."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if json_problem(value) is None else None  # lone surrogates: not UTF-8
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):  # int, numpy integers
        return int(value)
    if isinstance(value, numbers.Real):  # float, numpy floats
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _excerpt(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fit_structured(split: SplitMetadata) -> None:
    """Leave out the largest structured values until the rest fits in one run's bound.

    Each value left out is added to ``split.problems``.
    """
    encoded = {key: len(_json.encode(value)) for key, value in split.structured.items()}
    total = sum(encoded.values()) + 4 * len(encoded) + 2  # quotes, colons, commas, braces
    total += sum(len(key) for key in encoded)
    for key in sorted(encoded, key=encoded.__getitem__, reverse=True):
        if total <= MAX_STRUCTURED_METADATA:
            return
        del split.structured[key]
        total -= encoded[key] + len(key) + 4
        split.problems.append(
            (
                key,
                f"its JSON ({encoded[key]} characters) does not fit the run's "
                f"{MAX_STRUCTURED_METADATA} characters of structured metadata",
            )
        )


def metadata_warnings(split: SplitMetadata, source: str) -> list[str]:
    """One warning message per value of ``split`` that could not be kept."""
    return [f"{source} metadata {key!r} not recorded: {why}" for key, why in split.problems]
