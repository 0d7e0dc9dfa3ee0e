"""The README's performance tables, in Markdown, from the JSON files the benchmarks write.

    uv run python benchmarks/ingest.py --json ingest.json
    uv run python benchmarks/queries.py --json queries.json
    uv run python benchmarks/perf_table.py ingest.json queries.json
    uv run python benchmarks/perf_table.py ingest.json queries.json --readme README.md

Prints the tables; with ``--readme``, writes them into that file between the
``<!-- perf:begin -->`` and ``<!-- perf:end -->`` lines instead. Each file says which
benchmark wrote it (``"benchmark": "ingest"`` or ``"queries"``); either may be left out.

Shapes read here:

- ingest: ``{"benchmark": "ingest", "args": {...}, "machine": {...}, "phases": {name:
  {figure: value}}}`` with phases ``single``, ``batch_outbox_on|off|full`` and ``paced``;
  each phase has its raw limits (``raw_insert_rows_per_s``, ``raw_publish_points_per_s``,
  ``raw_projector_points_per_s`` for ``single``) and the ratios to them.
- queries: ``{"benchmark": "queries", "state": {"loaded"|"merged": {request: {"p50_ms",
  "p95_ms", "target_ms"}}}, "raw": {...}}``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

Report = dict[str, Any]


def _rate(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.0f}k"
    return f"{text}{unit}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


def _machine_line(report: Report) -> str:
    machine = report.get("machine")
    if not machine:
        return "machine not recorded"
    versions = machine.get("versions", {})
    load = machine.get("load_average") or [float("nan")]
    commit = str(machine.get("git_commit", ""))[:10]
    dirty = "+dirty" if machine.get("git_dirty") else ""
    named = ", ".join(
        f"{name} {versions[name]}" for name in ("chdb", "nats-py", "python") if versions.get(name)
    )
    return (
        f"{machine.get('cores', '?')} cores, load {load[0]:.1f} at the end, "
        f"commit {commit}{dirty}, {named}"
    )


def ingest_table(report: Report) -> str:
    """Markdown: each ingest phase, its published and queryable rates, its raw limits."""
    phases: dict[str, dict[str, float]] = report["phases"]
    args = report.get("args", {})
    lines = [
        f"Ingest (`benchmarks/ingest.py`, {args.get('stations', '?')} stations; "
        f"{_machine_line(report)}):",
        "",
        "| path | published (acked) | queryable | p99 record→queryable | raw limit, same run "
        "| queryable / raw |",
        "|---|---|---|---|---|---|",
    ]
    single = phases.get("single")
    if single:
        lines.append(
            f"| single `measure()` | {_rate(single['published_points_per_s'], ' points/s')} "
            f"| **{_rate(single['queryable_points_per_s'], ' points/s')}** "
            f"| {single['p99_ms']:,.0f} ms "
            f"| decode→Arrow→chDB, no NATS: {_rate(single.get('raw_projector_points_per_s'))}"
            f" points/s; publish: {_rate(single.get('raw_publish_points_per_s'))} points/s "
            f"| {_pct(single.get('queryable_pct_of_raw_projector'))} |"
        )
    for outbox in ("on", "off", "full"):
        batch = phases.get(f"batch_outbox_{outbox}")
        if not batch:
            continue
        lines.append(
            f"| `measure_batch` (outbox {outbox}) "
            f"| {_rate(batch['published_points_per_s'], ' points/s')} "
            f"| **{_rate(batch['queryable_points_per_s'], ' points/s')}** "
            f"| {batch['p99_ms']:,.0f} ms "
            f"| chDB Arrow insert: {_rate(batch.get('raw_insert_rows_per_s'))} rows/s; "
            f"publish: {_rate(batch.get('raw_publish_points_per_s'))} points/s "
            f"| {_pct(batch.get('queryable_pct_of_raw_insert'))} |"
        )
    paced = phases.get("paced")
    if paced:
        lines.append(
            f"| paced {_rate(paced['published_events_per_s'], ' events/s')} "
            f"| {_rate(paced['published_events_per_s'], ' events/s')} "
            f"| {_rate(paced['queryable_points_per_s'], ' points/s')} "
            f"| {paced['p99_ms']:,.0f} ms | – | – |"
        )
    costs = [
        f"outbox {outbox} {phase['us_per_point']:.3f} µs wall"
        + (
            f" ({phase['caller_cpu_us_per_point']:.3f} µs CPU)"
            if "caller_cpu_us_per_point" in phase
            else ""
        )
        for outbox in ("off", "on", "full")
        if (phase := phases.get(f"batch_outbox_{outbox}"))
    ]
    if costs:
        lines += ["", "Recording cost per `measure_batch` point: " + ", ".join(costs) + "."]
    if single:
        cpu = ""
        if "cpu_us_per_point" in single:
            cpu = (
                f" ({single['caller_cpu_us_per_point']:.2f} µs CPU in the recording thread,"
                f" {single['cpu_us_per_point']:.2f} µs CPU in the whole station process)"
            )
        lines.append(
            f"A single `measure()` costs {single['us_per_point']:.2f} µs of wall time in the"
            f" station{cpu}."
        )
        if "hub_cpu_us_per_point" in single:
            lines.append(
                f"The hub process (projector, API, chDB and its merges) spent"
                f" {single['hub_cpu_us_per_point']:.2f} µs CPU per point in that phase; the"
                f" plain decode→Arrow→chDB pass {single['raw_projector_cpu_us_per_point']:.2f}."
            )
        if "lag_growth_ms_per_s" in single:
            lines.append(
                f"Keeping up: the record→queryable lag's median was"
                f" {single['lag_first_ms']:,.0f} ms over the first quarter of that phase's points"
                f" and {single['lag_last_ms']:,.0f} ms over the last (it grew"
                f" {single['lag_growth_ms_per_s']:,.0f} ms per second recorded: the hub"
                f" kept up with {single['steady_pct_of_recorded']:.0f} % of the recording rate)."
            )
    return "\n".join(lines)


def queries_table(report: Report) -> str:
    """Markdown: each request's p50/p95 as loaded and merged, against its target."""
    states: dict[str, dict[str, dict[str, float]]] = report["state"]
    requests = list(dict.fromkeys(name for state in states.values() for name in state))
    order = [s for s in ("loaded", "merged") if s in states]
    head = " | ".join(f"p50 / p95 {state} (its SQL alone, p95)" for state in order)
    lines = [
        f"Queries (`benchmarks/queries.py`; {_machine_line(report)}):",
        "",
        f"| request | target | {head} |",
        "|---|---|" + "---|" * len(order),
    ]
    for name in requests:
        target = next((states[s][name].get("target_ms") for s in order if name in states[s]), None)
        cells = []
        for state in order:
            found = states[state].get(name)
            if found is None:
                cells.append("–")
                continue
            over = target is not None and found["p95_ms"] > target
            p95 = f"{found['p95_ms']:.0f} ms" + (" ✗" if over else "")
            raw_p95 = found.get("raw_p95_ms")
            sql = "" if raw_p95 is None else f" ({raw_p95:.0f})"
            cells.append(f"{found['p50_ms']:.0f} / {p95}{sql}")
        target_text = "–" if target is None else f"{target:.0f} ms"
        lines.append(f"| {name} | {target_text} | " + " | ".join(cells) + " |")
    raw = report.get("raw")
    if raw:
        shown = ", ".join(f"{key} {value}" for key, value in raw.items())
        lines += ["", f"Raw limits in the same run: {shown}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="JSON files written with --json")
    parser.add_argument(
        "--readme", type=Path, help="write the tables into this file between the perf markers"
    )
    args = parser.parse_args()
    tables = []
    for path in args.files:
        report: Report = json.loads(path.read_text())
        kind = report.get("benchmark")
        if kind == "ingest":
            tables.append(ingest_table(report))
        elif kind == "queries":
            tables.append(queries_table(report))
        else:
            raise SystemExit(f"{path}: not a benchmark report (benchmark: {kind!r})")
    text = "\n\n".join(tables)
    if args.readme is None:
        print(text)
        return
    readme = args.readme.read_text()
    head, begin, rest = readme.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"{args.readme}: no {BEGIN} ... {END} lines to write the tables between")
    args.readme.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    print(f"wrote {len(tables)} table(s) into {args.readme}")


BEGIN = "<!-- perf:begin -->"
END = "<!-- perf:end -->"


if __name__ == "__main__":
    main()
