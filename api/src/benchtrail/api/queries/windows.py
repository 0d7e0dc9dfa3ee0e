"""Questions about observation windows: their state, devices, files, topics and pages.

The window tables hold one row per event; the current state is the row of the
highest ``seq`` (``argMax(..., seq)``), per window, device or file. Tuples are
taken whole so a NULL inside one (a contribution without a range) is not skipped.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models.windows import (
    FileContent,
    FileView,
    TopicView,
    WindowDevice,
    WindowFile,
    WindowPage,
    WindowTopic,
    WindowView,
)
from benchtrail.api.queries._sql import Row, Where, with_times
from benchtrail.api.queries.cursors import Cursor, encode_cursor
from benchtrail.api.queries.file_contents import file_contents
from benchtrail.projector import Warehouse

CURSOR_KIND = "w"
"""Cursor kind of ``/api/windows``."""


class WindowFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of ``/api/windows``; ``None`` means any (the whole organisation)."""

    dataset_id: str | None = None
    project: str | None = None


def _live_windows(db: str, where: str) -> str:
    """Windows created and not deleted, one row each (``where`` filters the raw rows)."""
    return f"""
        SELECT window_id,
               argMaxIf((name, has_name), seq, sets_name) AS name_state,
               anyIf(project, action = 'created') AS project,
               toUnixTimestamp64Nano(minIf(at, action = 'created')) AS created_ns,
               argMinIf(by, seq, action = 'created') AS created_by
        FROM {db}.windows FINAL {where}
        GROUP BY window_id
        HAVING countIf(action = 'created') > 0 AND countIf(action = 'deleted') = 0
    """


def _contributions(db: str) -> str:
    """Current file contributions of ``{ids:Array(String)}``, joined with their files."""
    return f"""
        SELECT c.window_id AS window_id, c.file_id AS file_id,
               toUnixTimestamp64Nano(c.state.2) AS range_min_ns,
               toUnixTimestamp64Nano(c.state.3) AS range_max_ns,
               toUnixTimestamp64Nano(c.state.4) AS added_ns, c.state.5 AS added_by,
               f.dataset_id AS dataset_id, f.path AS path, f.media_type AS media_type,
               f.start_ns AS start_ns, f.end_ns AS end_ns,
               if(range_min_ns IS NULL OR range_max_ns IS NULL, f.start_ns, range_min_ns)
                   AS min_ns,
               if(range_min_ns IS NULL OR range_max_ns IS NULL, f.end_ns, range_max_ns)
                   AS max_ns,
               f.topic_ids AS topic_ids, f.topic_names AS topic_names,
               f.topic_start_ns AS topic_start_ns, f.topic_end_ns AS topic_end_ns
        FROM (
            SELECT window_id, file_id, argMax((added, range_min, range_max, at, by), seq) AS state
            FROM {db}.window_files FINAL WHERE window_id IN {{ids:Array(String)}}
            GROUP BY window_id, file_id HAVING state.1
        ) AS c
        INNER JOIN (
            SELECT file_id, dataset_id, path, media_type,
                   toUnixTimestamp64Nano(start_at) AS start_ns,
                   toUnixTimestamp64Nano(end_at) AS end_ns,
                   topic_ids, topic_names, topic_start_ns, topic_end_ns
            FROM {db}.files FINAL
            WHERE file_id IN (SELECT file_id FROM {db}.window_files
                              WHERE window_id IN {{ids:Array(String)}})
            LIMIT 1 BY file_id
        ) AS f ON f.file_id = c.file_id
    """


def window_views(warehouse: Warehouse, ids: list[str]) -> list[WindowView]:
    """The windows of ``ids`` that exist and are not deleted, in the order of ``ids``."""
    if not ids:
        return []
    db = warehouse.database
    parameters = {"ids": ids}
    states = warehouse.rows(_live_windows(db, "WHERE window_id IN {ids:Array(String)}"), parameters)
    extents = _by_window(
        warehouse.rows(
            f"""SELECT window_id, count() AS file_count, min(min_ns) AS min_timestamp_ns,
                       max(max_ns) AS max_timestamp_ns
                FROM ({_contributions(db)}) GROUP BY window_id""",
            parameters,
        )
    )
    devices = _by_window(
        warehouse.rows(
            f"""SELECT window_id, arraySort(groupArray(device_id)) AS device_ids FROM (
                    SELECT window_id, device_id, argMax(attached, seq) AS attached
                    FROM {db}.window_devices FINAL WHERE window_id IN {{ids:Array(String)}}
                    GROUP BY window_id, device_id HAVING attached
                ) GROUP BY window_id""",
            parameters,
        )
    )
    modified = _by_window(_modifications(warehouse, ids))
    by_id = {row["window_id"]: row for row in states}
    return [
        _window_view(by_id[i], extents.get(i), devices.get(i), modified[i])
        for i in ids
        if i in by_id
    ]


def _modifications(warehouse: Warehouse, ids: list[str]) -> list[Row]:
    """When and by whom each window last changed: its event of the highest ``seq``."""
    db = warehouse.database
    parts = [
        f"SELECT window_id, at, by, seq FROM {db}.{table} FINAL"
        " WHERE window_id IN {ids:Array(String)}"
        for table in ("windows", "window_devices", "window_files")
    ]
    sql = f"""
        SELECT window_id, toUnixTimestamp64Nano(argMax(at, seq)) AS modified_ns,
               argMax(by, seq) AS modified_by
        FROM ({" UNION ALL ".join(parts)}) GROUP BY window_id
    """
    return warehouse.rows(sql, {"ids": ids})


def _by_window(rows: list[Row]) -> dict[str, Row]:
    return {row["window_id"]: row for row in rows}


def _window_view(state: Row, extent: Row | None, devices: Row | None, modified: Row) -> WindowView:
    name, has_name = state["name_state"]
    fields = {
        "window_id": state["window_id"],
        "name": name if has_name else None,
        "project": state["project"],
        "device_ids": devices["device_ids"] if devices else [],
        "file_count": int(extent["file_count"]) if extent else 0,
        "min_timestamp_ns": extent["min_timestamp_ns"] if extent else None,
        "max_timestamp_ns": extent["max_timestamp_ns"] if extent else None,
        "created_ns": state["created_ns"],
        "created_by": state["created_by"],
        "modified_ns": modified["modified_ns"],
        "modified_by": modified["modified_by"],
    }
    times = with_times(fields, "min_timestamp", "max_timestamp", "created", "modified")
    return msgspec.convert(times, WindowView)


def get_window(warehouse: Warehouse, window_id: str) -> WindowView:
    """One window.

    Raises:
        NotFound: no window of that id, or it was deleted.
    """
    views = window_views(warehouse, [window_id])
    if not views:
        raise NotFound("window", window_id)
    return views[0]


def list_windows(
    warehouse: Warehouse, filters: WindowFilters, *, limit: int, cursor: Cursor | None = None
) -> WindowPage:
    """Windows matching ``filters``, newest first (ties by id), one page after ``cursor``."""
    db = warehouse.database
    where = Where()
    if filters.dataset_id is not None:
        where.add(
            f"""window_id IN (
                SELECT window_id FROM {db}.window_files FINAL
                WHERE file_id IN (SELECT file_id FROM {db}.files FINAL
                                  WHERE dataset_id = {{dataset_id:String}})
                GROUP BY window_id, file_id HAVING argMax(added, seq))""",
            dataset_id=filters.dataset_id,
        )
    outer = Where()
    if filters.project is not None:
        outer.add("project = {project:String}", project=filters.project)
    if cursor is not None:
        outer.add(
            "(created_ns, window_id) < ({cursor_ns:Int64}, {cursor_key:String})",
            cursor_ns=cursor.time_ns,
            cursor_key=cursor.key,
        )
    sql = f"""
        SELECT window_id, created_ns FROM ({_live_windows(db, where.sql())}) {outer.sql()}
        ORDER BY created_ns DESC, window_id DESC LIMIT {{limit:UInt32}}
    """
    parameters = {**where.parameters, **outer.parameters, "limit": limit + 1}
    rows = warehouse.rows(sql, parameters)
    items = window_views(warehouse, [row["window_id"] for row in rows[:limit]])
    next_cursor = None
    if len(rows) > limit and items:
        last = items[-1]
        next_cursor = encode_cursor(CURSOR_KIND, last.created_ns, last.window_id)
    return WindowPage(items=items, next_cursor=next_cursor)


def window_devices(warehouse: Warehouse, window_id: str) -> list[WindowDevice]:
    """The devices attached to a window now, by id."""
    sql = f"""
        SELECT device_id, state.2 AS kind, toUnixTimestamp64Nano(state.3) AS attached_ns,
               state.4 AS attached_by
        FROM (SELECT device_id, argMax((attached, kind, at, by), seq) AS state
              FROM {warehouse.database}.window_devices FINAL
              WHERE window_id = {{window_id:String}}
              GROUP BY device_id HAVING state.1)
        ORDER BY device_id
    """
    rows = warehouse.rows(sql, {"window_id": window_id})
    return [msgspec.convert(with_times(row, "attached"), WindowDevice) for row in rows]


def window_files(warehouse: Warehouse, window_id: str) -> list[WindowFile]:
    """A window's file contributions, in time order (then by file id)."""
    sql = f"""
        SELECT file_id, dataset_id, path, media_type, start_ns, end_ns,
               range_min_ns AS range_min_timestamp_ns, range_max_ns AS range_max_timestamp_ns,
               min_ns AS min_timestamp_ns, max_ns AS max_timestamp_ns, added_ns, added_by
        FROM ({_contributions(warehouse.database)})
        ORDER BY min_timestamp_ns, file_id
    """
    rows = warehouse.rows(sql, {"ids": [window_id]})
    contents = file_contents(warehouse, [str(row["file_id"]) for row in rows])
    return [
        msgspec.convert(
            {**with_times(row, "added"), "content": contents.get(str(row["file_id"]))},
            WindowFile,
        )
        for row in rows
    ]


def window_topics(warehouse: Warehouse, window_id: str) -> list[WindowTopic]:
    """Topics reachable from a window, ordered by name then id.

    A topic is reachable through a contribution when its extent overlaps the
    contribution's range (the narrowed one, or the file's extent); a topic reachable
    through several is listed once, with every file it comes from.
    """
    sql = f"""
        SELECT topic_id, topic_name AS name, min(topic_start) AS start_ns,
               max(topic_end) AS end_ns, arraySort(groupUniqArray(file_id)) AS file_ids
        FROM ({_contributions(warehouse.database)})
        ARRAY JOIN topic_ids AS topic_id, topic_names AS topic_name,
                   topic_start_ns AS topic_start, topic_end_ns AS topic_end
        WHERE topic_start <= max_ns AND topic_end >= min_ns
        GROUP BY topic_id, topic_name
        ORDER BY name, topic_id
    """
    rows = warehouse.rows(sql, {"ids": [window_id]})
    return [msgspec.convert(row, WindowTopic) for row in rows]


def file_views(warehouse: Warehouse, ids: list[str]) -> dict[str, FileView]:
    """The registered files of ``ids`` (those that exist), by id."""
    if not ids:
        return {}
    sql = f"""
        SELECT file_id, dataset_id, path, media_type, size_bytes,
               toUnixTimestamp64Nano(start_at) AS start_ns,
               toUnixTimestamp64Nano(end_at) AS end_ns,
               topic_ids, topic_names, topic_start_ns, topic_end_ns,
               toUnixTimestamp64Nano(registered_at) AS registered_ns, by AS registered_by
        FROM {warehouse.database}.files FINAL
        WHERE file_id IN {{ids:Array(String)}} LIMIT 1 BY file_id
    """
    rows = warehouse.rows(sql, {"ids": ids})
    contents = file_contents(warehouse, [str(row["file_id"]) for row in rows])
    return {row["file_id"]: _file_view(row, contents) for row in rows}


def _file_view(row: Row, contents: dict[str, FileContent]) -> FileView:
    topics = [
        TopicView(topic_id=topic_id, name=name, start_ns=start, end_ns=end)
        for topic_id, name, start, end in zip(
            row.pop("topic_ids"),
            row.pop("topic_names"),
            row.pop("topic_start_ns"),
            row.pop("topic_end_ns"),
            strict=True,
        )
    ]
    content = contents.get(str(row["file_id"]))
    fields = with_times({**row, "topics": topics, "content": content}, "start", "end", "registered")
    return msgspec.convert(fields, FileView)


def get_file(warehouse: Warehouse, file_id: str) -> FileView:
    """One registered file.

    Raises:
        NotFound: no file of that id.
    """
    found = file_views(warehouse, [file_id])
    if file_id not in found:
        raise NotFound("file", file_id)
    return found[file_id]


def last_seq(warehouse: Warehouse, session_id: str) -> int:
    """The highest ``seq`` of a session's (window's, file's) events in the warehouse; 0 if none."""
    sql = f"""
        SELECT max(seq) AS seq FROM {warehouse.database}.events
        WHERE session_id = {{session_id:String}}
    """
    return int(warehouse.scalar(sql, {"session_id": session_id}) or 0)
