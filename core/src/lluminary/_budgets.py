"""Budgets with a scope and a period, counted in a :class:`~lluminary._counters.CounterStore`.

A :class:`Budget` says how many dollars may be spent, on which calls (its scope: every call,
calls with some tags, one budget per value of a tag, or a named scope such as a gateway's
``key:<hash>``) and over which period (a UTC hour, day, ISO week or month, or for ever). Its spend is
one counter per scope and period, ``usd:<scope>:<period>``, so every client and process that
counts in the same store shares it; the period is in the key, so a new day starts from zero and
the old counter expires on its own.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._errors import ConfigurationError

__all__ = ["DEFAULT_ALERTS", "Budget", "BudgetAlert", "Period", "alert_thresholds", "period_id", "period_ttl"]

Period = Literal["hour", "day", "week", "month", "total"]
PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "total")
#: Fractions of a limit at which a budget alerts, once each per period.
DEFAULT_ALERTS = (0.5, 0.8, 1.0)
#: How long a period's counter outlives its end (a late settlement still finds it): a day, or
#: an hour for an hour's counter (one a day would keep 24 stale counters per budget).
_GRACE = 86_400.0
_HOUR_GRACE = 3_600.0


def _limit(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigurationError(f"a budget's limit_usd must be a finite number of dollars >= 0, not {value!r}")


def _period(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in PERIODS:
        raise ConfigurationError(f"a budget's period must be one of {', '.join(PERIODS)} or None, not {value!r}")


def _scope(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, str):
        if not value or any(c.isspace() for c in value):
            raise ConfigurationError(f"a budget's scope name must be a non-empty string without spaces, not {value!r}")
        return
    if not isinstance(value, Mapping) or not value:
        raise ConfigurationError(f"a budget's scope must be a name, a mapping of tags or None, not {value!r}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str) or not key:
            raise ConfigurationError(f"a budget's scope must map tag names to strings, not {key!r}: {item!r}")


def alert_thresholds(value: object) -> tuple[float, ...]:
    """``value`` checked as alert thresholds (fractions of a limit above 0), sorted, without
    repeats; :class:`ConfigurationError` otherwise. Anything that takes thresholds from a user
    (a config file, an admin API) checks them here, as :class:`Budget` does."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ConfigurationError(
            f"a budget's alerts must be fractions of its limit, e.g. (0.5, 0.8, 1.0), not {value!r}"
        )
    fractions = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item) or item <= 0:
            raise ConfigurationError(f"an alert threshold is a fraction of the limit > 0 (0.8 for 80%), not {item!r}")
        fractions.append(float(item))
    return tuple(sorted(set(fractions)))


def _per(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(f"a budget's per must be a tag name, not {value!r}")


@attrs.frozen
class Budget:
    """``limit_usd`` dollars per ``period`` (``"hour"``, ``"day"``, ``"week"``, ``"month"``, in
    UTC; None or ``"total"``: never resets) for the calls of its scope:

    * ``scope=None``: every call of the client;
    * ``scope={"team": "search"}``: calls whose ``metadata`` has all these tags;
    * ``scope="key:ab12"``: a named scope for every call of the client (a gateway makes one
      client or budget per virtual key); names are shared by every process on the same counters.

    ``per="user"``: one budget of ``limit_usd`` for each value of the ``user`` tag (calls without
    the tag are not counted). ``alerts``: fractions of the limit that alert once each per period.
    ``hard``: refuse a call that would not fit (``BudgetExceededError``); False only alerts.
    ``name``: how alerts and errors call it (default: its scope).
    """

    limit_usd: float = attrs.field(validator=_limit)
    period: Period | None = attrs.field(default=None, kw_only=True, validator=_period)
    scope: str | Mapping[str, str] | None = attrs.field(default=None, kw_only=True, validator=_scope)
    per: str | None = attrs.field(default=None, kw_only=True, validator=_per)
    alerts: tuple[float, ...] = attrs.field(default=DEFAULT_ALERTS, kw_only=True, converter=alert_thresholds)
    hard: bool = attrs.field(default=True, kw_only=True)
    name: str | None = attrs.field(default=None, kw_only=True)

    def scope_key(self, tags: Mapping[str, str]) -> str | None:
        """The counter scope of a call with ``tags``, or None when this budget does not apply."""
        scope = self.scope
        if isinstance(scope, str):
            key = scope
        elif scope is None:
            key = "all"
        else:
            for tag, value in scope.items():
                if tags.get(tag) != value:
                    return None
            key = "tags:" + ",".join(f"{tag}={value}" for tag, value in sorted(scope.items()))
        if self.per is not None:
            found = tags.get(self.per)
            if found is None:
                return None
            key = f"{key}/{self.per}={found}"
        return key

    def label(self, scope_key: str) -> str:
        """What alerts and errors call this budget for ``scope_key``."""
        if not self.name:
            return scope_key
        return self.name if self.per is None else f"{self.name} ({scope_key})"


@attrs.frozen
class BudgetAlert:
    """A budget passed ``threshold`` (a fraction of its limit) in ``period``; sent once per
    budget, period and threshold to callbacks, the log and the webhook."""

    name: str
    scope: str
    period: str
    threshold: float
    spent_usd: float
    limit_usd: float

    def to_dict(self) -> dict[str, Any]:
        """The webhook's JSON body."""
        return {
            "event": "budget.threshold",
            "name": self.name,
            "scope": self.scope,
            "period": self.period,
            "threshold": self.threshold,
            "spent_usd": self.spent_usd,
            "limit_usd": self.limit_usd,
        }


def period_id(period: Period | None, now: float | None = None) -> str:
    """``2026-12-03T17``, ``2026-12-03``, ``2026-W49`` or ``2026-12`` (UTC), or ``total`` for
    no period (None or ``"total"``)."""
    if period is None or period == "total":
        return "total"
    moment = time.time() if now is None else now
    if period == "hour":
        return time.strftime("%Y-%m-%dT%H", time.gmtime(moment))
    return _period_bounds(_checked(period), _day(moment))[0]


def period_ttl(period: Period | None, now: float | None = None) -> float | None:
    """Seconds a period's counter lives: to the end of the period, plus a day of grace (an hour
    for an hour); None (for ever) for no period."""
    if period is None or period == "total":
        return None
    moment = time.time() if now is None else now
    if period == "hour":
        return (math.floor(moment / 3_600.0) + 1) * 3_600.0 - moment + _HOUR_GRACE
    return _period_bounds(_checked(period), _day(moment))[1] - moment + _GRACE


def _checked(period: str) -> Period:
    if period not in PERIODS:
        raise ConfigurationError(f"a budget period is one of {', '.join(PERIODS)} or None, not {period!r}")
    return period  # type: ignore[return-value]


def _day(moment: float) -> int:
    """Days since the epoch (UTC) of ``moment``."""
    return int(moment // 86_400)


@functools.lru_cache(maxsize=64)
def _period_bounds(period: Period, day: int) -> tuple[str, float]:
    """The id of the period holding ``day`` and when it ends (seconds since the epoch): worked
    out once a day per period, not on every call."""
    import datetime

    date = datetime.date(1970, 1, 1) + datetime.timedelta(days=day)
    if period == "day":
        name, end = date.isoformat(), date + datetime.timedelta(days=1)
    elif period == "week":
        year, week, weekday = date.isocalendar()
        name, end = f"{year}-W{week:02d}", date + datetime.timedelta(days=8 - weekday)
    else:
        name, end = f"{date.year}-{date.month:02d}", (date.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return name, (end - datetime.date(1970, 1, 1)).days * 86_400.0
