"""A lock holder in its own process, for the lock fault tests.

    python lock_holder.py HUB KEY            # hold until killed
    python lock_holder.py HUB KEY CYCLES     # take and release CYCLES times

Takes KEY, prints ``acquired <token>``, then every 20 ms checks its lease and prints
``held <token> <time.monotonic()>`` or ``lost`` (then exits). Killed or stopped by the test.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import nats

from benchtrail.agents.errors import LeaseLost
from benchtrail.agents.locks import Holder, Locks


async def cycles(hub: str, key: str, count: int) -> None:
    """Take and give back KEY ``count`` times; print each holding interval and token."""
    nc = await nats.connect(hub)
    locks = await Locks(nc.jetstream(), lease=1.0).open()
    holder = Holder(station_id=f"p{os.getpid()}", pid=os.getpid(), since_ns=time.time_ns())
    for _ in range(count):
        lease = await locks.acquire(key, holder, wait=30)
        began = time.monotonic()
        lease.check()
        await asyncio.sleep(0.005)  # "use the instrument"
        lease.check()
        ended = time.monotonic()
        await locks.release(lease)
        print(f"interval {began} {ended} {lease.fencing_token}", flush=True)
    await locks.close()
    await nc.close()


async def main(hub: str, key: str) -> None:
    nc = await nats.connect(hub, max_reconnect_attempts=-1)
    locks = await Locks(nc.jetstream(), lease=1.0).open()
    holder = Holder(station_id="holder", pid=os.getpid(), since_ns=time.time_ns())
    lease = await locks.acquire(key, holder, wait=30)
    print(f"acquired {lease.fencing_token}", flush=True)
    while True:
        try:
            lease.check()
        except LeaseLost as e:
            print(f"lost {e}", flush=True)
            return
        print(f"held {lease.fencing_token} {time.monotonic()}", flush=True)
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    if len(sys.argv) > 3:
        asyncio.run(cycles(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
