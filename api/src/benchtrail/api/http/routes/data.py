"""Route handlers: data retention (``POST /api/data/prune``); registered by :func:`create_app`.

Pruning needs the hub: the warehouse is open in the hub's process only, and the
stream is trimmed to match. The hub's configured policy, if any, sits in the
application's ``state`` (:data:`~benchtrail.api.hub.retention.RETENTION_STATE`).
"""

from __future__ import annotations

from typing import Annotated

from litestar import post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.hub.retention import (
    RETENTION_STATE,
    HubRetention,
    Pruner,
    keep_everything,
)
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.models.prune import AGE_EXPECTED, PolicySource, PruneReport
from benchtrail.projector import Warehouse

_BAD = ResponseSpec(ErrorBody, description="`older_than` is not an age such as 90d, 12h, 2w.")
_UNAVAILABLE = ResponseSpec(ErrorBody, description="This API runs without a hub connection.")

OlderThan = Annotated[
    str | None,
    QueryParameter(
        description=f"Remove what is older than this: {AGE_EXPECTED}. Whole UTC days go: "
        "everything before midnight of the day the cut falls in. Default: the hub's "
        "configured retention; without one, nothing is removed."
    ),
]
DryRun = Annotated[
    bool, QueryParameter(description="Change nothing; report what a prune would remove.")
]


@post(
    "/api/data/prune",
    tags=["data"],
    status_code=200,
    responses={400: _BAD, 503: _UNAVAILABLE},
)
async def prune_data(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    state: State,
    older_than: OlderThan = None,
    dry_run: DryRun = False,
) -> PruneReport:
    """Drop whole days older than the cut from every table, and purge the stream to match.

    Returns per table the days and rows removed (or, with ``dry_run``, that would
    be), and the ``BT_EVENTS`` frames purged. The stream is never purged past what
    the projector has written.
    """
    link = require(hub_link, "data prunes")
    retention = state.get(RETENTION_STATE)
    configured = retention if isinstance(retention, HubRetention) else None
    policy: PolicySource = "argument"
    if not older_than and configured is not None and configured.older_than is not None:
        older_than, policy = configured.older_than, "configured"
    if not older_than:
        return keep_everything(dry_run)
    lock = configured.lock if configured is not None else None
    pruner = Pruner(warehouse, link.js, projector=link.projector, lock=lock)
    return await pruner.prune(older_than, dry_run=dry_run, policy=policy)


DATA_ROUTES: list[BaseRouteHandler] = [prune_data]
"""Every route handler of this group."""
