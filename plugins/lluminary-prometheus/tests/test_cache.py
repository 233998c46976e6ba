"""Cache hits and misses by backend, with the kernel's in-memory cache."""

from __future__ import annotations

from typing import Any

from lluminary_testing.scenario import Scenario

from .conftest import MODEL


async def test_hits_and_misses_are_counted_by_backend(harness: Any) -> None:
    h = harness(cache="memory://")
    h.server.script(Scenario("stored"))
    first = await h.client.agenerate(MODEL, "same question")
    second = await h.client.agenerate(MODEL, "same question")
    assert (first.text, second.text) == ("stored", "stored")
    assert second.cached
    assert len(h.server.requests) == 1
    assert h.value("lluminary_cache_misses_total", backend="memory", operation="generate") == 1
    assert h.value("lluminary_cache_hits_total", backend="memory", operation="generate") == 1
    call = {"provider": "openai", "model": "gpt-4o-mini", "operation": "generate"}
    assert h.value("lluminary_requests_total", **call, status="ok") == 2
    # A hit spends nothing: the tokens are the first call's only.
    assert h.value("lluminary_tokens_total", **call, type="input") == 12


async def test_a_stream_answered_from_the_cache_is_a_hit(harness: Any) -> None:
    h = harness(cache="memory://")
    h.server.script(Scenario(["a", "b"]))
    await h.client.astream(MODEL, "q").response()
    replay = await h.client.astream(MODEL, "q").response()
    assert replay.text == "ab"
    assert h.value("lluminary_cache_hits_total", backend="memory", operation="stream") == 1
    assert h.value("lluminary_cache_misses_total", backend="memory", operation="stream") == 1
    assert h.total("lluminary_in_flight_requests") == 0


async def test_calls_that_do_not_read_the_cache_are_neither_hits_nor_misses(harness: Any) -> None:
    h = harness(cache="memory://")
    h.server.script(Scenario("x"), Scenario("y"))
    await h.client.agenerate(MODEL, "q", cache=False)
    await h.client.agenerate(MODEL, "q", cache="refresh")
    assert h.total("lluminary_cache_hits_total") == 0
    assert h.total("lluminary_cache_misses_total") == 0
    plain = harness()
    plain.server.script(Scenario("z"))
    await plain.client.agenerate(MODEL, "q")
    assert plain.total("lluminary_cache_misses_total") == 0
