"""Budget: refuse a call once the client has spent what it may."""

from __future__ import annotations

from lluminary._call import Call, Handler, Result


class BudgetStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        call.client.check_budget()
        return await call_next(call)
