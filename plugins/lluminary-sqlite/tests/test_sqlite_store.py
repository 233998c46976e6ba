"""What is inside the file: the schema and its version, the byte cap and least-recently-used
eviction, access times written in batches, expired entries purged, corrupt and foreign files."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from lluminary.sdk import dump_cache_value
from lluminary_sqlite import SQLiteCache, SQLiteCacheError
from lluminary_sqlite.schema import APPLICATION_ID, SCHEMA_VERSION
from lluminary_sqlite.store import ACCESS_RESOLUTION, EVICT_TO
from lluminary_testing.conformance.cache import chat_response

#: A value of about 3 kB, and its size as the cache counts it under a key like "k00".
VALUE = chat_response("x" * 2_000)
SIZE = len(dump_cache_value(VALUE)) + len("k00")


def backdate(cache_file, seconds: float) -> None:
    """Make every entry look last used ``seconds`` ago, as if time had passed."""
    connection = cache_file.raw()
    connection.execute("UPDATE cache_entries SET last_access = last_access - ?", (seconds,))
    connection.close()


async def test_the_file_is_a_versioned_wal_database_of_its_own(cache_file) -> None:
    cache = SQLiteCache.from_url(cache_file.url)
    await cache.set("k", VALUE)
    connection = cache_file.raw()
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        columns = [row[1] for row in connection.execute("PRAGMA table_info(cache_entries)")]
        assert columns == ["key", "value", "size", "created", "expires", "last_access"]
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(cache_entries)")}
        assert {"cache_entries_lru", "cache_entries_expiry"} <= indexes
        plan = " ".join(
            str(row[-1])
            for row in connection.execute(
                "EXPLAIN QUERY PLAN SELECT key, size FROM cache_entries WHERE key != ? ORDER BY last_access LIMIT 64",
                ("k",),
            )
        )
        assert "cache_entries_lru" in plan, plan
    finally:
        connection.close()
    await cache.close()


async def test_a_file_of_another_application_or_a_newer_schema_is_refused_untouched(cache_file) -> None:
    cache_file.path.parent.mkdir(parents=True)
    connection = cache_file.raw()
    connection.execute("CREATE TABLE users (name TEXT)")
    connection.close()
    with pytest.raises(SQLiteCacheError, match=r"a database of its own \(tables: users\)"):
        await SQLiteCache.from_url(cache_file.url).get("k")
    assert cache_file.query("SELECT name FROM sqlite_master") == [("users",)]

    newer = cache_file.path.with_name("newer.db")
    cache = SQLiteCache.from_url(f"sqlite://{newer}")
    await cache.set("k", VALUE)
    await cache.close()
    raw = sqlite3.connect(newer, isolation_level=None)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SQLiteCacheError, match="written by a newer lluminary-sqlite"):
        await SQLiteCache.from_url(f"sqlite://{newer}").get("k")

    other = cache_file.path.with_name("other.db")
    raw = sqlite3.connect(other, isolation_level=None)
    raw.execute("PRAGMA application_id = 42")
    raw.close()
    with pytest.raises(SQLiteCacheError, match="belongs to another application"):
        await SQLiteCache.from_url(f"sqlite://{other}").get("k")


async def test_the_byte_cap_evicts_the_least_recently_used_first(cache_file) -> None:
    cap = SIZE * 5 + SIZE // 2  # room for five entries
    cache = SQLiteCache.from_url(f"{cache_file.url}?max_bytes={cap}")
    for i in range(5):
        await cache.set(f"k0{i}", VALUE)
    backdate(cache_file, 10 * ACCESS_RESOLUTION)  # all five written "ten seconds ago"
    assert await cache.get("k00") is not None  # read now: the most recently used
    await cache.set("k05", VALUE)  # over the cap: evict down to EVICT_TO of it
    left = {key for (key,) in cache_file.query("SELECT key FROM cache_entries")}
    assert "k00" in left
    assert "k05" in left
    assert "k01" not in left, "the least recently used entry survived"
    found = cache_file.check()
    assert found["bytes"] <= cap * EVICT_TO
    await cache.close()


async def test_the_entry_being_written_is_never_evicted_and_an_oversized_one_is_refused(cache_file) -> None:
    cache = SQLiteCache.from_url(f"{cache_file.url}?max_bytes={int(SIZE * 1.5)}")
    await cache.set("k00", VALUE)
    await cache.set("k01", VALUE)  # evicts k00, keeps itself
    assert [key for (key,) in cache_file.query("SELECT key FROM cache_entries")] == ["k01"]
    with pytest.raises(SQLiteCacheError, match=r"larger than the cache's max_bytes=.*not stored"):
        await cache.set("big", chat_response("y" * (SIZE * 2)))
    assert [key for (key,) in cache_file.query("SELECT key FROM cache_entries")] == ["k01"]
    await cache.close()


async def test_reads_write_no_access_time_until_a_batch(cache_file) -> None:
    """A read only notes the time; the batch goes out with the next write, or at close."""
    cache = SQLiteCache.from_url(cache_file.url)
    await cache.set("k00", VALUE)
    await cache.set("k01", VALUE)
    backdate(cache_file, 100)
    before = dict(cache_file.query("SELECT key, last_access FROM cache_entries"))
    for _ in range(50):
        assert await cache.get("k00") is not None
    assert dict(cache_file.query("SELECT key, last_access FROM cache_entries")) == before, "a read wrote"
    await cache.set("k02", VALUE)
    after = dict(cache_file.query("SELECT key, last_access FROM cache_entries"))
    assert isinstance(after["k00"], float)
    assert after["k00"] > time.time() - 5
    assert after["k01"] == before["k01"]

    backdate(cache_file, 100)
    assert await cache.get("k01") is not None
    await cache.close()
    ((last,),) = cache_file.query("SELECT last_access FROM cache_entries WHERE key = 'k01'")
    assert isinstance(last, float)
    assert last > time.time() - 5, "close did not write the noted time"


async def test_expired_entries_are_never_returned_and_purged_by_later_writes(cache_file) -> None:
    cache = SQLiteCache.from_url(cache_file.url)
    for i in range(3):
        await cache.set(f"old{i}", VALUE, ttl=0.05)
    await cache.set("keep", VALUE)
    await asyncio.sleep(0.1)
    assert [await cache.get(f"old{i}") for i in range(3)] == [None] * 3
    assert len(cache_file.query("SELECT key FROM cache_entries")) == 4  # not purged by reads
    await cache.close()

    later = SQLiteCache.from_url(cache_file.url)  # a new writer purges at its first write
    await later.set("new", VALUE)
    assert {key for (key,) in cache_file.query("SELECT key FROM cache_entries")} == {"keep", "new"}
    assert cache_file.check()["bytes"] == 2 * (SIZE - len("k00")) + len("keep") + len("new")
    await later.close()


async def test_clear_gives_the_space_back(cache_file) -> None:
    cache = SQLiteCache.from_url(cache_file.url)
    for i in range(4):
        await cache.set(f"big{i}", chat_response("z" * 500_000))
    await cache.clear()
    assert cache_file.check() == {"entries": 0, "bytes": 0}
    await cache.close()  # the last connection checkpoints the log into the file
    assert cache_file.path.stat().st_size < 200_000


async def test_an_unreadable_entry_raises_once_and_is_deleted(cache_file) -> None:
    cache = SQLiteCache.from_url(cache_file.url)
    await cache.set("bad", VALUE)
    await cache.set("good", VALUE)
    connection = cache_file.raw()
    connection.execute("UPDATE cache_entries SET value = ? WHERE key = 'bad'", (b'{"kind": "chat", "value": 1}',))
    connection.close()
    with pytest.raises(SQLiteCacheError, match=r"'bad' .* was unreadable .* has been deleted"):
        await cache.get("bad")
    assert await cache.get("bad") is None
    assert await cache.get("good") == VALUE
    await cache.close()


async def test_values_are_the_kernels_json_never_pickle(cache_file) -> None:
    cache = SQLiteCache.from_url(cache_file.url)
    await cache.set("k", VALUE)
    await cache.close()
    ((stored,),) = cache_file.query("SELECT value FROM cache_entries")
    assert stored == dump_cache_value(VALUE)
    assert isinstance(stored, bytes)
    assert stored.startswith(b"{")
    assert b"\x80" not in stored[:2]
