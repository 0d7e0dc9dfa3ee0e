"""``Window``: an observation window as a Python object, over the HTTP API.

Example:
    >>> from benchtrail.api import Window, WindowClient
    >>> client = WindowClient("http://127.0.0.1:8000", token=token)
    >>> capture = client.register_file(
    ...     dataset_id="campaign-7", path="scope/run-42.bin",
    ...     start_ns=t0, end_ns=t0 + 10**9, topics=["ch1", "ch2"],
    ... )
    >>> window = Window.create(name="brown-out", device_ids=["cell-7", "SN123"], client=client)
    >>> window.add_file(capture.file_id, t0, t0 + 10**6)  # narrowed to its first millisecond
    >>> window.min_timestamp_ns, window.max_timestamp_ns
    >>> [topic.name for topic in window.list_topics()]

Every change returns the window itself with its state as the hub answered it
(``min_timestamp_ns``/``max_timestamp_ns`` recomputed, ``modified``/``modified_by``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache

import msgspec

from benchtrail.api.client.window_client import WindowClient
from benchtrail.api.models.records import Records
from benchtrail.api.models.windows import (
    FileContribution,
    WindowDevice,
    WindowFile,
    WindowTopic,
    WindowView,
)


@cache
def default_client() -> WindowClient:
    """The client used when none is given: ``$BENCHTRAIL_API`` with ``$BENCHTRAIL_TOKEN``."""
    return WindowClient()


class Window:
    """A named time window over devices (stations, DUTs, fixtures) and files.

    Build one with :meth:`create` or :meth:`from_id`, or list them with
    :meth:`for_dataset`, :meth:`for_project` and :meth:`for_org`.

    Args:
        record: the window's state, as the API returned it.
        client: the client it talks through.
    """

    def __init__(self, record: WindowView, client: WindowClient) -> None:
        self.record = record
        self.client = client

    def __repr__(self) -> str:
        return f"Window(window_id={self.window_id!r}, name={self.name!r})"

    # -- construction and lists ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str | None = None,
        device_ids: Iterable[str] = (),
        *,
        project: str = "",
        client: WindowClient | None = None,
    ) -> Window:
        """Create a window with a name (or none), zero or more devices and a project."""
        client = client or default_client()
        record = client.create_window(name=name, device_ids=list(device_ids), project=project)
        return cls(record, client)

    @classmethod
    def from_id(cls, window_id: str, *, client: WindowClient | None = None) -> Window:
        """The window of that id (``NotFound`` if there is none, or it was deleted)."""
        client = client or default_client()
        return cls(client.window(window_id), client)

    @classmethod
    def for_dataset(
        cls, dataset_id: str, *, client: WindowClient | None = None, page_size: int = 100
    ) -> Iterator[Window]:
        """Windows holding any file of ``dataset_id``, newest first, fetched page by page."""
        return cls._pages(client, page_size, dataset_id=dataset_id)

    @classmethod
    def for_project(
        cls, project: str, *, client: WindowClient | None = None, page_size: int = 100
    ) -> Iterator[Window]:
        """Windows of ``project``, newest first, fetched page by page."""
        return cls._pages(client, page_size, project=project)

    @classmethod
    def for_org(
        cls, *, client: WindowClient | None = None, page_size: int = 100
    ) -> Iterator[Window]:
        """Every window of the organisation (the hub), newest first, fetched page by page."""
        return cls._pages(client, page_size)

    @classmethod
    def _pages(
        cls,
        client: WindowClient | None,
        page_size: int,
        *,
        dataset_id: str | None = None,
        project: str | None = None,
    ) -> Iterator[Window]:
        client = client or default_client()
        cursor: str | None = None
        while True:
            page = client.windows(
                dataset_id=dataset_id, project=project, limit=page_size, cursor=cursor
            )
            yield from (cls(record, client) for record in page)
            cursor = page.next_cursor
            if cursor is None:
                return

    # -- attributes -----------------------------------------------------------------------

    @property
    def window_id(self) -> str:
        """The window's id (a UUIDv7; also the ``session_id`` of its events)."""
        return self.record.window_id

    @property
    def name(self) -> str | None:
        """Its name, or None."""
        return self.record.name

    @property
    def project(self) -> str:
        """The project it belongs to (``""`` for none)."""
        return self.record.project

    @property
    def device_ids(self) -> list[str]:
        """The devices attached to it, by id."""
        return self.record.device_ids

    @property
    def min_timestamp_ns(self) -> int | None:
        """Start of its extent over its file contributions; None without any."""
        return self.record.min_timestamp_ns

    @property
    def max_timestamp_ns(self) -> int | None:
        """End of its extent over its file contributions; None without any."""
        return self.record.max_timestamp_ns

    @property
    def created(self) -> datetime:
        """When it was created (UTC)."""
        return self.record.created

    @property
    def created_by(self) -> str:
        """Who created it."""
        return self.record.created_by

    @property
    def modified(self) -> datetime:
        """When it last changed (UTC)."""
        return self.record.modified

    @property
    def modified_by(self) -> str:
        """Who changed it last."""
        return self.record.modified_by

    # -- changes --------------------------------------------------------------------------

    def refresh(self) -> Window:
        """Read its state again (another client may have changed it)."""
        self.record = self.client.window(self.window_id)
        return self

    def update(self, *, name: str | msgspec.UnsetType | None = msgspec.UNSET) -> Window:
        """Change it: ``name=None`` clears the name; leaving ``name`` out keeps it."""
        self.record = self.client.update_window(self.window_id, name=name)
        return self

    def delete(self) -> None:
        """Delete it with its file contributions and device attachments."""
        self.client.delete_window(self.window_id)

    def attach_to_device(self, device_id: str, *, kind: str = "") -> Window:
        """Attach a device (station, DUT, fixture)."""
        self.record = self.client.attach_device(self.window_id, device_id, kind=kind)
        return self

    def detach_from_device(self, device_id: str) -> Window:
        """Detach a device (``NotFound`` if it is not attached)."""
        self.record = self.client.detach_device(self.window_id, device_id)
        return self

    def list_devices(self) -> Records[WindowDevice]:
        """The devices attached, with kind and when and by whom."""
        return self.client.devices(self.window_id)

    def add_file(
        self,
        file_id: str,
        range_min_timestamp_ns: int | None = None,
        range_max_timestamp_ns: int | None = None,
    ) -> Window:
        """Add a file, whole or narrowed to ``[range_min, range_max]`` (both or neither)."""
        contribution = FileContribution(
            file_id=file_id,
            range_min_timestamp_ns=range_min_timestamp_ns,
            range_max_timestamp_ns=range_max_timestamp_ns,
        )
        return self.add_files([contribution])

    def add_files(self, files: Iterable[str | FileContribution]) -> Window:
        """Add several files at once: ids (whole files) or :class:`FileContribution`."""
        contributions = [FileContribution(file_id=f) if isinstance(f, str) else f for f in files]
        self.record = self.client.add_files(self.window_id, contributions)
        return self

    def remove_file(self, file_id: str) -> Window:
        """Remove a file contribution."""
        return self.remove_files([file_id])

    def remove_files(self, file_ids: Iterable[str]) -> Window:
        """Remove several file contributions at once."""
        self.record = self.client.remove_files(self.window_id, file_ids)
        return self

    def list_files(self) -> Records[WindowFile]:
        """Its file contributions with their ranges, in time order."""
        return self.client.files(self.window_id)

    def list_topics(self) -> Records[WindowTopic]:
        """Topics reachable from it (overlapping its ranges), by name then id, once each."""
        return self.client.topics(self.window_id)
