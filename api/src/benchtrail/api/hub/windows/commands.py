"""What changes windows and files: check the request, record its events, read the result.

Every command checks its request against the warehouse while holding the session's
lock, publishes one frame, waits until the projector ingested it, and answers with
the state read back from the warehouse (so ``min_timestamp_ns``/``max_timestamp_ns``
are recomputed there, from the contributions).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.windows import checks
from benchtrail.api.hub.windows.publish import SessionWriter, journal_for
from benchtrail.api.models.windows import (
    DeviceAttachment,
    FileContribution,
    FileRegistration,
    FileView,
    WindowChange,
    WindowCreation,
    WindowView,
)
from benchtrail.api.queries import windows as window_queries
from benchtrail.projector import Warehouse
from benchtrail.schemas import Event, new_id
from benchtrail.schemas.events import (
    DeviceAttached,
    DeviceDetached,
    FileAdded,
    FileRegistered,
    FileRemoved,
    WindowCreated,
    WindowDeleted,
    WindowUpdated,
)


async def register_file(
    link: HubLink, warehouse: Warehouse, request: FileRegistration, by: str
) -> FileView:
    """Register a file of a dataset with its extent and topics (``file.registered``)."""
    start, end = checks.file_extent(request)
    dataset_id = checks.text("dataset_id", request.dataset_id)
    path = checks.text("path", request.path)
    media_type = checks.optional_text("media_type", request.media_type)
    size_bytes = checks.size(request.size_bytes)
    topics = checks.topics(request.topics, start, end)
    file_id = new_id()
    async with journal_for(link, warehouse).writer(file_id, new=True) as writer:
        event = writer.stamp(
            FileRegistered,
            file_id=file_id,
            dataset_id=dataset_id,
            path=path,
            media_type=media_type,
            size_bytes=size_bytes,
            start_ns=start,
            end_ns=end,
            topics=topics,
            by=by,
        )
        await writer.append([event], "topics")
        return await writer.read(lambda w: window_queries.get_file(w, file_id))


async def create_window(
    link: HubLink, warehouse: Warehouse, request: WindowCreation, by: str
) -> WindowView:
    """Create a window (``window.created``) with its devices (one ``device.attached`` each)."""
    name = checks.window_name(request.name)
    project = checks.optional_text("project", request.project)
    device_ids = checks.ids("device_ids", request.device_ids)
    window_id = new_id()
    async with journal_for(link, warehouse).writer(window_id, new=True) as writer:
        events: list[Event] = [writer.stamp(WindowCreated, name=name, project=project, by=by)]
        events += [writer.stamp(DeviceAttached, device_id=d, by=by) for d in device_ids]
        await writer.append(events, "device_ids")
        return await _window(writer)


async def update_window(
    link: HubLink, warehouse: Warehouse, window_id: str, request: WindowChange, by: str
) -> WindowView:
    """Change a window's attributes (``window.updated``); an empty change records nothing."""
    async with journal_for(link, warehouse).writer(window_id) as writer:
        await _window(writer)
        if not isinstance(request.name, msgspec.UnsetType):
            name = checks.window_name(request.name)
            event = writer.stamp(WindowUpdated, name=name, fields=["name"], by=by)
            await writer.append([event], "name")
        return await _window(writer)


async def delete_window(link: HubLink, warehouse: Warehouse, window_id: str, by: str) -> None:
    """Delete a window (``window.deleted``): its contributions and attachments go with it."""
    async with journal_for(link, warehouse).writer(window_id) as writer:
        await _window(writer)
        await writer.append([writer.stamp(WindowDeleted, by=by)], "window_id")


async def attach_device(
    link: HubLink, warehouse: Warehouse, window_id: str, request: DeviceAttachment, by: str
) -> WindowView:
    """Attach a device (``device.attached``); attaching it again updates its ``kind``."""
    device_id = checks.text("device_id", request.device_id)
    kind = checks.optional_text("kind", request.kind)
    async with journal_for(link, warehouse).writer(window_id) as writer:
        await _window(writer)
        event = writer.stamp(DeviceAttached, device_id=device_id, kind=kind, by=by)
        await writer.append([event], "device_id")
        return await _window(writer)


async def detach_device(
    link: HubLink, warehouse: Warehouse, window_id: str, device_id: str, by: str
) -> WindowView:
    """Detach a device (``device.detached``).

    Raises:
        NotFound: kind ``window device``: the device is not attached to the window.
    """
    async with journal_for(link, warehouse).writer(window_id) as writer:
        window = await _window(writer)
        checks.attached(device_id, window.device_ids)
        event = writer.stamp(DeviceDetached, device_id=device_id, by=by)
        await writer.append([event], "device_id")
        return await _window(writer)


async def add_files(
    link: HubLink,
    warehouse: Warehouse,
    window_id: str,
    files: Sequence[FileContribution],
    by: str,
) -> WindowView:
    """Add files, whole or narrowed (one ``file.added`` each); re-adding replaces the range.

    Raises:
        NotFound: the window, or one of the files, does not exist.
        BadParameter: a range is half given, inverted or outside its file's extent.
    """
    wanted = checks.contributions(files)
    file_ids = [f.file_id for f in wanted]
    async with journal_for(link, warehouse).writer(window_id) as writer:
        await _window(writer)
        known = await writer.read(lambda w: window_queries.file_views(w, file_ids))
        checks.inside_files(wanted, known)
        events: list[Event] = [
            writer.stamp(
                FileAdded,
                file_id=f.file_id,
                range_min_timestamp_ns=f.range_min_timestamp_ns,
                range_max_timestamp_ns=f.range_max_timestamp_ns,
                by=by,
            )
            for f in wanted
        ]
        await writer.append(events, "files")
        return await _window(writer)


async def remove_files(
    link: HubLink, warehouse: Warehouse, window_id: str, file_ids: Sequence[str], by: str
) -> WindowView:
    """Remove file contributions (one ``file.removed`` each).

    Raises:
        NotFound: the window does not exist (kind ``window``), or holds no such file
            (kind ``window file``).
    """
    unique = checks.ids("file_id", file_ids)
    async with journal_for(link, warehouse).writer(window_id) as writer:
        await _window(writer)
        held = await writer.read(lambda w: window_queries.window_files(w, window_id))
        checks.held(unique, {f.file_id for f in held})
        events: list[Event] = [
            writer.stamp(FileRemoved, file_id=file_id, by=by) for file_id in unique
        ]
        await writer.append(events, "file_id")
        return await _window(writer)


async def _window(writer: SessionWriter) -> WindowView:
    """The window the writer writes to, as it is now (NotFound if it is not, or deleted)."""
    window_id = writer.session_id
    return await writer.read(lambda w: window_queries.get_window(w, window_id))
