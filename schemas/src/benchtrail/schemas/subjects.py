"""NATS subjects, stream and bucket names, and message ids: the one place they live."""

from __future__ import annotations

import re

from benchtrail.schemas.errors import InvalidSubject, NotAnEventSubject

_EVENT_PREFIX = "bt.evt."
_DEAD_PREFIX = "bt.dead."

EVENTS_STREAM = "BT_EVENTS"
"""JetStream stream holding every event frame."""
EVENTS_SUBJECTS = f"{_EVENT_PREFIX}>"
DEAD_STREAM = "BT_DEAD"
"""JetStream stream holding messages the projector could not use."""
DEAD_SUBJECTS = f"{_DEAD_PREFIX}>"
LOCKS_BUCKET = "bt_locks"
"""JetStream KV bucket of resource locks."""
ATTACHMENTS_BUCKET = "bt_attachments"
"""JetStream object store of run attachments, each named by its sha256 (hex)."""
PROJECTOR_DURABLE = "bt-projector"
"""Durable consumer name shared by every projector process."""

MSG_ID_HEADER = "Nats-Msg-Id"
DEAD_REASON_HEADER = "Bt-Dead-Reason"
DEAD_SUBJECT_HEADER = "Bt-Original-Subject"
DEAD_SEQUENCE_HEADER = "Bt-Original-Sequence"
DEAD_EVENT_INDEX_HEADER = "Bt-Dead-Event-Index"
"""Header of a dead letter holding one event of a frame: the event's position in that frame."""
RETRY_OF_HEADER = "Bt-Retry-Of"
"""Header of a message re-published from ``BT_DEAD``: the dead letter's sequence there."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_EVENT_FILTER = re.compile(
    re.escape(_EVENT_PREFIX.rstrip(".")) + r"((\.([A-Za-z0-9_-]+|\*))+(\.>)?|\.>)"
)
_EVENT_SHAPE = f"{_EVENT_PREFIX}<station_id>.<session_id>"
_FILTER_SHAPE = f"a filter of event subjects, e.g. {_EVENT_PREFIX}cell-7.>"


def _token(what: str, value: str) -> str:
    if not _TOKEN.match(value):
        raise InvalidSubject(what, value)
    return value


def event_subject(station_id: str, session_id: str) -> str:
    """Subject a session's frames are published on: ``bt.evt.<station>.<session>``."""
    station, session = _token("station id", station_id), _token("session id", session_id)
    return f"{_EVENT_PREFIX}{station}.{session}"


def parse_event_subject(subject: str) -> tuple[str, str]:
    """The station id and session id named by a subject ``bt.evt.<station_id>.<session_id>``.

    The inverse of :func:`event_subject` for every subject it makes.

    Raises:
        NotAnEventSubject: the subject does not have that shape.
    """
    station, dot, session = subject.removeprefix(_EVENT_PREFIX).partition(".")
    if not subject.startswith(_EVENT_PREFIX) or not (station and dot and session) or "." in session:
        raise NotAnEventSubject(subject, _EVENT_SHAPE)
    return station, session


def session_filter(session_id: str) -> str:
    """Subject filter matching one session's frames from any station."""
    return f"{_EVENT_PREFIX}*.{_token('session id', session_id)}"


def station_filter(station_id: str) -> str:
    """Subject filter matching every frame of one station."""
    return f"{_EVENT_PREFIX}{_token('station id', station_id)}.>"


def dead_subject(original_subject: str) -> str:
    """Subject a dead letter is kept on, derived from where it was first published."""
    suffix = original_subject.removeprefix(_EVENT_PREFIX) or "unknown"
    return f"{_DEAD_PREFIX}{suffix}"


def dead_subject_filter(event_filter: str) -> str:
    """The ``BT_DEAD`` filter matching the dead letters of events first published under a filter.

    ``bt.evt.cell-7.>`` → ``bt.dead.cell-7.>``; ``bt.evt.>`` → ``bt.dead.>``.

    Raises:
        NotAnEventSubject: ``event_filter`` is not a filter of event subjects.
    """
    if not _EVENT_FILTER.fullmatch(event_filter):
        raise NotAnEventSubject(event_filter, _FILTER_SHAPE)
    return _DEAD_PREFIX + event_filter.removeprefix(_EVENT_PREFIX)


def frame_msg_id(session_id: str, first_seq: int) -> str:
    """Deterministic ``Nats-Msg-Id`` of a frame: ``<session_id>:<first seq>``."""
    return f"{session_id}:{first_seq}"


def hub_servers(hub: str) -> list[str]:
    """The NATS URLs of a hub given as one URL or a comma-separated list (a cluster's seeds).

    ``"nats://a:4222,nats://b:4222"`` → ``["nats://a:4222", "nats://b:4222"]``. A client
    connects to any of them and learns the rest of the cluster from the server.
    """
    return [url.strip() for url in hub.split(",") if url.strip()]
