"""OpenHTF attachments through the BenchtrailOutput callback: the exact bytes, per phase."""

from __future__ import annotations

from typing import Any

import openhtf as htf
from openhtf.util import configuration

from benchtrail.agents import connect
from benchtrail.agents.adapters.openhtf import BenchtrailOutput
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
LOG_TEXT = "phase one done\n"


def capture(test: Any) -> None:
    test.attach("scope.png", IMAGE)
    test.attach("notes", LOG_TEXT, mimetype="text/plain")


def recheck(test: Any) -> None:
    test.attach("notes", "second phase notes\n")
    test.attach("raw/dump.bin", b"\x00\x01", mimetype="application/octet-stream")


def test_phase_attachments_become_run_attachments_with_their_bytes(running_hub: Hub):
    with connect("bench-3", hub=running_hub.nats.url) as station:
        output = BenchtrailOutput(station)
        test = htf.Test(capture, recheck)
        test.add_output_callbacks(output)
        configuration.CONF.save_and_restore(station_id="htf-bench-3")(test.execute)(
            test_start=lambda: "SN-1"
        )
        assert output.last_run is not None
        run_id = output.last_run.run_id
    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        listed = {a.name: a for a in store.attachments(run_id)}
        assert sorted(listed) == ["capture.notes", "raw_dump.bin", "recheck.notes", "scope.png"]
        assert (listed["scope.png"].mimetype, listed["scope.png"].step) == ("image/png", "capture")
        assert listed["capture.notes"].mimetype == "text/plain"
        assert store.attachment(run_id, "scope.png") == IMAGE
        assert store.attachment(run_id, "capture.notes") == LOG_TEXT.encode()
        assert store.attachment(run_id, "recheck.notes") == b"second phase notes\n"
        assert store.attachment(run_id, "raw_dump.bin") == b"\x00\x01"
