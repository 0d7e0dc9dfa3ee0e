"""A station script holding the PSU, for the SIGTERM test.

    python instrument_holder.py HUB

Opens station cell-7 (mock), takes the psu, prints ``ready``, then sleeps until killed.
"""

from __future__ import annotations

import sys
import time

from benchtrail.agents import connect
from benchtrail.agents.config import InstrumentConfig, StationConfig

CONFIG = StationConfig(
    id="cell-7",
    instruments={"psu": InstrumentConfig(resource="TCPIP::10.0.0.7::INSTR", driver="psu")},
)

if __name__ == "__main__":
    with connect("cell-7", hub=sys.argv[1], mock=True, config=CONFIG) as station:
        station.instrument("psu").output(True)
        print("ready", flush=True)
        time.sleep(3600)
