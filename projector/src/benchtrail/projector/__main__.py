"""Run the projector on its own: ``python -m benchtrail.projector --hub ... --warehouse ...``.

Stops cleanly on SIGINT or SIGTERM: the batch in hand is written and acked first.
A second signal stops at once; what was not acked is redelivered to the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import logging
import os
import signal
import sys
from collections.abc import Sequence

from benchtrail.projector.config import ProjectorSettings, StreamSettings
from benchtrail.projector.consumer import Projector
from benchtrail.projector.errors import HubUnavailable, WarehouseUnavailable
from benchtrail.projector.tables import DATABASE
from benchtrail.projector.warehouse import open_warehouse
from benchtrail.schemas import HUB_IDENTITY, NatsAccess, TimeWindow

log = logging.getLogger("benchtrail.projector")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options of the standalone projector."""
    defaults = ProjectorSettings()
    parser = argparse.ArgumentParser(
        prog="python -m benchtrail.projector",
        description="Project benchtrail events from NATS JetStream into ClickHouse.",
    )
    parser.add_argument("--hub", default="nats://127.0.0.1:4222", help="NATS URL of the hub")
    parser.add_argument(
        "--credentials",
        default=os.environ.get("BENCHTRAIL_CREDENTIALS", ""),
        help="the hub identity's nkey seed file (<data-dir>/auth/hub.nk of a hub with auth; "
        "env BENCHTRAIL_CREDENTIALS)",
    )
    parser.add_argument(
        "--tls-ca",
        default=os.environ.get("BENCHTRAIL_TLS_CA", ""),
        help="CA certificate (PEM) that signed the hub's (env BENCHTRAIL_TLS_CA)",
    )
    parser.add_argument(
        "--warehouse",
        default="./data/warehouse",
        help="chDB data directory, or http(s)://user:password@host:port of a ClickHouse server",
    )
    parser.add_argument("--database", default=DATABASE, help="ClickHouse database")
    parser.add_argument("--durable", default=defaults.durable, help="durable consumer name")
    parser.add_argument("--batch-max-events", type=int, default=defaults.batch_max_events)
    parser.add_argument("--batch-max-rows", type=int, default=defaults.batch_max_rows)
    parser.add_argument("--batch-max-wait", type=float, default=defaults.batch_max_wait)
    parser.add_argument(
        "--max-frame-days",
        type=int,
        default=defaults.max_frame_days,
        help="dead-letter a frame whose times touch more UTC days than this (1-100)",
    )
    parser.add_argument(
        "--earliest",
        type=datetime.date.fromisoformat,
        default=defaults.time_window.earliest,
        help="dead-letter an event with a time before this UTC day (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--future-slack",
        type=float,
        default=defaults.time_window.future_slack,
        help="dead-letter an event with a time more than this many seconds ahead of the clock",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=defaults.streams.num_replicas,
        help="copies of BT_EVENTS and BT_DEAD in a cluster (3 on a 3-node cluster)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> ProjectorSettings:
    """Projector settings from parsed options."""
    return ProjectorSettings(
        durable=args.durable,
        batch_max_events=args.batch_max_events,
        batch_max_rows=args.batch_max_rows,
        batch_max_wait=args.batch_max_wait,
        max_frame_days=args.max_frame_days,
        time_window=TimeWindow(earliest=args.earliest, future_slack=args.future_slack),
        streams=StreamSettings(num_replicas=args.replicas),
    )


async def serve(args: argparse.Namespace) -> None:
    """Open the warehouse, then project until SIGINT or SIGTERM."""
    warehouse = open_warehouse(args.warehouse, database=args.database)
    stop = asyncio.Event()
    serving = asyncio.current_task()
    assert serving is not None

    def on_signal() -> None:
        if stop.is_set():
            serving.cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    access = NatsAccess.of(HUB_IDENTITY, args.credentials, args.tls_ca)
    projector = Projector(warehouse, args.hub, settings=settings_from(args), access=access)
    try:
        await projector.start()
        log.info("projecting %s into %s (database %s)", args.hub, args.warehouse, args.database)
        await stop.wait()
        log.info("stopping: writing the batch in hand")
        await projector.stop()
        log.info("stopped: %s", projector.stats)
    finally:
        warehouse.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(serve(args))
    except (HubUnavailable, WarehouseUnavailable) as e:
        log.error("%s", e)
        return 1
    except asyncio.CancelledError:
        log.warning("stopped at once; unacknowledged frames will be redelivered")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
