"""OpenHTF phase attachments as run attachments (``run.attach``), each under its phase's step."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from openhtf.core import test_record  # type: ignore[import-untyped]

from benchtrail.agents.errors import AttachmentTooLarge, InvalidAttachment
from benchtrail.agents.run import Run
from benchtrail.schemas import Log


def record_attachments(
    run: Run,
    record: test_record.TestRecord,
    *,
    step_name: Callable[[test_record.PhaseRecord], str],
    logger: str,
) -> None:
    """Attach every phase's OpenHTF attachments to the run, each under its phase's step.

    A name used by two phases becomes ``<phase>.<name>`` in both; path separators become
    ``_``. An attachment that cannot be recorded (too large, bytes not matching OpenHTF's
    sha1) is left out with a warning log event naming it.
    """
    phases = [(step_name(phase), phase.attachments or {}) for phase in record.phases]
    counts: dict[str, int] = {}
    for _, attachments in phases:
        for name in attachments:
            counts[str(name)] = counts.get(str(name), 0) + 1
    for step, attachments in phases:
        for name, attachment in attachments.items():
            target = str(name).replace("/", "_").replace("\\", "_")
            target = f"{step}.{target}" if counts[str(name)] > 1 else target
            _attach_one(run, step, (str(name), target), attachment, logger)


def _attach_one(
    run: Run,
    step: str,
    names: tuple[str, str],
    attachment: test_record.Attachment,
    logger: str,
) -> None:
    name, target = names  # OpenHTF's, and the one it gets in the run
    data: bytes = attachment.data
    try:
        if hashlib.sha1(data, usedforsecurity=False).hexdigest() != attachment.sha1:
            raise InvalidAttachment(name, "its bytes do not match the sha1 OpenHTF recorded")
        run.attach(target[:255], data, attachment.mimetype or None, step=step)
    except (InvalidAttachment, AttachmentTooLarge) as e:
        run.station.emit(
            Log,
            level="warning",
            message=f"OpenHTF attachment {name!r} of phase {step!r} not recorded: {e}",
            logger=logger,
            run_id=run.run_id,
        )
