"""Embedding calls carry tags (``metadata=``) like chat calls: budgets per tag apply to them, the
cost ledger records them, trace events carry them, and they are neither sent to the provider
nor part of the cache key."""

from __future__ import annotations

from typing import Any

import pytest

import lluminary
from lluminary import Budget, BudgetExceededError, Client, MemoryCostLedger, RequestValidationError, TraceEvent
from lluminary._plugins import PluginManager
from lluminary.sdk import EmbedRequest, ScriptedProvider, build_embed_request

#: $1 per thousand input tokens: a four-word text (four tokens to the scripted provider) costs $0.004.
PRICES = {"scripted:e": {"input": 1000.0, "output": 0.0}}


class Listener:
    def __init__(self) -> None:
        self.events: list[TraceEvent] = []

    @lluminary.hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        self.events.append(event)


def make(**kwargs: Any) -> tuple[Client, ScriptedProvider, Listener]:
    plugins = PluginManager()
    provider = ScriptedProvider("scripted")
    plugins.register(provider)
    listener = Listener()
    plugins.register(listener, name="listener")
    return Client(plugins=plugins, retries=1, prices=PRICES, **kwargs), provider, listener


async def test_an_embedding_is_recorded_with_its_tags_and_traced_with_them() -> None:
    ledger = MemoryCostLedger()
    client, provider, listener = make(cost_ledger=ledger, cache=False)
    async with client:
        reply = await client.aembed("scripted:e", "one two three four", metadata={"user": "ada"})
    (entry,) = ledger.entries
    assert (entry.operation, entry.model, entry.tags) == ("embed", "scripted:e", {"user": "ada"})
    assert entry.cost_usd == pytest.approx(reply.cost.total if reply.cost else -1)
    (request,) = provider.requests
    assert isinstance(request, EmbedRequest)
    assert request.metadata == {"user": "ada"}
    assert [e.metadata for e in listener.events if e.kind == "start"] == [{"user": "ada"}]


async def test_a_budget_per_tag_refuses_an_embedding_before_it_is_sent() -> None:
    budget = Budget(0.006, scope={"user": "ada"})
    client, provider, _ = make(budgets=[budget], counters="memory://", cache=False)
    async with client:
        await client.aembed("scripted:e", "one two three four", metadata={"user": "ada"})
        with pytest.raises(BudgetExceededError) as refused:
            await client.aembed("scripted:e", "one two three four", metadata={"user": "ada"})
        await client.aembed("scripted:e", "one two three four", metadata={"user": "bob"})  # not ada's budget
    assert refused.value.scope is not None
    assert "user=ada" in refused.value.scope
    assert [r.metadata for r in provider.requests] == [{"user": "ada"}, {"user": "bob"}]


async def test_tags_do_not_change_the_cache_key() -> None:
    client, provider, _ = make(cache="memory://")
    async with client:
        first = await client.aembed("scripted:e", "same text", metadata={"user": "ada"})
        second = await client.aembed("scripted:e", "same text", metadata={"user": "bob"})
    assert second.cached
    assert second.embeddings == first.embeddings
    assert len(provider.requests) == 1


def test_embedding_tags_are_checked_before_any_io() -> None:
    with pytest.raises(RequestValidationError, match="metadata"):
        build_embed_request("scripted:e", "text", metadata={"user": 1})  # type: ignore[dict-item]
    with pytest.raises(RequestValidationError, match="metadata"):
        build_embed_request(EmbedRequest("scripted:e", ("text",), metadata=["not", "a", "mapping"]))  # type: ignore[arg-type]
    assert build_embed_request("scripted:e", "text").metadata == {}
