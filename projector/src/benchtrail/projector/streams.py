"""The JetStream streams and the projector's durable consumer, created or updated idempotently."""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    ConsumerInfo,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import BadRequestError

from benchtrail.projector.config import ProjectorSettings, StreamSettings
from benchtrail.schemas import DEAD_STREAM, DEAD_SUBJECTS, EVENTS_STREAM, EVENTS_SUBJECTS

log = logging.getLogger(__name__)

STREAM_NAME_IN_USE = 10058
"""JetStream error code: a stream of that name exists with a different configuration."""


def events_stream_config(settings: StreamSettings) -> StreamConfig:
    """Configuration of ``BT_EVENTS``: every event frame, kept for the retention period."""
    return StreamConfig(
        name=EVENTS_STREAM,
        description="benchtrail event frames from every station",
        subjects=[EVENTS_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=settings.max_age,
        max_msg_size=settings.max_msg_size,
        storage=StorageType(settings.storage),
        num_replicas=settings.num_replicas,
        duplicate_window=min(settings.duplicate_window, settings.max_age),
    )


def dead_stream_config(settings: StreamSettings) -> StreamConfig:
    """Configuration of ``BT_DEAD``: raw messages the projector could not use, with reasons."""
    return StreamConfig(
        name=DEAD_STREAM,
        description="benchtrail messages the projector could not use",
        subjects=[DEAD_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=settings.dead_max_age,
        max_msg_size=-1,
        storage=StorageType(settings.storage),
        num_replicas=settings.num_replicas,
        duplicate_window=min(settings.duplicate_window, settings.dead_max_age),
    )


async def ensure_stream(
    js: JetStreamContext, config: StreamConfig, *, update: bool = True
) -> StreamInfo:
    """Create a stream; if it exists, update it to ``config`` (or, if not ``update``, keep it)."""
    try:
        return await js.add_stream(config)
    except BadRequestError as e:
        if e.err_code != STREAM_NAME_IN_USE:
            raise
    if not update:
        assert config.name is not None
        return await js.stream_info(config.name)
    log.debug("stream %r exists; updating its configuration", config.name)
    return await js.update_stream(config)


async def ensure_streams(
    js: JetStreamContext, settings: StreamSettings | None = None, *, update: bool = True
) -> tuple[StreamInfo, StreamInfo]:
    """Create or update ``BT_EVENTS`` and ``BT_DEAD``; safe to call any number of times.

    Args:
        js: a JetStream context of a connected client.
        settings: retention, duplicate window and storage; the defaults if ``None``.
        update: bring existing streams to ``settings``; if false, only create missing ones.

    Returns:
        The stream info of ``BT_EVENTS`` and of ``BT_DEAD``.
    """
    settings = settings or StreamSettings()
    events = await ensure_stream(js, events_stream_config(settings), update=update)
    dead = await ensure_stream(js, dead_stream_config(settings), update=update)
    return events, dead


def projector_consumer_config(settings: ProjectorSettings) -> ConsumerConfig:
    """The durable pull consumer on ``BT_EVENTS``: every frame, explicit acks, finite deliveries."""
    return ConsumerConfig(
        name=settings.durable,
        durable_name=settings.durable,
        description="benchtrail projector: frames into the warehouse",
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=settings.max_deliver,
        max_ack_pending=settings.max_ack_pending,
        inactive_threshold=settings.inactive_threshold,
    )


async def ensure_consumer(js: JetStreamContext, settings: ProjectorSettings) -> ConsumerInfo:
    """Create the projector's durable consumer, or update the editable parts of its config."""
    return await js.add_consumer(EVENTS_STREAM, projector_consumer_config(settings))
