"""Analytics: yield trend, Pareto, capability table and control chart, each from its endpoint."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub

PANELS = {
    "yield-panel": "/api/analytics/yield",
    "pareto-panel": "/api/analytics/pareto",
    "capability-panel": "/api/analytics/capability",
    "control-panel": "/api/analytics/control-chart",
}


def test_each_panel_says_which_endpoint_this_server_lacks(running_hub: Hub, page: Page) -> None:
    def no_such_route(route: Route) -> None:  # what an API without analytics answers
        route.fulfill(status=404, json={"status_code": 404, "detail": "Not Found"})

    page.route("**/api/analytics/**", no_such_route)
    page.goto("/dashboard/analytics.html?name=vout")
    for panel, path in PANELS.items():
        expect(page.locator(f"#{panel} [data-role=message]")).to_contain_text(
            f"not available on this server: {path} answered 404"
        )
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")


def _analytics_served(hub: Hub) -> bool:
    answer = httpx.get(f"{hub.api_url}/api/analytics/yield")
    return answer.status_code != 404


def test_the_panels_show_yield_failures_capability_and_control(
    running_hub: Hub, page: Page
) -> None:
    if not _analytics_served(running_hub):
        pytest.skip("this API has no /api/analytics endpoints")
    values = [5.0, 5.01, 4.99, 5.2, 5.0, 4.98, 5.02, 5.0]  # 5.2 fails its limits
    with connect("cell-1", hub=running_hub.nats.url) as station:
        for index, value in enumerate(values):
            with station.run(dut_serial=f"SN-{index}") as run:
                run.measure("vout", value, unit="V", low=4.9, high=5.1)
    running_hub.wait_ingested()

    page.goto("/dashboard/analytics.html?name=vout")
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    yield_rows = page.locator("#yield-table tbody tr")
    expect(yield_rows).to_have_count(1)  # today
    expect(yield_rows.first).to_contain_text("87.5 %")  # 7 of 8 runs passed
    expect(page.locator("#yield-chart")).to_have_attribute("data-points", "1")
    pareto = page.locator("#pareto-table tbody tr")
    expect(pareto).to_have_count(1)
    expect(pareto.first).to_contain_text("vout")
    capability = page.locator("#capability-table tbody tr", has_text="vout")
    expect(capability).to_contain_text("cell-1")
    expect(capability.locator("td").nth(3)).to_have_text("8")  # n
    expect(page.locator("#control-chart")).to_have_attribute("data-points", "8")
    expect(page.locator("#control-title")).to_have_text("vout (imr)")
    for panel in PANELS:
        expect(page.locator(f"#{panel} [data-role=message]")).to_be_empty()
