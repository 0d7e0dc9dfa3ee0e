"""Acquire functions and tasks: their arguments bound by name to instruments and parameters."""

from __future__ import annotations

import asyncio
import functools
import inspect
import operator
import threading
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
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
    positional: bool = True
    """Whether the arguments can be passed by position: fixed ones first, then parameters."""

    @property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function (``async def``)."""
        return inspect.iscoroutinefunction(self.function)

    def caller(
        self, sweep: Sequence[str], runner: asyncio.Runner | None
    ) -> Callable[[Sequence[CustomValue]], object]:
        """A function of one point's values (in ``sweep`` order) that calls this one.

        The common shapes (``f(voltage, current)``, ``f(psu, dmm, voltage)``) are called
        by position with the fixed arguments bound once; others by keyword.
        """
        indices = [list(sweep).index(name) for name in self.parameters]
        if self.is_async:
            assert runner is not None
            return lambda values: runner.run(_awaited(self._by_keyword(values, indices)))
        if not self.positional:
            return lambda values: self._by_keyword(values, indices)
        head = functools.partial(self.function, *self.fixed.values())
        if indices == list(range(len(sweep))):
            return lambda values: head(*values)
        if not indices:
            return lambda values: head()
        if len(indices) == 1:
            (only,) = indices
            return lambda values: head(values[only])
        pick = operator.itemgetter(*indices)
        return lambda values: head(*pick(values))

    def splat(self, sweep: Sequence[str]) -> Callable[..., object] | None:
        """The function to call as ``f(*point)``, when it takes exactly the parameters in order."""
        if self.is_async or not self.positional or self.parameters != list(sweep):
            return None
        return (
            functools.partial(self.function, *self.fixed.values()) if self.fixed else self.function
        )

    def _by_keyword(self, values: Sequence[CustomValue], indices: list[int]) -> object:
        chosen = {name: values[i] for name, i in zip(self.parameters, indices, strict=True)}
        return self.function(**self.fixed, **chosen)


async def _awaited(awaitable: object) -> object:
    return await awaitable  # type: ignore[misc]  # the result of an async def


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
            bound.positional = False
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
    positional = argument.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    if by_name and arg in instruments:
        _fixed(bound, arg, instruments[arg], positional)
    elif by_name and arg in parameters:
        bound.parameters.append(arg)
        bound.positional &= positional
    elif by_name and arg in constants:
        _fixed(bound, arg, constants[arg], positional)
    elif by_name and arg == STOP_EVENT and stop_event is not None:
        _fixed(bound, arg, stop_event, positional)
    elif argument.default is inspect.Parameter.empty:
        raise AcquireSignatureError(bound.name, arg, offered)
    else:  # left to its default: later arguments can no longer go by position
        bound.positional = False


def _fixed(bound: Bound, arg: str, value: object, positional: bool) -> None:
    """Bind an argument that is the same at every point (it must precede the parameters)."""
    bound.fixed[arg] = value
    bound.positional &= positional and not bound.parameters


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
