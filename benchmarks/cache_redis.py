"""The Redis cache, side by side in one run: a hit through lluminary-redis against a bare
``redis.asyncio`` GET of the same bytes, on one real redis-server over loopback.

* ``bare GET``: ``await redis.get(key)`` on a plain ``redis.asyncio.Redis``: the floor of any
  Redis cache (one round trip).
* ``bare GET + decode``: the same plus ``load_cache_value`` (the SDK's decoding): what any Redis
  cache of lluminary values must do at least.
* ``RedisCache.get``: our backend: the same round trip and decoding, plus the circuit breaker,
  the connection gate and the per-operation timeout.
* ``Client.agenerate, Redis hit``: a whole call answered from Redis (request building, cache
  key, the kernel's cache step, the backend).
* ``Client.agenerate, memory hit``: the same call answered from the in-process cache.
* ``counters.reserve``: one atomic reservation (EVALSHA) on the counter store, beside a bare
  ``INCRBY``.

Each row: warm-up calls, then rounds in which every row times one batch of sequential calls in
turn (so drift on a busy machine hits every row alike); the median per-call time of its batches.
Needs ``redis-server`` on the PATH and lluminary-redis + lluminary-testing installed (``make dev``).
Run ``python benchmarks/cache_redis.py`` (``--repeats N``, ``--calls N``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Any

MODEL = "scripted:bench"


async def _time_interleaved(
    rows: dict[str, Callable[[], Awaitable[Any]]], calls: int, repeats: int, warmup: int
) -> dict[str, float]:
    """Median over ``repeats`` rounds of the microseconds per ``await fn()`` of each row; every
    round times one batch of each row in turn, so drift on a busy machine hits every row alike."""
    for fn in rows.values():
        for _ in range(warmup):
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(repeats):
        for name, fn in rows.items():
            gc.collect()
            start = time.perf_counter_ns()
            for _ in range(calls):
                await fn()
            samples[name].append((time.perf_counter_ns() - start) / calls / 1000.0)
    return {name: statistics.median(values) for name, values in samples.items()}


async def measure(url: str, host: str, port: int, calls: int, repeats: int) -> dict[str, float]:
    import redis.asyncio as redis_asyncio

    import lluminary
    from lluminary.sdk import Charge, ScriptedProvider, build_chat_request, cache_key, load_cache_value
    from lluminary_redis.cache import RedisCache
    from lluminary_redis.config import parse_url

    provider = ScriptedProvider("scripted")
    lluminary.register(provider, name="scripted-bench-redis")
    bare = redis_asyncio.Redis(host=host, port=port)
    backend = RedisCache(parse_url(f"{url}?namespace=bench"))
    client = lluminary.Client(cache=f"{url}?namespace=bench", retries=1, deadline=None)
    memory = lluminary.Client(cache="memory://bench-redis", retries=1, deadline=None)
    counters = client.open_counters(f"{url}?namespace=bench")
    try:
        prompt = "How many roads must a man walk down?"
        await client.agenerate(MODEL, prompt)  # a miss: fills Redis
        await memory.agenerate(MODEL, prompt)
        assert (await client.agenerate(MODEL, prompt)).cached
        key = cache_key(build_chat_request(MODEL, prompt))
        name = f"bench:cache:{key}"
        data = await bare.get(name)
        assert data is not None, "the entry is not where the backend should have put it"
        assert await backend.get(key) is not None
        calls_before = len(provider.requests)

        async def bare_get_decode() -> Any:
            return load_cache_value(await bare.get(name))

        out = await _time_interleaved(
            {
                "bare_get": lambda: bare.get(name),
                "bare_get_decode": bare_get_decode,
                "backend_get": lambda: backend.get(key),
                "client_hit": lambda: client.agenerate(MODEL, prompt),
                "memory_hit": lambda: memory.agenerate(MODEL, prompt),
                "bare_incrby": lambda: bare.incrby("bench:plain", 1),
                "reserve": lambda: counters.reserve(Charge("reserve", 0.001, limit=1e9)),
            },
            calls,
            repeats,
            200,
        )
        out["entry_bytes"] = float(len(data))
        assert len(provider.requests) == calls_before, "a cache hit reached the provider"
        return out
    finally:
        await client.aclose()
        await memory.aclose()
        await backend.close()
        await bare.aclose()
        lluminary.unregister(provider)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=31, help="rounds, one batch per row each (default 31)")
    parser.add_argument("--calls", type=int, default=300, help="calls per batch (default 300)")
    args = parser.parse_args(argv)

    from lluminary_testing.redis import RedisServer, find_redis_server

    if find_redis_server() is None:
        print("redis-server is not installed (apt-get install redis-server)", file=sys.stderr)
        return 2
    with RedisServer() as server:
        info = f"redis-py {version('redis')} · lluminary-redis {version('lluminary-redis')}"
        print(f"Redis cache benchmark · Python {platform.python_version()} · {info} · {platform.machine()} · medians")
        figures = asyncio.run(measure(server.url, server.host, server.port or 0, args.calls, max(args.repeats, 5)))

    w = 58
    print(f"\nhit latency, one redis-server over loopback ({figures['entry_bytes']:.0f}-byte entry)")
    print(f"{'':<{w}}{'µs':>9}{'ratio':>12}")
    rows = [
        ("bare redis.asyncio GET", figures["bare_get"]),
        ("bare GET + load_cache_value", figures["bare_get_decode"]),
        ("RedisCache.get (lluminary-redis)", figures["backend_get"]),
        ('Client(cache="redis://...").agenerate, a hit', figures["client_hit"]),
        ('Client(cache="memory://").agenerate, a hit (for context)', figures["memory_hit"]),
    ]
    for label, value in rows:
        print(f"  {label:<{w - 2}}{value:>9.1f}{value / figures['bare_get']:>12.2f}")
    over = figures["backend_get"] - figures["bare_get_decode"]
    print(f"  {'backend overhead over GET + decode':<{w - 2}}{over:>9.1f}")
    print(f"\ncounters{'':<{w - 8}}{'µs':>9}{'ratio':>12}")
    for label, value in (
        ("bare INCRBY", figures["bare_incrby"]),
        ("RedisCounters.reserve (EVALSHA, check and add)", figures["reserve"]),
    ):
        print(f"  {label:<{w - 2}}{value:>9.1f}{value / figures['bare_incrby']:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
