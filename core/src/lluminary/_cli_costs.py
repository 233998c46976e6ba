"""``lluminary costs``: what calls cost, from a cost ledger, grouped by model, provider,
operation, day or tag, as a table, CSV or JSON."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ._cost_record import CostRecord
    from ._cost_report import ReportRow

__all__ = ["costs_command"]

_NUMBERS = ("calls", "cached", "unpriced", "input_tokens", "output_tokens", "cost_usd")


@click.command("costs")
@click.option(
    "--ledger",
    "url",
    metavar="URL",
    help="The cost ledger (sqlite:///path, redis://...); default LLUMINARY_COST_LEDGER.",
)
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="GROUP",
    help="Group by model (default), provider, operation, day or tag:NAME; repeat to group by several.",
)
@click.option("--since", metavar="DATE", help="From this UTC day (2026-12-01) or ISO time on.")
@click.option("--until", metavar="DATE", help="Up to this UTC day (included) or ISO time (excluded).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True, help="Output."
)
def costs_command(url: str | None, by: Sequence[str], since: str | None, until: str | None, fmt: str) -> None:
    """Report what calls cost, from the cost ledger clients record in
    (Client(cost_ledger=URL) or LLUMINARY_COST_LEDGER).

    Costs are US dollars; cache hits count as calls that cost nothing, and calls to models
    without a price are counted under UNPRICED.
    """
    from ._cost_report import check_dimension, parse_moment, summarize, total

    url = url or os.environ.get("LLUMINARY_COST_LEDGER")
    if not url:
        raise click.UsageError("no cost ledger: give --ledger URL or set LLUMINARY_COST_LEDGER")
    dimensions = [check_dimension(name) for name in (by or ("model",))]
    start = parse_moment(since) if since else None
    end = parse_moment(until, end=True) if until else None
    if start is not None and end is not None and end <= start:
        raise click.UsageError("--until is not after --since")
    _check_exists(url)
    rows = summarize(asyncio.run(_read(url, start, end)), dimensions)
    if fmt == "json":
        click.echo(json.dumps([_row_dict(dimensions, row) for row in rows], indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*dimensions, *_NUMBERS])
        for row in rows:
            writer.writerow([*row.group, *(_plain(getattr(row, name)) for name in _NUMBERS)])
    elif not rows:
        click.echo("no calls recorded in that time", err=True)
    else:
        _table(dimensions, rows, total(rows))


def _check_exists(url: str) -> None:
    """A report never creates a ledger: a mistyped path is an error, not an empty report."""
    from ._cost_ledger import sqlite_path
    from ._errors import ConfigurationError

    if url.startswith("sqlite://") and not os.path.exists(os.path.expanduser(sqlite_path(url))):
        raise ConfigurationError(f"no cost ledger at {sqlite_path(url)!r} (nothing was recorded there yet)")


async def _read(url: str, since: float | None, until: float | None) -> Sequence[CostRecord]:
    from ._cost_ledger import open_cost_ledger
    from ._plugins import plugin_manager

    ledger = open_cost_ledger(url, plugin_manager())
    try:
        return await ledger.records(since=since, until=until)
    finally:
        await ledger.close()


def _row_dict(dimensions: Sequence[str], row: ReportRow) -> dict[str, Any]:
    return {**dict(zip(dimensions, row.group, strict=True)), **{name: getattr(row, name) for name in _NUMBERS}}


def _plain(value: object) -> str:
    return f"{value:.6f}" if isinstance(value, float) else str(value)


def _table(dimensions: Sequence[str], rows: Sequence[ReportRow], summed: ReportRow) -> None:
    from ._cli import _echo_table

    headers = [name.upper() for name in dimensions] + ["CALLS", "CACHED", "UNPRICED", "INPUT", "OUTPUT", "COST (USD)"]

    def cells(group: Sequence[str], row: ReportRow) -> list[str]:
        numbers = (row.calls, row.cached, row.unpriced, row.input_tokens, row.output_tokens)
        return [*group, *(f"{n:,}" for n in numbers), f"${row.cost_usd:,.6f}"]

    lines = [cells(row.group, row) for row in rows]
    lines.append(cells(["TOTAL", *[""] * (len(dimensions) - 1)], summed))
    _echo_table(headers, lines, right=range(len(dimensions), len(headers)))
