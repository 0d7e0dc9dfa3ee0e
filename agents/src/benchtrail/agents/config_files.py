"""Reading station configuration files: YAML with line numbers, merging, readable errors.

This module knows files, keys and lines but not what a station holds; the Structs and
the rules of which block applies live in :mod:`benchtrail.agents.config`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar, get_type_hints

import msgspec
import yaml  # type: ignore[import-untyped]

from benchtrail.agents.errors import ConfigError

PROJECT_FILE = "benchtrail.yaml"
USER_FILE = Path(".config") / "benchtrail" / "config.yaml"

KeyPath = tuple[str, ...]
T = TypeVar("T")

EXPECTED: Mapping[str, str] = {
    "": "a mapping with 'stations:' or 'station:'",
    "resource": "a VISA resource string",
    "driver": "one of 'dmm', 'psu', 'load', 'scope'",
    "sim": "true or false",
    "shared": "true or false",
    "sim_file": "a file name",
    "limits": "a mapping of limit name to a finite number",
    "days": "a whole number of days >= 1",
    "id": "a station id of letters, digits, '-' or '_'",
    "slot_count": "a whole number >= 0",
    "instrument_calls": "one of 'off', 'errors', 'all'",
    "instruments": "a mapping of alias to instrument",
    "retention": "a mapping with 'days'",
    "stations": "a mapping of station id to station settings",
    "station": "a mapping of station settings",
    "defaults": "a mapping of station settings",
    "hub": "a mapping of hub settings",
}
"""Key name → what a value of it must be, as error messages say it."""

_AT = re.compile(r"^(?P<what>.*?)(?: - at `(?P<key>key` in `)?\$(?P<path>[^`]*)`)?$", re.S)
_FIELD = re.compile(r"`([^`]*)`")
_LINE = re.compile(r":\d+$")


class Layout(msgspec.Struct, forbid_unknown_fields=True):
    """The top level of a configuration file."""

    defaults: dict[str, object] = {}
    stations: dict[str, dict[str, object] | None] = {}
    station: dict[str, object] | None = None
    hub: dict[str, object] = {}


class ConfigFile:
    """One configuration file, parsed, with the line of every key.

    Attributes:
        display: the file as messages show it (``benchtrail.yaml``, ``~/.config/...``).
        layout: its top-level blocks.
        lines: key path from the top of the file → 1-based line of the key.
    """

    def __init__(self, display: str, layout: Layout, lines: dict[KeyPath, int]) -> None:
        self.display = display
        self.layout = layout
        self.lines = lines

    @property
    def station_ids(self) -> list[str]:
        """The stations this file defines."""
        single = self.layout.station
        return [str(single["id"])] if single is not None else list(self.layout.stations)

    def station_block(self, station_id: str) -> tuple[KeyPath, dict[str, object]] | None:
        """The key path and settings of ``station_id`` in this file, if it defines it."""
        single = self.layout.station
        if single is not None and single.get("id") == station_id:
            return ("station",), single
        if station_id in self.layout.stations:
            return ("stations", station_id), self.layout.stations[station_id] or {}
        return None

    def station_line(self, station_id: str) -> str:
        """Where ``station_id`` is defined, as ``file:line``."""
        found = self.station_block(station_id)
        return self.source(found[0] if found else ())

    def source(self, path: KeyPath) -> str:
        """``file:line`` of the key at ``path`` (just the file when the line is unknown)."""
        line = self.lines.get(path)
        return f"{self.display}:{line}" if line else self.display


class Search:
    """The configuration files found for a working directory, home and environment."""

    def __init__(
        self, cwd: Path, user_file: Path, environ: Mapping[str, str], files: list[ConfigFile]
    ) -> None:
        self.cwd = cwd
        self.user_file = user_file
        self.environ = environ
        self.files = files

    def looked(self) -> str:
        """Where files were looked for, for error messages."""
        return f"looked for {self.user_file} and {PROJECT_FILE} in {self.cwd} and its parents"


class Sources:
    """Dotted key → where its value came from, kept alongside the merged raw settings."""

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}

    def set(self, raw: dict[str, object], path: KeyPath, value: object, origin: str) -> None:
        """Set ``raw[path] = value`` (creating mappings on the way) and record its origin."""
        target = raw
        for key in path[:-1]:
            inner = target.get(key)
            if not isinstance(inner, dict):
                inner = target[key] = {}
            target = inner
        target[path[-1]] = value
        self.by_key[".".join(path)] = origin

    def drop(self, raw: dict[str, object], path: KeyPath) -> None:
        """Forget the value at ``path`` and everything under it."""
        target: object = raw
        for key in path[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target.pop(path[-1], None)
        dotted = ".".join(path)
        for key in [k for k in self.by_key if k == dotted or k.startswith(dotted + ".")]:
            del self.by_key[key]

    def origin(self, key_path: str) -> str:
        """The origin of ``key_path`` or of the nearest key above it; ``""`` if none."""
        parts = key_path.split(".")
        for end in range(len(parts), 0, -1):
            found = self.by_key.get(".".join(parts[:end]))
            if found:
                return found
        return ""

    def complete(self, flat: Mapping[str, object]) -> dict[str, str]:
        """The origin of every key of ``flat``, ``"default"`` where nothing set it."""
        return {key: self.origin(key) or "default" for key in flat}


def merge_block(
    raw: dict[str, object],
    block: Mapping[str, object],
    sources: Sources,
    *,
    origin: Callable[[KeyPath], str],
    replace: Callable[[KeyPath], bool],
    path: KeyPath = (),
) -> None:
    """Merge ``block`` into ``raw`` key by key; a mapping at a ``replace`` path is replaced."""
    for key, value in block.items():
        here = (*path, str(key))
        if isinstance(value, dict) and value:
            if replace(here):
                sources.drop(raw, here)
            merge_block(raw, value, sources, origin=origin, replace=replace, path=here)
        elif not isinstance(value, dict):
            sources.set(raw, here, value, origin(here))


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Nested mappings as ``{"dotted.key": leaf}``; an empty mapping is a leaf."""
    if isinstance(value, dict) and value:
        flat: dict[str, object] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def find_config_files(
    *,
    cwd: Path | None = None,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Search:
    """Find and parse the user file and the nearest ``benchtrail.yaml`` at or above ``cwd``."""
    environ = os.environ if environ is None else environ
    cwd = (cwd or Path.cwd()).resolve()
    home = home or Path.home()
    xdg = environ.get("XDG_CONFIG_HOME")
    user = Path(xdg) / "benchtrail" / "config.yaml" if xdg else home / USER_FILE
    user_display = "~/" + user.relative_to(home).as_posix() if user.is_relative_to(home) else ""
    files = []
    if user.is_file():
        files.append(read_config_file(user, user_display or str(user)))
    project = next(
        (d / PROJECT_FILE for d in (cwd, *cwd.parents) if (d / PROJECT_FILE).is_file()), None
    )
    if project is not None:
        files.append(read_config_file(project, os.path.relpath(project, cwd)))
    return Search(cwd, Path(user_display or user), environ, files)


def read_config_file(path: Path, display: str) -> ConfigFile:
    """Parse one configuration file.

    Raises:
        ConfigError: it cannot be read, is not valid YAML, or its top level is wrong.
    """
    document, lines = read_yaml(path, display)
    layout = validate(document or {}, Layout, file=display)
    if layout.station is not None and layout.stations:
        raise ConfigError(display, "station", "use either 'station:' or 'stations:', not both")
    if layout.station is not None and "id" not in layout.station:
        raise ConfigError(display, "station.id", "required key missing")
    return ConfigFile(display, layout, lines)


def read_yaml(path: Path, display: str) -> tuple[object, dict[KeyPath, int]]:
    """A YAML file's document and the 1-based line of every mapping key in it.

    Raises:
        ConfigError: it cannot be read or is not valid YAML (with the line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(display, "", f"cannot be read: {e}") from e
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            document = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError(display, "", f"invalid YAML: {problem}", line) from e
    lines: dict[KeyPath, int] = {}
    _record_lines(node, (), lines)
    return document, lines


def _record_lines(node: object, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    """Record the line of every mapping key under ``node``."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            here = (*path, str(key_node.value))
            lines[here] = key_node.start_mark.line + 1
            _record_lines(value_node, here, lines)


def validate(
    data: object,
    cls: type[T],
    *,
    file: str,
    key_prefix: str = "",
    origin: Callable[[str], str] | None = None,
) -> T:
    """``msgspec.convert(data, cls)``, failing with a :class:`ConfigError` a user can act on.

    Args:
        data: the raw settings.
        cls: the Struct to build.
        file: the file the settings came from.
        key_prefix: the dotted key of ``data`` within the file.
        origin: dotted key → where it came from, when ``data`` was merged from several.
    """
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError as e:
        key_path, problem = _explain(str(e), data, cls)
        full = ".".join(part for part in (key_prefix, key_path) if part)
        where = _LINE.sub("", origin(full)) if origin else file
        raise ConfigError(where or file, full, problem) from e


def _explain(message: str, data: object, cls: type) -> tuple[str, str]:
    """A msgspec validation message as (dotted key, "expected ..., got ...")."""
    match = _AT.match(message)
    what = match.group("what") if match else message
    raw_path = (match.group("path") or "") if match else ""
    segments = [s for s in raw_path.split("[", 1)[0].split(".") if s]
    named = _FIELD.findall(what)
    if what.startswith("Object contains unknown field"):
        known = ", ".join(_field_names(cls, segments))
        return ".".join([*segments, named[0]]), f"unknown key; known keys: {known}"
    if what.startswith("Object missing required field"):
        return ".".join([*segments, named[0]]), "required key missing"
    if match and match.group("key"):
        return ".".join(segments), f"keys must be text, not {named[-1] if named else 'this'}"
    fallback = what.split(", got", 1)[0].removeprefix("Expected ").replace("`", "")
    expected = EXPECTED.get(segments[-1] if segments else "", fallback)
    found, value = _lookup(data, segments)
    got = f", got {_show(value)}" if found else ""
    return ".".join(segments), f"expected {expected}{got}"


def _field_names(cls: type, segments: list[str]) -> list[str]:
    """The keys allowed at ``segments`` below the Struct ``cls``."""
    current = cls
    for segment in segments:
        inner = get_type_hints(current).get(segment)
        if not (isinstance(inner, type) and issubclass(inner, msgspec.Struct)):
            break
        current = inner
    return sorted(getattr(current, "__struct_fields__", ()))


def _lookup(data: object, segments: list[str]) -> tuple[bool, object]:
    """The value at ``segments`` in nested mappings, and whether it was there."""
    for segment in segments:
        if not isinstance(data, dict) or segment not in data:
            return False, None
        data = data[segment]
    return True, data


def _show(value: object) -> str:
    """A value as an error message shows it, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
