"""Descriptive metadata nested in session and run events: who, where, what."""

from __future__ import annotations

from typing import Annotated

import msgspec

from benchtrail.schemas.base import Finite

CustomValue = str | int | Finite | bool
"""A value in ``custom_metadata``: text, number or flag."""


class StationInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The test station a session runs on."""

    id: Annotated[str, msgspec.Meta(description="Stable station id, e.g. 'cell-7'.")]
    name: str = ""
    type: str = ""
    location: str = ""
    hostname: str = ""


class ClientInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The program that opened the session."""

    name: Annotated[str, msgspec.Meta(description="'pytest', 'jupyter', or the script name.")] = ""
    version: str = ""


class ProcessInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The operating-system process behind a session."""

    pid: int = 0
    client: ClientInfo = msgspec.field(default_factory=ClientInfo)


class OperatorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The person running the station."""

    id: str = ""
    name: str = ""


class DutInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The device under test."""

    serial: str = ""
    part_number: str = ""
    revision: str = ""
    lot_number: str = ""


class ProductInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The product the DUT is an instance of."""

    id: str = ""
    name: str = ""
    revision: str = ""


class SlotInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The fixture slot the DUT sits in."""

    id: str = ""
    index: int = 0


class GitInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The state of the test code's git repository."""

    commit: str = ""
    branch: str = ""
    remote: str = ""
    dirty: bool = False


class EnvironmentInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The software environment the test code ran in."""

    python: str = ""
    packages: dict[str, str] = msgspec.field(default_factory=dict)
    lockfile_hash: str = ""


class ParameterInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter swept by an experiment run: its name, unit and the values it takes."""

    name: str
    unit: str = ""
    notes: str = ""
    values: list[CustomValue] = msgspec.field(default_factory=list)
