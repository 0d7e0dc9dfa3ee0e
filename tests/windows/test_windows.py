"""Observation windows through the Python client, against a whole running hub.

Every change goes through JetStream and the projector; what the client sees is
read back from ClickHouse.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchtrail.api import FileContribution, NotFound, Window, WindowClient
from benchtrail.api.hub.embedded import Hub

from .conftest import T0, Captures, at


def extent(window: Window) -> tuple[int | None, int | None]:
    return window.min_timestamp_ns, window.max_timestamp_ns


def test_a_window_is_created_with_a_name_devices_and_who_made_it(client: WindowClient):
    window = Window.create(
        name="brown-out", device_ids=["cell-7", "SN123"], project="psu", client=client
    )

    again = Window.from_id(window.window_id, client=client)
    assert again.name == "brown-out"
    assert again.project == "psu"
    assert again.device_ids == ["SN123", "cell-7"]
    assert extent(again) == (None, None)
    assert again.created_by == again.modified_by == "alice"
    assert again.created == again.modified
    assert [d.device_id for d in again.list_devices()] == ["SN123", "cell-7"]


def test_extent_is_recomputed_on_every_add_and_remove(client: WindowClient, captures: Captures):
    scope, log, early = captures.scope.file_id, captures.log.file_id, captures.early.file_id
    window = Window.create(name="run 42", client=client)

    assert extent(window.add_file(scope)) == (T0, at(100))
    assert extent(window.add_file(log, at(210), at(220))) == (T0, at(220))
    assert extent(window.add_files([early])) == (at(-50), at(220))
    assert extent(window.remove_file(scope)) == (at(-50), at(220))
    assert extent(window.remove_files([early])) == (at(210), at(220))
    assert extent(window.add_file(log)) == (at(200), at(300))  # re-added whole
    assert extent(window.remove_file(log)) == (None, None)
    assert extent(Window.from_id(window.window_id, client=client)) == (None, None)


def test_files_are_listed_with_their_ranges(client: WindowClient, captures: Captures):
    window = Window.create(client=client).add_files(
        [
            captures.scope.file_id,
            FileContribution(
                file_id=captures.log.file_id,
                range_min_timestamp_ns=at(250),
                range_max_timestamp_ns=at(260),
            ),
        ]
    )

    files = window.list_files()
    assert [(f.path, f.dataset_id) for f in files] == [
        ("scope/ch1-ch2.bin", "run-42"),
        ("logs/station.log", "run-42"),
    ]
    whole, narrowed = files
    assert (whole.range_min_timestamp_ns, whole.range_max_timestamp_ns) == (None, None)
    assert (whole.min_timestamp_ns, whole.max_timestamp_ns) == (T0, at(100))
    assert (narrowed.range_min_timestamp_ns, narrowed.range_max_timestamp_ns) == (
        at(250),
        at(260),
    )
    assert narrowed.added_by == "alice"
    assert window.record.file_count == 2
    assert files.to_polars().height == 2


def test_topics_are_range_filtered_deduplicated_and_ordered(
    client: WindowClient, captures: Captures
):
    shared = [
        client.register_file(
            dataset_id="run-44",
            path=f"dmm/{name}.csv",
            start_ns=T0,
            end_ns=at(10),
            topics=[{"name": "vbus", "topic_id": "vbus-dmm"}],  # type: ignore[list-item]
        )
        for name in ("a", "b")
    ]
    window = Window.create(client=client).add_files(
        [
            FileContribution(  # ch1 of scope ends at T0+50 s: out of this range
                file_id=captures.scope.file_id,
                range_min_timestamp_ns=at(60),
                range_max_timestamp_ns=at(100),
            ),
            FileContribution(  # alarm starts at T0+290 s: out of this range
                file_id=captures.log.file_id,
                range_min_timestamp_ns=at(210),
                range_max_timestamp_ns=at(220),
            ),
            *(FileContribution(file_id=f.file_id) for f in shared),
        ]
    )

    topics = window.list_topics()
    by_file = {captures.scope.file_id: "scope", captures.log.file_id: "log"}
    by_file.update({f.file_id: f.path for f in shared})
    assert [(t.name, [by_file[f] for f in t.file_ids]) for t in topics] == [
        ("ch1", ["log"]),
        ("ch2", ["scope"]),
        ("vbus", ["dmm/a.csv", "dmm/b.csv"]),
    ]
    vbus = topics[-1]
    assert (vbus.topic_id, vbus.start_ns, vbus.end_ns) == ("vbus-dmm", T0, at(10))

    window.add_file(captures.scope.file_id)  # whole again: its ch1 comes back
    ch1_ids = sorted(
        t.topic_id for f in (captures.scope, captures.log) for t in f.topics if t.name == "ch1"
    )
    assert [(t.name, t.topic_id) for t in window.list_topics()][:2] == [
        ("ch1", ch1_ids[0]),
        ("ch1", ch1_ids[1]),
    ]


def test_update_sets_clears_or_keeps_the_name(
    running_hub: Hub, client: WindowClient, operator_token: Callable[[str], str]
):
    window = Window.create(name="first", client=client)
    with WindowClient(running_hub.api_url, token=operator_token("bob")) as bob:
        renamed = Window.from_id(window.window_id, client=bob).update(name="second")
        assert (renamed.name, renamed.modified_by, renamed.created_by) == ("second", "bob", "alice")
        assert renamed.modified > renamed.created

        assert renamed.update().name == "second"  # omitted: unchanged
        assert renamed.update(name=None).name is None  # None: cleared
    assert window.refresh().name is None
    assert window.update(name="third").name == "third"
    assert window.modified_by == "alice"


def test_devices_are_attached_and_detached(client: WindowClient):
    window = Window.create(device_ids=["cell-7"], client=client)

    window.attach_to_device("fixture-3", kind="fixture").attach_to_device("SN123", kind="dut")
    assert window.device_ids == ["SN123", "cell-7", "fixture-3"]
    assert [(d.device_id, d.kind) for d in window.list_devices()] == [
        ("SN123", "dut"),
        ("cell-7", ""),
        ("fixture-3", "fixture"),
    ]

    assert window.detach_from_device("cell-7").device_ids == ["SN123", "fixture-3"]
    with pytest.raises(NotFound, match="window device 'cell-7' not found"):
        window.detach_from_device("cell-7")
    assert window.attach_to_device("cell-7").device_ids == ["SN123", "cell-7", "fixture-3"]


def test_delete_takes_contributions_and_attachments_with_it(
    client: WindowClient, captures: Captures
):
    window = Window.create(name="doomed", device_ids=["cell-7"], client=client)
    window.add_file(captures.scope.file_id)
    kept = Window.create(name="kept", client=client).add_file(captures.log.file_id)
    assert {w.window_id for w in Window.for_dataset("run-42", client=client)} == {
        window.window_id,
        kept.window_id,
    }

    window.delete()

    for call in (
        lambda: Window.from_id(window.window_id, client=client),
        window.list_files,
        window.list_devices,
        window.list_topics,
        lambda: window.add_file(captures.log.file_id),
        lambda: window.attach_to_device("SN123"),
        window.delete,
    ):
        with pytest.raises(NotFound, match=f"window {window.window_id!r} not found"):
            call()
    assert [w.window_id for w in Window.for_dataset("run-42", client=client)] == [kept.window_id]
    assert window.window_id not in {w.window_id for w in Window.for_org(client=client)}


def test_lists_by_dataset_project_and_organisation_page_newest_first(
    client: WindowClient, captures: Captures
):
    created = [
        Window.create(name=f"w{i}", project="psu" if i % 2 else "dmm", client=client)
        for i in range(5)
    ]
    for window in created[1:4]:
        window.add_file(captures.early.file_id)
    newest_first = [w.window_id for w in reversed(created)]

    def ids(windows: object) -> list[str]:
        return [w.window_id for w in windows]  # type: ignore[attr-defined]

    assert ids(Window.for_org(client=client, page_size=2)) == newest_first
    assert ids(Window.for_project("psu", client=client, page_size=1)) == [
        created[3].window_id,
        created[1].window_id,
    ]
    assert ids(Window.for_dataset("run-43", client=client, page_size=2)) == [
        created[3].window_id,
        created[2].window_id,
        created[1].window_id,
    ]
    assert ids(Window.for_dataset("run-42", client=client)) == []

    first = client.windows(limit=2)
    assert [w.window_id for w in first] == newest_first[:2]
    assert first.next_cursor is not None
    rest = client.windows(limit=None, cursor=first.next_cursor)
    assert [w.window_id for w in rest] == newest_first[2:]
    assert rest.next_cursor is None
    assert client.windows(project="dmm").to_polars()["name"].to_list() == ["w4", "w2", "w0"]
