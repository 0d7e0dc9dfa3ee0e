"""The ``benchtrail`` subcommands this distribution adds, as its entry points name them.

Each is a :class:`benchtrail.cli.LazyCommand`: ``benchtrail --help`` lists it
without importing it, so ``benchtrail sessions`` never loads the hub. The read
commands need only the HTTP client (the base install); ``up`` and ``replay`` need
the ``[hub]`` extra and ``mcp`` the ``[mcp]`` extra, and say so when it is missing.
To add a command, add it here and to ``[project.entry-points."benchtrail.commands"]``
in ``api/pyproject.toml``.
"""

from __future__ import annotations

from benchtrail.cli import LazyCommand

_READ = "benchtrail.api.cli.read"

stations = LazyCommand(f"{_READ}:stations", "List the stations, with their running sessions.")
sessions = LazyCommand(f"{_READ}:sessions", "List sessions, newest first.")
session = LazyCommand(f"{_READ}:session", "Show one session: metadata, totals and runs.")
events = LazyCommand(f"{_READ}:events", "List a session's events in seq order.")
runs = LazyCommand(f"{_READ}:runs", "List runs, newest first.")
logs = LazyCommand("benchtrail.api.cli.logs:logs", "List a run's log lines in time order.")
run = LazyCommand(f"{_READ}:run", "Show one run: metadata, verdict, steps and measurements.")
dut = LazyCommand(
    f"{_READ}:dut",
    "Show a DUT's history: every run of SERIAL across stations, with retests and failures.",
)
locks = LazyCommand(
    "benchtrail.api.cli.locks:locks",
    "List who holds which instrument (the hub's lock bucket).",
)
data = LazyCommand(
    "benchtrail.api.cli.data:data",
    "Manage the hub's recorded data: prune old days (retention).",
)
dead_letters = LazyCommand(
    "benchtrail.api.cli.deadletters:dead_letters",
    "List, show and retry what the projector could not use (BT_DEAD).",
)
export = LazyCommand(
    "benchtrail.api.cli.export:export",
    "Write runs, sessions or measurements to a Parquet, CSV or Arrow file.",
)
health = LazyCommand(
    "benchtrail.api.cli.health:health",
    "Show ingest health: lag, last ingest, dead letters, per-session seq gaps.",
)
mcp = LazyCommand(
    "benchtrail.api.cli.mcp:mcp",
    "Serve the MCP tools over stdio, answering from a benchtrail API.",
    extra="mcp",
)
replay = LazyCommand(
    "benchtrail.api.cli.replay:replay_command",
    "Rebuild a warehouse from the hub's stream (--into DIR) and verify its checksums.",
    extra="hub",
)
up = LazyCommand(
    "benchtrail.api.cli.up:up",
    "Start nats-server, the projector and the API on this machine.",
    extra="hub",
)
token = LazyCommand(
    "benchtrail.api.cli.token:token",
    "Create, list and revoke the API tokens of a hub (viewer, operator, admin).",
)
station = LazyCommand(
    "benchtrail.api.cli.station:station",
    "Register, list and revoke station identities (their NATS credentials).",
)
