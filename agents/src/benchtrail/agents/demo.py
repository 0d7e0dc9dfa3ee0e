"""Simulated stations for ``benchtrail up --demo``: the real drivers on pyvisa-sim.

Each demo station opens a PSU, a DMM and a scope through ``station.instrument``
(locks, recorded calls, safe state) on the pyvisa-sim backend, and tests a stream
of 5 V regulator DUTs: it sets the supply, reads the output and the quiescent
current, and captures the ripple, with limits, so the warehouse fills with passing
and failing runs of several stations.

A demo station never dies of an error: an instrument error, a lost lock or a hub
that went away ends the run with outcome ``error`` and the session with the error
as its reason (both recorded, with a ``log`` event at level ``error``), then the
station backs off (0.5 s doubling up to 30 s) and opens a new session. Its
:class:`DemoStatus` says what it is doing now and what went wrong last.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

import msgspec
from nats.errors import Error as NatsError

from benchtrail.agents.config import InstrumentConfig, OutboxConfig, StationConfig
from benchtrail.agents.demo_status import Backoff, DemoState, DemoStatus
from benchtrail.agents.errors import AgentError
from benchtrail.agents.instruments import Dmm, Psu, Scope
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station, connect
from benchtrail.schemas import BenchtrailError, now_ns

log = logging.getLogger("benchtrail.demo")

EXPECTED_ERRORS: tuple[type[Exception], ...] = (BenchtrailError, OSError, NatsError)
"""What a station meets in a lab (instrument, lock and hub errors): logged in one line."""
FLUSH_TIMEOUT = 5.0
"""Seconds a demo session waits for the hub's acks at its end; the rest stays in the outbox."""

DEMO_STOPPED = "the demo was stopped"
"""The stopped reason of a station that stopped because the demo did."""
StopCallback = Callable[[DemoStatus], None]


def demo_station_ids(count: int) -> list[str]:
    """The ids of a demo fleet of ``count`` stations: ``demo-1`` …"""
    return [f"demo-{i + 1}" for i in range(count)]


def demo_config(
    station_id: str, outbox_dir: str = "", credentials: str = "", tls_ca: str = ""
) -> StationConfig:
    """The demo station: a PSU, a DMM and a scope, all simulated; its outbox in ``outbox_dir``.

    ``credentials`` and ``tls_ca`` are its credentials file and the hub's CA (a hub with auth).
    """
    return StationConfig(
        id=station_id,
        outbox=OutboxConfig(dir=outbox_dir),
        credentials=credentials,
        tls_ca=tls_ca,
        name=f"Demo {station_id}",
        type="final-test",
        location="demo line 1",
        instrument_calls="errors",
        instruments={
            "psu": InstrumentConfig(
                resource=f"TCPIP::{station_id}-psu::INSTR",
                driver="psu",
                sim=True,
                limits={"max_voltage": 15.0},
            ),
            "dmm": InstrumentConfig(
                resource=f"TCPIP::{station_id}-dmm::INSTR", driver="dmm", sim=True
            ),
            "scope": InstrumentConfig(
                resource=f"TCPIP::{station_id}-scope::INSTR", driver="scope", sim=True
            ),
        },
    )


def regulator_test(run: Run, station: Station, rng: random.Random) -> None:
    """One DUT: power on, regulation, ripple."""
    psu, dmm, scope = (
        station.instrument("psu"),
        station.instrument("dmm"),
        station.instrument("scope"),
    )
    assert isinstance(psu, Psu) and isinstance(dmm, Dmm) and isinstance(scope, Scope)
    with run.step("power on"):
        psu.set(voltage=12.0, current_limit=0.5)
        psu.output(True)
        run.measure("vin", psu.voltage, unit="V", low=11.5, high=12.5)
    with run.step("regulation"):
        offset = rng.gauss(0.0, 0.02)  # this DUT's regulator error
        run.measure("vout", dmm.measure_voltage_dc() + offset, unit="V", low=4.95, high=5.05)
        iq = dmm.measure_current_dc() * (1 + rng.gauss(0, 0.05))
        run.measure("iq", iq, unit="A", high=0.135)
    with run.step("ripple"):
        waveform = scope.capture(1)
        run.measure_waveform("ripple", waveform, high=waveform_limit(waveform.values, rng))
    psu.output(False)


def waveform_limit(values: list[float], rng: random.Random) -> float:
    """A ripple limit most DUTs meet: a little above the capture's peak, now and then below."""
    peak = max(abs(v) for v in values)
    return peak * (1.05 if rng.random() > 0.1 else 0.9)


class DemoStation:
    """One simulated station's loop: sessions of DUTs, surviving every error."""

    def __init__(
        self,
        station_id: str,
        hub: str,
        stop: threading.Event,
        *,
        duts_per_session: int = 20,
        pause: float = 0.5,
        backoff: Backoff | None = None,
        give_up_after: int = 0,
        on_stop: StopCallback | None = None,
        outbox_dir: str = "",
        credentials: str = "",
        tls_ca: str = "",
    ) -> None:
        self.status = DemoStatus(station_id=station_id)
        self.outbox_dir = outbox_dir
        self.credentials = credentials
        self.tls_ca = tls_ca
        self.hub = hub
        self.stop = stop
        self.duts_per_session = duts_per_session
        self.pause = pause
        self.backoff = backoff or Backoff()
        self.give_up_after = give_up_after
        self.on_stop = on_stop
        self._rng = random.Random(station_id)
        self._lot = 0
        self._failures = 0

    @property
    def station_id(self) -> str:
        """The station's id (``demo-1``)."""
        return self.status.station_id

    def run(self) -> None:
        """Record until ``stop`` is set or the station gives up; never raises."""
        reason = DEMO_STOPPED
        try:
            reason = self._loop()
        except (KeyboardInterrupt, SystemExit) as e:
            reason = f"interrupted ({type(e).__name__})"
        except BaseException as e:  # the thread is ending anyway: say why, not only a traceback
            reason = f"crashed: {type(e).__name__}: {e}"
            log.exception("demo station %s crashed", self.station_id)
        finally:
            self._set("stopped", stopped_reason=reason)
            if self.on_stop is not None:
                self.on_stop(self.status)

    def _loop(self) -> str:
        while not self.stop.is_set():
            try:
                self._session()
            except EXPECTED_ERRORS as e:
                self._failed(e, traceback=False)
            except Exception as e:  # a bug, not a lab fault: keep the traceback, keep going
                self._failed(e, traceback=True)
            else:
                continue
            if self.give_up_after and self._failures >= self.give_up_after:
                return f"gave up after {self._failures} errors in a row: {self.status.last_error}"
            delay = self.backoff.next()
            self._set("backing off", retry_in=delay)
            self.stop.wait(delay)
        return DEMO_STOPPED

    def _session(self) -> None:
        self._lot += 1
        operator = self._rng.choice(["alice", "bob", "chen"])
        config = demo_config(self.station_id, self.outbox_dir, self.credentials, self.tls_ca)
        with connect(
            self.station_id,
            hub=self.hub,
            operator=operator,
            config=config,
            flush_timeout=FLUSH_TIMEOUT,
        ) as station:
            self._set("recording")
            try:
                self._test_lot(station)
            except Exception as e:
                _record_error(station, e)
                raise

    def _test_lot(self, station: Station) -> None:
        for n in range(self.duts_per_session):
            if self.stop.is_set():
                return
            with station.run(
                dut_serial=f"{self.station_id.upper()}-{self._lot:03d}-{n:04d}",
                part_number="REG-5V",
                revision="B",
                lot_number=f"LOT-{self._lot:03d}",
                product_name="5 V regulator",
                test_phase="production",
                project_name="demo",
            ) as run:
                regulator_test(run, station, self._rng)
            self.status.runs += 1
            self._failures = 0  # errors "in a row" are those without a finished run between
            self.backoff.reset()
            self.stop.wait(self.pause)

    def _failed(self, error: Exception, *, traceback: bool) -> None:
        self._failures += 1
        self.status.errors += 1
        self.status.last_error = f"{type(error).__name__}: {error}"
        self.status.last_error_ns = now_ns()
        if traceback:
            log.exception("demo station %s: unexpected error, retrying", self.station_id)
        else:
            log.warning("demo station %s: %s (retrying)", self.station_id, self.status.last_error)

    def _set(self, state: DemoState, *, retry_in: float = 0.0, stopped_reason: str = "") -> None:
        self.status.state = state
        self.status.retry_in = retry_in
        if stopped_reason:
            self.status.stopped_reason = stopped_reason


def _record_error(station: Station, error: Exception) -> None:
    """Record the error in the session, if the session can still record."""
    try:
        station.log(f"{type(error).__name__}: {error}", level="error", logger="benchtrail.demo")
    except AgentError as e:  # the session cannot record any more; its end says why
        log.debug("could not record the error in the session: %r", e)


class DemoFleet:
    """The demo stations of a hub, each in a thread; :meth:`stop` ends them.

    With ``credentials_dir`` (a hub with auth), station ``demo-1`` connects with
    ``<credentials_dir>/demo-1.nk`` and trusts the hub's certificate by ``tls_ca``.
    """

    def __init__(
        self,
        hub: str,
        stations: int = 3,
        *,
        on_stop: StopCallback | None = None,
        pause: float = 0.5,
        backoff: tuple[float, float] = (0.5, 30.0),
        outbox_dir: str = "",
        credentials_dir: str = "",
        tls_ca: str = "",
    ) -> None:
        self._stop = threading.Event()
        self.stations = [
            DemoStation(
                station_id,
                hub,
                self._stop,
                pause=pause,
                backoff=Backoff(*backoff),
                on_stop=on_stop,
                outbox_dir=outbox_dir,
                credentials=f"{credentials_dir}/{station_id}.nk" if credentials_dir else "",
                tls_ca=tls_ca,
            )
            for station_id in demo_station_ids(stations)
        ]
        self.threads = [
            threading.Thread(target=s.run, name=s.station_id, daemon=True) for s in self.stations
        ]

    def start(self) -> DemoFleet:
        """Start every station's thread."""
        for thread in self.threads:
            thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every station to stop and wait for each (at most ``timeout`` seconds each)."""
        self._stop.set()
        for thread in self.threads:
            thread.join(timeout)

    def statuses(self) -> list[dict[str, object]]:
        """Each station's :class:`DemoStatus`, as JSON-ready mappings."""
        return [msgspec.to_builtins(s.status) for s in self.stations]
