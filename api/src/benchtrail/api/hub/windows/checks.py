"""Checks of observation-window requests: each bad value is a 400 naming it and what was expected.

They run before anything is published, so a request either records all of its
events or none, and nothing the projector would refuse ever reaches the stream.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from benchtrail.api.errors import BadParameter, NotFound
from benchtrail.api.models.windows import (
    FileContribution,
    FileRegistration,
    FileView,
    TopicSpec,
)
from benchtrail.api.timestamps import MAX_NS
from benchtrail.schemas import new_id
from benchtrail.schemas.events import TopicExtent

MAX_TEXT = 256
"""Longest name, id or project the window endpoints take."""
MAX_FILES = 1000
"""Most files one request adds or removes."""

_TEXT = f"a text of 1 to {MAX_TEXT} characters"
_NS = f"nanoseconds since the epoch, 0 to {MAX_NS}"


def text(parameter: str, value: str) -> str:
    """A required name or id: 1 to :data:`MAX_TEXT` characters, not only spaces."""
    if not value.strip() or len(value) > MAX_TEXT:
        raise BadParameter(parameter, value, _TEXT)
    return value


def optional_text(parameter: str, value: str) -> str:
    """An optional text (``""`` allowed), at most :data:`MAX_TEXT` characters."""
    if len(value) > MAX_TEXT:
        raise BadParameter(parameter, value, f"at most {MAX_TEXT} characters")
    return value


def window_name(value: str | None) -> str | None:
    """A window's name: a text, or None for no name."""
    return None if value is None else text("name", value)


def ids(parameter: str, values: Sequence[str], *, most: int = MAX_FILES) -> list[str]:
    """Distinct ids, in the order given (each one a text), at most ``most`` of them."""
    if len(values) > most:
        raise BadParameter(parameter, f"{len(values)} values", f"at most {most} values")
    seen: dict[str, None] = {}
    for index, value in enumerate(values):
        text(f"{parameter}[{index}]", value)
        if value in seen:
            raise BadParameter(f"{parameter}[{index}]", value, "ids that appear once")
        seen[value] = None
    return list(seen)


def _ns(parameter: str, value: int | None, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise BadParameter(parameter, None, f"{_NS} (required)")
        return None
    if not 0 <= value <= MAX_NS:
        raise BadParameter(parameter, value, _NS)
    return value


def extent(
    prefix: str, start: int | None, end: int | None, *, required: bool
) -> tuple[int, int] | None:
    """``(start, end)`` of ``<prefix>start_ns``/``<prefix>end_ns``: both or neither, in order."""
    first = _ns(f"{prefix}start_ns", start, required=required)
    last = _ns(f"{prefix}end_ns", end, required=required)
    return _pair(f"{prefix}start_ns", first, f"{prefix}end_ns", last)


def _pair(
    low_name: str, low: int | None, high_name: str, high: int | None
) -> tuple[int, int] | None:
    if low is None and high is None:
        return None
    if low is None:
        raise BadParameter(
            low_name, None, f"a value too when {high_name} is given (both or neither)"
        )
    if high is None:
        raise BadParameter(
            high_name, None, f"a value too when {low_name} is given (both or neither)"
        )
    if low > high:
        raise BadParameter(high_name, high, f"a time at or after {low_name} ({low})")
    return low, high


def file_extent(registration: FileRegistration) -> tuple[int, int]:
    """The required extent of a file to register."""
    pair = extent("", registration.start_ns, registration.end_ns, required=True)
    assert pair is not None  # required: missing bounds raised above
    return pair


def topics(specs: Sequence[TopicSpec], file_start: int, file_end: int) -> list[TopicExtent]:
    """A file's topics: distinct names and ids, extents inside the file's (default: the file's)."""
    found: list[TopicExtent] = []
    names: set[str] = set()
    topic_ids: set[str] = set()
    for index, spec in enumerate(specs):
        at = f"topics[{index}]."
        name = text(f"{at}name", spec.name)
        topic_id = new_id() if spec.topic_id is None else text(f"{at}topic_id", spec.topic_id)
        if name in names or topic_id in topic_ids:
            raise BadParameter(f"{at}name", name, "topics of distinct names and ids")
        pair = extent(at, spec.start_ns, spec.end_ns, required=False) or (file_start, file_end)
        if pair[0] < file_start or pair[1] > file_end:
            expected = f"an extent inside the file's, [{file_start}, {file_end}]"
            raise BadParameter(f"{at}start_ns", pair[0], expected)
        names.add(name)
        topic_ids.add(topic_id)
        found.append(TopicExtent(topic_id=topic_id, name=name, start_ns=pair[0], end_ns=pair[1]))
    return found


def contributions(files: Sequence[FileContribution]) -> list[FileContribution]:
    """Files to add: distinct ids, ranges both-or-neither with min <= max."""
    ids("files", [f.file_id for f in files])
    if not files:
        raise BadParameter("files", "[]", "at least one file")
    for index, contribution in enumerate(files):
        at = f"files[{index}]."
        _pair(
            f"{at}range_min_timestamp_ns",
            _ns(f"{at}range_min_timestamp_ns", contribution.range_min_timestamp_ns, required=False),
            f"{at}range_max_timestamp_ns",
            _ns(f"{at}range_max_timestamp_ns", contribution.range_max_timestamp_ns, required=False),
        )
    return list(files)


def inside_files(files: Sequence[FileContribution], known: Mapping[str, FileView]) -> None:
    """Every file is registered, and every range lies inside its file's extent.

    Raises:
        NotFound: a file id nobody registered.
        BadParameter: a range outside its file.
    """
    for index, contribution in enumerate(files):
        found = known.get(contribution.file_id)
        if found is None:
            raise NotFound("file", contribution.file_id)
        low, high = contribution.range_min_timestamp_ns, contribution.range_max_timestamp_ns
        if low is None or high is None:
            continue
        expected = f"a range inside the file's extent [{found.start_ns}, {found.end_ns}]"
        if low < found.start_ns:
            raise BadParameter(f"files[{index}].range_min_timestamp_ns", low, expected)
        if high > found.end_ns:
            raise BadParameter(f"files[{index}].range_max_timestamp_ns", high, expected)


def attached(device_id: str, device_ids: Collection[str]) -> None:
    """The device is attached to the window.

    Raises:
        NotFound: kind ``window device``.
    """
    if device_id not in device_ids:
        raise NotFound("window device", device_id)


def size(value: int) -> int:
    """A file size in bytes (0 when unknown)."""
    if not 0 <= value <= MAX_NS:
        raise BadParameter("size_bytes", value, f"a size in bytes, 0 to {MAX_NS}")
    return value


def held(file_ids: Sequence[str], contributed: Collection[str]) -> None:
    """Every file to remove is a contribution of the window.

    Raises:
        NotFound: kind ``window file``, naming the first that is not.
    """
    for file_id in file_ids:
        if file_id not in contributed:
            raise NotFound("window file", file_id)
