"""Open an instrument driver by kind, on real VISA or on the pyvisa-sim backend."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from importlib.resources import as_file, files
from pathlib import Path
from typing import Final, Literal

import pyvisa
from pyvisa.resources import MessageBasedResource

from benchtrail.agents.errors import InstrumentError
from benchtrail.agents.instruments.base import Guard, Instrument, Recorder, RecordLevel
from benchtrail.agents.instruments.dmm import Dmm
from benchtrail.agents.instruments.load import ElectronicLoad
from benchtrail.agents.instruments.psu import Psu
from benchtrail.agents.instruments.scope import Scope

DriverKind = Literal["dmm", "psu", "load", "scope"]
"""The kinds of instrument drivers benchtrail ships."""

DRIVERS: Final[Mapping[DriverKind, type[Instrument]]] = {
    "dmm": Dmm,
    "psu": Psu,
    "load": ElectronicLoad,
    "scope": Scope,
}
"""The driver class of each kind."""

SIM_RESOURCES: Final[Mapping[DriverKind, str]] = {
    kind: f"TCPIP::{kind}.sim::INSTR" for kind in ("dmm", "psu", "load", "scope")
}
"""The resource of each kind's shipped simulation; ``TCPIP::localhost::INSTR`` works too.

One simulated device per resource and process: every mocked instrument of a kind
(every demo station's ``psu``) talks to the same device, its I/O serialised by
:func:`device_lock`, its settings shared.
"""

TERMINATION: Final = "\n"

_managers: dict[str, pyvisa.ResourceManager] = {}
_managers_lock = threading.Lock()
_device_locks: dict[tuple[str, str], threading.RLock] = {}


def sim_profile(kind: DriverKind) -> Path:
    """Return the path of the pyvisa-sim profile shipped for ``kind``."""
    with as_file(files("benchtrail.agents") / "sim" / f"{kind}.yaml") as path:
        return Path(path)


def resource_manager(backend: str = "") -> pyvisa.ResourceManager:
    """Return the process's resource manager for ``backend`` (``""``: pyvisa's default).

    One manager per backend string, so one per simulation profile file: every
    instrument opened on a profile talks to the same simulated devices.
    """
    with _managers_lock:
        manager = _managers.get(backend)
        if manager is None:
            manager = pyvisa.ResourceManager(backend)
            _managers[backend] = manager
        return manager


def device_lock(backend: str, resource: str) -> threading.RLock:
    """The lock serialising I/O to one device: ``resource`` on ``backend``, process-wide.

    Every instrument opened on the same device shares it (pyvisa-sim keeps one
    simulated device per resource of a profile, whoever opens it), so a command and
    its reply are never split by another thread.
    """
    with _managers_lock:
        return _device_locks.setdefault((backend, resource), threading.RLock())


def _require_simulated(manager: pyvisa.ResourceManager, resource: str) -> None:
    """Refuse a resource the profile does not define (pyvisa-sim would open a mute one)."""
    name = str(pyvisa.rname.parse_resource_name(resource))
    if name not in manager.list_resources("?*"):
        raise ValueError(f"not in the simulation profile {manager.visalib.library_path}")


def open_instrument(
    alias: str,
    driver: DriverKind,
    resource: str,
    *,
    sim: bool = False,
    sim_file: str | None = None,
    safety: Mapping[str, float] | None = None,
    recorder: Recorder | None = None,
    level: RecordLevel = "errors",
    guard: Guard | None = None,
    timeout_ms: int = 2000,
    check_errors_after_write: bool = True,
) -> Instrument:
    """Open ``resource`` and return the ``driver`` for it, named ``alias``.

    Args:
        alias: the instrument's name on the station (``"psu"``).
        driver: which driver: ``"dmm"``, ``"psu"``, ``"load"`` or ``"scope"``.
        resource: the VISA resource name (``"TCPIP::10.0.0.5::INSTR"``).
        sim: open it on pyvisa-sim (``@sim``) instead of real VISA.
        sim_file: the pyvisa-sim profile; by default the one shipped for ``driver``.
        safety: safety limits by name, enforced before sending (``{"max_voltage": 12}``).
        recorder: receives a record per recorded call; must only append to a buffer.
        level: which calls are recorded: ``"off"``, ``"errors"`` or ``"all"``.
        guard: called before every call (e.g. the lock's lease check).
        timeout_ms: the VISA I/O timeout.
        check_errors_after_write: query ``SYST:ERR?`` after each setting command.

    Raises:
        InstrumentError: the resource could not be opened, or is not message based.
        UnknownSafetyLimit: ``safety`` names a limit the driver does not enforce.
    """
    cls = DRIVERS[driver]
    backend = f"{sim_file or sim_profile(driver)}@sim" if sim else ""
    try:
        manager = resource_manager(backend)
        if sim:
            _require_simulated(manager, resource)
        opened = manager.open_resource(
            resource,
            read_termination=TERMINATION,
            write_termination=TERMINATION,
            timeout=timeout_ms,
        )
    except (pyvisa.errors.Error, OSError, ValueError) as e:
        raise InstrumentError(alias, "open", f"cannot open {resource!r}: {e}") from e
    if not isinstance(opened, MessageBasedResource):
        opened.close()
        raise InstrumentError(alias, "open", f"{resource!r} is not a message-based resource")
    return cls(
        alias,
        opened,
        recorder=recorder,
        level=level,
        guard=guard,
        safety=safety,
        check_errors_after_write=check_errors_after_write,
        io_lock=device_lock(backend, str(opened.resource_name)),
    )
