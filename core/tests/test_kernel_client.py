"""The client middleware, driven through the real hooks by the scripted provider.

Every test builds its own :class:`PluginManager`, registers real plugin objects on it and goes
through the public ``Client`` API: nothing of the kernel is patched.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

import lluminary
from lluminary import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BudgetExceededError,
    Client,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidRequestError,
    LluminaryError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    PluginError,
    Provider,
    RateLimitError,
    RequestValidationError,
    RetryPolicy,
    ServerError,
    UnknownProviderError,
    UnsupportedError,
)
from lluminary._cache import cache_key
from lluminary._client import CacheWarning, TraceWarning
from lluminary._plugins import PluginManager
from lluminary._requests import build_chat_request
from lluminary._scripted import ScriptedProvider
from lluminary._streaming import events_from_response
from lluminary._types import (
    ChatRequest,
    ChatResponse,
    Cost,
    EmbedResponse,
    Finish,
    Message,
    ModelInfo,
    PriceTier,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallStart,
    ToolResultPart,
    TraceEvent,
    Usage,
    UsageEvent,
)


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the plugins each test registers: the ones installed in this environment stay out."""
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


FAST = RetryPolicy(max_attempts=3, initial_delay=0.001, max_delay=0.002)


def reply(text: str = "Hello!", *, usage: Usage | None = None, model: str = "m") -> ChatResponse:
    return ChatResponse(
        Message("assistant", (TextPart(text),)),
        "stop",
        "end_turn",
        usage or Usage(12, 3),
        model=model,
        provider="scripted",
        id="resp-1",
    )


def tool_events() -> list[Any]:
    """A streamed answer with reasoning, text and two parallel tool calls."""
    return [
        ReasoningDelta("Two lookups."),
        ReasoningDelta("", signature="sig"),
        TextDelta("Let me "),
        TextDelta("check."),
        ToolCallStart(0, "call_0", "weather"),
        ToolCallStart(1, "call_1", "time"),
        ToolCallDelta(0, '{"city": '),
        ToolCallDelta(1, '{"tz": "UTC"}'),
        ToolCallDelta(0, '"Paris"}'),
        UsageEvent(Usage(30, 20, reasoning_tokens=5)),
        Finish("tool_calls", "tool_use", "m", "resp-2"),
    ]


def make(
    *script: Any, models: tuple[ModelInfo, ...] = (), **client_kwargs: Any
) -> tuple[Client, ScriptedProvider, PluginManager]:
    pm = PluginManager()
    provider = ScriptedProvider("scripted", script, models=models)
    pm.register(provider)
    client_kwargs.setdefault("retries", FAST)
    return Client(plugins=pm, **client_kwargs), provider, pm


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


class Recorder:
    """A real exporter plugin: it implements ``lluminary_trace`` and keeps what it receives."""

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []

    @lluminary.hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        self.events.append(event)

    @property
    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


# --------------------------------------------------------------------------- generate / stream / embed


async def test_agenerate_returns_the_providers_answer() -> None:
    client, provider, _ = make(reply())
    response = await client.agenerate("scripted:m", "Hi there", system="Be brief", temperature=0.2)
    assert response == reply()
    assert response.cached is False
    (request,) = provider.requests
    assert isinstance(request, ChatRequest)
    assert request.model == "scripted:m"
    assert request.messages == (Message.user("Hi there"),)
    assert request.system == "Be brief"
    assert request.temperature == 0.2
    assert client.calls == 1
    assert client.usage == Usage(12, 3)


def test_generate_sync() -> None:
    client, provider, _ = make(reply("sync"))
    assert client.generate("scripted:m", "Hi").text == "sync"
    assert client.generate("scripted:m", "echo me").text == "echo me"  # script used up: the provider echoes
    assert len(provider.requests) == 2


async def test_messages_and_prompt_combine() -> None:
    client, provider, _ = make()
    history = [
        {"role": "user", "content": "What is 2+2?"},
        Message.assistant("4"),
    ]
    response = await client.agenerate("scripted:m", "And 3+3?", messages=history)
    assert response.text == "And 3+3?"
    request = provider.requests[0]
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]  # type: ignore[union-attr]


@pytest.mark.parametrize("script", [reply(), tool_events()], ids=["response", "events"])
async def test_stream_accumulates_to_the_non_streamed_response(script: Any) -> None:
    client, provider, _ = make(script, script)
    generated = await client.agenerate("scripted:m", "Hi")
    stream = client.astream("scripted:m", "Hi")
    events = await collect(stream)
    streamed = await stream.response()
    assert streamed == generated
    assert isinstance(events[-1], Finish)
    assert stream.text == generated.text
    if isinstance(script, ChatResponse):
        assert events == list(events_from_response(script))
    else:
        assert events == script
        assert [c.arguments for c in streamed.tool_calls] == [{"city": "Paris"}, {"tz": "UTC"}]
    assert len(provider.requests) == 2


async def test_stream_response_drains_an_unread_stream() -> None:
    client, _, _ = make(tool_events())
    response = await client.astream("scripted:m", "Hi").response()
    assert response.text == "Let me check."
    assert response.finish_reason == "tool_calls"


async def test_text_stream_yields_only_text() -> None:
    client, _, _ = make(tool_events())
    stream = client.astream("scripted:m", "Hi")
    assert [t async for t in stream.text_stream()] == ["Let me ", "check."]
    assert (await stream.response()).text == "Let me check."


def test_stream_sync() -> None:
    client, _, _ = make(tool_events(), tool_events())
    generated = client.generate("scripted:m", "Hi")
    with client.stream("scripted:m", "Hi") as stream:
        events = list(stream)
        assert events == tool_events()
        assert stream.text == "Let me check."
        assert stream.response() == generated


def test_stream_sync_raises_the_providers_error_in_the_callers_thread() -> None:
    client, _, _ = make([TextDelta("partial"), InvalidRequestError("bad", provider="scripted")])
    stream = client.stream("scripted:m", "Hi")
    assert next(stream) == TextDelta("partial")
    with pytest.raises(InvalidRequestError, match="bad"):
        next(stream)
    with pytest.raises(StopIteration):
        next(stream)


async def test_aembed_and_embed() -> None:
    client, provider, _ = make()
    response = await client.aembed("scripted:emb", ["a cat", "a dog", "a cat"], dimensions=4)
    assert isinstance(response, EmbedResponse)
    assert len(response.embeddings) == 3
    assert all(len(v) == 4 for v in response.embeddings)
    assert response.embeddings[0] == response.embeddings[2] != response.embeddings[1]
    assert response.provider == "scripted"
    assert response.usage == Usage(input_tokens=6)
    single = client.embed("scripted:emb", "a cat", dimensions=4)
    assert single.embeddings == [response.embeddings[0]]
    assert len(provider.requests) == 2


async def test_embed_on_a_provider_without_embeddings_is_unsupported() -> None:
    class ChatOnly(Provider):
        name = "chatonly"

        async def generate(self, request: ChatRequest) -> ChatResponse:
            return reply()

    pm = PluginManager()
    pm.register(ChatOnly())
    client = Client(plugins=pm)
    assert (await client.agenerate("chatonly:m", "Hi")).text == "Hello!"
    with pytest.raises(UnsupportedError, match="embeddings"):
        await client.aembed("chatonly:m", "Hi")


async def test_a_generate_only_provider_streams_and_a_stream_only_provider_generates() -> None:
    class GenerateOnly(Provider):
        name = "gen"

        async def generate(self, request: ChatRequest) -> ChatResponse:
            return reply("from generate")

    class StreamOnly(Provider):
        name = "str"

        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            yield TextDelta("from ")
            yield TextDelta("stream")
            yield Finish("stop")

    pm = PluginManager()
    pm.register(GenerateOnly())
    pm.register(StreamOnly())
    client = Client(plugins=pm)
    assert (await client.astream("gen:m", "Hi").response()).text == "from generate"
    assert (await client.agenerate("str:m", "Hi")).text == "from stream"


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("slow down", provider="scripted", status=429),
        ServerError("boom", provider="scripted", status=500),
        OverloadedError("busy", provider="scripted", status=529),
        APITimeoutError("timeout", provider="scripted"),
        APIConnectionError("reset", provider="scripted"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_retryable_errors_are_retried(error: Exception) -> None:
    client, provider, _ = make(error, error, reply())
    assert (await client.agenerate("scripted:m", "Hi")) == reply()
    assert len(provider.requests) == 3


async def test_retries_stop_after_max_attempts() -> None:
    client, provider, _ = make(*[ServerError(f"boom {i}") for i in range(5)])
    with pytest.raises(ServerError, match="boom 2"):
        await client.agenerate("scripted:m", "Hi")
    assert len(provider.requests) == 3


async def test_retries_as_a_number_of_attempts() -> None:
    client, provider, _ = make(ServerError("a"), ServerError("b"), reply(), retries=1)
    with pytest.raises(ServerError):
        await client.agenerate("scripted:m", "Hi")
    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequestError("bad request", status=400),
        AuthenticationError("bad key", status=401),
        PermissionDeniedError("no", status=403),
        NotFoundError("no such model", status=404),
        ContextLengthExceededError("too long", status=400),
        ContentFilteredError("refused"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_non_retryable_errors_raise_at_once(error: Exception) -> None:
    client, provider, _ = make(error, reply())
    with pytest.raises(type(error)):
        await client.agenerate("scripted:m", "Hi")
    assert len(provider.requests) == 1


async def test_retry_after_is_honoured() -> None:
    wait = 0.05
    client, provider, _ = make(
        RateLimitError("429", retry_after=wait),
        RateLimitError("429", retry_after=wait),
        reply(),
        retries=RetryPolicy(max_attempts=3, initial_delay=0.0001, max_delay=0.0001),
    )
    started = time.perf_counter()
    await client.agenerate("scripted:m", "Hi")
    assert time.perf_counter() - started >= 2 * wait - 0.005  # the loop's clock may round a hair early
    assert len(provider.requests) == 3


async def test_retry_after_above_the_maximum_raises_at_once() -> None:
    client, provider, _ = make(
        RateLimitError("come back in an hour", retry_after=3600),
        reply(),
        retries=RetryPolicy(max_attempts=5, initial_delay=0.001, max_retry_after=30),
    )
    started = time.perf_counter()
    with pytest.raises(RateLimitError) as info:
        await client.agenerate("scripted:m", "Hi")
    assert info.value.retry_after == 3600
    assert time.perf_counter() - started < 1
    assert len(provider.requests) == 1


def test_retry_policy_backoff_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(max_attempts=10, initial_delay=0.5, max_delay=4.0, multiplier=2.0)
    error = ServerError("x")
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = {policy.delay(error, attempt) for _ in range(50)}
        assert all(0 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter
    assert policy.delay(RateLimitError("x", retry_after=7.5), 1) == 7.5
    assert not policy.should_retry(ServerError("x"), 10)
    assert not policy.should_retry(ValueError("x"), 1)


async def test_stream_retries_before_the_first_event() -> None:
    client, provider, _ = make(ServerError("down"), [APIConnectionError("reset")], tool_events())
    events = await collect(client.astream("scripted:m", "Hi"))
    assert events == tool_events()
    assert len(provider.requests) == 3


# --------------------------------------------------------------------------- fallbacks


def two_providers(
    primary_script: list[Any], backup_script: list[Any], **client_kwargs: Any
) -> tuple[Client, ScriptedProvider, ScriptedProvider]:
    pm = PluginManager()
    primary = ScriptedProvider("primary", primary_script)
    backup = ScriptedProvider("backup", backup_script)
    pm.register(primary)
    pm.register(backup)
    client_kwargs.setdefault("retries", FAST)
    return Client(plugins=pm, **client_kwargs), primary, backup


async def test_generate_falls_back_after_retries_are_exhausted() -> None:
    client, primary, backup = two_providers(
        [ServerError("1"), ServerError("2"), ServerError("3")], [reply("from backup")], fallbacks=["backup:m2"]
    )
    response = await client.agenerate("primary:m1", "Hi")
    assert response.text == "from backup"
    assert response.provider == "backup"
    assert len(primary.requests) == 3
    assert [r.model for r in backup.requests] == ["backup:m2"]
    assert backup.requests[0].messages == primary.requests[0].messages  # type: ignore[union-attr]


async def test_generate_falls_back_on_a_non_retryable_error_without_retrying() -> None:
    client, primary, _ = two_providers([AuthenticationError("bad key")], [reply("ok")])
    response = await client.agenerate("primary:m", "Hi", fallbacks=["backup:m"])
    assert response.text == "ok"
    assert len(primary.requests) == 1


async def test_per_call_fallbacks_replace_the_clients() -> None:
    client, _, backup = two_providers([AuthenticationError("x")], [reply()], fallbacks=["backup:m"])
    with pytest.raises(AuthenticationError):
        await client.agenerate("primary:m", "Hi", fallbacks=[])
    assert backup.requests == []


async def test_when_every_model_fails_the_last_error_is_raised() -> None:
    client, _, _ = two_providers([AuthenticationError("primary")], [NotFoundError("backup")])
    with pytest.raises(NotFoundError, match="backup"):
        await client.agenerate("primary:m", "Hi", fallbacks=["backup:m"])


async def test_stream_falls_back_when_it_fails_before_its_first_event() -> None:
    client, primary, backup = two_providers(
        [[ServerError("failed before any event")]], [tool_events()], retries=1, fallbacks=["backup:m"]
    )
    stream = client.astream("primary:m", "Hi")
    events = await collect(stream)
    assert events == tool_events()
    response = await stream.response()
    assert response.provider == "backup"
    assert len(primary.requests) == 1
    assert len(backup.requests) == 1
    assert primary.closed_streams == 1


async def test_stream_falls_back_when_the_call_itself_fails() -> None:
    client, _, _ = two_providers([AuthenticationError("bad key")], [reply("ok")])
    assert (await client.astream("primary:m", "Hi", fallbacks=["backup:m"]).response()).text == "ok"


async def test_stream_failing_after_its_first_event_raises_without_fallback() -> None:
    client, primary, backup = two_providers(
        [[TextDelta("half an ans"), APIConnectionError("connection dropped")]], [reply()], fallbacks=["backup:m"]
    )
    stream = client.astream("primary:m", "Hi")
    assert await anext(stream) == TextDelta("half an ans")
    with pytest.raises(APIConnectionError, match="connection dropped"):
        await anext(stream)
    assert backup.requests == []
    assert len(primary.requests) == 1  # no retry either: the caller already has part of the answer
    with pytest.raises(LluminaryError, match="closed before it finished"):
        await stream.response()


async def test_unknown_fallback_provider_is_reported() -> None:
    client, _, _ = two_providers([AuthenticationError("x")], [])
    with pytest.raises(UnknownProviderError, match="nosuch"):
        await client.agenerate("primary:m", "Hi", fallbacks=["nosuch:m"])


# --------------------------------------------------------------------------- cost and budget

PRICED = ModelInfo(
    "scripted:m",
    input_price=1.0,
    output_price=2.0,
    cache_read_price=0.1,
    cache_write_price=1.25,
    reasoning_price=3.0,
)
# 1M input of which 200k cache reads and 100k cache writes; 500k output of which 100k reasoning.
BIG_USAGE = Usage(1_000_000, 500_000, cache_read_tokens=200_000, cache_write_tokens=100_000, reasoning_tokens=100_000)
BIG_COST = (0.7, 0.4 * 2.0 + 0.1 * 3.0, 0.02, 0.125)


def approx_cost(cost: Cost | None) -> Any:
    assert cost is not None
    return attrs.astuple(cost)


async def test_cost_prices_cache_and_reasoning_tokens() -> None:
    client, _, _ = make(reply(usage=BIG_USAGE), reply(usage=BIG_USAGE), models=(PRICED,))
    response = await client.agenerate("scripted:m", "Hi")
    assert approx_cost(response.cost) == pytest.approx(BIG_COST)
    assert response.cost is not None
    assert response.cost.total == pytest.approx(sum(BIG_COST))
    streamed = await client.astream("scripted:m", "Hi").response()
    assert streamed.cost == response.cost
    assert client.usage == BIG_USAGE + BIG_USAGE
    assert client.cost.total == pytest.approx(2 * sum(BIG_COST))
    assert client.calls == 2


async def test_cost_without_cache_and_reasoning_prices_falls_back_to_input_and_output() -> None:
    plain = ModelInfo("scripted:m", input_price=1.0, output_price=2.0)
    client, _, _ = make(reply(usage=BIG_USAGE), models=(plain,))
    response = await client.agenerate("scripted:m", "Hi")
    assert approx_cost(response.cost) == pytest.approx((0.7, 1.0, 0.2, 0.1))


async def test_cost_for_snapshots_and_provider_wide_prices() -> None:
    wildcard = ModelInfo("scripted:*", input_price=10.0, output_price=10.0)
    usage = Usage(100_000, 100_000)
    client, _, _ = make(reply(usage=usage), reply(usage=usage), reply(usage=usage), models=(PRICED, wildcard))
    snapshot = await client.agenerate("scripted:m-2024-08-06", "Hi")
    assert approx_cost(snapshot.cost) == pytest.approx((0.1, 0.2, 0.0, 0.0))
    other = await client.agenerate("scripted:other", "Hi")
    assert approx_cost(other.cost) == pytest.approx((1.0, 1.0, 0.0, 0.0))
    assert client.model_info("scripted:m") == PRICED
    assert {m.id for m in client.models()} == {"scripted:m", "scripted:*"}


async def test_long_prompt_tiers_price_the_whole_call() -> None:
    """The highest tier the prompt is above prices every token of the call; missing tier prices
    keep the base price; the budget's reservation uses the tier too."""
    tiered = ModelInfo(
        "scripted:m",
        input_price=1.0,
        output_price=2.0,
        tiers=(PriceTier(1_000, input_price=3.0), PriceTier(100, input_price=1.5, output_price=4.0)),
    )
    client, _, _ = make(
        reply(usage=Usage(100, 10)), reply(usage=Usage(101, 10)), reply(usage=Usage(5_000, 10)), models=(tiered,)
    )
    at_limit, over, far_over = [await client.agenerate("scripted:m", "Hi") for _ in range(3)]
    assert approx_cost(at_limit.cost) == pytest.approx((100e-6, 20e-6, 0.0, 0.0))
    assert approx_cost(over.cost) == pytest.approx((101 * 1.5e-6, 40e-6, 0.0, 0.0))
    assert approx_cost(far_over.cost) == pytest.approx((5_000 * 3e-6, 20e-6, 0.0, 0.0))  # output: base price
    ledger = Client(plugins=client.plugins, budget=1.0).ledger
    long_prompt = ChatRequest("scripted:m", [Message.user("x" * 8_000)], max_tokens=10)
    assert ledger.reserve(long_prompt) == pytest.approx((2_001 + 16 // 4) * 3e-6 + 10 * 2e-6, rel=0.01)


async def test_plugins_price_ids_the_catalogue_cannot_list() -> None:
    """An id no catalogue lists (an ARN) is priced by the provider's ``model_info``, asked once."""
    asked: list[str] = []

    class Deployments(ScriptedProvider):
        def model_info(self, model: str) -> ModelInfo | None:
            asked.append(model)
            return ModelInfo(model, input_price=1.0, output_price=1.0) if model.endswith("/m") else None

    pm = PluginManager()
    pm.register(Deployments("scripted", [reply(usage=Usage(1_000, 1_000))] * 3))
    client = Client(plugins=pm, cache=False)
    for _ in range(2):
        response = await client.agenerate("scripted:arn:deployment/m", "Hi")
        assert approx_cost(response.cost) == pytest.approx((1e-3, 1e-3, 0.0, 0.0))
    assert (await client.agenerate("scripted:arn:deployment/opaque", "Hi")).cost is None
    assert asked == ["scripted:arn:deployment/m", "scripted:arn:deployment/opaque"]


async def test_unknown_prices_give_no_cost() -> None:
    client, _, _ = make(reply())
    response = await client.agenerate("scripted:m", "Hi")
    assert response.cost is None
    assert client.cost == Cost()


async def test_catalogue_follows_plugin_registration() -> None:
    client, _, pm = make(reply(usage=BIG_USAGE), reply(usage=BIG_USAGE))
    assert (await client.agenerate("scripted:m", "Hi")).cost is None
    pm.register(ScriptedProvider("pricing", models=[PRICED]))
    assert (await client.agenerate("scripted:m", "Hi")).cost is not None


async def test_embedding_cost() -> None:
    info = ModelInfo("scripted:emb", input_price=0.02, kind="embedding")
    client, _, _ = make(models=(info,))
    response = await client.aembed("scripted:emb", ["one two three"] * 1000)
    assert approx_cost(response.cost) == pytest.approx((3000 * 0.02e-6, 0.0, 0.0, 0.0))


async def test_budget_stops_calls_once_spent() -> None:
    client, provider, _ = make(reply(usage=BIG_USAGE), reply(), models=(PRICED,), budget=1.0)
    await client.agenerate("scripted:m", "Hi")  # ~$1.95: allowed, it was under budget when it started
    with pytest.raises(BudgetExceededError) as info:
        await client.agenerate("scripted:m", "Hi")
    assert info.value.budget == 1.0
    assert info.value.spent == pytest.approx(sum(BIG_COST))
    with pytest.raises(BudgetExceededError):
        await client.astream("scripted:m", "Hi").response()
    with pytest.raises(BudgetExceededError):
        await client.aembed("scripted:m", "Hi")
    assert len(provider.requests) == 1


# --------------------------------------------------------------------------- tracing


async def test_no_exporter_means_no_tracing() -> None:
    client, _, pm = make()
    assert client.tracing is False
    recorder = Recorder()
    pm.register(recorder)
    assert client.tracing is True
    pm.unregister(recorder)
    assert client.tracing is False


async def test_trace_of_a_generate_call() -> None:
    client, _, pm = make(reply(usage=BIG_USAGE), models=(PRICED,))
    recorder = Recorder()
    pm.register(recorder)
    response = await client.agenerate("scripted:m", "Hi", metadata={"user": "u1"})
    assert recorder.kinds == ["start", "end"]
    start, end = recorder.events
    assert start.call_id == end.call_id != ""
    assert start.operation == end.operation == "generate"
    assert start.model == end.model == "scripted:m"
    assert start.metadata == {"user": "u1"}
    assert start.duration is None
    assert end.duration is not None
    assert end.duration >= 0
    assert end.time >= start.time
    assert end.usage == BIG_USAGE
    assert end.cost == response.cost


async def test_trace_of_retries_and_failures() -> None:
    client, _, pm = make(ServerError("flaky"), AuthenticationError("bad key sk-abcdefghijklmnop"))
    recorder = Recorder()
    pm.register(recorder)
    with pytest.raises(AuthenticationError):
        await client.agenerate("scripted:m", "Hi")
    assert recorder.kinds == ["start", "error", "start", "error"]
    assert [e.attempt for e in recorder.events] == [1, 1, 2, 2]
    assert recorder.events[1].error_type == "ServerError"
    assert recorder.events[3].error_type == "AuthenticationError"
    assert recorder.events[3].error is not None
    assert "sk-abcdefghijklmnop" not in recorder.events[3].error
    assert len({e.call_id for e in recorder.events}) == 1


async def test_trace_of_a_stream() -> None:
    client, _, pm = make(tool_events())
    recorder = Recorder()
    pm.register(recorder)
    await client.astream("scripted:m", "Hi", metadata={"user": "u2"}).response()
    assert recorder.kinds == ["start", "first_chunk", "end"]
    start, first, end = recorder.events
    assert start.operation == "stream"
    assert start.metadata == {"user": "u2"}
    assert first.duration is not None
    assert end.duration is not None
    assert end.duration >= first.duration
    assert end.usage == Usage(30, 20, reasoning_tokens=5)


async def test_trace_of_a_stream_that_fails_midway() -> None:
    client, _, pm = make([TextDelta("a"), APIConnectionError("dropped")])
    recorder = Recorder()
    pm.register(recorder)
    with pytest.raises(APIConnectionError):
        await client.astream("scripted:m", "Hi").response()
    assert recorder.kinds == ["start", "first_chunk", "error"]
    assert recorder.events[-1].error_type == "APIConnectionError"


async def test_trace_of_an_embed_call() -> None:
    client, _, pm = make(cache="memory://")
    recorder = Recorder()
    pm.register(recorder)
    await client.aembed("scripted:emb", "text")
    await client.aembed("scripted:emb", "text")
    assert recorder.kinds == ["start", "end", "cache_hit"]
    assert {e.operation for e in recorder.events} == {"embed"}


async def test_trace_of_cache_hits() -> None:
    client, _, pm = make(reply(), cache="memory://")
    recorder = Recorder()
    pm.register(recorder)
    await client.agenerate("scripted:m", "Hi")
    await client.agenerate("scripted:m", "Hi")
    await client.astream("scripted:m", "Hi").response()
    assert recorder.kinds == ["start", "end", "cache_hit", "cache_hit"]
    assert [e.operation for e in recorder.events[2:]] == ["generate", "stream"]


async def test_a_failing_exporter_warns_and_the_call_succeeds() -> None:
    class Broken:
        @lluminary.hookimpl
        def lluminary_trace(self, event: TraceEvent) -> None:
            raise RuntimeError("collector unreachable")

    client, _, pm = make(reply(), tool_events())
    healthy = Recorder()
    pm.register(healthy)
    pm.register(Broken())
    with pytest.warns(TraceWarning, match="collector unreachable"):
        assert await client.agenerate("scripted:m", "Hi") == reply()
    with pytest.warns(TraceWarning):
        assert (await client.astream("scripted:m", "Hi").response()).text == "Let me check."
    # One broken exporter does not starve the others.
    assert healthy.kinds == ["start", "end", "start", "first_chunk", "end"]


def test_exporters_are_loaded_by_name() -> None:
    pm = PluginManager()
    with pytest.raises(PluginError, match="pip install lluminary-nosuchexporter"):
        Client(plugins=pm, exporters=["nosuchexporter"])


# --------------------------------------------------------------------------- cache


async def test_second_identical_call_is_served_from_the_cache() -> None:
    client, provider, _ = make(reply("first"), reply("second"), cache="memory://")
    first = await client.agenerate("scripted:m", "Hi")
    second = await client.agenerate("scripted:m", "Hi")
    assert first.text == second.text == "first"
    assert first.cached is False
    assert second.cached is True
    assert attrs.evolve(second, cost=first.cost) == first  # the same answer
    assert second.cost == Cost()  # that cost nothing this time
    assert second.saved == first.cost
    assert len(provider.requests) == 1
    assert client.calls == 1  # a hit is not a provider call


async def test_cache_is_shared_by_clients_of_one_plugin_manager() -> None:
    client, provider, pm = make(reply(), cache="memory://")
    await client.agenerate("scripted:m", "Hi")
    other = Client(plugins=pm, cache="memory://")
    assert (await other.agenerate("scripted:m", "Hi")).cached is True
    assert len(provider.requests) == 1


async def test_a_cached_answer_replays_as_a_stream() -> None:
    client, provider, _ = make(tool_events(), cache="memory://")
    generated = await client.agenerate("scripted:m", "Hi")
    stream = client.astream("scripted:m", "Hi")
    events = await collect(stream)
    replayed = await stream.response()
    assert replayed.cached is True
    assert attrs.evolve(replayed, cost=generated.cost) == generated
    assert replayed.cost == Cost()
    assert events == list(events_from_response(generated))
    assert stream.text == "Let me check."
    assert len(provider.requests) == 1


async def test_a_stream_fills_the_cache() -> None:
    client, provider, _ = make(tool_events(), cache="memory://")
    streamed = await client.astream("scripted:m", "Hi").response()
    cached = await client.agenerate("scripted:m", "Hi")
    assert cached.cached is True
    assert attrs.evolve(cached, cost=streamed.cost) == streamed
    assert cached.saved == streamed.cost
    assert len(provider.requests) == 1


def test_a_cached_answer_replays_as_a_sync_stream() -> None:
    client, provider, _ = make(reply(), cache="memory://")
    client.generate("scripted:m", "Hi")
    with client.stream("scripted:m", "Hi") as stream:
        assert [type(e).__name__ for e in stream] == ["TextDelta", "UsageEvent", "Finish"]
        assert stream.response().cached is True
    assert len(provider.requests) == 1


async def test_cache_can_be_skipped_per_call() -> None:
    client, provider, _ = make(reply("a"), reply("b"), cache="memory://")
    await client.agenerate("scripted:m", "Hi")
    assert (await client.agenerate("scripted:m", "Hi", cache=False)).text == "b"
    assert len(provider.requests) == 2


async def test_cache_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_CACHE", "memory://")
    client, provider, _ = make(reply())
    await client.agenerate("scripted:m", "Hi")
    assert (await client.agenerate("scripted:m", "Hi")).cached is True
    assert len(provider.requests) == 1


async def test_no_cache_by_default() -> None:
    client, provider, _ = make(reply(), reply())
    await client.agenerate("scripted:m", "Hi")
    assert (await client.agenerate("scripted:m", "Hi")).cached is False
    assert len(provider.requests) == 2


async def test_embeddings_are_cached() -> None:
    client, provider, _ = make(cache="memory://")
    first = await client.aembed("scripted:emb", ["a", "b"])
    second = await client.aembed("scripted:emb", ["a", "b"])
    assert second.cached is True
    assert attrs.evolve(second, cost=first.cost) == first  # the same answer
    assert second.cost == Cost()  # that cost nothing this time
    assert second.saved == first.cost
    assert (await client.aembed("scripted:emb", ["a", "b"], dimensions=3)).cached is False
    assert len(provider.requests) == 2


async def test_memory_cache_entries_expire() -> None:
    client, provider, _ = make(cache="memory://", cache_ttl=0.2)
    await client.agenerate("scripted:m", "Hi")
    assert (await client.agenerate("scripted:m", "Hi")).cached is True
    await asyncio.sleep(0.25)
    assert (await client.agenerate("scripted:m", "Hi")).cached is False
    assert len(provider.requests) == 2


async def test_memory_cache_evicts_the_least_recently_used() -> None:
    client, provider, _ = make(cache="memory://?max_entries=2")
    for prompt in ("a", "b", "a", "c"):  # "a" is used again, so "b" is the least recently used
        await client.agenerate("scripted:m", prompt)
    assert (await client.agenerate("scripted:m", "a")).cached is True
    assert (await client.agenerate("scripted:m", "c")).cached is True
    assert (await client.agenerate("scripted:m", "b")).cached is False
    assert len(provider.requests) == 4


WEATHER = Tool("weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}})
BASE_CALL: dict[str, Any] = {"prompt": "Hi", "tools": [WEATHER]}
KEYED_CHANGES: dict[str, dict[str, Any]] = {
    "model": {"model": "scripted:other"},
    "prompt": {"prompt": "Hi!"},
    "history": {"messages": [Message.user("earlier"), Message.assistant("ok")]},
    "system": {"system": "Be terse"},
    "tools": {"tools": [WEATHER, Tool("time")]},
    "tool description": {"tools": [attrs.evolve(WEATHER, description="Forecast")]},
    "tool_choice": {"tool_choice": "weather"},
    "temperature": {"temperature": 0.0},
    "top_p": {"top_p": 0.5},
    "max_tokens": {"max_tokens": 10},
    "stop": {"stop": ["\n"]},
    "seed": {"seed": 7},
    "response_format": {"response_format": {"type": "object", "properties": {}}},
    "reasoning": {"reasoning": "high"},
    "options": {"options": {"scripted": {"logprobs": True}}},
    "base_url": {"base_url": "http://127.0.0.1:9/v1"},
}
UNKEYED_CHANGES: dict[str, dict[str, Any]] = {
    "metadata": {"metadata": {"user": "someone"}},
    "api_key": {"api_key": "sk-a-different-key-0123456789"},
    "timeout": {"timeout": 3.0},
}


async def _call(client: Client, changes: dict[str, Any]) -> ChatResponse:
    kwargs = {**BASE_CALL, **changes}
    model = kwargs.pop("model", "scripted:m")
    prompt = kwargs.pop("prompt")
    return await client.agenerate(model, prompt, **kwargs)


@pytest.mark.parametrize("changes", list(KEYED_CHANGES.values()), ids=list(KEYED_CHANGES))
async def test_cache_key_changes_with_every_output_determining_field(changes: dict[str, Any]) -> None:
    client, provider, _ = make(cache="memory://")
    await _call(client, {})
    assert (await _call(client, changes)).cached is False
    assert (await _call(client, {})).cached is True
    assert (await _call(client, changes)).cached is True
    assert len(provider.requests) == 2


@pytest.mark.parametrize("changes", list(UNKEYED_CHANGES.values()), ids=list(UNKEYED_CHANGES))
async def test_cache_key_ignores_fields_that_do_not_change_the_output(changes: dict[str, Any]) -> None:
    client, provider, _ = make(cache="memory://")
    await _call(client, {})
    assert (await _call(client, changes)).cached is True
    assert len(provider.requests) == 1


def test_cache_key_never_contains_the_api_key() -> None:
    key = "sk-this-must-not-leak-0123456789"
    with_key = build_chat_request("scripted:m", "Hi", api_key=key)
    assert cache_key(with_key) == cache_key(build_chat_request("scripted:m", "Hi"))
    assert key not in cache_key(with_key)
    assert cache_key(with_key).startswith("lluminary:v2:")


class FlakyBackend:
    """A cache backend whose server has gone away."""

    def __init__(self) -> None:
        self.attempts = 0

    async def get(self, key: str, *, request: Any = None) -> Any:
        self.attempts += 1
        raise ConnectionError("cache server went away")

    async def set(self, key: str, value: Any, *, request: Any = None, ttl: float | None = None) -> None:
        self.attempts += 1
        raise ConnectionError("cache server went away")

    async def clear(self) -> None:
        return None

    async def close(self) -> None:
        return None


class FlakyCachePlugin:
    def __init__(self) -> None:
        self.backend = FlakyBackend()

    @lluminary.hookimpl
    def lluminary_cache(self, url: str) -> Any:
        return self.backend if url.startswith("flaky:") else None


async def test_a_failing_cache_backend_warns_and_the_call_succeeds_uncached() -> None:
    client, provider, pm = make(reply("a"), reply("b"), tool_events(), cache="flaky://somewhere")
    plugin = FlakyCachePlugin()
    pm.register(plugin)
    with pytest.warns(CacheWarning, match="cache server went away") as record:
        first = await client.agenerate("scripted:m", "Hi")
    assert {str(w.message).split(":")[0] for w in record} == {
        "cache read failed, calling uncached",
        "cache write failed",
    }
    with pytest.warns(CacheWarning):
        second = await client.agenerate("scripted:m", "Hi")
    with pytest.warns(CacheWarning):
        streamed = await client.astream("scripted:m", "Hi").response()
    assert (first.text, second.text, streamed.text) == ("a", "b", "Let me check.")
    assert not second.cached
    assert len(provider.requests) == 3
    assert plugin.backend.attempts == 6


async def test_a_cache_backend_object_can_be_passed_directly() -> None:
    backend = FlakyBackend()
    client, _, _ = make(reply(), cache=backend)
    with pytest.warns(CacheWarning):
        assert (await client.agenerate("scripted:m", "Hi")).text == "Hello!"
    assert backend.attempts == 2


async def test_a_cache_url_nobody_serves_is_a_plugin_error() -> None:
    client, provider, _ = make(cache="nosuchcache://x")
    with pytest.raises(PluginError, match="pip install lluminary-nosuchcache"):
        await client.agenerate("scripted:m", "Hi")
    assert provider.requests == []


# --------------------------------------------------------------------------- closing streams early


async def test_early_closed_stream_closes_the_provider_iterator() -> None:
    client, provider, _ = make(tool_events())
    async with client.astream("scripted:m", "Hi") as stream:
        async for event in stream:
            assert event == ReasoningDelta("Two lookups.")
            break
        assert provider.closed_streams == 0  # suspended, not finished
    assert provider.closed_streams == 1
    with pytest.raises(LluminaryError, match="closed before it finished"):
        await stream.response()


async def test_aclose_without_reading_is_harmless() -> None:
    client, provider, _ = make(tool_events())
    stream = client.astream("scripted:m", "Hi")
    await stream.aclose()
    assert provider.requests == []


class SlowProvider(Provider):
    """Streams one event every few milliseconds and awaits while closing, like a real connection."""

    name = "slow"

    def __init__(self) -> None:
        super().__init__()
        self.produced = 0
        self.closed = threading.Event()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        try:
            for i in range(500):
                self.produced += 1
                yield TextDelta(f"{i} ")
                await asyncio.sleep(0.005)
            yield Finish("stop")
        finally:
            await asyncio.sleep(0)  # releasing a connection awaits
            self.closed.set()


def test_sync_stream_early_close_closes_the_provider_stream() -> None:
    pm = PluginManager()
    slow = SlowProvider()
    pm.register(slow)
    client = Client(plugins=pm)
    stream = client.stream("slow:m", "Hi")
    assert next(stream) == TextDelta("0 ")
    started = time.perf_counter()
    stream.close()
    assert time.perf_counter() - started < 2
    assert slow.closed.is_set()
    assert slow.produced < 500
    with pytest.raises(StopIteration):
        next(stream)
    stream.close()  # idempotent


def test_sync_stream_context_manager_closes_early() -> None:
    client, provider, _ = make(tool_events())
    with client.stream("scripted:m", "Hi") as stream:
        next(stream)
    assert provider.closed_streams == 1
    with pytest.raises(StopIteration):
        next(stream)


async def test_async_early_close_of_a_slow_stream() -> None:
    pm = PluginManager()
    slow = SlowProvider()
    pm.register(slow)
    stream = Client(plugins=pm).astream("slow:m", "Hi")
    await stream.__anext__()
    await stream.aclose()
    assert slow.closed.is_set()
    assert slow.produced == 1


# --------------------------------------------------------------------------- the sync API's event loop


def test_sync_api_reuses_one_event_loop_thread() -> None:
    seen: list[tuple[threading.Thread, asyncio.AbstractEventLoop]] = []

    def record(request: ChatRequest) -> ChatResponse:
        seen.append((threading.current_thread(), asyncio.get_running_loop()))
        return reply()

    client, _, _ = make(record, record, record)
    client.generate("scripted:m", "Hi")
    client.stream("scripted:m", "Hi").response()
    client.generate("scripted:m", "Hi")
    other, _, _ = make(record)
    other.generate("scripted:m", "Hi")  # another client: the same shared loop
    assert len(seen) == 4
    assert len({id(thread) for thread, _ in seen}) == 1
    assert len({id(loop) for _, loop in seen}) == 1
    thread, loop = seen[0]
    assert thread is not threading.main_thread()
    assert thread.daemon
    assert loop.is_running()


def test_sync_api_called_from_inside_its_own_loop_says_to_use_the_async_api() -> None:
    def reentrant(request: ChatRequest) -> ChatResponse:
        return client.generate("scripted:m", "nested")

    client, _, _ = make(reentrant)
    with pytest.raises(RuntimeError, match="use the async API"):
        client.generate("scripted:m", "Hi")


async def test_sync_api_works_while_the_caller_runs_its_own_loop() -> None:
    client, _, _ = make(reply())
    assert client.generate("scripted:m", "Hi") == reply()


# --------------------------------------------------------------------------- errors before any I/O


async def test_unknown_provider_names_the_installed_ones() -> None:
    client, provider, pm = make()
    pm.register(ScriptedProvider("other", prefixes=["other", "other-compatible"]))
    with pytest.raises(UnknownProviderError) as info:
        await client.agenerate("nosuch:model", "Hi")
    message = str(info.value)
    assert "scripted" in message
    assert "other-compatible" in message
    assert "pip install lluminary-nosuch" in message
    assert info.value.provider == "nosuch"
    assert info.value.installed == ["other", "other-compatible", "scripted"]
    with pytest.raises(UnknownProviderError):
        await client.astream("nosuch:model", "Hi").response()
    with pytest.raises(UnknownProviderError):
        await client.aembed("nosuch:model", "Hi")
    assert provider.requests == []


def test_unknown_provider_with_nothing_installed() -> None:
    client = Client(plugins=PluginManager(group="lluminary-test-nothing-installed"))
    with pytest.raises(UnknownProviderError, match=r"installed providers: none.*pip install lluminary-openai"):
        client.generate("openai:gpt-4o", "Hi")


INVALID_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "no provider prefix": ("gpt-4o", {}),
    "empty provider": (":gpt-4o", {}),
    "empty model name": ("scripted:", {}),
    "tool schema not an object": ("scripted:m", {"tools": [Tool("t", parameters={"type": "string"})]}),
    "required names a missing property": (
        "scripted:m",
        {"tools": [Tool("t", parameters={"type": "object", "properties": {}, "required": ["x"]})]},
    ),
    "invalid tool name": ("scripted:m", {"tools": [Tool("get weather!")]}),
    "duplicate tool names": ("scripted:m", {"tools": [Tool("t"), Tool("t")]}),
    "not a tool": ("scripted:m", {"tools": [42]}),
    "tool_choice names a missing tool": ("scripted:m", {"tools": [WEATHER], "tool_choice": "time"}),
    "tool_choice required without tools": ("scripted:m", {"tool_choice": "required"}),
    "tool result answering no call": ("scripted:m", {"messages": [Message.tool("call_9", "42")]}),
    "tool result in a user message answering no call": (
        "scripted:m",
        {"messages": [Message.user([ToolResultPart("call_9", "42")])]},
    ),
    "tool call in a user message": (
        "scripted:m",
        {"messages": [{"role": "user", "content": [{"type": "tool_call", "id": "c", "name": "f"}]}]},
    ),
    "system message holding a tool call": (
        "scripted:m",
        {"messages": [{"role": "system", "content": [{"type": "tool_call", "id": "c", "name": "f"}]}]},
    ),
    "unreadable message": ("scripted:m", {"messages": [{"role": "user", "content": [{"type": "nope"}]}]}),
    "empty message": ("scripted:m", {"messages": [Message.assistant([])]}),
    "bad response_format": ("scripted:m", {"response_format": 42}),
}


@pytest.mark.parametrize(("model", "kwargs"), list(INVALID_CALLS.values()), ids=list(INVALID_CALLS))
async def test_invalid_requests_are_rejected_before_the_provider_is_called(model: str, kwargs: dict[str, Any]) -> None:
    client, provider, _ = make()
    with pytest.raises(RequestValidationError):
        await client.agenerate(model, "Hi", **kwargs)
    with pytest.raises(RequestValidationError):
        client.astream(model, "Hi", **kwargs)
    assert provider.requests == []


async def test_a_request_needs_a_message() -> None:
    client, provider, _ = make()
    with pytest.raises(RequestValidationError, match="at least one message"):
        await client.agenerate("scripted:m")
    with pytest.raises(RequestValidationError, match="at least one input"):
        await client.aembed("scripted:m", [])
    with pytest.raises(RequestValidationError, match="provider:model"):
        await client.aembed("emb", "x")
    assert provider.requests == []


async def test_a_prebuilt_request_is_validated_too() -> None:
    client, provider, _ = make()
    bad = ChatRequest("scripted:m", (Message.user("Hi"),), tools=(Tool("t", parameters={"type": "array"}),))
    with pytest.raises(RequestValidationError):
        await client.agenerate(bad)
    good = ChatRequest("scripted:m", (Message.user("Hi"),))
    assert (await client.agenerate(good)).text == "Hi"
    assert provider.requests == [good]


async def test_a_tool_result_answering_an_earlier_call_is_accepted() -> None:
    client, provider, _ = make(reply("It is sunny."))
    history = [
        Message.user("Weather in Paris?"),
        Message.assistant([TextPart("Checking."), *tool_call("call_1")]),
        Message.tool("call_1", "sunny", name="weather"),
    ]
    response = await client.agenerate("scripted:m", messages=history, tools=[WEATHER], tool_choice="auto")
    assert response.text == "It is sunny."
    assert provider.requests[0].messages == tuple(history)  # type: ignore[union-attr]


def tool_call(call_id: str) -> list[Any]:
    from lluminary._types import ToolCallPart

    return [ToolCallPart(call_id, "weather", {"city": "Paris"})]


async def test_callables_become_tools() -> None:
    def weather(city: str, unit: str = "celsius") -> str:
        """Current weather.

        Args:
            city: The city.
        """
        return "sunny"

    client, provider, _ = make()
    await client.agenerate("scripted:m", "Hi", tools=[weather], tool_choice="weather")
    (tool_def,) = provider.requests[0].tools  # type: ignore[union-attr]
    assert tool_def.name == "weather"
    assert tool_def.description == "Current weather."
    assert tool_def.parameters["required"] == ["city"]


async def test_count_tokens_asks_the_provider() -> None:
    class Counting(ScriptedProvider):
        async def count_tokens(self, request: ChatRequest) -> int:
            return sum(len(m.text.split()) for m in request.messages) + len((request.system or "").split())

    pm = PluginManager()
    counting = Counting("counting")
    pm.register(counting)
    pm.register(ScriptedProvider("scripted"))
    client = Client(plugins=pm)
    assert await client.acount_tokens("counting:m", "one two three", system="be brief") == 5
    assert client.provider_for("counting") is counting
    assert counting.requests == []  # counting is not a call
    with pytest.raises(UnsupportedError, match="cannot count tokens"):
        await client.acount_tokens("scripted:m", "Hi")
    with pytest.raises(UnknownProviderError):
        await client.acount_tokens("nosuch:m", "Hi")
    with pytest.raises(RequestValidationError):
        await client.acount_tokens("counting", "Hi")


# --------------------------------------------------------------------------- the module-level API


def test_module_level_functions_use_the_default_client() -> None:
    provider = ScriptedProvider("modlevel", [reply("module level")])
    name = lluminary.register(provider)
    try:
        assert lluminary.generate("modlevel:m", "Hi").text == "module level"
        assert lluminary.stream("modlevel:m", "echo").response().text == "echo"
        assert len(lluminary.embed("modlevel:e", "x").embeddings) == 1
        assert lluminary.default_client() is lluminary.default_client()
    finally:
        lluminary.unregister(name=name)
    with pytest.raises(UnknownProviderError):
        lluminary.generate("modlevel:m", "Hi")


async def test_module_level_async_functions() -> None:
    provider = ScriptedProvider("modlevel2")
    lluminary.register(provider)
    try:
        assert (await lluminary.agenerate("modlevel2:m", "a")).text == "a"
        assert (await lluminary.astream("modlevel2:m", "b").response()).text == "b"
        assert len((await lluminary.aembed("modlevel2:m", ["c", "d"])).embeddings) == 2
    finally:
        lluminary.unregister(provider)


async def test_per_call_cache_control() -> None:
    """``cache="refresh"`` skips the read and stores the fresh answer; ``cache_ttl`` overrides
    the client's; bad values are refused before any I/O."""
    client, provider, _ = make(reply("old"), reply("new"), reply("later"), cache="memory://?per-call")
    assert (await client.agenerate("scripted:m", "q", cache_ttl=60)).text == "old"
    assert (await client.agenerate("scripted:m", "q")).cached
    fresh = await client.agenerate("scripted:m", "q", cache="refresh")
    assert (fresh.text, fresh.cached) == ("new", False)
    again = await client.agenerate("scripted:m", "q")
    assert (again.text, again.cached) == ("new", True)
    short = await client.agenerate("scripted:m", "other", cache_ttl=0.05)
    await asyncio.sleep(0.1)
    assert not (await client.agenerate("scripted:m", "other")).cached  # expired: called again
    assert short.text == "later"
    sent = len(provider.requests)
    with pytest.raises(RequestValidationError, match="cache must be True, False or 'refresh'"):
        await client.agenerate("scripted:m", "q", cache="sometimes")  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="cache_ttl"):
        await client.agenerate("scripted:m", "q", cache_ttl=-1)
    assert len(provider.requests) == sent
