"""Station configuration: what a station is, read from YAML files and the environment.

A station is described in ``~/.config/benchtrail/config.yaml`` (the user file) and in
``benchtrail.yaml`` (the project file, found by searching upward from the working
directory). Each file holds an optional ``defaults:`` block and a ``stations:`` mapping keyed
by station id, or a single ``station:`` block::

    defaults:
      hub: nats://hub.lab:4222
    stations:
      cell-7:
        location: bay 2
        instruments:
          dmm: {resource: "TCPIP::10.0.0.5::INSTR", driver: dmm}

Values are applied in this order, each overriding the one before it key by key: the user
file's ``defaults``, its station block, the project file's ``defaults``, its station block,
then ``BENCHTRAIL_*`` environment variables (:data:`ENV_KEYS`). Instruments are merged per
alias: an alias defined in the project file replaces the user file's definition as a whole.

A ``hub:`` block holds the settings of the hub (``benchtrail up``), merged the same way (the
project file's values win): ``hub: {retention: {days: 90}}`` makes the hub drop recorded data
older than 90 days (:func:`load_hub_config`). Without it the hub keeps everything.
``time_window: {earliest: 2010-01-01, future_slack: 3600}`` sets the times a station
may record (:class:`~benchtrail.schemas.TimeWindow`; a point outside is refused at the call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from benchtrail.agents.config_files import (
    ConfigFile,
    KeyPath,
    Search,
    Sources,
    find_config_files,
    flatten,
    merge_block,
    validate,
)
from benchtrail.agents.errors import ConfigError
from benchtrail.schemas import DEFAULT_MAX_ATTACHMENT_BYTES, MAX_FRAME_DAYS, TimeWindow

__all__ = [
    "DEFAULT_HUB",
    "ENV_KEYS",
    "ConfigError",
    "HubConfig",
    "InstrumentConfig",
    "OutboxConfig",
    "ResolvedConfig",
    "RetentionPolicy",
    "StationConfig",
    "check_config_files",
    "load_hub_config",
    "load_station_config",
    "station_options",
]

VISA_RESOURCE = r"(?i)^(?:TCPIP|USB|GPIB|ASRL|VXI|PXI)[^:]*::(?:.+::)?(?:INSTR|SOCKET|RAW)$"
"""What a VISA resource string looks like: ``TCPIP::10.0.0.5::INSTR``, ``GPIB0::22::INSTR``."""

DEFAULT_HUB = "nats://127.0.0.1:4222"

InstrumentDriver = Literal["dmm", "psu", "load", "scope"]
InstrumentCalls = Literal["off", "errors", "all"]
FiniteFloat = Annotated[float, msgspec.Meta(ge=-1.7e308, le=1.7e308)]


class InstrumentConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One instrument of a station, under its alias (``dmm``, ``psu``)."""

    resource: Annotated[
        str,
        msgspec.Meta(
            pattern=VISA_RESOURCE,
            description="VISA resource string, e.g. 'TCPIP::10.0.0.5::INSTR'",
        ),
    ]
    driver: Annotated[InstrumentDriver, msgspec.Meta(description="Kind of driver to use")]
    sim: Annotated[bool, msgspec.Meta(description="Use the pyvisa-sim backend")] = False
    sim_file: Annotated[str, msgspec.Meta(description="pyvisa-sim profile (YAML file)")] = ""
    shared: Annotated[bool, msgspec.Meta(description="Shared between stations (locked)")] = False
    limits: Annotated[
        dict[str, FiniteFloat], msgspec.Meta(description="Safety limits, e.g. max_voltage")
    ] = {}


class RetentionPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How long recorded events are kept.

    The hub applies the one of its own ``hub:`` block (:class:`HubConfig`); a station's
    ``retention`` is informative only: the hub keeps whole days for every station alike.
    """

    days: Annotated[int, msgspec.Meta(ge=1, description="Days to keep events")] = 90


OutboxFullPolicy = Literal["block", "refuse"]
OutboxSync = Literal["normal", "full"]


class OutboxConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The station's outbox: every frame is committed to a local SQLite file before it is
    published and removed only once the hub acknowledged it (docs/outbox.md).

    Attributes:
        enabled: keep frames on disk; ``False`` keeps them in memory only (lost on a crash).
        dir: root directory of the outbox files (``<dir>/<station id>/<uuid>.sqlite3``);
            empty: ``$BENCHTRAIL_OUTBOX_DIR``, else ``outbox`` in ``$BENCHTRAIL_DATA_DIR``
            or the user data directory.
        max_bytes: unacknowledged bytes kept at most; then ``on_full`` applies.
        on_full: ``block`` makes recording wait (with a warning) until the hub acknowledges;
            ``refuse`` also makes ``connect()`` refuse a new session while the outbox is full.
        sync: ``normal`` survives a kill of the station process; ``full`` fsyncs every
            commit and survives a power loss too (slower).
        keep_acked: seconds acknowledged frames are kept and resent after a reconnect,
            covering a hub that acknowledged them and then crashed before writing them.
        max_attachment_bytes: bytes of one attachment (``run.attach``), at most.
    """

    enabled: bool = True
    dir: str = ""
    max_bytes: Annotated[int, msgspec.Meta(ge=1)] = 1 << 30
    on_full: OutboxFullPolicy = "block"
    sync: OutboxSync = "normal"
    keep_acked: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    max_attachment_bytes: Annotated[int, msgspec.Meta(ge=0)] = DEFAULT_MAX_ATTACHMENT_BYTES


class StationConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything benchtrail knows about one station, merged from files and environment."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
    name: str = ""
    type: str = ""
    location: str = ""
    hub: str = DEFAULT_HUB
    credentials: str = ""
    tls_ca: str = ""
    operator: str = ""
    fixture_id: str = ""
    slot_count: Annotated[int, msgspec.Meta(ge=0)] = 0
    instruments: dict[str, InstrumentConfig] = {}
    retention: RetentionPolicy = RetentionPolicy()
    instrument_calls: InstrumentCalls = "errors"
    outbox: OutboxConfig = OutboxConfig()
    time_window: TimeWindow = TimeWindow()


class HubConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Settings of the hub (``benchtrail up``), from the ``hub:`` block of the files.

    Attributes:
        retention: drop recorded data older than this (whole UTC days, in the warehouse
            and the stream); ``None``, the default, keeps everything.
        sync_interval: how often nats-server fsyncs the JetStream store: ``"always"``
            (every write before its ack) or a duration such as ``"2m"`` (docs/durability.md);
            ``None``: the hub's default, ``"always"``.
        time_window: the times an event may carry; the hub dead-letters one outside.
        max_frame_days: most UTC days one frame may touch (1-100); a frame past it is
            dead-lettered whole.
    """

    retention: RetentionPolicy | None = None
    sync_interval: str | None = None
    time_window: TimeWindow = TimeWindow()
    max_frame_days: Annotated[int, msgspec.Meta(ge=1, le=100)] = MAX_FRAME_DAYS


class ResolvedConfig(msgspec.Struct, frozen=True):
    """A station's configuration and where each value came from.

    Attributes:
        station: the merged configuration.
        sources: dotted key → origin: ``"benchtrail.yaml:12"``,
            ``"~/.config/benchtrail/config.yaml:3"``, ``"env BENCHTRAIL_HUB"``,
            ``"argument"`` or ``"default"``.
        files: the configuration files read, user file first.
    """

    station: StationConfig
    sources: dict[str, str]
    files: list[str]


ENV_KEYS: Mapping[str, str] = {
    "BENCHTRAIL_HUB": "hub",
    "BENCHTRAIL_CREDENTIALS": "credentials",
    "BENCHTRAIL_TLS_CA": "tls_ca",
    "BENCHTRAIL_OPERATOR": "operator",
    "BENCHTRAIL_STATION_NAME": "name",
    "BENCHTRAIL_STATION_TYPE": "type",
    "BENCHTRAIL_LOCATION": "location",
    "BENCHTRAIL_FIXTURE_ID": "fixture_id",
    "BENCHTRAIL_SLOT_COUNT": "slot_count",
    "BENCHTRAIL_INSTRUMENT_CALLS": "instrument_calls",
    "BENCHTRAIL_RETENTION_DAYS": "retention.days",
    "BENCHTRAIL_OUTBOX_DIR": "outbox.dir",
}
"""Environment variable → the key it overrides. ``BENCHTRAIL_STATION`` picks the station."""


def station_options(config: StationConfig) -> dict[str, object]:
    """The keyword arguments of :class:`benchtrail.agents.Station` this configuration sets."""
    return {
        "hub": config.hub,
        "credentials": config.credentials,
        "tls_ca": config.tls_ca,
        "operator": config.operator,
        "name": config.name,
        "station_type": config.type,
        "location": config.location,
        "fixture_id": config.fixture_id,
        "slot_count": config.slot_count,
    }


def load_station_config(
    station_id: str | None = None,
    *,
    cwd: Path | None = None,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedConfig:
    """Read, merge and validate the configuration of one station.

    Args:
        station_id: the station; ``None`` uses ``$BENCHTRAIL_STATION`` or, when the files
            define exactly one station, that one.
        cwd: where to start searching upward for ``benchtrail.yaml`` (default: the
            working directory).
        home: the home directory holding ``.config/benchtrail/config.yaml``.
        environ: the environment (default: ``os.environ``).

    Raises:
        ConfigError: a file cannot be read or has a bad value, the station is not defined,
            or no station was given and none could be chosen.
    """
    search = find_config_files(cwd=cwd, home=home, environ=environ)
    chosen, id_origin = _choose_station(station_id, search)
    raw: dict[str, object] = {}
    sources = Sources()
    sources.set(raw, ("id",), chosen, id_origin)
    for config_file in search.files:
        blocks: list[tuple[KeyPath, dict[str, object]]] = [
            (("defaults",), config_file.layout.defaults)
        ]
        found = config_file.station_block(chosen)
        blocks += [found] if found is not None else []
        for prefix, block in blocks:
            _validate_block(config_file, prefix, block)
            settings = {k: v for k, v in block.items() if k != "id"}
            origin = _origin(config_file, prefix)
            merge_block(raw, settings, sources, origin=origin, replace=_is_instrument)
    _apply_environment(search.environ, raw, sources)
    station = validate(raw, StationConfig, file="configuration", origin=sources.origin)
    merged = sources.complete(flatten(msgspec.to_builtins(station)))
    return ResolvedConfig(station, merged, [f.display for f in search.files])


def check_config_files(
    *,
    cwd: Path | None = None,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Validate every station of every configuration file found; return the files read.

    Raises:
        ConfigError: the first problem found.
    """
    search = find_config_files(cwd=cwd, home=home, environ=environ)
    for config_file in search.files:
        validate(config_file.layout.hub, HubConfig, file=config_file.display, key_prefix="hub")
        _validate_block(config_file, ("defaults",), config_file.layout.defaults)
        for station_id in config_file.station_ids:
            found = config_file.station_block(station_id)
            if found is not None:
                _validate_block(config_file, *found)
    return [f.display for f in search.files]


def load_hub_config(
    *,
    cwd: Path | None = None,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[HubConfig, dict[str, str]]:
    """Read and merge the ``hub:`` blocks of the configuration files (project file wins).

    Args:
        cwd: where to start searching upward for ``benchtrail.yaml``.
        home: the home directory holding ``.config/benchtrail/config.yaml``.
        environ: the environment (default: ``os.environ``).

    Returns:
        The hub's settings, and where each came from (dotted key → ``file:line``).

    Raises:
        ConfigError: a file cannot be read or its ``hub:`` block has a bad value.
    """
    search = find_config_files(cwd=cwd, home=home, environ=environ)
    raw: dict[str, object] = {}
    sources = Sources()
    for config_file in search.files:
        block = config_file.layout.hub
        validate(block, HubConfig, file=config_file.display, key_prefix="hub")
        origin = _origin(config_file, ("hub",))
        merge_block(raw, block, sources, origin=origin, replace=lambda path: False)

    def origin_of(key_path: str) -> str:
        return sources.origin(key_path.removeprefix("hub."))

    hub = validate(raw, HubConfig, file="configuration", key_prefix="hub", origin=origin_of)
    merged = sources.complete(flatten(msgspec.to_builtins(hub)))
    return hub, {f"hub.{key}": origin for key, origin in merged.items()}


def _validate_block(config_file: ConfigFile, prefix: KeyPath, block: dict[str, object]) -> None:
    """Check one block of a file (``defaults``, ``stations.cell-7``) on its own."""
    file = config_file.display
    dotted = ".".join(prefix)
    instruments = block.get("instruments", {})
    if not isinstance(instruments, dict):
        expected = "a mapping of alias to instrument"
        problem = f"expected {expected}, got {instruments!r}"
        raise ConfigError(file, f"{dotted}.instruments", problem)
    for alias, instrument in instruments.items():
        validate(
            instrument, InstrumentConfig, file=file, key_prefix=f"{dotted}.instruments.{alias}"
        )
    station_id = prefix[-1] if prefix[0] == "stations" else block.get("id", "defaults")
    if prefix == ("defaults",) and "id" in block:
        raise ConfigError(file, "defaults.id", "a station id cannot be a default")
    rest = {**block, "id": station_id, "instruments": {}}
    try:
        validate(rest, StationConfig, file=file, key_prefix=dotted)
    except ConfigError as e:
        if e.key_path != f"{dotted}.id" or prefix[0] != "stations":
            raise
        raise ConfigError(file, "stations", e.problem) from e


def _origin(config_file: ConfigFile, prefix: KeyPath) -> Callable[[KeyPath], str]:
    """Key path within a block → ``file:line`` of that key."""
    return lambda path: config_file.source((*prefix, *path))


def _is_instrument(path: KeyPath) -> bool:
    """Whether ``path`` is one instrument alias, which a later file replaces as a whole."""
    return len(path) == 2 and path[0] == "instruments"


def _choose_station(station_id: str | None, search: Search) -> tuple[str, str]:
    """The station to resolve and where its id came from."""
    defined = {sid: f for f in search.files for sid in f.station_ids}
    shown = ", ".join(f.display for f in search.files)
    origin = "argument"
    if station_id is None and search.environ.get("BENCHTRAIL_STATION"):
        station_id, origin = search.environ["BENCHTRAIL_STATION"], "env BENCHTRAIL_STATION"
    known = ", ".join(repr(s) for s in sorted(defined))
    if station_id is not None:
        if defined and station_id not in defined:
            raise ConfigError(shown, "stations", f"no station {station_id!r}; defined: {known}")
        return station_id, origin
    if len(defined) == 1:
        (only,) = defined
        return only, defined[only].station_line(only)
    if defined:
        first = min(defined)
        raise ConfigError(
            shown,
            "stations",
            f"several stations are defined ({known}); choose one: connect({first!r}), "
            f"--station {first} or BENCHTRAIL_STATION={first}",
        )
    found = f"read {shown} but it defines no station" if shown else "no configuration file"
    raise ConfigError("", "", f"no station given and {found}; {search.looked()}; pass a station id")


def _apply_environment(env: Mapping[str, str], raw: dict[str, object], sources: Sources) -> None:
    """Override keys from ``BENCHTRAIL_*`` variables (empty ones are ignored)."""
    for variable, key in ENV_KEYS.items():
        value = env.get(variable, "")
        if not value:
            continue
        typed: object = value
        if key in ("slot_count", "retention.days"):
            try:
                typed = int(value)
            except ValueError as e:
                problem = f"expected a whole number, got {value!r}"
                raise ConfigError(f"env {variable}", key, problem) from e
        sources.set(raw, tuple(key.split(".")), typed, f"env {variable}")
