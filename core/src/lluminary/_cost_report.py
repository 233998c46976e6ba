"""Cost reports: ledger records grouped by model, provider, operation, day or tag, summed.

One function serves every ledger (SQLite, Redis, a plugin's): the ledger only has to return the
records of a time range, and the grouping is the same everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import attrs

from ._cost_record import CostRecord
from ._errors import RequestValidationError

__all__ = ["DIMENSIONS", "ReportRow", "check_dimension", "parse_moment", "summarize", "total"]

#: What a report can group by, besides ``tag:NAME``.
DIMENSIONS = ("model", "provider", "operation", "day")
#: The group value of a record that lacks the tag grouped by.
NO_TAG = "(none)"


@attrs.frozen
class ReportRow:
    """The sums of one group. ``cost_usd`` adds the priced calls; ``unpriced`` counts the others."""

    group: tuple[str, ...]
    calls: int = 0
    cached: int = 0
    unpriced: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0


def check_dimension(name: str) -> str:
    """``name`` if a report can group by it, else a :class:`RequestValidationError`."""
    if name in DIMENSIONS or (name.startswith("tag:") and len(name) > 4):
        return name
    raise RequestValidationError(f"cannot group costs by {name!r}: use {', '.join(DIMENSIONS)} or tag:NAME")


def _value(record: CostRecord, dimension: str) -> str:
    if dimension == "model":
        return record.model
    if dimension == "provider":
        return record.provider
    if dimension == "operation":
        return record.operation
    if dimension == "day":
        return time.strftime("%Y-%m-%d", time.gmtime(record.time))
    return record.tags.get(dimension[4:], NO_TAG)


def summarize(records: Iterable[CostRecord], by: Sequence[str]) -> list[ReportRow]:
    """One row per group of ``by`` (days oldest first, other groups by cost, highest first)."""
    dimensions = [check_dimension(name) for name in by]
    sums: dict[tuple[str, ...], list[float]] = {}
    for record in records:
        group = tuple(_value(record, dimension) for dimension in dimensions)
        found = sums.get(group)
        if found is None:
            found = sums[group] = [0, 0, 0, 0, 0, 0, 0, 0.0]
        found[0] += 1
        found[1] += record.cached
        found[2] += record.cost_usd is None
        found[3] += record.input_tokens
        found[4] += record.output_tokens
        found[5] += record.cache_read_tokens
        found[6] += record.reasoning_tokens
        found[7] += record.cost_usd or 0.0
    rows = [_row(group, [int(n) for n in found[:7]], found[7]) for group, found in sums.items()]
    if "day" in dimensions:
        day = dimensions.index("day")
        rows.sort(key=lambda row: (row.group[day], -row.cost_usd, row.group))
    else:
        rows.sort(key=lambda row: (-row.cost_usd, row.group))
    return rows


def total(rows: Iterable[ReportRow]) -> ReportRow:
    """Every row added up (its group is empty)."""
    sums = [0, 0, 0, 0, 0, 0, 0]
    cost = 0.0
    for row in rows:
        for index, name in enumerate(_COUNTS):
            sums[index] += getattr(row, name)
        cost += row.cost_usd
    return _row((), sums, cost)


def _row(group: tuple[str, ...], counts: Sequence[int], cost: float) -> ReportRow:
    return ReportRow(group, **dict(zip(_COUNTS, counts, strict=True)), cost_usd=cost)


_COUNTS = ("calls", "cached", "unpriced", "input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens")


def parse_moment(text: str, *, end: bool = False) -> float:
    """Seconds since the epoch of ``2026-12-03`` (a UTC day: its start, or with ``end`` the start
    of the next day, so ``--until`` a day includes it) or of an ISO date and time (UTC unless it
    says otherwise)."""
    import datetime

    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            moment = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)
            if end:
                moment += datetime.timedelta(days=1)
        else:
            moment = datetime.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
    except ValueError:
        raise RequestValidationError(
            f"{text!r} is not a date (2026-12-03) or an ISO date and time (2026-12-03T14:00)"
        ) from None
    return moment.timestamp()
