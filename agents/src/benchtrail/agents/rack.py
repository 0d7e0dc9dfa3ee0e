"""A station's instruments: opened by alias, each behind its lock, every call recorded.

``station.instrument("psu")`` takes the instrument's lock in ``bt_locks`` (waiting
up to ``wait`` seconds, else :class:`ResourceBusy` names the holder), opens the
driver with the lease check as its guard (a lost lease raises :class:`LeaseLost`
before the instrument is touched), and records ``lock.acquired``. Calls are recorded
as ``instrument.call`` events carrying the fencing token, by appending to the
session's frame buffer: instrument I/O never waits on publishing. Closing the rack
puts instruments in their safe state, releases the locks and records ``lock.released``
(or, when a key could not be removed, a warning naming it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Mapping
from typing import cast

from benchtrail.agents.config import InstrumentConfig, StationConfig
from benchtrail.agents.context import hostname
from benchtrail.agents.errors import (
    InstrumentError,
    InvalidMetadata,
    LeaseLost,
    LockNotReleased,
)
from benchtrail.agents.instruments import (
    SIM_RESOURCES,
    DriverKind,
    Instrument,
    InstrumentCallRecord,
    open_instrument,
)
from benchtrail.agents.locks import Holder, Lease, Locks, lock_key
from benchtrail.agents.sink import EventSink
from benchtrail.schemas import InstrumentCall, LockAcquired, LockReleased, Log

log = logging.getLogger(__name__)


class Rack:
    """The instruments a station session has opened, with their leases."""

    def __init__(self, station: EventSink, config: StationConfig | None, mock: bool) -> None:
        self.station = station
        self.config = config
        self.mock = mock
        self._locks: Locks | None = None
        self._open: dict[str, tuple[Instrument, Lease]] = {}

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
        """Open (or return the already open) instrument ``alias``; see the module doc."""
        if alias in self._open:
            return self._open[alias][0]
        spec = self._spec(
            alias, resource=resource, driver=driver, sim=sim, shared=shared, safety=safety
        )
        key = lock_key(spec.resource, None if spec.shared else self.station.station_id)
        lease = self._acquire(key, spec.resource, wait)
        try:
            instrument = self._open_driver(alias, spec, lease)
        except BaseException:
            self._release(lease)
            raise
        self._open[alias] = (instrument, lease)
        return instrument

    def close(self) -> None:
        """Safe state, close, release: every instrument, even if one of them fails."""
        for alias in list(self._open):
            instrument, lease = self._open.pop(alias)
            # Without a valid lease the instrument may be someone else's: leave it be.
            with contextlib.suppress(InstrumentError, OSError, LeaseLost):
                instrument.safe_state()
            with contextlib.suppress(InstrumentError, OSError):
                instrument.close()
            self._release(lease)
        if self._locks is not None:
            self.station.publisher.run(self._locks.close(), 10)

    def _spec(
        self,
        alias: str,
        *,
        resource: str | None,
        driver: DriverKind | None,
        sim: bool | None,
        shared: bool | None,
        safety: Mapping[str, float] | None,
    ) -> InstrumentConfig:
        configured = (self.config.instruments if self.config else {}).get(alias)
        if configured is None and self.mock and resource is None:
            configured = _simulated(alias, driver)
        if configured is None and (resource is None or driver is None):
            raise InvalidMetadata("instrument", alias, self._expected_alias())
        base = configured or InstrumentConfig(resource=resource or "", driver=driver or "dmm")
        return InstrumentConfig(
            resource=resource or base.resource,
            driver=driver or base.driver,
            sim=base.sim if sim is None else sim,
            sim_file=base.sim_file,
            shared=base.shared if shared is None else shared,
            limits=dict(safety if safety is not None else base.limits),
        )

    def _expected_alias(self) -> str:
        """What ``station.instrument()`` accepts, naming the aliases that exist."""
        known = ", ".join(sorted(self.config.instruments)) if self.config else ""
        expected = f"an alias from the station configuration ({known or 'none defined'})"
        if self.mock:
            kinds = ", ".join(sorted(SIM_RESOURCES))
            expected = f"{expected}, a driver kind to simulate ({kinds})"
        return f"{expected}, or resource= and driver="

    def _open_driver(self, alias: str, spec: InstrumentConfig, lease: Lease) -> Instrument:
        simulate = self.mock or spec.sim
        # The shipped simulation answers on its own address; the lock and the records
        # keep the configured resource.
        visa_resource = (
            SIM_RESOURCES[spec.driver] if simulate and not spec.sim_file else spec.resource
        )
        level = self.config.instrument_calls if self.config else "errors"
        instrument = open_instrument(
            alias,
            spec.driver,
            visa_resource,
            sim=simulate,
            sim_file=spec.sim_file or None,
            safety=spec.limits or None,
            level=level,
            guard=lease.check,
            recorder=lambda record: self._record(record, spec.resource, lease),
        )
        return instrument

    def _record(self, record: InstrumentCallRecord, resource: str, lease: Lease) -> None:
        self.station.emit(
            InstrumentCall,
            instrument=record.instrument,
            resource=resource,
            command=record.command,
            response=record.response or "",
            duration_ns=record.duration_ns,
            error=record.error or "",
            fencing_token=lease.fencing_token,
        )

    def _lock_client(self) -> Locks:
        if self._locks is None:
            publisher = self.station.publisher

            async def open_locks() -> Locks:
                return await Locks(await publisher.jetstream()).open()

            self._locks = publisher.run(open_locks(), self.station.flush_timeout)
        return self._locks

    def _acquire(self, key: str, resource: str, wait: float) -> Lease:
        locks = self._lock_client()
        holder = Holder(
            station_id=self.station.station_id,
            session_id=self.station.session_id,
            host=hostname(),
            pid=os.getpid(),
            since_ns=time.time_ns(),
            resource=resource,
        )
        lease = self.station.publisher.run(locks.acquire(key, holder, wait), wait + 30)
        self.station.emit(
            LockAcquired,
            key=key,
            resource=resource,
            fencing_token=lease.fencing_token,
            holder=holder.describe(),
        )
        return lease

    def _release(self, lease: Lease) -> None:
        """Release ``lease``; record ``lock.released`` only once its key is gone.

        A release that fails is logged as a warning (and recorded as a ``log``
        event) naming the key, the station and the error: the key then stays held
        until its lease runs out, and the next ``instrument()`` may wait for it.
        """
        token = lease.fencing_token
        if self._locks is None:
            return
        try:
            removed = self.station.publisher.run(self._locks.release(lease), 30)
        except LockNotReleased as e:
            self._warn(str(e))
            return
        except TimeoutError as e:
            self._warn(str(LockNotReleased(lease.key, self.station.station_id, repr(e))))
            return
        if not removed:
            self._warn(
                f"lock {lease.key!r} of station {self.station.station_id!r} was no longer"
                f" held at release: {lease.lost_reason or 'its lease had run out'}"
            )
            return
        self.station.emit(
            LockReleased,
            key=lease.key,
            resource=lease.holder.resource,
            fencing_token=token,
            holder=lease.holder.describe(),
        )

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.station.emit(Log, level="warning", message=message, logger=log.name)


def _simulated(alias: str, driver: DriverKind | None) -> InstrumentConfig | None:
    """The shipped simulation of ``driver`` (or of the kind ``alias`` names), if any.

    With ``mock=True`` and nothing configured, ``station.instrument("psu")`` opens the
    simulated PSU on its own resource, so a bare directory needs no configuration.
    """
    kind = driver or alias
    if kind not in SIM_RESOURCES:
        return None
    known = cast("DriverKind", kind)
    return InstrumentConfig(resource=SIM_RESOURCES[known], driver=known, sim=True)
