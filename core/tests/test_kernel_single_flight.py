"""Single flight: identical calls in flight at once reach the provider once; the others get that
answer as a cache hit, and never inherit its failure, cancellation or early close."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest

from lluminary import Client, RateLimitError
from lluminary._plugins import PluginManager
from lluminary.sdk import (
    ChatRequest,
    ChatResponse,
    Cost,
    EmbedRequest,
    EmbedResponse,
    Finish,
    Message,
    ModelInfo,
    Provider,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)

PRICE = ModelInfo("gated:m", input_price=1.0, output_price=1.0)


class Gated(Provider):
    """Answers only once :attr:`gate` is open, so calls overlap; fails while :attr:`failures` lasts."""

    name = "gated"
    prefixes = ("gated",)

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.arrived = asyncio.Event()
        self.calls = 0
        self.failures = 0

    async def _admit(self) -> None:
        self.calls += 1
        self.arrived.set()
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise RateLimitError("slow down", provider="gated")

    async def generate(self, request: ChatRequest) -> ChatResponse:
        await self._admit()
        return ChatResponse(Message("assistant", (TextPart("the answer"),)), "stop", usage=Usage(1000, 1000))

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        await self._admit()
        for piece in ("the ", "answer"):
            yield TextDelta(piece)
            await asyncio.sleep(0)
        yield UsageEvent(Usage(1000, 1000))
        yield Finish("stop")

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        await self._admit()
        return EmbedResponse([[1.0, 0.0]] * len(request.inputs), usage=Usage(10))

    def models(self) -> list[ModelInfo]:
        return [PRICE]


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def make(**kwargs: object) -> tuple[Client, Gated]:
    provider = Gated()
    pm = PluginManager()
    pm.register(provider)
    return Client(plugins=pm, cache="memory://?single-flight", retries=1, **kwargs), provider  # type: ignore[arg-type]


async def called(provider: Gated, calls: int) -> None:
    """Wait until the provider has been called ``calls`` times."""
    while provider.calls < calls:
        provider.arrived.clear()
        await provider.arrived.wait()


async def open_gate_when(provider: Gated, calls: int) -> None:
    await called(provider, calls)
    for _ in range(20):  # let the followers reach their wait
        await asyncio.sleep(0)
    provider.gate.set()


async def streamed_text(client: Client, prompt: str) -> ChatResponse:
    stream = client.astream("gated:m", prompt)
    async with stream:
        text = "".join([event.text async for event in stream if isinstance(event, TextDelta)])
    response = await stream.response()
    assert response.text == text
    return response


async def test_a_hundred_identical_calls_reach_the_provider_once() -> None:
    client, provider = make()
    replies, _ = await asyncio.gather(
        asyncio.gather(*(client.agenerate("gated:m", "same question") for _ in range(100))),
        open_gate_when(provider, 1),
    )
    assert provider.calls == 1
    assert {reply.text for reply in replies} == {"the answer"}
    bought = [reply for reply in replies if not reply.cached]
    assert len(bought) == 1
    for reply in replies:
        if reply.cached:
            assert reply.cost == Cost()
            assert reply.saved == bought[0].cost
    assert client.calls == 1
    assert client.cost == bought[0].cost


async def test_streams_and_generates_share_one_flight() -> None:
    client, provider = make()
    results, _ = await asyncio.gather(
        asyncio.gather(
            streamed_text(client, "same question"),
            client.agenerate("gated:m", "same question"),
            streamed_text(client, "same question"),
        ),
        open_gate_when(provider, 1),
    )
    assert provider.calls == 1
    assert [r.text for r in results] == ["the answer"] * 3
    assert sum(not r.cached for r in results) == 1


async def test_embeddings_share_one_flight() -> None:
    client, provider = make()
    results, _ = await asyncio.gather(
        asyncio.gather(*(client.aembed("gated:m", ["a", "b"]) for _ in range(4))),
        open_gate_when(provider, 1),
    )
    assert provider.calls == 1
    assert [r.embeddings for r in results] == [[[1.0, 0.0], [1.0, 0.0]]] * 4


async def test_different_questions_and_uncached_calls_do_not_wait() -> None:
    client, provider = make()
    await asyncio.gather(
        client.agenerate("gated:m", "one"),
        client.agenerate("gated:m", "two"),
        client.agenerate("gated:m", "one", cache=False),
        open_gate_when(provider, 3),
    )
    assert provider.calls == 3


async def test_a_failed_call_fails_its_waiters_and_caches_nothing() -> None:
    """The call in flight fails (no retries): the calls waiting for it fail with its error, each
    with a copy of its own; nothing is cached, so the next call goes to the provider."""
    client, provider = make()
    provider.failures = 1
    results, _ = await asyncio.gather(
        asyncio.gather(*(client.agenerate("gated:m", "same") for _ in range(5)), return_exceptions=True),
        open_gate_when(provider, 1),
    )
    assert all(isinstance(r, RateLimitError) for r in results)
    assert len({id(r) for r in results}) == 5
    assert provider.calls == 1
    assert (await client.agenerate("gated:m", "same")).text == "the answer"
    assert provider.calls == 2


async def test_a_cancelled_call_hands_over_to_a_waiter() -> None:
    client, provider = make()
    first = asyncio.create_task(client.agenerate("gated:m", "same"))
    await called(provider, 1)
    second = asyncio.create_task(client.agenerate("gated:m", "same"))
    for _ in range(10):
        await asyncio.sleep(0)
    first.cancel()
    await asyncio.gather(open_gate_when(provider, 2))
    assert (await second).text == "the answer"
    assert provider.calls == 2
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_a_stream_left_early_hands_over_to_a_waiter() -> None:
    client, provider = make()
    provider.gate.set()
    stream = client.astream("gated:m", "same")
    await stream.__anext__()  # in flight, one event read
    waiter = asyncio.create_task(client.agenerate("gated:m", "same"))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not waiter.done()
    await stream.aclose()  # left before the end: no answer to share
    reply = await asyncio.wait_for(waiter, 5)
    assert reply.text == "the answer"
    assert not reply.cached
    assert provider.calls == 2


async def test_a_stream_dropped_unread_frees_its_waiters() -> None:
    client, provider = make()
    provider.gate.set()
    stream = client.astream("gated:m", "same")
    await stream.__anext__()
    waiter = asyncio.create_task(client.agenerate("gated:m", "same"))
    for _ in range(10):
        await asyncio.sleep(0)
    del stream
    gc.collect()
    reply = await asyncio.wait_for(waiter, 5)
    assert reply.text == "the answer"
    assert provider.calls == 2


async def test_a_waiter_that_is_cancelled_leaves_the_flight_alone() -> None:
    client, provider = make()
    first = asyncio.create_task(client.agenerate("gated:m", "same"))
    second = asyncio.create_task(client.agenerate("gated:m", "same"))
    await called(provider, 1)
    for _ in range(10):
        await asyncio.sleep(0)
    second.cancel()
    provider.gate.set()
    assert (await first).text == "the answer"
    with pytest.raises(asyncio.CancelledError):
        await second
    assert provider.calls == 1
