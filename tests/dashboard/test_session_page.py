"""The session view: metadata, runs, and a measurement chart that grows with the live feed."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub


def test_the_chart_gains_a_point_when_the_station_measures(
    running_hub: Hub, page: Page, snapshot: Callable[[str], None]
) -> None:
    with connect("cell-3", hub=running_hub.nats.url, operator="bob") as station:
        run = station.run(dut_serial="SN-100", part_number="PWR-5V", test_phase="production")
        for value in (4.99, 5.0, 5.01):
            run.measure("vout", value, unit="V", low=4.95, high=5.05)
        station.flush()
        running_hub.wait_ingested()

        page.goto(f"/dashboard/session.html?id={station.session_id}")
        chart = page.locator("#chart")
        expect(chart).to_have_attribute("data-points", "3")
        expect(chart.locator("canvas")).to_have_count(1)  # uPlot drew it
        expect(page.locator("#chart-caption")).to_contain_text("3 points of vout in run SN-100")
        expect(page.locator("#runs tr[data-run]")).to_contain_text("SN-100")
        expect(page.locator("#runs tr[data-run]")).to_contain_text("running")
        expect(page.locator("#metadata")).to_contain_text("bob")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        snapshot("three-points")

        run.measure("vout", 5.02, unit="V", low=4.95, high=5.05)  # live, not yet in the warehouse
        expect(chart).to_have_attribute("data-points", "4")
        expect(page.locator("#chart-caption")).to_contain_text("last 5.02 V")
        snapshot("four-points")

        run.end()
        expect(page.locator(f"#runs tr[data-run='{run.run_id}']")).to_contain_text("passed")

        with station.run(dut_serial="SN-101") as second:  # the chart follows the newest run
            expect(page.locator("#chart-caption")).to_contain_text("No numeric measurement")
            second.measure("vout", 4.9, unit="V", low=4.95, high=5.05)
            expect(chart).to_have_attribute("data-run", second.run_id)
            expect(chart).to_have_attribute("data-points", "1")
        expect(page.locator(f"#runs tr[data-run='{second.run_id}']")).to_contain_text("failed")
    expect(page.locator("#session-status")).to_have_text("ended")


def test_a_run_chosen_in_the_table_is_charted_from_the_warehouse(
    running_hub: Hub, page: Page
) -> None:
    with connect("cell-3", hub=running_hub.nats.url) as station:
        with station.run(dut_serial="SN-1") as first:
            stamps = [time.time_ns() + i * 1_000_000 for i in range(4)]  # 1 ms apart
            first.measure_batch("ripple", [0.01, 0.02, 0.015, 0.011], stamps, unit="V")
        with station.run(dut_serial="SN-2") as last:
            last.measure("vout", 5.0, unit="V")
    running_hub.wait_ingested()

    page.goto(f"/dashboard/session.html?id={station.session_id}")
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-run", last.run_id)  # the newest run first
    expect(chart).to_have_attribute("data-points", "1")
    page.locator(f"#runs tr[data-run='{first.run_id}']").click()
    expect(chart).to_have_attribute("data-run", first.run_id)
    expect(chart).to_have_attribute("data-name", "ripple")
    expect(chart).to_have_attribute("data-points", "4")
    expect(page).to_have_url(
        f"{running_hub.api_url}/dashboard/session.html?id={station.session_id}&run={first.run_id}"
    )


def test_an_unknown_session_says_so(running_hub: Hub, page: Page) -> None:
    page.goto("/dashboard/session.html?id=no-such-session")
    expect(page.locator("#message")).to_contain_text("session 'no-such-session' not found")


def test_the_run_page_plots_a_dimensioned_measurement_with_its_axes(
    running_hub: Hub, page: Page, snapshot: Callable[[str], None]
) -> None:
    with (
        connect("cell-3", hub=running_hub.nats.url) as station,
        station.run(dut_serial="SN-IV") as run,
    ):
        run.measure("vout", 5.0, unit="V")
        volts = [0.5 * i for i in range(41)]
        run.measure_table(
            "iv_curve",
            {
                "V": (volts, "V"),
                "I": ([v * v / 100 for v in volts], "A"),
                "P": ([v**3 / 100 for v in volts], "W"),
            },
        )
    running_hub.wait_ingested()

    page.goto(f"/dashboard/session.html?id={station.session_id}")
    chart = page.locator("#table-chart")
    expect(page.locator("#tables-panel")).to_be_visible()
    expect(chart).to_have_attribute("data-points", "41")
    expect(chart).to_have_attribute("data-columns", "V [V] | I [A] | P [W]")
    expect(chart.locator("canvas")).to_have_count(1)  # uPlot drew it
    expect(page.locator("#table-caption")).to_contain_text("iv_curve: 41 points, x = V [V]")
    expect(page.locator("#table-select option")).to_have_text(["iv_curve · 41 points"])
    snapshot("dimensioned")


def test_a_run_without_dimensioned_measurements_hides_their_panel(
    running_hub: Hub, page: Page
) -> None:
    with connect("cell-3", hub=running_hub.nats.url) as station, station.run() as run:
        run.measure("vout", 5.0, unit="V")
    running_hub.wait_ingested()

    page.goto(f"/dashboard/session.html?id={station.session_id}")
    expect(page.locator("#chart")).to_have_attribute("data-points", "1")
    expect(page.locator("#tables-panel")).to_be_hidden()


def test_a_dimensioned_measurement_recorded_live_appears_on_the_open_page(
    running_hub: Hub, page: Page
) -> None:
    with connect("cell-3", hub=running_hub.nats.url) as station:
        run = station.run(dut_serial="SN-LIVE")
        run.measure("vout", 5.0, unit="V")
        station.flush()
        running_hub.wait_ingested()
        page.goto(f"/dashboard/session.html?id={station.session_id}")
        expect(page.locator("#chart")).to_have_attribute("data-points", "1")
        expect(page.locator("#tables-panel")).to_be_hidden()

        t_us = [float(i) for i in range(40_000)]  # two parts: the page waits for both
        run.measure_table("capture", {"t": (t_us, "µs"), "CH1": ([v % 7 for v in t_us], "V")})
        station.flush()
        chart = page.locator("#table-chart")
        expect(chart).to_have_attribute("data-points", "40000")
        expect(chart).to_have_attribute("data-columns", "t [µs] | CH1 [V]")
        run.end()


def test_the_run_links_its_attachments_and_previews_images(
    running_hub: Hub, page: Page, snapshot: Callable[[str], None]
) -> None:
    png = base64.b64decode(  # a red 16x16 square
        "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAF0lEQVR4nGP4z8BAEiJN9aiGUQ1DSgMAkPn/"
        "Afnh+ngAAAAASUVORK5CYII="
    )
    with (
        connect("cell-3", hub=running_hub.nats.url) as station,
        station.run(dut_serial="SN-ATT") as run,
    ):
        run.attach("eye.png", png)
        run.attach("console.log", b"all good\n", "text/plain")
    running_hub.wait_ingested()

    page.goto(f"/dashboard/session.html?id={station.session_id}&run={run.run_id}")
    items = page.locator("#attachments li.attachment")
    expect(items).to_have_count(2)
    link = page.locator("#attachments li[data-name='console.log'] a")
    expect(link).to_have_attribute("download", "console.log")
    preview = page.locator("#attachments li[data-name='eye.png'] img.preview")
    expect(preview).to_have_attribute("src", re.compile(r"/attachments/eye\.png$"))
    page.wait_for_function("document.querySelector('img.preview').naturalWidth === 16")
    assert page.request.get(link.get_attribute("href") or "").body() == b"all good\n"
    snapshot("attachments")
