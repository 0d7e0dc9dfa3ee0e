"""What the hub did not acknowledge by the end of a session, and how pytest says so.

A session that ends with events the hub has not acknowledged is not recorded, even
if every test passed: pytest exits with status 3 and one line says how many events
are kept in which outbox file, and the command that delivers them
(``benchtrail outbox flush --station cell-7``). With the station's outbox off they
are lost, and the line says that instead.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchtrail.agents.publishing.outbox import outbox_root


@dataclasses.dataclass(frozen=True, kw_only=True)
class Undelivered:
    """Events of one process's session the hub did not acknowledge before it ended.

    Attributes:
        events: how many.
        station_id: the station.
        hub: the hub URL they were published to.
        outbox: the outbox file keeping them; empty when the outbox is off (lost).
        answered: whether the hub ever answered (a connection was established).
        waited: seconds the session waited for the hub at its end.
        last_error: the last publishing error, if any.
    """

    events: int
    station_id: str
    hub: str
    outbox: str
    answered: bool
    waited: float
    last_error: str

    def to_dict(self) -> dict[str, object]:
        """The fields as plain values (an xdist worker hands them to the controller)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, fields: Mapping[str, object]) -> Undelivered:
        """Rebuild what :meth:`to_dict` gave."""
        return cls(
            events=int(str(fields["events"])),
            station_id=str(fields["station_id"]),
            hub=str(fields["hub"]),
            outbox=str(fields["outbox"]),
            answered=bool(fields["answered"]),
            waited=float(str(fields["waited"])),
            last_error=str(fields["last_error"]),
        )


def undelivered_line(found: Sequence[Undelivered]) -> str:
    """The one line saying what is not recorded, where it is kept, and how to deliver it."""
    first = found[0]
    events = sum(u.events for u in found)
    why = (
        f"the hub at {first.hub!r} did not acknowledge them within {first.waited:g} s"
        if all(u.answered for u in found)
        else f"the hub at {first.hub!r} never answered within {first.waited:g} s"
    )
    cause = f" (last error: {first.last_error})" if first.last_error else ""
    kept = [Path(u.outbox) for u in found if u.outbox]
    if not kept:
        return (
            f"benchtrail: NOT recorded: {events} event(s) were not delivered and are lost "
            f"(the station's outbox is off): {why}{cause}"
        )
    where = f"the outbox file {kept[0]}"
    if len(kept) > 1:
        where = f"{len(kept)} outbox files in {kept[0].parent}"
    return (
        f"benchtrail: NOT recorded: {events} event(s) are kept in {where}: "
        f"{why}{cause}; deliver them with: {flush_command(first.station_id, kept[0])}"
    )


def flush_command(station_id: str, outbox_file: Path) -> str:
    """``benchtrail outbox flush --station ID`` (with ``--dir`` when the outbox is elsewhere)."""
    command = ["benchtrail", "outbox", "flush", "--station", station_id]
    root = outbox_file.parent.parent
    if root != outbox_root():
        command += ["--dir", str(root)]
    return shlex.join(command)
