"""Dead letters over HTTP, the Python client and the CLI, against a whole running hub."""

from __future__ import annotations

import asyncio
import json

import msgspec
import nats
import pytest
from click.testing import CliRunner

from benchtrail.api import EventStore
from benchtrail.api.errors import ApiUnavailable, BadParameter, NotFound
from benchtrail.cli import main
from benchtrail.projector import validation
from benchtrail.schemas import (
    EVENTS_STREAM,
    MSG_ID_HEADER,
    RETRY_OF_HEADER,
    Measurement,
    event_subject,
    new_id,
    now_ns,
)

STATION = "cell-7"


def _measurement(session_id: str, seq: int, **fields: object) -> Measurement:
    values = {"name": "vout", "value": 5.0, **fields}
    return Measurement(
        event_id=new_id(),
        session_id=session_id,
        station_id=STATION,
        seq=seq,
        occurred_at=now_ns(),
        **values,  # type: ignore[arg-type]
    )


def _publish(hub, frames: list[tuple[str, bytes]]) -> list[int]:
    async def send() -> list[int]:
        nc = await nats.connect(hub.nats.url)
        js = nc.jetstream()
        seqs = []
        for subject, data in frames:
            ack = await js.publish(subject, data, headers={MSG_ID_HEADER: new_id()})
            seqs.append(ack.seq)
        await nc.close()
        return seqs

    seqs = asyncio.run(send())
    hub.wait_ingested()
    return seqs


def _stored(hub, session_id: str) -> list[str]:
    rows = hub.warehouse.rows(
        f"SELECT name FROM {hub.warehouse.database}.measurements FINAL"
        " WHERE session_id = {s:String} ORDER BY name",
        {"s": session_id},
    )
    return [row["name"] for row in rows]


@pytest.fixture
def mixed(running_hub):
    """One mixed frame (a good measurement, a too-long text, a NaN) and one garbage message."""
    session_id = new_id()
    subject = event_subject(STATION, session_id)
    good = _measurement(session_id, 1, name="good")
    long_text = _measurement(session_id, 2, name="label", value="x" * 70_000)
    nan = {**msgspec.to_builtins(_measurement(session_id, 3)), "value": float("nan")}
    frame = msgspec.msgpack.encode([msgspec.to_builtins(good), long_text, nan])
    seqs = _publish(running_hub, [(subject, frame), (subject, b"\xc1garbage")])
    return session_id, subject, seqs


def test_dead_letters_are_listed_filtered_and_shown(running_hub, mixed):
    session_id, subject, (frame_seq, garbage_seq) = mixed
    with EventStore(running_hub.api_url) as store:
        page = store.dead_letters()
        by_code = {letter.reason_code: letter for letter in page.items}
        newest = store.dead_letters(order="newest", limit=1)
        only_nan = store.dead_letters(reason="non-finite")
        elsewhere = store.dead_letters(subject="bt.evt.cell-8.>")
        first = store.dead_letters(limit=1)
        rest = store.dead_letters(after=first.next_cursor)
        shown = store.dead_letter(by_code["value-too-long"].seq)
        garbage = store.dead_letter(by_code["undecodable"].seq)

    assert set(by_code) == {"value-too-long", "non-finite", "undecodable"}
    assert _stored(running_hub, session_id) == ["good"]
    assert by_code["value-too-long"].event_index == 1
    assert by_code["non-finite"].event_index == 2
    assert by_code["undecodable"].event_index is None
    assert {letter.original_seq for letter in page.items} == {frame_seq, garbage_seq}
    assert all(letter.subject == subject for letter in page.items)
    assert by_code["value-too-long"].reason.startswith("measurement 'label' text value of 70000")
    assert [letter.reason_code for letter in only_nan.items] == ["non-finite"]
    assert elsewhere.items == []
    assert newest.items[0].seq == max(letter.seq for letter in page.items)
    assert [first.items[0].seq, *(letter.seq for letter in rest.items)] == [
        letter.seq for letter in page.items
    ]
    assert shown.events is not None
    assert shown.events[0]["name"] == "label"
    assert shown.events[0]["seq"] == 2
    assert garbage.events is None
    assert garbage.preview_hex == b"\xc1garbage".hex()


def test_unknown_dead_letter_is_a_404_naming_the_seq(running_hub, mixed):
    with EventStore(running_hub.api_url) as store:
        with pytest.raises(NotFound, match="dead letter '999'"):
            store.dead_letter(999)
        with pytest.raises(NotFound, match="dead letter '999'"):
            store.retry_dead_letters([999])
        with pytest.raises(BadParameter, match="reason"):
            store._request("/api/dead-letters/retry", {}, method="POST")


def test_retry_after_an_upgrade_lands_what_the_new_rules_accept(running_hub, mixed, monkeypatch):
    session_id, subject, _ = mixed
    with EventStore(running_hub.api_url) as store:
        still_bad = store.retry_dead_letters(reason="non-finite")
        # "the upgrade": this version takes longer text values
        monkeypatch.setattr(validation, "MAX_TEXT_VALUE", 100_000)
        retried = store.retry_dead_letters(reason="value-too-long")
        running_hub.wait_ingested()
        after = store.dead_letters()

    assert [r.subject for r in retried] == [subject]
    assert _stored(running_hub, session_id) == ["good", "label"]
    assert still_bad[0].subject == subject
    codes = sorted(letter.reason_code for letter in after.items)
    assert codes == ["non-finite", "undecodable"]  # the NaN came back as a new dead letter
    renewed = next(letter for letter in after.items if letter.reason_code == "non-finite")
    assert renewed.seq != still_bad[0].seq
    assert renewed.original_seq == still_bad[0].stream_seq

    async def retried_message() -> dict[str, str]:
        nc = await nats.connect(running_hub.nats.url)
        msg = await nc.jetstream().get_msg(EVENTS_STREAM, retried[0].stream_seq)
        await nc.close()
        return msg.headers

    headers = asyncio.run(retried_message())
    assert headers[RETRY_OF_HEADER] == str(retried[0].seq)
    assert headers[MSG_ID_HEADER] == f"retry:{retried[0].seq}"


def test_the_cli_lists_shows_and_retries(running_hub, mixed):
    runner = CliRunner(env={"COLUMNS": "200"})
    api = ["--api", running_hub.api_url]
    table = runner.invoke(main, ["dead-letters", "list", *api])
    listed = runner.invoke(main, ["dead-letters", "list", "--json", *api])
    assert table.exit_code == 0, table.output
    assert "value-too-long" in table.output and "undecodable" in table.output
    seqs = {item["reason_code"]: item["seq"] for item in json.loads(listed.output)["items"]}

    shown = runner.invoke(main, ["dead-letters", "show", str(seqs["non-finite"]), *api])
    assert shown.exit_code == 0, shown.output
    assert "non-finite" in shown.output and '"vout"' in shown.output

    nothing = runner.invoke(main, ["dead-letters", "retry", *api])
    assert nothing.exit_code == 2
    assert "--reason CODE or --all" in nothing.output

    retried = runner.invoke(main, ["dead-letters", "retry", "--all", "--json", *api])
    assert retried.exit_code == 0, retried.output
    assert sorted(r["seq"] for r in json.loads(retried.output)) == sorted(seqs.values())

    missing = runner.invoke(main, ["dead-letters", "show", "99999", *api])
    assert missing.exit_code == 1
    assert "dead letter '99999' not found" in missing.output


def test_without_a_hub_dead_letters_are_unavailable(api_url):
    with EventStore(api_url) as store, pytest.raises(ApiUnavailable, match="503"):
        store.dead_letters()
