"""Budgets and rate limits of virtual keys, on the kernel's shared counters.

Before a call is forwarded, one atomic :meth:`CounterStore.reserve` adds, for the key: one
request to its requests-per-minute window, the call's estimated tokens to its tokens-per-minute
window, and its estimated worst-case cost to its budget for the current period (and to its
all-time spend). If any would pass its limit, nothing is added and the call is refused with 429
before the upstream is contacted. When the call ends, :meth:`CounterStore.settle` replaces the
estimates with the real tokens and cost; a call that failed before any answer gives everything
back but the request. With Redis as the store, every gateway process counts in the same
counters, so the limits hold across all of them.

The bound: the estimate is the input (about four characters a token) plus ``max_tokens`` (or
the model's output limit), so an admitted call can cost more than it reserved only by what the
input estimate missed. The spend can pass the budget by at most that, summed over the calls in
flight when it is reached; the request rate never passes its limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from lluminary import ChatRequest, ModelInfo, Usage
from lluminary.sdk import Charge, CounterStore, CounterUnavailableError, Reservation

from .errors import GatewayError, bad_request
from .keys import VirtualKey

WINDOW = 60.0
#: seconds a period's budget counter outlives the period's start (a month is at most 31 days)
PERIOD_SECONDS = {"hour": 3600.0, "day": 86400.0, "month": 32 * 86400.0}
DEFAULT_OUTPUT_TOKENS = 4096
CHARS_PER_TOKEN = 4


def period_of(period: str, now: float | None = None) -> str:
    """The id of the budget period ``now`` lies in (UTC): ``2026-05``, ``2026-05-04``, ..."""
    if period == "total":
        return "total"
    stamp = time.gmtime(time.time() if now is None else now)
    formats = {"hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d", "month": "%Y-%m"}
    return time.strftime(formats[period], stamp)


def budget_key(key: VirtualKey, now: float | None = None) -> str:
    return f"gateway:usd:{key.id}:{period_of(key.budget_period, now)}"


def spent_key(key: VirtualKey) -> str:
    return f"gateway:spent:{key.id}"


@attrs.define
class Admission:
    """What a call holds while it runs."""

    reservation: Reservation | None
    key: VirtualKey
    budget_key: str | None = None
    tpm_key: str | None = None


def estimate_input_tokens(request: ChatRequest) -> int:
    chars = len(request.system or "")
    for message in request.messages:
        for part in message.content:
            chars += len(getattr(part, "text", "") or getattr(part, "content", "") or "")
            arguments = getattr(part, "arguments", None)
            if arguments:
                chars += len(str(arguments))
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description) + len(str(tool.parameters))
    return chars // CHARS_PER_TOKEN + 1


class Limiter:
    """Admits, settles and releases calls of virtual keys. ``price_of`` returns the catalogue
    entry of a ``provider:model`` (None when unpriced)."""

    def __init__(
        self, counters: CounterStore, price_of: Callable[[str], ModelInfo | None], *, fail_open: bool = False
    ) -> None:
        self.counters = counters
        self.price_of = price_of
        self.fail_open = fail_open

    def estimate(self, models: list[str], input_tokens: int, output_tokens: int | None) -> tuple[int, float | None]:
        """(tokens, US dollars) a call may use at worst over the deployments it may reach; the
        cost is None when one of them has no price."""
        worst_tokens = 0
        worst_cost: float | None = 0.0
        for model in models:
            info = self.price_of(model)
            output = output_tokens
            if output is None:
                output = info.max_output_tokens if info and info.max_output_tokens else DEFAULT_OUTPUT_TOKENS
            worst_tokens = max(worst_tokens, input_tokens + output)
            if info is None or info.input_price is None or info.output_price is None:
                worst_cost = None
            elif worst_cost is not None:
                worst_cost = max(worst_cost, (input_tokens * info.input_price + output * info.output_price) / 1e6)
        return worst_tokens, worst_cost

    async def admit(
        self, key: VirtualKey, models: list[str], input_tokens: int, output_tokens: int | None
    ) -> Admission:
        """Reserve a call of ``key`` that may reach ``models``; ``output_tokens`` None: the model's
        output limit. Raises a 429 :class:`GatewayError` when a limit would be passed."""
        tokens, cost = self.estimate(models, input_tokens, output_tokens)
        charges: list[Charge] = []
        admission = Admission(None, key)
        if key.rpm is not None:
            charges.append(Charge(f"gateway:rpm:{key.id}", 1, limit=key.rpm, window=WINDOW))
        if key.tpm is not None:
            admission.tpm_key = f"gateway:tpm:{key.id}"
            charges.append(Charge(admission.tpm_key, tokens, limit=key.tpm, window=WINDOW))
        if key.budget is not None:
            if cost is None:
                raise bad_request(
                    f"the key {key.prefix}… has a budget, and a model it may reach has no price: add it to prices:",
                    code="unpriced_model",
                )
            admission.budget_key = budget_key(key)
            ttl = PERIOD_SECONDS.get(key.budget_period)
            charges.append(Charge(admission.budget_key, cost, limit=key.budget, ttl=ttl))
        charges.append(Charge(spent_key(key), cost or 0.0))
        try:
            reservation = await self.counters.reserve(*charges)
        except CounterUnavailableError:
            if self.fail_open:
                return admission
            raise GatewayError(
                503, "the rate-limit store is unavailable", type="server_error", code="limits_unavailable"
            ) from None
        if not reservation.granted:
            raise _refusal(reservation)
        admission.reservation = reservation
        return admission

    async def settle(self, admission: Admission, usage: Usage, cost: float | None) -> None:
        reservation = admission.reservation
        if reservation is None:
            return
        actual: dict[str, float] = {spent_key(admission.key): cost or 0.0}
        if admission.budget_key is not None:
            actual[admission.budget_key] = cost or 0.0
        if admission.tpm_key is not None:
            actual[admission.tpm_key] = usage.total_tokens
        await self._finish(reservation, actual)

    async def release(self, admission: Admission) -> None:
        """The call failed before any answer: give back all but the request itself."""
        reservation = admission.reservation
        if reservation is None:
            return
        actual = {charge.key: 0.0 for charge in reservation.charges if not charge.key.startswith("gateway:rpm:")}
        await self._finish(reservation, actual)

    async def _finish(self, reservation: Reservation, actual: Mapping[str, float]) -> None:
        try:
            await self.counters.settle(reservation, actual)
        except CounterUnavailableError:
            pass  # the reservation stays counted: an outage never lets spend go uncounted

    async def spend(self, key: VirtualKey) -> dict[str, Any]:
        period = await self.counters.get(budget_key(key)) if key.budget is not None else None
        return {
            "total": await self.counters.get(spent_key(key)),
            "period": period,
            "period_id": period_of(key.budget_period),
            "budget": key.budget,
        }


def _refusal(reservation: Reservation) -> GatewayError:
    refused = reservation.refused
    name = refused.key if refused is not None else ""
    if name.startswith("gateway:rpm:"):
        what, code = "requests per minute", "rate_limit_exceeded"
    elif name.startswith("gateway:tpm:"):
        what, code = "tokens per minute", "rate_limit_exceeded"
    else:
        what, code = "budget", "budget_exceeded"
    error_type = "insufficient_quota" if code == "budget_exceeded" else "rate_limit_error"
    return GatewayError(
        429, f"this key's {what} limit is reached", type=error_type, code=code, retry_after=reservation.retry_after
    )
