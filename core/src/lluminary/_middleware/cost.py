"""Cost: price each answer from the catalogue and add it to the client's running totals."""

from __future__ import annotations

import functools
from typing import Any

import attrs

from lluminary._call import Call, EventStream, Handler, Result


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
    return response


_FIELDS: dict[type, tuple[str, ...]] = {}


def _replace(value: Any, **changes: Any) -> Any:
    """``attrs.evolve`` for the hot path: one positional constructor call, field names cached."""
    cls = type(value)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(field.name for field in attrs.fields(cls) if field.init)
    return cls(*[changes[name] if name in changes else getattr(value, name) for name in names])
