"""Typed SCPI instrument drivers over pyvisa, real or simulated with pyvisa-sim."""

from benchtrail.agents.errors import InstrumentError, SafetyLimitExceeded, UnknownSafetyLimit
from benchtrail.agents.instruments.base import (
    Guard,
    Instrument,
    InstrumentCallRecord,
    Recorder,
    RecordLevel,
)
from benchtrail.agents.instruments.dmm import Dmm
from benchtrail.agents.instruments.factory import (
    DRIVERS,
    SIM_RESOURCES,
    DriverKind,
    device_lock,
    open_instrument,
    resource_manager,
    sim_profile,
)
from benchtrail.agents.instruments.load import ElectronicLoad, LoadMode
from benchtrail.agents.instruments.psu import Psu
from benchtrail.agents.instruments.scope import Scope, Waveform

__all__ = [
    "DRIVERS",
    "SIM_RESOURCES",
    "Dmm",
    "DriverKind",
    "ElectronicLoad",
    "Guard",
    "Instrument",
    "InstrumentCallRecord",
    "InstrumentError",
    "LoadMode",
    "Psu",
    "RecordLevel",
    "Recorder",
    "SafetyLimitExceeded",
    "Scope",
    "UnknownSafetyLimit",
    "Waveform",
    "device_lock",
    "open_instrument",
    "resource_manager",
    "sim_profile",
]
