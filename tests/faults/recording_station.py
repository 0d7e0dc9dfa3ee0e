"""A station process for the fault tests: records numbered measurements until stopped.

    python recording_station.py STATION HUB

Records ``n`` = 1, 2, 3, … in one run and, every 250 measurements, waits until
everything recorded is committed to the outbox and prints ``stored <n>``: the
measurements 1..n survive whatever happens to this process next. Prints
``session <id>`` first. SIGTERM ends it like a service manager would.
"""

from __future__ import annotations

import sys

from benchtrail.agents import connect


def main(station_id: str, hub: str) -> None:
    with connect(station_id, hub=hub, session_type="service", flush_timeout=20) as station:
        print(f"session {station.session_id}", flush=True)
        with station.run(dut_serial="SN-FAULT") as run:
            n = 0
            while True:
                n += 1
                run.measure("n", float(n))
                if n % 250 == 0:
                    assert station.publisher.wait_stored(30), "the outbox did not commit in 30 s"
                    print(f"stored {n}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
