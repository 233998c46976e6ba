"""Scoped budgets on a counter store: reserve before a call, settle after, alert once.

Before a call, :meth:`BudgetBook.reserve` adds the call's worst-case estimate to the counter of
every budget that applies, in one atomic :meth:`CounterStore.reserve
<lluminary._counters.CounterStore.reserve>`: a hard budget refuses when its total would pass its
limit, and then nothing is added anywhere. After the call, :meth:`BudgetBook.settle` replaces
the estimates with the real cost (a cache hit costs 0). Every process reserving in the same
store therefore sees the others' calls in flight, and the spend of a budget passes its limit only
by what the estimates of the calls admitted got wrong.

Alerts: after settling, a budget whose total passed one of its thresholds (the total its
reservation saw, this call's estimate replaced by its cost, so no extra round trip) claims that threshold
with a counter of limit 1 (``alert:<scope>:<period>:<threshold>``), a set-if-absent that the
counter contract already offers, so exactly one process in all sends each alert per period.
A refusal counts as reaching 100%. That claim-and-send is :class:`AlertGate`, public so that
anything counting a budget its own way (the gateway's virtual keys, counted in the same atomic
reservation as their rate limits) alerts exactly as a book does.

The gateway (or anything that is not a client) uses a book directly:
``await book.reserve(tags, estimate, extra=[Budget(10, period="month", scope="key:ab12")])``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import attrs

from ._alerts import Alerts
from ._budgets import Budget, BudgetAlert, period_id, period_ttl
from ._counters import Charge, CounterStore, CounterUnavailableError, Reservation
from ._errors import BudgetExceededError

__all__ = ["AlertGate", "BudgetBook", "Hold"]

logger = logging.getLogger("lluminary.budget")
_MAX_REMEMBERED = 10_000


@attrs.define(eq=False)
class _Counted:
    budget: Budget
    scope: str
    period: str
    key: str
    ttl: float | None


class AlertGate:
    """Sends each alert threshold of a budget once per period, across every process that counts
    in ``counters``: the first to claim the flag counter ``alert:<scope>:<period>:<threshold>``
    (limit 1, a set-if-absent) sends it through ``alerts``; the others skip it. What this process
    already claimed or saw claimed is remembered (up to ``remember`` thresholds), so a budget
    whose alerts are all sent costs no round trip."""

    def __init__(
        self, counters: CounterStore, alerts: Alerts | None = None, *, remember: int = _MAX_REMEMBERED
    ) -> None:
        self.counters = counters
        self.alerts = alerts or Alerts()
        self.remember = remember
        self._fired: set[tuple[str, str, float]] = set()

    def __repr__(self) -> str:
        return f"<AlertGate counters={self.counters!r} alerts={self.alerts!r}>"

    def pending(self, scope: str, period: str, limit: float, thresholds: Sequence[float]) -> bool:
        """Whether a threshold of this budget and period may still be unsent (as far as this
        process knows: another one may have sent it, which the flag in the store tells)."""
        return limit > 0 and any((scope, period, t) not in self._fired for t in thresholds)

    async def crossed(
        self,
        *,
        label: str,
        scope: str,
        period: str,
        limit: float,
        thresholds: Sequence[float],
        level: float,
        spent: float | None = None,
        ttl: float | None = None,
    ) -> list[BudgetAlert]:
        """The budget ``label`` (counted as ``scope`` in ``period``, whose flags live ``ttl``
        seconds) reached ``level`` dollars of ``limit``: send every threshold (a fraction of the
        limit) it passed that no process sent yet, lowest first; ``spent`` is what the alerts
        report (default ``level``). A refusal is ``level=max(total, limit)``. Returns the alerts
        this call sent."""
        sent: list[BudgetAlert] = []
        if limit <= 0:
            return sent
        for threshold in sorted(thresholds):
            remembered = (scope, period, threshold)
            if level < threshold * limit or remembered in self._fired:
                continue
            if len(self._fired) >= self.remember:
                self._fired.clear()  # the flags in the store still say what was sent
            self._fired.add(remembered)
            flag = Charge(f"alert:{scope}:{period}:{threshold:g}", 1, limit=1, ttl=ttl)
            try:
                claimed = await self.counters.reserve(flag)
            except CounterUnavailableError as exc:
                logger.warning("budget alert not sent (the counter store is unavailable): %s", exc)
                continue
            if claimed.granted:
                alert = BudgetAlert(label, scope, period, threshold, level if spent is None else spent, limit)
                await self.alerts.send(alert)
                sent.append(alert)
        return sent


@attrs.define(eq=False)
class Hold:
    """What a call holds against its budgets until it is settled or released."""

    reservation: Reservation
    counted: tuple[_Counted, ...]
    estimate: float


class BudgetBook:
    """``budgets`` counted in ``counters`` (any :class:`CounterStore`), alerting through
    ``alerts``. ``fail_open``: when the store cannot be reached, let calls through uncounted
    (logged) instead of raising :class:`CounterUnavailableError`."""

    def __init__(
        self,
        budgets: Sequence[Budget],
        counters: CounterStore,
        alerts: Alerts | None = None,
        *,
        fail_open: bool = False,
    ) -> None:
        self.budgets = tuple(budgets)
        self.counters = counters
        self.alerts = alerts or Alerts()
        self.fail_open = fail_open
        self.gate = AlertGate(counters, self.alerts)

    def __repr__(self) -> str:
        return f"<BudgetBook budgets={len(self.budgets)} counters={self.counters!r}>"

    def applicable(
        self, tags: Mapping[str, str], extra: Sequence[Budget] = (), now: float | None = None
    ) -> list[_Counted]:
        """The counters a call with ``tags`` is counted in."""
        found = (_counted(budget, tags, now) for budget in (*self.budgets, *extra))
        return [counted for counted in found if counted is not None]

    async def reserve(
        self, tags: Mapping[str, str], estimate: float | Callable[[], float], *, extra: Sequence[Budget] = ()
    ) -> Hold | None:
        """Reserve ``estimate`` dollars (or what it returns: asked only when a budget applies) in
        every budget that applies to ``tags``; None when none applies (or the store is down and
        ``fail_open``). Raises :class:`BudgetExceededError` when a hard budget has no room."""
        counted = self.applicable(tags, extra)
        if not counted:
            return None
        if callable(estimate):
            estimate = estimate()
        charges = tuple(
            Charge(c.key, estimate, limit=c.budget.limit_usd if c.budget.hard else None, ttl=c.ttl) for c in counted
        )
        try:
            reservation = await self.counters.reserve(*charges)
        except CounterUnavailableError as exc:
            if not self.fail_open:
                raise
            logger.warning("budgets not counted for this call: %s", exc)
            return None
        if not reservation.granted:
            refused = reservation.refused
            index = next(i for i, charge in enumerate(charges) if charge is refused)
            which = counted[index]
            total = reservation.totals[index]
            await self._alert(which, max(total, which.budget.limit_usd), total)
            raise BudgetExceededError(
                total, which.budget.limit_usd, estimate=estimate, scope=which.budget.label(which.scope)
            )
        return Hold(reservation, tuple(counted), estimate)

    async def settle(self, hold: Hold | None, cost: float) -> None:
        """The call cost ``cost`` dollars: correct every counter, then alert on what it passed."""
        if hold is None:
            return
        try:
            await self.counters.settle(hold.reservation, {c.key: cost for c in hold.counted})
        except CounterUnavailableError as exc:
            logger.warning("a call's cost of $%.6f could not be settled in its budgets: %s", cost, exc)
            return
        for index, counted in enumerate(hold.counted):
            if self._pending(counted):
                # The total the reservation saw, with this call's estimate replaced by its cost:
                # no extra round trip. Spend settled by others after this call was admitted is
                # seen by the next call that settles.
                level = hold.reservation.totals[index] - hold.estimate + cost
                await self._alert(counted, level, level)

    async def release(self, hold: Hold | None) -> None:
        """The call failed: give its estimate back."""
        if hold is None:
            return
        try:
            await self.counters.release(hold.reservation)
        except CounterUnavailableError as exc:
            logger.warning("a failed call's reservation could not be released: %s", exc)

    async def spent(self, budget: Budget, tags: Mapping[str, str] | None = None, *, now: float | None = None) -> float:
        """What ``budget`` holds in its current period for calls with ``tags`` (settled costs plus
        calls in flight), or 0.0 when it does not apply to them: an admin API's "read spend"."""
        counted = _counted(budget, tags or {}, now)
        return 0.0 if counted is None else await self.counters.get(counted.key)

    def _pending(self, counted: _Counted) -> bool:
        return self.gate.pending(counted.scope, counted.period, counted.budget.limit_usd, counted.budget.alerts)

    async def _alert(self, counted: _Counted, level: float, spent: float) -> None:
        budget = counted.budget
        await self.gate.crossed(
            label=budget.label(counted.scope),
            scope=counted.scope,
            period=counted.period,
            limit=budget.limit_usd,
            thresholds=budget.alerts,
            level=level,
            spent=spent,
            ttl=counted.ttl,
        )


def _counted(budget: Budget, tags: Mapping[str, str], now: float | None) -> _Counted | None:
    scope = budget.scope_key(tags)
    if scope is None:
        return None
    period = period_id(budget.period, now)
    return _Counted(budget, scope, period, f"usd:{scope}:{period}", period_ttl(budget.period, now))
