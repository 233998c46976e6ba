"""End to end: ``lluminary.Client(cache="redis://...")`` against a real redis-server, with the
kernel's scripted provider: hits, namespaces, and Redis going away and coming back (stopped,
or frozen so that it accepts connections and never answers) under live traffic."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import warnings
from collections.abc import Iterator

import pytest

import lluminary
from lluminary import CacheWarning, Client
from lluminary.sdk import ScriptedProvider
from lluminary_testing.redis import RedisServer

pytestmark = pytest.mark.integration

#: Fast outages for tests: skip Redis for 0.1 s after a failure, give up on a call after 0.3 s.
FAST = "backoff=0.1&max_backoff=0.2&timeout=0.3&connect_timeout=0.3"


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    name = f"scripted{uuid.uuid4().hex[:6]}"
    scripted = ScriptedProvider(name)
    lluminary.register(scripted, name=name)
    try:
        yield scripted
    finally:
        lluminary.unregister(name=name)


def model(provider: ScriptedProvider) -> str:
    return f"{provider.name}:m"


class CacheWarnings:
    """Every CacheWarning issued while active (the "always" filter: repeats are counted too)."""

    def __init__(self) -> None:
        self._catcher = warnings.catch_warnings(record=True)

    def __enter__(self) -> CacheWarnings:
        self._records = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: object) -> None:
        self._catcher.__exit__(None, None, None)

    @property
    def messages(self) -> list[str]:
        return [str(r.message) for r in self._records if issubclass(r.category, CacheWarning)]


async def test_the_second_identical_call_is_a_hit(redis_server: RedisServer, provider: ScriptedProvider) -> None:
    async with Client(cache=f"{redis_server.url}?namespace=t", retries=1) as client:
        first = await client.agenerate(model(provider), "Hello there")
        second = await client.agenerate(model(provider), "Hello there")
        assert not first.cached
        assert second.cached
        assert second.text == first.text == "Hello there"
        async with client.astream(model(provider), "Hello there") as stream:
            assert "".join([text async for text in stream.text_stream()]) == "Hello there"
            assert (await stream.response()).cached
        embedded = await client.aembed(model(provider), ["a", "b"])
        again = await client.aembed(model(provider), ["a", "b"])
        assert again.cached
        assert again.embeddings == embedded.embeddings
    assert len(provider.requests) == 2  # one chat call, one embedding call


async def test_a_new_client_hits_what_another_stored(redis_server: RedisServer, provider: ScriptedProvider) -> None:
    url = f"{redis_server.url}?namespace=shared"
    async with Client(cache=url, retries=1) as writer:
        await writer.agenerate(model(provider), "Persist me")
    async with Client(cache=url, retries=1) as reader:
        assert (await reader.agenerate(model(provider), "Persist me")).cached
    assert len(provider.requests) == 1


async def test_namespaces_do_not_share(redis_server: RedisServer, provider: ScriptedProvider) -> None:
    async with (
        Client(cache=f"{redis_server.url}?namespace=a", retries=1) as a,
        Client(cache=f"{redis_server.url}?namespace=b", retries=1) as b,
    ):
        await a.agenerate(model(provider), "Same prompt")
        assert not (await b.agenerate(model(provider), "Same prompt")).cached
        assert (await a.agenerate(model(provider), "Same prompt")).cached
        assert (await b.agenerate(model(provider), "Same prompt")).cached
    assert len(provider.requests) == 2


async def test_an_outage_warns_once_and_caching_resumes(
    redis_server: RedisServer, provider: ScriptedProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopped and restarted on the same port: every call succeeds; one CacheWarning for the
    whole outage; calls during it do not wait; hits come back after the restart."""
    caplog.set_level(logging.INFO, logger="lluminary_redis")
    async with Client(cache=f"{redis_server.url}?namespace=outage&{FAST}", retries=1) as client:
        await client.agenerate(model(provider), "warm")
        assert (await client.agenerate(model(provider), "warm")).cached

        redis_server.stop()
        with CacheWarnings() as caught:
            started = time.perf_counter()
            replies = [await client.agenerate(model(provider), f"during {i}") for i in range(5)]
            replies += await asyncio.gather(*(client.agenerate(model(provider), f"at once {i}") for i in range(20)))
            elapsed = time.perf_counter() - started
        assert [r.text for r in replies[:5]] == [f"during {i}" for i in range(5)]
        assert not any(r.cached for r in replies)
        assert len(caught.messages) == 1, caught.messages
        assert "cache read failed, calling uncached" in caught.messages[0]
        assert "unavailable" in caught.messages[0]
        assert elapsed < 1.0, f"25 calls took {elapsed:.2f} s: calls waited on a Redis known to be down"

        redis_server.start()
        await asyncio.sleep(0.25)  # past the back-off: the next call probes
        with CacheWarnings() as caught:
            assert not (await client.agenerate(model(provider), "after")).cached  # the restart lost everything
            assert (await client.agenerate(model(provider), "after")).cached
        assert caught.messages == []
    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "lluminary_redis"]
    assert [level for level, _ in messages] == ["WARNING", "INFO"], messages
    assert "is back after" in messages[1][1]


async def test_a_redis_that_stops_answering_costs_one_timeout(
    redis_server: RedisServer, provider: ScriptedProvider
) -> None:
    """Frozen: connections hang. The first call waits for the URL's timeout (0.3 s) and warns;
    the next ones skip Redis at once; thawed, caching resumes."""
    async with Client(cache=f"{redis_server.url}?namespace=frozen&{FAST}", retries=1) as client:
        await client.agenerate(model(provider), "warm")
        redis_server.freeze()
        try:
            with CacheWarnings() as caught:
                started = time.perf_counter()
                first = await client.agenerate(model(provider), "slow 0")
                first_took = time.perf_counter() - started
                started = time.perf_counter()
                for i in range(1, 6):
                    await client.agenerate(model(provider), f"slow {i}")
                rest_took = time.perf_counter() - started
        finally:
            redis_server.thaw()
        assert first.text == "slow 0"
        assert 0.25 < first_took < 1.5
        assert rest_took < 0.2, f"five calls took {rest_took:.2f} s during the outage"
        assert len(caught.messages) == 1, caught.messages
        assert "Timeout" in caught.messages[0]
        await asyncio.sleep(0.3)
        await client.agenerate(model(provider), "back")
        assert (await client.agenerate(model(provider), "back")).cached


async def test_the_password_stays_out_of_warnings_and_logs(
    provider: ScriptedProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """A server with a password, opened with a wrong one: an outage (one warning), and neither
    the warning nor the log nor the backend's repr shows the password that was tried."""
    from lluminary_testing.redis import redis_server_for_test

    caplog.set_level(logging.DEBUG)
    for server in redis_server_for_test(password="right-password-1"):
        wrong = "wr0ng-passw0rd-xyz"
        url = f"redis://:{wrong}@127.0.0.1:{server.port}/0?{FAST}"
        async with Client(cache=url, retries=1) as client:
            with CacheWarnings() as caught:
                for i in range(3):
                    assert (await client.agenerate(model(provider), f"q{i}")).text == f"q{i}"
            backend = await client.cache_backend()
            assert wrong not in repr(backend)
        assert len(caught.messages) == 1
        assert "AuthenticationError" in caught.messages[0] or "invalid" in caught.messages[0].lower()
        assert wrong not in caught.messages[0]
        assert all(wrong not in record.getMessage() for record in caplog.records)
        async with Client(cache=f"redis://:right-password-1@127.0.0.1:{server.port}/0", retries=1) as client:
            await client.agenerate(model(provider), "ok")
            assert (await client.agenerate(model(provider), "ok")).cached
