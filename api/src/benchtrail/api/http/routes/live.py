"""Route handlers of the live feed: a session's or a station's events as Server-Sent Events.

Events come straight from JetStream (an ephemeral ordered consumer per client,
see :mod:`benchtrail.api.hub.live`), as soon as a station's frame is stored, before
the warehouse has them. Without a hub connection these endpoints answer 503.

The hub's :class:`~benchtrail.api.hub.live_limits.LiveLimits` bound them: a feed
beyond the hub's most is a 503, beyond one client's most a 429 (``limit_reached``
naming the setting); a ``since`` or a last event id more than ``replay_max_frames``
frames before the newest is a 400 naming that bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, get
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent

from benchtrail.api.errors import BadParameter
from benchtrail.api.http.query_params import parse_time
from benchtrail.api.http.security import SecurityConfig
from benchtrail.api.http.stream_guard import ON_STALL
from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.hub.live import (
    EVENT_ID_EXPECTED,
    KEEPALIVE_S,
    LiveFeed,
    LiveStart,
    event_id,
    start_after,
    start_at,
    start_now,
)
from benchtrail.api.models.access import Identity
from benchtrail.api.models.entities import ErrorBody
from benchtrail.schemas import EVENT_TAGS, EVENTS_SUBJECTS, InvalidSubject
from benchtrail.schemas import session_filter as session_subjects
from benchtrail.schemas import station_filter as station_subjects

EVENT_STREAM = "text/event-stream"
_STREAM_DOC = (
    "Server-Sent Events that never end: `event:` the event type, `id:` its position"
    " (`<stream sequence>:<index>`), `data:` the event as JSON; comments keep it alive."
)
_RESPONSES = {
    400: ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use."),
    429: ResponseSpec(ErrorBody, description="This client has its most live feeds open."),
    503: ResponseSpec(
        ErrorBody,
        description="This API runs without a hub connection, or the hub has its most feeds open.",
    ),
}
Req = Request[Any, Any, Any]

LastEventIdHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        required=False,
        description="Resume right after this event (sent by a reconnecting EventSource): "
        + EVENT_ID_EXPECTED
        + ".",
    ),
]
LastEventId = Annotated[
    str | None,
    QueryParameter(description="Resume right after this event, as the `Last-Event-ID` header."),
]
Since = Annotated[
    str | None,
    QueryParameter(
        description="Start at the first event stored at or after this time (ISO-8601, naive ="
        " UTC, or integer nanoseconds). Without it (and without a last event id) the feed"
        " starts with the next event published."
    ),
]
EventTypes = Annotated[
    list[str] | None,
    QueryParameter(description="Only events of these types (repeat the parameter); all if absent."),
]
Keepalive = Annotated[
    float,
    QueryParameter(gt=0, le=300, description="Seconds without events before a keep-alive comment."),
]


@get(
    "/api/sessions/{session_id:str}/live",
    tags=["live"],
    media_type=EVENT_STREAM,
    response_description=_STREAM_DOC,
    responses=_RESPONSES,
)
async def session_live(
    hub_link: NamedDependency[HubLink | None],
    security: NamedDependency[SecurityConfig],
    identity: NamedDependency[Identity],
    request: Req,
    session_id: FromPath[str],
    *,
    last_event_id_header: LastEventIdHeader = None,
    last_event_id: LastEventId = None,
    since: Since = None,
    event_type: EventTypes = None,
    keepalive: Keepalive = KEEPALIVE_S,
) -> ServerSentEvent:
    """One session's events as Server-Sent Events, pushed as they reach the hub.

    Each SSE event has ``event:`` the event type, ``id:`` its position
    (``<stream sequence>:<index>``) and ``data:`` the event as JSON.
    """
    subjects = _subjects(session_subjects, "session_id", session_id)
    resume = _resume(last_event_id_header, last_event_id)
    feed = await _live(
        hub_link,
        request,
        subjects,
        resume=resume,
        since=since,
        event_type=event_type,
        keepalive=keepalive,
    )
    return _respond(feed, request, security, identity)


@get(
    "/api/live",
    tags=["live"],
    media_type=EVENT_STREAM,
    response_description=_STREAM_DOC,
    responses=_RESPONSES,
)
async def fleet_live(
    hub_link: NamedDependency[HubLink | None],
    security: NamedDependency[SecurityConfig],
    identity: NamedDependency[Identity],
    request: Req,
    *,
    station_id: Annotated[
        str | None,
        QueryParameter(description="Only this station's events; every station if absent."),
    ] = None,
    last_event_id_header: LastEventIdHeader = None,
    last_event_id: LastEventId = None,
    since: Since = None,
    event_type: EventTypes = None,
    keepalive: Keepalive = KEEPALIVE_S,
) -> ServerSentEvent:
    """Every station's events (or one station's), as Server-Sent Events.

    The same messages as ``/api/sessions/{session_id}/live``.
    """
    if station_id:
        subjects = _subjects(station_subjects, "station_id", station_id)
    else:
        subjects = EVENTS_SUBJECTS
    resume = _resume(last_event_id_header, last_event_id)
    feed = await _live(
        hub_link,
        request,
        subjects,
        resume=resume,
        since=since,
        event_type=event_type,
        keepalive=keepalive,
    )
    return _respond(feed, request, security, identity)


async def _live(
    hub_link: HubLink | None,
    request: Req,
    subjects: str,
    *,
    resume: tuple[str, LiveStart] | None,
    since: str | None,
    event_type: list[str] | None,
    keepalive: float,
) -> LiveFeed:
    link = require(hub_link, "live feeds")
    event_types = _event_types(event_type)
    limits = link.live_feeds.limits
    now = await start_now(link.live_js)
    if resume is not None:  # a reconnecting client keeps its URL: its last id wins over since
        parameter, start = resume
        value = event_id(start.stream_seq, start.skip_through)
    elif since:
        parameter, value = "since", since
        start = await start_at(link, subjects, parse_time("since", since))
    else:
        parameter, value, start = "", "", now
    if now.stream_seq - start.stream_seq > limits.replay_max_frames:
        expected = (
            f"a start at most {limits.replay_max_frames} frames before the newest"
            f" (replay_max_frames); the newest frame is {now.stream_seq - 1}"
        )
        raise BadParameter(parameter, value, expected)
    client = request.client.host if request.client is not None else "unknown"
    link.live_feeds.admit(client)
    return await LiveFeed.open(
        link.live_js,
        subjects,
        start,
        feeds=link.live_feeds,
        client=client,
        event_types=event_types,
        keepalive=keepalive,
    )


def _respond(
    feed: LiveFeed, request: Req, security: SecurityConfig, identity: Identity
) -> ServerSentEvent:
    """The feed as SSE; ended by a revoked token, a stalled client or the client leaving."""
    feed.authorized = lambda: security.still_valid(identity)
    request.scope.setdefault("state", {}).setdefault(ON_STALL, []).append(feed.close)
    return ServerSentEvent(feed.messages(), background=BackgroundTask(feed.close))


def _subjects(make_filter: Callable[[str], str], name: str, value: str) -> str:
    try:
        return make_filter(value)
    except InvalidSubject as e:
        raise BadParameter(name, value, "letters, digits, '-' and '_' only") from e


def _resume(header: str | None, query: str | None) -> tuple[str, LiveStart] | None:
    if header:
        return "Last-Event-ID", start_after("Last-Event-ID", header)
    if query:
        return "last_event_id", start_after("last_event_id", query)
    return None


def _event_types(event_type: list[str] | None) -> frozenset[str] | None:
    wanted = frozenset(tag for value in event_type or [] for tag in value.split(",") if tag)
    for tag in wanted - EVENT_TAGS:
        raise BadParameter("event_type", tag, "one of " + ", ".join(sorted(EVENT_TAGS)))
    return wanted or None


LIVE_ROUTES: list[BaseRouteHandler] = [session_live, fleet_live]
"""Every route handler of this group."""
