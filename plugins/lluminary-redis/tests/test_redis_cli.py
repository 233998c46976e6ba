"""``lluminary cache stats`` and ``lluminary cache clear`` on a Redis namespace, never showing the
password of the URL."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from lluminary._cli import make_cli  # the CLI has no public entry besides the console script
from lluminary.sdk import ChatResponse, Message, TextPart
from lluminary_redis.cache import RedisCache
from lluminary_redis.config import parse_url
from lluminary_testing.redis import RedisServer

pytestmark = pytest.mark.integration


def test_stats_then_clear_one_namespace(redis_server: RedisServer) -> None:
    async def fill(namespace: str, count: int) -> None:
        cache = RedisCache(parse_url(f"{redis_server.url}?namespace={namespace}"))
        for i in range(count):
            await cache.set(f"k{i}", ChatResponse(Message("assistant", (TextPart(f"answer {i}"),))))
        await cache.close()

    asyncio.run(fill("cli", 3))
    asyncio.run(fill("other", 2))
    url = f"{redis_server.url}?namespace=cli"
    runner = CliRunner()
    stats = runner.invoke(make_cli(), ["cache", "stats", url, "--json"])
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.stdout)
    assert (figures["backend"], figures["namespace"], figures["entries"]) == ("RedisCache", "cli", 3)
    assert figures["bytes"] > 0
    assert runner.invoke(make_cli(), ["cache", "clear", "-y", url]).exit_code == 0
    assert json.loads(runner.invoke(make_cli(), ["cache", "stats", url, "--json"]).stdout)["entries"] == 0
    other = runner.invoke(make_cli(), ["cache", "stats", f"{redis_server.url}?namespace=other", "--json"])
    assert json.loads(other.stdout)["entries"] == 2


def test_the_password_is_not_shown() -> None:
    url = "redis://app:s3cret-pass@127.0.0.1:1/0?namespace=x&timeout=0.2&connect_timeout=0.2"
    result = CliRunner().invoke(make_cli(), ["cache", "clear", url], input="n\n")
    assert "s3cret" not in result.output
    assert "redis://app:***@127.0.0.1:1/0" in result.output
