"""What the Redis counter store does beyond the standard suite: the keys it writes, scripts the
server forgot (NOSCRIPT), the server's clock for windows, and an outage."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as redis_asyncio

from lluminary import Client
from lluminary.sdk import COUNTER_SCALE, Charge, CounterUnavailableError
from lluminary_redis.counters import RedisCounters
from lluminary_testing.redis import RedisServer

pytestmark = pytest.mark.integration

FAST = "backoff=0.1&max_backoff=0.2&timeout=0.3&connect_timeout=0.3"


@pytest_asyncio.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    client = redis_asyncio.Redis(host=redis_server.host, port=redis_server.port or 0)
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def counters(redis_server: RedisServer) -> AsyncIterator[RedisCounters]:
    async with Client(cache=False, exporters=[]) as client:
        store = client.open_counters(f"{redis_server.url}?namespace=budgets&{FAST}")
        assert isinstance(store, RedisCounters)
        yield store


async def test_counters_are_integers_under_the_namespace(counters: RedisCounters, raw: redis_asyncio.Redis) -> None:
    await counters.add("usd:team-a:2026-05", 0.1, ttl=30)
    await counters.add("usd:team-a:2026-05", 0.2)
    assert await raw.get("budgets:counter:usd:team-a:2026-05") == str(3 * COUNTER_SCALE // 10).encode()
    assert 29_000 < await raw.pttl("budgets:counter:usd:team-a:2026-05") <= 30_000
    await counters.add("rpm:key-1", 1, window=60)
    windows = await raw.hgetall("budgets:counter:rpm:key-1")
    assert list(windows.values()) == [str(COUNTER_SCALE).encode()]
    (slot,) = windows
    server_seconds, micros = await raw.time()
    assert int(slot) == (server_seconds * 1000 + micros // 1000) // 60_000, "windows follow the server's clock"
    assert 60_000 < await raw.pttl("budgets:counter:rpm:key-1") <= 120_000


async def test_scripts_the_server_forgot_are_sent_again(counters: RedisCounters, raw: redis_asyncio.Redis) -> None:
    assert await counters.reserve(Charge("k", 1, limit=5))
    await raw.script_flush()
    assert await counters.reserve(Charge("k", 1, limit=5))
    assert await counters.get("k", window=None) == 2
    await raw.script_flush()
    assert await counters.get("w", window=10) == 0.0
    reservation = await counters.reserve(Charge("k", 1))
    await raw.script_flush()
    await counters.settle(reservation, {"k": 3})
    assert await counters.get("k") == 5


async def test_old_windows_are_dropped(counters: RedisCounters, raw: redis_asyncio.Redis) -> None:
    """Windows more than one behind the current one are deleted when a counter is written."""
    key = "budgets:counter:tpm"
    await raw.hset(key, mapping={"1": 5, "2": 5, "3": 5})
    await counters.add("tpm", 1, window=0.05)
    assert len(await raw.hkeys(key)) == 1


async def test_an_outage_fails_fast_and_is_logged_once(
    redis_server: RedisServer, counters: RedisCounters, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lluminary_redis")
    await counters.add("k", 1)
    redis_server.stop()
    for _ in range(3):
        with pytest.raises(CounterUnavailableError, match="unavailable"):
            await counters.reserve(Charge("k", 1, limit=10))
    started = time.perf_counter()
    for _ in range(50):
        with pytest.raises(CounterUnavailableError):
            await counters.get("k")
    assert time.perf_counter() - started < 0.1, "calls waited on a Redis known to be down"
    redis_server.start()
    await asyncio.sleep(0.25)
    assert await counters.add("k", 1) == 1  # a fresh server: no persistence
    levels = [r.levelname for r in caplog.records if r.name == "lluminary_redis"]
    assert levels == ["WARNING", "INFO"]


async def test_a_type_clash_with_a_foreign_key_is_a_value_error(
    counters: RedisCounters, raw: redis_asyncio.Redis
) -> None:
    await raw.lpush("budgets:counter:list", "x")
    with pytest.raises(ValueError, match="'list'"):
        await counters.add("list", 1)
    with pytest.raises(ValueError, match="'list'"):
        await counters.get("list")
