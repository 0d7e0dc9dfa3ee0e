"""Acquire functions and tasks: their arguments bound by name to instruments and parameters."""

from __future__ import annotations

import asyncio
import inspect
import threading
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from benchtrail.agents.errors import AcquireResultError, AcquireSignatureError
from benchtrail.schemas import CustomValue

STOP_EVENT = "stop_event"
"""The argument through which a task is told to stop (a :class:`threading.Event`)."""

UserFunction = Callable[..., object]


@dataclass
class Bound:
    """A function with each of its arguments resolved to an instrument, a parameter or its default.

    Attributes:
        function: the user's function (plain or ``async def``).
        name: its name, as shown in errors.
        fixed: the arguments that stay the same at every point (instruments, constants).
        parameters: the names of the parameters it takes, filled in per point.
    """

    function: UserFunction
    name: str
    fixed: dict[str, object] = field(default_factory=dict)
    parameters: list[str] = field(default_factory=list)

    @property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function (``async def``)."""
        return inspect.iscoroutinefunction(self.function)

    def call(self, point: Mapping[str, CustomValue], runner: asyncio.Runner | None) -> object:
        """Call the function with this point's parameter values (awaiting it if async)."""
        result = self.function(**self.fixed, **{name: point[name] for name in self.parameters})
        if runner is not None and inspect.isawaitable(result):
            return runner.run(_awaited(result))
        return result


async def _awaited(awaitable: object) -> object:
    return await awaitable  # type: ignore[misc]  # checked by inspect.isawaitable


def bind(
    function: UserFunction,
    instruments: Mapping[str, object],
    parameters: Collection[str],
    constants: Mapping[str, CustomValue],
    stop_event: threading.Event | None = None,
) -> Bound:
    """Resolve every argument of ``function`` by its name.

    Args:
        function: an acquire function or a task.
        instruments: alias → instrument.
        parameters: names of the swept parameters (values given per point).
        constants: names of parameters with a single value in a timed run → that value.
        stop_event: offered to tasks as ``stop_event``.

    Raises:
        AcquireSignatureError: an argument without a default matches nothing.
    """
    name = getattr(function, "__name__", repr(function))
    bound = Bound(function, name)
    offered = [*instruments, *parameters, *constants]
    if stop_event is not None:
        offered.append(STOP_EVENT)
    for argument in inspect.signature(function).parameters.values():
        if argument.kind is inspect.Parameter.VAR_KEYWORD:
            bound.fixed.update({k: v for k, v in instruments.items() if k not in bound.fixed})
            bound.fixed.update(constants)
            bound.parameters.extend(p for p in parameters if p not in bound.parameters)
            continue
        if argument.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        _resolve(bound, argument, instruments, parameters, constants, stop_event, offered)
    return bound


def _resolve(  # noqa: PLR0917  # one call site, every argument needed
    bound: Bound,
    argument: inspect.Parameter,
    instruments: Mapping[str, object],
    parameters: Collection[str],
    constants: Mapping[str, CustomValue],
    stop_event: threading.Event | None,
    offered: list[str],
) -> None:
    arg = argument.name
    by_name = argument.kind is not inspect.Parameter.POSITIONAL_ONLY
    if by_name and arg in instruments:
        bound.fixed[arg] = instruments[arg]
    elif by_name and arg in parameters:
        bound.parameters.append(arg)
    elif by_name and arg in constants:
        bound.fixed[arg] = constants[arg]
    elif by_name and arg == STOP_EVENT and stop_event is not None:
        bound.fixed[arg] = stop_event
    elif argument.default is inspect.Parameter.empty:
        raise AcquireSignatureError(bound.name, arg, offered)


def check_return_annotation(function: UserFunction) -> None:
    """Refuse an acquire function annotated to return something other than a mapping.

    Raises:
        AcquireResultError: the return annotation is a type that is not a mapping.
    """
    try:
        hints = typing.get_type_hints(function)
    except (NameError, TypeError):  # unresolvable annotations: judged at the first point
        return
    if "return" not in hints:
        return
    returned = hints["return"]
    origin = typing.get_origin(returned) or returned
    if origin is typing.Any or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return
    if typing.is_typeddict(returned):
        return
    name = getattr(function, "__name__", repr(function))
    raise AcquireResultError(
        name, f"is annotated to return {returned!r}; an acquire function returns a mapping"
    )
