"""DUT history: every run of one serial across stations, with its failures."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, Route, expect

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub


def _test_then_retest(hub: Hub) -> None:
    with connect("cell-1", hub=hub.nats.url) as first, first.run(dut_serial="SN-7") as run:
        run.measure("vout", 5.3, unit="V", low=4.95, high=5.05)
    with connect("cell-2", hub=hub.nats.url) as second, second.run(dut_serial="SN-7") as run:
        run.measure("vout", 5.0, unit="V", low=4.95, high=5.05)
    with connect("cell-2", hub=hub.nats.url) as other, other.run(dut_serial="SN-8") as run:
        run.measure("vout", 5.0, unit="V", low=4.95, high=5.05)
    hub.wait_ingested()


def _expect_history(page: Page) -> None:
    rows = page.locator("#dut-history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("cell-1")
    expect(rows.nth(0)).to_contain_text("failed")
    expect(rows.nth(1)).to_contain_text("cell-2")
    expect(rows.nth(1)).to_contain_text("passed")
    expect(page.locator("#dut-runs")).to_have_text("2")
    expect(page.locator("#dut-latest")).to_have_text("passed")
    expect(page.locator("#dut-stations")).to_have_text("2")
    expect(page.locator("#dut-station-names")).to_have_text("cell-1, cell-2")


def test_a_duts_runs_across_stations_oldest_first(running_hub: Hub, page: Page) -> None:
    _test_then_retest(running_hub)
    page.goto("/dashboard/dut.html?serial=SN-7")
    _expect_history(page)
    link = page.locator("#dut-history tbody tr").nth(0).get_by_role("link", name="open")
    link.click()
    expect(page).to_have_url(re.compile(r"/dashboard/session\.html\?id=[^&]+&run="))
    expect(page.locator("#chart")).to_have_attribute("data-points", "1")


def test_without_the_dut_endpoint_the_page_reads_runs_instead(running_hub: Hub, page: Page) -> None:
    _test_then_retest(running_hub)

    def no_such_route(route: Route) -> None:  # an API without /api/duts answers like this
        route.fulfill(status=404, json={"status_code": 404, "detail": "Not Found"})

    page.route("**/api/duts/**", no_such_route)
    page.goto("/dashboard/dut.html?serial=SN-7")
    _expect_history(page)
    expect(page.locator("#message")).to_be_empty()


def test_an_unknown_serial_says_so(running_hub: Hub, page: Page) -> None:
    page.goto("/dashboard/dut.html?serial=SN-404")
    expect(page.locator("#message")).to_have_text("No run of DUT SN-404 is recorded.")


def test_the_form_opens_a_serial(running_hub: Hub, page: Page) -> None:
    _test_then_retest(running_hub)
    page.goto("/dashboard/dut.html")
    page.get_by_label("Serial number").fill("SN-8")
    page.get_by_role("button", name="Show history").click()
    expect(page.locator("#dut-title")).to_have_text("SN-8")
    expect(page.locator("#dut-history tbody tr")).to_have_count(1)


def test_a_captures_trend_has_time_labels_and_numbers_without_float_noise(
    running_hub: Hub, page: Page
) -> None:
    trigger = time.time_ns()
    ripple = [0.012, 0.018, 0.021, 0.015, 0.009, 0.004, 0.002, 0.006]  # a scope capture, 1 µs apart
    stamps = [trigger + i * 1000 for i in range(len(ripple))]
    with (
        connect("cell-1", hub=running_hub.nats.url) as station,
        station.run(dut_serial="SN-9") as run,
    ):
        run.measure_batch("ripple", ripple, stamps, unit="V", high=0.0066 * 3)
    running_hub.wait_ingested()

    page.goto("/dashboard/dut.html?serial=SN-9")
    expect(page.locator("#dut-history tbody tr").first).to_contain_text("V [–, 0.0198]")
    chart = page.locator("#series-chart")
    expect(chart).to_have_attribute("data-points", re.compile(r"[1-9]"))
    expect(chart).to_have_attribute(
        "data-x-ticks", re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| \+\d+ µs")
    )
