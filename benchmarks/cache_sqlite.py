"""What the ``sqlite://`` cache costs, side by side in one run, as ratios.

* Hit latency (one ``get`` of a stored ~1 KB chat answer, awaited on the event loop): the kernel's
  ``MemoryCache``, a bare ``sqlite3`` SELECT run in a thread (``asyncio.to_thread``, one connection
  per thread: the floor of any SQLite cache that does not block the loop), the same plus decoding
  the value (the floor of the same work), and ``SQLiteCache.get``. Then a whole cache hit through
  ``Client.agenerate`` with ``memory://`` and with ``sqlite://``.
  ``SQLiteCache.get`` is also timed 100 at a time (``asyncio.gather``), as a busy server calls it.
* Set throughput (sets per second of distinct keys): ``MemoryCache``, a bare encode + upsert in a
  thread (autocommit, the same WAL and ``synchronous=NORMAL`` settings), ``SQLiteCache.set`` one
  after the other, and 100 at a time (``asyncio.gather``).

Run it with ``python benchmarks/cache_sqlite.py`` (``--repeats N``). The file is a temporary one
on the local disk; every figure is a median of batches.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Any

MODEL = "scripted:bench"


def _answer() -> Any:
    from lluminary.sdk import ChatResponse, Message, TextPart, Usage

    text = "The sky is blue because air scatters short wavelengths of sunlight more than long ones. " * 10
    return ChatResponse(
        Message("assistant", (TextPart(text),)),
        "stop",
        "stop",
        Usage(120, 210, cache_read_tokens=100),
        model="bench-model",
        provider="scripted",
        id="resp_bench",
    )


async def _per_op_us(fn: Callable[[], Awaitable[Any]], calls: int, repeats: int) -> float:
    """Median over ``repeats`` batches of microseconds per ``await fn()``."""
    return (await _interleaved({"one": fn}, calls, repeats))["one"]


async def _interleaved(
    contenders: dict[str, Callable[[], Awaitable[Any]]], calls: int, repeats: int
) -> dict[str, float]:
    """Microseconds per ``await fn()`` for each contender: batches taken in turn, so that drift
    on a busy machine hits every row alike; the median batch of each."""
    for fn in contenders.values():
        for _ in range(max(calls // 5, 50)):
            await fn()
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            gc.collect()
            start = time.perf_counter_ns()
            for _ in range(calls):
                await fn()
            results[name].append((time.perf_counter_ns() - start) / calls / 1000)
    return {name: statistics.median(values) for name, values in results.items()}


async def _throughput(fn: Callable[[int], Awaitable[Any]], calls: int, repeats: int, *, batch: int = 1) -> float:
    """Median over ``repeats`` runs of operations per second, ``batch`` in flight at a time."""
    results = []
    counter = 0
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        for _ in range(calls // batch):
            await asyncio.gather(*(fn(counter + i) for i in range(batch)))
            counter += batch
        results.append(calls / (time.perf_counter() - start))
    return statistics.median(results)


class BareSQLite:
    """The floor: plain sqlite3 in ``asyncio.to_thread``, one connection per worker thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=5, check_same_thread=False)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def _get(self, key: str) -> bytes | None:
        row = self._connection().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def _get_decoded(self, key: str) -> Any:
        from lluminary.sdk import load_cache_value

        data = self._get(key)
        return None if data is None else load_cache_value(data)

    def _set(self, key: str, value: Any) -> None:
        from lluminary.sdk import dump_cache_value

        self._connection().execute(
            "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, dump_cache_value(value))
        )

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def get_decoded(self, key: str) -> Any:
        return await asyncio.to_thread(self._get_decoded, key)

    async def set(self, key: str, value: Any) -> None:
        await asyncio.to_thread(self._set, key, value)

    def close(self) -> None:
        for connection in self._all:
            connection.close()


async def measure(directory: str, repeats: int) -> dict[str, float]:
    import lluminary
    from lluminary import MemoryCache
    from lluminary.sdk import ScriptedProvider
    from lluminary_sqlite import SQLiteCache

    answer = _answer()
    key = "lluminary:v2:" + "ab" * 32
    out: dict[str, float] = {}

    memory = MemoryCache(max_entries=1_000_000)
    sqlite_cache = SQLiteCache.from_url(f"sqlite://{directory}/backend.db")
    bare = BareSQLite(f"{directory}/bare.db")
    try:
        await memory.set(key, answer)
        await sqlite_cache.set(key, answer)
        await bare.set(key, answer)

        # ---- hit latency, backend level
        out["hit_memory"] = await _per_op_us(lambda: memory.get(key), 5_000, repeats)
        hits = await _interleaved(
            {
                "hit_bare": lambda: bare.get(key),
                "hit_bare_decoded": lambda: bare.get_decoded(key),
                "hit_sqlite": lambda: sqlite_cache.get(key),
            },
            1_000,
            repeats * 2,
        )
        out.update(hits)

        async def sqlite_get(_: int) -> None:
            await sqlite_cache.get(key)

        out["hits_sqlite_gather"] = await _throughput(sqlite_get, 2_000, repeats, batch=100)

        # ---- set throughput, distinct keys
        async def memory_set(i: int) -> None:
            await memory.set(f"m{i}", answer)

        async def bare_set(i: int) -> None:
            await bare.set(f"b{i}", answer)

        async def sqlite_set(i: int) -> None:
            await sqlite_cache.set(f"s{i}", answer)

        out["set_memory"] = await _throughput(memory_set, 5_000, repeats)
        out["set_bare"] = await _throughput(bare_set, 1_000, repeats)
        out["set_sqlite"] = await _throughput(sqlite_set, 1_000, repeats)
        out["set_sqlite_gather"] = await _throughput(sqlite_set, 1_000, repeats, batch=100)
    finally:
        await sqlite_cache.close()
        bare.close()

    # ---- a whole cache hit through the client
    provider = ScriptedProvider("scripted")
    lluminary.register(provider, name="scripted-cache-bench")
    try:
        prompt = "Why is the sky blue?"
        for name, url in (("memory", "memory://cache-bench"), ("sqlite", f"sqlite://{directory}/client.db")):
            async with lluminary.Client(cache=url, retries=1, deadline=None) as client:
                await client.agenerate(MODEL, prompt)
                assert (await client.agenerate(MODEL, prompt)).cached
                calls = len(provider.requests)
                hit = functools.partial(client.agenerate, MODEL, prompt)
                out[f"client_{name}"] = await _per_op_us(hit, 2_000, repeats)
                assert len(provider.requests) == calls, "a hit reached the provider"
    finally:
        lluminary.unregister(provider)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="timed batches per row (default 7)")
    args = parser.parse_args(argv)
    print(
        f"lluminary {version('lluminary')} · lluminary-sqlite {version('lluminary-sqlite')} · "
        f"SQLite {sqlite3.sqlite_version} · Python {platform.python_version()} · {platform.machine()} · "
        f"{os.cpu_count()} CPUs · medians"
    )
    with tempfile.TemporaryDirectory(prefix="lluminary-cache-bench-") as directory:
        r = asyncio.run(measure(directory, max(args.repeats, 3)))

    w = 62
    print()
    print(f"{'hit latency (one get of a ~1 KB answer)':<{w}}{'µs':>10}{'ratio':>10}")
    rows = [
        ("MemoryCache.get", r["hit_memory"], None),
        ("bare sqlite3 SELECT in asyncio.to_thread", r["hit_bare"], None),
        ("bare sqlite3 SELECT + load_cache_value in asyncio.to_thread", r["hit_bare_decoded"], None),
        ("SQLiteCache.get", r["hit_sqlite"], None),
        ("SQLiteCache.get, 100 at a time (gather): µs per hit", 1e6 / r["hits_sqlite_gather"], None),
        ("  SQLiteCache.get / MemoryCache.get", None, r["hit_sqlite"] / r["hit_memory"]),
        ("  SQLiteCache.get / bare SELECT in a thread", None, r["hit_sqlite"] / r["hit_bare"]),
        ("  SQLiteCache.get / bare SELECT + decode in a thread", None, r["hit_sqlite"] / r["hit_bare_decoded"]),
        ('Client(cache="memory://").agenerate, a hit', r["client_memory"], None),
        ('Client(cache="sqlite://...").agenerate, a hit', r["client_sqlite"], None),
        ("  sqlite:// hit / memory:// hit, through the client", None, r["client_sqlite"] / r["client_memory"]),
    ]
    for label, value, ratio in rows:
        shown = f"{value:>10.1f}" if value is not None else " " * 10
        shown_ratio = f"{ratio:>10.2f}" if ratio is not None else ""
        print(f"  {label:<{w - 2}}{shown}{shown_ratio}")
    print()
    print(f"{'set throughput (distinct keys)':<{w}}{'sets/s':>10}{'ratio':>10}")
    rows = [
        ("MemoryCache.set", r["set_memory"], None),
        ("bare encode + upsert in asyncio.to_thread", r["set_bare"], None),
        ("SQLiteCache.set, one after the other", r["set_sqlite"], None),
        ("SQLiteCache.set, 100 at a time (gather)", r["set_sqlite_gather"], None),
        ("  SQLiteCache.set / MemoryCache.set", None, r["set_sqlite"] / r["set_memory"]),
        ("  SQLiteCache.set / bare upsert in a thread", None, r["set_sqlite"] / r["set_bare"]),
    ]
    for label, value, ratio in rows:
        shown = f"{value:>10,.0f}" if value is not None else " " * 10
        shown_ratio = f"{ratio:>10.2f}" if ratio is not None else ""
        print(f"  {label:<{w - 2}}{shown}{shown_ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
