"""The station registry in ``<data-dir>/auth`` and the authorization block rendered from it."""

from __future__ import annotations

import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchtrail.api.errors import StationExists, UnknownStation
from benchtrail.api.hub.identity import StationRegistry, permissions


def test_concurrent_adds_from_many_writers_are_all_kept(tmp_path: Path):
    ids = [f"cell-{i}" for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda i: StationRegistry(tmp_path).add(i).public_key, ids))
    registry = StationRegistry(tmp_path)
    assert [entry.station_id for entry in registry.list()] == sorted(ids)
    text = registry.authorization_file.read_text()
    assert all(key in text for key in keys), "every station's key is in the server's users"


def test_revoked_stations_are_listed_but_no_longer_accepted(tmp_path: Path):
    registry = StationRegistry(tmp_path)
    kept, revoked = registry.add("cell-7"), registry.add("cell-8")
    registry.revoke("cell-8")
    [cell_7, cell_8] = registry.list()
    assert cell_7.active and not cell_8.active and cell_8.revoked_at is not None
    text = registry.authorization_file.read_text()
    assert kept.public_key in text and revoked.public_key not in text
    with pytest.raises(UnknownStation):
        registry.revoke("cell-8")
    with pytest.raises(StationExists):
        registry.add("cell-7")
    assert registry.add("cell-8").public_key != revoked.public_key, "re-added with a new key"
    stored = json.loads((tmp_path / "auth" / "stations.json").read_text())
    assert {s["station_id"] for s in stored["stations"]} == {"cell-7", "cell-8"}
    assert "seed" not in json.dumps(stored).lower(), "the hub keeps public keys only"


def test_seed_files_are_private(tmp_path: Path):
    registry = StationRegistry(tmp_path)
    station = registry.add("cell-7").write(tmp_path / "credentials" / "cell-7.nk")
    for path in (
        station,
        registry.service_credentials("hub"),
        registry.service_credentials("live"),
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes().startswith(b"SU")


def test_a_station_may_publish_only_under_its_own_id_and_never_manage_streams():
    allowed = permissions("station", "cell-7")
    assert allowed.publish is not None and allowed.subscribe == ["_INBOX_cell-7.>"]
    assert "bt.evt.cell-7.>" in allowed.publish
    assert not [s for s in allowed.publish if "cell-8" in s or s.startswith("bt.dead")]
    stream_calls = [s for s in allowed.publish if ".STREAM." in s]
    assert all(".STREAM.INFO." in s or ".STREAM.MSG.GET." in s for s in stream_calls)
    assert not [s for s in allowed.publish if "CONSUMER" in s and "BT_EVENTS" in s]
