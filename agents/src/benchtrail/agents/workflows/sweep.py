"""One experiment run of a measurement session: its points taken, its tasks beside them.

:func:`sweep` visits the plan's points (a grid, or ticks until the duration ends),
calling the acquire functions at each while the tasks run in the background, with a
progress bar when asked; :func:`experiment_info` describes the finished run.
"""

from __future__ import annotations

import asyncio

from benchtrail.agents.run import Run
from benchtrail.agents.station import Station
from benchtrail.agents.workflows.binding import Bound
from benchtrail.agents.workflows.plan import Plan, PointTaker
from benchtrail.agents.workflows.points import PointTable
from benchtrail.agents.workflows.progress import RunProgress
from benchtrail.agents.workflows.tasks import TaskGroup
from benchtrail.schemas import CustomValue, ExperimentInfo, now_ns


def sweep(
    plan: Plan,
    acquires: list[Bound],
    tasks: TaskGroup,
    table: PointTable,
    *,
    label: str,
    show: bool | None,
    station: Station,
) -> None:
    """Take every point of ``plan`` into ``table`` while ``tasks`` run; then stop them.

    Raises:
        TaskFailed: a task raised; the points stopped there.
    """
    runner = asyncio.Runner() if any(b.is_async for b in acquires) else None
    point = PointTaker(acquires, plan.names, table, runner)
    tasks.start()
    try:
        with RunProgress(label, plan.total, plan.duration, show) as bar:
            take = point.take
            if bar.show:
                for values in plan.points(tasks.stop_event):
                    take(values)
                    bar.advance()
            else:
                for values in plan.points(tasks.stop_event):
                    take(values)
        tasks.check()
    finally:
        table.flush()
        stuck = tasks.stop()
        if runner is not None:
            runner.close()
        if stuck:
            station.log(f"tasks still running after the run: {', '.join(stuck)}", "warning")


def experiment_info(
    station: Station,
    run: Run,
    plan: Plan,
    *,
    label: str,
    metadata: dict[str, CustomValue],
    units: dict[str, str],
    points: int,
    started_ns: int,
) -> ExperimentInfo:
    """What a finished experiment run was: ids, parameters, units, times, outcome."""
    return ExperimentInfo(
        name=label,
        station_id=station.station_id,
        session_id=station.session_id,
        run_id=run.run_id,
        parameters=[p.info() for p in plan.parameters],
        metadata=metadata,
        units={**{p.name: p.unit for p in plan.parameters if p.unit}, **units},
        started_at_ns=started_ns,
        ended_at_ns=now_ns(),
        outcome=run.outcome or "",
        points=points,
    )
