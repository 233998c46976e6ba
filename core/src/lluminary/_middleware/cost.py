"""Cost: price each answer from the catalogue and add it to the client's running totals."""

from __future__ import annotations

import functools
from typing import Any

import attrs

from lluminary._call import Call, Handler, Result, then


class CostStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        result = await call_next(call)
        return await then(result, functools.partial(_settle, call))


async def _settle(call: Call, response: Any) -> Any:
    request = call.request
    cost = call.client.account(request.model, response.usage)
    if cost is not None or response.provider != request.provider:
        response = attrs.evolve(response, cost=cost, provider=request.provider)
    return response
