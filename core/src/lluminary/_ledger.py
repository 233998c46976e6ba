"""A client's money: what it spent, what calls in flight hold reserved, and its budget (with
its alert thresholds, see :meth:`Ledger.crossed`).

With a budget, a call is admitted only if its worst-case estimate still fits (see
:meth:`Ledger.reserve`); when it ends, the reservation is released and its real cost stays. The
totals are plain counters under a lock: the sync API's loop and the caller's may settle at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ._budgets import DEFAULT_ALERTS
from ._cost import Catalogue, compute_cost, estimate_tokens
from ._errors import BudgetExceededError, UnpricedModelError
from ._types import ChatRequest, Cost, EmbedRequest, Usage

__all__ = ["DEFAULT_RESERVED_OUTPUT", "Ledger"]

#: Output tokens reserved against a budget when neither ``max_tokens`` nor the catalogue says more.
DEFAULT_RESERVED_OUTPUT = 4_096


class Ledger:
    """Totals and the budget of one client. ``catalogue`` returns the current price catalogue."""

    def __init__(
        self,
        budget: float | None,
        catalogue: Callable[[], Catalogue],
        *,
        allow_unpriced: bool = False,
        reserve_output_tokens: int = DEFAULT_RESERVED_OUTPUT,
        alerts: tuple[float, ...] = DEFAULT_ALERTS,
    ) -> None:
        self.budget = budget
        self.alerts = alerts
        self._alerted: set[float] = set()
        self._refused = False
        self.allow_unpriced = allow_unpriced
        self.reserve_output_tokens = reserve_output_tokens
        self.calls = 0
        self._catalogue = catalogue
        self._reserved = 0.0
        self._lock = threading.Lock()
        self._tokens = [0, 0, 0, 0, 0]  # the running Usage, as plain counters (no object per call)
        self._spent = [0.0, 0.0, 0.0, 0.0]  # the running Cost, likewise

    def account(self, model: str, usage: Usage) -> Cost | None:
        """Add a finished call to the running totals; returns its cost when the price is known."""
        cost = compute_cost(usage, self._catalogue().get(model))
        with self._lock:
            self._add(usage, cost)
        return cost

    def _add(self, usage: Usage, cost: Cost | None) -> None:
        tokens = self._tokens
        tokens[0] += usage.input_tokens
        tokens[1] += usage.output_tokens
        tokens[2] += usage.cache_read_tokens
        tokens[3] += usage.cache_write_tokens
        tokens[4] += usage.reasoning_tokens
        if cost is not None:
            spent = self._spent
            spent[0] += cost.input
            spent[1] += cost.output
            spent[2] += cost.cache_read
            spent[3] += cost.cache_write
        self.calls += 1

    @property
    def usage(self) -> Usage:
        """Tokens used by every call this client finished."""
        tokens = self._tokens
        return Usage(tokens[0], tokens[1], tokens[2], tokens[3], tokens[4])

    @property
    def cost(self) -> Cost:
        """What this client spent, in US dollars (calls whose model has a price)."""
        return Cost(*self._spent)

    def estimate(self, request: ChatRequest | EmbedRequest) -> float:
        """A call's worst-case cost: the offline estimate of its input, plus ``max_tokens`` or the
        model's output limit or ``reserve_output_tokens``, at the catalogue price. Raises
        :class:`UnpricedModelError` when the model has no price (0.0 with ``allow_unpriced``)."""
        info = self._catalogue().get(request.model)
        if info is None or info.input_price is None:
            if self.allow_unpriced:
                return 0.0
            raise UnpricedModelError(request.model)
        if isinstance(request, EmbedRequest):
            return compute_cost(Usage(estimate_tokens(request)), info).total  # type: ignore[union-attr]
        output = request.max_tokens or info.max_output_tokens or self.reserve_output_tokens
        return compute_cost(Usage(estimate_tokens(request), output), info).total  # type: ignore[union-attr]

    def reserve(self, request: ChatRequest | EmbedRequest) -> float:
        """Admit a call against the budget: reserve its :meth:`estimate` and return the amount,
        or raise :class:`BudgetExceededError` when it would not fit, and
        :class:`UnpricedModelError` when the model has no price (unless ``allow_unpriced``)."""
        budget = self.budget
        if budget is None:
            return 0.0
        estimate = self.estimate(request)
        with self._lock:
            spent = sum(self._spent)
            if spent + self._reserved + estimate > budget or spent >= budget:
                self._refused = True
                raise BudgetExceededError(spent, budget, reserved=self._reserved, estimate=estimate)
            self._reserved += estimate
        return estimate

    def crossed(self) -> list[tuple[float, float]]:
        """``(threshold, spent)`` for each alert threshold of the budget passed since the last
        look (a refusal counts as reaching 100%); each is returned once in the client's life."""
        budget = self.budget
        if not budget or len(self._alerted) == len(self.alerts):
            return []
        with self._lock:
            spent = sum(self._spent)
            level = max(spent, budget) if self._refused else spent
            self._refused = False
            found = [t for t in self.alerts if t not in self._alerted and level >= t * budget]
            self._alerted.update(found)
        return [(threshold, spent) for threshold in found]

    def release(self, reserved: float) -> None:
        """End a reservation (the call's real cost, if any, was accounted already)."""
        if reserved:
            with self._lock:
                self._reserved = max(self._reserved - reserved, 0.0)

    @property
    def reserved(self) -> float:
        """Dollars reserved by calls in flight."""
        return self._reserved
