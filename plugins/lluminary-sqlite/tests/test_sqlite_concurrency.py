"""Several processes and threads on one file at once, a write lock held by someone else, and an
event loop that keeps running while SQLite waits."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
import warnings

import pytest

import lluminary
from lluminary import CacheWarning
from lluminary_sqlite import SQLiteCache, SQLiteCacheError
from lluminary_testing.conformance.cache import chat_response


@pytest.mark.integration
def test_processes_write_and_read_one_new_file_at_once(cache_file, spawn) -> None:
    """Four interpreters open a file that does not exist yet and mix sets and gets of the same
    keys, with a cap small enough that they evict each other's entries all along: no error (no
    "database is locked"), no key holding another's value, an intact file under its cap."""
    url = f"{cache_file.url}?max_bytes=100KB"
    mixers = [spawn("mixer", url, f"p{i}", 300) for i in range(4)]
    for mixer in mixers:
        assert mixer.stdout is not None
        assert mixer.stdout.readline().strip() == "ready", mixer.communicate()[1]
    assert not cache_file.path.exists()
    for mixer in mixers:  # go, all at once
        assert mixer.stdin is not None
        mixer.stdin.write("go\n")
        mixer.stdin.flush()
    summaries = []
    for mixer in mixers:
        out, err = mixer.communicate(timeout=60)
        assert mixer.returncode == 0, err
        summaries.append(json.loads(out))
    assert [s["errors"] for s in summaries] == [[]] * 4
    assert sum(s["sets"] for s in summaries) > 400
    assert sum(s["hits"] for s in summaries) > 0
    found = cache_file.check()
    assert 0 < found["bytes"] <= 100_000


def test_four_processes_write_two_hundred_entries_each_and_all_read_back(cache_file, spawn) -> None:
    """4 interpreters x 200 writes of their own keys into one new file, all at once: every one of
    the 800 entries is there afterwards, whole."""
    fillers = [spawn("filler", cache_file.url, f"p{i}", 200) for i in range(4)]
    for filler in fillers:
        assert filler.stdout is not None
        assert filler.stdout.readline().strip() == "ready", filler.communicate()[1]
    for filler in fillers:
        assert filler.stdin is not None
        filler.stdin.write("go\n")
        filler.stdin.flush()
    for filler in fillers:
        out, err = filler.communicate(timeout=120)
        assert filler.returncode == 0, err
        assert out.strip() == "done"

    async def read_all() -> list[str]:
        cache = SQLiteCache.from_url(cache_file.url)
        try:
            texts = []
            for i in range(4):
                for index in range(200):
                    got = await cache.get(f"p{i}:{index}")
                    assert got is not None, f"p{i}:{index} is missing"
                    texts.append(got.text)
            return texts
        finally:
            await cache.close()

    texts = asyncio.run(read_all())
    assert len(texts) == 800
    for text in texts:
        _index, digest, payload = text.split(":", 2)
        assert hashlib.sha256(payload.encode()).hexdigest() == digest


def test_threads_with_loops_and_backends_of_their_own(cache_file) -> None:
    """Eight threads, each with its event loop and its backend (as the kernel opens one per loop),
    write and read the same keys at once. The busy timeout is raised from the default 1 s: on a
    loaded 2-core machine eight writers can queue for the write lock longer than that, which is
    the timeout doing its job (``test_a_write_lock_held_past_the_timeout_is_a_typed_error_and_reads_go_on`` covers it), not a bug.
    """
    errors: list[BaseException] = []
    url = f"{cache_file.url}?max_bytes=200KB&timeout=30"

    async def work(name: str) -> None:
        cache = SQLiteCache.from_url(url)
        try:
            for i in range(60):
                key = f"k{i % 15}"
                await cache.set(key, chat_response(f"{key} by {name}"))
                got = await cache.get(key)
                assert got is not None
                assert got.text.startswith(f"{key} by ")
        finally:
            await cache.close()

    def run(name: str) -> None:
        try:
            asyncio.run(work(name))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert cache_file.check()["bytes"] <= 200_000


def test_one_backend_shared_by_threads_with_loops_of_their_own(cache_file) -> None:
    """A backend answers each caller on the caller's own loop."""
    cache = SQLiteCache.from_url(cache_file.url)
    errors: list[BaseException] = []

    async def work(name: str) -> None:
        for i in range(40):
            await cache.set(f"{name}:{i}", chat_response(name))
            assert await cache.get(f"{name}:{i}") == chat_response(name)

    def run(name: str) -> None:
        try:
            asyncio.run(work(name))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    asyncio.run(cache.close())
    assert errors == []
    assert cache_file.check()["entries"] == 160


async def test_a_write_lock_held_past_the_timeout_is_a_typed_error_and_reads_go_on(cache_file) -> None:
    cache = SQLiteCache.from_url(f"{cache_file.url}?timeout=0.05")
    await cache.set("before", chat_response("before"))
    holder = cache_file.raw()
    holder.execute("BEGIN IMMEDIATE")  # another program writing, for longer than timeout=0.05
    try:
        started = time.monotonic()
        with pytest.raises(SQLiteCacheError, match=r"locked.*timeout=0\.05 s") as caught:
            await cache.set("during", chat_response("during"))
        assert time.monotonic() - started < 1.0
        assert caught.value.path == str(cache_file.path)
        assert await cache.get("before") == chat_response("before")  # WAL: readers never wait
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await cache.set("after", chat_response("after"))
    assert await cache.get("after") == chat_response("after")
    await cache.close()


async def test_a_locked_file_turns_into_a_cache_warning_and_the_call_succeeds(cache_file, provider) -> None:
    """Through the kernel: the write fails after timeout=, the client warns and answers anyway;
    once the lock is gone the next answer is stored and then served from the file."""
    async with lluminary.Client(cache=f"{cache_file.url}?timeout=0.05") as client:
        await client.agenerate("sqlitetest:m", "warm up")  # opens the file
        holder = cache_file.raw()
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.warns(CacheWarning, match=r"cache write failed: SQLiteCacheError: .*locked"):
                answer = await client.agenerate("sqlitetest:m", "while locked")
            assert answer.text == "while locked"
            assert not answer.cached
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            assert not (await client.agenerate("sqlitetest:m", "while locked")).cached
            assert (await client.agenerate("sqlitetest:m", "while locked")).cached
    assert len(provider.requests) == 3


async def test_the_event_loop_runs_while_sqlite_waits(cache_file) -> None:
    """A write waiting half a second for the lock does not stall the loop: other coroutines run."""
    cache = SQLiteCache.from_url(f"{cache_file.url}?timeout=0.5")
    await cache.get("open the file")
    holder = cache_file.raw()
    holder.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        with pytest.raises(SQLiteCacheError):
            await cache.set("waits", chat_response())
    finally:
        task.cancel()
        holder.execute("ROLLBACK")
        holder.close()
        await cache.close()
    assert ticks >= 20, f"the loop ticked {ticks} times in 0.5 s"
