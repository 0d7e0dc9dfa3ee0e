"""``bt_run.attach`` in a test: the file is stored on the hub and listed with the run."""

from __future__ import annotations

from benchtrail.api import EventStore

from .conftest import Bench

SUITE = """
def test_scope_capture(bt_run, tmp_path):
    trace = tmp_path / "trace.csv"
    trace.write_text("t_ms,v\\n0,4.98\\n1,5.02\\n")
    bt_run.attach("trace.csv", trace)
"""


def test_a_test_attaches_a_file_to_the_run(bench: Bench):
    bench.pytester.makepyfile(test_suite=SUITE)
    result = bench.run("--bt-station", "cell-7")
    result.assert_outcomes(passed=1)
    (row,) = bench.rows("SELECT run_id, name, mimetype, size_bytes FROM {db}.attachments")
    assert (row["name"], row["mimetype"], row["size_bytes"]) == ("trace.csv", "text/csv", 21)
    with EventStore(bench.hub.api_url) as store:
        assert store.attachment(row["run_id"], "trace.csv") == b"t_ms,v\n0,4.98\n1,5.02\n"
