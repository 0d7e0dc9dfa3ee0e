"""Route handlers of dead letters (``BT_DEAD``): list, show, retry (see ``docs/dead-letters.md``).

They talk to the hub's JetStream through the hub link; without a hub they answer 503.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from benchtrail.api.errors import BadParameter
from benchtrail.api.hub import deadletter_store as store
from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.models.deadletters import (
    DeadLetterDetail,
    DeadLetterOrder,
    DeadLetterPage,
    RetryResult,
)
from benchtrail.api.models.entities import ErrorBody

_BAD = ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use.")
_MISSING = ResponseSpec(ErrorBody, description="No dead letter has that sequence.")
_UNAVAILABLE = ResponseSpec(ErrorBody, description="This API runs without a hub connection.")
_WHAT = "dead letters"
MAX_LIMIT = 10_000

Reason = Annotated[
    str | None, QueryParameter(description="Only this reason code, e.g. non-finite.")
]
Subject = Annotated[
    str | None,
    QueryParameter(description="Only letters whose original subject matches, e.g. bt.evt.cell-7.>"),
]
Seq = FromPath[str]


@get(
    "/api/dead-letters",
    tags=["dead letters"],
    responses={400: _BAD, 503: _UNAVAILABLE},
)
async def list_dead_letters(
    hub_link: NamedDependency[HubLink | None],
    *,
    reason: Reason = None,
    subject: Subject = None,
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description="Letters per page.")
    ] = 100,
    after: Annotated[
        int | None, QueryParameter(ge=0, description="The next_cursor of the previous page.")
    ] = None,
    order: Annotated[
        DeadLetterOrder, QueryParameter(description="oldest (default) or newest first.")
    ] = "oldest",
) -> DeadLetterPage:
    """Dead letters: sequence, time, reason, original subject and sequence, event index, size."""
    js = require(hub_link, _WHAT).js
    keep = store.reason_filter(reason)
    return await store.page(js, keep=keep, subject=subject, limit=limit, after=after, order=order)


@get(
    "/api/dead-letters/{seq:str}",
    tags=["dead letters"],
    responses={404: _MISSING, 503: _UNAVAILABLE},
)
async def get_dead_letter(hub_link: NamedDependency[HubLink | None], seq: Seq) -> DeadLetterDetail:
    """One dead letter with its events decoded as JSON, or a hex/base64 preview of its bytes."""
    js = require(hub_link, _WHAT).js
    return store.detail(await store.get(js, store.parse_seq(seq)))


@post(
    "/api/dead-letters/{seq:str}/retry",
    tags=["dead letters"],
    status_code=200,
    responses={404: _MISSING, 503: _UNAVAILABLE},
)
async def retry_dead_letter(hub_link: NamedDependency[HubLink | None], seq: Seq) -> RetryResult:
    """Publish a dead letter to its original subject again, then delete it from ``BT_DEAD``."""
    retried = await store.retry(require(hub_link, _WHAT).js, store.parse_seq(seq))
    return RetryResult(retried=[retried], count=1)


@post(
    "/api/dead-letters/retry",
    tags=["dead letters"],
    status_code=200,
    responses={400: _BAD, 503: _UNAVAILABLE},
)
async def retry_dead_letters(
    hub_link: NamedDependency[HubLink | None],
    *,
    reason: Reason = None,
    all: Annotated[bool, QueryParameter(description="Retry every dead letter.")] = False,
) -> RetryResult:
    """Retry every dead letter of one reason code (``reason=``), or all of them (``all=true``)."""
    if reason is None and not all:
        raise BadParameter("reason", "", "a reason code, or all=true to retry every dead letter")
    js = require(hub_link, _WHAT).js
    seqs = await store.matching(js, store.reason_filter(reason))
    retried = await store.retry_many(js, seqs)
    return RetryResult(retried=retried, count=len(retried))


DEAD_LETTER_ROUTES = [
    list_dead_letters,
    get_dead_letter,
    retry_dead_letters,
    retry_dead_letter,
]
"""Every dead-letter route handler, for :func:`benchtrail.api.http.create_app`."""
