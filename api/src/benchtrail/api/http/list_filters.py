"""Query parameters shared by the list endpoints, as Litestar dependencies.

The filters of each list are made from their declaration
(:mod:`benchtrail.api.models.filters`) by :func:`filter_dependency`: query parameters
documented in the OpenAPI schema like a handler's own, returned checked and
parsed (filter name to text, or to ns for a time). An empty filter
(``?station_id=``) means no filter; a bad value raises
:class:`~benchtrail.api.errors.BadParameter` naming the parameter (HTTP 400).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from benchtrail.api.http.query_params import check_choice, parse_time
from benchtrail.api.http.responses import FORMAT_DOC, OutputFormat, choose_format
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.models.filters import RUNS, FilterSet

MAX_LIMIT = 1000
"""Largest page the list endpoints return."""

BAD_PARAMETER = ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use.")
NOT_FOUND = ResponseSpec(ErrorBody, description="No entity has that id.")

PAGE_HEADERS = [
    ResponseHeader(
        name="X-Next-Cursor",
        documentation_only=True,
        required=False,
        description="Present when more rows follow: pass it as `cursor`.",
    ),
    ResponseHeader(
        name="Link",
        documentation_only=True,
        required=False,
        description='Present when more rows follow: `<url of the next page>; rel="next"`.',
    ),
]
"""The headers of a page that is not the last, for the OpenAPI document."""

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")
]
CursorParam = Annotated[
    str | None, QueryParameter(description="The `next_cursor` of the previous page.")
]


def _described(name: str) -> QueryParameter:
    return QueryParameter(description=RUNS[name].description)


StationId = Annotated[str | None, _described("station_id")]
RunId = Annotated[str | None, QueryParameter(description="Only this run id.")]
DutSerial = Annotated[str | None, _described("dut_serial")]


def provide_output_format(
    request: Request[Any, Any, Any],
    format: Annotated[OutputFormat | None, QueryParameter(description=FORMAT_DOC)] = None,
) -> OutputFormat:
    """The format of the answer: ``format``, else the ``Accept`` header, else JSON."""
    return choose_format(format, request.headers.get("accept", ""))


def parse_filters(declared: FilterSet, given: Mapping[str, str | None]) -> dict[str, str | int]:
    """The filters of ``declared`` that ``given`` holds, checked and parsed.

    An empty value is no filter; a time becomes ns; a value outside a filter's choices
    raises :class:`~benchtrail.api.errors.BadParameter` naming the filter (HTTP 400).
    """
    parsed: dict[str, str | int] = {}
    for declared_filter in declared.filters:
        value = given.get(declared_filter.name)
        if not value:
            continue
        if declared_filter.is_time:
            parsed[declared_filter.name] = parse_time(declared_filter.name, value)
        elif declared_filter.choices:
            check_choice(declared_filter.name, value, declared_filter.choices)
            parsed[declared_filter.name] = value
        else:
            parsed[declared_filter.name] = value
    return parsed


@cache
def filter_dependency(declared: FilterSet) -> Callable[..., dict[str, str | int]]:
    """A Litestar dependency taking the filters of ``declared`` as query parameters.

    Litestar reads a dependency's parameters from its signature and type hints:
    this one's are made from the declaration (each an optional text with its
    description), so the OpenAPI document lists every filter.
    """

    def provide(**given: str | None) -> dict[str, str | int]:
        return parse_filters(declared, given)

    parameters = [
        inspect.Parameter(
            declared_filter.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None, QueryParameter(description=declared_filter.description)
            ],
        )
        for declared_filter in declared.filters
    ]
    provide.__name__ = provide.__qualname__ = f"provide_{declared.list_name}_filters"
    provide.__doc__ = f"Filters of the {declared.list_name} lists."
    provide.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=dict[str, str | int]
    )
    provide.__annotations__ = {
        **{parameter.name: parameter.annotation for parameter in parameters},
        "return": dict[str, str | int],
    }
    return provide


def time_bound(name: str, value: str | None) -> int | None:
    """A ``since``/``until`` parameter in ns, or None when absent or empty."""
    return None if not value else parse_time(name, value)


OUTPUT = {"output": Provide(provide_output_format, sync_to_thread=False)}
"""Dependency of every list handler: ``output``, the chosen :data:`OutputFormat`."""


def filters(declared: FilterSet) -> dict[str, Provide]:
    """The dependencies of a list handler: ``filters`` of ``declared``, and ``output``."""
    return {**filters_only(declared), **OUTPUT}


def filters_only(declared: FilterSet) -> dict[str, Provide]:
    """The dependency ``filters``: the parsed filters of ``declared`` (an export's only one)."""
    return {"filters": Provide(filter_dependency(declared), sync_to_thread=False)}
