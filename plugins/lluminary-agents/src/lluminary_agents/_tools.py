"""Tools that keep their function: the schema the model sees (derived by ``lluminary.tool``), the
function that runs (sync or async), argument checking before the call, and an optional
:class:`RunContext` injected into the tools that ask for it."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

import lluminary
from lluminary import Tool

from ._context import RunContext
from ._errors import ToolDefinitionError
from ._validate import schema_errors


class ArgumentError(Exception):
    """The model's arguments do not fit the tool; the message goes back to the model."""


@attrs.frozen
class AgentTool:
    """A :class:`lluminary.Tool` with the function that runs it.

    ``timeout``: seconds the call may take before the model is told it timed out.
    ``requires_approval``: the run pauses before calling it (see :meth:`RunState.approve`).
    """

    definition: Tool
    function: Callable[..., Any]
    takes_context: bool = False
    timeout: float | None = None
    requires_approval: bool = False
    is_async: bool = False
    takes_extra: bool = False
    hints: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return self.definition.name

    def check(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``arguments`` as keyword arguments of the function, or :class:`ArgumentError`."""
        if not isinstance(arguments, Mapping):
            raise ArgumentError(f"arguments must be a JSON object, got {arguments!r}")
        parameters = self.definition.parameters
        errors = schema_errors(dict(arguments), parameters)
        if not self.takes_extra:
            known = parameters.get("properties") or {}
            errors.extend(
                f"arguments: unexpected {k!r} (allowed: {sorted(known)})" for k in arguments if k not in known
            )
        if errors:
            raise ArgumentError(
                "invalid arguments for tool " + repr(self.name) + ": " + "; ".join(dict.fromkeys(errors))
            )
        return {k: _convert(self.hints.get(k), v) for k, v in arguments.items()}

    async def call(self, arguments: Mapping[str, Any], context: RunContext[Any] | None) -> Any:
        """Run the function with checked ``arguments`` (a sync function runs in a worker thread,
        so several run at once)."""
        kwargs = self.check(arguments)
        args: tuple[Any, ...] = (context,) if self.takes_context else ()
        if self.is_async:
            awaitable: Awaitable[Any] = self.function(*args, **kwargs)
        else:
            copied = contextvars.copy_context()
            call = functools.partial(copied.run, self.function, *args, **kwargs)
            awaitable = asyncio.get_running_loop().run_in_executor(_threads(), call)
        if self.timeout is None:
            return await awaitable
        return await asyncio.wait_for(awaitable, self.timeout)


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: bool = False,
) -> Any:
    """Make ``fn`` an :class:`AgentTool`: ``@tool``, ``@tool(timeout=5)`` or ``tool(fn)``. The
    result is still callable like ``fn``."""
    if fn is None:
        return lambda f: tool(
            f, name=name, description=description, timeout=timeout, requires_approval=requires_approval
        )
    return as_tool(fn, name=name, description=description, timeout=timeout, requires_approval=requires_approval)


def as_tool(
    fn: Callable[..., Any] | AgentTool,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    requires_approval: bool = False,
) -> AgentTool:
    """An :class:`AgentTool` for a function (or the tool itself)."""
    if isinstance(fn, AgentTool):
        return fn
    if not callable(fn):
        raise ToolDefinitionError(f"a tool must be a function or an AgentTool, got {fn!r}")
    if timeout is not None and timeout <= 0:
        raise ToolDefinitionError(f"tool timeout must be positive, got {timeout!r}")
    target = getattr(fn, "__func__", fn)
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ToolDefinitionError(f"cannot read the type hints of {fn!r}: {exc}") from None
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    takes_context = bool(params) and _is_context(hints.get(params[0].name))
    if takes_context:
        params = params[1:]
    for param in params:
        if _is_context(hints.get(param.name)):
            raise ToolDefinitionError(f"tool {fn.__name__!r}: RunContext must be the first parameter")
    shown = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    shown_hints = {p.name: hints[p.name] for p in shown if p.name in hints}
    # The kernel derives schemas from plain types; a pydantic model brings its own.
    models = {k: h for k, h in shown_hints.items() if callable(getattr(h, "model_json_schema", None))}
    described = _described(fn, signature.replace(parameters=params), {**shown_hints, **dict.fromkeys(models, Any)})
    try:
        definition = lluminary.tool(described, name=name, description=description)
    except lluminary.RequestValidationError as exc:
        raise ToolDefinitionError(f"tool {getattr(fn, '__name__', fn)!r}: {exc}") from None
    if models:
        properties = dict(definition.parameters["properties"])
        for key, model in models.items():
            properties[key] = {**model.model_json_schema(), **properties[key]}
        definition = attrs.evolve(definition, parameters={**definition.parameters, "properties": properties})
    return AgentTool(
        definition,
        fn,
        takes_context=takes_context,
        timeout=timeout,
        requires_approval=requires_approval,
        is_async=inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__),
        takes_extra=any(p.kind is p.VAR_KEYWORD for p in params),
        hints={p.name: hints.get(p.name) for p in shown},
    )


def _described(fn: Callable[..., Any], signature: inspect.Signature, hints: dict[str, Any]) -> Callable[..., Any]:
    """A stand-in with ``fn``'s name, docstring and signature minus the context, whose
    annotations are already resolved (so the kernel derives the schema of what the model fills)."""

    def stand_in(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover - only its signature is read
        raise TypeError(f"{stand_in.__name__} only describes a tool's schema; the agent calls the tool itself")

    stand_in.__name__ = getattr(fn, "__name__", "tool")
    stand_in.__doc__ = inspect.getdoc(fn)
    stand_in.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    stand_in.__annotations__ = hints
    return stand_in


def _is_context(hint: Any) -> bool:
    return hint is RunContext or typing.get_origin(hint) is RunContext


def _convert(hint: Any, value: Any) -> Any:
    """JSON back into the hinted type where the hint is richer than JSON (an enum, a dataclass,
    an attrs class, a pydantic model, a tuple)."""
    if hint is None or value is None or not _needs_conversion(hint):
        return value
    validate = getattr(hint, "model_validate", None)
    if callable(validate):
        try:
            return validate(value)
        except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError
            raise ArgumentError(str(exc)) from None
    try:
        return _structurer().structure(value, hint)
    except Exception as exc:  # noqa: BLE001 - cattrs raises its own error groups
        raise ArgumentError(f"cannot read {value!r} as {getattr(hint, '__name__', hint)}: {exc}") from None


def _needs_conversion(hint: Any) -> bool:
    import enum

    if isinstance(hint, type):
        return (
            issubclass(hint, enum.Enum)
            or hasattr(hint, "__attrs_attrs__")
            or hasattr(hint, "__dataclass_fields__")
            or hasattr(hint, "model_validate")
        )
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _needs_conversion(typing.get_args(hint)[0])
    return origin in (tuple, set, frozenset) or any(_needs_conversion(a) for a in typing.get_args(hint))


_converter: Any = None
_pool: Any = None
#: Sync tools of one step run at once in these threads (asyncio's default pool has as few as 5).
TOOL_THREADS = 64


def _threads() -> Any:
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(TOOL_THREADS, thread_name_prefix="lluminary-agents-tool")
    return _pool


def _structurer() -> Any:
    global _converter
    if _converter is None:
        import cattrs

        _converter = cattrs.Converter()
    return _converter
