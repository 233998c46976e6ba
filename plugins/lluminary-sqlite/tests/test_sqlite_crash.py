"""Atomicity: a real writer process killed with SIGKILL in the middle of its writes leaves a file
that passes SQLite's integrity check, in which every entry is whole, and that the next process
opens and writes to as usual."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import signal
import sys
import time

import pytest

from lluminary.sdk import ChatResponse, load_cache_value
from lluminary_sqlite import SQLiteCache
from lluminary_testing.conformance.cache import chat_response

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def whole(value: object) -> bool:
    """The writer's texts are ``index:sha256(payload):payload``."""
    assert isinstance(value, ChatResponse)
    _, digest, payload = value.text.split(":", 2)
    return hashlib.sha256(payload.encode()).hexdigest() == digest


def test_a_writer_killed_mid_write_leaves_no_torn_entry(cache_file, spawn) -> None:
    rng = random.Random(11)
    # A small cap, so that most writes also evict: a kill lands in bigger transactions too.
    url = f"{cache_file.url}?max_bytes=12MB"
    killed_in_a_write = 0
    for round_ in range(3):
        writer = spawn("writer", url, round_)
        assert writer.stdout is not None
        while writer.stdout.readline().strip() != "stored 0":  # the file exists, with one entry
            assert writer.poll() is None, writer.communicate()[1]
        time.sleep(rng.uniform(0.05, 0.3))  # entries of 0.5-2 MB: the writer is nearly always mid-write
        os.kill(writer.pid, signal.SIGKILL)
        out, _ = writer.communicate(timeout=10)
        assert writer.returncode == -signal.SIGKILL
        last = out.split()[-2:]
        killed_in_a_write += last[:1] == ["set"]  # killed between asking for a write and its commit

        found = cache_file.check()  # integrity_check ok, every entry decodes, totals add up
        assert found["entries"] >= 1
        assert found["bytes"] <= 12_000_000
        for (value,) in cache_file.query("SELECT value FROM cache_entries"):
            assert isinstance(value, bytes)
            assert whole(load_cache_value(value)), "a torn entry"

    assert killed_in_a_write >= 1, "no kill landed inside a write: the test proved nothing"

    async def reopen() -> None:
        """The next process (here, this one) reads every entry and writes as usual."""
        cache = SQLiteCache.from_url(url)
        try:
            for (key,) in cache_file.query("SELECT key FROM cache_entries"):
                assert isinstance(key, str)
                assert whole(await cache.get(key))
            await cache.set("after the crashes", chat_response())
            assert await cache.get("after the crashes") == chat_response()
        finally:
            await cache.close()

    asyncio.run(reopen())
    cache_file.check()
