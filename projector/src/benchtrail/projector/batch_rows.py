"""``measurement.batch`` events → ``measurements`` columns, many events at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from benchtrail.projector.table_model import STR, TS, ArrowArray, Columns
from benchtrail.projector.validation import measurement_rows
from benchtrail.schemas import MeasurementBatch

__all__ = ["measurement_batches"]

_OUTCOMES = pa.array(["unset", "passed", "failed"], STR)


def _repeat(text: str, n: int) -> ArrowArray:
    """A dictionary-encoded column holding ``text`` n times (no per-row objects)."""
    return pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int32), [text])


def measurement_batches(events: list[MeasurementBatch], seqs: list[int]) -> list[Columns]:
    """Every point of every batch event as one set of columns, built by numpy.

    Per-event text (ids, unit, step) is dictionary-encoded once per batch of
    events and repeated to the points by index, so the cost per point is that of
    copying its value and timestamp; no per-event Arrow arrays to concatenate or
    dictionaries to unify.
    """
    counts = np.fromiter((measurement_rows(b) for b in events), np.int64, len(events))
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(events), dtype=np.int32), counts)
    starts = np.cumsum(counts) - counts
    values = _concat_f64([_batch_values(b) for b in events], total)
    low = pa.array([b.low for b in events], pa.float64())
    high = pa.array([b.high for b in events], pa.float64())
    return [
        {
            "station_id": _per_event([b.station_id for b in events], owner),
            "session_id": _per_event([b.session_id for b in events], owner),
            "run_id": _per_event([b.run_id for b in events], owner),
            "name": _per_point_text(events, owner, lambda b: b.names, lambda b: b.name),
            "ts": pa.array(_concat_i64([b.timestamps_ns for b in events], total)).view(TS),
            "value": pa.array(values),
            "value_str": _per_point_text(
                events, owner, lambda b: b.texts if b.kind == "str" else [], lambda b: ""
            ),
            "value_kind": _per_event([b.kind for b in events], owner),
            "unit": _per_event([b.unit for b in events], owner),
            "low": _take(low, owner),
            "high": _take(high, owner),
            "outcome": _batch_outcomes(values, low, high, owner),
            "step": _per_event([b.step for b in events], owner),
            "event_id": _per_event([b.event_id for b in events], owner),
            "point_index": pa.array((np.arange(total) - starts[owner]).astype(np.uint32)),
            "stream_seq": pa.array(np.asarray(seqs, dtype=np.uint64)[owner]),
            "description": _repeat("", total),
            "marginal_low": pa.nulls(total, pa.float64()),
            "marginal_high": pa.nulls(total, pa.float64()),
            "marginal": pa.array(np.zeros(total, dtype=bool)),
        }
    ]


def _take(limits: ArrowArray, owner: npt.NDArray[np.int32]) -> ArrowArray:
    """A per-event limit repeated to its points (nulls stay null)."""
    if limits.null_count == len(limits):
        return pa.nulls(len(owner), pa.float64())
    return limits.take(owner)


def _batch_values(b: MeasurementBatch) -> Sequence[float] | npt.NDArray[np.float64]:
    """A batch's numbers (NaN for each point of a ``str`` batch)."""
    return np.full(len(b.texts), np.nan) if b.kind == "str" else b.values


def _concat_f64(
    parts: list[Sequence[float] | npt.NDArray[np.float64]], total: int
) -> npt.NDArray[np.float64]:
    out = np.empty(total, dtype=np.float64)
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def _concat_i64(parts: list[list[int]], total: int) -> npt.NDArray[np.int64]:
    out = np.empty(total, dtype=np.int64)
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def _per_event(texts: list[str], owner: npt.NDArray[np.int32]) -> ArrowArray:
    """One text per event, repeated to its points: a dictionary column (one entry per distinct)."""
    encoded = pa.array(texts, STR).dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return pa.DictionaryArray.from_arrays(codes[owner], encoded.dictionary)


def _per_point_text(
    events: list[MeasurementBatch],
    owner: npt.NDArray[np.int32],
    each: Callable[[MeasurementBatch], list[str]],
    whole: Callable[[MeasurementBatch], str],
) -> ArrowArray:
    """A text column given per point (``each``, when not empty) or per event (``whole``)."""
    if not any(each(b) for b in events):
        return _per_event([whole(b) for b in events], owner)
    texts: list[str] = []
    for b, n in zip(events, np.bincount(owner, minlength=len(events)), strict=True):
        texts.extend(each(b) or [whole(b)] * int(n))
    return pa.array(texts, STR).dictionary_encode()


def _batch_outcomes(
    values: npt.NDArray[np.float64],
    low: ArrowArray,
    high: ArrowArray,
    owner: npt.NDArray[np.int32],
) -> ArrowArray:
    """Per-point verdicts of batches, computed in bulk (NaN fails any limit)."""
    lows = low.fill_null(-np.inf).to_numpy()
    highs = high.fill_null(np.inf).to_numpy()
    limited = (low.is_valid().to_numpy(zero_copy_only=False)) | (
        high.is_valid().to_numpy(zero_copy_only=False)
    )
    if not limited.any():
        return pa.DictionaryArray.from_arrays(np.zeros(len(values), dtype=np.int32), _OUTCOMES)
    inside = (values >= lows[owner]) & (values <= highs[owner])
    codes = np.where(inside, 1, 2).astype(np.int32)
    if not limited.all():
        codes[~limited[owner]] = 0
    return pa.DictionaryArray.from_arrays(codes, _OUTCOMES)
