"""Budgets and rate limits of virtual keys, on the kernel's shared counters.

Before a call is forwarded, one atomic :meth:`CounterStore.reserve` adds, for the key: one
request to its requests-per-minute window, the call's estimated tokens to its tokens-per-minute
window, and its estimated worst-case cost to its budget for the current period (and to its
all-time spend). If any would pass its limit, nothing is added and the call is refused with 429
before the upstream is contacted. When the call ends, :meth:`CounterStore.settle` replaces the
estimates with the real tokens and cost; a call that failed before any answer gives everything
back but the request. With Redis as the store, every gateway process counts in the same
counters, so the limits hold across all of them.

Alerts: a key's budget alerts at its thresholds (by default 50, 80 and 100%) as the kernel's
budgets do, through the kernel's :class:`AlertGate`: after settling, the level is the total the
reservation saw with this call's estimate replaced by its cost (no extra round trip), and a
refusal counts as reaching 100%. Each threshold is sent once per period across every process on
the same counters. Alerts name the key by its name and id, never by the key.

The bound: the estimate is the input (about four characters a token) plus ``max_tokens`` (or
the model's output limit), so an admitted call can cost more than it reserved only by what the
input estimate missed. The spend can pass the budget by at most that, summed over the calls in
flight when it is reached; the request rate never passes its limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from lluminary import ChatRequest, ModelInfo, Usage
from lluminary.sdk import (
    DEFAULT_BUDGET_ALERTS,
    AlertGate,
    Charge,
    CounterStore,
    CounterUnavailableError,
    Reservation,
    period_id,
    period_ttl,
)

from .errors import GatewayError, bad_request
from .keys import VirtualKey

WINDOW = 60.0
DEFAULT_OUTPUT_TOKENS = 4096
CHARS_PER_TOKEN = 4


def key_period(key: VirtualKey, now: float | None = None) -> tuple[str, float | None]:
    """The id of the budget period of ``key`` that ``now`` lies in (the kernel's ids: UTC
    ``2026-05-04T13``, ``2026-05-04``, ``2026-W19``, ``2026-05``, ``total``) and how long its
    counter lives."""
    period: Any = key.budget_period  # checked when the key was made
    return period_id(period, now), period_ttl(period, now)


def budget_key(key: VirtualKey, now: float | None = None) -> str:
    return f"gateway:usd:{key.id}:{key_period(key, now)[0]}"


def alert_scope(key: VirtualKey) -> str:
    """The scope a key's budget alerts carry (and their flags count under): its id, never the key."""
    return f"gateway:key:{key.id}"


def alert_label(key: VirtualKey) -> str:
    return f"{key.name} (key {key.id})" if key.name else f"key {key.id}"


def spent_key(key: VirtualKey) -> str:
    return f"gateway:spent:{key.id}"


@attrs.define
class Admission:
    """What a call holds while it runs."""

    reservation: Reservation | None
    key: VirtualKey
    budget_key: str | None = None
    tpm_key: str | None = None
    #: the budget's place among the reservation's charges, its estimate, period and ttl
    budget_index: int | None = None
    estimate: float = 0.0
    period: str = "total"
    ttl: float | None = None


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
    entry of a ``provider:model`` (None when unpriced). ``alerts``: where budget alerts go (its
    counters should be ``counters``); None sends none. ``thresholds``: a key's alert thresholds
    when it has none of its own."""

    def __init__(
        self,
        counters: CounterStore,
        price_of: Callable[[str], ModelInfo | None],
        *,
        fail_open: bool = False,
        alerts: AlertGate | None = None,
        thresholds: Sequence[float] = DEFAULT_BUDGET_ALERTS,
    ) -> None:
        self.counters = counters
        self.price_of = price_of
        self.fail_open = fail_open
        self.alerts = alerts
        self.thresholds = tuple(thresholds)

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
            admission.period, admission.ttl = key_period(key)
            admission.budget_key = f"gateway:usd:{key.id}:{admission.period}"
            admission.budget_index, admission.estimate = len(charges), cost
            charges.append(Charge(admission.budget_key, cost, limit=key.budget, ttl=admission.ttl))
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
            if admission.budget_index is not None and reservation.refused is charges[admission.budget_index]:
                total = reservation.totals[admission.budget_index]
                await self._alert(admission, max(total, key.budget or 0.0), total)
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
        if not await self._finish(reservation, actual):
            return
        index = admission.budget_index
        if index is not None and self._pending(admission):
            # The total the reservation saw, with this call's estimate replaced by its cost, as
            # the kernel's budgets do: spend settled by others since is seen by the next call.
            level = reservation.totals[index] - admission.estimate + (cost or 0.0)
            await self._alert(admission, level, level)

    async def release(self, admission: Admission) -> None:
        """The call failed before any answer: give back all but the request itself."""
        reservation = admission.reservation
        if reservation is None:
            return
        actual = {charge.key: 0.0 for charge in reservation.charges if not charge.key.startswith("gateway:rpm:")}
        await self._finish(reservation, actual)

    async def _finish(self, reservation: Reservation, actual: Mapping[str, float]) -> bool:
        try:
            await self.counters.settle(reservation, actual)
        except CounterUnavailableError:
            return False  # the reservation stays counted: an outage never lets spend go uncounted
        return True

    def _thresholds(self, key: VirtualKey) -> tuple[float, ...]:
        return self.thresholds if key.budget_alerts is None else key.budget_alerts

    def _pending(self, admission: Admission) -> bool:
        key = admission.key
        return self.alerts is not None and self.alerts.pending(
            alert_scope(key), admission.period, key.budget or 0.0, self._thresholds(key)
        )

    async def _alert(self, admission: Admission, level: float, spent: float) -> None:
        key = admission.key
        if self.alerts is None or key.budget is None:
            return
        await self.alerts.crossed(
            label=alert_label(key),
            scope=alert_scope(key),
            period=admission.period,
            limit=key.budget,
            thresholds=self._thresholds(key),
            level=level,
            spent=spent,
            ttl=admission.ttl,
        )

    async def spend(self, key: VirtualKey) -> dict[str, Any]:
        period = await self.counters.get(budget_key(key)) if key.budget is not None else None
        return {
            "total": await self.counters.get(spent_key(key)),
            "period": period,
            "period_id": key_period(key)[0],
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
