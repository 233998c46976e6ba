"""The Redis cost ledger against a real redis-server: calls to the testing kit's fake OpenAI server
are recorded in a Redis stream, ``lluminary costs --ledger redis://...`` reports them, and an
outage delays the records without breaking a call or losing them."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio as redis_asyncio
from click.testing import CliRunner

import lluminary._plugins
from lluminary import Client, CostRecord
from lluminary._cli import make_cli
from lluminary.sdk import (
    ConfigurationError,
)
from lluminary_redis.costs import RedisCostLedger
from lluminary_testing.openai_server import FakeOpenAIServer
from lluminary_testing.redis import RedisServer
from lluminary_testing.wire_chat import WireChat

pytestmark = pytest.mark.integration

KEY = "sk-test-redis-ledger-000000000000"
PRICES = {"wire:small": {"input": 1000.0, "output": 2000.0}}
FAST = "backoff=0.1&max_backoff=0.2&timeout=0.3&connect_timeout=0.3"


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def ledger_url(redis_server: RedisServer) -> str:
    return f"{redis_server.url}?namespace=costs-{uuid.uuid4().hex[:8]}&{FAST}"


@pytest_asyncio.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    client = redis_asyncio.Redis(host=redis_server.host, port=redis_server.port or 0)
    yield client
    await client.aclose()


def client_for(fake: FakeOpenAIServer, ledger: str, **kwargs: Any) -> Client:
    plugins = lluminary._plugins.PluginManager()
    plugins.register(WireChat())
    return Client(
        plugins=plugins,
        cache=False,
        retries=1,
        exporters=[],
        prices=PRICES,
        providers={"wire": {"base_url": fake.base_url, "api_key": KEY}},
        cost_ledger=ledger,
        **kwargs,
    )


async def test_calls_are_appended_to_a_stream(
    fake: FakeOpenAIServer, ledger_url: str, raw: redis_asyncio.Redis
) -> None:
    async with client_for(fake, ledger_url) as client:
        assert isinstance(client.cost_ledger, RedisCostLedger)
        await client.agenerate("wire:small", "one two", metadata={"user": "alice"})
        await client.agenerate("wire:small", "three", metadata={"user": "bob"})
        records = await client.cost_ledger.records()
    assert [(r.model, r.output_tokens, r.tags) for r in records] == [
        ("wire:small", 2, {"user": "alice"}),
        ("wire:small", 1, {"user": "bob"}),
    ]
    namespace = ledger_url.split("namespace=")[1].split("&")[0]
    entries = await raw.xrange(f"{namespace}:costs")
    assert len(entries) == 2
    stored = json.loads(entries[0][1][b"r"])
    assert CostRecord.from_dict(stored) == records[0]
    assert KEY not in json.dumps(stored)


def test_the_report_reads_the_stream(fake: FakeOpenAIServer, ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def fill() -> None:
        async with client_for(fake, ledger_url) as client:
            for user in ("alice", "alice", "bob"):
                await client.agenerate("wire:small", "one two", metadata={"user": user})

    asyncio.run(fill())
    monkeypatch.setenv("LLUMINARY_PLUGINS", "redis")
    monkeypatch.setattr(lluminary._plugins, "_manager", lluminary._plugins.PluginManager())
    result = CliRunner().invoke(make_cli(), ["costs", "--ledger", ledger_url, "--by", "tag:user", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["tag:user"]: row for row in json.loads(result.stdout)}
    assert {user: row["calls"] for user, row in rows.items()} == {"alice": 2, "bob": 1}
    assert rows["alice"]["cost_usd"] == pytest.approx(2 * rows["bob"]["cost_usd"])
    later = CliRunner().invoke(make_cli(), ["costs", "--ledger", ledger_url, "--since", "2999-01-01"])
    assert later.exit_code == 0
    assert "no calls recorded" in later.stderr


async def test_paging_and_time_ranges(ledger_url: str) -> None:
    async with Client(cache=False, exporters=[], cost_ledger=ledger_url) as client:
        ledger = client.cost_ledger
        assert ledger is not None
        now = float(int(time.time()))
        for index in range(1200):  # more than two pages, an eighth of a second apart
            ledger.record(CostRecord(now + index / 8, "embed", "p", "p:m", index, cost_usd=0.001))
        assert len(await ledger.records()) == 1200
        # Stream ids are Redis's clock, record times are ours: the range is cut by record time.
        window = await ledger.records(since=now + 100 / 8, until=now + 110 / 8)
        assert [r.input_tokens for r in window] == list(range(100, 110))


async def test_an_outage_delays_records_and_never_breaks_a_call(
    fake: FakeOpenAIServer, ledger_url: str, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lluminary_redis")
    async with client_for(fake, ledger_url) as client:
        ledger = client.cost_ledger
        assert isinstance(ledger, RedisCostLedger)
        await client.agenerate("wire:small", "before")
        await ledger.flush()
        redis_server.stop()
        for _ in range(3):
            reply = await client.agenerate("wire:small", "during the outage")
            assert reply.text == "during the outage"
        await asyncio.sleep(0.05)
        assert any("wait for Redis" in r.getMessage() for r in caplog.records)
        redis_server.start()
        await asyncio.sleep(0.3)  # past the breaker's backoff
        records = await ledger.records()
    # A fresh server (no persistence): the three delayed records arrive, the first one died with it.
    assert [r.output_tokens for r in records] == [3, 3, 3]


def test_a_bad_ledger_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown option 'colour'"):
        Client(cache=False, exporters=[], cost_ledger="redis://localhost:6379/0?colour=blue")
