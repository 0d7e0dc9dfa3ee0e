"""Kill -9 the standalone projector mid-ingestion: the warehouse still holds exactly the stream.

Per-table counts and content checksums equal those of the same events written directly
(``RowBatch``/``Warehouse.write``), and the API shows no duplicate (the long version with
≥1M events and more kills is benchmarks/projector_kill.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchtrail.api.hub.natsserver import NatsServer

from .killrig import Corpus, frames, ingest_with_kills, publish, verify_in_child

CORPUS = Corpus(sessions=300, batch_points=4, seed=11)
"""72,000 events in 1,500 frames; 84,000 measurement rows."""


def test_projector_killed_three_times_leaves_exactly_the_published_events(
    nats_server: NatsServer, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"

    async def scenario():
        last_seq = await publish(nats_server.url, CORPUS)
        report = await ingest_with_kills(
            nats_server.url, warehouse, last_seq, kills=3, seed=CORPUS.seed
        )
        return last_seq, report

    last_seq, report = asyncio.run(scenario())
    assert last_seq == sum(1 for _ in frames(CORPUS))
    assert len(report.kills) == 3
    assert all(delivered > 0 and floor < last_seq for delivered, floor, _ in report.kills), (
        f"each kill must land mid-ingestion: (delivered, floor, pending) {report.kills}"
    )
    assert report.exit_status == 0, report.log_tail
    assert report.after_exit == (last_seq, last_seq, 0)

    verdict = verify_in_child(warehouse, CORPUS)
    assert verdict.live == verdict.expected, "counts or content differ from the published events"
    stored = verdict.live["events"][0] + verdict.live["measurement_events"][0]
    assert stored == CORPUS.events
    assert verdict.events_final == verdict.events_distinct == CORPUS.events
    assert verdict.api_runs == verdict.api_runs_distinct == CORPUS.sessions * CORPUS.runs
    assert verdict.api_runs_equal_expected
    assert verdict.api_sessions_checked >= 20 and verdict.api_sessions_wrong == 0
