"""Bench files: a station's identity, its instruments with safety limits, and hooks, in YAML.

::

    bench: psu characterisation
    station: {id: cell-7, location: bay 2}
    simulate: true                      # every instrument on pyvisa-sim
    instruments:
      psu:
        resource: "TCPIP::10.0.0.7::INSTR"
        driver: psu
        safety_limits: {max_voltage: 6.0, max_current: 1.0}
      dmm: {resource: "TCPIP::10.0.0.5::INSTR", driver: dmm}
    automation:
      pre_experiment: ["psu.set(voltage=0.0, current_limit=0.5)"]
      post_experiment: ["psu.output(False)", {python: "mylab.hooks:archive"}]

Hooks call a driver method with literal arguments (so safety limits apply to them as
to any call) or a Python function ``module:function`` given the session.
"""

from __future__ import annotations

import ast
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, Protocol

import msgspec

from benchtrail.agents.config import (
    DEFAULT_HUB,
    VISA_RESOURCE,
    FiniteFloat,
    InstrumentConfig,
    InstrumentDriver,
    StationConfig,
)
from benchtrail.agents.config_files import KeyPath, read_yaml, validate
from benchtrail.agents.errors import ConfigError
from benchtrail.agents.instruments import DRIVERS
from benchtrail.agents.station import Station
from benchtrail.schemas import CustomValue

HookStage = Literal["pre_experiment", "post_experiment"]


class BenchStation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who the bench is on the fleet."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
    name: str = ""
    type: str = ""
    location: str = ""
    hub: str = ""
    operator: str = ""
    fixture_id: str = ""


class BenchInstrument(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One instrument of the bench, under its alias."""

    resource: Annotated[str, msgspec.Meta(pattern=VISA_RESOURCE)]
    driver: InstrumentDriver
    simulate: bool = False
    sim_file: str = ""
    shared: bool = False
    description: str = ""
    safety_limits: dict[str, FiniteFloat] = {}


class Automation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Hooks run when a session opens (``pre_experiment``) and closes (``post_experiment``)."""

    pre_experiment: list[str | dict[str, str]] = []
    post_experiment: list[str | dict[str, str]] = []


class BenchFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The whole bench file."""

    bench: Annotated[str, msgspec.Meta(min_length=1)]
    station: BenchStation
    instruments: dict[str, dict[str, object]]
    description: str = ""
    simulate: bool = False
    automation: Automation = Automation()
    metadata: dict[str, CustomValue] = {}


class HookSession(Protocol):
    """What a hook uses of the measurement session running it (a ``MeasurementSession``)."""

    @property
    def station(self) -> Station:
        """The station session the hook's log line is recorded in."""
        ...

    @property
    def instruments(self) -> dict[str, object]:
        """The instruments open so far, by alias."""
        ...

    def instrument(self, alias: str) -> object:
        """Open the instrument ``alias`` (of the bench)."""
        ...


class Hook(msgspec.Struct, frozen=True):
    """A parsed hook: a driver method call on an instrument, or a Python function."""

    text: str
    instrument: str = ""
    method: str = ""
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = {}
    function: str = ""

    def run(self, session: HookSession) -> None:
        """Run the hook: open the instrument if needed and call it, or call the function."""
        if self.function:
            _import(self.function)(session)
            return
        instrument = session.instruments.get(self.instrument) or session.instrument(self.instrument)
        getattr(instrument, self.method)(*self.args, **self.kwargs)


class Bench:
    """A bench file, validated: open it with :meth:`Bench.open`.

    Attributes:
        name: the bench's name.
        path: the file it was read from.
        station: the station it describes, with its instruments and safety limits
            (what ``connect(config=...)`` takes).
        simulate: whether every instrument runs on pyvisa-sim.
        metadata: kept on every run of a session on this bench.
        hooks: the parsed ``pre_experiment`` and ``post_experiment`` hooks.
    """

    def __init__(
        self,
        path: Path,
        spec: BenchFile,
        instruments: dict[str, BenchInstrument],
        hooks: dict[HookStage, list[Hook]],
    ) -> None:
        self.path = path
        self.name = spec.bench
        self.description = spec.description
        self.simulate = spec.simulate
        self.metadata = dict(spec.metadata)
        self.hooks = hooks
        self.station = _station_config(spec, instruments)

    @classmethod
    def open(cls, path: str | Path) -> Bench:
        """Read and validate a bench file.

        Raises:
            ConfigError: the file cannot be read, is not valid YAML, or has a bad value:
                the message names the file, the key (``instruments.psu.safety_limits``)
                and its line, and says what was expected.
        """
        target = Path(path)
        display = str(path)
        document, lines = read_yaml(target, display)
        try:
            spec = validate(document or {}, BenchFile, file=display)
            instruments = {
                alias: validate(
                    raw, BenchInstrument, file=display, key_prefix=f"instruments.{alias}"
                )
                for alias, raw in spec.instruments.items()
            }
        except ConfigError as e:
            raise ConfigError(e.file, e.key_path, e.problem, _line(lines, e.key_path)) from e
        _check_limits(instruments, display, lines)
        hooks: dict[HookStage, list[Hook]] = {
            stage: [
                _parse_hook(entry, instruments, display, ("automation", stage), lines)
                for entry in getattr(spec.automation, stage)
            ]
            for stage in ("pre_experiment", "post_experiment")
        }
        return cls(target, spec, instruments, hooks)

    def run_hooks(self, stage: HookStage, session: HookSession) -> None:
        """Run the hooks of ``stage`` in order, each recorded as a log line of the session."""
        for hook in self.hooks[stage]:
            session.station.log(f"bench {self.name!r} {stage}: {hook.text}", logger="bench")
            hook.run(session)

    def __repr__(self) -> str:
        aliases = ", ".join(self.station.instruments)
        return f"<Bench {self.name!r} station {self.station.id!r}: {aliases}>"


def _station_config(spec: BenchFile, instruments: dict[str, BenchInstrument]) -> StationConfig:
    s = spec.station
    return StationConfig(
        id=s.id,
        name=s.name,
        type=s.type,
        location=s.location,
        hub=s.hub or os.environ.get("BENCHTRAIL_HUB") or DEFAULT_HUB,
        operator=s.operator,
        fixture_id=s.fixture_id,
        instruments={
            alias: InstrumentConfig(
                resource=i.resource,
                driver=i.driver,
                sim=i.simulate or spec.simulate,
                sim_file=i.sim_file,
                shared=i.shared,
                limits=dict(i.safety_limits),
            )
            for alias, i in instruments.items()
        },
    )


def _line(lines: dict[KeyPath, int], key_path: str) -> int:
    parts = tuple(key_path.split(".")) if key_path else ()
    for end in range(len(parts), 0, -1):
        if parts[:end] in lines:
            return lines[parts[:end]]
    return 0


def _check_limits(
    instruments: dict[str, BenchInstrument], display: str, lines: dict[KeyPath, int]
) -> None:
    for alias, instrument in instruments.items():
        if not alias.isidentifier():
            key = f"instruments.{alias}"
            raise ConfigError(display, key, "an alias must be an identifier", _line(lines, key))
        known = DRIVERS[instrument.driver].safety_limits
        for name in instrument.safety_limits:
            if name not in known:
                key = f"instruments.{alias}.safety_limits.{name}"
                raise ConfigError(
                    display,
                    key,
                    f"a {instrument.driver} has no safety limit {name!r};"
                    f" known: {', '.join(known) or 'none'}",
                    _line(lines, key),
                )


def _parse_hook(
    entry: str | dict[str, str],
    instruments: dict[str, BenchInstrument],
    display: str,
    where: KeyPath,
    lines: dict[KeyPath, int],
) -> Hook:
    key = ".".join(where)

    def fail(problem: str) -> ConfigError:
        return ConfigError(display, key, f"hook {entry!r}: {problem}", _line(lines, key))

    if isinstance(entry, dict):
        if set(entry) != {"python"} or ":" not in entry["python"]:
            raise fail("a mapping hook is {python: 'module:function'}")
        return Hook(text=f"python {entry['python']}", function=entry["python"])
    try:
        call = ast.parse(entry.strip(), mode="eval").body
    except SyntaxError as e:
        raise fail(f"not a call like 'psu.output(False)': {e.msg}") from e
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
    ):
        raise fail("expected a call like 'psu.output(False)'")
    alias, method = call.func.value.id, call.func.attr
    if alias not in instruments:
        raise fail(f"no instrument {alias!r} on this bench ({', '.join(instruments)})")
    driver = DRIVERS[instruments[alias].driver]
    if method.startswith("_") or not callable(getattr(driver, method, None)):
        raise fail(f"a {driver.kind} has no method {method!r}")
    try:
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except ValueError as e:
        raise fail("arguments must be literals (numbers, text, True/False)") from e
    return Hook(text=entry, instrument=alias, method=method, args=args, kwargs=kwargs)


def _import(target: str) -> Callable[[HookSession], object]:
    module, _, name = target.partition(":")
    function: Callable[[HookSession], object] = getattr(importlib.import_module(module), name)
    return function
