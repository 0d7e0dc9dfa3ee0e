"""The plugin's entry hooks: register the options; when enabled, start recording.

Inactive (no station given) the plugin only adds its options and fixtures: nothing
else is imported, nothing connects, nothing is printed.
"""

from __future__ import annotations

import pytest

from benchtrail.agents.pytest_plugin.options import Settings, add_options, read_settings

LISTING_OPTIONS = ("collectonly", "showfixtures", "show_fixtures_per_test")
"""Options under which pytest lists tests or fixtures without running them: nothing is recorded."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``benchtrail`` option group and ini keys."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Check the options; when the plugin is enabled, register the recording hooks."""
    settings = read_settings(config)
    if settings is None or any(config.getoption(name, False) for name in LISTING_OPTIONS):
        return
    _register(config, settings)


def _register(config: pytest.Config, settings: Settings) -> None:
    # Imported only when enabled: these load the station agent (NATS client, numpy…).
    from benchtrail.agents.pytest_plugin.session import SessionPlugin
    from benchtrail.agents.pytest_plugin.xdist import ControllerHooks, WorkerPlugin, worker_input

    handed = worker_input(config)
    if handed is not None:
        config.pluginmanager.register(WorkerPlugin(config, settings, handed), "benchtrail-worker")
        return
    session = SessionPlugin(config, settings)
    config.pluginmanager.register(session, "benchtrail-session")
    if config.pluginmanager.has_plugin("xdist"):
        config.pluginmanager.register(ControllerHooks(session), "benchtrail-xdist")
