"""The middleware chain: user and plugin steps on every operation, the cache's timeout, trace
events with ids and parents, and fallbacks that keep each provider's credentials to itself."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import lluminary
from lluminary import CacheWarning, Call, ChatResponse, Client, EventStream, ServerError, TraceEvent, then
from lluminary._plugins import PluginManager
from lluminary._retry import RetryPolicy
from lluminary.sdk import (
    ChatRequest,
    EmbedRequest,
    EmbedResponse,
    Finish,
    Message,
    ScriptedProvider,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)

NO_RETRY = RetryPolicy(max_attempts=1)


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def reply(text: str = "Hello!") -> ChatResponse:
    return ChatResponse(
        Message("assistant", (TextPart(text),)),
        "stop",
        "end_turn",
        Usage(5, 2),
        model="m-2025",
        provider="scripted",
        id="resp-9",
    )


def make(*script: Any, **kwargs: Any) -> tuple[Client, ScriptedProvider, PluginManager]:
    pm = PluginManager()
    provider = ScriptedProvider("scripted", script)
    pm.register(provider)
    kwargs.setdefault("retries", NO_RETRY)
    return Client(plugins=pm, **kwargs), provider, pm


class Recorder:
    def __init__(self) -> None:
        self.events: list[TraceEvent] = []

    @lluminary.hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        self.events.append(event)


class Tagging:
    """A user step: records what passes and marks each final answer's id."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.finished: list[str] = []

    async def __call__(self, call: Call, call_next: Any) -> Any:
        self.seen.append((call.operation, call.request.model))
        result = await call_next(call)

        async def mark(response: Any) -> Any:
            self.finished.append(call.operation)
            return response

        return await then(result, mark)


# --------------------------------------------------------------------------- user and plugin steps


async def test_a_user_step_runs_on_generate_stream_and_embed() -> None:
    step = Tagging()
    embedded = EmbedResponse([[0.1, 0.2]], "e", "scripted", Usage(3))
    client, _, _ = make(reply(), reply("streamed"), embedded, middleware=[step])
    await client.agenerate("scripted:m", "hi")
    stream = client.astream("scripted:m", "hi")
    first = await stream.__anext__()
    assert step.finished == ["generate"]  # a stream's answer is not final before it ends
    assert isinstance(first, TextDelta)
    assert (await stream.response()).text == "streamed"
    await client.aembed("scripted:e", "text")
    assert step.seen == [("generate", "scripted:m"), ("stream", "scripted:m"), ("embed", "scripted:e")]
    assert step.finished == ["generate", "stream", "embed"]


async def test_a_user_step_can_replace_the_answer() -> None:
    class Canned:
        async def __call__(self, call: Call, call_next: Any) -> Any:
            if call.streaming:
                return EventStream.replay(call, reply("canned"))
            return reply("canned")

    client, provider, _ = make(middleware=[Canned()])
    assert (await client.agenerate("scripted:m", "hi")).text == "canned"
    assert await client.astream("scripted:m", "hi").response() == reply("canned")
    assert provider.requests == []


async def test_a_plugin_contributes_a_step() -> None:
    step = Tagging()

    class Guardrail:
        @lluminary.hookimpl
        def lluminary_middleware(self, client: Any) -> list[Any]:
            return [step]

    client, _, pm = make(reply(), reply())
    await client.agenerate("scripted:m", "one")
    assert step.seen == []
    pm.register(Guardrail())  # the chain is rebuilt when the plugins change
    await client.agenerate("scripted:m", "two")
    assert step.seen == [("generate", "scripted:m")]


async def test_user_steps_run_before_the_cache() -> None:
    step = Tagging()
    client, provider, _ = make(reply(), cache="memory://?max_entries=8&chain=1", middleware=[step])
    await client.agenerate("scripted:m", "same")
    again = await client.agenerate("scripted:m", "same")
    assert again.cached
    assert len(provider.requests) == 1
    assert step.finished == ["generate", "generate"]


# --------------------------------------------------------------------------- the cache never hangs a call


class HungBackend:
    def __init__(self) -> None:
        self.calls = 0

    async def get(self, key: str, *, request: Any = None) -> Any:
        self.calls += 1
        await asyncio.sleep(30)

    async def set(self, key: str, value: Any, *, request: Any = None, ttl: float | None = None) -> None:
        self.calls += 1
        await asyncio.sleep(30)

    async def clear(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_a_hung_cache_backend_costs_at_most_its_timeout() -> None:
    backend = HungBackend()
    client, _, _ = make(reply(), reply(), cache=backend, cache_timeout=0.05)
    started = time.perf_counter()
    with pytest.warns(CacheWarning, match="did not answer in time"):
        response = await client.agenerate("scripted:m", "hi")
    assert response.text == "Hello!"
    assert not response.cached
    assert time.perf_counter() - started < 2.0  # a read and a write, each cut at 0.05 s
    assert backend.calls == 2
    with pytest.warns(CacheWarning):
        assert (await client.astream("scripted:m", "hi").response()).text == "Hello!"


async def test_the_cache_backend_sees_the_request() -> None:
    seen: list[Any] = []

    class Semantic(HungBackend):
        async def get(self, key: str, *, request: Any = None) -> Any:
            seen.append(request)
            return None

        async def set(self, key: str, value: Any, *, request: Any = None, ttl: float | None = None) -> None:
            seen.append(request)

    client, _, _ = make(reply(), cache=Semantic())
    await client.agenerate("scripted:m", "the conversation", system="be brief")
    assert [type(r) for r in seen] == [ChatRequest, ChatRequest]
    assert seen[0].system == "be brief"
    assert seen[0].messages[-1].text == "the conversation"


# --------------------------------------------------------------------------- trace events


async def test_trace_events_carry_ids_wall_clock_and_the_answer() -> None:
    recorder = Recorder()
    client, _, pm = make(reply())
    pm.register(recorder)
    before = time.time()
    await client.agenerate("scripted:m", "hi")
    start, end = recorder.events
    assert start.call_id == end.call_id != ""
    assert before <= start.time <= end.time <= time.time()
    assert (end.provider, end.response_model, end.response_id, end.finish_reason) == (
        "scripted",
        "m-2025",
        "resp-9",
        "stop",
    )
    assert end.usage == Usage(5, 2)
    assert start.parent_id is None


async def test_calls_inside_trace_parent_carry_its_id() -> None:
    recorder = Recorder()
    client, _, pm = make(reply(), reply(), reply())
    pm.register(recorder)
    with lluminary.trace_parent("agent-step-1"):
        await client.agenerate("scripted:m", "one")
        await client.astream("scripted:m", "two").response()
    await client.agenerate("scripted:m", "three", parent_id="gateway-req-7")
    parents = [(e.kind, e.parent_id) for e in recorder.events]
    assert parents == [
        ("start", "agent-step-1"),
        ("end", "agent-step-1"),
        ("start", "agent-step-1"),
        ("first_chunk", "agent-step-1"),
        ("end", "agent-step-1"),
        ("start", "gateway-req-7"),
        ("end", "gateway-req-7"),
    ]
    assert len({e.call_id for e in recorder.events}) == 3


async def test_a_stream_trace_has_time_to_first_chunk_and_an_early_close() -> None:
    recorder = Recorder()
    events = [TextDelta("a"), TextDelta("b"), UsageEvent(Usage(1, 2)), Finish("stop", "stop", "m", "r")]
    client, _, pm = make(events, events)
    pm.register(recorder)
    await client.astream("scripted:m", "hi").response()
    first_chunk, end = recorder.events[1], recorder.events[2]
    assert first_chunk.time_to_first_chunk is not None
    assert end.time_to_first_chunk == first_chunk.time_to_first_chunk
    assert end.duration is not None
    assert end.duration >= end.time_to_first_chunk
    stream = client.astream("scripted:m", "hi")
    await stream.__anext__()
    await stream.aclose()
    assert [e.kind for e in recorder.events[3:]] == ["start", "first_chunk", "error"]
    assert recorder.events[-1].error_type == "closed"


async def test_retries_share_the_call_id_and_count_attempts() -> None:
    recorder = Recorder()
    client, _, pm = make(
        ServerError("busy", provider="scripted"), reply(), retries=RetryPolicy(3, initial_delay=0, max_delay=0)
    )
    pm.register(recorder)
    await client.agenerate("scripted:m", "hi")
    assert [(e.kind, e.attempt) for e in recorder.events] == [("start", 1), ("error", 1), ("start", 2), ("end", 2)]
    assert len({e.call_id for e in recorder.events}) == 1
    assert recorder.events[1].error_type == "ServerError"


# --------------------------------------------------------------------------- fallbacks and credentials


async def test_a_fallback_of_another_provider_gets_its_own_credentials() -> None:
    pm = PluginManager()
    first = ScriptedProvider("first", [ServerError("down", provider="first")])
    second = ScriptedProvider("second", [reply("from second")])
    same = ScriptedProvider("first-b", [], prefixes=["firstb"])
    pm.register(first)
    pm.register(second)
    pm.register(same)
    client = Client(plugins=pm, retries=NO_RETRY)
    response = await client.agenerate(
        "first:m", "hi", api_key="sk-first-000000000000", base_url="http://first.local", fallbacks=["second:m"]
    )
    assert response.text == "from second"
    sent = second.requests[0]
    assert sent.api_key is None
    assert sent.base_url is None
    assert first.requests[0].api_key is not None


async def test_a_fallback_of_the_same_provider_keeps_the_call_credentials() -> None:
    pm = PluginManager()
    provider = ScriptedProvider("first", [ServerError("down", provider="first"), reply("second model")])
    pm.register(provider)
    client = Client(plugins=pm, retries=NO_RETRY)
    await client.agenerate("first:a", "hi", api_key="sk-first-000000000000", fallbacks=["first:b"])
    assert [r.model for r in provider.requests] == ["first:a", "first:b"]
    assert provider.requests[1].api_key is not None


# --------------------------------------------------------------------------- hooks and embed through the chain


async def test_count_tokens_is_a_hook() -> None:
    class Counter(ScriptedProvider):
        async def count_tokens(self, request: ChatRequest) -> int:
            return 42

    pm = PluginManager()
    pm.register(Counter("counting"))
    pm.register(ScriptedProvider("plain"))
    client = Client(plugins=pm)
    assert await client.acount_tokens("counting:m", "hi") == 42
    with pytest.raises(lluminary.UnsupportedError, match="cannot count"):
        await client.acount_tokens("plain:m", "hi")


async def test_embed_requests_are_evolved_by_steps_like_chat() -> None:
    seen: list[Any] = []

    class Upper:
        async def __call__(self, call: Call, call_next: Any) -> Any:
            request = call.request
            if isinstance(request, EmbedRequest):
                import attrs

                call = call.evolve(request=attrs.evolve(request, inputs=tuple(t.upper() for t in request.inputs)))
            seen.append(call.request)
            return await call_next(call)

    client, provider, _ = make(EmbedResponse([[1.0]], "e", "scripted"), middleware=[Upper()])
    await client.aembed("scripted:e", "quiet")
    assert provider.requests[0].inputs == ("QUIET",)


# --------------------------------------------------------------------------- stores and caches by URL


class Closable:
    def __init__(self, url: str) -> None:
        self.url = url
        self.closed = False

    async def get(self, key: str, *, request: Any = None) -> Any:
        return None

    async def set(self, key: str, value: Any, *, request: Any = None, ttl: float | None = None) -> None:
        return None

    async def clear(self) -> None:
        return None

    async def upsert(self, items: Any) -> None:
        return None

    async def query(self, vector: Any, *, top_k: int = 10, filter: Any = None) -> list[Any]:
        return []

    async def delete(self, ids: Any) -> None:
        return None

    async def close(self) -> None:
        self.closed = True


class Backends:
    """A plugin serving ``box://`` caches and stores: a new object for every open."""

    def __init__(self) -> None:
        self.opened: list[Closable] = []

    def _open(self, url: str) -> Closable | None:
        if not url.startswith("box:"):
            return None
        self.opened.append(Closable(url))
        return self.opened[-1]

    @lluminary.hookimpl
    def lluminary_cache(self, url: str) -> Any:
        return self._open(url)

    @lluminary.hookimpl
    def lluminary_store(self, url: str) -> Any:
        return self._open(url)


async def test_open_store_and_open_cache_resolve_through_the_hooks_and_close_with_the_client() -> None:
    backends = Backends()
    client, _, pm = make()
    pm.register(backends)
    store = client.open_store("box:///vectors")
    cache = client.open_cache("box://cache")
    assert [b.url for b in backends.opened] == ["box:///vectors", "box://cache"]
    with pytest.raises(lluminary.PluginError, match="no vector store serves nothing: URLs"):
        client.open_store("nothing://x")
    await client.aclose()
    assert store.backend.closed  # type: ignore[attr-defined]
    assert cache.closed  # type: ignore[attr-defined]


def test_a_cache_url_gets_one_backend_per_event_loop() -> None:
    backends = Backends()
    client, _, pm = make(reply(), reply(), cache="box://shared")
    pm.register(backends)
    client.generate("scripted:m", "on the background loop")
    asyncio.run(client.agenerate("scripted:m", "on a loop of its own"))
    assert len(backends.opened) == 2  # one backend per loop: connections never cross loops
    client.close()
    assert backends.opened[0].closed  # the background loop's, closed there
    assert not backends.opened[1].closed  # its loop is gone, and its connections with it


class LoopBound(Backends):
    """Backends that keep their loop alive, as one holding connections does."""

    def _open(self, url: str) -> Closable | None:
        backend = super()._open(url)
        if backend is not None:
            backend.loop = asyncio.get_running_loop()  # type: ignore[attr-defined]
        return backend


def test_backends_of_closed_loops_do_not_pile_up() -> None:
    backends = LoopBound()
    client, _, pm = make(*(reply() for _ in range(5)), cache="box://runs")
    pm.register(backends)
    for _ in range(5):
        asyncio.run(client.agenerate("scripted:m", "one more asyncio.run"))
    assert len(backends.opened) == 5
    assert len(client._caches) == 1  # only the last loop's: the others' loops are closed


# --------------------------------------------------------------------------- the deadline


class Silent(ScriptedProvider):
    """A provider whose server never answers: each attempt fails only at its own read timeout."""

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        await asyncio.sleep(0.2)
        raise lluminary.APITimeoutError("read timeout", provider="silent")

    def stream(self, request: ChatRequest) -> Any:
        return self._replay(request)  # the stream waits on the same silence


async def test_the_deadline_bounds_every_attempt_and_fallback_together() -> None:
    pm = PluginManager()
    silent = Silent("silent")
    pm.register(silent)
    client = Client(plugins=pm, retries=RetryPolicy(5, initial_delay=0, max_delay=0), deadline=0.5)
    started = time.perf_counter()
    with pytest.raises(lluminary.APITimeoutError, match=r"deadline of 0\.5 s"):
        await client.agenerate("silent:m", "hi", fallbacks=["silent:other"])
    assert time.perf_counter() - started < 1.5  # not 5 attempts x 2 models x 0.2 s
    assert len(silent.requests) < 10


async def test_a_call_deadline_overrides_the_clients_and_is_validated() -> None:
    pm = PluginManager()
    pm.register(Silent("silent"))
    client = Client(plugins=pm, retries=1, deadline=None)
    with pytest.raises(lluminary.APITimeoutError, match=r"deadline of 0\.05 s"):
        await client.agenerate("silent:m", "hi", deadline=0.05)
    with pytest.raises(lluminary.RequestValidationError, match="deadline"):
        await client.agenerate("silent:m", "hi", deadline=-1)
    stream = client.astream("silent:m", "hi", deadline=0.05)
    with pytest.raises(lluminary.APITimeoutError, match="deadline"):
        await stream.response()


# --------------------------------------------------------------------------- budgets that hold


class Slow(ScriptedProvider):
    """Answers after a short wait, so concurrent calls are really in flight together."""

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        await asyncio.sleep(0.01)
        return ChatResponse(Message("assistant", (TextPart("ok"),)), usage=Usage(10, 100), provider="slow")


PRICE = lluminary.ModelInfo("slow:m", input_price=10.0, output_price=30.0)  # $ per million tokens


async def test_a_budget_holds_under_a_hundred_concurrent_callers() -> None:
    pm = PluginManager()
    provider = Slow("slow", models=[PRICE])
    pm.register(provider)
    client = Client(plugins=pm, retries=1, budget=0.05)
    prompt = "a prompt of about forty characters......"

    async def one() -> str:
        try:
            await client.agenerate("slow:m", prompt, max_tokens=100)
        except lluminary.BudgetExceededError:
            return "refused"
        return "ok"

    outcomes = await asyncio.gather(*(one() for _ in range(100)))
    actual = 10 * 10e-6 + 100 * 30e-6  # what each admitted call really cost
    assert client.cost.total <= 0.05
    assert outcomes.count("ok") == len(provider.requests) == client.calls
    assert client.cost.total == pytest.approx(client.calls * actual)
    assert 0 < outcomes.count("ok") <= int(0.05 // actual)
    assert client.reserved == 0.0  # every reservation was released
    assert client.budget == 0.05


async def test_a_refused_call_says_what_was_reserved() -> None:
    pm = PluginManager()
    pm.register(Slow("slow", models=[PRICE]))
    client = Client(plugins=pm, retries=1, budget=0.001)
    with pytest.raises(lluminary.BudgetExceededError, match="this call may cost") as info:
        await client.agenerate("slow:m", "hi", max_tokens=1000)  # up to $0.03: never admitted
    assert info.value.estimate > 0.001
    assert client.calls == 0


async def test_an_unpriced_model_under_a_budget_needs_a_price_or_an_explicit_opt_out() -> None:
    pm = PluginManager()
    provider = Slow("slow")  # no catalogue entry: no price
    pm.register(provider)
    with pytest.raises(lluminary.UnpricedModelError, match=r"'slow:m' has no price"):
        await Client(plugins=pm, budget=1.0).agenerate("slow:m", "hi")
    assert provider.requests == []
    priced = Client(plugins=pm, budget=1.0, prices={"slow:m": {"input": 10.0, "output": 30.0}})
    reply_ = await priced.agenerate("slow:m", "hi")
    assert reply_.cost is not None
    assert reply_.cost.total == pytest.approx(10 * 10e-6 + 100 * 30e-6)
    uncounted = Client(plugins=pm, budget=1.0, allow_unpriced=True)
    assert (await uncounted.agenerate("slow:m", "hi")).cost is None
    with pytest.raises(lluminary.RequestValidationError, match="unknown keys"):
        Client(plugins=pm, prices={"slow:m": {"inputs": 1.0}})


async def test_a_client_can_have_a_memory_cache_of_its_own() -> None:
    shared_a, provider, pm = make(reply("a"), reply("b"), reply("c"), cache="memory://?test=own")
    shared_b = Client(plugins=pm, cache="memory://?test=own")
    own = Client(plugins=pm, cache=lluminary.MemoryCache())
    await shared_a.agenerate("scripted:m", "same")
    assert (await shared_b.agenerate("scripted:m", "same")).cached  # one URL, one process-wide store
    assert not (await own.agenerate("scripted:m", "same")).cached
    assert len(provider.requests) == 2
