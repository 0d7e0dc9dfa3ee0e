"""Signing the dashboard in on a hub with tokens: a form once, then a session cookie."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from playwright.sync_api import Page, expect

from benchtrail.agents import connect
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry


@pytest.fixture
def running_hub(start_hub: Callable[..., AbstractContextManager[Hub]]) -> Iterator[Hub]:
    """A hub with auth (tokens, station credentials), a station session recorded."""
    with start_hub(auth=True) as hub:
        credentials = StationRegistry(hub.data_dir).add("cell-7").write(hub.data_dir / "c.nk")
        hub.nats.reload()
        with (
            connect(
                "cell-7", hub=hub.nats.url, operator="alice", credentials=str(credentials)
            ) as station,
            station.run(dut_serial="SN-1") as run,
        ):
            run.measure("vout", 5.0, unit="V", low=4.9, high=5.1)
        hub.wait_ingested()
        yield hub


def test_the_dashboard_asks_for_a_token_once_then_shows_the_fleet(
    running_hub: Hub, page: Page, snapshot: Callable[[str], None]
) -> None:
    viewer = token_store(running_hub.data_dir).create("wall", "viewer").token
    page.goto("/dashboard/")
    form = page.locator("form#signin")
    expect(form).to_be_visible()
    expect(page.locator("#stations tr[data-station='cell-7']")).to_have_count(0)
    snapshot("asked")

    form.locator("input[name=token]").fill("bt_wrong")
    form.locator("button[type=submit]").click()
    expect(form.locator(".signin-message")).to_contain_text("unknown or revoked")

    form.locator("input[name=token]").fill(viewer)
    form.locator("button[type=submit]").click()
    expect(page.locator("#stations tr[data-station='cell-7']")).to_be_visible()
    expect(page.locator("form#signin")).to_have_count(0)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["bt_session"]
    assert (session["httpOnly"], session["sameSite"]) == (True, "Strict")
    assert viewer not in session["value"]
    assert page.evaluate("document.cookie") == ""  # page scripts never see the session

    page.reload()  # signed in for good: no form again
    expect(page.locator("#stations tr[data-station='cell-7']")).to_be_visible()
    expect(page.locator("form#signin")).to_have_count(0)


def test_a_viewer_link_opens_the_dashboard_signed_in_without_the_token_in_the_url(
    running_hub: Hub, page: Page
) -> None:
    viewer = token_store(running_hub.data_dir).create("wall-display", "viewer").token
    page.goto(f"/dashboard/signin?token={viewer}")
    expect(page).to_have_url(f"{running_hub.api_url}/dashboard/")
    expect(page.locator("#stations tr[data-station='cell-7']")).to_be_visible()
    expect(page.locator("form#signin")).to_have_count(0)
