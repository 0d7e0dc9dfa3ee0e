"""A ``measure_batch``'s points: values, timestamps and names checked, and the events they fill."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from benchtrail.agents.errors import InvalidMeasurement
from benchtrail.agents.validation import check_name
from benchtrail.schemas import DAY_NS, MAX_FRAME_DAYS, now_ns

BATCH_CHUNK_POINTS = 20_000
"""Points per ``measurement.batch`` event; larger batches are split (a frame stays < 1 MB)."""

Numbers = Sequence[float] | npt.NDArray[np.floating] | npt.NDArray[np.integer]
Timestamps = Sequence[int] | npt.NDArray[np.integer]


def batch_values(label: str, values: Numbers) -> list[float]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidMeasurement(label, f"batch values must be numbers: {e}") from None
    if array.ndim != 1:
        raise InvalidMeasurement(label, f"batch values must be 1-dimensional, got {array.shape}")
    if len(array) == 0:
        raise InvalidMeasurement(label, "batch has no values")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InvalidMeasurement(
            label, f"batch values must be finite; value {bad} is {float(array[bad])!r}"
        )
    values_list: list[float] = array.tolist()
    return values_list


def batch_timestamps(
    label: str, count: int, timestamps_ns: Timestamps | None, interval_ns: int | None
) -> list[int]:
    if timestamps_ns is None:
        if interval_ns is None or interval_ns <= 0:
            raise InvalidMeasurement(
                label, "give timestamps_ns (one per value) or a positive interval_ns"
            )
        start = now_ns()
        stamps_list: list[int] = list(range(start, start + count * interval_ns, interval_ns))
        return stamps_list
    try:
        stamps = np.asarray(timestamps_ns, dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as e:
        raise InvalidMeasurement(label, f"timestamps_ns must be integers: {e}") from None
    if stamps.shape != (count,):
        raise InvalidMeasurement(
            label, f"{count} values but {stamps.size} timestamps: they must be aligned"
        )
    if stamps.min() < 0:
        raise InvalidMeasurement(label, "timestamps_ns must be ns since the epoch (>= 0)")
    result: list[int] = stamps.tolist()
    return result


def batch_chunks(stamps: list[int]) -> list[tuple[int, int]]:
    """Index ranges of the events a batch is recorded as.

    At most :data:`BATCH_CHUNK_POINTS` points each (a frame stays < 1 MB), and
    points of at most ``MAX_FRAME_DAYS - 1`` UTC days (the event's own
    ``occurred_at`` may add one), so that a backfill spanning months still
    travels in frames the hub accepts.
    """
    count = len(stamps)
    days = np.asarray(stamps, dtype=np.int64) // DAY_NS
    if np.unique(days).size < MAX_FRAME_DAYS:
        return [
            (start, min(start + BATCH_CHUNK_POINTS, count))
            for start in range(0, count, BATCH_CHUNK_POINTS)
        ]
    chunks: list[tuple[int, int]] = []
    start, seen = 0, set[int]()
    for index, day in enumerate(days.tolist()):
        full = index - start == BATCH_CHUNK_POINTS
        if full or (day not in seen and len(seen) == MAX_FRAME_DAYS - 1):
            chunks.append((start, index))
            start, seen = index, set()
        seen.add(day)
    chunks.append((start, count))
    return chunks


def batch_names(name: str | Sequence[str], count: int) -> list[str]:
    if isinstance(name, str):
        check_name(name)
        return []
    names = list(name)
    if len(names) != count:
        raise InvalidMeasurement("<per-point names>", f"{count} values but {len(names)} names")
    for each in set(names):
        check_name(each)
    return names
