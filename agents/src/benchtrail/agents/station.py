"""A station session: ``connect()`` → SessionStarted … runs … SessionEnded."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Literal, TypeVar

from benchtrail.agents.config import (
    DEFAULT_HUB,
    OutboxConfig,
    StationConfig,
    load_station_config,
    station_options,
)
from benchtrail.agents.context import environment_info, git_info, hostname, process_info
from benchtrail.agents.errors import InvalidMetadata, SessionNotActive
from benchtrail.agents.instruments import DriverKind, Instrument
from benchtrail.agents.publishing import Publisher, PublisherSettings
from benchtrail.agents.publishing.frames import SessionSequence
from benchtrail.agents.publishing.series import Point
from benchtrail.agents.rack import Rack
from benchtrail.agents.run import Run
from benchtrail.agents.sigterm import Handler, install_sigterm_exit, restore_sigterm
from benchtrail.agents.times import When, check_time
from benchtrail.agents.validation import check_custom_metadata, check_structured_metadata
from benchtrail.schemas import (
    DEFAULT_TIME_WINDOW,
    DutInfo,
    Event,
    Log,
    LogLevel,
    NatsAccess,
    OperatorInfo,
    ParameterInfo,
    ProductInfo,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SessionType,
    SlotInfo,
    StationInfo,
    TimeWindow,
    event_tag,
    new_id,
)

_STATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
E = TypeVar("E", bound=Event)
SIGTERM_FLUSH_TIMEOUT = 3.0
"""Seconds a SIGTERM'd station with an outbox waits for acks before leaving the rest there."""
State = Literal["new", "running", "stopped"]


class Station:
    """One session of a station against the hub. Create it with :func:`connect`.

    Attributes:
        station_id: the station's stable id (e.g. ``"cell-7"``).
        session_id: this session's UUIDv7.
        hub: the NATS URL events are published to.
        time_window: the times a recorded point may carry: ``connect(time_window=...)``,
            else ``time_window:`` in the configuration, else ``[2000-01-01, now + 1 day]``.
    """

    def __init__(
        self,
        station_id: str,
        *,
        hub: str = DEFAULT_HUB,
        credentials: str = "",
        tls_ca: str = "",
        operator: str = "",
        operator_name: str = "",
        name: str = "",
        station_type: str = "",
        location: str = "",
        fixture_id: str = "",
        slot_count: int = 0,
        session_type: SessionType = "script",
        device_ids: Sequence[str] = (),
        flush_timeout: float = 30.0,
        publisher_settings: PublisherSettings | None = None,
        config: StationConfig | None = None,
        mock: bool = False,
        outbox: OutboxConfig | None = None,
        time_window: TimeWindow | None = None,
    ) -> None:
        if not isinstance(station_id, str) or not _STATION_ID.match(station_id):
            raise InvalidMetadata(
                "station_id", station_id, "1-128 letters, digits, '-' or '_' (e.g. 'cell-7')"
            )
        self.station_id = station_id
        self.session_id = new_id()
        self.hub = hub
        self.flush_timeout = flush_timeout
        self.state: State = "new"
        self._info = StationInfo(
            id=station_id,
            name=name or station_id,
            type=station_type,
            location=location,
            hostname=hostname(),
        )
        self._operator = OperatorInfo(id=operator, name=operator_name or operator)
        self._fixture_id = fixture_id
        self._slot_count = slot_count
        self._session_type: SessionType = session_type
        self._device_ids = list(device_ids)
        if outbox is None:
            outbox = config.outbox if config is not None else OutboxConfig()
        if time_window is None:
            time_window = config.time_window if config is not None else DEFAULT_TIME_WINDOW
        self.time_window = time_window
        access = NatsAccess.of(station_id, credentials, tls_ca)
        self._publisher = Publisher(
            hub, publisher_settings, station_id=station_id, outbox=outbox, access=access
        )
        self._sequence = SessionSequence(station_id, self.session_id)
        self._runs: dict[str, Run] = {}
        self._run_count = 0
        self.config = config
        self._rack = Rack(self, config, mock)
        self._previous_sigterm: Handler = None

    def start(self) -> Station:
        """Open the session: start publishing and record ``session.started``.

        The outbox is opened first: files left by processes of this station that died
        are taken over and delivered before this session's events.

        Raises:
            OutboxFull: ``outbox.on_full`` is ``refuse`` and the outbox is full.
        """
        if self.state != "new":
            raise SessionNotActive(self.station_id, self.state)
        self._publisher.start()
        self.state = "running"
        self._previous_sigterm = install_sigterm_exit()
        self._record(
            SessionStarted,
            session_type=self._session_type,
            station=self._info,
            process=process_info(),
            operator=self._operator,
            fixture_id=self._fixture_id,
            slot_count=self._slot_count,
            device_ids=self._device_ids,
            git=git_info(),
            environment=environment_info(),
        )
        return self

    def stop(self, reason: str = "", timeout: float | None = None) -> None:
        """End open runs (aborted), record ``session.ended``, wait for every ack.

        With the outbox on, events the hub has not acknowledged within the timeout
        stay in the outbox (a warning names the file) for the next ``connect()`` or
        ``benchtrail outbox flush``.

        Raises:
            Unacknowledged: the outbox is off and the hub did not acknowledge every
                event in time.
            PermissionDenied: the hub refused this station's events (they stay in the outbox).
            CredentialsRefused: the hub refused the station's credentials.
        """
        if self.state != "running":
            return
        for run in list(self._runs.values()):
            run.end("aborted", reason or "session stopped")
        try:
            self._rack.close()
        finally:  # an instrument or lock that failed to close still ends the session
            self._previous_sigterm = restore_sigterm(self._previous_sigterm)
            self._record(
                SessionEnded,
                run_count=self._run_count,
                event_count=self._sequence.next_seq,
                reason=reason,
            )
            self.state = "stopped"
            self._publisher.close(self.flush_timeout if timeout is None else timeout)

    def instrument(
        self,
        alias: str,
        resource: str | None = None,
        driver: DriverKind | None = None,
        *,
        sim: bool | None = None,
        wait: float = 0.0,
        shared: bool | None = None,
        safety: Mapping[str, float] | None = None,
    ) -> Instrument:
        """Open an instrument by alias (from the station configuration), holding its lock.

        With ``mock=True`` an alias that is not configured but names a driver kind
        (``"dmm"``, ``"psu"``, ``"load"``, ``"scope"``) opens that kind's shipped
        simulation, so ``connect("cell-7", mock=True)`` needs no configuration.

        Args:
            alias: the instrument's name on the station (``"dmm"``).
            resource: VISA resource, for an instrument not in the configuration.
            driver: ``"dmm"``, ``"psu"``, ``"load"`` or ``"scope"``, likewise.
            sim: open it on pyvisa-sim (default: the configuration, or ``mock=True``).
            wait: seconds to wait for a busy lock before :class:`ResourceBusy`.
            shared: lock it by resource for every station, not per station.
            safety: safety limits enforced before sending (``{"max_voltage": 12}``).

        Raises:
            ResourceBusy: the lock is held elsewhere; names the holder.
        """
        if self.state != "running":
            raise SessionNotActive(self.station_id, self.state)
        return self._rack.instrument(
            alias, resource, driver, sim=sim, wait=wait, shared=shared, safety=safety
        )

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the hub acknowledged every event recorded so far."""
        self._publisher.flush(self.flush_timeout if timeout is None else timeout)

    @property
    def unacknowledged(self) -> int:
        """Events recorded but not yet acknowledged by the hub."""
        return self._publisher.unacknowledged

    @property
    def publisher(self) -> Publisher:
        """The background publisher (its ``stats`` show frames, resends, errors)."""
        return self._publisher

    def __enter__(self) -> Station:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        timeout = None
        terminated = isinstance(exc, SystemExit) and exc.code == 128 + signal.SIGTERM
        if terminated and self._publisher.outbox_path is not None:
            # A service manager is waiting: what the hub has not acked is safe in the
            # outbox and goes out with the next connect(), so do not hold the exit up.
            timeout = min(self.flush_timeout, SIGTERM_FLUSH_TIMEOUT)
        self.stop(reason="" if exc is None else repr(exc), timeout=timeout)

    def run(
        self,
        dut_serial: str = "",
        part_number: str = "",
        *,
        revision: str = "",
        lot_number: str = "",
        product_id: str = "",
        product_name: str = "",
        product_revision: str = "",
        slot_id: str = "",
        slot_index: int = 0,
        fixture_id: str = "",
        test_phase: str = "",
        project_name: str = "",
        custom_metadata: Mapping[str, object] | None = None,
        channel_refs: Sequence[str] = (),
        parameters: Sequence[ParameterInfo] = (),
        started_at: When | None = None,
        structured_metadata: Mapping[str, object] | None = None,
    ) -> Run:
        """Start a run of one DUT; use the result as a context manager.

        ``parameters`` describes what an experiment run sweeps (see
        :class:`benchtrail.agents.MeasurementSession`). ``started_at`` is when the
        run started (``int`` ns or aware ``datetime``), default now.
        ``structured_metadata`` holds any JSON values (lists, mappings, ``None``).

        Raises:
            InvalidTime, InvalidMetadata: a bad ``started_at`` or metadata value (named).
        """
        metadata = check_custom_metadata(custom_metadata)
        structured = check_structured_metadata(structured_metadata)
        start = check_time("run started_at", started_at, self.time_window)
        run = Run(self, new_id(), start)
        self.emit(
            RunStarted,
            at=run.started_at_ns,
            run_id=run.run_id,
            dut=DutInfo(
                serial=dut_serial,
                part_number=part_number,
                revision=revision,
                lot_number=lot_number,
            ),
            product=ProductInfo(id=product_id, name=product_name, revision=product_revision),
            slot=SlotInfo(id=slot_id, index=slot_index),
            fixture_id=fixture_id or self._fixture_id,
            test_phase=test_phase,
            project_name=project_name or os.path.basename(os.getcwd()),
            git=git_info(),
            environment=environment_info(),
            custom_metadata=metadata,
            channel_refs=list(channel_refs),
            parameters=list(parameters),
            structured_metadata=structured,
        )
        self._runs[run.run_id] = run
        self._run_count += 1
        return run

    def run_ended(self, run_id: str) -> None:
        """Forget a run that has ended (called by :meth:`Run.end`)."""
        self._runs.pop(run_id, None)

    def log(
        self,
        message: str,
        level: LogLevel = "info",
        logger: str = "",
        *,
        run_id: str = "",
        at: When | None = None,
    ) -> None:
        """Record a log line in the session (of one of its runs with ``run_id``)."""
        self.emit(Log, at=at, message=message, level=level, logger=logger, run_id=run_id)

    def emit(
        self,
        event_type: type[E],
        size_hint: int = 320,
        *,
        at: When | None = None,
        **fields: object,
    ) -> E:
        """Stamp an event with the envelope (id, session, seq, time) and queue it.

        ``at``: when it happened (ns or aware ``datetime``), default now; ``seq`` keeps call order.

        Raises:
            InvalidTime: ``at`` is not a time or is outside the time window.
            PermissionDenied: the hub refused something of this station since the last call.
            CredentialsRefused: the hub refused the station's credentials.
        """
        if self.state != "running":
            raise SessionNotActive(self.station_id, self.state)
        stamp = check_time(f"{event_tag(event_type)} at", at, self.time_window)
        self._publisher.check()  # what the hub refused is said here, before a seq is used
        return self._record(event_type, size_hint, stamp, **fields)

    def record_point(self, point: Point, at: int | None) -> None:
        """Queue a checked ``run.measure()`` point (at ``at`` ns, default now) as a measurement."""
        if self.state != "running":
            raise SessionNotActive(self.station_id, self.state)
        self._publisher.submit_point(self._sequence, at, point)

    def _record(
        self, event_type: type[E], size_hint: int = 320, at: int | None = None, **fields: object
    ) -> E:
        return self._publisher.submit(self._sequence, event_type, fields, size_hint, at)


def connect(
    station_id: str | None = None,
    hub: str | None = None,
    operator: str = "",
    *,
    mock: bool = False,
    config: StationConfig | None = None,
    **options: object,
) -> Station:
    """Open a session of a station against the hub.

    Use it as ``with connect("cell-7") as station:`` — or call
    ``station.start()`` and ``station.stop()`` yourself. The station is described
    by ``benchtrail.yaml`` (project), ``~/.config/benchtrail/config.yaml`` (user) and
    ``BENCHTRAIL_*`` variables; arguments given here win. Without a hub anywhere it
    is ``nats://127.0.0.1:4222``. ``mock=True`` opens every instrument on pyvisa-sim,
    and an unconfigured alias naming a driver kind (``station.instrument("psu")``) on
    that kind's shipped simulation.

    A hub with auth needs the station's credentials file (made on the hub by
    ``benchtrail station add ID``): ``credentials=path``, ``credentials:`` in the
    configuration or ``BENCHTRAIL_CREDENTIALS``; ``tls_ca=`` (``tls_ca:``,
    ``BENCHTRAIL_TLS_CA``) is the CA certificate of a hub with TLS (a ``tls://`` URL).
    What the hub refuses raises :class:`PermissionDenied` or :class:`CredentialsRefused`
    at the next call, naming the station; events not acknowledged stay in the outbox.

    Raises:
        ConfigError: a configuration file is invalid (names the file and key).
    """
    resolved = config or load_station_config(station_id).station
    settings: dict[str, object] = {**station_options(resolved), **options}
    settings["hub"] = hub or settings["hub"]
    settings["operator"] = operator or settings["operator"]
    return Station(resolved.id, config=resolved, mock=mock, **settings)  # type: ignore[arg-type]
