"""The kernel's semantic cache on real offline embeddings: a paraphrase is a hit, and the guard
refuses the near misses that real embeddings put closer than any useful threshold ("safe" and
"unsafe" score 0.99 with e5-small)."""

from __future__ import annotations

import pytest

from lluminary import Client, SemanticCache
from lluminary._plugins import PluginManager  # a client with the scripted chat model beside the real plugins
from lluminary.sdk import ScriptedProvider

pytestmark = pytest.mark.usefixtures("loaded")


def make(**options: object) -> tuple[Client, ScriptedProvider]:
    chat = ScriptedProvider("chat")
    plugins = PluginManager()
    plugins.register(chat)
    cache = SemanticCache("local:e5-small", "memory://semantic-local", threshold=0.95, **options)  # type: ignore[arg-type]
    return Client(plugins=plugins, cache=cache, retries=1), chat


async def test_a_paraphrase_is_answered_from_the_cache() -> None:
    client, chat = make()
    async with client:
        first = await client.agenerate("chat:m", "How do I reset my password?")
        again = await client.agenerate("chat:m", "How can I reset my password?")
    assert again.cached
    assert again.text == first.text
    assert again.similarity is not None
    assert again.similarity > 0.99
    assert len(chat.requests) == 1


async def test_negations_and_numbers_close_in_embedding_space_are_refused() -> None:
    client, chat = make()
    async with client:
        await client.agenerate("chat:m", "Is aspirin safe for children?")
        unsafe = await client.agenerate("chat:m", "Is aspirin unsafe for children?")
        await client.agenerate("chat:m", "Can I take 2 tablets of ibuprofen?")
        more = await client.agenerate("chat:m", "Can I take 20 tablets of ibuprofen?")
    assert not unsafe.cached
    assert not more.cached
    assert len(chat.requests) == 4


async def test_without_the_guard_real_embeddings_serve_the_opposite_question() -> None:
    """The failure mode the guard exists for, on the real model."""
    client, chat = make(guard=None)
    async with client:
        await client.agenerate("chat:m", "Is aspirin safe for children?")
        wrong = await client.agenerate("chat:m", "Is aspirin unsafe for children?")
    assert wrong.cached
    assert wrong.similarity is not None
    assert wrong.similarity > 0.95
    assert len(chat.requests) == 1
