"""Without a station the plugin records nothing, and says how to enable it; bad options fail."""

from __future__ import annotations

import sys

import pytest

SUITE = """
def test_plain():
    pass


def test_measures(bt_measure):
    bt_measure("vout", 5.0, "V")


def test_instrument(bt_instrument):
    bt_instrument("dmm")
"""


def test_without_a_station_nothing_is_recorded(bench):
    bench.pytester.makeini(
        f"[pytest]\nbenchtrail_hub = {bench.hub.nats.url}\nbenchtrail_mock = true\n"
    )
    bench.pytester.makepyfile(test_suite=SUITE)
    result = bench.run("-W", "error", "-rs", hub_flag=False)
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        ["SKIPPED * benchtrail is not enabled: run pytest with --bt-station <station id>*"] * 2
    )
    result.stdout.no_fnmatch_line("*benchtrail: station*")
    (events,) = bench.rows("SELECT count() AS n FROM {db}.events")
    assert events["n"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--bt-station", "cell 7"],
            "ERROR: --bt-station: expected a station id of 1-128 letters, digits, '-' or '_',"
            " got 'cell 7'",
        ),
        (
            ["--bt-station", "cell-7", "--bt-hub", "127.0.0.1:4222"],
            "ERROR: --bt-hub: expected a NATS URL such as 'nats://127.0.0.1:4222',"
            " got '127.0.0.1:4222'",
        ),
        (
            ["--bt-dut-serial", "SN-1"],
            "ERROR: --bt-dut-serial was given but benchtrail is not enabled:"
            " run pytest with --bt-station <station id>*",
        ),
        (
            ["--bt-station", "cell-7", "--bt-connect-timeout", "soon"],
            "ERROR: --bt-connect-timeout: expected a number of seconds (0 or more), got 'soon'",
        ),
        (
            ["--bt-station", "cell-9"],
            "ERROR: --bt-station 'cell-9': *no station 'cell-9'; defined: 'cell-7'",
        ),
    ],
    ids=["station", "hub", "connect-timeout", "without-station", "unknown-station"],
)
def test_bad_options_are_usage_errors_naming_the_option(pytester, args, message):
    pytester.makefile(".yaml", benchtrail="stations:\n  cell-7: {}\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_ini_values_are_usage_errors_naming_the_key(pytester):
    pytester.makeini("[pytest]\nbenchtrail_station = cell-7\nbenchtrail_mock = maybe\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini option benchtrail_mock: expected true or false*"])


LOAD_PLUGIN_ALONE = """
import importlib.util
import sys
import types

import pytest

# Stand in for the package so that only the plugin's own imports are measured.
spec = importlib.util.find_spec("benchtrail.agents")
package = types.ModuleType("benchtrail.agents")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["benchtrail.agents"] = package
before = set(sys.modules)
import benchtrail.agents.pytest_plugin
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_loading_the_plugin_imports_nothing_heavy(pytester):
    result = pytester.run(sys.executable, "-c", LOAD_PLUGIN_ALONE)
    assert result.ret == 0
    loaded = result.stdout.str().split()
    assert "benchtrail.agents.pytest_plugin.fixtures" in loaded
    heavy = ("numpy", "nats", "pyvisa", "polars", "pyarrow", "asyncio", "msgspec")
    assert [
        m for m in loaded if m.split(".")[0] in heavy or m.startswith("benchtrail.schemas")
    ] == []
    assert not [
        m for m in loaded if m.startswith("benchtrail.agents.") and "pytest_plugin" not in m
    ]


HEAVY = ("numpy", "nats", "pyvisa", "polars", "pyarrow")

IMPORT_PLUGIN = """
import sys
import benchtrail.agents.pytest_plugin
print(" ".join(sorted(sys.modules)))
"""


def test_importing_the_plugin_through_the_package_imports_nothing_heavy(pytester):
    result = pytester.run(sys.executable, "-c", IMPORT_PLUGIN)
    assert result.ret == 0
    loaded = result.stdout.str().split()
    assert "benchtrail.agents" in loaded
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert "benchtrail.agents.station" not in loaded


def test_an_idle_run_with_the_plugin_loads_nothing_heavy(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        f"""
        import sys

        def test_nothing_heavy_is_loaded(request):
            assert request.config.pluginmanager.has_plugin("benchtrail.agents.pytest_plugin")
            loaded = {{m.split(".")[0] for m in sys.modules}}
            assert loaded.isdisjoint({HEAVY!r})

        def test_the_fixtures_skip(bt_run):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "benchtrail.agents.pytest_plugin")
    result.assert_outcomes(passed=1, skipped=1)
