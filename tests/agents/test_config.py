"""Station configuration files: precedence, sources, and the errors a user reads."""

from __future__ import annotations

import inspect
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchtrail.agents import Station
from benchtrail.agents.config import (
    ENV_KEYS,
    InstrumentConfig,
    ResolvedConfig,
    check_config_files,
    load_station_config,
    station_options,
)
from benchtrail.agents.config_files import validate
from benchtrail.agents.errors import ConfigError
from benchtrail.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "benchtrail.yaml"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home directory holding a user configuration file for cell-7."""
    _write(
        tmp_path / "home" / ".config" / "benchtrail" / "config.yaml",
        """
        defaults:
          hub: nats://user-hub:4222
          operator: alice
        stations:
          cell-7:
            location: bay 1
            fixture_id: FX-1
            instruments:
              dmm: {resource: "GPIB0::22::INSTR", driver: dmm, shared: true}
              psu: {resource: "TCPIP::10.0.0.6::INSTR", driver: psu}
        """,
    )
    return tmp_path / "home"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory (with a subdirectory ``tests``) and no configuration file yet."""
    (tmp_path / "project" / "tests").mkdir(parents=True)
    return tmp_path / "project"


def _load(project: Path, home: Path, station: str | None = None, **env: str) -> ResolvedConfig:
    return load_station_config(station, cwd=project, home=home, environ=env)


def _error(project: Path, home: Path, station: str | None = None, **env: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _load(project, home, station, **env)
    return caught.value


def test_project_wins_over_user_and_environment_wins_over_both(home: Path, project: Path) -> None:
    _write(
        project / "benchtrail.yaml",
        """
        stations:
          cell-7:
            location: bay 2
            operator: bob
        """,
    )
    resolved = _load(project / "tests", home, BENCHTRAIL_OPERATOR="carol")

    station = resolved.station
    assert (station.id, station.location, station.operator) == ("cell-7", "bay 2", "carol")
    assert (station.hub, station.fixture_id, station.slot_count) == (
        "nats://user-hub:4222",
        "FX-1",
        0,
    )
    assert resolved.files == ["~/.config/benchtrail/config.yaml", "../benchtrail.yaml"]
    assert resolved.sources["location"] == "../benchtrail.yaml:3"
    assert resolved.sources["operator"] == "env BENCHTRAIL_OPERATOR"
    assert resolved.sources["hub"] == "~/.config/benchtrail/config.yaml:2"
    assert resolved.sources["slot_count"] == "default"
    assert resolved.sources["id"] == "../benchtrail.yaml:2"


def test_instruments_merge_per_alias(home: Path, project: Path) -> None:
    _write(
        project / "benchtrail.yaml",
        """
        stations:
          cell-7:
            instruments:
              dmm:
                resource: TCPIP::10.0.0.5::INSTR
                driver: dmm
                sim: true
        """,
    )
    resolved = _load(project, home)

    instruments = resolved.station.instruments
    assert instruments["dmm"] == InstrumentConfig("TCPIP::10.0.0.5::INSTR", "dmm", sim=True)
    assert instruments["psu"] == InstrumentConfig("TCPIP::10.0.0.6::INSTR", "psu")
    assert resolved.sources["instruments.dmm.resource"] == "benchtrail.yaml:5"
    assert resolved.sources["instruments.dmm.shared"] == "default"
    assert resolved.sources["instruments.psu.driver"] == "~/.config/benchtrail/config.yaml:10"


def test_environment_alone_configures_a_station_without_files(
    project: Path, tmp_path: Path
) -> None:
    resolved = _load(
        project, tmp_path / "empty-home", BENCHTRAIL_STATION="bench-1", BENCHTRAIL_SLOT_COUNT="8"
    )

    assert (resolved.station.id, resolved.station.slot_count) == ("bench-1", 8)
    assert resolved.sources["id"] == "env BENCHTRAIL_STATION"
    assert resolved.sources["slot_count"] == "env BENCHTRAIL_SLOT_COUNT"
    assert resolved.files == []


def test_station_options_are_station_keyword_arguments(home: Path, project: Path) -> None:
    options = station_options(_load(project, home, "cell-7").station)

    inspect.signature(Station).bind("cell-7", **options)
    assert options["location"] == "bay 1"
    assert options["hub"] == "nats://user-hub:4222"


def test_wrong_type_names_file_key_and_value(project: Path, tmp_path: Path) -> None:
    _write(
        project / "benchtrail.yaml",
        """
        station:
          id: cell-7
          instruments:
            dmm: {resource: 42, driver: dmm}
        """,
    )
    error = _error(project, tmp_path)

    assert str(error) == (
        "benchtrail.yaml: station.instruments.dmm.resource: expected a VISA resource string, got 42"
    )
    assert (error.file, error.key_path) == ("benchtrail.yaml", "station.instruments.dmm.resource")


@pytest.mark.parametrize(
    "resource",
    [
        "TCPIP::10.0.0.5::INSTR",
        "USB0::0x2A8D::0x1301::MY1::INSTR",
        "GPIB0::22::INSTR",
        "ASRL/dev/ttyUSB0::INSTR",
        "TCPIP0::10.0.0.5::5025::SOCKET",
    ],
)
def test_visa_resource_strings_are_accepted(resource: str) -> None:
    assert InstrumentConfig(resource, "dmm").resource == resource
    assert check_instrument(resource) == resource


def check_instrument(resource: str) -> str:
    """Validate one instrument through the same path files use."""
    return validate({"resource": resource, "driver": "psu"}, InstrumentConfig, file="x").resource


@pytest.mark.parametrize("resource", ["10.0.0.5", "TCPIP::10.0.0.5", "HTTP::host::INSTR"])
def test_bad_resource_string_is_refused(project: Path, tmp_path: Path, resource: str) -> None:
    _write(
        project / "benchtrail.yaml",
        f"""
        stations:
          cell-7:
            instruments:
              psu: {{resource: "{resource}", driver: psu}}
        """,
    )
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: stations.cell-7.instruments.psu.resource: "
        f"expected a VISA resource string, got {resource!r}"
    )


def test_unknown_driver_lists_the_known_ones(project: Path, tmp_path: Path) -> None:
    _write(
        project / "benchtrail.yaml",
        """
        stations:
          cell-7:
            instruments:
              dmm: {resource: "GPIB0::22::INSTR", driver: multimeter}
        """,
    )
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: stations.cell-7.instruments.dmm.driver: "
        "expected one of 'dmm', 'psu', 'load', 'scope', got 'multimeter'"
    )


def test_unknown_keys_are_named_with_the_known_ones(project: Path, tmp_path: Path) -> None:
    path = _write(
        project / "benchtrail.yaml",
        """
        stations:
          cell-7:
            instruments:
              dmm: {resource: "GPIB0::22::INSTR", driver: dmm, simulate: true}
        """,
    )
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: stations.cell-7.instruments.dmm.simulate: unknown key; "
        "known keys: driver, limits, resource, shared, sim, sim_file"
    )
    _write(path, "stations: {}\nhubb: nats://x:4222\n")
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: hubb: unknown key; known keys: defaults, hub, station, stations"
    )
    _write(path, "stations:\n  cell-7:\n    retention: {dayz: 3}\n")
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: stations.cell-7.retention.dayz: unknown key; known keys: days"
    )


def test_out_of_range_and_bad_station_id(project: Path, tmp_path: Path) -> None:
    path = _write(project / "benchtrail.yaml", "stations:\n  cell-7:\n    slot_count: -1\n")
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: stations.cell-7.slot_count: expected a whole number >= 0, got -1"
    )
    _write(path, "stations:\n  cell 7:\n    slot_count: 1\n")
    assert str(_error(project, tmp_path)) == (
        "benchtrail.yaml: stations: "
        "expected a station id of letters, digits, '-' or '_', got 'cell 7'"
    )


def test_unknown_station_lists_the_defined_ones(home: Path, project: Path) -> None:
    _write(project / "benchtrail.yaml", "stations:\n  cell-8:\n")

    assert str(_error(project, home, "cell-9")) == (
        "~/.config/benchtrail/config.yaml, benchtrail.yaml: stations: "
        "no station 'cell-9'; defined: 'cell-7', 'cell-8'"
    )


def test_several_stations_and_none_chosen(home: Path, project: Path) -> None:
    _write(project / "benchtrail.yaml", "stations:\n  cell-8: {}\n")

    error = _error(project, home)

    assert error.key_path == "stations"
    assert "several stations are defined ('cell-7', 'cell-8')" in str(error)
    assert "BENCHTRAIL_STATION=cell-7" in str(error)


def test_no_file_and_no_station_says_where_it_looked(project: Path, tmp_path: Path) -> None:
    message = str(_error(project, tmp_path / "empty-home"))

    assert message.startswith("no station given and no configuration file; looked for ")
    assert f"~/.config/benchtrail/config.yaml and benchtrail.yaml in {project}" in message


def test_invalid_yaml_names_file_and_line(project: Path, tmp_path: Path) -> None:
    _write(project / "benchtrail.yaml", "stations:\n  cell-7:\n    hub: [unclosed\n")

    error = _error(project, tmp_path)

    assert (error.file, error.line) == ("benchtrail.yaml", 4)
    assert str(error).startswith("benchtrail.yaml:4: invalid YAML: ")


def test_bad_environment_value_names_the_variable(home: Path, project: Path) -> None:
    error = _error(project, home, BENCHTRAIL_INSTRUMENT_CALLS="some")

    assert str(error) == (
        "env BENCHTRAIL_INSTRUMENT_CALLS: instrument_calls: "
        "expected one of 'off', 'errors', 'all', got 'some'"
    )


def test_example_file_is_valid(tmp_path: Path) -> None:
    assert check_config_files(cwd=EXAMPLE.parent, home=tmp_path, environ={}) == ["benchtrail.yaml"]
    station = _load(EXAMPLE.parent, tmp_path).station
    assert sorted(station.instruments) == ["dmm", "load", "psu", "scope"]
    assert all(instrument.sim for instrument in station.instruments.values())


def _cli(monkeypatch: pytest.MonkeyPatch, project: Path, home: Path, *args: str) -> tuple[int, str]:
    cleared: dict[str, str | None] = dict.fromkeys(
        [*ENV_KEYS, "BENCHTRAIL_STATION", "XDG_CONFIG_HOME"], None
    )
    monkeypatch.chdir(project)
    result = CliRunner(env={**cleared, "HOME": str(home)}).invoke(main, ["config", *args])
    return result.exit_code, result.output


def test_cli_show_json_reports_values_and_sources(
    home: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(project / "benchtrail.yaml", "stations:\n  cell-7:\n    slot_count: 2\n")

    code, output = _cli(monkeypatch, project, home, "show", "--station", "cell-7", "--json")

    shown = json.loads(output)
    assert code == 0
    assert shown["station"]["slot_count"] == 2
    assert shown["sources"]["slot_count"] == "benchtrail.yaml:3"
    assert shown["sources"]["instruments.psu.resource"] == "~/.config/benchtrail/config.yaml:10"


def test_cli_show_table_lists_keys(
    home: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(project / "benchtrail.yaml", "stations:\n  cell-7:\n    slot_count: 2\n")

    code, output = _cli(monkeypatch, project, home, "show")

    assert code == 0
    assert "instruments.dmm.resource" in output
    assert "GPIB0::22::INSTR" in output


def test_cli_check(home: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(project / "benchtrail.yaml", "stations:\n  cell-8:\n    slot_count: 2\n")
    assert _cli(monkeypatch, project, home, "check") == (
        0,
        "ok: ~/.config/benchtrail/config.yaml, benchtrail.yaml\n",
    )

    _write(path, "stations:\n  cell-8:\n    instruments:\n      dmm: {resource: 42, driver: dmm}\n")
    code, output = _cli(monkeypatch, project, home, "check")

    assert code == 1
    assert output == (
        "Error: benchtrail.yaml: stations.cell-8.instruments.dmm.resource: "
        "expected a VISA resource string, got 42\n"
    )
