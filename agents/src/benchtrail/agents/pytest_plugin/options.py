"""The plugin's options (``--bt-*`` and ``benchtrail_*`` ini keys), read and checked.

Only :mod:`pytest` is imported here: the plugin is loaded by every pytest run, and an
inactive plugin must cost nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from typing import NamedTuple, NoReturn
from urllib.parse import urlsplit

import pytest

STATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
HUB_SCHEMES = ("nats", "tls", "ws", "wss")
MAX_TEXT = 256
ENABLE_HINT = "run pytest with --bt-station <station id> or set the ini option benchtrail_station"


class Option(NamedTuple):
    """One text option: its flag, its ini key and the :class:`Settings` field it fills."""

    flag: str
    ini: str
    field: str
    metavar: str
    help: str


OPTIONS = (
    Option("--bt-station", "benchtrail_station", "station", "ID", "Record to this station."),
    Option(
        "--bt-hub",
        "benchtrail_hub",
        "hub",
        "URL",
        "NATS URL of the hub (default: the station configuration, $BENCHTRAIL_HUB, "
        "else nats://127.0.0.1:4222).",
    ),
    Option("--bt-dut-serial", "benchtrail_dut_serial", "dut_serial", "SERIAL", "DUT serial."),
    Option("--bt-part-number", "benchtrail_part_number", "part_number", "PART", "DUT part number."),
    Option("--bt-lot", "benchtrail_lot", "lot_number", "LOT", "DUT lot number."),
    Option("--bt-phase", "benchtrail_phase", "test_phase", "PHASE", "Test phase (production…)."),
    Option(
        "--bt-operator",
        "benchtrail_operator",
        "operator",
        "ID",
        "Operator (default: the station configuration, $BENCHTRAIL_OPERATOR).",
    ),
)
MOCK = Option("--bt-mock", "benchtrail_mock", "mock", "", "Open every instrument on pyvisa-sim.")
DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds the session waits at its end for a hub that never answered (see :class:`Settings`)."""
CONNECT_TIMEOUT = Option(
    "--bt-connect-timeout",
    "benchtrail_connect_timeout",
    "connect_timeout",
    "SECONDS",
    "Seconds, from the start of the session, to wait for a hub that never answered "
    f"before giving up on delivering at the end (default: {DEFAULT_CONNECT_TIMEOUT:g}).",
)

DEFAULT_LOG_LEVEL = logging.WARNING
"""Log records below this level are not recorded unless ``--bt-log-level`` says so."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF")
LOG_LEVEL = Option(
    "--bt-log-level",
    "benchtrail_log_level",
    "log_level",
    "LEVEL",
    "Record the tests' log records at or above this level as log events of the run: "
    f"{', '.join(LOG_LEVELS)} (default: WARNING; OFF records none).",
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """What the plugin records, once enabled (empty text: not given).

    Attributes:
        station: the station id (``"cell-7"``).
        hub: the NATS URL; empty to take it from the station configuration.
        dut_serial: the serial of the DUT under test.
        part_number: its part number.
        lot_number: its lot number.
        test_phase: the test phase (``"production"``, ``"evt"`` …).
        operator: who runs the station; empty to take it from the configuration.
        mock: open every instrument on pyvisa-sim.
        connect_timeout: seconds from the start of the session after which, if the hub
            has never answered, the session ends without waiting for it: the events stay
            in the outbox and pytest exits with status 3.
        log_level: the lowest level of the tests' log records recorded as ``log``
            events of the run; ``None`` records none.
    """

    station: str
    hub: str = ""
    dut_serial: str = ""
    part_number: str = ""
    lot_number: str = ""
    test_phase: str = ""
    operator: str = ""
    mock: bool = False
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    log_level: int | None = DEFAULT_LOG_LEVEL


def add_options(parser: pytest.Parser) -> None:
    """Register the ``benchtrail`` option group and the ``benchtrail_*`` ini keys."""
    group = parser.getgroup("benchtrail", "benchtrail: record this test session")
    for option in OPTIONS:
        group.addoption(
            option.flag, dest=_dest(option), metavar=option.metavar, default=None, help=option.help
        )
        parser.addini(option.ini, f"{option.help} (as {option.flag})", type="string", default="")
    group.addoption(MOCK.flag, dest=_dest(MOCK), action="store_true", default=None, help=MOCK.help)
    parser.addini(MOCK.ini, f"{MOCK.help} (as {MOCK.flag})", type="bool", default=False)
    for option in (CONNECT_TIMEOUT, LOG_LEVEL):
        group.addoption(
            option.flag, dest=_dest(option), metavar=option.metavar, default=None, help=option.help
        )
        parser.addini(option.ini, f"{option.help} (as {option.flag})", type="string", default="")


def read_settings(config: pytest.Config) -> Settings | None:
    """The plugin's settings, or ``None`` when it is not enabled.

    Raises:
        pytest.UsageError: a value cannot be used, or a ``--bt-*`` option was given on
            the command line without a station; the message names the option.
    """
    values = {option.field: _text(config, option) for option in OPTIONS}
    station, station_source = values["station"]
    if not station:
        _refuse_stray_flags(config)
        return None
    if not STATION_ID.match(station):
        _refuse(station_source, "a station id of 1-128 letters, digits, '-' or '_'", station)
    hub, hub_source = values["hub"]
    if hub:
        _check_hub(hub_source, hub)
    for value, source in values.values():
        _check_text(source, value)
    texts = {field: value for field, (value, _) in values.items()}
    return Settings(
        **texts,
        mock=_mock(config),
        connect_timeout=_connect_timeout(config),
        log_level=_log_level(config),
    )


def _dest(option: Option) -> str:
    return "benchtrail_" + option.field


def _text(config: pytest.Config, option: Option) -> tuple[str, str]:
    """The value (command line first, then ini) and the name of where it came from."""
    given: str | None = config.getoption(_dest(option))
    if given is not None:
        if not given:
            _refuse(option.flag, "a value", given)
        return given, option.flag
    value = config.getini(option.ini)
    if not isinstance(value, str):
        _refuse(f"ini option {option.ini}", "text", value)
    return value.strip(), f"ini option {option.ini}"


def _mock(config: pytest.Config) -> bool:
    if config.getoption(_dest(MOCK)):
        return True
    try:
        return bool(config.getini(MOCK.ini))
    except (pytest.UsageError, TypeError, ValueError) as e:  # pytest's own does not name the key
        raise pytest.UsageError(f"ini option {MOCK.ini}: expected true or false ({e})") from None


def _connect_timeout(config: pytest.Config) -> float:
    text, source = _text(config, CONNECT_TIMEOUT)
    if not text:
        return DEFAULT_CONNECT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        _refuse(source, "a number of seconds (0 or more)", text)
    return seconds


def _log_level(config: pytest.Config) -> int | None:
    text, source = _text(config, LOG_LEVEL)
    if not text:
        return DEFAULT_LOG_LEVEL
    level = text.upper()
    if level not in LOG_LEVELS:
        _refuse(source, f"one of {', '.join(LOG_LEVELS)}", text)
    return None if level == "OFF" else int(logging.getLevelName(level))


def _check_hub(source: str, hub: str) -> None:
    expected = "a NATS URL such as 'nats://127.0.0.1:4222'"
    try:
        parts = urlsplit(hub)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        _refuse(source, expected, hub)
    if parts.scheme not in HUB_SCHEMES or not parts.hostname or not port_ok:
        _refuse(source, expected, hub)


def _check_text(source: str, value: str) -> None:
    if len(value) > MAX_TEXT or not value.isprintable():
        _refuse(source, f"at most {MAX_TEXT} printable characters", value)


def _refuse_stray_flags(config: pytest.Config) -> None:
    """A run-describing flag without a station would record nothing: say so."""
    for option in (*OPTIONS, MOCK, CONNECT_TIMEOUT, LOG_LEVEL):
        if config.getoption(_dest(option)) is not None:
            raise pytest.UsageError(
                f"{option.flag} was given but benchtrail is not enabled: {ENABLE_HINT}"
            )


def _refuse(source: str, expected: str, value: object) -> NoReturn:
    raise pytest.UsageError(f"{source}: expected {expected}, got {value!r}")
