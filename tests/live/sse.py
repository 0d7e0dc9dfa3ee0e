"""A small Server-Sent Events reader over an httpx streaming response (what a client sees)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx


@dataclass
class SseEvent:
    """One dispatched SSE event (or a block holding only comments)."""

    event: str = ""
    id: str = ""
    data: str = ""
    comments: list[str] = field(default_factory=list)
    retry: int | None = None

    @property
    def payload(self) -> dict[str, object]:
        """The event's data as JSON."""
        value = json.loads(self.data)
        assert isinstance(value, dict)
        return value

    @property
    def position(self) -> tuple[int, int]:
        """``(stream sequence, index)`` of the id ``1234:7``."""
        frame, index = self.id.split(":")
        return int(frame), int(index)


def blocks(response: httpx.Response) -> Iterator[SseEvent]:
    """Every block of the stream (events and comment-only blocks), as the server sends them."""
    block = SseEvent()
    data: list[str] = []
    started = False
    for line in response.iter_lines():
        if not line:
            if started:
                block.data = "\n".join(data)
                yield block
            block, data, started = SseEvent(), [], False
            continue
        started = True
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            block.comments.append(value)
        elif name == "data":
            data.append(value)
        elif name == "event":
            block.event = value
        elif name == "id":
            block.id = value
        elif name == "retry":
            block.retry = int(value)


def events(response: httpx.Response) -> Iterator[SseEvent]:
    """Only the blocks that carry an event (what ``EventSource`` dispatches)."""
    return (block for block in blocks(response) if block.event)


def take(stream: Iterator[SseEvent], count: int) -> list[SseEvent]:
    """The next ``count`` events; fails if the stream ends first."""
    taken = [next(stream) for _ in range(count)]
    assert len(taken) == count
    return taken


def take_until(stream: Iterator[SseEvent], event: str) -> list[SseEvent]:
    """Events up to and including the first of type ``event``."""
    taken = []
    for item in stream:
        taken.append(item)
        if item.event == event:
            return taken
    raise AssertionError(f"the stream ended before a {event!r} event; got {taken!r}")
