"""The hooks: ``redis://``, ``rediss://`` and ``unix://`` URLs open a Redis cache backend, counter
store or cost ledger. Deciding is synchronous and cheap (the URL is checked, nothing connects);
redis-py is imported when the first connection opens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lluminary.sdk import hookimpl

if TYPE_CHECKING:
    from .cache import RedisCache
    from .costs import RedisCostLedger
    from .counters import RedisCounters

SCHEMES = ("redis://", "rediss://", "unix://")


class RedisPlugin:
    """Serves cache backends, counter stores and cost ledgers for Redis URLs."""

    @hookimpl
    def lluminary_cache(self, url: str) -> RedisCache | None:
        if not url.startswith(SCHEMES):
            return None
        from .cache import RedisCache
        from .config import parse_url

        return RedisCache(parse_url(url))

    @hookimpl
    def lluminary_counters(self, url: str) -> RedisCounters | None:
        if not url.startswith(SCHEMES):
            return None
        from .config import parse_url
        from .counters import RedisCounters

        return RedisCounters(parse_url(url))

    @hookimpl
    def lluminary_cost_ledger(self, url: str) -> RedisCostLedger | None:
        if not url.startswith(SCHEMES):
            return None
        from .config import parse_url
        from .costs import RedisCostLedger

        return RedisCostLedger(parse_url(url))
