"""Cost: price each answer from the catalogue, add it to the client's running totals, and record
it in the client's cost ledger, if it has one. Cache hits never reach this step (it sits inside
the cache step): :class:`RecordStep`, outside the cache, records them."""

from __future__ import annotations

import functools
import time
from typing import Any

import attrs

from lluminary._call import Call, EventStream, Handler, Result
from lluminary._cost_record import CostRecord, logger
from lluminary._types import Cost


class CostStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        result = await call_next(call)
        if type(result) is EventStream:
            result.on_finish(functools.partial(_settle_stream, call))
            return result
        return _settle(call, result)  # type: ignore[no-any-return]


async def _settle_stream(call: Call, response: Any) -> Any:
    return _settle(call, response)


def _settle(call: Call, response: Any) -> Any:
    request = call.request
    cost = call.client.ledger.account(request.model, response.usage)
    if cost is not None or response.provider != request.provider:
        response = _replace(response, cost=cost, provider=request.provider)
    record(call, response, cost, cached=False)
    return response


class RecordStep:
    """Record the calls a cache answered (cost 0, ``cached``), in the cost ledger."""

    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        result = await call_next(call)
        if type(result) is EventStream:
            if result.cached:
                result.on_finish(functools.partial(_record_hit, call))
            return result
        if result.cached:
            record(call, result, result.cost, cached=True)  # type: ignore[union-attr]
        return result


async def _record_hit(call: Call, response: Any) -> Any:
    record(call, response, response.cost, cached=True)
    return response


def record(call: Call, response: Any, cost: Cost | None, *, cached: bool) -> None:
    """One row in the client's cost ledger (none: nothing to do). Never raises."""
    ledger = getattr(call.client, "cost_ledger", None)
    if ledger is None:
        return
    request = call.request
    usage = response.usage
    try:
        ledger.record(
            CostRecord(
                time.time(),
                call.operation,
                request.provider,
                request.model,
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_write_tokens,
                usage.reasoning_tokens,
                None if cost is None else cost.total,
                cached,
                dict(getattr(request, "metadata", None) or {}),  # a copy: the caller's dict may change
            )
        )
    except Exception as exc:  # noqa: BLE001 - a ledger never breaks a call
        logger.warning("a call's cost could not be recorded: %s: %s", type(exc).__name__, exc)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _replace(value: Any, **changes: Any) -> Any:
    """``attrs.evolve`` for the hot path: one positional constructor call, field names cached."""
    cls = type(value)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(field.name for field in attrs.fields(cls) if field.init)
    return cls(*[changes[name] if name in changes else getattr(value, name) for name in names])
