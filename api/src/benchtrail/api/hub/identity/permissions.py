"""Who may do what on the hub's nats-server: every identity's permissions, derived in one place.

The hub runs nats-server with nkey users listed in its configuration file (not the
decentralised JWT/operator mode): the server holds only public keys, nats-py signs
the server's nonce with the seed (``nkeys_seed=``), and a changed list — a station
added or revoked — is applied by a configuration reload (SIGHUP) without a restart;
nats-server closes the live connections of users no longer listed. One account
keeps JetStream as it is without auth: the same streams, subjects and consumers.

The subjects below are what nats-py 2.16 sends for what each identity does
(checked against nats-server 2.15 by ``tests/identity``):

- publishing: ``PUB bt.evt.<station>.<session>`` with a reply inbox for the ack;
- the lock client: ``$JS.API.STREAM.INFO.KV_bt_locks`` to bind, ``PUB $KV.bt_locks.<key>``
  to create, update and delete, ``$JS.API.STREAM.MSG.GET.KV_bt_locks`` (the bucket has no
  direct get) to read a holder, and an ordered consumer (``$JS.API.CONSUMER.CREATE…``,
  flow-control replies on ``$JS.FC.KV_bt_locks.>``) to wait for a busy key;
- the live feed: ordered consumers on ``BT_EVENTS`` and a stream message get to find
  where to start;
- attachments: ``PUB $O.bt_attachments.C.<nuid>`` (chunks) and ``PUB $O.bt_attachments.M.<name>``
  (the object's meta), and a direct get of a meta subject to see whether the hub already
  has a digest (``$JS.API.DIRECT.GET.OBJ_bt_attachments.$O.bt_attachments.M.>``).

A message get names the key in its body, not its subject, and nats-py creates an
ordered consumer on ``$JS.API.CONSUMER.CREATE.<stream>`` (the filter in the body, not
the subject), so a station can read (never write) another station's lock holder; the
HTTP API shows holders anyway. Without that subject, waiting for a busy key fails
(``tests/identity`` shows it).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from benchtrail.schemas import (
    ATTACHMENTS_BUCKET,
    EVENTS_STREAM,
    HUB_IDENTITY,
    LIVE_IDENTITY,
    LOCKS_BUCKET,
    inbox_prefix,
    station_filter,
)

Role = Literal["station", "hub", "live"]
"""``station``: one test station; ``hub``: the hub's services; ``live``: read-only feeds."""

SERVICE_IDENTITIES: tuple[str, ...] = (HUB_IDENTITY, LIVE_IDENTITY)
"""Ids no station may take: the hub's own identities (and its lock board's station)."""

_JS = "$JS.API"
_LOCKS_STREAM = f"KV_{LOCKS_BUCKET}"
_OBJECTS = f"$O.{ATTACHMENTS_BUCKET}"


class Permissions(msgspec.Struct, frozen=True):
    """Subjects an identity may publish and subscribe to (``None``: everything)."""

    publish: list[str] | None
    subscribe: list[str] | None


def permissions(role: Role, identity: str) -> Permissions:
    """What ``identity`` with ``role`` may do: the one place permissions are decided."""
    inbox = [f"{inbox_prefix(identity)}.>"]
    match role:
        case "hub":
            return Permissions(None, None)  # projector, lock board, windows, retention
        case "live":
            return Permissions(_consumer_subjects(EVENTS_STREAM, ">"), inbox)
        case "station":
            return Permissions(_station_publish(identity), inbox)


def _station_publish(station_id: str) -> list[str]:
    own_keys = [f"$KV.{LOCKS_BUCKET}.{station_id}.>", f"$KV.{LOCKS_BUCKET}.shared.>"]
    return [
        station_filter(station_id),
        f"{_JS}.STREAM.INFO.{EVENTS_STREAM}",
        *own_keys,
        *(f"{_JS}.DIRECT.GET.{_LOCKS_STREAM}.{key}" for key in own_keys),
        *_consumer_subjects(_LOCKS_STREAM, own_keys),
        f"{_OBJECTS}.C.>",
        f"{_OBJECTS}.M.>",
        f"{_JS}.DIRECT.GET.OBJ_{ATTACHMENTS_BUCKET}.{_OBJECTS}.M.>",
    ]


def _consumer_subjects(stream: str, filters: str | list[str]) -> list[str]:
    """Read ``stream`` through ordered consumers (filtered to ``filters`` where possible)."""
    names = [filters] if isinstance(filters, str) else filters
    return [
        f"{_JS}.STREAM.INFO.{stream}",
        f"{_JS}.STREAM.MSG.GET.{stream}",
        f"{_JS}.CONSUMER.CREATE.{stream}",
        *(f"{_JS}.CONSUMER.CREATE.{stream}.*.{name}" for name in names),
        f"{_JS}.CONSUMER.INFO.{stream}.*",
        f"{_JS}.CONSUMER.DELETE.{stream}.*",
        f"$JS.FC.{stream}.>",
    ]
