"""The fleet page shows what each demo station does: recording, backing off, and why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from playwright.sync_api import Page, expect

from benchtrail.agents.errors import InstrumentError
from benchtrail.agents.instruments import Dmm
from benchtrail.api.hub.embedded import Hub


class JammedDmm:
    """While ``jammed``, every DC voltage reading of the demo's DMM fails."""

    def __init__(self) -> None:
        self.jammed = True
        self.original = Dmm.measure_voltage_dc

    def reading(self) -> Callable[[Dmm], float]:
        def measure_voltage_dc(dmm: Dmm) -> float:
            if self.jammed:
                raise InstrumentError("dmm", "MEAS:VOLT:DC?", '-240,"Hardware error"')
            return self.original(dmm)

        return measure_voltage_dc


@pytest.fixture
def dmm(monkeypatch: pytest.MonkeyPatch) -> JammedDmm:
    jammed = JammedDmm()
    monkeypatch.setattr(Dmm, "measure_voltage_dc", jammed.reading())
    return jammed


@pytest.fixture
def running_hub(
    dmm: JammedDmm, start_hub: Callable[..., AbstractContextManager[Hub]]
) -> Iterator[Hub]:
    """The hub with one demo station, whose DMM is jammed from the start."""
    with start_hub(demo=True, demo_stations=1) as hub:
        yield hub


def test_the_fleet_page_shows_a_demo_station_backing_off_and_why(
    running_hub: Hub, page: Page, dmm: JammedDmm, snapshot: Callable[[str], None]
) -> None:
    page.goto("/dashboard/")
    row = page.locator("#stations tr[data-station='demo-1']")
    expect(row.locator(".station-state")).to_contain_text("backing off")
    expect(row.locator(".station-error")).to_contain_text('-240,"Hardware error"')
    snapshot("backing-off")

    dmm.jammed = False
    expect(row.locator(".station-state")).to_have_text("recording", timeout=30_000)
    expect(row.locator(".station-error")).to_contain_text("InstrumentError")  # the last one
