"""The fleet overview: stations, running sessions, yield today and lock holders, kept live."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from benchtrail.agents import connect
from benchtrail.agents.config import InstrumentConfig, StationConfig
from benchtrail.api.hub.embedded import Hub

PSU = "TCPIP::10.0.0.7::INSTR"


def test_the_fleet_page_shows_stations_sessions_yield_and_lock_holders(
    running_hub: Hub, page: Page, snapshot: Callable[[str], None]
) -> None:
    config = StationConfig(
        id="cell-7",
        location="line 2",
        instruments={"psu": InstrumentConfig(resource=PSU, driver="psu")},
    )
    with connect(
        "cell-7", hub=running_hub.nats.url, operator="alice", mock=True, config=config
    ) as cell:
        cell.instrument("psu")  # holds the lock while the session runs
        for serial, value in (("SN-1", 5.0), ("SN-2", 5.2)):
            with cell.run(dut_serial=serial) as run:
                run.measure("vout", value, unit="V", low=4.95, high=5.05)
        cell.flush()
        running_hub.wait_ingested()

        page.goto("/")
        expect(page).to_have_url(f"{running_hub.api_url}/dashboard/")
        station = page.locator("#stations tr[data-station='cell-7']")
        expect(station).to_contain_text("line 2")
        expect(station.locator("td").nth(3)).to_have_text("1")  # running sessions
        session = page.locator(f"#sessions tr[data-session='{cell.session_id}']")
        expect(session).to_contain_text("cell-7")
        expect(session).to_contain_text("alice")
        expect(session.locator("a")).to_have_attribute(
            "href", f"/dashboard/session.html?id={cell.session_id}"
        )
        expect(page.locator("#running-count")).to_have_text("1")
        expect(page.locator("#yield-today")).to_have_text("50.0 %")
        expect(page.locator("#yield-detail")).to_contain_text("1 of 2 judged runs passed")
        lock = page.locator("#locks tbody tr", has_text=PSU)
        expect(lock).to_contain_text(PSU)
        expect(lock).to_contain_text("cell-7")
        expect(page.locator("#lock-count")).to_have_text("1")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        snapshot("loaded")


def test_the_fleet_page_follows_sessions_runs_and_locks_as_they_happen(
    running_hub: Hub, page: Page, snapshot: Callable[[str], None]
) -> None:
    page.goto("/dashboard/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#sessions")).to_contain_text("No session is running.")

    config = StationConfig(
        id="cell-8", instruments={"psu": InstrumentConfig(resource=PSU, driver="psu")}
    )
    with connect("cell-8", hub=running_hub.nats.url, mock=True, config=config) as cell:
        session = page.locator(f"#sessions tr[data-session='{cell.session_id}']")
        expect(session).to_contain_text("cell-8")  # no reload: from the live feed
        expect(page.locator("#stations tr[data-station='cell-8']")).to_be_visible()
        with cell.run(dut_serial="SN-9") as run:
            run.measure("vout", 4.0, unit="V", low=4.95, high=5.05)
        expect(page.locator("#yield-today")).to_have_text("0.0 %")
        expect(page.locator("#activity")).to_contain_text("DUT SN-9 started")
        cell.instrument("psu")
        expect(page.locator("#locks tbody tr", has_text=PSU)).to_contain_text("cell-8")
        snapshot("running")
    expect(session).to_have_count(0)  # the session ended
    expect(page.locator("#running-count")).to_have_text("0")
    expect(page.locator("#locks")).to_contain_text("No lock is held.")


def test_the_fleet_page_shows_why_a_stations_last_session_ended(
    running_hub: Hub, page: Page
) -> None:
    try:
        with connect("cell-9", hub=running_hub.nats.url, config=StationConfig(id="cell-9")):
            raise RuntimeError("fixture jammed")
    except RuntimeError:
        pass
    running_hub.wait_ingested()

    page.goto("/dashboard/")
    row = page.locator("#stations tr[data-station='cell-9']")
    expect(row.locator(".station-state")).to_have_text("stopped")
    expect(row.locator(".station-error")).to_have_text("RuntimeError('fixture jammed')")
