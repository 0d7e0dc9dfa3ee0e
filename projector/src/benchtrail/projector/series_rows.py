"""Consecutive single measurements (``measurement.series``): the projector's rules and rows.

A series is N ``measurement`` events in columns; its rows of ``measurements`` are
exactly the rows those events give one by one (event id, time, value and kind, limits,
verdict, ``point_index`` 0), built with numpy and Arrow per column instead of per event.
The points' event ids are counted up from the series' id in numpy and written as
UUID text straight into an Arrow string buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from benchtrail.projector.table_model import STR, TS, ArrowArray, Columns
from benchtrail.schemas import (
    MAX_SERIES_POINTS,
    SERIES_COLUMNS,
    MeasurementSeries,
    is_blank,
    series_id_parts,
)

Problem = tuple[str, str]
T = TypeVar("T")
U64: Final = 2**64 - 1
_HEX: Final = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SHIFTS: Final = np.arange(60, -4, -4, dtype=np.uint64)
"""Bit shifts of the 16 hex digits of a 64-bit number, most significant first."""
_ID_CHARS: Final = 36


def series_problem(series: MeasurementSeries) -> Problem | None:
    """The first rule a ``measurement.series`` breaks (times aside), or ``None``."""
    label = f"measurement.series seq {series.seq}"
    count = series.point_count
    if not count:
        return "empty-batch", f"{label} has no points"
    if count > MAX_SERIES_POINTS:
        return "out-of-range", f"{label} has {count} points (at most {MAX_SERIES_POINTS})"
    lengths = {name: len(getattr(series, name)) for name in SERIES_COLUMNS}
    if (
        len(series.values) != count
        or len(series.texts) not in (0, count)
        or any(length not in (1, count) for length in lengths.values())
    ):
        return "misaligned-batch", (
            f"{label} has {count} times, {len(series.values)} values, {len(series.texts)} "
            f"texts and columns of {lengths} (each of 1 or {count})"
        )
    if series.occurred_at != series.occurred_at_ns[0]:
        return "misaligned-batch", f"{label} occurred_at is not its first point's time"
    if series.seq + count - 1 > U64:
        return "out-of-range", f"{label} with {count} points runs past seq {U64}"
    if series_id_parts(series.event_id, count) is None:
        return "invalid-event", f"{label} event_id {series.event_id!r} has no room for {count} ids"
    if any(is_blank(name) for name in set(series.names)):
        return "bad-name", f"{label} has a blank name"
    return _texts_problem(series, label) or _limits_problem(series, label)


def _texts_problem(series: MeasurementSeries, label: str) -> Problem | None:
    if not series.texts:
        if "str" in series.kinds:
            return "misaligned-batch", f"{label} has text points but no texts"
        return None
    kinds = _full(series.kinds, series.point_count)
    for index, (kind, text) in enumerate(zip(kinds, series.texts, strict=True)):
        if kind != "str" and text:
            return "misaligned-batch", f"{label} point {index} of kind {kind!r} has a text"
    return None


def _limits_problem(series: MeasurementSeries, label: str) -> Problem | None:
    count = 1 if len(series.lows) == len(series.highs) == 1 else series.point_count
    lows, highs = _full(series.lows, count), _full(series.highs, count)
    # Compared in numpy (a missing limit is NaN, never above or below anything).
    above = np.flatnonzero(np.asarray(lows, dtype=np.float64) > np.asarray(highs, dtype=np.float64))
    if not len(above):
        return None
    index = int(above[0])
    return "bad-limits", (
        f"{label} point {index} (seq {series.seq + index}): low limit {lows[index]!r} is "
        f"above high limit {highs[index]!r}"
    )


def _full(column: Sequence[T], count: int) -> Sequence[T]:
    return column if len(column) == count else [column[0]] * count


def series_rows(events: list[MeasurementSeries], seqs: list[int]) -> tuple[Columns, list[Columns]]:
    """The ``measurements`` rows and the ``measurement_events`` envelopes of every series.

    Points as one chunk of columns, not one per series: an insert of many small record
    batches costs chDB several times what one of the same rows does. Columns both
    tables hold (event ids, sessions, stations, runs, names, times) are built once.

    Envelopes: one row per series whose points share a run (a sweep, a test's loop of
    ``measure()`` calls, whatever their names): it stands for its ``more_events`` + 1
    measurement events (seq and id counted up, each one's time in ``point_times``),
    which readers expand (:func:`benchtrail.api.queries.measurement_events.event_log`);
    each event's name is its point's. A series whose points change run gets one
    envelope per point, as single events do (an envelope names one run). Writing one
    row per point cost the projector a third of its time per point.
    """
    counts = [series.point_count for series in events]
    n = sum(counts)
    pairs = list(zip(events, counts, strict=True))

    def texts(name: str) -> ArrowArray:
        return _text_column([getattr(series, name) for series in events], counts)

    def floats(name: str) -> ArrowArray:
        return pa.concat_arrays([_float_column(getattr(s, name), c) for s, c in pairs])

    event_ids = pa.concat_arrays([series_event_id_array(s.event_id, c) for s, c in pairs])
    stream_seqs = pa.array(np.repeat(np.asarray(seqs, dtype=np.uint64), counts))
    shared = {
        "station_id": _text_column([[s.station_id] for s in events], counts),
        "session_id": _text_column([[s.session_id] for s in events], counts),
        "run_id": texts("run_ids"),
        "name": texts("names"),
        "stream_seq": stream_seqs,
    }
    stamps = [series_occurred_at_ns(s) for s in events]
    times = pa.array(np.concatenate(stamps)).view(TS)
    points: Columns = {
        **shared,
        "ts": times,
        "value": pa.array(np.concatenate([_values(s) for s in events])),
        "value_str": _text_column([s.texts or [""] for s in events], counts),
        "value_kind": texts("kinds"),
        "unit": texts("units"),
        "low": floats("lows"),
        "high": floats("highs"),
        "outcome": texts("outcomes"),
        "step": texts("steps"),
        # Every point is an event of its own: a dictionary of all the ids, in order (no
        # hashing; the write sends such a column as plain text, see plain_when_unique).
        "event_id": pa.DictionaryArray.from_arrays(np.arange(n, dtype=np.int32), event_ids),
        "point_index": pa.array(np.zeros(n, dtype=np.uint32)),
        "description": _text_column([[""]], [n]),
        "marginal_low": pa.nulls(n, pa.float64()),
        "marginal_high": pa.nulls(n, pa.float64()),
        "marginal": pa.array(np.zeros(n, dtype=bool)),
    }
    compact = np.asarray([len(s.run_ids) == 1 for s in events])
    envelopes: list[Columns] = []
    if compact.any():
        envelopes.append(_compact_envelopes(events, seqs, counts, stamps, compact))
    if not compact.all():
        per_point = np.repeat(~compact, counts)
        columns = {**shared, "event_id": event_ids, "occurred_at": times}
        chosen = {name: _take(column, per_point) for name, column in columns.items()}
        loose = [(s, c) for s, c, keep in zip(events, counts, compact, strict=True) if not keep]
        envelopes.append(_point_envelopes(loose, chosen))
    return points, envelopes


def _compact_envelopes(
    events: list[MeasurementSeries],
    seqs: list[int],
    counts: list[int],
    all_stamps: list[npt.NDArray[np.int64]],
    compact: npt.NDArray[np.bool_],
) -> Columns:
    """One envelope per series of ``events`` marked in ``compact`` (``all_stamps``: each
    series' point times)."""
    chosen = [
        (series, seq, count)
        for series, seq, count, keep in zip(events, seqs, counts, compact, strict=True)
        if keep
    ]
    rows = len(chosen)
    stamps = [at for at, keep in zip(all_stamps, compact, strict=True) if keep]
    times = [at if len(at) > 1 else at[:0] for at in stamps]  # one event: its occurred_at
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum([len(at) for at in times], out=offsets[1:])
    flat = pa.array(np.concatenate(times)).view(TS)
    ones = [1] * rows
    return {
        "event_id": pa.array([series.event_id for series, _, _ in chosen], STR),
        "session_id": _text_column([[series.session_id] for series, _, _ in chosen], ones),
        "station_id": _text_column([[series.station_id] for series, _, _ in chosen], ones),
        "seq": pa.array([series.seq for series, _, _ in chosen], pa.uint64()),
        "type": _text_column([["measurement"]], [rows]),
        "occurred_at": pa.array(
            [series.occurred_at_ns[0] for series, _, _ in chosen], pa.int64()
        ).view(TS),
        "schema_version": pa.array([s.schema_version for s, _, _ in chosen], pa.uint16()),
        "run_id": _text_column([series.run_ids for series, _, _ in chosen], ones),
        # the series' name when its points share one, else "" (each point has its own)
        "name": _text_column([s.names if len(s.names) == 1 else [""] for s, _, _ in chosen], ones),
        "per_point_names": pa.array(np.zeros(rows, dtype=bool)),
        "stream_seq": pa.array([seq for _, seq, _ in chosen], pa.uint64()),
        "more_events": pa.array(np.asarray(counts, dtype=np.uint32)[compact] - 1),
        "point_times": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat),
        "last_at": pa.array(np.asarray([at.max() for at in stamps], np.int64)).view(TS),
    }


def _point_envelopes(
    loose: list[tuple[MeasurementSeries, int]], chosen: dict[str, ArrowArray]
) -> Columns:
    """The envelope each point's ``measurement`` event would have had (id, seq, time), so
    a reader rebuilds each point as the single event it stands for."""
    n = sum(count for _, count in loose)
    versions = np.repeat([series.schema_version for series, _ in loose], [c for _, c in loose])
    seqs = [series.seq + np.arange(count, dtype=np.uint64) for series, count in loose]
    return {
        **chosen,
        "last_at": chosen["occurred_at"],
        "seq": pa.array(np.concatenate(seqs)),
        "type": _text_column([["measurement"]], [n]),
        "schema_version": pa.array(versions, pa.uint16()),
        "per_point_names": pa.array(np.zeros(n, dtype=bool)),
        "more_events": pa.array(np.zeros(n, dtype=np.uint32)),
        "point_times": pa.ListArray.from_arrays(
            pa.array(np.zeros(n + 1, dtype=np.int32), pa.int32()), pa.array([], pa.int64()).view(TS)
        ),
    }


def _take(column: Sequence[object] | ArrowArray, keep: npt.NDArray[np.bool_]) -> ArrowArray:
    """The rows of an Arrow column where ``keep`` holds."""
    assert isinstance(column, pa.Array)
    return column.filter(pa.array(keep))


def series_occurred_at_ns(series: MeasurementSeries) -> npt.NDArray[np.int64]:
    """Each point's ``occurred_at``."""
    return np.asarray(series.occurred_at_ns, dtype=np.int64)


def _values(series: MeasurementSeries) -> npt.NDArray[np.float64]:
    """Each point's number; NaN for a text point (as a single ``measurement`` gives)."""
    kinds = series.kinds
    values = np.asarray(series.values, dtype=np.float64)
    if kinds == ["str"]:
        values[:] = np.nan
    elif len(kinds) > 1 and "str" in kinds:
        values[np.asarray(kinds) == "str"] = np.nan
    return values


def series_event_id_array(first: str, count: int) -> ArrowArray:
    """The points' event ids (``first`` counted up) as an Arrow string array, in bulk.

    The high 64 bits of every id are the first id's, so their text (the first 19
    characters) is shared; the low 64 bits are counted up in numpy and written as hex.
    """
    parts = series_id_parts(first, count)
    assert parts is not None, "series_problem() refused a series without room for its ids"
    low = np.uint64(parts[1]) + np.arange(count, dtype=np.uint64)
    digits = _HEX[((low[:, None] >> _SHIFTS[None, :]) & np.uint64(0xF)).astype(np.intp)]
    text = np.empty((count, _ID_CHARS), dtype=np.uint8)
    text[:, :19] = np.frombuffer(first[:19].encode(), dtype=np.uint8)
    text[:, 19:23] = digits[:, :4]
    text[:, 23] = ord("-")
    text[:, 24:] = digits[:, 4:]
    offsets = np.arange(0, (count + 1) * _ID_CHARS, _ID_CHARS, dtype=np.int32)
    return pa.Array.from_buffers(
        STR, count, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(text.tobytes())]
    )


def _text_column(columns: Sequence[Sequence[str]], counts: Sequence[int]) -> ArrowArray:
    """Text columns of several series as one dictionary-encoded array, one dictionary.

    Each column holds one value for all its points or one per point.
    """
    lookup: dict[str, int] = {}
    codes: list[npt.NDArray[np.int32]] = []
    for column, count in zip(columns, counts, strict=True):
        if len(column) == 1:
            codes.append(np.full(count, lookup.setdefault(column[0], len(lookup)), np.int32))
            continue
        local = pa.array(column, STR).dictionary_encode()
        texts = [str(text) for text in local.dictionary.to_pylist()]
        known = np.asarray([lookup.setdefault(text, len(lookup)) for text in texts], np.int32)
        codes.append(known[local.indices.to_numpy(zero_copy_only=False)])
    indices = np.concatenate(codes) if codes else np.zeros(0, np.int32)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(lookup), STR))


def _float_column(column: list[float | None], n: int) -> ArrowArray:
    if len(column) > 1:
        return pa.array(column, pa.float64())
    if column[0] is None:
        return pa.nulls(n, pa.float64())
    return pa.array(np.full(n, column[0], dtype=np.float64))
