"""Route handlers of observation windows and the files they hold (see ``docs/windows.md``).

Changes publish events through the hub link, wait until the projector ingested
them and answer with the state read back. Every handler is async and asks the
warehouse from a worker thread (its client blocks); a synchronous handler beside
async ones on one path is not always awaited by Litestar 2. Who
makes a change (``created_by``/``modified_by``) is the caller's identity: its token's
name (``local`` on an open hub), never a header the caller chooses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, TypeVar

from litestar import delete, get, patch, post
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from benchtrail.api.http.routes.entities import CursorParam, Limit
from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.hub.windows import commands
from benchtrail.api.models.access import Identity
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.models.windows import (
    DeviceAttachment,
    FileContributions,
    FileRegistration,
    FileView,
    WindowChange,
    WindowCreation,
    WindowDevice,
    WindowFile,
    WindowPage,
    WindowTopic,
    WindowView,
)
from benchtrail.api.queries import windows as window_queries
from benchtrail.api.queries.cursors import decode_cursor
from benchtrail.projector import Warehouse

_BAD = ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use.")
_MISSING = ResponseSpec(ErrorBody, description="No window, file or device has that id.")
_UNAVAILABLE = ResponseSpec(ErrorBody, description="No hub, or the change is not ingested yet.")
_CHANGE = {400: _BAD, 404: _MISSING, 503: _UNAVAILABLE}
_READ = {400: _BAD, 404: _MISSING}
_WHAT = "observation windows"
T = TypeVar("T")

User = NamedDependency[Identity]
"""Who makes the change: the request's identity (set by :mod:`benchtrail.api.http.security`)."""
WindowId = FromPath[str]


async def _read(question: Callable[[Warehouse, str], T], warehouse: Warehouse, key: str) -> T:
    """Ask the warehouse from a worker thread (its client blocks)."""
    return await asyncio.to_thread(question, warehouse, key)


def _hub(hub_link: HubLink | None) -> HubLink:
    return require(hub_link, _WHAT)


@post("/api/files", tags=["windows"], responses=_CHANGE)
async def register_file(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    data: JSONBody[FileRegistration],
    identity: User,
) -> FileView:
    """Register a file of a dataset with its time extent and topics (``file.registered``)."""
    return await commands.register_file(_hub(hub_link), warehouse, data, identity.name)


@get("/api/files/{file_id:str}", tags=["windows"], responses=_READ)
async def get_file(warehouse: NamedDependency[Warehouse], file_id: FromPath[str]) -> FileView:
    """One registered file: dataset, path, extent and topics."""
    return await _read(window_queries.get_file, warehouse, file_id)


@post("/api/windows", tags=["windows"], responses=_CHANGE)
async def create_window(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    data: JSONBody[WindowCreation],
    identity: User,
) -> WindowView:
    """Create a window with a name (or none), a project and zero or more devices."""
    return await commands.create_window(_hub(hub_link), warehouse, data, identity.name)


@get("/api/windows", tags=["windows"], responses={400: _BAD})
async def list_windows(
    warehouse: NamedDependency[Warehouse],
    *,
    dataset_id: Annotated[
        str | None,
        QueryParameter(description="Only windows holding a file of this dataset."),
    ] = None,
    project: Annotated[str | None, QueryParameter(description="Only this project's.")] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> WindowPage:
    """Windows, newest first (ties by id), one page at a time; no filter: the organisation's."""
    filters = window_queries.WindowFilters(dataset_id=dataset_id or None, project=project or None)
    position = decode_cursor(window_queries.CURSOR_KIND, cursor) if cursor else None
    return await asyncio.to_thread(
        window_queries.list_windows, warehouse, filters, limit=limit, cursor=position
    )


@get("/api/windows/{window_id:str}", tags=["windows"], responses=_READ)
async def get_window(warehouse: NamedDependency[Warehouse], window_id: WindowId) -> WindowView:
    """One window: name, project, devices, extent, created and modified."""
    return await _read(window_queries.get_window, warehouse, window_id)


@patch("/api/windows/{window_id:str}", tags=["windows"], responses=_CHANGE)
async def update_window(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    window_id: WindowId,
    data: JSONBody[WindowChange],
    identity: User,
) -> WindowView:
    """Rename a window: ``name`` null clears it; a field left out stays as it is."""
    link = _hub(hub_link)
    return await commands.update_window(link, warehouse, window_id, data, identity.name)


@delete("/api/windows/{window_id:str}", tags=["windows"], responses=_CHANGE)
async def delete_window(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    window_id: WindowId,
    identity: User,
) -> None:
    """Delete a window with its file contributions and device attachments."""
    await commands.delete_window(_hub(hub_link), warehouse, window_id, identity.name)


@get("/api/windows/{window_id:str}/devices", tags=["windows"], responses=_READ)
async def list_window_devices(
    warehouse: NamedDependency[Warehouse], window_id: WindowId
) -> list[WindowDevice]:
    """The devices attached to a window, by id."""
    await _read(window_queries.get_window, warehouse, window_id)
    return await _read(window_queries.window_devices, warehouse, window_id)


@post("/api/windows/{window_id:str}/devices", tags=["windows"], status_code=200, responses=_CHANGE)
async def attach_device(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    window_id: WindowId,
    data: JSONBody[DeviceAttachment],
    identity: User,
) -> WindowView:
    """Attach a device (station, DUT, fixture) to a window."""
    link = _hub(hub_link)
    return await commands.attach_device(link, warehouse, window_id, data, identity.name)


@delete(
    "/api/windows/{window_id:str}/devices/{device_id:str}",
    tags=["windows"],
    status_code=200,
    responses=_CHANGE,
)
async def detach_device(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    window_id: WindowId,
    device_id: FromPath[str],
    identity: User,
) -> WindowView:
    """Detach a device from a window; 404 if it is not attached."""
    link = _hub(hub_link)
    by = identity.name
    return await commands.detach_device(link, warehouse, window_id, device_id, by)


@get("/api/windows/{window_id:str}/files", tags=["windows"], responses=_READ)
async def list_window_files(
    warehouse: NamedDependency[Warehouse], window_id: WindowId
) -> list[WindowFile]:
    """A window's file contributions with their ranges, in time order."""
    await _read(window_queries.get_window, warehouse, window_id)
    return await _read(window_queries.window_files, warehouse, window_id)


@post("/api/windows/{window_id:str}/files", tags=["windows"], status_code=200, responses=_CHANGE)
async def add_files(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    window_id: WindowId,
    data: JSONBody[FileContributions],
    identity: User,
) -> WindowView:
    """Add files to a window, whole or narrowed to a range; answers the recomputed extent."""
    link = _hub(hub_link)
    by = identity.name
    return await commands.add_files(link, warehouse, window_id, data.files, by)


@delete("/api/windows/{window_id:str}/files", tags=["windows"], status_code=200, responses=_CHANGE)
async def remove_files(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    window_id: WindowId,
    file_id: Annotated[
        list[str], QueryParameter(description="A file to remove; repeat for several.")
    ],
    identity: User,
) -> WindowView:
    """Remove files from a window; answers the recomputed extent."""
    link = _hub(hub_link)
    by = identity.name
    return await commands.remove_files(link, warehouse, window_id, file_id, by)


@get("/api/windows/{window_id:str}/topics", tags=["windows"], responses=_READ)
async def list_window_topics(
    warehouse: NamedDependency[Warehouse], window_id: WindowId
) -> list[WindowTopic]:
    """Topics reachable from a window (overlapping its ranges), by name then id, once each."""
    await _read(window_queries.get_window, warehouse, window_id)
    return await _read(window_queries.window_topics, warehouse, window_id)


WINDOW_ROUTES: list[BaseRouteHandler] = [
    register_file,
    get_file,
    create_window,
    list_windows,
    get_window,
    update_window,
    delete_window,
    list_window_devices,
    attach_device,
    detach_device,
    list_window_files,
    add_files,
    remove_files,
    list_window_topics,
]
"""Every route handler of this group."""
