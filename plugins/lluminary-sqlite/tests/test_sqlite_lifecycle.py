"""When things open and close: nothing before first use, one thread per backend that ends with
``close()`` or with the backend, a forked child that starts over, and a cheap plugin import."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
import time
import warnings

import pytest

import lluminary
from lluminary_sqlite import SQLiteCache, SQLiteCacheError
from lluminary_testing.conformance.cache import chat_response


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lluminary-sqlite")]


def wait_for(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False


def test_importing_the_plugin_imports_neither_sqlite3_nor_the_backend() -> None:
    code = (
        "import sys, lluminary_sqlite; "
        "print(sorted(m for m in ('sqlite3', 'threading', 'lluminary_sqlite.backend', 'lluminary._types') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_nothing_is_opened_before_first_use_and_close_ends_the_thread(cache_file) -> None:
    before = len(worker_threads())
    client = lluminary.Client(cache=False)
    cache = client.open_cache(cache_file.url)
    assert not cache_file.path.exists()
    assert len(worker_threads()) == before
    assert "not opened yet" in repr(cache)
    assert await cache.get("k") is None
    assert cache_file.path.exists()
    assert len(worker_threads()) == before + 1
    if os.name == "posix":
        assert cache_file.path.parent.stat().st_mode & 0o777 == 0o700, "a directory made for the cache is private"
    await client.aclose()  # closes the backend it opened
    assert wait_for(lambda: len(worker_threads()) == before)
    assert not cache_file.path.with_name("llm.db-wal").exists(), "the last connection checkpoints and removes the log"
    await cache.close()  # again: nothing to do
    with pytest.raises(SQLiteCacheError, match="is closed"):
        await cache.get("k")


def test_an_unclosed_backend_ends_its_thread_when_collected(cache_file) -> None:
    before = len(worker_threads())
    cache: SQLiteCache | None = SQLiteCache.from_url(cache_file.url)

    async def use() -> None:
        assert cache is not None
        await cache.set("k", chat_response())

    asyncio.run(use())
    assert len(worker_threads()) == before + 1
    cache = None
    gc.collect()
    assert wait_for(lambda: len(worker_threads()) == before)


def test_a_client_on_short_lived_loops_leaves_no_threads(cache_file, provider) -> None:
    """Every ``asyncio.run`` gets a backend of its own; each goes with its loop."""
    before = len(worker_threads())
    client = lluminary.Client(cache=cache_file.url)
    for _ in range(5):
        asyncio.run(client.agenerate("sqlitetest:m", "again and again"))
    gc.collect()
    assert wait_for(lambda: len(worker_threads()) == before)
    assert len(provider.requests) == 1  # the other four were hits, each on a new loop
    client.close()


async def test_a_caller_that_stopped_waiting_does_not_hold_up_the_others(cache_file) -> None:
    """The kernel's cache_timeout cancels a slow get; the backend keeps serving the next calls."""
    cache = SQLiteCache.from_url(f"{cache_file.url}?timeout=0.3")
    await cache.set("k", chat_response())
    holder = cache_file.raw()
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await cache.set("slow", chat_response())  # waits for the lock on the worker
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert await cache.get("k") == chat_response()
    await cache.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX")
def test_a_forked_child_opens_a_connection_of_its_own(cache_file) -> None:
    cache = SQLiteCache.from_url(cache_file.url)

    async def write(key: str) -> bool:
        await cache.set(key, chat_response(key))
        return await cache.get(key) == chat_response(key)

    assert asyncio.run(write("parent"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: forking a threaded process
        pid = os.fork()
    if pid == 0:  # the child: the parent's worker thread is not here
        code = 1
        try:
            code = 0 if asyncio.run(write("child")) else 2
            asyncio.run(cache.close())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert asyncio.run(write("parent again"))

    async def read() -> object:
        return await cache.get("child")

    assert asyncio.run(read()) == chat_response("child")
    asyncio.run(cache.close())
