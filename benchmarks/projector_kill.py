"""Projector exactness under kill -9, long version: ≥1M events, ≥5 SIGKILLs, then checksums.

Publishes a deterministic corpus (sessions, runs, steps, measurements, measurement
batches; frames with their ``Nats-Msg-Id``) into a fresh nats-server, runs
``python -m benchtrail.projector`` as a child process and SIGKILLs it at random
points of the ingestion (seeded), restarting it each time; the last run drains
and exits on SIGTERM. Then the same events are written with ``RowBatch`` /
``Warehouse.write`` into a database ``expected`` of the same chDB directory, and
per-table counts, content checksums and the runs and sessions read through the
API are compared. The short version is tests/faults/test_projector_kill.py; the
machinery is tests/faults/killrig.py.

    uv run python benchmarks/projector_kill.py                    # 1,008,000 events, 5 kills
    uv run python benchmarks/projector_kill.py --sessions 14000 --kills 10 --seed 3
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from benchtrail.api.hub.natsserver import NatsServer


def _killrig() -> ModuleType:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faults"))
    return importlib.import_module("killrig")


async def main(args: argparse.Namespace) -> int:
    rig = _killrig()
    corpus = rig.Corpus(sessions=args.sessions, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="bt-pkill-") as tmp:
        server = NatsServer(Path(tmp) / "jetstream").start()
        try:
            t0 = time.perf_counter()
            last_seq = await rig.publish(server.url, corpus)
            published_s = time.perf_counter() - t0
            print(
                f"published {corpus.events:,} events in {last_seq:,} frames "
                f"in {published_s:.1f} s ({corpus.events / published_s:,.0f} events/s)"
            )
            report = await rig.ingest_with_kills(
                server.url,
                Path(tmp) / "warehouse",
                last_seq,
                kills=args.kills,
                seed=args.seed,
                batch_max_events=args.batch_max_events,
                timeout=1800,
            )
        finally:
            server.stop()
        print(f"kills (delivered, ack floor, ack pending): {report.kills}")
        print(
            f"ingested with {len(report.kills)} kills in {report.seconds:.1f} s "
            f"({corpus.events / report.seconds:,.0f} events/s including restarts); "
            f"last run exited {report.exit_status}; consumer after exit {report.after_exit}"
        )
        t0 = time.perf_counter()
        verdict = rig.verify_in_child(Path(tmp) / "warehouse", corpus)
        print(f"verified in {time.perf_counter() - t0:.1f} s")
    print(f"\n{'table':<16}{'rows':>12}{'expected':>12}  checksum")
    for table, (rows, checksum) in verdict.live.items():
        want_rows, want_checksum = verdict.expected[table]
        same = "equal" if checksum == want_checksum else f"DIFFERS ({checksum} != {want_checksum})"
        print(f"{table:<16}{rows:>12,}{want_rows:>12,}  {same}")
    duplicated = verdict.events_final - verdict.events_distinct
    lost = corpus.events - verdict.events_distinct
    print(
        f"\nsent {corpus.events:,}  stored {verdict.events_distinct:,}  lost {lost:,}  "
        f"duplicated {duplicated:,}"
    )
    print(
        f"API: {verdict.api_runs:,} runs ({verdict.api_runs_distinct:,} distinct), "
        f"equal to expected: {verdict.api_runs_equal_expected}; "
        f"{verdict.api_sessions_checked} sessions read back, {verdict.api_sessions_wrong} wrong"
    )
    exact = (
        verdict.live == verdict.expected
        and lost == duplicated == 0
        and verdict.api_runs_equal_expected
        and verdict.api_sessions_wrong == 0
    )
    print("EXACT" if exact else "NOT EXACT")
    return 0 if exact else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=7000, help="144 events each")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-max-events", type=int, default=20_000)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
