"""Budgets with a scope and a period, counted in a :class:`~lluminary._counters.CounterStore`.

A :class:`Budget` says how many dollars may be spent, on which calls (its scope: every call,
calls with some tags, one budget per value of a tag, or a named scope such as a gateway's
``key:<hash>``) and over which period (a UTC day, ISO week or month, or for ever). Its spend is
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

__all__ = ["DEFAULT_ALERTS", "Budget", "BudgetAlert", "Period", "period_id", "period_ttl"]

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")
#: Fractions of a limit at which a budget alerts, once each per period.
DEFAULT_ALERTS = (0.5, 0.8, 1.0)
#: How long a period's counter outlives its end (a late settlement still finds it).
_GRACE = 86_400.0


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


def _alerts(value: object) -> tuple[float, ...]:
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
    """``limit_usd`` dollars per ``period`` (``"day"``, ``"week"``, ``"month"``, in UTC; None:
    never resets) for the calls of its scope:

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
    alerts: tuple[float, ...] = attrs.field(default=DEFAULT_ALERTS, kw_only=True, converter=_alerts)
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
    """``2026-12-03``, ``2026-W49`` or ``2026-12`` (UTC), or ``total`` for no period."""
    if period is None:
        return "total"
    return _period_bounds(period, _day(time.time() if now is None else now))[0]


def period_ttl(period: Period | None, now: float | None = None) -> float | None:
    """Seconds a period's counter lives: to the end of the period, plus a day of grace."""
    if period is None:
        return None
    moment = time.time() if now is None else now
    return _period_bounds(period, _day(moment))[1] - moment + _GRACE


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
