"""Resource locks in JetStream KV, against a real nats-server and real holder processes."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import nats
import pytest

from benchtrail.agents.errors import LeaseLost, LockNotReleased, ResourceBusy
from benchtrail.agents.locks import Holder, Locks, lock_key

HOLDER = Path(__file__).with_name("lock_holder.py")
LEASE = 1.0


def me(station: str = "cell-7") -> Holder:
    return Holder(
        station_id=station,
        session_id="s-1",
        host="lab-3",
        pid=os.getpid(),
        since_ns=time.time_ns(),
        resource="TCPIP::dmm::INSTR",
    )


async def open_locks(url: str) -> tuple[nats.NATS, Locks]:
    nc = await nats.connect(url)
    return nc, await Locks(nc.jetstream(), lease=LEASE).open()


def test_lock_keys_are_valid_kv_keys_and_distinct():
    assert (
        lock_key("TCPIP::10.0.0.5::INSTR", "cell-7")
        == "cell-7.TCPIP=3A=3A10=2E0=2E0=2E5=3A=3AINSTR"
    )
    assert lock_key("dmm") == "shared.dmm"
    assert lock_key("a.b", "s") != lock_key("a_b", "s")


def test_a_held_lock_is_refused_naming_its_holder_and_can_be_taken_after_release(hub_url):
    async def scenario() -> None:
        nc_a, a = await open_locks(hub_url)
        nc_b, b = await open_locks(hub_url)
        lease = await a.acquire("cell-7.dmm", me())
        with pytest.raises(
            ResourceBusy, match=r"held by station 'cell-7' \(session s-1, host lab-3, pid \d+"
        ):
            await b.acquire("cell-7.dmm", me("cell-8"))
        assert (await b.holders())["cell-7.dmm"].station_id == "cell-7"
        await a.release(lease)
        second = await b.acquire("cell-7.dmm", me("cell-8"))
        assert second.fencing_token > lease.fencing_token
        with pytest.raises(LeaseLost, match="released"):
            lease.check()
        await b.release(second)
        assert await b.holders() == {}
        for client in (a, b):
            await client.close()
        await nc_a.close()
        await nc_b.close()

    asyncio.run(scenario())


def test_renewal_keeps_a_lock_past_its_lease_and_a_waiter_gets_it_on_release(hub_url):
    async def scenario() -> None:
        nc_a, a = await open_locks(hub_url)
        nc_b, b = await open_locks(hub_url)
        lease = await a.acquire("k", me())
        waiter = asyncio.create_task(b.acquire("k", me("cell-8"), wait=10))
        done, _ = await asyncio.wait({waiter}, timeout=3 * LEASE)
        assert not done, "the holder renews, so the waiter must still be waiting"
        lease.check()  # still valid after three leases thanks to renewals
        started = time.monotonic()
        await a.release(lease)
        second = await waiter
        assert time.monotonic() - started < 0.5, "the waiter is woken by the release"
        assert second.fencing_token > lease.fencing_token
        await b.release(second)
        for client in (a, b):
            await client.close()
        await nc_a.close()
        await nc_b.close()

    asyncio.run(scenario())


def test_wait_times_out_with_resource_busy(hub_url):
    async def scenario() -> None:
        nc, locks = await open_locks(hub_url)
        lease = await locks.acquire("k", me())
        started = time.monotonic()
        with pytest.raises(ResourceBusy, match=r"after waiting 0.5 s"):
            await locks.acquire("k", me("cell-8"), wait=0.5)
        assert 0.5 <= time.monotonic() - started < 2
        await locks.release(lease)
        await locks.close()
        await nc.close()

    asyncio.run(scenario())


def _start_holder(hub_url: str, key: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, str(HOLDER), hub_url, key], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("acquired"), first
    return process, int(first.split()[1])


def test_a_killed_holders_lock_expires_after_the_lease(hub_url):
    process, token = _start_holder(hub_url, "k")
    process.kill()
    process.wait()
    assert process.stdout is not None
    process.stdout.close()

    async def take_over() -> int:
        nc, locks = await open_locks(hub_url)
        started = time.monotonic()
        lease = await locks.acquire("k", me(), wait=5 * LEASE)
        waited = time.monotonic() - started
        assert waited < 3 * LEASE, f"taken over {waited:.2f} s after the kill"
        await locks.release(lease)
        await locks.close()
        await nc.close()
        return lease.fencing_token

    assert asyncio.run(take_over()) > token


def test_a_stopped_holder_never_believes_it_holds_a_lock_someone_else_took(hub_url):
    process, token = _start_holder(hub_url, "k")
    assert process.stdout is not None
    os.kill(process.pid, signal.SIGSTOP)

    async def take_over() -> int:
        nc, locks = await open_locks(hub_url)
        lease = await locks.acquire("k", me(), wait=5 * LEASE)
        resumed_at = time.monotonic()  # the same clock in every process (CLOCK_MONOTONIC)
        os.kill(process.pid, signal.SIGCONT)
        held_after = await asyncio.to_thread(_held_lines_until_lost, process, resumed_at)
        assert held_after == [], f"the stopped holder still believed it held: {held_after}"
        lease.check()
        await locks.release(lease)
        await locks.close()
        await nc.close()
        return lease.fencing_token

    try:
        assert asyncio.run(take_over()) > token
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def _held_lines_until_lost(process: subprocess.Popen[str], since: float) -> list[str]:
    """Lines in which the holder claimed the lock after ``since``, up to its ``lost`` line."""
    assert process.stdout is not None
    claims = []
    for line in process.stdout:
        if line.startswith("lost"):
            return claims
        if float(line.split()[2]) >= since:
            claims.append(line.strip())
    raise AssertionError("the holder exited without noticing it lost the lock")


def test_contending_processes_never_hold_a_key_at_the_same_time(hub_url):
    contenders = [
        subprocess.Popen(
            [sys.executable, str(HOLDER), hub_url, "shared.load", "15"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    intervals = []
    for process in contenders:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        intervals += [tuple(map(float, line.split()[1:])) for line in output.splitlines()]
    assert len(intervals) == 45
    intervals.sort()
    for (_, end, token), (begin, _, next_token) in itertools.pairwise(intervals):
        assert end <= begin, "two processes held the lock at once"
        assert next_token > token, "fencing tokens grow with each holder"


def test_a_release_during_a_renewal_in_flight_removes_the_key(hub_url, monkeypatch):
    """The renewal's update reached the hub but its reply had not come back at release."""

    async def scenario() -> None:
        nc_a, a = await open_locks(hub_url)
        nc_b, b = await open_locks(hub_url)
        renewed_on_the_hub = asyncio.Event()
        update = a.kv.update

        async def update_with_a_slow_reply(key: str, value: bytes, last: int) -> int:
            revision = await update(key, value, last=last)
            renewed_on_the_hub.set()
            await asyncio.sleep(LEASE / 4)  # the reply is still on its way
            return revision

        monkeypatch.setattr(a.kv, "update", update_with_a_slow_reply)
        lease = await a.acquire("demo-3.psu", me("demo-3"))
        await renewed_on_the_hub.wait()
        assert await a.release(lease) is True
        # At once, well inside the lease: the key must be gone, not left to expire.
        assert await b.holders() == {}
        taken = await b.try_acquire("demo-3.psu", me("demo-3"))
        assert taken is not None, f"still held by {await b.describe_holder('demo-3.psu')}"
        await b.release(taken)
        for client in (a, b):
            await client.close()
        await nc_a.close()
        await nc_b.close()

    asyncio.run(scenario())


def test_a_release_with_a_stale_revision_still_removes_its_own_key(hub_url):
    """A renewal landed on the hub and its reply was lost: the lease's revision is old."""

    async def scenario() -> None:
        nc, locks = await open_locks(hub_url)
        holder = me("demo-3")
        lease = await locks.acquire("demo-3.psu", holder)
        await locks.kv.update("demo-3.psu", msgspec.json.encode(holder), last=lease.revision)
        assert await locks.release(lease) is True
        assert await locks.holders() == {}
        await locks.close()
        await nc.close()

    asyncio.run(scenario())


def test_a_release_after_someone_else_took_the_key_leaves_it_to_them(hub_url):
    async def scenario() -> None:
        nc, locks = await open_locks(hub_url)
        lease = await locks.acquire("demo-3.psu", me("demo-3"))
        await locks.force_release("demo-3.psu")
        other = await locks.try_acquire("demo-3.psu", me("demo-4"))
        assert other is not None
        assert await locks.release(lease) is False
        assert (await locks.holders())["demo-3.psu"].station_id == "demo-4"
        await locks.release(other)
        await locks.close()
        await nc.close()

    asyncio.run(scenario())


def test_a_release_that_cannot_reach_the_hub_says_so(hub_url):
    async def scenario() -> None:
        nc, locks = await open_locks(hub_url)
        lease = await locks.acquire("demo-3.psu", me("demo-3"))
        await nc.close()
        with pytest.raises(
            LockNotReleased, match=r"lock 'demo-3.psu' of station 'demo-3' was not released"
        ):
            await locks.release(lease)
        await locks.close()

    asyncio.run(scenario())
