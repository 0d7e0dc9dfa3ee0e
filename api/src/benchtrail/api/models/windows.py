"""Bodies of the observation-window endpoints, shared by the server and the Python client.

Requests take times as integer nanoseconds since the epoch; responses give each
time twice, as ISO-8601 UTC (``created``) and as nanoseconds (``created_ns``).
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class WindowView(msgspec.Struct, frozen=True, kw_only=True):
    """An observation window: its name, devices and extent, and who changed it when.

    ``min_timestamp_ns``/``max_timestamp_ns`` span its file contributions (a narrowed
    contribution counts with its range, a whole one with its file's extent); both are
    ``null`` while it has none.
    """

    window_id: str
    name: str | None
    project: str
    device_ids: list[str]
    file_count: int
    min_timestamp_ns: int | None
    max_timestamp_ns: int | None
    min_timestamp: datetime | None
    max_timestamp: datetime | None
    created: datetime
    created_ns: int
    created_by: str
    modified: datetime
    modified_ns: int
    modified_by: str


class WindowPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of windows, newest first; pass ``next_cursor`` back as ``cursor``."""

    items: list[WindowView]
    next_cursor: str | None


class WindowDevice(msgspec.Struct, frozen=True, kw_only=True):
    """A device (station, DUT, fixture) attached to a window."""

    device_id: str
    kind: str
    attached: datetime
    attached_ns: int
    attached_by: str


class FileContent(msgspec.Struct, frozen=True, kw_only=True):
    """The bytes uploaded for a file (``PUT /api/files/{file_id}/content``), as last uploaded."""

    size_bytes: int
    sha256: str
    mimetype: str
    uploaded: datetime
    uploaded_ns: int


class TopicView(msgspec.Struct, frozen=True, kw_only=True):
    """A topic (channel) of a file, with the time extent of its data."""

    topic_id: str
    name: str
    start_ns: int
    end_ns: int


class FileView(msgspec.Struct, frozen=True, kw_only=True):
    """A registered file: its dataset, path, time extent and topics."""

    file_id: str
    dataset_id: str
    path: str
    media_type: str
    size_bytes: int
    start_ns: int
    end_ns: int
    start: datetime
    end: datetime
    topics: list[TopicView]
    registered: datetime
    registered_ns: int
    registered_by: str
    content: FileContent | None = None
    """Its uploaded bytes (``null`` until uploaded)."""


class WindowFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file contribution of a window: the file, its range in the window and who added it.

    ``range_min_timestamp_ns``/``range_max_timestamp_ns`` are the narrowed range (``null``
    for the whole file); ``min_timestamp_ns``/``max_timestamp_ns`` what the contribution
    spans either way.
    """

    file_id: str
    dataset_id: str
    path: str
    media_type: str
    start_ns: int
    end_ns: int
    range_min_timestamp_ns: int | None
    range_max_timestamp_ns: int | None
    min_timestamp_ns: int
    max_timestamp_ns: int
    added: datetime
    added_ns: int
    added_by: str
    content: FileContent | None = None
    """The file's uploaded bytes (``null`` until uploaded)."""


class WindowTopic(msgspec.Struct, frozen=True, kw_only=True):
    """A topic reachable from a window, with the files it comes from.

    ``start_ns``/``end_ns`` is its extent over those files (not narrowed by ranges).
    """

    topic_id: str
    name: str
    start_ns: int
    end_ns: int
    file_ids: list[str]


# -- requests ---------------------------------------------------------------------------


class TopicSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A topic of a file to register; its extent defaults to the file's.

    ``topic_id`` defaults to a new UUIDv7. ``start_ns`` and ``end_ns``: both or neither.
    """

    name: str
    topic_id: str | None = None
    start_ns: int | None = None
    end_ns: int | None = None


class FileRegistration(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/files``: a file of a dataset, its extent (required) and topics."""

    dataset_id: str
    path: str
    start_ns: int | None = None
    end_ns: int | None = None
    media_type: str = ""
    size_bytes: int = 0
    topics: list[TopicSpec] = msgspec.field(default_factory=list)


class WindowCreation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/windows``."""

    name: str | None = None
    device_ids: list[str] = msgspec.field(default_factory=list)
    project: str = ""


class WindowChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``PATCH /api/windows/{window_id}``: ``name`` null clears it, omitted keeps it."""

    name: str | msgspec.UnsetType | None = msgspec.UNSET


class DeviceAttachment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/windows/{window_id}/devices``."""

    device_id: str
    kind: str = ""


class FileContribution(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A file to add to a window, whole or narrowed to a range (both bounds or neither)."""

    file_id: str
    range_min_timestamp_ns: int | None = None
    range_max_timestamp_ns: int | None = None


class FileContributions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/windows/{window_id}/files``."""

    files: list[FileContribution]
