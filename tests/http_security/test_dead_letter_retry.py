"""A dead-letter retry republishes only to ``bt.evt.<station>.<session>`` subjects.

A dead letter's original subject is a header anyone who could write ``BT_DEAD``
chose; a retry must not turn it into a publish to a lock key or a bogus subject.
"""

from __future__ import annotations

import asyncio

import httpx
import nats
import pytest

from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import DEAD_STREAM, DEAD_SUBJECT_HEADER, EVENTS_STREAM


def _dead_letter(hub: Hub, original_subject: str) -> tuple[int, int]:
    """Put a dead letter claiming ``original_subject``; answer its seq and BT_EVENTS' count."""

    async def put() -> tuple[int, int]:
        nc = await nats.connect(hub.nats.url)
        js = nc.jetstream()
        ack = await js.publish(
            "bt.dead.cell-7.forged",
            b"\x90",
            stream=DEAD_STREAM,
            headers={DEAD_SUBJECT_HEADER: original_subject},
        )
        events = (await js.stream_info(EVENTS_STREAM)).state.messages
        await nc.close()
        return ack.seq, events

    return asyncio.run(put())


def _events(hub: Hub) -> int:
    async def count() -> int:
        nc = await nats.connect(hub.nats.url)
        info = await nc.jetstream().stream_info(EVENTS_STREAM)
        await nc.close()
        return int(info.state.messages)

    return asyncio.run(count())


@pytest.mark.parametrize(
    "original",
    ["$KV.bt_locks.cell-7.dmm", "bt.evt.cell-7.s1.extra", "bt.dead.cell-7.forged", "bt.evt.*.s1"],
)
def test_a_retry_to_anything_but_an_event_subject_is_refused(
    running_hub: Hub, original: str
) -> None:
    seq, before = _dead_letter(running_hub, original)
    response = httpx.post(f"{running_hub.api_url}/api/dead-letters/{seq}/retry", timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == "seq"
    assert original in response.json()["detail"]
    assert _events(running_hub) == before
    still = httpx.get(f"{running_hub.api_url}/api/dead-letters/{seq}", timeout=30)
    assert still.status_code == 200  # kept, to look at
