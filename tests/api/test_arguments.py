"""Bad argument types and empty ids fail at the call, naming the argument, before any request."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchtrail.api import ArgumentTypeError, BadParameter, EventStore, WindowClient

Call = Callable[[EventStore, object], object]

ID_ARGUMENTS: list[tuple[str, Call]] = [
    ("session_id", lambda store, bad: store.session(bad)),  # type: ignore[arg-type]
    ("session_id", lambda store, bad: store.events(session_id=bad, event_type="run.started")),  # type: ignore[arg-type]
    ("session_id", lambda store, bad: store.events(bad, as_polars=True)),  # type: ignore[arg-type]
    ("run_id", lambda store, bad: store.run(bad)),  # type: ignore[arg-type]
    ("run_id", lambda store, bad: store.wait_for_run(bad, timeout=1)),  # type: ignore[arg-type]
    ("run_id", lambda store, bad: store.experiment(bad)),  # type: ignore[arg-type]
    ("serial", lambda store, bad: store.dut(bad)),  # type: ignore[arg-type]
    ("key", lambda store, bad: store.release_lock(bad, by="alice")),  # type: ignore[arg-type]
    ("window_id", lambda store, bad: WindowClient(store.url).window(bad)),  # type: ignore[arg-type]
    ("file_id", lambda store, bad: WindowClient(store.url).file(bad)),  # type: ignore[arg-type]
]

FILTERS: list[tuple[str, Call]] = [
    ("station_id", lambda store, bad: store.sessions(station_id=bad)),  # type: ignore[arg-type]
    ("session_id", lambda store, bad: store.runs(session_id=bad)),  # type: ignore[arg-type]
    ("run_id", lambda store, bad: store.measurements(run_id=bad)),  # type: ignore[arg-type]
    ("station_id", lambda store, bad: store.dut("SN-1", station_id=bad)),  # type: ignore[arg-type]
    ("station_id", lambda store, bad: store.yields(station_id=bad)),  # type: ignore[arg-type]
    ("test_phase", lambda store, bad: store.capability("vout", test_phase=bad)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("name", "call"), ID_ARGUMENTS + FILTERS)
@pytest.mark.parametrize("bad", [..., 42.5, ["a"]], ids=["ellipsis", "float", "list"])
def test_a_wrong_type_is_a_type_error_naming_the_argument(
    store: EventStore, name: str, call: Call, bad: object
):
    with pytest.raises(TypeError, match=rf"argument '{name}': expected .*, got ") as raised:
        call(store, bad)
    assert isinstance(raised.value, ArgumentTypeError)
    assert raised.value.name == name


@pytest.mark.parametrize(("name", "call"), ID_ARGUMENTS)
@pytest.mark.parametrize("empty", ["", "  "], ids=["empty", "blank"])
def test_an_empty_id_is_a_value_error_naming_the_argument(
    store: EventStore, name: str, call: Call, empty: str
):
    with pytest.raises(BadParameter, match=rf"parameter '{name}': expected a non-empty id"):
        call(store, empty)


def test_the_readme_mistake_says_what_to_pass(store: EventStore):
    """``store.events(session_id=...)`` copied from a README used to fail inside urllib."""
    with pytest.raises(TypeError) as raised:
        store.events(session_id=..., event_type="run.started")  # type: ignore[arg-type]
    assert str(raised.value) == "argument 'session_id': expected a str, got ellipsis Ellipsis"


def test_the_store_finds_the_api_in_benchtrail_api(api_url: str, monkeypatch: pytest.MonkeyPatch):
    """``EventStore()`` reads ``$BENCHTRAIL_API`` as the CLI does (the README relies on it)."""
    monkeypatch.setenv("BENCHTRAIL_API", api_url)
    with EventStore() as store:
        assert store.url == api_url
        assert store.health().status == "ok"
    monkeypatch.delenv("BENCHTRAIL_API")
    assert EventStore().url == "http://127.0.0.1:8000"
