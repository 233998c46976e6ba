"""The Redis cache backend: entries under ``{namespace}:cache:{key}``, written with the SDK's cache
encoding (never pickle), with their lifetime in milliseconds (``SET ... PX``).

When Redis is down or slow, the first failed call raises (the kernel turns that into the one
``CacheWarning`` of the outage and answers uncached); until Redis answers a probe again, reads
are misses and writes are dropped, at once and silently; then caching resumes.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from lluminary.sdk import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, dump_cache_value, load_cache_value

from .config import RedisConfig
from .errors import RedisUnavailableError
from .link import Link

if TYPE_CHECKING:
    from redis.asyncio import Redis

CacheRequest = ChatRequest | EmbedRequest
CacheValue = ChatResponse | EmbedResponse

LOG = logging.getLogger("lluminary_redis")
#: Keys deleted per UNLINK while clearing.
CLEAR_BATCH = 500


def glob_escape(text: str) -> str:
    """``text`` as a literal in a Redis MATCH pattern."""
    return "".join("\\" + ch if ch in "\\*?[]" else ch for ch in text)


class RedisCache:
    """A ``lluminary.sdk.CacheBackend`` on Redis: ``redis://host:6379/0?namespace=app&ttl=3600``."""

    def __init__(self, config: RedisConfig) -> None:
        self.config = config
        self.prefix = f"{config.namespace}:cache:"
        self._link = Link(config, f"Redis cache at {config.display}")

    def __repr__(self) -> str:
        return f"<RedisCache {self.config.display} namespace={self.config.namespace!r}>"

    @property
    def available(self) -> bool:
        """False while an outage is going on (Redis is skipped)."""
        return not self._link.breaker.down

    async def get(self, key: str, *, request: CacheRequest | None = None) -> CacheValue | None:
        name = self.prefix + key
        try:
            data = await self._link.run(lambda redis: redis.get(name))
        except RedisUnavailableError as exc:
            if exc.first:
                raise
            return None
        if data is None:
            return None
        try:
            return load_cache_value(data)
        except Exception as exc:  # noqa: BLE001 - an unreadable entry is a miss, and gets overwritten
            LOG.warning("the Redis cache entry %s cannot be read (%s): treated as a miss", name, type(exc).__name__)
            return None

    async def set(
        self, key: str, value: CacheValue, *, request: CacheRequest | None = None, ttl: float | None = None
    ) -> None:
        ttl = self.config.ttl if ttl is None else ttl
        if ttl is not None and ttl <= 0:
            return  # it would be expired already
        milliseconds = max(1, math.ceil(ttl * 1000)) if ttl is not None else None
        name, data = self.prefix + key, dump_cache_value(value)
        try:
            await self._link.run(lambda redis: redis.set(name, data, px=milliseconds))
        except RedisUnavailableError as exc:
            if exc.first:
                raise

    async def clear(self) -> None:
        """Delete this namespace's entries (``SCAN`` + ``UNLINK`` in batches; never ``FLUSHDB``),
        and nothing else: counters and other namespaces stay. Tried even during an outage, and
        raises if Redis cannot be reached."""
        pattern = glob_escape(self.prefix) + "*"

        async def unlink_all(redis: Redis) -> None:
            batch: list[bytes] = []
            async for name in redis.scan_iter(match=pattern, count=1000):
                batch.append(name)
                if len(batch) >= CLEAR_BATCH:
                    await redis.unlink(*batch)
                    batch = []
            if batch:
                await redis.unlink(*batch)

        await self._link.run(unlink_all, always=True)

    async def stats(self) -> dict[str, object]:
        """What ``lluminary cache stats`` shows: this namespace's entries (counted with ``SCAN``)
        and the bytes Redis holds for them (``MEMORY USAGE`` of each)."""
        pattern = glob_escape(self.prefix) + "*"

        async def measure(redis: Redis) -> tuple[int, int]:
            entries = size = 0
            async for name in redis.scan_iter(match=pattern, count=1000):
                entries += 1
                size += int(await redis.memory_usage(name) or 0)
            return entries, size

        entries, size = await self._link.run(measure, always=True)
        return {"namespace": self.config.namespace, "entries": entries, "bytes": size, "ttl": self.config.ttl}

    async def close(self) -> None:
        await self._link.close()
