"""``lluminary cache stats URL`` and ``lluminary cache clear URL``: look into a cache backend, or
empty it, from the shell (the same URLs as ``Client(cache=...)``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import click

__all__ = ["cache_group"]


@click.group("cache")
def cache_group() -> None:
    """Inspect or empty a cache backend (memory://, sqlite://, redis://, ...)."""


@cache_group.command("stats")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as a JSON object.")
def stats_command(url: str, as_json: bool) -> None:
    """Print what the cache at URL holds (entries, size, settings), as its backend reports it."""
    figures = asyncio.run(_with_backend(url, _stats))
    if as_json:
        click.echo(json.dumps(figures, sort_keys=True))
        return
    width = max((len(name) for name in figures), default=0)
    for name, value in figures.items():
        click.echo(f"{name.ljust(width)}  {value}")


@cache_group.command("clear")
@click.argument("url")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def clear_command(url: str, yes: bool) -> None:
    """Delete every entry of the cache at URL (a Redis cache: only its namespace)."""
    shown = _shown(url)
    if not yes:
        click.confirm(f"Delete every entry of {shown}?", abort=True)
    asyncio.run(_with_backend(url, _clear))
    click.echo(f"cleared {shown}")


async def _with_backend(url: str, work: Any) -> Any:
    from ._client import Client

    client = Client(cache=False, exporters=[])
    try:
        return await work(client.open_cache(url))
    finally:
        await client.aclose()


async def _stats(backend: Any) -> Mapping[str, Any]:
    stats = getattr(backend, "stats", None)
    if stats is None:
        raise click.ClickException(f"{type(backend).__name__} reports no statistics (it has no stats())")
    figures: Mapping[str, Any] = await stats()
    return {"backend": type(backend).__name__, **figures}


async def _clear(backend: Any) -> None:
    await backend.clear()


def _shown(url: str) -> str:
    from ._client import _without_password

    return _without_password(url)
