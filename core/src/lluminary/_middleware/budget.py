"""Budget: admit a call only if its reserved estimate still fits, and settle after.

Before the call, the client reserves a worst-case estimate (the prompt's tokens, estimated
offline, plus ``max_tokens`` or the model's output limit, at the catalogue price); the call is
refused if spent + reserved + estimate would pass the budget. When the call ends the
reservation is released and the real cost (added by the cost step) stays. So concurrent callers
can never overspend by more than their estimates were wrong.

Two steps: :class:`BudgetStep` for the client's own ``budget=`` (plain counters in this
process), :class:`ScopedBudgetStep` for ``budgets=[Budget(...)]`` counted in a counter store that
many processes may share (see :mod:`lluminary._budget_book`). Both alert through the client's
:class:`~lluminary._alerts.Alerts` when a threshold is passed.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Coroutine
from typing import Any

from lluminary._budgets import BudgetAlert
from lluminary._call import Call, EventStream, Handler, Result
from lluminary._errors import BudgetExceededError

#: Releases scheduled by streams that ended early (a task must be referenced until it is done).
_background: set[asyncio.Task[Any]] = set()


class BudgetStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        client = call.client
        try:
            reserved = client.ledger.reserve(call.request)
        except BudgetExceededError:
            await _alert_client(client)
            raise
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
        await _alert_client(client)
        return result


async def _release_after(client: Any, reserved: float, response: Any) -> Any:
    client.ledger.release(reserved)
    await _alert_client(client)
    return response


async def _alert_client(client: Any) -> None:
    """Alerts for the client's own budget: its life is the period, ``client`` the scope."""
    ledger = client.ledger
    for threshold, spent in ledger.crossed():
        alert = BudgetAlert("client", "client", "total", threshold, spent, ledger.budget)
        await client.alerts.send(alert)


class ScopedBudgetStep:
    """Reserve in every scoped budget that applies to the call's tags; settle with its cost."""

    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        client = call.client
        book = client.budget_book()
        request = call.request
        hold = await book.reserve(getattr(request, "metadata", None) or {}, lambda: client.ledger.estimate(request))
        if hold is None:
            return await call_next(call)
        try:
            result = await call_next(call)
        except BaseException:
            await book.release(hold)
            raise
        if type(result) is EventStream:
            result.on_finish(functools.partial(_settle_after, book, hold))
            result.on_abort(lambda _error: _in_background(book.release(hold)))
            return result
        await book.settle(hold, _cost_of(result))
        return result


async def _settle_after(book: Any, hold: Any, response: Any) -> Any:
    await book.settle(hold, _cost_of(response))
    return response


def _cost_of(response: Any) -> float:
    cost = response.cost
    return cost.total if cost is not None else 0.0


def _in_background(work: Coroutine[Any, Any, None]) -> None:
    try:
        task = asyncio.get_running_loop().create_task(work)
    except RuntimeError:  # no loop left (a stream collected at exit): nothing can run it
        work.close()
        return
    _background.add(task)
    task.add_done_callback(_background.discard)
