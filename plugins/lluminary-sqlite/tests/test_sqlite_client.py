"""End to end: ``lluminary.Client(cache="sqlite://...")`` loads this plugin through its entry point;
the second identical call is a hit, in the same client, in a new client and in a new process."""

from __future__ import annotations

import json
import warnings

import pytest

import lluminary
from lluminary import CacheWarning, ConfigurationError


async def test_the_second_identical_call_is_a_hit_and_survives_the_client(cache_file, provider) -> None:
    async with lluminary.Client(cache=cache_file.url) as client:
        first = await client.agenerate("sqlitetest:m", "What is SQLite?")
        again = await client.agenerate("sqlitetest:m", "What is SQLite?")
        other = await client.agenerate("sqlitetest:m", "What is WAL?")
        assert not first.cached
        assert again.cached
        assert not other.cached
        assert again.message == first.message
        assert again.usage == first.usage
        streamed = [event async for event in client.astream("sqlitetest:m", "What is SQLite?")]
        assert streamed, "a hit replays as a stream"
        vectors = await client.aembed("sqlitetest:e", ["a", "b"])
        assert (await client.aembed("sqlitetest:e", ["a", "b"])).cached
        assert not vectors.cached
    assert len(provider.requests) == 3  # two chats and one embedding reached the provider

    async with lluminary.Client(cache=cache_file.url) as fresh:
        assert (await fresh.agenerate("sqlitetest:m", "What is SQLite?")).cached
        assert (await fresh.aembed("sqlitetest:e", ["a", "b"])).cached
        skipped = await fresh.agenerate("sqlitetest:m", "What is SQLite?", cache=False)
        assert not skipped.cached
    assert len(provider.requests) == 4
    assert cache_file.check()["entries"] == 3


def test_the_sync_api_and_a_new_process_hit_the_same_file(cache_file, provider, spawn) -> None:
    with lluminary.Client(cache=cache_file.url) as client:
        assert not client.generate("sqlitetest:echo", "shared across processes").cached
        assert client.generate("sqlitetest:echo", "shared across processes").cached
    child = spawn("client", cache_file.url, "shared across processes")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert json.loads(out) == {"cached": True, "text": "shared across processes", "provider_calls": 0}
    # and what the new process stores, this one reads
    child = spawn("client", cache_file.url, "stored by the child")
    out, err = child.communicate(timeout=60)
    assert json.loads(out)["provider_calls"] == 1, err
    with lluminary.Client(cache=cache_file.url) as client:
        assert client.generate("sqlitetest:echo", "stored by the child").cached


async def test_cache_ttl_of_the_client_applies(cache_file, provider) -> None:
    async with lluminary.Client(cache=cache_file.url, cache_ttl=3600) as client:
        await client.agenerate("sqlitetest:m", "lives an hour")
    ((created, expires),) = cache_file.query("SELECT created, expires FROM cache_entries")
    assert isinstance(created, float)
    assert isinstance(expires, float)
    assert expires - created == pytest.approx(3600)


async def test_an_unreadable_entry_is_a_warning_then_a_miss_then_a_hit(cache_file, provider) -> None:
    async with lluminary.Client(cache=cache_file.url) as client:
        await client.agenerate("sqlitetest:m", "soon garbage")
        connection = cache_file.raw()
        connection.execute("UPDATE cache_entries SET value = ?, size = ? + length(key)", (b"\x00garbage{", 9))
        connection.close()
        with pytest.warns(CacheWarning, match=r"cache read failed, calling uncached: SQLiteCacheError: .*unreadable"):
            answer = await client.agenerate("sqlitetest:m", "soon garbage")
        assert answer.text == "soon garbage"
        assert not answer.cached
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            assert (await client.agenerate("sqlitetest:m", "soon garbage")).cached
    assert len(provider.requests) == 2
    cache_file.check()


async def test_a_bad_url_fails_the_call_loudly_instead_of_disabling_the_cache(tmp_path, provider) -> None:
    async with lluminary.Client(cache=f"sqlite://{tmp_path}/c.db?max_byte=1GB") as client:
        with pytest.raises(ConfigurationError, match="unknown option 'max_byte'"):
            await client.agenerate("sqlitetest:m", "hello")
    assert provider.requests == []


async def test_a_file_that_is_not_a_cache_is_a_warning_and_left_alone(tmp_path, provider) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    async with lluminary.Client(cache=f"sqlite://{path}") as client:
        with pytest.warns(CacheWarning, match="not a readable SQLite database"):
            answer = await client.agenerate("sqlitetest:m", "hello")
    assert answer.text == "hello"
    assert path.read_bytes() == b"these are my notes, not a database\n" * 200


async def test_open_cache_returns_the_backend_and_the_client_closes_it(cache_file) -> None:
    from lluminary_sqlite import SQLiteCache

    client = lluminary.Client(cache=False)
    cache = client.open_cache(cache_file.url)
    assert isinstance(cache, SQLiteCache)
    await cache.clear()
    await client.aclose()
    assert "closed" in repr(cache)
