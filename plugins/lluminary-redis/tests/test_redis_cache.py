"""What the Redis cache backend does beyond the standard suite: where entries live, what clear
spares, unreadable entries, lazy connections, TLS, event loops, and an outage seen up close."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import redis.asyncio as redis_asyncio

from lluminary.sdk import ChatResponse, Message, TextPart, Usage, dump_cache_value, load_cache_value
from lluminary_redis.cache import RedisCache, glob_escape
from lluminary_redis.config import parse_url
from lluminary_redis.counters import RedisCounters
from lluminary_redis.errors import RedisUnavailableError
from lluminary_testing.redis import RedisServer, redis_server_for_test

pytestmark = pytest.mark.integration

FAST = "backoff=0.1&max_backoff=0.2&timeout=0.3&connect_timeout=0.3"


def answer(text: str = "hi") -> ChatResponse:
    return ChatResponse(Message("assistant", (TextPart(text),)), "stop", "stop", Usage(3, 1), model="m")


@pytest_asyncio.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    """A plain redis-py client on the test's server, to look behind the backend's back."""
    client = redis_asyncio.Redis(host=redis_server.host, port=redis_server.port or 0)
    yield client
    await client.aclose()


def backend(server: RedisServer, query: str = "namespace=app") -> RedisCache:
    return RedisCache(parse_url(f"{server.url}?{query}"))


async def connected_clients(raw: redis_asyncio.Redis) -> int:
    info = await raw.info("clients")
    return int(info["connected_clients"])


async def test_entries_live_under_the_namespace_in_the_sdk_encoding(
    redis_server: RedisServer, raw: redis_asyncio.Redis
) -> None:
    cache = backend(redis_server)
    await cache.set("lluminary:v2:abc", answer(), ttl=30)
    await cache.set("lluminary:v2:forever", answer())
    stored = await raw.get("app:cache:lluminary:v2:abc")
    assert stored == dump_cache_value(answer())
    assert load_cache_value(stored) == answer()
    assert 29_000 < await raw.pttl("app:cache:lluminary:v2:abc") <= 30_000
    assert await raw.pttl("app:cache:lluminary:v2:forever") == -1
    await cache.set("lluminary:v2:gone", answer(), ttl=0)
    assert await raw.exists("app:cache:lluminary:v2:gone") == 0, "a ttl of 0 stores nothing"
    await cache.close()


async def test_clear_deletes_its_own_entries_only(redis_server: RedisServer, raw: redis_asyncio.Redis) -> None:
    mine, other, starred = (
        backend(redis_server),
        backend(redis_server, "namespace=other"),
        backend(redis_server, "namespace=a*"),
    )
    counters = RedisCounters(parse_url(f"{redis_server.url}?namespace=app"))
    for i in range(1234):  # more than one SCAN page and one UNLINK batch
        await mine.set(f"k{i}", answer())
    await other.set("k0", answer())
    await starred.set("k0", answer())
    await counters.add("budget", 5)
    await raw.set("unrelated", b"keep me")
    await mine.clear()
    assert await mine.get("k0") is None
    assert await raw.keys("app:cache:*") == []
    assert await other.get("k0") == answer()
    assert await counters.get("budget") == 5
    assert await raw.get("unrelated") == b"keep me"
    await starred.clear()  # a namespace with glob characters matches itself only
    assert await starred.get("k0") is None
    assert glob_escape("a*b?[c]\\") == "a\\*b\\?\\[c\\]\\\\"
    for closable in (mine, other, starred, counters):
        await closable.close()


async def test_an_unreadable_entry_is_a_miss_then_overwritten(
    redis_server: RedisServer, raw: redis_asyncio.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    cache = backend(redis_server)
    await raw.set("app:cache:broken", b"\x80 not json")
    with caplog.at_level(logging.WARNING, logger="lluminary_redis"):
        assert await cache.get("broken") is None
    assert "cannot be read" in caplog.text
    await cache.set("broken", answer("fixed"))
    assert await cache.get("broken") == answer("fixed")
    await cache.close()


async def test_connections_open_on_first_use_and_close_with_the_backend(
    redis_server: RedisServer, raw: redis_asyncio.Redis
) -> None:
    await raw.ping()
    baseline = await connected_clients(raw)
    cache = backend(redis_server)
    assert await connected_clients(raw) == baseline
    await asyncio.gather(*(cache.set(f"k{i}", answer()) for i in range(20)))
    assert await connected_clients(raw) > baseline
    await cache.close()
    await asyncio.sleep(0.05)
    assert await connected_clients(raw) == baseline
    await cache.close()


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the connections of loops closed under them
def test_each_event_loop_gets_a_pool_of_its_own(redis_server: RedisServer) -> None:
    """Loops that closed without closing the backend leave their pools behind: forgotten (the
    garbage collector closes their sockets) when another loop opens one."""
    cache = backend(redis_server)
    asyncio.run(cache.set("k", answer("from loop 1")))
    assert asyncio.run(cache.get("k")) == answer("from loop 1")  # a new loop: the old pool's loop is gone
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(asyncio.run(cache.get("k"))))
    thread.start()
    thread.join()
    assert results == [answer("from loop 1")]
    for _ in range(5):
        asyncio.run(cache.get("k"))
    assert len(cache._link._clients) <= 2, "the pools of closed loops are forgotten"
    asyncio.run(cache.close())
    gc.collect()


async def test_an_outage_up_close(redis_server: RedisServer) -> None:
    """Down: the first failure raises (the kernel warns once), the rest are quiet misses and
    dropped writes, without waiting; clear raises; back: entries are stored again."""
    cache = backend(redis_server, f"namespace=app&{FAST}")
    await cache.set("k", answer())
    redis_server.stop()
    with pytest.raises(RedisUnavailableError) as first:
        await cache.get("k")
    assert first.value.first
    assert not cache.available
    assert await cache.get("k") is None
    await cache.set("k2", answer())
    with pytest.raises(RedisUnavailableError):
        await cache.clear()
    redis_server.start()
    await asyncio.sleep(0.15)
    assert await cache.get("k") is None  # the probe: Redis is back, empty (no persistence)
    assert cache.available
    await cache.set("k", answer("again"))
    assert await cache.get("k") == answer("again")
    await cache.close()


@pytest.fixture
def tls_server() -> Iterator[RedisServer]:
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("the TLS test makes its certificate with the openssl tool")
    yield from redis_server_for_test(tls=True)


async def test_rediss_with_the_servers_certificate(tls_server: RedisServer) -> None:
    trusted = RedisCache(parse_url(f"{tls_server.url}?ssl_ca_certs={tls_server.ca_file}&namespace=tls"))
    await trusted.set("k", answer("over TLS"))
    assert await trusted.get("k") == answer("over TLS")
    await trusted.close()
    untrusted = RedisCache(parse_url(f"{tls_server.url}?namespace=tls&{FAST}"))
    with pytest.raises(RedisUnavailableError, match=r"certificate|SSL|ssl"):
        await untrusted.get("k")
    assert await untrusted.get("k") is None
    await untrusted.close()
