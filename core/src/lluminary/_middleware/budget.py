"""Budget: admit a call only if its reserved estimate still fits, and settle after.

Before the call, the client reserves a worst-case estimate (the prompt's tokens, estimated
offline, plus ``max_tokens`` or the model's output limit, at the catalogue price); the call is
refused if spent + reserved + estimate would pass the budget. When the call ends the
reservation is released and the real cost (added by the cost step) stays. So concurrent callers
can never overspend by more than their estimates were wrong.
"""

from __future__ import annotations

import functools
from typing import Any

from lluminary._call import Call, EventStream, Handler, Result


class BudgetStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        client = call.client
        reserved = client.ledger.reserve(call.request)
        try:
            result = await call_next(call)
        except BaseException:
            client.ledger.release(reserved)
            raise
        if type(result) is EventStream:
            result.on_finish(functools.partial(_release_after, client, reserved))
            result.on_abort(lambda _error: client.ledger.release(reserved))
            return result
        client.ledger.release(reserved)
        return result


async def _release_after(client: Any, reserved: float, response: Any) -> Any:
    client.ledger.release(reserved)
    return response
