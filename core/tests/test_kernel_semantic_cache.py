"""The semantic cache: the whole conversation must match, only the last question is compared by
meaning, near-miss negations and numbers are refused, and hits say how close they were."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import warnings

import pytest

from lluminary import Client, MemoryStore, RequestValidationError, SemanticCache
from lluminary._plugins import PluginManager
from lluminary._semantic_guard import meaning_differs
from lluminary.sdk import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    Message,
    ModelInfo,
    Provider,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

DIMENSIONS = 64


def bag_of_words(text: str) -> list[float]:
    """A crude but honest embedding: word counts hashed into buckets (paraphrases that share
    their words land close; a changed word moves the vector)."""
    vector = [0.0] * DIMENSIONS
    for word in re.findall(r"[a-z0-9']+", text.lower()):
        vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
    return vector


class Backend(Provider):
    """Chat answers numbered by call; embeddings by :func:`bag_of_words`, priced."""

    name = "sem"
    prefixes = ("sem",)

    def __init__(self) -> None:
        super().__init__()
        self.chats: list[ChatRequest] = []
        self.embedded: list[str] = []

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.chats.append(request)
        text = f"answer {len(self.chats)}"
        return ChatResponse(Message("assistant", (TextPart(text),)), "stop", usage=Usage(10, 5))

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        self.embedded.extend(request.inputs)
        return EmbedResponse([bag_of_words(t) for t in request.inputs], usage=Usage(len(request.inputs) * 8))

    def models(self) -> list[ModelInfo]:
        return [
            ModelInfo("sem:chat", input_price=1.0, output_price=1.0),
            ModelInfo("sem:embed", input_price=1.0, kind="embedding"),
        ]


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def make(**cache_options: object) -> tuple[Client, Backend, SemanticCache]:
    backend = Backend()
    pm = PluginManager()
    pm.register(backend)
    cache_options.setdefault("threshold", 0.9)
    cache = SemanticCache("sem:embed", MemoryStore(), **cache_options)  # type: ignore[arg-type]
    return Client(plugins=pm, cache=cache, retries=1), backend, cache


async def test_a_paraphrase_in_the_same_conversation_is_a_hit() -> None:
    client, backend, _ = make()
    first = await client.agenerate("sem:chat", "What is the capital of France?", system="Be brief.")
    again = await client.agenerate("sem:chat", "what is the capital of france", system="Be brief.")
    assert len(backend.chats) == 1
    assert again.cached
    assert again.text == first.text == "answer 1"
    assert again.similarity is not None
    assert 0.9 <= again.similarity <= 1.0 + 1e-9
    assert first.similarity is None
    assert again.cost is not None
    assert again.cost.total == 0.0


async def test_everything_but_the_last_question_must_match_exactly() -> None:
    """Same last question, another conversation: a miss every time (the failure the semantic
    caches of other libraries are known for: matching on the last message alone)."""
    client, backend, _ = make()
    question = "What is the capital of France?"
    history = [Message.user("Let's talk about Germany."), Message.assistant("Sure.")]
    tool = Tool("lookup", "Look a thing up", {"type": "object", "properties": {}})
    await client.agenerate("sem:chat", question, system="Be brief.")
    await client.agenerate("sem:chat", question, system="Answer at length.")
    await client.agenerate("sem:chat", messages=[*history, Message.user(question)], system="Be brief.")
    await client.agenerate("sem:chat", question, system="Be brief.", tools=[tool])
    await client.agenerate("sem:chat", question, system="Be brief.", temperature=1.5)
    await client.agenerate("sem:other", question, system="Be brief.")
    assert len(backend.chats) == 6
    again = await client.agenerate("sem:chat", messages=[*history, Message.user(question)], system="Be brief.")
    assert again.cached  # and each conversation has its own entry
    assert len(backend.chats) == 6


async def test_negations_and_numbers_are_not_the_same_question() -> None:
    client, backend, _ = make()
    await client.agenerate("sem:chat", "Is aspirin safe for children?")
    unsafe = await client.agenerate("sem:chat", "Is aspirin unsafe for children?")
    negated = await client.agenerate("sem:chat", "Is aspirin not safe for children?")
    await client.agenerate("sem:chat", "Can I take 2 tablets of aspirin a day?")
    more = await client.agenerate("sem:chat", "Can I take 20 tablets of aspirin a day?")
    assert not unsafe.cached
    assert not negated.cached
    assert not more.cached
    assert len(backend.chats) == 5


async def test_without_the_guard_a_near_miss_negation_is_served() -> None:
    """The documented failure mode: this is what the guard is for."""
    client, backend, _ = make(guard=None, threshold=0.8)
    await client.agenerate("sem:chat", "Is aspirin safe for young children under twelve?")
    wrong = await client.agenerate("sem:chat", "Is aspirin unsafe for young children under twelve?")
    assert wrong.cached
    assert len(backend.chats) == 1


async def test_an_unrelated_question_is_a_miss_and_the_threshold_decides() -> None:
    client, _backend, _ = make()
    await client.agenerate("sem:chat", "What is the capital of France?")
    other = await client.agenerate("sem:chat", "How do I bake sourdough bread?")
    assert not other.cached
    strict, strict_backend, _ = make(threshold=1.0)
    await strict.agenerate("sem:chat", "What is the capital of France?")
    near = await strict.agenerate("sem:chat", "So what is the capital of France?")
    assert not near.cached
    assert len(strict_backend.chats) == 2


async def test_entries_expire() -> None:
    client, backend, _cache = make(ttl=0.05)
    await client.agenerate("sem:chat", "What is the capital of France?")
    assert (await client.agenerate("sem:chat", "What is the capital of France?")).cached
    await asyncio.sleep(0.1)
    late = await client.agenerate("sem:chat", "What is the capital of France?")
    assert not late.cached
    assert len(backend.chats) == 2


async def test_a_stream_is_answered_from_the_semantic_cache() -> None:
    client, backend, _ = make()
    await client.agenerate("sem:chat", "What is the capital of France?")
    stream = client.astream("sem:chat", "what is the capital of france")
    text = "".join([getattr(event, "text", "") async for event in stream])
    response = await stream.response()
    assert text == response.text == "answer 1"
    assert response.cached
    assert response.similarity is not None
    assert len(backend.chats) == 1


async def test_embedding_the_question_is_a_normal_call_and_happens_once_per_call() -> None:
    """The question is embedded once per call (the vector of a miss is reused to store the
    answer), through the client: its cost is the client's."""
    client, backend, _ = make()
    await client.agenerate("sem:chat", "What is the capital of France?")
    await client.agenerate("sem:chat", "what is the capital of france")
    assert backend.embedded == ["What is the capital of France?", "what is the capital of france"]
    assert client.usage.input_tokens == 10 + 8 + 8  # one chat, two embeddings
    assert client.cost.total == pytest.approx((10 + 5 + 16) * 1e-6)


async def test_tool_results_and_images_are_not_compared_by_meaning() -> None:
    client, backend, _ = make()
    messages = [
        Message.user("weather?"),
        Message("assistant", (ToolCallPart("call-1", "weather", {}),)),
        Message("tool", (ToolResultPart("call-1", "sunny"),)),
    ]
    await client.agenerate("sem:chat", messages=messages)
    await client.agenerate("sem:chat", messages=messages)
    assert len(backend.chats) == 2
    assert backend.embedded == []


async def test_a_failing_embedder_leaves_the_call_uncached() -> None:
    client, backend, _ = make()

    async def broken(request: EmbedRequest) -> EmbedResponse:
        raise RuntimeError("embedder down")

    backend.embed = broken  # type: ignore[method-assign]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reply = await client.agenerate("sem:chat", "What is the capital of France?")
    assert reply.text == "answer 1"
    assert any("embedder down" in str(w.message) for w in caught)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(RequestValidationError, match="provider:model"):
        SemanticCache("e5-small")
    with pytest.raises(RequestValidationError, match="threshold"):
        SemanticCache("local:e5", threshold=1.5)
    with pytest.raises(RequestValidationError, match="candidates"):
        SemanticCache("local:e5", candidates=0)


async def test_the_default_store_is_the_clients_memory_store() -> None:
    backend = Backend()
    pm = PluginManager()
    pm.register(backend)
    cache = SemanticCache("sem:embed", "memory://semantic-test", threshold=0.9)
    async with Client(plugins=pm, cache=cache, retries=1) as client:
        await client.agenerate("sem:chat", "What is the capital of France?")
        assert (await client.agenerate("sem:chat", "What is the capital of France?")).cached
        await cache.clear()
        assert not (await client.agenerate("sem:chat", "What is the capital of France?")).cached


@pytest.mark.parametrize(
    ("question", "cached_question"),
    [
        ("Is X safe?", "Is X unsafe?"),
        ("Is it legal to park here?", "Is it illegal to park here?"),
        ("Can I do this?", "Can't I do this?"),
        ("Should I do this?", "Should I not do this?"),
        ("Do you like cats?", "Don\u2019t you like cats?"),
        ("What is 2 + 2?", "What is 2 + 3?"),
        ("Set a timer for ten minutes", "Set a timer for two minutes"),
        ("Price of 1,000 shares", "Price of 100 shares"),
        ("Is the file possible to open?", "Is the file impossible to open?"),
    ],
)
def test_the_guard_refuses_opposites(question: str, cached_question: str) -> None:
    assert meaning_differs(question, cached_question)
    assert meaning_differs(cached_question, question)


@pytest.mark.parametrize(
    ("question", "cached_question"),
    [
        ("What is the capital of France?", "what's the capital of France"),
        ("Summarise this text", "Please summarise this text"),
        ("Price of 1,000 shares", "Price of 1000 shares"),
        ("Is the universe infinite?", "Is our universe infinite?"),  # "universe" is not un- + "iverse"
    ],
)
def test_the_guard_lets_paraphrases_through(question: str, cached_question: str) -> None:
    assert not meaning_differs(question, cached_question)


async def test_memory_store_scores_are_cosine() -> None:
    from lluminary.sdk import Record

    store = MemoryStore()
    await store.upsert([Record("a", [1.0, 0.0]), Record("b", [1.0, 1.0], {"k": 1})])
    found = await store.query([2.0, 0.0], top_k=2)
    assert [m.id for m in found] == ["a", "b"]
    assert found[0].score == pytest.approx(1.0)
    assert found[1].score == pytest.approx(1 / math.sqrt(2))
    assert [m.id for m in await store.query([1.0, 0.0], filter={"k": {"$gte": 1}})] == ["b"]
    with pytest.raises(RequestValidationError, match="2-dimensional"):
        await store.upsert([Record("c", [1.0, 2.0, 3.0])])
    with pytest.raises(RequestValidationError, match="all zeros"):
        await store.query([0.0, 0.0])
    await store.delete(["a", "missing"])
    assert await store.count() == 1
