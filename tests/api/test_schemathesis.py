"""The whole HTTP API against its own OpenAPI schema (schemathesis), on a running hub.

Every operation of ``/schema/openapi.json`` (those of every route group) gets
generated requests, valid and invalid: no answer may be a 5xx (but a 503
"unavailable" ErrorBody), and every 4xx must be a JSON ErrorBody naming the
problem (the parameter of a 400, the kind and key of a 404). Under ``CI`` the
examples are derandomized; their number is bounded so the run takes seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import Case, GenerationMode
from schemathesis.core.transport import Response

from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.models.entities import ErrorBody

from .seed import history_sessions, main_session, paged_sessions, running_session, write_events

EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 6}
"""Requests per operation and mode."""
STREAM_EXAMPLES = 2
"""Requests per mode for a Server-Sent Events operation (each lasts its timeout)."""
TIMEOUT_S = 10.0
STREAM_TIMEOUT_S = 0.5
_error_body = msgspec.json.Decoder(ErrorBody)


@dataclass
class Findings:
    """Problems found, at most one per operation and kind of problem."""

    problems: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: int = 0

    def add(self, case: Case, kind: str, detail: str) -> None:
        key = (f"{case.method} {case.operation.path}", kind)
        self.problems.setdefault(key, f"{key[0]}: {kind}: {detail}\n    {_curl(case)}")


def _curl(case: Case) -> str:
    try:
        return case.as_curl_command()
    except ValueError:  # a case the command cannot be built for
        return f"{case.method} {case.formatted_path} query={case.query!r}"


def problem(response: Response) -> tuple[str, str] | None:
    """What is wrong with an answer: a 5xx, or a 4xx that is not an ErrorBody naming the problem."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body = _error_body.decode(response.content)
    except msgspec.DecodeError:
        return f"HTTP {status} without an ErrorBody", response.text[:300]
    if status >= 500 and not (status == 503 and body.error == "unavailable"):
        return f"HTTP {status}", body.detail
    if body.status_code != status or not body.detail:
        return "an ErrorBody with the wrong status or no detail", response.text[:300]
    if body.error == "bad_parameter" and not body.parameter:
        return "a 400 naming no parameter", body.detail
    if body.error == "not_found" and not (body.kind and body.key is not None):
        return "a 404 naming nothing", body.detail
    return None


def is_event_stream(operation: schemathesis.APIOperation) -> bool:
    responses = operation.definition.raw.get("responses", {})
    ok = responses.get("200", {}) if isinstance(responses, dict) else {}
    return "text/event-stream" in ok.get("content", {})


def exercise(
    operation: schemathesis.APIOperation, findings: Findings, headers: dict[str, str]
) -> None:
    """Send the operation's generated requests, valid and invalid, and note any problem."""
    streams = is_event_stream(operation)
    timeout = STREAM_TIMEOUT_S if streams else TIMEOUT_S
    for mode, examples in EXAMPLES.items():
        count = STREAM_EXAMPLES if streams else examples
        run = _runner(operation, mode, count, lambda case: _call(case, timeout, findings, headers))
        try:
            run()
        except HypothesisException:
            continue  # e.g. no invalid request can be built for this operation


def _runner(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    examples: int,
    check: Callable[[Case], None],
) -> Callable[[], None]:
    @settings(
        max_examples=examples,
        derandomize=bool(os.environ.get("CI")),
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        check(case)

    return run


def _call(case: Case, timeout: float, findings: Findings, headers: dict[str, str]) -> None:
    findings.requests += 1
    # The schema declares bearer auth, so generated cases carry made-up tokens (or none on
    # the open hub): the token under test replaces them.
    kept = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers = {**kept, **headers}
    response = case.call(timeout=timeout)
    signing_in = case.operation.path == "/api/auth/session"  # a made-up token in the body: 401
    if response.status_code in (401, 403) and not signing_in:
        findings.add(case, "refused the admin token", response.text[:300])
    found = problem(response)
    if found is not None:
        findings.add(case, *found)


def operations(hub: Hub, headers: dict[str, str]) -> Iterator[schemathesis.APIOperation]:
    """Every operation of the served schema; reads first, changes (POST, DELETE...) last."""
    schema = schemathesis.openapi.from_url(f"{hub.api_url}/schema/openapi.json", headers=headers)
    found = [result.ok() for result in schema.get_all_operations()]
    yield from sorted(found, key=lambda op: (op.method.upper() != "GET", op.path))


@pytest.mark.parametrize("auth", [False, True], ids=["open", "admin-token"])
def test_every_operation_answers_without_5xx_and_with_error_bodies(
    start_hub: Callable[..., AbstractContextManager[Hub]], auth: bool
) -> None:
    with start_hub(auth=auth) as hub:
        headers = {}
        if auth:  # every request carries an admin token: no operation may refuse it
            token = token_store(hub.data_dir).create("schemathesis", "admin").token
            headers = {"Authorization": f"Bearer {token}"}
        _check_every_operation(hub, headers)


def _check_every_operation(hub: Hub, headers: dict[str, str]) -> None:
    assert hub.warehouse is not None
    seed = [*main_session(), *running_session(), *paged_sessions(), *history_sessions()]
    write_events(hub.warehouse, seed)
    findings = Findings()
    paths = set()
    for operation in operations(hub, headers):
        paths.add(operation.path)
        exercise(operation, findings, headers)
    assert {"/api/runs", "/api/duts/{serial}", "/api/measurements/series"} <= paths
    assert findings.requests > 5 * len(paths)
    assert not findings.problems, "\n".join(findings.problems.values())
