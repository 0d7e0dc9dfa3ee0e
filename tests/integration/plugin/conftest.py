"""Inner pytest runs with benchtrail's plugin, recording to a whole in-process hub.

``running_hub`` comes from ``tests/integration/conftest.py``; ``pytester`` is loaded by
``tests/conftest.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchtrail.api.hub.embedded import Hub

STATION_CONFIG = """\
stations:
  cell-7:
    instrument_calls: all
    instruments:
      psu: {resource: "TCPIP::10.0.0.7::INSTR", driver: psu}
      dmm: {resource: "TCPIP::10.0.0.5::INSTR", driver: dmm}
"""


class Bench:
    """A test project on a station (``cell-7``) whose pytest runs record to the hub."""

    def __init__(self, pytester: pytest.Pytester, hub: Hub) -> None:
        self.pytester = pytester
        self.hub = hub
        pytester.makefile(".yaml", benchtrail=STATION_CONFIG)

    def run(self, *args: str, hub_flag: bool = True) -> pytest.RunResult:
        """Run pytest on the project in a subprocess, with ``--bt-hub`` unless told not to.

        Returns once the hub has ingested everything published.
        """
        hub = ("--bt-hub", self.hub.nats.url) if hub_flag else ()
        result = self.pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", *hub, *args, timeout=120
        )
        self.hub.wait_ingested()
        return result

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Query the warehouse; ``{db}`` in ``sql`` is the hub's database."""
        warehouse = self.hub.warehouse
        assert warehouse is not None
        return warehouse.rows(sql.replace("{db}", warehouse.database), params)


@pytest.fixture
def bench(running_hub: Hub, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Bench:
    """A test project with ``benchtrail.yaml`` for station ``cell-7`` (psu and dmm).

    The hub comes first: ``pytester`` unloads, after the test, the modules imported
    since it was set up, and chDB must stay loaded (one embedded server per process).
    """
    for variable in ("BENCHTRAIL_STATION", "BENCHTRAIL_HUB", "BENCHTRAIL_OPERATOR"):
        monkeypatch.delenv(variable, raising=False)
    return Bench(pytester, running_hub)
